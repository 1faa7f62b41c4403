"""Sheets found by their colour rather than their brightness (the camera pipeline's fallback).

A sticky note, or a sheet in a room as bright as it, does not stand out as the brightest
thing in view, but it is one even colour bounded by sharp edges, about a quadrilateral. At
a quarter of the working size (ink is then a faint line, closed away), in CIELAB: the pixels
where colour hardly changes, cut along sharp edges into pieces; a piece of sheet size that
nearly fills its rotated bounding box, with nothing inside it (no furniture: a wall's
piece has holes), of one colour, and not a light, is a candidate sheet. Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs.extent import colour_steps, even_pieces

EVEN = 6.0         # Lab units per low-res pixel: below, the colour hardly changes
STRICT = 4.0       # ... or, when no sheet is found so, below this (see find_patches)
MIN_AREA = 0.03    # a candidate covers at least this share of the frame ...
MAX_AREA = 0.6    # ... and at most this (more is the wall, or paper filling the frame)
SQUARE = 0.72      # its area over its rotated bounding box's: about a quadrilateral
SOLID = 0.85       # the piece fills this much of its outline (ink is closed away at low res)
SPREAD = 9.0       # the colour's spread (Lab units) within a sheet
SAME = 1.5         # a sheet tried already at most this many times a piece's area was that piece


def find_patches(colour: np.ndarray, size: tuple[int, int], skip: list | None = None,
                 limit: int = 3, steps=None) -> list:
    """[(outline, corners (4, 2))] in low-res pixels (``size`` = (w, h)) of even-coloured
    quadrilaterals in the BGR working image, largest first; ``skip``: the low-res masks of
    the sheets tried already (pieces read so are left out, :func:`_tried`); ``steps``: the
    image's extent.colour_steps at ``size`` when the caller has them already.
    A note's edge against a room of about its colour (orange on beige, pink on a pink wall)
    may fade to a step under EVEN somewhere along it, and the note's piece then runs out
    into the room; but a note is flat colour and the room is not (its texture, its shading
    steps a few Lab units a pixel): when no piece is a sheet at EVEN, the pieces under
    STRICT, where the room falls apart and the note stays whole, are looked at."""
    lab, grad = steps if steps is not None else colour_steps(colour, size)
    total = grad.size
    out: list = []
    found = False
    for even in (EVEN, STRICT):
        if found:
            break
        for size, piece, contour in even_pieces(grad, even):
            if len(out) >= limit or size < 0.5 * MIN_AREA * total:
                break
            area = cv2.contourArea(contour)
            if not MIN_AREA * total <= area <= MAX_AREA * total:
                continue
            if np.count_nonzero(piece) < SOLID * area:
                continue          # things inside it: a wall around furniture, not a sheet
            rect = cv2.minAreaRect(contour)
            if area < SQUARE * max(rect[1][0] * rect[1][1], 1.0):
                continue
            inside = lab[piece > 0]
            if float(inside[:, 1:].std(axis=0).max()) > SPREAD or float(inside[:, 0].mean()) > 250:
                continue          # many colours (a room's corner), or a blown-out light
            found = True
            if skip is not None and _tried(piece, skip):
                continue          # read already, as a sheet
            # its outline out to its edge: the piece stops a pixel short of it (the 3x3
            # steps' reach), where a digit filling the note comes close to its edge
            grown = cv2.dilate(piece, np.ones((3, 3), np.uint8))
            contour = max(cv2.findContours(grown, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0],
                          key=cv2.contourArea)
            out.append((contour[:, 0, :].astype(np.float32), np.float32(cv2.boxPoints(rect))))
    return out


def _tried(piece: np.ndarray, skip: list) -> bool:
    """Whether a piece (0/255, low-res) was read already as one of the sheets in ``skip``
    (their low-res masks): it lies mostly inside one not much larger than it (SAME). A sheet
    far larger took in more than the note (a window or a poster it touches, the room beside
    it): its outline is not the note's."""
    inside = piece > 0
    own = np.count_nonzero(inside)
    return any(np.count_nonzero(mask[inside]) > 0.5 * own and np.count_nonzero(mask) <= SAME * own
               for mask in skip)
