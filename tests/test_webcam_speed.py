"""The camera pipeline's speed-ups (issue #9's camera_ms) give what the plain computation gives.

Each faster piece is checked against the straightforward version it replaced, on real frames
(the committed webcam fixtures) or on arrays built to reach both of its branches.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from camerahelp import working
from vis3d.inputs import frame, ink, morph, paper
from vis3d.inputs.stats import median

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webcam"
FRAMES = ("held/001_1_480.jpg", "notebook/000_0_480.jpg", "dim/007_7_480.jpg",
          "sticky/003_3_480.jpg", "held/008_8_720.jpg")


@pytest.mark.parametrize("pieces", [5, 40, 300])
def test_painting_kept_components_is_numpys_indexing(pieces):
    rng = np.random.default_rng(pieces)
    mask = np.zeros((120, 160), np.uint8)
    for k in range(pieces):                       # apart: one component each
        x, y = 4 * (k % 38), 4 * (k // 38)
        mask[y:y + 2, x:x + 2] = 255
    n, labels = cv2.connectedComponents(mask, connectivity=8, ltype=cv2.CV_16U)
    assert n == pieces + 1
    lut = np.zeros(n, np.uint8)
    lut[rng.integers(1, n, 4)] = 255
    painted = morph.painted(lut, labels)
    assert painted.dtype == np.uint8 and np.array_equal(painted, lut[labels])


@pytest.mark.parametrize("name", FRAMES)
def test_in_place_darkness_and_a_lazy_reading_level_are_the_plain_ones(name):
    g, bg, colour, _, _ = working(FIXTURES / name)
    plain = np.clip(1.0 - g.astype(np.float32) / np.maximum(bg, 1.0), 0.0, 1.0)
    assert np.array_equal(paper.darkness(g, bg), plain)
    h, w = g.shape
    res, _, _ = paper.extract(g, bg, np.full((h, w), 255, np.uint8), 3, colour)
    assert res is not None, name
    x0, y0, x1, y1 = res[1]
    strokes = res[0] > 0.3
    expected = median(plain[y0:y1, x0:x1][strokes])
    _, level, _ = frame._reading(res, None, g, bg, colour)
    assert callable(level) and level() == expected and level() == expected


def test_a_solid_bar_is_judged_alike_with_its_level_given_or_asked_for():
    bar = np.zeros((60, 40), np.float32)
    bar[10:50, 12:28] = 1.0                       # short and wide: a bar, not a pen's '1'
    for level in (0.25, 0.8):
        asked: list = []
        why = ink.not_written(bar, lambda v=level: asked.append(v) or v, 0.5)
        assert why == ink.not_written(bar, level, 0.5) and asked == [level]
    assert ink.not_written(bar, lambda: 0.25, 0.5)   # faint: refused


@pytest.mark.parametrize("name", FRAMES)
def test_not_ink_given_the_stroke_width_says_what_it_says_measuring_it(name):
    gray, colour, _, _ = frame.convert.reduced(cv2.imread(str(FIXTURES / name)),
                                               frame.CAMERA_WIDTH)
    mask = np.uint8(cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                          cv2.THRESH_BINARY_INV, 25, 12) > 0) * 255
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    seen = set()
    for i in 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:8]:
        x, y, bw, bh = stats[i, :4]
        own = np.uint8(labels[y:y + bh, x:x + bw] == i) * 255
        width = ink.stroke_width(own)
        for pen in (False, True):
            why = ink.not_ink(own, (60, 70, 90), (200, 200, 200), 0.5, pen=pen)
            assert ink.not_ink(own, (60, 70, 90), (200, 200, 200), 0.5, pen=pen,
                               width=width) == why
            seen.add(why)
    assert len(seen) >= 1


def test_a_dark_sheet_is_still_too_dark():
    g = np.full((240, 320), 20, np.uint8)
    g[100:120, 100:200] = 5
    bg = np.full(g.shape, 20.0, np.float32)
    region = np.zeros(g.shape, np.uint8)
    region[40:200, 60:260] = 255
    assert paper.extract(g, bg, region, 9, sheet=True)[1] == "too dark"
    bg[:, :] = 30.0                               # no pixel darker than DARKEST: no mean asked
    assert paper.extract(g, bg, region, 9, sheet=True)[1] != "too dark"


def test_masks_seen_as_8_bit_tell_zero_from_non_zero_as_converted_ones_do():
    rng = np.random.default_rng(7)
    dark = cv2.GaussianBlur(rng.random((90, 120), np.float32), (0, 0), 2)
    weak, seed = dark > 0.5, dark > 0.53
    for w, s in ((weak, seed), (np.uint8(weak) * 255, np.uint8(seed) * 255)):
        assert np.array_equal(morph.grown(w, s), morph.grown(np.uint8(weak > 0), seed > 0))
        u8 = morph.nonzero_u8(w)
        assert u8.dtype == np.uint8 and np.array_equal(u8 > 0, weak)
        assert ink.stroke_width(w) == ink.stroke_width(np.uint8(weak) * 255)
    assert np.shares_memory(morph.nonzero_u8(weak), weak)        # a view, no copy
    assert np.array_equal(morph.nonzero_u8(dark * np.float32(weak)) > 0, weak)


@pytest.mark.parametrize("thick", [2, 5, 9])
def test_half_size_directions_put_the_sides_across_the_stroke(thick):
    """sides.places finds the strokes' direction at half the size: its samples still lie
    across each stroke (a straight one at every angle, as thin as a ballpoint's or as wide
    as a marker's), where the full-size structure tensor put them."""
    from vis3d.inputs.sides import places
    errors = []
    for degrees in range(0, 180, 15):
        own = np.zeros((90, 90), np.uint8)
        t = np.radians(degrees)
        dx, dy = 30 * np.cos(t), 30 * np.sin(t)
        cv2.line(own, (int(round(45 - dx)), int(round(45 - dy))),
                 (int(round(45 + dx)), int(round(45 + dy))), 1, thick)
        (ys, xs), (ay, ax), (by, bx) = places(own, own, float(thick))
        assert ys.size >= 12, degrees
        for sy, sx in ((ay, ax), (by, bx)):
            across = np.degrees(np.arctan2(sy - ys, sx - xs))     # from the centre line
            off = np.abs((across - degrees) % 180.0 - 90.0)       # 0: square to the stroke
            errors.append(np.median(off))
    assert max(errors) <= 6.0 and np.median(errors) <= 2.0      # measured: 3.7, 0.95


def test_a_candidates_largest_piece_made_once_reads_as_each_made_it():
    """frame._reading makes ink.largest_piece once for many_colours and not_on_paper: the
    same piece, the same verdicts as when each found it itself."""
    from vis3d.inputs.beside import Piece
    crop = np.zeros((60, 80), np.float32)
    cv2.line(crop, (10, 10), (10, 50), 1.0, 3)           # the larger piece
    cv2.circle(crop, (55, 30), 6, 0.8, 2)
    own = ink.largest_piece(crop)
    assert own is not None and own[30, 10] == 1 and own[30, 61] == 0
    assert ink.largest_piece(np.zeros((5, 5), np.float32)) is None
    colour = np.full((60, 80, 3), 200, np.uint8)
    colour[:, 40:] = (40, 160, 60)
    assert ink.many_colours(crop, colour, own) == ink.many_colours(crop, colour)
    box, shape = (20, 20, 100, 80), (120, 140)
    given, found = Piece(crop, box, shape, own), Piece(crop, box, shape)
    assert given.samples >= 12 and given.length == found.length
    assert all(np.array_equal(a, b) for a, b in zip(given.side_a + given.side_b,
                                                    found.side_a + found.side_b))
