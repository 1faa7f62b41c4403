"""Input preprocessing: any picture of a digit -> a 28x28 MNIST-like image.

Two pipelines, one ending:
  * pad     strokes on a plain canvas (light on dark or the reverse, decided by the border);
  * camera  a photo of dark ink on paper (uneven light, shadows, blur, noise, JPEG, a tilted
            sheet that may cover only part of the frame with a darker room around it);
  * both end in :func:`normalise`, MNIST's own recipe: crop the ink to its bounding box,
    scale it to fit 20x20 keeping the aspect ratio, place it in 28x28 and shift it so the
    centre of mass sits at pixel (14, 14); values 0..1, ink bright.
When there is nothing to classify the result says so (``Prepared.image is None`` with a
reason) instead of guessing. Numpy and OpenCV only: no Qt, no VisPy, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vis3d.inputs import convert
from vis3d.inputs import ink as ink_mod
from vis3d.inputs.paper import bbox as _bbox

SOURCES = ("auto", "pad", "camera", "raw")
BOX = 20            # the digit is fitted into BOX x BOX ...
SIZE = 28           # ... inside SIZE x SIZE
CENTRE = 14.0       # where MNIST puts the centre of mass (pixel index units, measured on t10k)


@dataclass
class Prepared:
    image: np.ndarray | None   # (28, 28) float32, 0..1, ink bright; None = no digit
    source: str                # 'pad' | 'camera' | 'raw'
    reason: str = ""           # why there is no digit
    bbox: tuple | None = None  # ink bounding box (x0, y0, x1, y1) in input pixels
    sheet: np.ndarray | None = None  # camera: (4, 2) float32 corners of the found sheet

    @property
    def found(self) -> bool:
        return self.image is not None


# --- input conversion -------------------------------------------------------------------

THIN = 50          # a picture more than this many times longer than wide holds no digit


def unusable(img) -> str:
    """Why ``img`` cannot hold a digit at all ('' if it may): not a numeric picture, a side
    of zero length, or a strip (60000x1) that no pipeline should turn into a guess."""
    a, why = convert.check_array(img)
    if a is None:
        return why
    h, w = a.shape[:2]
    if min(h, w) < 2 or max(h, w) > THIN * min(h, w):
        return f"not a digit picture ({w}x{h} pixels)"
    return ""


def to_gray(img) -> tuple[np.ndarray | None, str]:
    """Gray, BGR or BGRA (any dtype) -> (float32 HxW in 0..1, '') or (None, reason), by the
    rules of :mod:`vis3d.inputs.convert` (shared with the draw pad, camera and views)."""
    gray, why = convert.gray_unit(img)
    if gray is not None and min(gray.shape) < 2:
        return None, f"not an image ({gray.shape[1]}x{gray.shape[0]} pixels)"
    return gray, why


# --- the shared MNIST normalisation -----------------------------------------------------

def normalise(ink: np.ndarray, threshold: float = 0.05) -> np.ndarray | None:
    """Ink image (float32, 0..1, ink bright, any size) -> (28, 28) MNIST-normalised, or None.

    Crop to the bounding box of ``ink > threshold``, scale to fit 20x20 keeping the aspect
    ratio (area averaging when shrinking), place in 28x28 with the centre of mass at (14, 14)
    using a whole-pixel shift (a 28x28 MNIST digit comes back unchanged)."""
    x0, y0, w, h = cv2.boundingRect((ink > threshold).view(np.uint8))
    if w == 0 or h == 0:
        return None
    y1, x1 = y0 + h, x0 + w
    crop = np.ascontiguousarray(ink[y0:y1, x0:x1], dtype=np.float32)
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    if (nh, nw) != (h, w):
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (nw, nh), interpolation=interp)
        np.minimum(crop, 1.0, out=crop)  # the filters are convex, but round up by 1e-7
    # Centre of mass by numpy: cv2.moments reads an N x 2 array (a thin '1') as a point list.
    mass = float(crop.sum())
    if mass <= 1e-6:
        return None
    cy = float(crop.sum(axis=1) @ np.arange(crop.shape[0])) / mass
    cx = float(crop.sum(axis=0) @ np.arange(crop.shape[1])) / mass
    top = min(max(int(round(CENTRE - cy)), 0), SIZE - nh)
    left = min(max(int(round(CENTRE - cx)), 0), SIZE - nw)
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top:top + nh, left:left + nw] = crop
    return out


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels of the ink above half (see ink.stroke_width)."""
    return ink_mod.stroke_width(ink > 0.5)


# MNIST's stroke width once fitted to 20x20 (this estimator on t10k drawn 10x larger):
# 10th percentile 1.4, median 1.8, 90th percentile 2.6 pixels. Thicker strokes are thinned
# to WIDTH_TARGET (fat pens on small digits cost 3-4 points otherwise); thinner ones are
# left alone (thickening them measured no better).
WIDTH_MAX = 2.7
WIDTH_TARGET = 2.0


WIDTH_MIN = 1.3     # ... and thinner ones (a ballpoint on a large digit) widened to WIDTH_TARGET


def _measure(ink: np.ndarray) -> tuple[int, float]:
    """(the long side of the ink's box, its stroke width once fitted to BOX x BOX; 0 when
    the side is SIZE or less, which is left alone)."""
    x, y, w, h = cv2.boundingRect(np.uint8(ink > 0.05))
    side = max(w, h)
    if side <= SIZE:
        return side, 0.0
    return side, stroke_width(ink[y:y + h, x:x + w]) * BOX / side


def thicken(ink: np.ndarray, measured: tuple[int, float] | None = None) -> np.ndarray:
    """Widen strokes that would be far thinner than MNIST's after the fit to 20x20 (a
    ballpoint's 2-5 pixel line on a digit 150 pixels tall): a grey dilation by the radius
    that brings them to WIDTH_TARGET. For camera ink only: the pad is drawn thick.
    ``measured``: :func:`_measure` of this ``ink`` when known."""
    side, width = measured or _measure(ink)
    if side <= SIZE:
        return ink
    if width >= WIDTH_MIN:
        return ink
    radius = int(round((WIDTH_TARGET - width) * side / BOX / 2))
    if radius < 1:
        return ink
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    pad = radius + 1
    grown = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    return cv2.dilate(grown, disk)


def even_strokes(ink: np.ndarray) -> np.ndarray:
    """Thin strokes that would be far thicker than MNIST's after the fit to 20x20 (a fat
    marker on a small digit). Only for ink larger than 28 pixels, which is shrunk anyway:
    MNIST-sized input is left alone."""
    return _even(ink)[0]


def fit_strokes(ink: np.ndarray) -> np.ndarray:
    """``thicken(even_strokes(ink))``, the strokes measured once where they stay as they are."""
    ink, measured = _even(ink)
    return thicken(ink, measured)


def _even(ink: np.ndarray) -> tuple[np.ndarray, tuple[int, float] | None]:
    """(:func:`even_strokes` of ``ink``, :func:`_measure` of that when it was taken)."""
    for _ in range(2):   # the estimate is not linear in the erosion: measure again once
        measured = side, width = _measure(ink)
        if side <= SIZE:
            return ink, measured
        if width <= WIDTH_MAX:
            return ink, measured
        # eroding by r also shrinks the ink's extent by 2r, which the fit scales up again:
        # solve (w - 2r) * BOX / (side - 2r) = WIDTH_TARGET for r (w in input pixels)
        w_in = width * side / BOX
        radius = int(round((w_in - WIDTH_TARGET * side / BOX) / (2 * (1 - WIDTH_TARGET / BOX))))
        if radius < 1:
            return ink, measured
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        thinner = cv2.erode(ink, disk)
        if float(thinner.max()) < 0.5:   # never erase a drawing while thinning it
            return ink, measured
        ink = thinner
    return ink, None


# --- pad --------------------------------------------------------------------------------

PAD_WORK = 112  # pads are analysed at most about this big (~5x the final 20x20)


def _pad_ink(gray: np.ndarray, bg: float) -> tuple[np.ndarray, float]:
    """Ink (0..1, bright) of a canvas whose background is ``bg``, and its peak."""
    ink = gray - bg if bg < 0.5 else bg - gray
    top = float(ink.max())
    if 0.1 <= top < 0.9:          # faint strokes: stretched to full ink
        ink = ink * (1.0 / top)
    np.maximum(ink, 0.0, out=ink)
    return np.minimum(ink, 1.0, out=ink), top


def _big_gray_u8(img) -> np.ndarray | None:
    """A large 8-bit gray or BGR canvas as 8-bit gray (the draw pad's case), else None."""
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or max(img.shape[:2]) <= PAD_WORK:
        return None
    if img.ndim == 2:
        return img
    if img.ndim == 3 and img.shape[2] == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return None


def prepare_pad(img) -> Prepared:
    """Strokes on a plain canvas of any size; light on dark or dark on light (by the border)."""
    why = unusable(img)
    if why:
        return Prepared(None, "pad", why)
    # A big 8-bit canvas is reduced while still 8-bit: a fraction of the memory traffic.
    gray = _big_gray_u8(img)
    unit = 1.0 / 255.0
    if gray is None:
        gray, why = to_gray(img)
        if gray is None:
            return Prepared(None, "pad", why)
        unit = 1.0
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    bg = float(np.partition(border, len(border) // 2)[len(border) // 2]) * unit  # the median
    back, check, x0, y0 = 1, None, 0, 0
    if max(gray.shape) > PAD_WORK and min(gray.shape) >= 2 * (-(-max(gray.shape) // PAD_WORK)):
        back = -(-max(gray.shape) // PAD_WORK)       # a whole factor: OpenCV's fast path
        top = (float(gray.max()) * unit - bg) if bg < 0.5 else (bg - float(gray.min()) * unit)
        if top < 0.1:
            return Prepared(None, "pad", "blank pad")
        # Every pixel with a trace of ink (2% of the strongest) ...
        level = (bg + 0.02 * top if bg < 0.5 else bg - 0.02 * top) / unit
        mode = cv2.THRESH_BINARY if bg < 0.5 else cv2.THRESH_BINARY_INV
        if gray.dtype != np.uint8:
            mask = np.uint8(gray > level if bg < 0.5 else gray < level) * 255
        else:
            mask = cv2.threshold(gray, level, 255, mode)[1]
        # ... gives the shape checks a block-wise "any ink" copy (a one-pixel speck stays a
        # speck) and the digit's box.
        hb, wb = (gray.shape[0] // back) * back, (gray.shape[1] // back) * back
        check = (cv2.resize(mask[:hb, :wb], (wb // back, hb // back),
                            interpolation=cv2.INTER_AREA) > 0).astype(np.float32)
        # The digit: cropped to its ink (so the result does not depend on where it was
        # drawn), then area-averaged by the whole factor, keeping the stroke profile.
        x, y, w, h = cv2.boundingRect(mask)
        x0, y0 = max(0, x - back), max(0, y - back)
        x1 = min(gray.shape[1], x0 + (-(-(x + w + back - x0) // back)) * back)
        y1 = min(gray.shape[0], y0 + (-(-(y + h + back - y0) // back)) * back)
        crop = gray[y0:y0 + ((y1 - y0) // back) * back, x0:x0 + ((x1 - x0) // back) * back]
        gray = cv2.resize(crop, (crop.shape[1] // back, crop.shape[0] // back),
                          interpolation=cv2.INTER_AREA)
    if gray.dtype != np.float32:
        gray = gray.astype(np.float32) * unit
    ink, top = _pad_ink(gray, bg)
    if top < 0.1:
        return Prepared(None, "pad", "blank pad")
    why = _not_strokes(ink if check is None else check)
    if why:
        return Prepared(None, "pad", why)
    image = normalise(even_strokes(ink))
    if image is None:
        return Prepared(None, "pad", "blank pad")
    bx0, by0, bx1, by1 = _bbox(ink > 0.05)
    bbox = (x0 + bx0 * back, y0 + by0 * back, x0 + bx1 * back, y0 + by1 * back)
    return Prepared(image, "pad", bbox=bbox)


def _not_strokes(ink: np.ndarray) -> str:
    """'' if the ink looks like pen strokes; else why not (a flood of ink, or noise: many
    scattered specks with no dominant stroke). Limits have wide margins over MNIST's own
    digits (at most 33% ink, 8 components, the largest >= 35% of the ink)."""
    x, y, w, h = cv2.boundingRect(np.uint8(ink > 0.05))
    if max(w, h) < max(4.0, 0.04 * max(ink.shape)):
        return "only a dot"
    solid = np.uint8(ink > 0.5)
    if solid.size > 400_000:   # labelling a huge canvas is the slow part: every 2nd pixel
        solid = np.ascontiguousarray(solid[::2, ::2])
    total = int(np.count_nonzero(solid))
    if total > 0.45 * solid.size:
        return "not a drawing (ink everywhere)"
    n, _, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8, ltype=cv2.CV_16U)
    if n - 1 > 12 and stats[1:, cv2.CC_STAT_AREA].max() < 0.3 * total:
        return "not a drawing (scattered specks)"
    return ""


# --- raw --------------------------------------------------------------------------------

def prepare_raw(img) -> Prepared:
    """A 28x28 image fed as it is: scaled to 0..1 and turned ink-bright if its border is light."""
    gray, why = to_gray(img)
    if gray is None:
        return Prepared(None, "raw", why)
    if gray.shape != (SIZE, SIZE):
        return Prepared(None, "raw", f"raw input must be 28x28, got {gray.shape[1]}x{gray.shape[0]}")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if float(np.median(border)) > 0.5:
        gray = 1.0 - gray
    if float(gray.max()) < 0.1:
        return Prepared(None, "raw", "blank image")
    return Prepared(np.ascontiguousarray(gray, np.float32), "raw", bbox=_bbox(gray > 0.05))


# --- auto -------------------------------------------------------------------------------

def guess_source(img) -> str:
    """'pad' for small images and clean canvases (most pixels share one exact value, as a
    drawn or rendered background does); 'camera' for photos (noise, shading, JPEG)."""
    a, _ = convert.check_array(img)
    if a is None or max(a.shape[:2]) <= 64:
        return "pad"
    gray, _ = to_gray(a[::2, ::2] if max(a.shape[:2]) > 2000 else a)
    if gray is None:
        return "pad"
    q = np.round(gray[::2, ::2] * 255).astype(np.uint8) if max(a.shape[:2]) <= 2000 else \
        np.round(gray * 255).astype(np.uint8)
    hist = np.bincount(q.ravel(), minlength=256)
    mode = int(np.argmax(hist))
    near = hist[max(0, mode - 2):mode + 3].sum() / q.size
    return "pad" if near > 0.4 else "camera"


def prepare(img, source: str = "auto", score=None) -> Prepared:
    """The one pipeline of the window (``--input``, the pad, the camera) and ``vis3d predict``:
    any picture -> Prepared, never an exception for a bad picture. ``score``: the camera
    pipeline's judge among candidate regions (see :func:`prepare_camera`)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source '{source}' (one of {', '.join(SOURCES)})")
    why = unusable(img)
    if why:
        return Prepared(None, "pad" if source == "auto" else source, why)
    if source == "auto":
        source = guess_source(img)
    if source == "pad":
        return prepare_pad(img)
    if source == "camera":
        return prepare_camera(img, score=score)
    if source == "raw":
        return prepare_raw(img)
    raise ValueError(f"unknown source '{source}' (one of {', '.join(SOURCES)})")


# --- camera -----------------------------------------------------------------------------

def prepare_camera(frame, stages: dict | None = None, score=None) -> Prepared:
    """A camera frame -> Prepared: :func:`vis3d.inputs.frame.prepare_camera` (a module of its
    own that ends in the normalisation above, so imported when first used). ``score``: a
    callable 28x28 -> the model's top probability, to choose among candidate regions."""
    from vis3d.inputs.frame import prepare_camera as run
    return run(frame, stages, score)
