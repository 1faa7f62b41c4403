"""A digit's strokes continued into the fainter stretches of the same strokes (camera input).

A ballpoint or a pencil leaves uneven ink, and a webcam's gamma, blur and dim light flatten
it further: one stroke of a digit (a 7's top bar, a 9's loop, one side of a 0) often comes out
at half the darkness of the rest, under the ink mask's floor, so the digit is read from the
part that is left (a 7 as a 1). Once the digit's strokes are chosen, their own darkness sets
a lower floor for what continues them: stroke-shaped darkness (a top-hat narrower than a
broad shade) above LOW of the digit's own ink and well above the paper's noise near it,
joined to the digit's strokes (hysteresis), within the digit's size of them; a piece of ink
the choice left out joins with the faint stretch that links it (a stroke broken where the
pen skipped). Only stretches of some length (LONG stroke widths: not the slivers along a
shape's rim or its tips, which would lengthen a leaf or a wedge of the room into a '1'),
never along a ruled line, nor up to the sheet's edge, nor wider than the digit's strokes,
nor more than twice the digit's ink. The stretches taken in are inked as
dark as the digit (the model knows evenly inked digits). Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs import morph
from vis3d.inputs.ink import stroke_width
from vis3d.inputs.stats import median

LOW = 0.35         # a stroke's faint stretch is at least this share of the digit's ink darkness
NOISE = 3.0        # ... and this many times the paper's stroke-shaped darkness near it (90th
                   # percentile of the top-hat: texture, noise, what is left of ruled lines)
REACH = 1.0        # ... and lies within this share of the digit's size of its box
WIDE = 2.5         # ... and is at most this many times as wide as the digit's strokes (+2 px)
LONG = 4.0         # a stretch taken in is at least about this many stroke widths long
MORE = 2.0         # at most this share of the digit's ink is added
GAIN = 3.0         # ... its darkness raised to the digit's, by at most this factor


def extended(keep: np.ndarray, mask: np.ndarray, dark: np.ndarray, region: np.ndarray,
             band: np.ndarray, t: float, lines: np.ndarray | None = None):
    """(``keep`` with the faint stretches that continue its strokes, ``dark`` with them as
    dark as the digit's strokes); both unchanged (the same arrays) when nothing continues
    them. ``mask``: all the ink found (0/255), ``dark``: the darkness image
    (float32, ruled lines taken out: ``lines``, 0/255 or None), ``region`` the paper (0/255),
    ``band`` its edge (0/255)."""
    x, y, bw, bh = cv2.boundingRect(keep)
    if bw == 0:
        return keep, dark
    level = median(dark[keep > 0])
    if LOW * level >= 0.55 * t:
        return keep, dark              # the usual hysteresis went as low already (dark ink)
    size = max(bw, bh)
    r = int(REACH * size) + 2
    h, w = keep.shape
    x0, y0, x1, y1 = max(0, x - r), max(0, y - r), min(w, x + bw + r), min(h, y + bh + r)
    part = np.s_[y0:y1, x0:x1]
    sub, kept = dark[part], keep[part]
    width = stroke_width(kept)
    k = int(WIDE * width) + 3
    dark8 = np.uint8(np.clip(sub * 255.0, 0, 255))
    thin = cv2.subtract(dark8, morph.dilate(morph.erode(dark8, (k, k)), (k, k)))   # (open)
    paper = cv2.bitwise_and(region[part], cv2.bitwise_not(
        cv2.dilate(mask[part], np.ones((5, 5), np.uint8))))
    hist = cv2.calcHist([thin], [0], paper, [256], [0, 256]).ravel()
    if hist.sum() < 50:
        return keep, dark
    noise = float(np.searchsorted(np.cumsum(hist), 0.9 * hist.sum()))
    low = max(LOW * level, NOISE * noise / 255.0)
    if low >= 0.55 * t:
        return keep, dark
    weak = (thin > low * 255.0) & (region[part] > 0)
    # other ink (a piece the choice left out) joins with the faint stretch linking it; the
    # added pieces are judged below. Never along a ruled line.
    weak |= cv2.subtract(mask[part], kept) > 0
    if lines is not None:
        weak &= lines[part] < low * 255.0
    weak = np.uint8(weak) * 255 | kept
    added = cv2.subtract(morph.grown(weak, kept), kept)
    if not added.any():
        return keep, dark
    n, labels, stats, _ = cv2.connectedComponentsWithStats(added, connectivity=8)
    ok = np.zeros(n, np.uint8)
    edge = np.bincount(labels[band[part] > 0], minlength=n)
    for i in range(1, n):
        if edge[i]:
            continue                   # up to the sheet's edge: the edge's shade, no stroke
        bx, by, bw_i, bh_i, area = stats[i, :5]
        if area < LONG * width * width:
            continue                   # a sliver along a stroke's edge or a tip: no stretch
        own = labels[by:by + bh_i, bx:bx + bw_i] == i
        if stroke_width(own) > WIDE * width + 2:
            continue                   # wider than the digit's pen: a shade, a thing's edge
        ok[i] = 255
    add = ok[labels]
    if not add.any() or cv2.countNonZero(add) > MORE * cv2.countNonZero(kept):
        return keep, dark
    out = keep.copy()
    out[part] = kept | add
    # the faint stretches inked as the rest: the model knows evenly inked digits
    gain = min(GAIN, level / max(median(sub[add > 0]), 1e-3))
    if gain > 1.0:
        ring = cv2.dilate(add, np.ones((3, 3), np.uint8)) & ~kept
        dark = dark.copy()
        dark[part][ring > 0] *= np.float32(gain)
    return out, dark
