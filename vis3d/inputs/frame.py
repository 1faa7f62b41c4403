"""The camera pipeline: a webcam frame (any size, BGR or gray) -> Prepared (28x28 or why not).

At about CAMERA_WIDTH pixels wide: the paper's brightness without the ink, then where the
digit is written, tried in turn until one holds a digit:
  * sheets brighter than the room around them, largest first (paper.find_sheets; a window or
    a lamp may be larger and brighter than the sheet held up);
  * paper filling the frame (most of it lit like its bright part, and one colour): first
    the sheet's own extent when it is a piece of even colour brighter than the rest and
    bounded by a sharp step (extent.paper_extent: a sheet held up in a room as light as
    it), then all of the frame, then paper up to a strip of the room;
  * the room, where only pen strokes on an even patch count (paper.extract, strict);
  * sheets found by their even colour instead (patches.find_patches: a sticky note, a sheet no
    brighter than the room), pen strokes only.
The ink found ends in preprocess.normalise, as the pad's does. Numpy and OpenCV only.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from vis3d.inputs import convert
from vis3d.inputs.beside import not_on_paper
from vis3d.inputs.ink import largest_piece, many_colours, not_written
from vis3d.inputs.lying import lying_flat
from vis3d.inputs.paper import (BLOWN, DARKEST, background, darkness, extract, fills_frame,
                                find_sheets, one_colour)
from vis3d.inputs.extent import HELD, SHEET, colour_steps, paper_extent
from vis3d.inputs.patches import find_patches
from vis3d.inputs.pick import instead, surest
from vis3d.inputs.preprocess import Prepared, fit_strokes, normalise, unusable
from vis3d.inputs.stats import median

CAMERA_WIDTH = 320  # the camera pipeline works at about this many pixels on the long side

NOISY = 0.035       # sensor noise above this share of the paper's level gets a wider blur
ONLY_NOISE = 0.115  # ... above this the picture is noise, not a scene (webcam frames <= 0.09, colour noise 0.13)


def _smoothed(gray: np.ndarray, level: float) -> np.ndarray | None:
    """The working image smoothed against sensor noise: a 3x3 Gaussian, or 5x5 in a dim,
    noisy frame (noise from the median absolute difference of neighbours on a sparse grid,
    against the frame's ``level``, its 99th percentile); None when it is all noise."""
    step = gray[::8, ::4].astype(np.int16)
    diff = np.abs(step[:, 1:] - step[:, :-1]).ravel()
    noise = float(np.partition(diff, diff.size // 2)[diff.size // 2]) / 0.95
    if noise > ONLY_NOISE * max(level, 1.0):
        return None
    if noise > NOISY * max(level, 1.0):
        return cv2.GaussianBlur(gray, (5, 5), 1.2)
    return cv2.GaussianBlur(gray, (3, 3), 0)


def _brightest_first(sheets: list, low_gray: np.ndarray) -> list:
    """Sheets in the order to try them: paper held up is the brightest thing in view that is
    not a light (a window, a lamp: blown out), so by their median brightness, lights last."""
    if len(sheets) < 2:
        return sheets
    keys = []
    for outline, _ in sheets:
        inside = np.zeros(low_gray.shape, np.uint8)
        cv2.fillPoly(inside, [np.round(outline).astype(np.int32)], 255)
        level = median(low_gray[inside > 0]) if inside.any() else 0.0
        keys.append(level if level < BLOWN else -level)
    return [sheets[i] for i in np.argsort(keys)[::-1]]


def _chain(first: list, more):
    """The items of ``first``, then (only if asked for) those of ``more()``."""
    yield from first
    yield from more()


def _on_sheet(found, g, bg, colour, sxy, scale, stages, pen: bool = False, alts=None):
    """The digit on one found sheet -> (result, reason, region, corners in frame pixels);
    ``alts`` receives other readings of its ink (:mod:`vis3d.inputs.pick`)."""
    h, w = g.shape
    outline, quad = found
    region = np.zeros((h, w), np.uint8)
    cv2.fillPoly(region, [np.round((outline + 0.5) * sxy - 0.5).astype(np.int32)], 255)
    corners = (quad * sxy / scale).astype(np.float32)
    res, why, _ = extract(g, bg, region, 9, colour, stages, sheet=True, pen=pen, alts=alts)
    if res is None and why == "no ink on the sheet":
        # everything reached the outline's edge: perhaps the ink cut the outline (a large 0
        # whose inside looked like the sheet); its convex hull takes it in
        hull = cv2.convexHull(np.round((outline + 0.5) * sxy - 0.5).astype(np.int32))
        grown = region.copy()
        cv2.fillConvexPoly(grown, hull, 255)
        res, why, _ = extract(g, bg, grown, 9, colour, stages, sheet=True, pen=pen, alts=alts)
    return res, why, region, corners


def _at_border(box, shape) -> bool:
    """Whether an ink crop's box (grown 2 pixels, clipped to the frame) reaches the frame's edge."""
    x0, y0, x1, y1 = box
    return x0 <= 0 or y0 <= 0 or x1 >= shape[1] or y1 >= shape[0]


# Marks this little darker than their paper (1 - image / paper; pen ink mostly 0.23 and up,
# a faint ballpoint 0.15-0.2) that the model cannot place either (top probability under
# UNPLACED) are a shade of the room (a sheet's shadowed edge, a mug), not writing.
FAINTEST = 0.18
UNPLACED = 0.5

SURE = 0.9          # a first reading the model gives this top probability stands as it is
RIVALS = 2          # ... else at most this many more candidate regions are scored
RIVAL_GAIN = 0.15   # a rival replaces the first reading when the model is this much surer of it


def _candidates(g, bg, colour, low_bg, low_gray, scale, stages, note: dict):
    """Candidate digits (ink crop, box, sheet corners) in the order they are tried (see the
    module's docstring); ``note['why']`` says why there is none when nothing comes."""
    h, w = g.shape
    whole = np.full((h, w), 255, np.uint8)

    @functools.cache
    def steps():
        """The frame's colour steps, made when first asked for (the paper's extent, the
        patches): a sure first reading on a sheet needs neither."""
        return colour_steps(colour, low_bg.shape[::-1])

    sheets = _brightest_first(find_sheets(low_bg, low_gray), low_gray)
    fills = not sheets and fills_frame(low_bg) and one_colour(colour, low_bg.shape[::-1])
    if stages is not None:
        stages["path"] = f"{len(sheets)} sheets" if sheets else "fills" if fills else "room"
    sxy = (w / low_bg.shape[1], h / low_bg.shape[0])
    if not sheets:
        alts: list = []
        if fills:
            extent = paper_extent(steps(), most=SHEET)
            res = None
            if extent is not None and np.count_nonzero(extent) < HELD * extent.size:
                # a sheet held up in a room as light as it: its edge is the edge
                region = cv2.resize(extent, (w, h), interpolation=cv2.INTER_NEAREST)
                res, why, _ = extract(g, bg, region, 3, colour, stages, sheet=True, alts=alts)
                extent = None
                if stages is not None and res is not None:
                    stages["path"] += " (a held sheet)"
            if res is None:
                alts = []
                res, why, _ = extract(g, bg, whole, 3, colour, stages, alts=alts)
            if res is None and extent is not None:
                # nothing whole on all the frame: perhaps the paper reaches only up to a
                # strip of the room, whose edge took the digit's place; its edge is the edge
                region = cv2.resize(extent, (w, h), interpolation=cv2.INTER_NEAREST)
                alts2: list = []
                res2, why2, _ = extract(g, bg, region, 3, colour, stages, alts=alts2)
                if res2 is not None:
                    res, why, alts = res2, why2, alts2
        else:   # no sheet stands out from the room: only ink on an even patch of paper
            res, why, _ = extract(g, bg, whole, 3, colour, stages, strict=True, alts=alts)
            why = f"no sheet found ({why})" if res is None else why
        note["why"] = why
        if res is not None:
            yield res, None, alts
    else:
        region, found_any = None, False
        # largest first: a window may outshine the sheet; then the next tier of brightness
        for found in _chain(sheets, lambda: find_sheets(low_bg, low_gray, second=True)):
            alts = []
            res_k, why_k, region_k, corners_k = _on_sheet(found, g, bg, colour, sxy, scale,
                                                          stages, alts=alts)
            if region is None:
                note["why"], region, note["corners"] = why_k, region_k, corners_k
            if res_k is not None:
                found_any = True
                yield res_k, corners_k, alts
        if not found_any:
            # Nothing whole on the "sheet": perhaps its edge is a shadow's, on paper filling
            # the frame. Take the whole frame if the digit is whole there, beside the lit
            # part, on a background bright enough for paper. (A digit wholly in such a
            # shadow stays "no ink": an empty sheet in a room looks the same.)
            # Nor is what runs out of the picture there a whole digit (the room beside
            # the sheet: furniture, a wall's things). No faint strokes here: the lit part's
            # own edge lies inside, its thin shaded rim a straight 'stroke' on even paper.
            res2, _, cut2 = extract(g, bg, whole, 3, colour, faint=False)
            if res2 is not None and not cut2 and not _at_border(res2[1], (h, w)) \
                    and shadowed_paper(res2[1], None, region, bg):
                yield res2, None, []
    if colour is not None and not fills:
        # one of even colour may hold the digit (a sticky note, a sheet no brighter than the
        # room), pen strokes only
        tried = []
        for outline, _ in sheets:
            tried.append(np.zeros(low_bg.shape, np.uint8))
            cv2.fillPoly(tried[-1], [np.round(outline).astype(np.int32)], 255)
        for found in find_patches(colour, low_bg.shape[::-1], tried, steps=steps()):
            alts = []
            res_k, _, _, corners_k = _on_sheet(found, g, bg, colour, sxy, scale, stages,
                                               pen=True, alts=alts)
            if res_k is not None:
                if stages is not None:
                    stages["path"] += " + patch"
                yield res_k, corners_k, alts


UPRIGHT = (4.0, 35.0)   # a sheet tilted this many degrees (from, to): its digit turned upright
AGREE = 0.6             # ... if its edges' directions agree this well (0..1; perspective)


def sheet_tilt(corners) -> tuple[float, float]:
    """(tilt in degrees -45..45, clockwise as seen; how well the edges agree, 0..1) of a
    sheet's outline: its edges' directions modulo 90 degrees, averaged on the circle
    weighted by length (perspective bends them a little; a poor outline much)."""
    q = [(float(x), float(y)) for x, y in np.asarray(corners).reshape(-1, 2)]
    c = s = total = 0.0
    for (x0, y0), (x1, y1) in zip(q, q[1:] + q[:1]):      # plain floats: 4 points
        length = math.hypot(x1 - x0, y1 - y0)
        four = 4.0 * math.atan2(y1 - y0, x1 - x0)
        c, s, total = c + length * math.cos(four), s + length * math.sin(four), total + length
    agree = math.hypot(c, s) / max(total, 1e-9)
    return (math.degrees(math.atan2(s, c)) / 4.0 if agree > 0 else 0.0), agree


def _upright(ink: np.ndarray, corners) -> np.ndarray:
    """The ink turned by its sheet's tilt: a digit is written upright on the sheet held up,
    and the model knows digits upright."""
    if corners is None:
        return ink
    angle, agree = sheet_tilt(corners)
    if not UPRIGHT[0] <= abs(angle) <= UPRIGHT[1] or agree < AGREE:
        return ink           # upright already, or no sheet's outline to go by
    h, w = ink.shape
    side = int(np.ceil(np.hypot(h, w))) + 2
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    m[:, 2] += ((side - w) / 2.0, (side - h) / 2.0)
    return cv2.warpAffine(ink, m, (side, side), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _image(res, corners=None):
    ink, _ = res
    return normalise(fit_strokes(_upright(ink, corners)))


def _reading(res, corners, g, bg, colour):
    """A candidate's ink -> (28x28 or None, how dark the ink is against its paper, why it is
    no pen's digit or ''). The darkness is a callable, measured when first asked for (only
    a solid bar's test and the model's doubt about faint marks need it)."""
    x0, y0, x1, y1 = res[1]

    @functools.cache
    def level() -> float:
        strokes = res[0] > 0.3
        return median(darkness(g[y0:y1, x0:x1], bg[y0:y1, x0:x1])[strokes]) \
            if strokes.any() else 1.0
    why = not_written(res[0], level, g.shape[1] / 640.0)
    if not why:     # (the largest piece of its strokes: made once for both tests)
        own = largest_piece(res[0])
        why = many_colours(res[0], None if colour is None else colour[y0:y1, x0:x1], own) \
            or not_on_paper(res[0], res[1], g, colour, own)
    if why:
        return None, level, why
    image = _image(res, corners)
    why = lying_flat(image)
    return (None if why else image), level, why


def prepare_camera(frame, stages: dict | None = None, score=None) -> Prepared:
    """A camera frame (BGR uint8 as OpenCV gives it, gray ok, any size) -> Prepared.
    ``stages``, when given, receives what the window shows on request: 'work' (the frame at
    the working size), 'mask' (the ink mask there, 0/255), 'scale' (working / frame pixels).
    ``score``: a callable 28x28 -> the model's top probability for it, or None when the model
    cannot answer now (the caller's model; this module stays torch-free). When the first candidate's reading is unsure, up to
    RIVALS more candidate regions are read and the one the model is clearly surest of wins;
    when that is still unsure, its region's ink grouped otherwise too (:mod:`pick`)."""
    why = unusable(frame)
    if why:
        return Prepared(None, "camera", why)
    gray, colour, scale, why = convert.reduced(frame, CAMERA_WIDTH)
    if gray is None:
        return Prepared(None, "camera", why)
    if stages is not None:
        stages["work"], stages["scale"] = (colour if colour is not None else gray), scale
    hist = cv2.calcHist([gray[::2, ::2]], [0], None, [256], [0, 256]).ravel()
    hist = hist.astype(np.int64).cumsum()      # (OpenCV's count: half numpy's bincount's time)
    p1 = int(np.searchsorted(hist, 0.01 * hist[-1]))
    p99 = int(np.searchsorted(hist, 0.99 * hist[-1]))
    if p99 < DARKEST:
        return Prepared(None, "camera", "too dark")
    if p99 - p1 < 16:
        return Prepared(None, "camera", "no ink on the paper")
    g = _smoothed(gray, p99)
    if g is None:
        return Prepared(None, "camera", "only noise")
    bg, low_bg, low_gray = background(g)
    note: dict = {"why": "no ink on the paper", "corners": None}
    best = None                          # (score, image, box, corners, mask, other readings)
    seen = 0
    refused = ""                         # why the candidates seen were no pen's digit
    passed: list = []                    # ... and their other readings (corners, alts)
    for res, corners, alts in _candidates(g, bg, colour, low_bg, low_gray, scale, stages, note):
        image, level, why = _reading(res, corners, g, bg, colour)
        if why:
            refused = refused or why
            passed.append((corners, alts))
        if image is None:
            continue
        mask = None if stages is None else stages.get("mask")
        if score is None:
            best = (1.0, image, res[1], corners, mask, alts)
            break
        p = score(image)
        if p is None:       # the model gives no answer now (busy, slow): judge no further
            if best is None:
                best = (1.0, image, res[1], corners, mask, alts)
            break
        p = float(p)
        seen += 1
        if p < UNPLACED and level() < FAINTEST:
            refused = refused or ("no digit (marks barely darker than the paper, which the "
                                  f"model cannot place: {p:.0%})")
            continue
        if best is None or p > best[0] + RIVAL_GAIN:
            best = (p, image, res[1], corners, mask, alts)
        if best[0] >= SURE or seen > RIVALS:
            break
    if best is not None and score is not None and best[0] < SURE:
        # still unsure: the region's ink grouped otherwise (a finger's edge or a shadow
        # taken for the digit, or joined to it), read by the model too
        def others(best=best):
            for res in (r for more in best[5] for _, r in more()):
                image_k = _reading(res, best[3], g, bg, colour)[0]
                if image_k is not None:
                    yield image_k, res[1]
        best = surest(best, others(), score)
    if best is None and score is not None and passed:
        # all refused (a window's bar taken for the digit on its sheet): their regions' ink
        # grouped otherwise, the digit beside the bar among it
        best = instead(passed, lambda res, corners: _reading(res, corners, g, bg, colour)[0],
                       score, None if stages is None else stages.get("mask"))
    if best is None:
        return Prepared(None, "camera", refused or note["why"], sheet=note["corners"])
    _, image, box, corners, mask, _ = best
    if stages is not None and mask is not None:
        stages["mask"] = mask
    bbox = tuple(int(round(v / scale)) for v in box)
    return Prepared(image, "camera", bbox=bbox, sheet=corners)


def _box_area(box) -> int:
    return max(1, (box[2] - box[0]) * (box[3] - box[1]))


def shadowed_paper(box, first, region: np.ndarray, bg: np.ndarray) -> bool:
    """Whether a digit found in the whole frame (``box``) is on paper in a shadow beside the
    lit part that looked like a sheet, rather than on the room around a real sheet."""
    if first is not None and _box_area(box) > 4 * _box_area(first[1]):
        return False                 # it grew into a ring along a real sheet's edge
    x0, y0, x1, y1 = box
    h, w = region.shape
    reach = int(0.1 * min(h, w))
    near = region[max(0, y0 - reach):y1 + reach, max(0, x0 - reach):x1 + reach]
    if not near.any():
        return False
    around = median(bg[y0:y1, x0:x1])
    return around >= 0.35 * median(bg[region > 0])
