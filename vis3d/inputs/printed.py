"""Print beside a sheet: the dense clusters of small dark pieces that a page of text, a poster
or a label shows (camera input), told from the few pieces of a faint written digit.

A sheet's outline found in a frame may take in the corner of a printed thing behind it (a
poster, a page, a box's label) that is as bright as the paper. Its print is dozens of small
marks packed a few pixels apart; a faint ballpoint digit on the sheet, seen in pieces where
the pen skipped, is a few pieces spread over the digit's size. The faint-ink search
(:mod:`vis3d.inputs.faint`) refuses busy paper by the count of its seed pieces; print in a
corner of the region should not make it refuse the digit elsewhere on the sheet. Numpy and
OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

GAP = 9               # working pixels: pieces closer than about this lie in one cluster
CROWD = 5             # a cluster of more pieces than this is print (a faint digit: a few)


def crowded(labels: np.ndarray, big: np.ndarray, busy: int) -> np.ndarray:
    """Which pieces (bool per label, like ``big``) lie in a cluster of more than CROWD
    ``big`` pieces, each within about GAP pixels of the next: print, not writing; none
    unless there are more than ``busy`` pieces in all (the paper looks busy: is it print?).
    ``labels``: the seeds' connected components, ``big`` (bool per label) those that count."""
    out = np.zeros_like(big)
    if np.count_nonzero(big) <= busy:
        return out
    pieces = np.where(big, 255, 0).astype(np.uint8)[labels]
    near = cv2.dilate(pieces, np.ones((GAP, GAP), np.uint8))
    n, groups = cv2.connectedComponents(near, connectivity=8, ltype=cv2.CV_16U)
    # the cluster of each big piece: the group its pixels lie in (all of them lie in one)
    on = pieces > 0
    first = np.zeros(len(big), np.int64)
    first[labels[on]] = groups[on]
    count = np.bincount(first[big], minlength=n)
    out[big] = count[first[big]] > CROWD
    return out
