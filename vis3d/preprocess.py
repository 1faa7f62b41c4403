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

SOURCES = ("auto", "pad", "camera", "raw")
BOX = 20            # the digit is fitted into BOX x BOX ...
SIZE = 28           # ... inside SIZE x SIZE
CENTRE = 14.0       # where MNIST puts the centre of mass (pixel index units, measured on t10k)
CAMERA_WIDTH = 320  # the camera pipeline works at about this many pixels on the long side


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

def _as_float(a: np.ndarray) -> np.ndarray:
    """Any numeric array -> float32 in 0..1 (uint8/uint16 by their range, floats by theirs)."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) / np.float32(255.0)
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        top = 65535.0 if a.dtype in (np.uint16, np.int32, np.int64, np.uint32) and a.max() > 255 else 255.0
        return np.clip(a.astype(np.float32) / top, 0.0, 1.0)
    f = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    hi = float(f.max()) if f.size else 0.0
    if hi > 1.0:
        f = f / (255.0 if hi <= 255.0 else hi)
    return np.clip(f, 0.0, 1.0)


def to_gray(img) -> tuple[np.ndarray | None, str]:
    """Gray, BGR or BGRA (any dtype) -> (float32 HxW in 0..1, '') or (None, reason).

    Transparent pixels are laid over black or white, whichever contrasts with the
    opaque pixels, so strokes on a transparent canvas survive."""
    try:
        a = np.asarray(img)
    except Exception:  # noqa: BLE001 - anything that is not array-like
        return None, "not an image"
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        return None, "not an image"
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or a.shape[0] < 2 or a.shape[1] < 2:
        return None, f"not an image (shape {a.shape})"
    if a.ndim == 2:
        return _as_float(a), ""
    channels = a.shape[2]
    if channels not in (2, 3, 4):
        return None, f"unsupported image with {channels} channels"
    f = _as_float(a)
    if channels == 2:
        gray, alpha = f[..., 0], f[..., 1]
    else:
        bgr = np.ascontiguousarray(f[..., :3])
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        if channels == 3:
            return gray, ""
        alpha = f[..., 3]
    if alpha.min() >= 0.999:
        return np.ascontiguousarray(gray), ""
    opaque = alpha > 0.5
    strokes_dark = opaque.any() and float(gray[opaque].mean()) < 0.5
    under = 1.0 if strokes_dark else 0.0
    return (gray * alpha + under * (1.0 - alpha)).astype(np.float32), ""


# --- the shared MNIST normalisation -----------------------------------------------------

def normalise(ink: np.ndarray, threshold: float = 0.05) -> np.ndarray | None:
    """Ink image (float32, 0..1, ink bright, any size) -> (28, 28) MNIST-normalised, or None.

    Crop to the bounding box of ``ink > threshold``, scale to fit 20x20 keeping the aspect
    ratio (area averaging when shrinking), place in 28x28 with the centre of mass at (14, 14)
    using a whole-pixel shift (a 28x28 MNIST digit comes back unchanged)."""
    mask = ink > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = np.ascontiguousarray(ink[y0:y1, x0:x1], dtype=np.float32)
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    if (nh, nw) != (h, w):
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (nw, nh), interpolation=interp)
    crop = np.clip(crop, 0.0, 1.0)
    m = cv2.moments(crop)
    if m["m00"] <= 1e-6:
        return None
    cy, cx = m["m01"] / m["m00"], m["m10"] / m["m00"]
    top = int(np.clip(round(CENTRE - cy), 0, SIZE - nh))
    left = int(np.clip(round(CENTRE - cx), 0, SIZE - nw))
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top:top + nh, left:left + nw] = crop
    return out


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    return x, y, x + w, y + h


# --- pad --------------------------------------------------------------------------------

def prepare_pad(img) -> Prepared:
    """Strokes on a plain canvas of any size; light on dark or dark on light (by the border)."""
    gray, why = to_gray(img)
    if gray is None:
        return Prepared(None, "pad", why)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    bg = float(np.median(border))
    ink = gray - bg if bg < 0.5 else bg - gray
    top = float(ink.max())
    if top < 0.1:
        return Prepared(None, "pad", "blank pad")
    if top < 0.9:                 # faint strokes: stretched to full ink
        ink = ink * (1.0 / top)
    np.clip(ink, 0.0, 1.0, out=ink)
    why = _not_strokes(ink)
    if why:
        return Prepared(None, "pad", why)
    image = normalise(ink)
    if image is None:
        return Prepared(None, "pad", "blank pad")
    return Prepared(image, "pad", bbox=_bbox(ink > 0.05))


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
    gray, _ = to_gray(img)
    if gray is None or max(gray.shape) <= 64:
        return "pad"
    q = np.round(gray[::2, ::2] * 255).astype(np.uint8)
    hist = np.bincount(q.ravel(), minlength=256)
    mode = int(np.argmax(hist))
    near = hist[max(0, mode - 2):mode + 3].sum() / q.size
    return "pad" if near > 0.4 else "camera"


def prepare(img, source: str = "auto") -> Prepared:
    if source == "auto":
        source = guess_source(img)
    if source == "pad":
        return prepare_pad(img)
    if source == "camera":
        return prepare_camera(img)
    if source == "raw":
        return prepare_raw(img)
    raise ValueError(f"unknown source '{source}' (one of {', '.join(SOURCES)})")


# --- camera -----------------------------------------------------------------------------

def _working_gray(frame) -> tuple[np.ndarray | None, float, str]:
    """Frame -> (uint8 gray at about CAMERA_WIDTH on the long side, scale factor, reason)."""
    a = np.asarray(frame) if not isinstance(frame, np.ndarray) else frame
    if a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3 and min(a.shape[:2]) >= 2:
        gray = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)
    elif a.dtype == np.uint8 and a.ndim == 2 and min(a.shape) >= 2:
        gray = a
    else:
        f, why = to_gray(a)
        if f is None:
            return None, 1.0, why
        gray = (f * 255.0 + 0.5).astype(np.uint8)
    h, w = gray.shape
    scale = min(1.0, CAMERA_WIDTH / max(h, w))
    if scale < 1.0:
        size = (max(2, int(round(w * scale))), max(2, int(round(h * scale))))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return gray, scale, ""


def _background(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paper brightness without the ink: a closing (max then min filter) at 1/4 resolution.

    Returns (background at working resolution as float32, the low-resolution background)."""
    h, w = gray.shape
    lw, lh = max(4, w // 4), max(4, h // 4)
    low = cv2.resize(gray, (lw, lh), interpolation=cv2.INTER_AREA)
    k = 2 * max(2, int(round(min(lw, lh) / 10))) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    low_bg = cv2.morphologyEx(low, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    low_bg = cv2.blur(low_bg, (3, 3))
    bg = cv2.resize(low_bg, (w, h), interpolation=cv2.INTER_LINEAR)
    return bg.astype(np.float32), low_bg


def _find_sheet(low_bg: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(hull, corners (4, 2)) of a bright sheet in front of a darker room, in low-res pixels,
    or None when the paper fills the frame (no sharp bright/dark boundary)."""
    lb = np.log1p(low_bg.astype(np.float32))
    lo, hi = np.percentile(lb, (3, 97))
    if hi - lo < 0.35:            # less than 1.4x between brightest and darkest: all paper
        return None
    level = np.uint8(np.clip((lb - lo) / (hi - lo) * 255.0, 0, 255))
    _, bright = cv2.threshold(level, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    gx = cv2.Sobel(lb, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(lb, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    grad = np.sqrt(gx * gx + gy * gy)
    # cut the bright part along sharp edges, so a lit patch of the room beside the sheet
    # does not join it; the sheet is the largest piece, grown back over its cut rim
    core = bright & np.uint8(grad < 0.12) * 255
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=4)
    if n < 2:
        return None
    big = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    sheet = cv2.dilate(np.uint8(labels == big) * 255, np.ones((5, 5), np.uint8)) & bright
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
    edge = float(np.median(grad[pts[inner, 1], pts[inner, 0]]))
    if edge < 0.12:               # a soft shading boundary, not the edge of a sheet
        return None
    hull = cv2.convexHull(contour)
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
    return hull[:, 0, :].astype(np.float32), np.asarray(quad, np.float32)


def _select_digit(mask: np.ndarray, band: np.ndarray, zone: np.ndarray, region_area: int):
    """Connected ink components -> (keep mask, reason). The largest component away from the
    sheet's edge is the digit; nearby components of some size join it; specks are dropped."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_16U)
    if n < 2:
        return None, "no ink on the paper"
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    areas[0] = 0
    min_area = max(12, int(0.0004 * region_area))
    cand = np.flatnonzero(areas >= min_area)
    if cand.size == 0:
        return None, "no ink on the paper (only specks)"
    if n > 100 + 0.002 * region_area:
        return None, "no digit (noise)"
    touching = np.zeros(n, bool)
    touching[np.unique(labels[band > 0])] = True
    # paper edges and shadows along them: components lying mostly in a strip at the border
    in_zone = np.bincount(labels[zone > 0], minlength=n)
    edge = touching & (in_zone > 0.5 * areas)
    cand = cand[~edge[cand]]
    if cand.size == 0:
        return None, "no ink on the paper"
    inner = cand[~touching[cand]]
    pool = inner if inner.size and areas[inner].max() >= 0.25 * areas[cand].max() else cand
    main = pool[np.argmax(areas[pool])]
    x, y, w, h = stats[main, :4]
    short = min(mask.shape)
    if max(w, h) < 0.04 * short or areas[main] < 2 * min_area:
        return None, "no ink on the paper (only specks)"
    keep = [main]
    x0, y0, x1, y1 = x, y, x + w, y + h
    others = [i for i in pool if i != main and areas[i] >= 0.08 * areas[main]]
    for _ in range(2):
        reach = 0.5 * max(x1 - x0, y1 - y0)
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
    kept = areas[keep].sum()
    if kept > 0.35 * region_area:
        return None, "no digit (too much dark area)"
    if kept < 0.4 * areas[~edge].sum():
        return None, "no digit (too many marks)"
    lut = np.zeros(n, np.uint8)
    lut[keep] = 255
    return lut[labels], ""


def prepare_camera(frame) -> Prepared:
    """A camera frame (BGR uint8 as OpenCV gives it, gray ok, any size) -> Prepared."""
    gray, scale, why = _working_gray(frame)
    if gray is None:
        return Prepared(None, "camera", why)
    hist = np.bincount(gray[::2, ::2].ravel(), minlength=256).cumsum()
    p1 = int(np.searchsorted(hist, 0.01 * hist[-1]))
    p99 = int(np.searchsorted(hist, 0.99 * hist[-1]))
    if p99 < 40:
        return Prepared(None, "camera", "too dark")
    if p99 - p1 < 16:
        return Prepared(None, "camera", "no ink on the paper")
    g = cv2.GaussianBlur(gray, (3, 3), 0)
    bg, low_bg = _background(g)
    h, w = g.shape
    found = _find_sheet(low_bg)
    region = np.zeros((h, w), np.uint8)
    corners = None
    if found is None:
        region[:] = 255
        margin = 3
    else:
        sx, sy = w / low_bg.shape[1], h / low_bg.shape[0]
        hull, quad = found
        cv2.fillConvexPoly(region, np.round(hull * (sx, sy)).astype(np.int32), 255)
        corners = (quad * (sx, sy) / scale).astype(np.float32)
        margin = 9
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (margin, margin))
    region = cv2.erode(region, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    band = region - cv2.erode(region, np.ones((3, 3), np.uint8),
                              borderType=cv2.BORDER_CONSTANT, borderValue=0)
    z = 2 * max(3, int(0.05 * min(h, w))) + 1
    zone = region - cv2.erode(region, cv2.getStructuringElement(cv2.MORPH_RECT, (z, z)),
                              borderType=cv2.BORDER_CONSTANT, borderValue=0)
    region_area = int(np.count_nonzero(region))
    if region_area < 0.02 * h * w:
        return Prepared(None, "camera", "no paper in view", sheet=corners)
    if float(bg[region > 0].mean()) < 50:
        return Prepared(None, "camera", "too dark", sheet=corners)
    dark = 1.0 - g.astype(np.float32) / np.maximum(bg, 1.0)
    np.clip(dark, 0.0, 1.0, out=dark)
    dark[region == 0] = 0.0
    dark8 = (dark * 255.0).astype(np.uint8)
    otsu, _ = cv2.threshold(dark8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    t = float(np.clip(otsu / 255.0, 0.2, 0.5))
    mask = np.uint8(dark > t) * 255
    keep, why = _select_digit(mask, band, zone, region_area)
    if keep is None:
        return Prepared(None, "camera", why, sheet=corners)
    x0, y0, x1, y1 = _bbox(keep)
    x0, y0, x1, y1 = max(0, x0 - 2), max(0, y0 - 2), min(w, x1 + 2), min(h, y1 + 2)
    keep = cv2.dilate(keep[y0:y1, x0:x1], np.ones((3, 3), np.uint8))
    d = dark[y0:y1, x0:x1]
    level = float(np.percentile(d[mask[y0:y1, x0:x1] > 0], 75))
    lo = 0.5 * t
    ink = np.clip((d - lo) * (1.0 / max(level - lo, 1e-3)), 0.0, 1.0)
    ink[keep == 0] = 0.0
    image = normalise(ink)
    if image is None:
        return Prepared(None, "camera", "no ink on the paper", sheet=corners)
    bbox = tuple(int(round(v / scale)) for v in (x0, y0, x1, y1))
    return Prepared(image, "camera", bbox=bbox, sheet=corners)
