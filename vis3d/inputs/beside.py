"""What lies beside a candidate digit's strokes: one paper, or the room's things (camera input).

A digit is written on one sheet: right beside its strokes, on both sides, lies the same paper,
the same colour however it is lit. A line in the room that the ink mask takes for a stroke
often lies between two things instead: the outline of a poster or a box on a wall of another
colour, a note's or a book's edge against the room, a book's spine between two others. Their
brightness may be the same (the gray test of :mod:`vis3d.inputs.sides` cannot tell), their
colour is not. Numpy and OpenCV only.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from vis3d.inputs.axes import straight
from vis3d.inputs.comb import side_by_side
from vis3d.inputs.ink import largest_piece, stroke_width
from vis3d.inputs.sides import DIFFER, HUES, SAMPLES, chroma, places
from vis3d.inputs.stats import median

VERDICT = 2 * SAMPLES   # fewer samples across a piece: no verdict (a stub)



REACH = 0.45    # the paper beside a piece is followed this far (share of its length) at most
RUN = 3         # ... until it changes for this many pixels on end (a rule, a grid line: fewer)
NARROW = 0.4    # a straight line with paper under this share of its length on both sides,
EVEN = 0.85     # ... as wide on each within this ratio, is a seam (fingers' gaps: 0.22-0.37
                # and 0.9-1; a pen's '1', held, on a note, on ruled or squared paper: one side
                # 0.37 and more, or the sides 0.75 apart at most)


class Piece:
    """A candidate's largest piece and where its sides are sampled, in the working image's
    pixels: ``own`` (0/1) on the candidate's crop at ``box`` (x0, y0, ...); ``centre``,
    ``side_a``, ``side_b``: (ys, xs) as :func:`vis3d.inputs.sides.places` gives them (across
    its strokes, past any of the candidate's ink); ``length`` its rotated box's long side.
    ``own``: :func:`vis3d.inputs.ink.largest_piece` of ``ink`` when the caller has it."""

    def __init__(self, ink: np.ndarray, box, shape, own=False):
        strokes = np.uint8(np.asarray(ink) > 0.3)
        self.own = largest_piece(ink) if own is False else own
        if self.own is None:
            return
        width = stroke_width(self.own)
        h, w = shape[:2]
        x0, y0, x1, y1 = (int(v) for v in box)
        m = int(2.0 * width) + 4            # (past the samples' reach)
        cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        at = np.s_[y0 - cy0:y0 - cy0 + strokes.shape[0], x0 - cx0:x0 - cx0 + strokes.shape[1]]
        grown, every = (np.zeros((cy1 - cy0, cx1 - cx0), np.uint8) for _ in range(2))
        grown[at], every[at] = self.own, strokes
        found = places(grown, every, width)
        self.centre, self.side_a, self.side_b = ((ys + cy0, xs + cx0) for ys, xs in found)

    @functools.cached_property
    def length(self) -> float:      # (asked for only by a straight piece's test: made then)
        return max(max(cv2.minAreaRect(cv2.findNonZero(self.own))[1]), 1.0)

    @property
    def samples(self) -> int:
        return 0 if self.own is None else int(self.centre[0].size)


def hue_step(piece: Piece, colour: np.ndarray) -> float:
    """The median difference in chromaticity (the largest of its b, g, r shares) between the
    two sides of a piece's strokes in the BGR working image ``colour``; NaN under VERDICT
    samples."""
    if piece.samples < VERDICT:
        return float("nan")
    a, b = colour[piece.side_a], colour[piece.side_b]
    return median(np.abs(chroma(a) - chroma(b)).max(axis=1))


def two_things(piece: Piece, colour: np.ndarray | None) -> str:
    """Why a candidate is no pen's digit ('' if it may be one): its largest ``piece``'s two
    sides are of two colours, the boundary between two things (a lesser piece may be: a
    note's edge beside the digit, read as it comes, or left out by the model's other
    readings). Nothing to tell on a gray frame."""
    if colour is not None and hue_step(piece, colour) > HUES:     # (NaN: no verdict)
        return "no digit (the boundary between two things of different colours, not ink)"
    return ""


def open_sides(piece: Piece, g: np.ndarray, colour: np.ndarray | None) -> tuple[float, float]:
    """How far the paper beside a piece's strokes reaches on each side, as shares of its
    length (at most REACH): across the strokes, from just past them, outward until the
    brightness (DIFFER) or the colour (HUES) is no longer that of the paper right beside the
    stroke for RUN pixels on end (a rule or a grid line crossed is no end of it); the medians
    over the centre line of the farther and of the nearer side. NaN under VERDICT samples.
    ``g``: the gray working image, ``colour`` the BGR one (or None)."""
    steps = int(REACH * piece.length) + 1
    if piece.samples < VERDICT or steps <= RUN:
        return float("nan"), float("nan")
    h, w = g.shape
    ys, xs = piece.centre
    t = np.arange(1, steps, dtype=np.float32)[:, None]          # (steps along, samples)
    far = []
    for sy, sx in (piece.side_a, piece.side_b):
        dy, dx = (sy - ys).astype(np.float32), (sx - xs).astype(np.float32)
        norm = np.maximum(np.hypot(dx, dy), 1e-6)
        py = np.rint(sy + t * (dy / norm)).astype(np.int64)
        px = np.rint(sx + t * (dx / norm)).astype(np.int64)
        inside = (py >= 0) & (py < h) & (px >= 0) & (px < w)
        py, px = np.clip(py, 0, h - 1), np.clip(px, 0, w - 1)
        ref = g[sy, sx].astype(np.float32)
        stop = np.abs(g[py, px].astype(np.float32) - ref) > DIFFER * np.maximum(ref, 1.0)
        if colour is not None:
            stop |= np.abs(chroma(colour[py, px]) - chroma(colour[sy, sx])).max(axis=2) > HUES
        ends = stop[:stop.shape[0] - RUN + 1].copy()       # a change RUN pixels on end
        for k in range(1, RUN):
            ends &= stop[k:stop.shape[0] - RUN + 1 + k]
        never = ends.shape[0] + 1
        first_end = np.where(ends.any(axis=0), ends.argmax(axis=0), never)
        first_off = np.where(~inside.all(axis=0), (~inside).argmax(axis=0), never)
        # off the frame first: no end seen, as open as it gets
        far.append(np.where(first_end + RUN - 1 < first_off, first_end + 1,
                            steps).astype(np.float32))
    return (median(np.maximum(far[0], far[1])) / piece.length,
            median(np.minimum(far[0], far[1])) / piece.length)


def a_seam(piece: Piece, g: np.ndarray, colour: np.ndarray | None) -> str:
    """Why a candidate is no pen's digit ('' if it may be one): its largest ``piece`` is one
    straight dark line with a narrow band of the same surface on both sides, as wide on
    each (under NARROW of its length, within EVEN of each other), bounded by further edges:
    the seam between two fingers side by side (or two like slats), not a pen's '1', whose
    paper reaches out on at least one side (a finger's width is a third of the seam's
    length or less; a '1' on a note has half its length of paper and more beside it)."""
    if not straight(piece.own):
        return ""
    wide, near = open_sides(piece, g, colour)
    if wide < NARROW and near >= EVEN * wide:
        return "no digit (the seam between two fingers or two like things, not a pen's stroke)"
    return ""


def not_on_paper(ink: np.ndarray, box, g: np.ndarray, colour: np.ndarray | None,
                 own=False) -> str:
    """Why a candidate (its ink crop at ``box`` (x0, y0, ...) of the working image, ``g``
    gray, ``colour`` BGR or None) is no pen's digit, by what lies beside its largest piece
    (:func:`two_things`, :func:`a_seam`, :func:`vis3d.inputs.comb.side_by_side`), or ''.
    ``own``: that piece if the caller has it."""
    piece = Piece(ink, box, g.shape, own)
    if piece.own is None:
        return ""
    return two_things(piece, colour) or a_seam(piece, g, colour) \
        or side_by_side(ink, box, piece.own, g, colour)
