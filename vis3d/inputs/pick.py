"""Other ways to read the ink on one sheet, for the model to judge (camera input; numpy/OpenCV).

The camera pipeline picks the digit among a sheet's ink components by size and place
(:func:`vis3d.inputs.choose.select_digit`): the largest plausible component, with the pieces
near it. A piece of the room can win that way (a finger's edge over the sheet, a shadow, the
sheet's own edge), or join the digit. When the model is unsure of the first reading, these
other groupings are read too, and one replaces it only when the model is clearly surer of it.
"""

from __future__ import annotations

import cv2
import numpy as np

from vis3d.inputs.axes import straight
from vis3d.inputs.doubt import blotchy

ALTERNATIVES = 4    # at most this many other groupings of a region's ink are read
FIRM = 0.9          # ... and the surest replaces the first reading if the model is this sure
GAIN = 0.05         # ... and this much surer than of the first (a window's bar joined to a
                    # 9 read as a 7 at 0.88, the 9 alone at 0.96)


def groupings(main, keep, pool, stats, areas, group, middle=None,
              wider=None) -> list[tuple[str, list[int]]]:
    """Other groupings of the components in ``pool`` (their ``stats`` rows and ``areas`` as
    cv2 gives them) than ``keep``, ``main`` and the pieces joined to it; ``group(c, share)``
    the pieces it would join to a component c (within ``share`` of its size). Each comes
    with its kind: the main component alone, or the pieces joined to it without it (the
    largest alone); the next largest components with their pieces;
    the group nearest the sheet's centre ``middle`` (x, y); the largest of ``wider`` (all
    plausible ink, when ``pool`` is a part of it); main with pieces from twice as far."""
    out: list[tuple[str, list[int]]] = []
    seen = [sorted(int(i) for i in keep)]

    def offer(tag, k):
        k = sorted(int(i) for i in k)
        if k not in seen:
            seen.append(k)
            out.append((tag, k))

    if len(keep) > 1:
        offer("alone", [main])
        pieces = [int(i) for i in keep if int(i) != int(main)]
        offer("rest", pieces)
        offer("piece", [max(pieces, key=lambda i: areas[i])])
    others = [int(i) for i in pool[np.argsort(-areas[pool])] if int(i) not in keep]
    for c in others[:2]:
        offer("next", group(c, 0.5))
    if middle is not None and len(pool) > 1:
        mx = stats[pool, 0] + stats[pool, 2] / 2.0 - middle[0]
        my = stats[pool, 1] + stats[pool, 3] / 2.0 - middle[1]
        offer("middle", group(int(pool[np.argmin(mx * mx + my * my)]), 0.5))
    if wider is not None and len(wider) > len(pool):
        big = int(wider[np.argmax(areas[wider])])
        if big not in keep:
            offer("largest", group(big, 0.5))
    offer("wide", group(main, 1.0))
    return out


def embedded(groups, shape, origin):
    """``groups(middle) -> [(kind, keep mask)]`` on a crop at ``origin`` (x, y) of an image of
    ``shape`` -> the same on the whole image (``middle`` in its pixels)."""
    x0, y0 = origin

    def whole(middle=None) -> list:
        out = []
        for tag, keep in groups(None if middle is None else (middle[0] - x0, middle[1] - y0)):
            full = np.zeros(shape, np.uint8)
            full[y0:y0 + keep.shape[0], x0:x0 + keep.shape[1]] = keep
            out.append((tag, full))
        return out
    return whole


def readings(groups, region, origin, ink) -> list:
    """The groupings ``groups(middle)`` of a region's ink (``region`` 0/255 on a crop at
    ``origin`` of the working image; ``middle`` its centre) as readings [(kind, (ink crop,
    box in the working image))]; ``ink(keep)`` -> (ink crop, box on the crop) or None."""
    m = cv2.moments(region, binaryImage=True)
    middle = (m["m10"] / m["m00"], m["m01"] / m["m00"]) if m["m00"] > 0 else None
    out = []
    for tag, keep in groups(middle):
        res = ink(keep)
        if res is not None:
            crop, (x0, y0, x1, y1) = res
            out.append((tag, (crop, (x0 + origin[0], y0 + origin[1], x1 + origin[0],
                                     y1 + origin[1]))))
    return out


def surest(best: tuple, others, score) -> tuple:
    """``best`` (top probability, 28x28, box, ...) or the other reading of its region the
    model is surest of, if at least FIRM and GAIN over it. ``others`` yields (28x28, box)
    for the other groupings; at most ALTERNATIVES are read. Never one straight stroke: the
    model reads any as a confident '1', and the edges of things are straight (a sheet's, a
    shadow's, a finger's side), so it is no evidence against the first reading; nor a
    blotch the model is unsure of (:func:`vis3d.inputs.doubt.blotchy`). A ``score`` of
    None (no answer) ends the search with ``best``."""
    top = None
    for k, (image, box) in enumerate(others):
        if k >= ALTERNATIVES:
            break
        if straight(np.uint8(image > 0.3)):
            continue
        p = score(image)
        if p is None:         # the model gives no answer now (busy, slow): keep the reading
            return best
        p = float(p)
        if (top is None or p > top[0]) and not blotchy(image, p):
            top = (p, image, box)
    if top is None or top[0] < FIRM or top[0] <= best[0] + GAIN:
        return best
    return top + tuple(best[3:])


def instead(passed: list, read, score, mask=None) -> tuple | None:
    """When every candidate was refused as no pen's digit (a window's bar or a book's edge
    on the sheet taken for the digit): the other groupings of their regions' ink, ``passed``
    [(sheet corners, alts)] as the candidates gave them, ``read(res, corners)`` -> 28x28 or
    None (refused too); the first candidate's reading the model is FIRM of, as
    :func:`surest` judges it (never a straight stroke or a blotch), as prepare_camera's
    (score, 28x28, box, corners, ``mask``, []), or None."""
    for corners, alts in passed:
        def others(corners=corners, alts=alts):
            for res in (r for more in alts for _, r in more()):
                image = read(res, corners)
                if image is not None:
                    yield image, res[1]
        got = surest((0.0, None, None, corners, mask, []), others(), score)
        if got[1] is not None:
            return got
    return None
