"""Sticky notes found by their even colour (issue #9, vis3d/inputs/patches.py): a note whose
edge against the room fades somewhere along it.

The frames are the second renderer's (tests/synth_webcam_alt.py, tuning seed 1, kind sticky),
kept in tests/fixtures/webcam_patches.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from camerahelp import read_fixture, read_jpeg

PATCHES = Path(__file__).resolve().parent / "fixtures" / "webcam_patches"


@pytest.mark.parametrize("name, digit", [
    ("note_faint_edge_5_1080", 5),    # pink on a beige wall, fingers over it, off the top
    ("note_faint_edge_0_720", 0),     # tan on a tan and green wall, beside a window
])
def test_note_whose_edge_fades_into_the_room(classifier, monkeypatch, name, digit):
    """The note's edge against a room of about its colour fades under patches.EVEN along a
    stretch, so its piece of even colour runs out into the room and no piece is a sheet;
    under patches.STRICT the room's textured wall falls apart and the flat note stays whole.
    Main (140b843) found no note: "no sheet found (no ink on paper (only the room's
    things))" and "no ink on the sheet" (the window taken for the sheet)."""
    import cv2
    from vis3d.inputs import convert, patches
    from vis3d.inputs.extent import colour_steps
    from vis3d.inputs.frame import CAMERA_WIDTH
    assert read_fixture(classifier, PATCHES / f"{name}.jpg")[0] == digit
    _, colour, _, _ = convert.reduced(read_jpeg(PATCHES / f"{name}.jpg"), CAMERA_WIDTH)
    size = (colour.shape[1] // 4, colour.shape[0] // 4)
    steps = colour_steps(colour, size)
    found = patches.find_patches(colour, size, steps=steps)
    assert found, "no note found"
    share = cv2.contourArea(found[0][1]) / steps[1].size
    assert 0.08 < share < 0.35, share       # the note's size, not the room's
    monkeypatch.setattr(patches, "STRICT", patches.EVEN)
    assert not patches.find_patches(colour, size, steps=steps)     # at EVEN: none


def test_note_joined_to_a_window_is_read_on_its_own_outline(classifier):
    """A green note whose corner touches a window's white frame: the bright sheet found is
    the window and the note together, and the '1' near the note's edge reaches that
    sheet's edge. The note's own piece of even colour lies inside that sheet but is far
    smaller than it: it is read on its own outline, grown out to its edge (the piece
    stops a low-res pixel short of it). Main (140b843): "no ink on the sheet"."""
    import numpy as np
    from vis3d.inputs.patches import _tried
    assert read_fixture(classifier, PATCHES / "note_joined_to_window_1_720.jpg")[0] == 1
    piece = np.zeros((45, 80), np.uint8)
    piece[10:30, 10:30] = 255
    same, larger = np.zeros_like(piece), np.zeros_like(piece)
    same[9:31, 9:31] = 255                     # the note read as a sheet already
    larger[0:35, 5:60] = 255                   # the note and a window beside it
    assert _tried(piece, [same]) and _tried(piece, [larger, same])
    assert not _tried(piece, [larger])
