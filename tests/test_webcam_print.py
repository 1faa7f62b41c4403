"""Print beside a sheet (vis3d/inputs/printed.py through faint.faint_mask): a sheet's outline
that takes in the corner of a printed thing behind it (a poster, a page of text as bright as
the paper) no longer makes the faint-ink search refuse the whole sheet as busy paper.

A real frame (tests/fixtures/webcam_print/: the second renderer's JPEG, tuning seed 2): a
faint blue 3 on pink ruled paper, the sheet found with the corners of two printed pages
beside it; its print is 40 seed pieces in two dense clusters, where the faint 3 is one.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from camerahelp import sheet_darkness

FIXTURES = Path(__file__).parent / "fixtures" / "webcam_print"


def _sheet_darkness(name: str):
    """(darkness as uint8, the sheet's region less its margin, ruled lines taken out) of the
    first sheet found in a fixture frame, as paper.extract makes them."""
    from vis3d.inputs.ink import remove_lines
    dark, region = sheet_darkness(FIXTURES / name)
    dark8 = (dark * 255.0).astype(np.uint8)
    lines = remove_lines(dark8, 0.3 * min(dark8.shape))
    return cv2.subtract(dark8, lines), region, lines


def test_print_beside_the_sheet_leaves_the_faint_digit():
    from vis3d.inputs.faint import faint_mask
    dark8, region, lines = _sheet_darkness("alt2_notebook_053_3.jpg")
    usual = np.uint8(dark8 > 0.2 * 255) * 255
    mask, floor = faint_mask(dark8, region, 0.2, usual, lines)
    assert mask is not None                       # (refused as busy paper before printed.py)
    assert floor < 0.2
    added = cv2.subtract(mask, usual)
    n, _, stats, _ = cv2.connectedComponentsWithStats(added, connectivity=8)
    # the faint 3: one piece of the digit's size (40-70 working pixels tall), in the middle
    # third of the frame; no piece of the print (on the frame's right and left edges)
    digits = [s for s in stats[1:] if 40 <= s[3] <= 70 and 90 <= s[0] <= 200]
    assert len(digits) == 1, stats[1:].tolist()
    assert not any(s[0] + s[2] > 240 or s[0] < 40 for s in stats[1:]), stats[1:].tolist()


def test_crowded_pieces_are_print_only_when_the_paper_is_busy():
    """Pieces packed within GAP of each other count as print only in a cluster of more than
    CROWD and only when there are more than ``busy`` pieces in all; a few pieces of a digit
    spread over its size never do."""
    from vis3d.inputs.printed import CROWD, crowded
    seeds = np.zeros((120, 200), np.uint8)
    for k in range(CROWD + 3):                    # a row of dashes: print
        seeds[10:12, 5 + 8 * k:10 + 8 * k] = 255
    for y, x in ((60, 40), (80, 90), (100, 150)):  # three pieces of a broken stroke
        seeds[y:y + 8, x:x + 2] = 255
    n, labels = cv2.connectedComponents(seeds, connectivity=8)
    big = np.ones(n, bool)
    big[0] = False
    out = crowded(labels, big, busy=10)
    assert out.sum() == CROWD + 3
    spread = [labels[60, 40], labels[80, 90], labels[100, 150]]
    assert not out[spread].any()
    assert not crowded(labels, big, busy=n).any()  # not busy: nothing counts as print
