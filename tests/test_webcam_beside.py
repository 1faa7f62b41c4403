"""What lies beside a candidate's strokes (vis3d/inputs/beside.py, used by frame._reading).

A digit is written on one paper: the same colour on both sides of its strokes. A line of the
room the ink mask takes for a stroke often lies between two things of different colours,
however alike their brightness (so the gray two-sided test of sides.py lets it through). Real
frames from the second renderer (tests/synth_webcam_alt.py, tuning seeds 2-3, kind "empty"),
kept in tests/fixtures/webcam_beside, that main (b90b66a) read as a digit, read through
prepare_camera and mnist_cnn:
* the dark outline of a green box on a blue wall (main: '2' at 69%), a blue book's spine
  between two others (main: '1' at 95%), an orange note's edge against the room (main: '1'
  at 89%), a pink note's edge against a lavender wall (main: '1' at 95%) are no digit;
* an '8' on a pink note whose edge beside it joins the candidate is still read: the largest
  piece (the digit) decides.
The seam between two fingers side by side is a straight dark line with a band of skin as wide
on each side, then the room or the next seam: frames of seeds 1 and 3 that main read as a
digit (two fingers in the room: '7' at 54%; fingers over a sheet's edge: '7' at 54%; a hand
taken for a sheet: '1' at 95%) are no digit; pens' '1's with less paper beside them than
most (on squared paper, on a dim sheet; tests/synth_webcam.py seeds 5555 and 7777) are read.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from camerahelp import read_jpeg

BESIDE = Path(__file__).resolve().parent / "fixtures" / "webcam_beside"


TWO_THINGS = "two things of different colours"


@pytest.mark.parametrize("name, reason", [
    ("box_outline_none", TWO_THINGS), ("book_spine_none", TWO_THINGS),
    ("note_edge_none", TWO_THINGS), ("pink_note_edge_none", TWO_THINGS),
    ("fingers_room_none", "seam"), ("fingers_sheet_none", "seam"), ("hand_none", "seam")])
def test_what_lies_between_two_things_is_no_digit(classifier, name, reason):
    """The boundary between two things of different colours, and the seam between two
    fingers, are no digit with their reason, judged or not."""
    from vis3d.inputs.preprocess import prepare_camera
    frame = read_jpeg(BESIDE / f"{name}.jpg")
    prepared = prepare_camera(frame, score=classifier.score)
    assert not prepared.found, f"{name}: read as a digit"
    assert reason in prepared.reason
    prepared, acts = classifier.classify(frame, "camera")
    assert acts is None, f"{name}: {acts.prediction}"


def test_a_digit_beside_its_notes_edge_is_read(classifier):
    prepared, acts = classifier.classify(read_jpeg(BESIDE / "note_8.jpg"), "camera")
    assert acts is not None, prepared.reason
    assert acts.prediction == 8
    assert float(acts.probs.max()) > 0.9


@pytest.mark.parametrize("name", ["squared_1", "dim_1"])
def test_a_pens_one_with_little_paper_beside_it_is_read(classifier, name):
    prepared, acts = classifier.classify(read_jpeg(BESIDE / f"{name}.jpg"), "camera")
    assert acts is not None, prepared.reason
    assert acts.prediction == 1
    assert float(acts.probs.max()) > 0.9


def test_a_line_between_two_bands_and_a_line_on_paper():
    """open_sides, a_seam and not_on_paper on drawn pictures: a dark line 100 long between two bands of
    skin 24 wide (the room beyond) has paper a fifth of its length on both sides: a seam;
    on a sheet, or on squared paper (thin grid lines crossed), its paper reaches far; with
    the band on one side only (a '1' near a note's edge) it is no seam either."""
    from vis3d.inputs.beside import NARROW, Piece, a_seam, not_on_paper, open_sides
    h, w = 160, 160
    line = np.zeros((h, w), np.float32)
    line[30:130, 79:82] = 1.0
    box = (0, 0, w, h)
    piece = Piece(line, box, (h, w))

    def picture(left, right, grid=False):
        room = np.full((h, w, 3), (90, 120, 80), np.uint8)           # a green room
        skin = (150, 175, 215)
        room[10:150, 80 - left:80 + right] = skin
        if grid:
            room[:, ::8] = room[::8, :] = (120, 140, 170)            # thin lines
        room[line > 0] = (90, 100, 120)
        return room

    fingers = picture(24, 24)
    gray = cv2.cvtColor(fingers, cv2.COLOR_BGR2GRAY)
    wide, near = open_sides(piece, gray, fingers)
    assert 0.15 < near <= wide < NARROW
    assert "seam" in a_seam(piece, gray, fingers)
    assert "seam" in not_on_paper(line[25:135, 74:87], (74, 25, 87, 135), gray, fingers)
    for sheet in (picture(79, 79), picture(79, 79, grid=True), picture(24, 79)):
        gray = cv2.cvtColor(sheet, cv2.COLOR_BGR2GRAY)
        assert open_sides(piece, gray, sheet)[0] >= NARROW
        assert a_seam(piece, gray, sheet) == ""


def test_sides_of_one_colour_and_of_two():
    """hue_step on drawn pictures: a dark line on green paper, and on green paper lit
    unevenly, has sides of one colour; the same line between a green and a blue surface as
    bright as each other has two; a gray frame tells nothing."""
    from vis3d.inputs.beside import HUES, Piece, hue_step, not_on_paper, two_things
    h, w = 80, 120
    line = np.zeros((h, w), np.float32)
    cv2.line(line, (20, 40), (100, 40), 1.0, 3)
    green = np.zeros((h, w, 3), np.uint8)
    green[:] = (90, 170, 110)
    green[line > 0] = (40, 60, 45)
    box = (0, 0, w, h)
    piece = Piece(line, box, (h, w))
    assert hue_step(piece, green) < 0.005
    shade = (green * np.linspace(0.6, 1.0, w)[None, :, None]).astype(np.uint8)
    assert hue_step(piece, shade) < 0.01
    two = green.copy()
    two[42:] = (210, 148, 110)                        # a blue wall below (gray 144 and 143)
    two[line > 0] = (40, 60, 45)
    assert abs(int(cv2.cvtColor(two, cv2.COLOR_BGR2GRAY)[10, 10])
               - int(cv2.cvtColor(two, cv2.COLOR_BGR2GRAY)[70, 10])) < 4
    assert hue_step(piece, two) > 2 * HUES
    assert "two things" in two_things(piece, two)
    assert two_things(piece, None) == ""
    stub = np.zeros((h, w), np.float32)
    stub[40, 60:63] = 1.0                             # too short for a verdict
    assert two_things(Piece(stub, box, (h, w)), two) == ""
    crop = line[30:50, 15:105]                        # a crop of the frame at its box
    gray = cv2.cvtColor(two, cv2.COLOR_BGR2GRAY)
    assert "two things" in not_on_paper(crop, (15, 30, 105, 50), gray, two)
    assert not_on_paper(crop, (15, 30, 105, 50), cv2.cvtColor(green, cv2.COLOR_BGR2GRAY),
                        green) == ""
