"""A pen's stroke or the edge of a thing (vis3d/inputs/sides.py, used by choose._plausible).

A stroke written on paper is a valley: paper about as bright on both sides of it. The edge of
a thing (a sheet against the room, a finger, a book) is a step: the ink mask holds a thin dark
line along it, darker than one side only. Real frames from the second renderer
(tests/synth_webcam_alt.py, tuning seeds 1-3, 480p), kept in tests/fixtures/webcam_edges,
that main (711fd41) misreads, read through prepare_camera and mnist_cnn:
* nothing held up: the edge of a ruled sheet (main read '2' at 84%), of a lilac note held by
  a hand (main: '1' at 71%), of a white book behind a hand (main: '7' at 97%), a poster's
  dark outline between the poster and the wall (main: '7' at 89%) are no digit;
* a digit on a sheet whose edges run through the room beside it: an edge was chosen (main
  read the held '3' as '1'), or the edges counted as marks beside the digit (main: "too many
  marks" for a held '4' and a '1' on a ruled sheet);
* a digit on paper so lit it is blown out (overexposed white paper, 250 and brighter) was
  refused as on a lamp or a window (main: "no ink on paper (only the room's things)").
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from camerahelp import read_jpeg

EDGES = Path(__file__).resolve().parent / "fixtures" / "webcam_edges"


def _frame(name: str) -> np.ndarray:
    return read_jpeg(EDGES / f"{name}.jpg")


@pytest.mark.parametrize("name, why", [
    ("sheet_edge_none", "the edge of a thing"),
    ("note_edge_none", "the edge of a thing"),
    ("hand_book_none", ""),
    ("poster_none", ""),          # (720p) the outline of a poster, wall on one side
])
def test_the_edge_of_a_thing_is_no_digit(classifier, name, why):
    from vis3d.inputs.preprocess import prepare_camera
    prepared = prepare_camera(_frame(name), score=classifier.score)
    assert not prepared.found, f"{name}: read as a digit"
    assert why in prepared.reason
    prepared, acts = classifier.classify(_frame(name), "camera")
    assert acts is None, f"{name}: {acts.prediction}"


@pytest.mark.parametrize("name, digit", [
    ("held_3", 3),                # a sheet held up beside a white book; its edge read '1'
    ("held_4", 4),                # a ruled sheet held by fingers: "too many marks" (its edges)
    ("ruled_1", 1),               # a ruled sheet before books and a poster: "too many marks"
    ("blown_3", 3),               # a dotted page filling the frame, blown out
    ("blown_7", 7),               # a ruled sheet before books, blown out
    ("blown_held_4", 4),          # a sheet held up by a hand, blown out
])
def test_the_digit_is_read_not_an_edge(classifier, name, digit):
    prepared, acts = classifier.classify(_frame(name), "camera")
    assert acts is not None, f"{name}: {prepared.reason}"
    assert acts.prediction == digit, f"{name}: {acts.prediction}"
    assert float(acts.probs.max()) > 0.85


def _sides(image: np.ndarray, own: np.ndarray) -> float:
    from vis3d.inputs.sides import across, step_share
    return step_share(*across(image, own, own, 3.0))


def test_a_valley_a_step_and_a_line_between_two_things():
    """On drawn pictures: a dark line on even paper is a valley (no step anywhere); the thin
    dark line along the edge of a lit sheet against a darker room, and a dark outline
    between a wall and a poster of another brightness, are not; a stroke beside another
    (the ink around is never taken for paper) and one on paper lit unevenly still are."""
    h, w = 80, 120
    line = np.zeros((h, w), np.uint8)
    cv2.line(line, (20, 40), (100, 40), 255, 3)
    paper = np.full((h, w), 200, np.uint8)
    stroke = paper.copy()
    stroke[line > 0] = 90
    assert _sides(stroke, line) == 0.0
    edge = paper.copy()
    edge[42:] = 110                                   # the room below the sheet
    edge[line > 0] = 100                              # the dark line along the step
    assert _sides(edge, line) > 0.9
    outline = paper.copy()
    outline[42:] = 160                                # a poster 20% darker than the wall
    outline[line > 0] = 60                            # (far darker than both: no step, but
    assert _sides(outline, line) > 0.9                # between two things)
    lit = (np.linspace(150, 230, w)[None, :] * np.ones((h, 1))).astype(np.uint8)
    lit[line > 0] = 70                                # paper lit brighter to the right
    assert _sides(lit, line) == 0.0
    both = line.copy()
    cv2.line(both, (20, 56), (100, 56), 255, 3)       # a second stroke below
    twin = paper.copy()
    twin[both > 0] = 90
    assert _sides(twin, both) == 0.0
