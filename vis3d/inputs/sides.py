"""A pen's stroke or the edge of a thing: the camera pipeline's two-sided test.

A stroke written on paper is a valley: paper of about the same brightness lies on both sides
of it, close by, across the stroke. The edge of a thing (a sheet against the room, a finger,
a book, a poster) is a step: lit paper on one side, the darker room, skin or a shadow on the
other; the ink mask holds a thin dark line along it where the paper's estimate (a closing,
blurred) spills over the step. Across each stroke, at its centre line, the brightness is
sampled a little beyond the stroke on both sides (along the normal from the structure tensor
of the component's mask): a valley is darker than both sides, a step only than one.
Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

SAMPLES = 6           # fewer centre-line samples with both sides off ink: no verdict
DIFFER = 0.12         # sides this much apart (of the brighter) are two things, not one paper
HUES = 0.03           # ... or this far apart in chromaticity (the largest of b, g, r shares)
                      # (a pen's digit on a sheet or a note: 0.022 at most, 0.003 typically;
                      # a poster's or a box's outline, a note's edge: 0.04-0.12)
NEAR = 3.0            # samples lie this many pixels past a stroke's edge at most (a marker's wide
                      # strokes: light falling off across a desk must not part its two sides)

_SQ3 = np.ones((3, 3), np.uint8)


def chroma(c: np.ndarray) -> np.ndarray:
    """The chromaticity (b, g, r shares) of BGR values (last axis), float32; offset so that
    dark pixels' noise does not swing their shares."""
    c = c.astype(np.float32) + 8.0
    return c / c.sum(axis=-1, keepdims=True)


def across(g: np.ndarray, own: np.ndarray, ink: np.ndarray, width: float):
    """The brightness across a component's strokes at its centre line -> (centre, one side,
    other side), float32 arrays (empty when too few samples). ``g``: the gray crop around the
    component (its box grown by at least 2 stroke widths + 2 pixels, else the samples off the
    crop are dropped); ``own``: its mask there (0/non-zero); ``ink``: all ink there (samples
    landing on any ink are dropped: a crossing stroke, the digit's other parts); ``width``:
    its stroke width in pixels."""
    (ys, xs), (ay, ax), (by, bx) = places(own, ink, width)
    gf = g.astype(np.float32)
    return gf[ys, xs], gf[ay, ax], gf[by, bx]


def places(own: np.ndarray, ink: np.ndarray, width: float):
    """Where :func:`across` samples -> ((ys, xs) on the centre line, (ys, xs) on one side,
    (ys, xs) on the other), int64 arrays, the sides off all ink (as :func:`across`)."""
    own = own.view(np.uint8) if own.dtype == bool else np.uint8(own > 0)   # 0/1
    h, w = own.shape
    dist = cv2.distanceTransform(own, cv2.DIST_L2, 3)
    # the centre line: pixels that are a local maximum of the distance to the paper
    ridge = (dist > 0) & (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)))
    ys, xs = np.nonzero(ridge)
    if ys.size < SAMPLES:
        none = np.empty(0, np.int64)
        return (none, none), (none, none), (none, none)
    if ys.size > 400:                 # enough for a verdict: a spread subset
        pick = np.linspace(0, ys.size - 1, 400).astype(np.int64)
        ys, xs = ys[pick], xs[pick]
    # the stroke's direction: the structure tensor of its (softened) mask, over about a
    # stroke's width (at most a ballpoint's: a marker's wide strokes need no more, and
    # wider blurs cost more); its main axis is across the stroke. Worked out at half the
    # size (the mask averaged over 2x2, the blurs halved; the crop's margin holds no ink):
    # a third of the time, the same directions within 1-3 degrees
    s = 0.5 * min(max(1.0, 0.5 * width), 2.0)
    small = cv2.resize(own[:h & ~1, :w & ~1].astype(np.float32), (w // 2, h // 2),
                       interpolation=cv2.INTER_AREA)
    soft = cv2.GaussianBlur(small, (0, 0), s)
    gx = cv2.Sobel(soft, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(soft, cv2.CV_32F, 0, 1, ksize=3)
    j = cv2.GaussianBlur(cv2.merge((gx * gx, gx * gy, gy * gy)), (0, 0), 1.5 * s)
    j = j[np.minimum(ys // 2, j.shape[0] - 1), np.minimum(xs // 2, j.shape[1] - 1)]
    theta = 0.5 * np.arctan2(2.0 * j[:, 1], j[:, 0] - j[:, 2])
    nx, ny = np.cos(theta), np.sin(theta)
    reach = dist[ys, xs] + min(max(2.0, float(width)), NEAR)   # past its edge, close by
    ax, ay = np.rint(xs + reach * nx).astype(np.int64), np.rint(ys + reach * ny).astype(np.int64)
    bx, by = np.rint(xs - reach * nx).astype(np.int64), np.rint(ys - reach * ny).astype(np.int64)
    inside = ((ax >= 0) & (ax < w) & (ay >= 0) & (ay < h)
              & (bx >= 0) & (bx < w) & (by >= 0) & (by < h))
    ys, xs, ax, ay, bx, by = ys[inside], xs[inside], ax[inside], ay[inside], bx[inside], by[inside]
    near = cv2.dilate(ink if ink.dtype == np.uint8 else np.uint8(ink > 0), _SQ3)  # (0: none)
    off = (near[ay, ax] == 0) & (near[by, bx] == 0)
    return (ys[off], xs[off]), (ay[off], ax[off]), (by[off], bx[off])


def step_share(centre: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """The share of the samples across a component (of those darker than the brighter side by
    some margin) where it is no valley in one paper: hardly darker than the other side (under
    half as much: a step), or between sides of two brightnesses (DIFFER apart: two things,
    as a poster's outline between the poster and the wall). NaN with too few samples."""
    if centre.size < SAMPLES:
        return float("nan")
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    one = hi - centre                 # how much darker than the brighter side
    both = lo - centre                # ... than the darker side too
    deep = one > 0.08 * np.maximum(hi, 1.0)
    if np.count_nonzero(deep) < SAMPLES:
        return float("nan")
    step = (both < 0.5 * one) | (hi - lo > DIFFER * np.maximum(hi, 1.0))
    return float(np.count_nonzero(step[deep])) / float(np.count_nonzero(deep))


def two_sided(g: np.ndarray, mask: np.ndarray, labels: np.ndarray, i: int, box,
              width: float) -> float:
    """The step share (:func:`step_share`) of component ``i`` of ``labels`` (its ``box``
    x, y, w, h; ``mask`` all ink, ``g`` the gray image; ``width`` its stroke width), looked
    at on its box grown by the samples' reach."""
    h, w = g.shape
    x, y, bw, bh = (int(v) for v in box)
    m = int(2.0 * width) + 4
    x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + bw + m), min(h, y + bh + m)
    return step_share(*across(g[y0:y1, x0:x1], labels[y0:y1, x0:x1] == i,
                              mask[y0:y1, x0:x1], width))
