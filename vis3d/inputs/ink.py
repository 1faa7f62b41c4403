"""Ink, not lines: the camera pipeline's tests of what on a sheet is a pen's stroke.

* :func:`remove_lines`  ruled and squared lines, margins and the paper's straight edges are
  long straight structures along one direction (and its perpendicular); a stroke of a digit is
  not. The dominant direction comes from the structure tensor of the darkness image; an
  opening with a long line in that direction keeps only the lines, which are subtracted.
* :func:`not_ink`       the digit chosen from the mask must look written: pen-thin for its size
  (a finger, a book, a shadow or a solid object is not), not skin-coloured once the paper's
  colour is taken out (fingers over the sheet), and not a straight rule.
Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs import morph
from vis3d.inputs.sides import chroma

SOLID = 0.24          # strokes wider than this share of the digit's size: a solid shape
ANISOTROPY = 0.08      # structure tensor: below this share, there are no lines to remove
ACROSS = 7            # a line may drift this many pixels across over the kernel (perspective)
_SQ3, _SQ5, _ACROSS = (np.ones(k, np.uint8) for k in ((3, 3), (5, 5), (1, ACROSS)))  # kernels


def line_angle(dark: np.ndarray) -> tuple[float, float]:
    """(angle in degrees mod 90 of the dominant straight structures, their strength 0..1),
    from the structure tensor's fourfold angle: horizontal and vertical lines agree (a
    squared page), as do both edges of a line."""
    gx = cv2.Sobel(dark, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(dark, cv2.CV_32F, 0, 1, ksize=3)
    # (in place where it gives the same values: fewer temporaries)
    c2 = gx * gx
    c2 -= gy * gy                              # |g|^2 cos 2phi
    s2 = 2.0 * gx
    s2 *= gy                                   # |g|^2 sin 2phi
    mag = cv2.magnitude(c2, s2)
    mag += 1e-6                                # |g|^2
    # sums in float64: the same on a crop of the image (zero outside) as on all of it
    part = c2 * c2
    part -= s2 * s2
    part /= mag
    c4 = float(part.sum(dtype=np.float64))     # |g|^2 cos 4phi
    np.multiply(2.0 * c2, s2, out=part)
    part /= mag
    s4 = float(part.sum(dtype=np.float64))
    total = float(mag.sum(dtype=np.float64))
    if total <= 1e-3:
        return 0.0, 0.0
    return float(np.degrees(np.arctan2(s4, c4)) / 4.0), float(np.hypot(c4, s4)) / total


def remove_lines(dark: np.ndarray, length: int, crop=None) -> np.ndarray:
    """The long straight thin lines (uint8) of a uint8 darkness image (ink bright), to be
    subtracted. Only structures under 5 pixels wide count: a thick stroke is never a rule.
    ``crop``: (x0, y0, w, h) when ``dark`` is the part at (x0, y0) of a w x h image that is
    zero around it (x0, y0 even): the lines are found as on the whole image. None (zeros)
    when all that is found is one straight piece much shorter than the paper (:func:`_lone`)."""
    thin = cv2.subtract(dark, cv2.morphologyEx(dark, cv2.MORPH_OPEN, _SQ5))
    angle, strength = line_angle(thin[::2, ::2])
    if strength < ANISOTROPY:
        return np.zeros_like(dark)
    lines = cv2.dilate(_lines_at(thin, angle, max(9, int(length)), crop), _SQ3)
    return np.zeros_like(dark) if _lone(lines, dark) else lines


LONE = 0.5           # one straight piece shorter than this share of the paper's box: a stroke


def _lone(lines: np.ndarray, dark: np.ndarray) -> bool:
    """Whether the lines found are one straight piece much shorter than the paper (the
    non-zero box of ``dark``): a pen's straight stroke (a 1, a 7's bar, an 8's diagonal), no
    rule. A ruled or squared page's lines come many and parallel; a margin or a fold, alone,
    runs across the sheet."""
    x, y, w, h = cv2.boundingRect(lines)         # (one piece: its box; the pieces counted
    if w == 0 or cv2.connectedComponents(          # on it alone, 1/8 of the time with stats)
            lines[y:y + h, x:x + w], connectivity=8, ltype=cv2.CV_16U)[0] != 2:
        return False
    _, _, dw, dh = cv2.boundingRect(dark)
    return float(np.hypot(w, h)) < LONE * max(dw, dh)


def _extent(dark: np.ndarray) -> np.ndarray | None:
    """The points that bound the non-zero pixels of ``dark`` in every direction (the first
    and last one of each row: the convex hull's corners are among them), (n, 2) x, y; None
    when all is zero."""
    rows = np.flatnonzero(dark.any(axis=1))
    if rows.size == 0:
        return None
    on = dark[rows] > 0
    k = rows.size
    out = np.empty((2 * k, 2))
    out[:k, 0] = on.argmax(axis=1)
    out[k:, 0] = dark.shape[1] - 1 - on[:, ::-1].argmax(axis=1)
    out[:k, 1] = out[k:, 1] = rows
    return out


EDGE = 6             # the turned image keeps this many zero pixels around the lines' image


def _lines_at(dark: np.ndarray, angle: float, length: int, crop=None) -> np.ndarray:
    """The long thin lines of ``dark`` at ``angle`` (degrees) and its perpendicular."""
    h, w = dark.shape
    x0, y0, fw, fh = crop or (0, 0, w, h)
    # turned about the whole image's centre, into the part of the whole turned image where
    # ``dark`` is not zero (a tilted sheet is upright there: far less than its box), EDGE
    # pixels wider: the same pixels sampled, and every filter below gives the same there
    # as on all of the turned image, which is zero around that part
    m = cv2.getRotationMatrix2D((fw / 2.0, fh / 2.0), angle, 1.0)
    ends = _extent(dark)
    if ends is None:
        return np.zeros_like(dark)
    turned = (ends + (x0, y0)) @ m[:, :2].T + m[:, 2]
    cx0, cy0 = (max(0, int(np.floor(v)) - EDGE) for v in turned.min(axis=0))
    cx1 = min(fw, int(np.ceil(turned[:, 0].max())) + EDGE + 1)
    cy1 = min(fh, int(np.ceil(turned[:, 1].max())) + EDGE + 1)
    m[:, 2] += m[:, :2] @ (x0, y0) - (cx0, cy0)
    size = (max(1, cx1 - cx0), max(1, cy1 - cy0))
    rot = cv2.warpAffine(dark, m, size, flags=cv2.INTER_LINEAR, borderMode=_border(dark))
    # a line drifts by a pixel or two over the kernel (perspective turns the lines across
    # the page, the angle is off by a degree): widen it across first (ACROSS), then keep
    # what is long along. Both directions with the long window down the columns (the
    # faster direction; morph.erode/dilate: OpenCV's values, 4x faster for so long a
    # window): the lines along the rows are found in the transposed image.
    lines = None
    for src in (cv2.transpose(rot), rot):
        wide = cv2.dilate(src, _ACROSS)
        opened = morph.dilate(morph.erode(wide, (1, length)), (1, length))   # an opening
        opened = cv2.erode(opened, _ACROSS)
        lines = cv2.transpose(opened) if lines is None else cv2.max(lines, opened)
    if not cv2.countNonZero(lines):
        return np.zeros_like(dark)
    return cv2.warpAffine(lines, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=_border(lines))


def _border(image: np.ndarray) -> int:
    """How a warp reads outside ``image``: as its edge (replicated), or as zero when its
    edge is zero anyway (the same values, and a faster warp)."""
    if image[0].any() or image[-1].any() or image[:, 0].any() or image[:, -1].any():
        return cv2.BORDER_REPLICATE
    return cv2.BORDER_CONSTANT


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels of a 0/255 (or boolean) mask: 2 * area / boundary pixels.
    Outside the array counts as background, so ink touching a tight crop's edge is still a
    stroke boundary (the default border would make it look infinitely wide)."""
    solid = morph.nonzero_u8(mask)
    area = int(np.count_nonzero(solid))
    inner = int(np.count_nonzero(cv2.erode(solid, _SQ3,
                                           borderType=cv2.BORDER_CONSTANT, borderValue=0)))
    return 2.0 * area / max(area - inner, 1)


def skin_like(colour, paper) -> bool:
    """Whether a BGR colour, white-balanced by the paper's colour, is a skin tone."""
    c = np.asarray(colour, np.float64) / np.maximum(np.asarray(paper, np.float64), 1.0)
    b, g, r = c
    top = max(b, g, r)
    if top <= 0.05:
        return False
    sat = (top - min(b, g, r)) / top
    return r >= g >= b and 0.18 <= sat <= 0.75 and top >= 0.25 and (g - b) >= 0.25 * (r - b)


def around(box, shape) -> tuple[slice, slice]:
    """Where the paper right around an ink's ``box`` (x0, y0, x1, y1) is looked at: the box
    grown by 12% of its size (at least 3 pixels) on an image of ``shape``."""
    x0, y0, x1, y1 = box
    h, w = shape[:2]
    m = max(3, int(0.12 * max(x1 - x0, y1 - y0)))
    return np.s_[max(0, y0 - m):min(h, y1 + m), max(0, x0 - m):min(w, x1 + m)]


def off_paper(mask: np.ndarray, region: np.ndarray) -> np.ndarray:
    """0/255: what is no paper beside the ink: the ink ``mask`` grown 5x5 (less the strokes'
    soft edges) and what lies off ``region``."""
    away = cv2.dilate(mask, _SQ5)
    away[region == 0] = 255
    return away


def paper_near(colour: np.ndarray, away: np.ndarray, box):
    """The mean BGR colour of the paper right around an ink's ``box`` (:func:`around`), less
    ``away`` (:func:`off_paper`); None when too little of it is left. A sheet's own colour,
    where the whole region's mean also takes in what the region holds besides it (a yellow
    note found together with a grey thing beside it, whose mean makes dark marker look
    orange)."""
    part = around(box, away.shape)
    near = np.uint8(away[part] == 0)
    if cv2.countNonZero(near) < 16:
        return None
    return cv2.mean(colour[part], mask=near)[:3]


PEN = 12.0            # at 640x480: no pen or marker draws wider strokes than this


def not_ink(keep: np.ndarray, colour, paper, work_px: float, pen: bool = False,
            width: float | None = None) -> str:
    """'' if the kept mask (0/255, cropped to the digit) looks like a written digit, else why
    not. ``work_px`` is a 640x480 frame's pixel in the working image's pixels. ``pen``: the
    strokes must be a pen's (no wider than PEN), as on a note found only by its ink; else
    only not solid for their size (a digit filling a page may be drawn thick). ``width``:
    :func:`stroke_width` of ``keep`` when the caller has it."""
    h, w = keep.shape
    side = max(h, w)
    width = stroke_width(keep) if width is None else width
    if width > max(9.0 * work_px, SOLID * side) or (pen and width > PEN * work_px):
        return "not pen strokes (a solid shape)"
    if colour is not None and paper is not None and skin_like(colour, paper):
        return "not ink (a finger or a hand)"
    return ""


# A straight piece of ink filling BAR_FILL of its rotated box is one solid bar: a pen's '1',
# or a thing of the room (a window's mullion, a book's spine, a finger, a furniture edge).
# A pen's '1' is a long stroke, at least BAR_LONG stroke widths long (a ballpoint's many
# more, a marker's on a sticky note 13 and up) and no wider than PEN; a shorter or wider
# bar may still be a fat digit (a marker's, or a photo of a big print), but one as dark as
# ink on paper: ink takes most of the light (its darkness against the paper 0.7 and more
# on such strokes, 1 the paper's brightness), a shade of the room far less (0.15-0.45).
BAR_FILL = 0.6
BAR_LONG = 11.0
FAINT = 0.55


def not_written(ink: np.ndarray, level, work_px: float) -> str:
    """Why a candidate is no pen's digit ('' if it may be one): ``ink`` its crop (ink bright,
    0..1), ``level`` the median darkness against the paper (1 - image / paper) of its strokes
    (``ink`` over 0.3; or a callable giving it, asked only for a solid bar), ``work_px`` a
    640x480 frame's pixel in the working image's pixels. A short or wide solid bar, faint."""
    mask = np.asarray(ink) > 0.3
    pts = cv2.findNonZero(mask.view(np.uint8))      # (x, y) as np.argwhere's (y, x), in its order
    if pts is None or len(pts) < 8:
        return ""
    (_, _), (rw, rh), _ = cv2.minAreaRect(pts.reshape(-1, 2)[:, ::-1].astype(np.float32))
    if len(pts) < BAR_FILL * max(rw * rh, 1.0):
        return ""
    width = stroke_width(mask)
    if max(rw, rh) >= BAR_LONG * width and width <= PEN * work_px:
        return ""
    if (level() if callable(level) else level) >= FAINT:
        return ""
    return "no digit (a faint solid bar, not a pen's stroke: a window's bar, a book, a finger)"


INKS = 0.12           # chromaticity spread over a digit's ink above this: many colours, no pen


def largest_piece(ink: np.ndarray) -> np.ndarray | None:
    """0/1 (uint8): the largest 8-connected piece of a candidate's strokes (its crop, ink
    bright 0..1: over 0.3), or None when there are none (:func:`many_colours` and
    :class:`vis3d.inputs.beside.Piece` look at it: made once for both)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((np.asarray(ink) > 0.3).view(np.uint8),
                                                           connectivity=8, ltype=cv2.CV_16U)
    if n < 2:
        return None
    return np.uint8(labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))


def many_colours(ink: np.ndarray, colour: np.ndarray | None, own=False) -> str:
    """'' if a candidate's ink (its crop, ink bright 0..1) may be one pen's, else why not:
    the core of its largest piece is of many colours (a row of books touching), where a
    stroke is written with one pen (its chromaticity's spread 0.08 at most, shading and the
    paper's tint included; a thing of another colour joined to the digit is a piece of its
    own). ``colour``: the same crop of the BGR working image (None for a gray frame);
    ``own``: :func:`largest_piece` of ``ink`` when the caller has it."""
    if colour is None:
        return ""
    ink = np.asarray(ink)
    own = largest_piece(ink) if own is False else own
    if own is None:
        return ""
    core = (ink > 0.5) & (own > 0)
    if np.count_nonzero(core) < 8:
        return ""
    shares = chroma(colour[core])
    # (the spread by OpenCV: numpy's std along the short axis takes 15x as long)
    if float(cv2.meanStdDev(shares.reshape(-1, 1, 3))[1].max()) > INKS:
        return "no digit (marks of many colours, not one pen's ink: books, the room)"
    return ""
