"""A line lying across: no digit (camera input; numpy and OpenCV).

A digit is held up to be read upright (a tilted sheet's digit is turned upright first,
vis3d.inputs.frame). The only digit that is one straight stroke is a '1', written upright or
slanted (some MNIST '1's lean 50 degrees off the vertical). One straight stroke lying nearer
the horizontal than FLAT is the room's (the edge of a shelf, a box, a blind's slat, a window's
cross bar), never a digit, however the model reads it (a '7', a '4' or a '1')."""

from __future__ import annotations

import math

import numpy as np

from vis3d.inputs.axes import axes

FLAT = 20.0      # degrees from the horizontal: a straight stroke lying flatter is no digit


def lying_flat(image: np.ndarray) -> str:
    """Why a 28x28 (ink bright, 0..1) is no digit ('' if it may be one): its ink is one
    straight stroke (:mod:`vis3d.inputs.axes`) lying within FLAT degrees of the horizontal."""
    line = axes(np.uint8(np.asarray(image) > 0.3))
    if line is None or not line.straight:
        return ""
    if abs(math.degrees(line.theta)) < FLAT:       # (the main direction: 0..90 degrees off)
        return "no digit (one straight line lying across: the edge of a thing, not a '1')"
    return ""
