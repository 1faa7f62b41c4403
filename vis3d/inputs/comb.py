"""Like lines side by side: no pen's '1' (camera input; numpy and OpenCV).

Fingers held together show a dark seam between each two of them: several straight lines,
parallel, about a finger's width apart, with the same skin on both sides of each (so do a
shelf's book spines pressed together, a radiator's or a fence's slats). A pen's '1' is one
line on its paper: what lies beside it across the paper is paper, up to the paper's edge (a
step to the room, not a line with the same paper on its far side too). So a straight
candidate with another line as dark, parallel to it, a fifth of its length away or more,
with the same surface on both sides of that line as beside its own, is no digit.

The test looks across the candidate's straight piece in a strip turned along it: the
brightness (and colour) averaged along the middle of its length, one value per distance
across, where a line parallel to it is a valley as deep as its own for as long as it runs
beside it. The candidate's other ink (a '4's other stroke) is left out."""

from __future__ import annotations

import math

import cv2
import numpy as np

from vis3d.inputs.axes import axes
from vis3d.inputs.sides import DIFFER, HUES, chroma  # two things, not one surface

REACH = 0.85      # the strip reaches this share of the piece's length to each side
MIDDLE = 0.6      # ... and runs along this share of its length, about its centre
APART = 0.2       # another line counts from this share of the piece's length away
LIKE = 0.6        # ... as dark as this share of the piece's own valley (fingers' other
                  # seams, spines: 0.73-1.0; beside a pen's '1' on paper: 0.42 at most)
WIDER = 2.0       # ... and as narrow: at half its depth at most this many times as wide


def _strip(own: np.ndarray, ink: np.ndarray, box, g, colour):
    """The profiles across a straight piece (0/1 on the candidate's ``ink`` crop at ``box``):
    brightness, colour (or None) and the candidate's other ink, each averaged along the
    middle of the piece; its centre's index, its length and stroke width in pixels. None
    when the piece is not one straight stroke."""
    line = axes(own)
    if line is None or not line.straight:
        return None
    others = np.uint8((np.asarray(ink) > 0.3) & (own == 0))
    length = line.length
    width = max(line.area / max(length, 1.0), 1.0)      # its mean width
    dx, dy = math.cos(line.theta), math.sin(line.theta)  # along the piece
    mx, my = line.cx, line.cy
    half, rows = int(REACH * length) + 1, max(int(MIDDLE * length), 3)

    def profile(image, x0, y0, border):
        # strip pixel (u, v) <- centre + (u - half) * across + (v - rows / 2) * along
        M = np.float32([[-dy, dx, x0 + mx + half * dy - 0.5 * rows * dx],
                        [dx, dy, y0 + my - half * dx - 0.5 * rows * dy]])
        s = cv2.warpAffine(image, M, (2 * half + 1, rows), borderMode=border,
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        return s.astype(np.float32).mean(axis=0)
    x0, y0 = int(box[0]), int(box[1])
    gp = profile(g, x0, y0, cv2.BORDER_REPLICATE)
    cp = None if colour is None else profile(colour, x0, y0, cv2.BORDER_REPLICATE)
    return gp, cp, profile(others, 0, 0, cv2.BORDER_CONSTANT), half, length, width


def _spread(depth: np.ndarray, j: int) -> int:
    """How wide a valley of ``depth`` about its bottom ``j`` is at half its depth."""
    low = depth < 0.5 * depth[j]
    left = low[:j][::-1].argmax() if low[:j].any() else j
    right = low[j + 1:].argmax() if low[j + 1:].any() else depth.size - 1 - j
    return int(left + right + 1)


def _alike(p, cp, i: int, j: int, ref) -> bool:
    """Whether points ``i`` and ``j`` of a profile are one surface, that of ``ref`` (the
    colours beside the piece's own line) when there is colour."""
    if abs(p[i] - p[j]) > DIFFER * max(p[i], p[j], 1.0):
        return False
    if cp is None:
        return True
    ci, cj = chroma(cp[i]), chroma(cp[j])
    if float(np.abs(ci - cj).max()) > HUES:
        return False
    return float(np.abs(ref - ci[None]).max(axis=1).min()) <= HUES


def side_by_side(ink: np.ndarray, box, own: np.ndarray, g: np.ndarray,
                 colour: np.ndarray | None) -> str:
    """Why a candidate is no pen's digit ('' if it may be one): its largest piece ``own``
    (0/1 on its ``ink`` crop at ``box`` of the gray working image ``g``; ``colour`` BGR
    or None) is one straight line with another like it beside it (see the module)."""
    got = _strip(own, ink, box, g, colour)
    if got is None:
        return ""
    p, cp, op, half, length, width = got
    k = int(2.0 * width + 2.0)                          # a valley's shoulders: this far
    closed = cv2.morphologyEx(p[None, :], cv2.MORPH_CLOSE, np.ones((1, 2 * k + 1), np.uint8))
    depth = closed[0] - p                               # how far below both shoulders
    w = int(width + 1)
    bottom = max(half - w, 0) + int(depth[max(half - w, 0):half + w + 1].argmax())
    own_depth = float(depth[bottom])
    if own_depth <= 0:
        return ""
    ref = None if cp is None else chroma(cp[[max(half - w - 2, 0), min(half + w + 2, p.size - 1)]])
    near = max(int(APART * length), 2 * k)
    # other ink of the candidate is its own (a '4's other stroke), not another line
    busy = cv2.dilate(np.uint8(op > 0.05)[None, :], np.ones((1, 2 * w + 1), np.uint8))[0] > 0
    own_width = _spread(depth, bottom)
    for j in np.flatnonzero(depth >= LIKE * own_depth):
        if abs(j - half) < near or j <= k or j >= p.size - 1 - k or busy[j] \
                or depth[j] < depth[j - 1] or depth[j] < depth[j + 1]:
            continue
        if _spread(depth, j) > WIDER * own_width + 2:
            continue                                    # a broad shade, no line
        lo = j - k + int(p[j - k:j].argmax())               # its shoulders
        hi = j + 1 + int(p[j + 1:j + k + 1].argmax())
        if _alike(p, cp, lo, hi, ref):
            return "no digit (like lines side by side: fingers' seams or slats, not a pen's '1')"
    return ""
