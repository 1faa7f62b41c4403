"""A line lying across: no digit (camera input; numpy only).

A digit is held up to be read upright (a tilted sheet's digit is turned upright first,
vis3d.inputs.frame). The only digit that is one straight stroke is a '1', written upright or
slanted (in MNIST up to about 35 degrees off the vertical). One straight stroke lying nearer
the horizontal than FLAT is the room's (the edge of a shelf, a box, a blind's slat, a window's
cross bar), never a digit, however the model reads it (a '7', a '4' or a '1')."""

from __future__ import annotations

import math

import numpy as np

STRAIGHT = 0.2   # spread across the main direction under this share of the spread along it
FLAT = 20.0      # degrees from the horizontal: a straight stroke lying flatter is no digit


def lying_flat(image: np.ndarray) -> str:
    """Why a 28x28 (ink bright, 0..1) is no digit ('' if it may be one): its ink is one
    straight stroke lying within FLAT degrees of the horizontal."""
    ys, xs = np.nonzero(np.asarray(image) > 0.3)
    if xs.size < 4:
        return ""
    x = xs - xs.mean()
    y = ys - ys.mean()
    a, b, c = float(x @ x), float(y @ y), float(x @ y)
    root = math.hypot(a - b, 2.0 * c)
    along, across = 0.5 * (a + b + root), 0.5 * (a + b - root)
    if across >= STRAIGHT * STRAIGHT * max(along, 1e-9):
        return ""
    # the main direction's angle from the horizontal (0..90 degrees)
    angle = abs(math.degrees(0.5 * math.atan2(2.0 * c, a - b)))
    if angle < FLAT:
        return "no digit (one straight line lying across: the edge of a thing, not a '1')"
    return ""
