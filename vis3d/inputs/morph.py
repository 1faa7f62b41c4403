"""Erosion and dilation of 8-bit images by long rectangular windows, fast; and the pieces of a
mask that hold a seed (:func:`grown`, the hysteresis of the ink masks).

OpenCV's erode/dilate pass over the image about once per two rows of a long kernel (a
72-row column: 60 us on a 217x191 crop); here a window of L values is two overlapping
windows of a power of two, each built by doubling (van Herk / Gil-Werman's idea in its
simplest form), log2(L) + 1 numpy passes (15 us). The values are OpenCV's, bit for bit:
the same windows (OpenCV's default anchor, the kernel's centre) and the same border (a
constant, by default the one that changes nothing, or the edge replicated), checked against
cv2 in tests/test_webcam_crop.py. Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np


def _along(p: np.ndarray, length: int, n: int, axis: int, op) -> np.ndarray:
    """``op`` (np.minimum or np.maximum) over each ``length`` consecutive entries along
    ``axis`` of ``p`` (n + length - 1 long there) -> n long."""
    def part(a, lo, hi):
        return a[lo:hi] if axis == 0 else a[:, lo:hi]
    span = 1
    while 2 * span <= length:
        m = p.shape[axis]
        p = op(part(p, 0, m - span), part(p, span, m))   # each: the extreme of 2 * span
        span *= 2
    return op(part(p, 0, n), part(p, length - span, length - span + n))


def _rect(src: np.ndarray, size, op, border: int, value: int) -> np.ndarray:
    kw, kh = size
    ax, ay = kw // 2, kh // 2                                # OpenCV's default anchor
    p = cv2.copyMakeBorder(src, ay, kh - 1 - ay, ax, kw - 1 - ax, border, value=value)
    h, w = src.shape[:2]
    if kh > 1:
        p = _along(p, kh, h, 0, op)
    if kw > 1:       # along the rows: down the columns of the transposed (contiguous) image
        p = cv2.transpose(_along(cv2.transpose(np.ascontiguousarray(p)), kw, w, 0, op))
    return np.ascontiguousarray(p)


def erode(src: np.ndarray, size, border: int = cv2.BORDER_CONSTANT, value: int = 255):
    """``cv2.erode(src, np.ones((kh, kw), np.uint8), borderType=border, borderValue=value)``
    of an 8-bit image, ``size`` = (kw, kh) as OpenCV gives sizes."""
    return _rect(src, size, np.minimum, border, value)


def dilate(src: np.ndarray, size, border: int = cv2.BORDER_CONSTANT, value: int = 0):
    """``cv2.dilate(src, np.ones((kh, kw), np.uint8), borderType=border, borderValue=value)``
    of an 8-bit image, ``size`` = (kw, kh)."""
    return _rect(src, size, np.maximum, border, value)


def nonzero_u8(mask: np.ndarray) -> np.ndarray:
    """An 8-bit image non-zero where ``mask`` is: an 8-bit mask itself, a boolean one seen as
    8-bit (no copy), else ``np.uint8(mask > 0)`` (for filters and counts that only tell
    zero from non-zero)."""
    if mask.dtype == np.uint8:
        return mask
    return mask.view(np.uint8) if mask.dtype == bool else np.uint8(mask > 0)


def painted(lut: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``lut[labels]`` (8-bit ``lut``, one entry per label): a table look-up on 8-bit labels
    when there are at most 256 (4x faster than numpy's indexing), else numpy's."""
    if lut.size > 256:
        return np.take(lut, labels)
    table = np.zeros(256, np.uint8)
    table[:lut.size] = lut
    return cv2.LUT(labels.astype(np.uint8), table)


def grown(weak: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """0/255: the 8-connected pieces of ``weak`` (non-zero) that hold a pixel of ``seed``
    (a boolean or 0/non-zero mask inside ``weak``): a hysteresis threshold's mask."""
    # (boolean masks, as the usual ink mask's, are read as they are: 1/3 less time)
    n, labels = cv2.connectedComponents(nonzero_u8(weak), connectivity=8, ltype=cv2.CV_16U)
    hit = np.zeros(n, np.uint8)
    hit[labels[seed if seed.dtype == bool else seed > 0]] = 255
    hit[0] = 0
    return painted(hit, labels)
