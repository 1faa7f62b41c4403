"""Nothing held up means no digit (issue #9): things of the room that the camera pipeline
once read as a confident digit are "no digit", with the reason; pen '1's stay read.

The frames are the generator's (tests/synth_webcam.py, kind ``empty``, tuning seeds 5555 and
7777), kept in tests/fixtures/webcam_nothing: a window's bar between two bright panes, a
finger's stub beside a sheet, a finger alone in the room, a room of books taken for paper
filling the frame, a row of books beside a window (seed 9100), a block of
furniture beside a blank sheet, cut by the frame's edge, the shade along a note's edge.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOTHING = FIXTURES / "webcam_nothing"


@pytest.mark.parametrize("name, why", [
    ("window_bar_480", "room"),               # main read '1' at 97%
    ("beside_a_sheet_720", "solid bar"),      # main read '1' at 88%
    ("finger_720", "solid bar|room"),         # main read '1' at 97% (its edges: sides.py)
    ("books_fill_720", "room"),               # main read '4' at 92%
    ("books_720", "many colours|a faint solid bar|room"),   # main read '9' at 62%
    ("beside_a_sheet_at_the_edge_480", "room"),   # main read '1' at 91%
    ("sheet_edge_shade_480", "barely darker|specks"),  # main read '4' at 33% (an edge)
])
def test_things_of_the_room_are_no_digit(classifier, name, why):
    from vis3d.inputs.preprocess import prepare_camera
    frame = cv2.imread(str(NOTHING / f"{name}.jpg"))
    assert frame is not None
    prepared = prepare_camera(frame, score=classifier.score)
    assert not prepared.found, f"{name}: read as a digit"
    assert any(w in prepared.reason for w in why.split("|")), prepared.reason
    prepared, acts = classifier.classify(frame, "camera")
    assert acts is None, f"{name}: {acts.prediction}"


@pytest.mark.parametrize("path", ["notebook/001_1_480", "dim/011_1_1080", "held/001_1_480",
                                  "sticky/021_1_480"])
def test_a_pens_one_is_still_read(classifier, path):
    """A '1' is one straight stroke too: solid (filling 68-89% of its rotated box), but long
    for its width and as dark as ink."""
    frame = cv2.imread(str(FIXTURES / "webcam" / f"{path}.jpg"))
    prepared, acts = classifier.classify(frame, "camera")
    assert acts is not None, prepared.reason
    assert acts.prediction == 1


def test_a_faint_solid_bar_is_no_pen_stroke():
    """not_written on crops: a short grey bar is refused; as dark as ink, or long as a
    pen's stroke, it may be a '1'."""
    from vis3d.inputs.ink import not_written
    ink = np.zeros((60, 30), np.float32)
    ink[5:55, 10:18] = 1.0                          # 50 long, 8 wide: about 6 widths
    assert "faint solid bar" in not_written(ink, 0.25, 0.5)     # its strokes' darkness
    assert not_written(ink, 0.8, 0.5) == ""
    long_ink = np.zeros((130, 20), np.float32)
    long_ink[5:125, 8:12] = 1.0                     # 120 long, 4 wide: a ballpoint's '1'
    assert not_written(long_ink, 0.25, 0.5) == ""
    ring = np.zeros((60, 60), np.float32)
    cv2.circle(ring, (30, 30), 22, 1.0, 4)          # a '0' fills little of its box
    assert not_written(ring, 0.25, 0.5) == ""


def test_marks_of_many_colours_are_no_pens_ink():
    """many_colours on crops: a row of books touching (one piece of bars of different colours)
    is refused; a digit in one ink, shaded from dark to light, with a blob of another colour
    beside it (a piece of its own), and a gray frame, are not."""
    from vis3d.inputs.ink import many_colours
    ink = np.zeros((40, 60), np.float32)
    books = np.zeros((40, 60, 3), np.uint8)
    for i, col in enumerate([(40, 40, 160), (150, 60, 30), (40, 140, 40), (150, 50, 150)]):
        ink[5:35, 5 + 12 * i:17 + 12 * i] = 1.0
        books[5:35, 5 + 12 * i:17 + 12 * i] = col
    assert "many colours" in many_colours(ink, books)
    pen = np.zeros_like(books)
    pen[..., 0] = np.linspace(90, 200, 60)[None, :]     # blue ink, dark to faint
    pen[..., 1] = np.linspace(40, 170, 60)[None, :]
    pen[..., 2] = np.linspace(30, 175, 60)[None, :]
    assert many_colours(ink, pen) == ""
    assert many_colours(ink, None) == ""
    stroke = np.zeros((40, 60), np.float32)
    cv2.circle(stroke, (22, 20), 12, 1.0, 4)            # a pen's loop ...
    stroke[30:38, 48:56] = 1.0                          # ... and a red blob apart from it
    seen = np.full((40, 60, 3), (120, 45, 35), np.uint8)
    seen[30:38, 48:56] = (40, 30, 150)
    assert many_colours(stroke, seen) == ""
