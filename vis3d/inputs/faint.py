"""Faint ink: pen strokes barely darker than their paper, found by the frame's own noise.

A webcam's gamma compresses contrast and a ballpoint leaves ink in places: in a dim room real
strokes are often only 0.1-0.2 darker than their paper (1 - image / paper), under the usual
floor (0.2 at least) that keeps texture, shading and JPEG blocks out. Where the paper itself
is quiet, a lower floor tells them apart as well. What counts as a faint stroke:

* stroke-shaped darkness only: the darkness less its opening with a square wider than a
  ballpoint's stroke as a webcam shows it (a top-hat; a dim room's soft focus and the JPEG
  spread a pen's line over 5-6 working pixels, whose core a narrower square would keep as
  "broad" and so lose), so broad shades (a shadow, a finger, the room) give nothing;
* above a floor from the paper's own structure: ABOVE times the top-hat's 90th percentile
  over the region (noise, texture and what the line removal left of ruled lines cover far
  more than a tenth of a sheet, a digit's strokes far less), never under FLOOR;
* seeded on even paper: no broad darkness near the seed (a sheet's shaded edge, the room
  between fingers, the edge of a thing on the paper), no speck, not lying along a ruled
  line that was taken out; and not on busy paper (more than BUSY seed pieces: print, a
  pattern, texture);
* grown from its seed by hysteresis through stroke-shaped darkness down to JOIN of the floor,
  never through the strokes found at the usual floor (a faint stretch does not carry a
  stroke on to a thing beside it) nor along a ruled line away from the seed;
* no straight line across most of the sheet (LINE): what the line removal left of a
  margin or a rule wider than its thin lines, or a fold; a written digit is smaller;
* somewhere at least LEVELS gray levels darker than its paper: on dark paper (a wall taken
  for a sheet in a dim room) a small share of its brightness is a few levels, what JPEG's
  blocks and the sensor leave beside the edge of a thing (a book's spine on a dark wall).
Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs.morph import grown
from vis3d.inputs.printed import crowded

FLOOR = 0.08          # no faint floor under this darkness (a visible pencil/ballpoint mark)
ABOVE = 3.0           # ... and at least this many times the top-hat's 90th percentile
OPEN = 7              # the top-hat's square (working pixels): wider than a ballpoint's stroke
NEAR = 7              # broad darkness within this square of a seed ...
CLEAN = 0.5           # ... under this share of the faint floor: the seed lies on even paper
SPECK = 6             # seed pieces smaller than this (pixels) start nothing
BUSY = 10             # more seed pieces than this: a print, a pattern, texture
JOIN = 0.55           # hysteresis: faint stretches down to this share of the floor join a seed
LINE = 0.7            # a straight faint piece this long (share of the region's box's shorter
STRAIGHT = 0.1        # side), no wider across than this share of its length: a line, no stroke
LEVELS = 8.0          # a faint piece takes at least this many gray levels from its paper somewhere

_OPEN_K = np.ones((OPEN, OPEN), np.uint8)      # (kernels made once)
_NEAR_K = np.ones((NEAR, NEAR), np.uint8)
_SEED_K = np.ones((5, 5), np.uint8)


def faint_mask(dark8: np.ndarray, region: np.ndarray, t: float, mask: np.ndarray,
               lines: np.ndarray | None = None,
               paper: np.ndarray | None = None) -> tuple[np.ndarray | None, float]:
    """(0/255 mask: ``mask``, the strokes at the usual floor ``t``, with the faint strokes
    added; their floor) in ``region`` of a darkness image (uint8, 255 = 1, zero outside the
    region, ruled lines already taken out: ``lines``, what was taken out, or None; ``paper``:
    the paper's brightness there (float32 gray levels), for :data:`LEVELS`, or None);
    (None, t) when the paper allows no lower floor (busy or noisy paper, nothing faint)."""
    opened = cv2.morphologyEx(dark8, cv2.MORPH_OPEN, _OPEN_K)
    thin = cv2.subtract(dark8, opened)
    hist = cv2.calcHist([thin[::2, ::2]], [0], region[::2, ::2], [256], [0, 256]).ravel()
    if hist.sum() < 100:
        return None, t
    p90 = int(np.searchsorted(np.cumsum(hist), 0.9 * hist.sum()))
    floor = max(FLOOR, ABOVE * p90 / 255.0)
    if floor >= t:
        return None, t
    f8 = int(floor * 255.0)
    free = cv2.bitwise_not(mask)                  # not a stroke found at the usual floor
    even = cv2.threshold(cv2.dilate(opened, _NEAR_K),
                         CLEAN * f8 - 1, 255, cv2.THRESH_BINARY_INV)[1]
    seed = cv2.threshold(thin, f8, 255, cv2.THRESH_BINARY)[1] & free & even
    x, y, bw, bh = cv2.boundingRect(seed)
    if bw == 0:
        return None, t
    box = np.s_[y:y + bh, x:x + bw]               # the seeds' pieces on their box only
    n, labels, stats, _ = cv2.connectedComponentsWithStats(seed[box], connectivity=8,
                                                           ltype=cv2.CV_16U)
    big = stats[:, cv2.CC_STAT_AREA] >= SPECK
    ruled = None
    if lines is not None:
        # what is left of a ruled line the line removal took out is no stroke
        ruled = cv2.threshold(lines, JOIN * f8, 255, cv2.THRESH_BINARY)[1]
        on_lines = np.bincount(labels[ruled[box] > 0], minlength=n)
        big &= on_lines < 0.5 * stats[:, cv2.CC_STAT_AREA]
    big[0] = False
    big &= ~crowded(labels, big, BUSY)      # print beside the sheet (printed.py): not its paper
    if not big.any() or np.count_nonzero(big) > BUSY:
        return None, t
    seed[box] = np.where(big, 255, 0).astype(np.uint8)[labels]
    weak = cv2.threshold(thin, JOIN * f8, 255, cv2.THRESH_BINARY)[1] & free
    if ruled is not None:
        weak &= ~ruled | cv2.dilate(seed, _SEED_K)
    return cv2.max(_credible(grown(weak, seed), dark8, paper), mask), floor


def _credible(faint: np.ndarray, dark8: np.ndarray, paper: np.ndarray | None) -> np.ndarray:
    """The faint strokes (0/255) less their pieces that are no pen's: straight and as long as
    most of the region's box (:data:`LINE`: a margin, a rule or a fold running across the
    sheet), or nowhere :data:`LEVELS` gray levels darker than their ``paper``."""
    long = LINE * min(faint.shape)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8, ltype=cv2.CV_16U)
    drop = []
    if paper is not None and n > 1:
        deep = np.zeros(n, bool)
        deep[labels[(dark8 * paper >= LEVELS * 255.0) & (faint > 0)]] = True
        drop = [int(i) for i in np.flatnonzero(~deep[1:]) + 1]
    size = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    for i in np.flatnonzero(size >= long):
        if i == 0 or i in drop:
            continue
        x, y, bw, bh = stats[i, :4]
        pts = cv2.findNonZero(np.uint8(labels[y:y + bh, x:x + bw] == i))
        (_, _), (rw, rh), _ = cv2.minAreaRect(pts)
        if max(rw, rh) >= long and min(rw, rh) <= STRAIGHT * max(rw, rh):
            drop.append(i)
    if not drop:
        return faint
    lut = np.full(n, 255, np.uint8)
    lut[0] = 0
    lut[drop] = 0
    return lut[labels]
