"""A line lying across: no digit (camera input; numpy and OpenCV).

A digit is held up to be read upright (a tilted sheet's digit is turned upright first,
vis3d.inputs.frame). The only digit that is one straight stroke is a '1', written upright or
slanted (some MNIST '1's lean 50 degrees off the vertical). One straight stroke lying nearer
the horizontal than FLAT is the room's (the edge of a shelf, a box, a blind's slat, a window's
cross bar), never a digit, however the model reads it (a '7', a '4' or a '1')."""

from __future__ import annotations

import math

import cv2
import numpy as np

STRAIGHT = 0.2   # spread across the main direction under this share of the spread along it
FLAT = 20.0      # degrees from the horizontal: a straight stroke lying flatter is no digit


def lying_flat(image: np.ndarray) -> str:
    """Why a 28x28 (ink bright, 0..1) is no digit ('' if it may be one): its ink is one
    straight stroke lying within FLAT degrees of the horizontal."""
    m = cv2.moments(np.uint8(np.asarray(image) > 0.3), binaryImage=True)
    if m["m00"] < 4:
        return ""
    a, b, c = m["mu20"], m["mu02"], m["mu11"]
    root = math.hypot(a - b, 2.0 * c)
    along, across = 0.5 * (a + b + root), 0.5 * (a + b - root)
    if across >= STRAIGHT * STRAIGHT * max(along, 1e-9):
        return ""
    # the main direction's angle from the horizontal (0..90 degrees)
    angle = abs(math.degrees(0.5 * math.atan2(2.0 * c, a - b)))
    if angle < FLAT:
        return "no digit (one straight line lying across: the edge of a thing, not a '1')"
    return ""
