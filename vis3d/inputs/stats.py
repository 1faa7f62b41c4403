"""numpy's median and percentile of small arrays without numpy's per-call overhead.

The camera pipeline takes a dozen medians and percentiles of a few thousand values per frame;
``np.median`` and ``np.percentile`` spend most of their 15-45 us in Python around one
partition. These give the same values, bit for bit (numpy's linear interpolation and its
dtypes, checked against numpy in tests/test_webcam_crop.py), of a NaN-free array (any
shape, read as flat). Numpy only.
"""

from __future__ import annotations

import numpy as np


def median(a: np.ndarray) -> float:
    """``float(np.median(a))`` of a non-empty NaN-free array."""
    a = np.asarray(a).ravel()
    n = a.size
    if n == 0:
        return float("nan")
    half = n // 2
    if n % 2:
        return float(np.partition(a, half)[half])
    part = np.partition(a, (half - 1, half))
    lo, hi = part[half - 1], part[half]
    if a.dtype.kind == "f":           # numpy's mean of the two, in the array's precision
        return float((lo + hi) / 2)
    return (float(lo) + float(hi)) / 2.0


def percentile(a: np.ndarray, q, weak: bool = True) -> float:
    """``float(np.percentile(a, q))`` (linear interpolation) of a non-empty NaN-free array,
    for ``q`` a number (``weak``) or one of a tuple of them (``weak=False``: numpy then
    interpolates in float64). Several of one array: :func:`percentiles`."""
    return float(percentiles(a, (q,), weak)[0])


def percentiles(a: np.ndarray, qs, weak: bool = False) -> list:
    """``np.percentile(a, qs)`` for a tuple ``qs`` (one partition for all of them): numpy
    floats, float64 as numpy's (a float32 array less one of them stays float64)."""
    a = np.asarray(a).ravel()
    n = a.size
    spots = []
    for q in qs:
        f = np.true_divide(q, 100)
        v = (n - 1) * f               # numpy's virtual index (linear: Hyndman & Fan's 7th)
        lo = int(np.floor(v))
        if v >= n - 1:
            lo = hi = n - 1
        elif v < 0:
            lo = hi = 0
        else:
            hi = lo + 1
        spots.append((lo, hi, v - np.floor(v)))
    part = np.partition(a, sorted({k for lo, hi, _ in spots for k in (lo, hi)}))
    out = []
    for lo, hi, gamma in spots:
        x, y = part[lo], part[hi]
        t = float(gamma) if weak else np.float64(gamma)
        diff = y - x
        r = x + diff * t
        if t >= 0.5:
            r = (y - diff * (1 - t)).astype(np.result_type(r))
        out.append(np.float64(r))
    return out
