"""What lies beside a candidate digit's strokes: one paper, or the room's things (camera input).

A digit is written on one sheet: right beside its strokes, on both sides, lies the same paper,
the same colour however it is lit. A line in the room that the ink mask takes for a stroke
often lies between two things instead: the outline of a poster or a box on a wall of another
colour, a note's or a book's edge against the room, a book's spine between two others. Their
brightness may be the same (the gray test of :mod:`vis3d.inputs.sides` cannot tell), their
colour is not. Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs.ink import stroke_width
from vis3d.inputs.sides import SAMPLES, places

VERDICT = 2 * SAMPLES   # fewer samples across a piece: no verdict (a stub)

HUES = 0.03     # sides this far apart in chromaticity (the largest of b, g, r shares) are two
                # things (a pen's digit on a sheet or a note: 0.022 at most, 0.003 typically;
                # a poster's or a box's outline, a note's edge: 0.04-0.12)


def _chroma(c: np.ndarray) -> np.ndarray:
    c = c.astype(np.float32) + 8.0      # (dark pixels' noise does not swing their share)
    return c / c.sum(axis=-1, keepdims=True)


def hue_step(ink: np.ndarray, box, colour: np.ndarray) -> float:
    """The median difference in chromaticity between the two sides of the strokes of a
    candidate's largest piece (NaN under VERDICT samples). ``ink``: its crop (strokes over
    0.3) at ``box`` (x0, y0, x1, y1) of the BGR working image ``colour``; sampled as
    :func:`vis3d.inputs.sides.places` does, across the strokes and past any ink."""
    strokes = np.uint8(np.asarray(ink) > 0.3)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    if n < 2:
        return float("nan")
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    own = np.uint8(labels == largest)
    width = stroke_width(own)
    h, w = colour.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in box)
    m = int(2.0 * width) + 4
    cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    at = np.s_[y0 - cy0:y0 - cy0 + own.shape[0], x0 - cx0:x0 - cx0 + own.shape[1]]
    grown, every = (np.zeros((cy1 - cy0, cx1 - cx0), np.uint8) for _ in range(2))
    grown[at], every[at] = own, strokes
    _, (ay, ax), (by, bx) = places(grown, every, width)
    if ay.size < VERDICT:
        return float("nan")
    crop = colour[cy0:cy1, cx0:cx1]
    return float(np.median(np.abs(_chroma(crop[ay, ax]) - _chroma(crop[by, bx])).max(axis=1)))


def two_things(ink: np.ndarray, box, colour: np.ndarray | None) -> str:
    """Why a candidate (its ink crop at ``box`` of the BGR working image ``colour``) is no
    pen's digit ('' if it may be one): its largest piece's two sides are of two colours, the
    boundary between two things (a lesser piece may be: a note's edge beside the digit, read
    as it comes, or left out by the model's other readings). Nothing to tell on a gray frame."""
    if colour is None:
        return ""
    if hue_step(ink, box, colour) > HUES:
        return "no digit (the boundary between two things of different colours, not ink)"
    return ""
