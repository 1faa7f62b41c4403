"""How far paper that nearly fills the frame reaches (the camera pipeline's "fills" case).

A sheet held close may cover most of the picture and leave a strip of the room at a side. In
a lit room that strip may be as bright as the paper (a webcam's gamma brings white paper to
within 1.3x of a light wall), so the brightness alone does not tell them apart; but paper is
one even colour up to its cut edge, and the room beyond it is not the same colour or lies
across a step. At a quarter of the working size (ink, ruled and dotted lines closed away), in
CIELAB: the pixels where colour hardly changes, cut along sharp edges into pieces; the
largest piece, grown back over its cut rim, its convex hull, is the paper when it covers most
but not all of the frame and is brighter than the rest. The same piece when it covers less of
the frame is a sheet held up in a room as light as it. Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs.stats import median

EVEN = 3.0         # Lab units per low-res pixel: below, the colour hardly changes
MOST = 0.45        # the paper's piece covers at least this share of the frame ...
ALL = 0.985        # ... and less than this (more: the paper fills it all)
HELD = 0.8         # a piece under this share: a sheet held up ...
SHEET = 0.12       # ... covering at least this share
STEP = 6.0         # median Lab step along the piece's inner outline: a cut edge, not shading


def _gradient(lab: np.ndarray) -> np.ndarray:
    """The largest of the channels' steps per pixel (3x3 Sobel / 8)."""
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    mag = cv2.magnitude(gx.reshape(-1), gy.reshape(-1)).reshape(lab.shape)
    return np.maximum(np.maximum(mag[..., 0], mag[..., 1]), mag[..., 2])


def colour_steps(colour: np.ndarray | None, size: tuple[int, int]):
    """(Lab image, its gradient: the largest channel's step per pixel) of the BGR working
    image at ``size`` (w, h), ink closed away; None for a gray frame."""
    if colour is None:
        return None
    low = cv2.resize(colour, size, interpolation=cv2.INTER_AREA)
    low = cv2.morphologyEx(low, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))   # ink away
    lab = cv2.cvtColor(low, cv2.COLOR_BGR2LAB).astype(np.float32)
    return lab, _gradient(lab)


def even_pieces(grad: np.ndarray, even: float):
    """The pieces of a low-res image where colour hardly changes (``grad`` under ``even``),
    cut apart along sharp steps and thin bridges, largest first: (its area, the 0/255 piece
    grown back over its cut rim, its largest outer contour)."""
    core = np.uint8(grad < even) * 255
    core = cv2.erode(core, np.ones((3, 3), np.uint8))       # cut thin bridges between pieces
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=4)
    for i in 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA], kind="stable"):
        piece = cv2.dilate(np.uint8(labels == i) * 255, np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        yield int(stats[i, cv2.CC_STAT_AREA]), piece, max(contours, key=cv2.contourArea)


def paper_extent(steps, most: float = MOST) -> np.ndarray | None:
    """A 0/255 mask of the paper filling most of the working image (``steps``: its
    :func:`colour_steps`), its room strip left out, or None when there is none to leave out
    (the paper fills it all, or no piece of even colour covers ``most`` of it)."""
    if steps is None:
        return None
    lab, grad = steps
    largest = next(even_pieces(grad, EVEN), None)
    if largest is None:
        return None
    _, piece, contour = largest
    # a sheet is convex: its hull takes back the bites that ink or a shade near the
    # frame's border took out of the piece, and stops at its straight cut edge
    filled = np.zeros_like(piece)
    cv2.fillConvexPoly(filled, cv2.convexHull(contour), 255)
    share = np.count_nonzero(filled) / filled.size
    if not most <= share < ALL:
        return None
    # paper is the brightest thing there (the room strip is not brighter than it: a lit
    # wall with a sheet on it is no paper filling the frame)
    if median(lab[..., 0][filled > 0]) < median(lab[..., 0][filled == 0]):
        return None
    h, w = filled.shape
    pts = contour[:, 0, :]
    inner = (pts[:, 0] > 1) & (pts[:, 0] < w - 2) & (pts[:, 1] > 1) & (pts[:, 1] < h - 2)
    if inner.sum() < 8:
        return None
    # the step just outside the outline: the paper's cut edge, not a soft shade
    ring = cv2.dilate(filled, np.ones((5, 5), np.uint8)) - filled
    if median(grad[ring > 0]) < STEP:
        return None
    return filled
