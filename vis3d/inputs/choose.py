"""Which ink components on a sheet are the digit (the camera pipeline's choice).

The ink mask's connected components: those whose surroundings are plain paper, pen-thin and
not skin are plausible; the largest away from the sheet's edge is the digit, with the nearby
ones of some size joined to it. Numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs import morph
from vis3d.inputs.ink import FAINT, PEN, around, not_ink, off_paper, paper_near, stroke_width
from vis3d.inputs.pick import groupings
from vis3d.inputs.sides import two_sided
from vis3d.inputs.stats import median, percentile

BLOWN = 250           # gray levels at or above this are a light source, not lit paper
BRIGHT = 50           # with no sheet found, ink counts on paper brighter than this percentile
BAR = 0.9             # ink filling this much of its rotated box is a bar, not handwriting
MARKS = 0.25          # the digit is at least this share of the plausible ink
GRAZE = 0.15          # a stroke with less than this share near the sheet's edge merely grazes it
SURROUND_CV = 0.25     # ink is written on paper: the light around it varies less than this
JOIN_CV = 0.1         # ... and a piece joining the digit lies on plain paper, as the digit's
                      # strokes do (a finger's edge, a window's bar, the room between fingers
                      # come with the varied light of the room around them)
LIT = 0.9             # ... (no sheet found) its paper at least this share of that percentile
NOTCH_SIZE = 0.2      # a stroke reaching a notch fingers cut in a sheet's outline is written on
                      # it if this share of the frame in size (a finger's edge there is less)
NOTCHES = 0.3         # ... and if such notches are at most this share of the outline's hull
HOLES = 3             # a written digit closes at most this many loops (an 8 two, with a slip)
ONE = 6.0             # at 640x480, a straight stroke this wide or thinner is a pen's '1', no bar
EDGE = 0.35           # a component darker than only one of its sides (or between sides of two
                      # brightnesses) over this share of its length is the edge of a thing (a
                      # sheet, a finger, a book, a poster), no stroke (digits: 0.1 at most, a few 0.3)
VALLEY = 0.15         # ... one that is a valley nearly all along (under this share) is written
                      # on paper, even on paper so lit it is blown out (an overexposed sheet)
BLURRED = 0.42        # a stroke wider than a pen at least this dark at its darkest (1 - image /
LONG_STROKE = 15.0    # paper) and this many widths long, a valley all along: a blurred marker's


def _holes(own: np.ndarray, work_px: float) -> int:
    """How many holes (of more than a speck's size) a component has."""
    contours, hier = cv2.findContours(own, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hier is None:
        return 0
    small = 4.0 * work_px * work_px
    return sum(1 for c, hh in zip(contours, hier[0]) if hh[3] >= 0 and cv2.contourArea(c) > small)


def _plausible(g, mask, labels, stats, comps, colour, paper, work_px, region,
               bright: float = 0.0, pen: bool = False, plain: set | None = None,
               edges: set | None = None) -> np.ndarray:
    """For each component, whether it may be (part of) a written digit: what surrounds it
    (its box grown a little, less all ink) is plain paper, an even brightness rather than
    the room's clutter; and it is pen-thin and not skin (:func:`vis3d.inputs.ink.not_ink`).
    ``plain`` receives the components whose surroundings are plain enough to join a digit,
    ``edges`` those refused as the edge of a thing (:mod:`vis3d.inputs.sides`)."""
    h, w = g.shape
    out = np.zeros(len(comps), bool)
    away = off_paper(mask, region)
    for j, i in enumerate(comps):
        x, y, bw, bh = stats[i, :4]
        part = around((x, y, x + bw, y + bh), (h, w))
        ring = g[part][away[part] == 0]
        if ring.size < 16:
            continue
        mean, sd = cv2.meanStdDev(ring)
        if float(sd[0, 0]) > SURROUND_CV * max(float(mean[0, 0]), 1.0):
            continue
        if plain is not None and float(sd[0, 0]) <= JOIN_CV * max(float(mean[0, 0]), 1.0):
            plain.add(int(i))
        if bright > 0.0 and median(ring) < LIT * bright:
            continue                  # no sheet found: paper held up is among the brighter things
            # (the median: ruled lines around the ink darken the mean, not the paper)
        own = np.uint8(labels[y:y + bh, x:x + bw] == i) * 255     # (x, y) -> argwhere's (y, x)
        (_, _), (rw, rh), _ = cv2.minAreaRect(np.ascontiguousarray(
            cv2.findNonZero(own).reshape(-1, 2)[:, ::-1]))
        if stats[i, cv2.CC_STAT_AREA] > (0.75 if bright > 0.0 else BAR) * max(rw * rh, 1.0) \
                and min(rw, rh) > ONE * work_px:
            continue                  # a straight bar (a window's frame, a book's spine), not
            # a pen's '1' (a ballpoint's line, a few pixels wide)
        if _holes(own, work_px) > HOLES:
            continue                  # a mesh: what is left of squared paper's lines
        width = stroke_width(own)
        if width > PEN * work_px and _shade(g, mask, labels, i, stats[i, :5], own, ring, width):
            continue                  # wider than a pen and faint even at its darkest: a shade
            # of the room (a book, a patch of wall), not ink
        ink_col = local = None
        if colour is not None:
            ink_col = cv2.mean(colour[y:y + bh, x:x + bw], mask=own)[:3]
            # the paper it is written on: the colour right around it (a yellow note in a
            # lavender room is yellow paper; against the frame's mean, dark marker on it
            # would look orange, like skin)
            local = paper_near(colour, away, (x, y, x + bw, y + bh))
        if not_ink(own, ink_col, local if local is not None else paper, work_px,
                   pen=pen or bright > 0.0, width=width):
            continue
        # last (it costs the most): paper on both sides of its strokes (sides.py)
        step = two_sided(g, mask, labels, i, (x, y, bw, bh), width)
        if step > EDGE:               # the edge of a thing: paper on one side only
            if edges is not None:
                edges.add(int(i))
            continue
        if np.count_nonzero(ring >= BLOWN) > 0.5 * ring.size and not step < VALLEY:
            continue                  # on a blown-out light (a window, a lamp), not paper
        out[j] = True
    return out


def _shade(g, mask, labels, i, box, own, ring, width: float) -> bool:
    """Whether a component wider than a pen is a shade of the room rather than ink: faint
    even at its darkest (a marker's or a fat digit's strokes are as dark as ink, 0.65 and
    more), unless it is a blurred marker's stroke: in a dim room the camera's long exposure
    (the hand moving) and soft focus spread a marker's line, wider and less dark (down to
    BLURRED), but it stays a long stroke (LONG_STROKE widths) with paper on both sides of it
    all along (:mod:`sides`: a valley), which a book's side, a patch of wall or a finger's
    shadow is not."""
    x, y, bw, bh, area = (int(v) for v in box)
    paper = max(median(ring), 1.0)
    darkest = 1.0 - percentile(g[y:y + bh, x:x + bw][own > 0], 10) / paper
    if darkest >= FAINT:
        return False
    if darkest < BLURRED or area < LONG_STROKE * width * width:
        return True
    return not two_sided(g, mask, labels, i, (x, y, bw, bh), width) < VALLEY


def select_digit(mask: np.ndarray, band: np.ndarray, zone: np.ndarray, region_area: int,
                  g: np.ndarray | None = None, colour=None, paper=None, region=None,
                  strict: bool = False, room: bool = False, pen: bool = False,
                  graze: bool = False, size: tuple[int, int] | None = None,
                  origin: tuple[int, int] = (0, 0), rim=None, alts: list | None = None):
    """Connected ink components -> (keep mask, reason, whether it touches the region's edge).
    The largest component away from the sheet's edge is the digit; nearby components of some
    size join it; specks are dropped. ``graze``: on a sheet, a stroke whose end reaches the
    sheet's edge (little of it near the edge) still counts as away from it. ``size``: the
    working image's (h, w) when the arrays are a crop of it (sizes go by the whole image),
    ``origin`` the crop's (x, y) there.
    ``rim``: on a sheet's outline, which fingers over its edge may notch, a callable giving
    the band along the outline's convex hull (as :func:`notch_rim`; asked for only when
    nothing lies away from the outline's edge): a stroke of a digit's size reaching only a
    notch then counts as written on the sheet.
    ``alts``: when given, receives a callable ``(middle) -> [(kind, keep mask)]`` giving other
    groupings of the ink (:func:`vis3d.inputs.pick.groupings`; ``middle`` the sheet's
    centre (x, y) in the arrays' pixels, or None), for the model to judge when unsure."""
    size = size or mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_16U)
    if n < 2:
        return None, "no ink on the paper", False
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    areas[0] = 0
    min_area = max(12, int(0.0004 * region_area))
    cand = np.flatnonzero(areas >= min_area)
    if cand.size == 0:
        return None, "no ink on the paper (only specks)", False
    if n > 100 + 0.002 * region_area:
        return None, "only noise", False
    touching = np.zeros(n, bool)
    touching[labels[band > 0]] = True
    # paper edges and shadows along them: components lying mostly in a strip at the border
    in_zone = np.bincount(labels[zone > 0], minlength=n)
    edge = touching & (in_zone > 0.5 * areas)
    cand = cand[~edge[cand]]
    if not strict:
        cand = cand[~_spans(stats[cand], size, origin)]
    if cand.size == 0:
        return None, "no ink on the paper", False
    plain: set | None = None          # (all may join when the surroundings are not judged)
    if g is not None:
        cand = cand[np.argsort(-areas[cand])[:20]]
        bright = percentile(g[::4, ::4], BRIGHT) if room else 0.0
        plain, edges = set(), set()
        largest = int(cand[0])
        cand = cand[_plausible(g, mask, labels, stats, cand, colour, paper, size[1] / 640.0,
                               region, bright, pen, plain, edges)]
        if cand.size == 0:
            if largest in edges:
                return None, "no digit (the edge of a thing, not a pen's stroke)", False
            return None, "no ink on paper (only the room's things)", False
    inner = cand[~touching[cand] | (graze & (in_zone[cand] < GRAZE * areas[cand]))]
    rim = rim() if strict and rim is not None and inner.size == 0 else None
    if rim is not None:
        # nothing away from the outline's edge: a stroke of a digit's size on plain paper
        # that reaches only a notch in it (fingers over the sheet's edge) is written on it
        reaches = np.zeros(n, bool)
        reaches[labels[rim > 0]] = True
        small = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) \
            < NOTCH_SIZE * min(size)
        inner = cand[~(reaches | small | (in_zone > 0.5 * areas))[cand]]
        inner = inner[[plain is None or int(i) in plain for i in inner]]
    if strict:                        # on a found sheet: what reaches its edge is not written
        if inner.size == 0:           # on it (fingers, a window's bars, the room)
            return None, "no ink on the sheet", False
        pool = inner
    else:
        pool = inner if inner.size and areas[inner].max() >= 0.25 * areas[cand].max() else cand
    main = pool[np.argmax(areas[pool])]
    x, y, w, h = stats[main, :4]
    short = min(size)
    if max(w, h) < 0.1 * short or areas[main] < 2 * min_area:
        return None, "no ink on the paper (only specks)", False
    keep = _group(main, pool, stats, areas, 0.5, plain)
    kept = areas[keep].sum()
    if kept > 0.35 * region_area:
        return None, "too much dark area", False
    if kept < MARKS * (areas[cand].sum() if g is not None else areas[~edge].sum()):
        return None, "too many marks", False
    if alts is not None:
        def others(middle=None) -> list:
            out = []
            for tag, k in groupings(main, keep, pool, stats, areas,
                                    lambda c, share: _group(c, pool, stats, areas, share, plain),
                                    middle, None if strict else cand):
                big = max(np.max(stats[k, 2]), np.max(stats[k, 3]))
                if big < 0.1 * short or not 2 * min_area <= areas[k].sum() <= 0.35 * region_area:
                    continue          # specks, or too much dark area (as for the digit above)
                out.append((tag, _lut(n, k)[labels]))
            return out
        alts.append(others)
    return morph.painted(_lut(n, keep), labels), "", bool(touching[keep].any())


def _spans(boxes: np.ndarray, shape, origin=(0, 0)) -> np.ndarray:
    """Which components (their stats rows, in a crop at ``origin`` of a picture of ``shape``)
    reach two sides of the picture: a sheet's edge, a table's or a shadow's running through
    the frame, never a digit held up to be read."""
    h, w = shape
    x, y = boxes[:, 0] + origin[0], boxes[:, 1] + origin[1]
    bw, bh = boxes[:, 2], boxes[:, 3]
    sides = (np.int32(x <= 2) + np.int32(y <= 2) + np.int32(x + bw >= w - 2)
             + np.int32(y + bh >= h - 2))
    return sides >= 2


def notch_rim(region: np.ndarray) -> np.ndarray | None:
    """The band along the edge of the convex hull of a sheet's outline (``region``, its margin
    taken off), off the frame's border; None when the outline has no notch, or notches too
    large for fingers (the room joined the sheet: its hull is no sheet's edge)."""
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = np.zeros_like(region)
    cv2.fillConvexPoly(hull, cv2.convexHull(max(contours, key=cv2.contourArea)), 255)
    cut = cv2.countNonZero(cv2.subtract(hull, region))
    if cut == 0 or cut > NOTCHES * cv2.countNonZero(hull):
        return None
    return hull - cv2.erode(hull, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT,
                            borderValue=255)


def _lut(n: int, keep) -> np.ndarray:
    lut = np.zeros(n, np.uint8)
    lut[keep] = 255
    return lut


def _group(main, pool, stats, areas, share: float, plain: set | None = None) -> list:
    """``main`` and the components of some size in ``pool`` within ``share`` of the digit's
    size of it (twice over: what joins widens the reach); only those in ``plain`` if given."""
    keep = [main]
    x, y, w, h = stats[main, :4]
    x0, y0, x1, y1 = x, y, x + w, y + h
    others = [i for i in pool if i != main and areas[i] >= 0.08 * areas[main]
              and (plain is None or int(i) in plain)]
    for _ in range(2):
        reach = share * max(x1 - x0, y1 - y0)
        for i in others:
            if i in keep:
                continue
            bx, by, bw, bh = stats[i, :4]
            gap_x = max(0, max(x0, bx) - min(x1, bx + bw))
            gap_y = max(0, max(y0, by) - min(y1, by + bh))
            if max(gap_x, gap_y) <= reach:
                keep.append(i)
                x0, y0 = min(x0, bx), min(y0, by)
                x1, y1 = max(x1, bx + bw), max(y1, by + bh)
    return keep
