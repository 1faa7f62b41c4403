"""Finding the paper and the ink on it in a camera frame (the camera pipeline's inside).

Works on an 8-bit gray frame at about 320 pixels wide: the paper's brightness without
the ink (a closing), the sheet in front of a darker room (a bright region bounded by
sharp edges), and the digit's strokes on it (largest connected components away from the
sheet's edge; specks, paper edges and shadows along them dropped). Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs import morph
from vis3d.inputs.choose import BLOWN, notch_rim, select_digit
from vis3d.inputs.extend import extended
from vis3d.inputs.faint import faint_mask
from vis3d.inputs.ink import not_ink, off_paper, paper_near, remove_lines
from vis3d.inputs.pick import embedded, readings
from vis3d.inputs.stats import median, percentile, percentiles


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the non-zero pixels."""
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    return x, y, x + w, y + h


def background(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paper brightness without the ink: a closing (max then min filter) wider than any
    stroke; sharp shadow edges survive it. Returns (float32 background, 1/4 size copies
    of the background and of the image)."""
    h, w = gray.shape
    k = 2 * max(2, int(round(min(h, w) / 10))) + 1
    # (morph: OpenCV's closing by a k x k square, its values, 20% faster)
    bg = morph.erode(morph.dilate(gray, (k, k), cv2.BORDER_REPLICATE), (k, k), cv2.BORDER_REPLICATE)
    bg = cv2.blur(bg, (5, 5))
    size = (max(4, w // 4), max(4, h // 4))
    low = cv2.resize(bg, size, interpolation=cv2.INTER_AREA)
    low_gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return bg.astype(np.float32), low, low_gray


def fills_frame(low_bg: np.ndarray) -> bool:
    """Whether paper may fill the frame: most of it is lit about as brightly as its bright
    part (a room with a window or a lamp is mostly far darker than them)."""
    top = percentile(low_bg, 95)
    return np.count_nonzero(low_bg >= 0.55 * top) >= 0.6 * low_bg.size


UNIFORM = 0.8         # paper filling the frame: this share of it has the paper's colour


def one_colour(colour: np.ndarray | None, size) -> bool:
    """Whether the frame is about one colour (paper filling it, shaded or tinted as it may
    be), not a room's many (walls, furniture, a coloured note): the share of pixels whose
    chromaticity lies within 0.03 of the median's (at ``size`` halved)."""
    if colour is None:
        return True
    size = (max(4, size[0] // 2), max(4, size[1] // 2))
    low = cv2.resize(colour, size, interpolation=cv2.INTER_AREA).reshape(-1, 3).astype(np.float32)
    low += 8.0
    chroma = low / low.sum(axis=1, keepdims=True)
    half = chroma.shape[0] // 2
    med = np.partition(chroma, half, axis=0)[half]
    near = np.count_nonzero(np.abs(chroma - med).max(axis=1) < 0.03)
    return near >= UNIFORM * chroma.shape[0]


def find_sheets(low_bg: np.ndarray, low_gray: np.ndarray, limit: int = 3,
                second: bool = False) -> list:
    """[(outline, corners (4, 2))] of bright sheets in front of a darker room, in low-res
    pixels, largest first (a window or a lamp may be larger than the sheet held up), or []
    when the paper fills the frame (no sharp bright/dark boundary). ``second``: instead the
    sheets of the next tier of brightness (asked for when none of the first holds a digit)."""
    lb = np.log1p(low_bg.astype(np.float32))
    lo, hi = percentiles(lb, (3, 97))
    if hi - lo < 0.35:            # less than 1.4x between brightest and darkest: all paper
        return []
    level = np.uint8(np.clip((lb - lo) / (hi - lo) * 255.0, 0, 255))
    lg = np.log1p(low_gray.astype(np.float32))
    gx = cv2.Sobel(lb, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(lb, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    grad = np.sqrt(gx * gx + gy * gy)
    cut_level, _ = cv2.threshold(level, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if not second:
        return _pieces(level, cut_level, 255, lg, lo, hi, grad, limit)
    # the sheet may be less bright than a window or a lamp: the next tier of brightness
    # (Otsu's level among what lies under the first)
    below = level[level <= cut_level]
    if below.size <= 0.2 * level.size:
        return []
    lower, _ = cv2.threshold(below.reshape(1, -1), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if lower >= cut_level - 20:
        return []
    return _pieces(level, lower, cut_level, lg, lo, hi, grad, limit, first=False)


def _pieces(level, cut, top, lg, lo, hi, grad, limit, first=True) -> list:
    """Sheets among the pixels whose brightness level lies in (cut, top]."""
    bright = np.uint8((level > cut) & (level <= top)) * 255
    # the same level on the image itself: the closing fills narrow strips of room (between
    # the sheet and the frame's border) with paper brightness; the image does not. Ink
    # makes holes here, which the outer contour's hull closes again.
    lit = np.uint8(lg > lo + cut / 255.0 * (hi - lo)) * 255
    # ink is a line or two of pixels here: closed, so that a large 0 does not cut the sheet
    # in two (its inside and its outside)
    bright &= cv2.morphologyEx(lit, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    # cut the bright part along sharp edges, so a lit patch of the room beside the sheet
    # does not join it; the sheet is the largest piece, grown back over its cut rim
    core = bright & np.uint8(grad < 0.12) * 255
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=4)
    if n < 2:
        return []
    out = []
    for big in 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:limit]:
        if stats[big, cv2.CC_STAT_AREA] < 0.03 * bright.size:
            break
        found = _outline(np.uint8(labels == big) * 255, bright, grad, soft=not first)
        if found is None and first and not out:
            return []             # the largest bright piece is no sheet: paper fills the frame
        if found is not None:
            out.append(found)
    return out


# the median log-brightness step (per low-res pixel) along a sheet's outline: a sheet's cut
# edge; soft shading on a wall stays under 0.03. A webcam's gamma halves a sheet's contrast
# against a light wall (0.9 against 0.6 reflectance comes out as 0.95 against 0.79)
SHARP = 0.06
# ... the next tier's (asked for when no sheet of the first held a digit: a coloured sheet in
# a dim room, less bright than a window, stands out from the room by less) down to SOFT when
# about a quadrilateral: its outline fills SOLID of its hull and runs along the frame's border
# for at most AMID of its length (a wall's piece, around things or a window, does not)
SOFT, SOLID, AMID = 0.03, 0.6, 0.2


def _outline(piece: np.ndarray, bright: np.ndarray, grad: np.ndarray, soft: bool = False):
    """(outline, corners) of one bright piece grown back over its cut rim, or None when it is
    no sheet (all the frame, too small, or bounded by soft shading rather than an edge;
    ``soft``: a softer edge will do, as SOFT says)."""
    sheet = cv2.dilate(piece, np.ones((5, 5), np.uint8)) & bright
    area = int(np.count_nonzero(sheet))
    if area > 0.97 * bright.size or area < 0.06 * bright.size:
        return None
    contours, _ = cv2.findContours(sheet, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    h, w = sheet.shape
    pts = contour[:, 0, :]
    inner = (pts[:, 0] > 0) & (pts[:, 0] < w - 1) & (pts[:, 1] > 0) & (pts[:, 1] < h - 1)
    if inner.sum() < 8:
        return None
    edge = median(grad[pts[inner, 1], pts[inner, 0]])
    if edge < (SOFT if soft else SHARP):      # soft shading, not the edge of a sheet
        return None
    hull = cv2.convexHull(contour)
    if edge < SHARP and (cv2.contourArea(contour) < SOLID * cv2.contourArea(hull)
                         or inner.sum() < (1.0 - AMID) * len(pts)):
        return None
    peri = cv2.arcLength(hull, True)
    quad = None
    for eps in (0.02, 0.04, 0.06, 0.09, 0.12):   # coarser until 4 corners (a sheet cut by
        poly = cv2.approxPolyDP(hull, eps * peri, True)[:, 0, :]   # the frame has more)
        if len(poly) == 4:
            quad = poly
        if len(poly) <= 4:
            break
    if quad is None:
        quad = cv2.boxPoints(cv2.minAreaRect(hull))
    # the region is the sheet's own outline, its holes (the ink) filled: fingers over its
    # edge stay outside it, where the convex hull would take them in
    return contour[:, 0, :].astype(np.float32), np.asarray(quad, np.float32)


DARKEST = 28         # paper darker than this (gray level) is too dark to read


def darkness(g: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """How much light the ink takes, 0..1 (float32): 1 - image / paper brightness."""
    dark = g.astype(np.float32)
    dark /= np.maximum(bg, 1.0)
    np.subtract(1.0, dark, out=dark)      # (in place: the same values, no temporaries)
    return np.clip(dark, 0.0, 1.0, out=dark)


_SQ3 = np.ones((3, 3), np.uint8)

PAD = 8              # a crop around the region keeps this many pixels of the frame beside it


def _window(region: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the part of the working image ``extract`` needs to look at, the
    region's box grown by PAD (its origin even, so a 2x subsampling samples the same
    pixels). Outside the region everything is zero: with PAD pixels of it kept around the
    region, every filter on the crop gives what it gives on the whole image."""
    h, w = region.shape
    x, y, bw, bh = cv2.boundingRect(region)
    if bw == 0 or bh == 0:
        return 0, 0, w, h
    x0, y0 = max(0, x - PAD) & ~1, max(0, y - PAD) & ~1
    return x0, y0, min(w, x + bw + PAD), min(h, y + bh + PAD)


def _otsu(dark8: np.ndarray, size: tuple[int, int]) -> float:
    """Otsu's threshold of a crop of an image of ``size`` (h, w) that is zero outside it: as
    on the whole image (the zeros count)."""
    if dark8.shape == size:
        return cv2.threshold(dark8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
    # the crop's histogram and the zeros around it, as OpenCV counts them: the crop laid on
    # a zero row the size of the rest
    rest = size[0] * size[1] - dark8.size
    row = np.zeros((1, dark8.size + rest), np.uint8)
    row[0, :dark8.size] = dark8.ravel()
    return cv2.threshold(row, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]


def _mean(a: np.ndarray, mask: np.ndarray) -> tuple:
    """``cv2.mean(a, mask=mask)`` of an 8-bit or whole-valued float image, the same values
    (whole numbers sum alike in any order) in 2/3 of its time."""
    count = cv2.countNonZero(mask)
    sums = cv2.sumElems(cv2.bitwise_and(a, a, mask=mask))
    return tuple(v * (1.0 / count) if count else 0.0 for v in sums)


def hysteresis(dark: np.ndarray, t: float) -> np.ndarray:
    """The ink mask (0/255) of a darkness image: what is darker than ``t``, with the faint
    stretches (over 0.55 t) of a ballpoint stroke that join it to the stroke they continue."""
    return morph.grown(dark > 0.55 * t, dark > t)


def extract(g: np.ndarray, bg: np.ndarray, region: np.ndarray, margin: int,
            colour: np.ndarray | None = None, stages: dict | None = None,
            strict: bool | None = None, sheet: bool = False, pen: bool = False,
            alts: list | None = None, faint: bool = True):
    """The digit's ink inside ``region`` -> ((ink crop, box), '', cut) or (None, reason, False);
    ``cut``: the digit touches the region's edge. ``colour``: the BGR working image (for the
    ink tests); ``stages`` receives the ink mask ('mask', 0/255) when given. ``sheet``: the
    region is a found sheet, whose edge along the frame's border is no edge of the paper (a
    sheet held close runs out of the picture; the digit on it may reach the border).
    Works on the region's box only (:func:`_window`); sizes go by the whole image's.
    ``alts``: when given and a digit is found, receives a callable giving other readings of
    the region's ink, [(kind, (ink crop, box))] (:mod:`vis3d.inputs.pick`). ``faint``: faint
    strokes on even paper count too (:mod:`vis3d.inputs.faint`; never in the room; on a
    sheet found only by its even colour too: a white sheet held up in a room as light as it
    is found so, and a webcam's gamma leaves its ballpoint strokes as faint as on any)."""
    h, w = g.shape
    x0, y0, x1, y1 = _window(region)
    g, bg, region = g[y0:y1, x0:x1], bg[y0:y1, x0:x1], region[y0:y1, x0:x1]
    colour = None if colour is None else colour[y0:y1, x0:x1]
    edge = 255 if sheet else 0
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (margin, margin))
    region = cv2.erode(region, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=edge)
    band = region - cv2.erode(region, _SQ3,
                              borderType=cv2.BORDER_CONSTANT, borderValue=edge)
    z = 2 * max(3, int(0.05 * min(h, w))) + 1
    zone = region - morph.erode(region, (z, z), cv2.BORDER_CONSTANT, edge)
    region_area = int(np.count_nonzero(region))
    if region_area < 0.02 * h * w:
        return None, "no paper in view", False
    if float(bg.min()) < DARKEST and _mean(bg, region)[0] < DARKEST:   # (no darker: no mean)
        return None, "too dark", False
    dark = darkness(g, bg)
    dark = cv2.bitwise_and(dark, dark, mask=region)     # (0 off the region: the same bits)
    dark8 = (dark * 255.0).astype(np.uint8)
    lines = remove_lines(dark8, 0.3 * min(h, w), (x0, y0, w, h))
    lines_found = cv2.countNonZero(lines) > 0
    if lines_found:
        dark -= lines * np.float32(1 / 255)
        np.maximum(dark, 0.0, out=dark)
        dark8 = (dark * 255.0).astype(np.uint8)
    otsu = _otsu(dark8, (h, w))
    t = float(np.clip(otsu / 255.0, 0.2, 0.5))
    mask = hysteresis(dark, t)
    if faint and strict is not True:
        # faint strokes, where the paper is quiet enough to tell them from it
        more, floor = faint_mask(dark8, region, t, mask, lines if lines_found else None, bg)
        if more is not None:
            mask, t = more, floor
    if sheet:
        mask = _cut_fingers(mask, band, w / 640.0)
    paper = None if colour is None else _mean(colour, cv2.subtract(region, mask))[:3]
    room = strict is True and margin <= 3
    rim = (lambda: notch_rim(region)) if sheet else None
    masks: list | None = [] if alts is not None else None
    keep, why, cut = _select(mask, band, zone, region_area, g, colour, paper, region,
                             strict=margin > 3 if strict is None else strict, room=room,
                             pen=pen, graze=sheet, size=(h, w), origin=(x0, y0), rim=rim,
                             alts=masks)
    if stages is not None:
        whole = mask
        if mask.shape != (h, w):
            whole = np.zeros((h, w), np.uint8)
            whole[y0:y1, x0:x1] = mask
        stages["mask"] = whole
    if keep is None:
        return None, why, False
    pen = pen or room
    if not room:     # the digit's strokes continued into their fainter stretches (extend.py)
        keep, dark = extended(keep, mask, dark, region, band, t, lines if lines_found else None)
    res, why = _ink(keep, mask, dark, t, colour, paper, pen, w / 640.0, region)
    if res is not None:
        ink, (bx0, by0, bx1, by1) = res
        res = ink, (bx0 + x0, by0 + y0, bx1 + x0, by1 + y0)
        if masks:
            alts.append(lambda: readings(masks[0], region, (x0, y0), lambda keep: _ink(
                keep, mask, dark, t, colour, paper, pen, w / 640.0, region)[0]))
    return res, why, cut and res is not None


def _select(mask, band, zone, region_area, g, colour, paper, region, room: bool, rim=None,
            origin=(0, 0), alts=None, **kw):
    """select_digit on the ink's box only (grown by the widest ring of paper it looks at
    around a component, and the 5x5 grown strokes it leaves out of it): the components,
    their surroundings and so the choice are the same as on all of ``mask`` (the crop at
    ``origin`` of the working image)."""
    x, y, bw, bh = cv2.boundingRect(mask)
    h, w = mask.shape
    if room or bw == 0:             # (the room's test reads the whole image's brightness)
        return select_digit(mask, band, zone, region_area, g, colour, paper, region,
                            room=room, rim=rim, origin=origin, alts=alts, **kw)
    grow = max(3, int(0.12 * max(bw, bh))) + 3
    x0, y0 = max(0, x - grow) & ~1, max(0, y - grow) & ~1    # even: the same labels' order
    x1, y1 = min(w, x + bw + grow), min(h, y + bh + grow)
    part = np.s_[y0:y1, x0:x1]
    sub: list | None = [] if alts is not None else None
    def rim_part():                 # the hull's band (of the whole region), on the box
        whole = rim()
        return None if whole is None else whole[part]
    keep, why, cut = select_digit(mask[part], band[part], zone[part], region_area, g[part],
                                  None if colour is None else colour[part], paper, region[part],
                                  room=room, rim=None if rim is None else rim_part,
                                  origin=(origin[0] + x0, origin[1] + y0), alts=sub, **kw)
    if keep is not None and keep.shape != mask.shape:
        whole = np.zeros_like(mask)
        whole[part] = keep
        keep = whole
    if sub:
        alts.append(embedded(sub[0], mask.shape, (x0, y0)))
    return keep, why, cut


def _ink(keep, mask, dark, t, colour, paper, pen, work_px, region):
    """The kept components' ink, cropped -> ((ink, box), '') or (None, why it is no ink);
    its colour is judged against the paper right around it (ink.paper_near)."""
    h, w = mask.shape
    x0, y0, x1, y1 = bbox(keep)
    x0, y0, x1, y1 = max(0, x0 - 2), max(0, y0 - 2), min(w, x1 + 2), min(h, y1 + 2)
    ink_col = None
    if colour is not None:
        ink_col = cv2.mean(colour[y0:y1, x0:x1], mask=keep[y0:y1, x0:x1])[:3]
        paper = paper_near(colour, off_paper(mask, region), (x0, y0, x1, y1)) or paper
    why = not_ink(keep[y0:y1, x0:x1], ink_col, paper, work_px, pen=pen)
    if why:
        return None, why
    keep = cv2.dilate(keep[y0:y1, x0:x1], _SQ3)
    d = dark[y0:y1, x0:x1]
    level = percentile(d[mask[y0:y1, x0:x1] > 0], 75)
    lo = 0.5 * t
    ink = np.clip((d - lo) * (1.0 / max(level - lo, 1e-3)), 0.0, 1.0)
    ink[keep == 0] = 0.0
    return (ink, (x0, y0, x1, y1)), ""


FINGER = 7.0         # at 640x480, ink this wide (and wider) reaching the sheet's edge is a finger


def _cut_fingers(mask: np.ndarray, band: np.ndarray, work_px: float) -> np.ndarray:
    """The mask less what reaches in over the sheet's edge far wider than a pen (fingers, the
    room behind a torn corner): a stroke they touch stays, no longer joined to them."""
    if not cv2.countNonZero(cv2.bitwise_and(mask, band)):
        return mask                   # nothing reaches the edge (most frames): no cost
    r = max(2, int(round(FINGER * work_px)))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    # on the ink's box (grown past the disk and the 5x5 below): the same as on all of it
    x, y, bw, bh = cv2.boundingRect(mask)
    h, w = mask.shape
    part = np.s_[max(0, y - r - 3):min(h, y + bh + r + 3), max(0, x - r - 3):min(w, x + bw + r + 3)]
    thick = cv2.morphologyEx(mask[part], cv2.MORPH_OPEN, disk)
    if not thick.any():
        return mask
    n, labels = cv2.connectedComponents(thick, connectivity=8, ltype=cv2.CV_16U)
    reach = np.zeros(n, np.uint8)
    reach[labels[band[part] > 0]] = 255
    reach[0] = 0
    if not reach.any():
        return mask
    out = mask.copy()
    out[part] = cv2.subtract(mask[part], cv2.dilate(reach[labels], np.ones((5, 5), np.uint8)))
    return out
