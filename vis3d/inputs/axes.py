"""A mask's main axis from its second moments, and whether it is one straight stroke (camera
input; OpenCV only).

The camera pipeline asks this of a candidate's largest piece (is it a straight line: a
seam, an edge, a '1'?), of a 28x28 (a straight stroke never replaces a reading; one lying
flat is no digit) and of a straight piece's direction and length (the strip across it). The
spread along the main direction and across it are the eigenvalues of the pixels' central
second moments."""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

STRAIGHT = 0.2    # a mask this narrow across its main direction (spread, as a share of the
                  # spread along it) is one straight stroke


class Axes(NamedTuple):
    """``area`` (pixels), centre (``cx``, ``cy``), ``along`` and ``across``: the central
    second moments along the main direction and across it; ``theta``: the main direction's
    angle from the x axis (radians, y down, -pi/2..pi/2)."""
    area: float
    cx: float
    cy: float
    along: float
    across: float
    theta: float

    @property
    def straight(self) -> bool:
        return self.across < STRAIGHT * STRAIGHT * max(self.along, 1e-9)

    @property
    def length(self) -> float:
        """A bar's length from its spread along it (a uniform bar: variance L^2 / 12)."""
        return math.sqrt(12.0 * self.along / self.area)


def axes(mask: np.ndarray) -> Axes | None:
    """The main axis of a 0/non-zero uint8 mask, or None under 4 pixels."""
    m = cv2.moments(mask, binaryImage=True)
    if m["m00"] < 4:
        return None
    a, b, c = m["mu20"], m["mu02"], m["mu11"]
    root = math.hypot(a - b, 2.0 * c)
    return Axes(m["m00"], m["m10"] / m["m00"], m["m01"] / m["m00"], 0.5 * (a + b + root),
                0.5 * (a + b - root), 0.5 * math.atan2(2.0 * c, a - b))


def straight(mask: np.ndarray) -> bool:
    """Whether a mask is one straight stroke (under 4 pixels: a stub, as straight as any)."""
    got = axes(mask)
    return got is None or got.straight
