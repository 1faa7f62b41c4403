"""One set of rules for turning any image array into the pixels the rest of vis3d uses.

Every converter in vis3d (preprocessing, the draw pad, the camera worker, the camera view and
the side panels) goes through these functions, so a picture looks the same everywhere.

Value scaling (:func:`unit_scale`), by dtype:
  * bool          False/True -> 0/1;
  * integers      values up to 255 are 8-bit levels (/255); larger values up to 65535 are
                  16-bit levels (/65535); anything larger is scaled by the image's maximum.
                  Negative values count as 0;
  * floats        NaN and infinities count as 0; an image whose maximum is at most 1 is
                  already 0..1; up to 255 it is in 8-bit levels (/255); above, it is
                  scaled by its maximum.
Channels: gray (H, W) or (H, W, 1), gray+alpha (H, W, 2), BGR (H, W, 3), BGRA (H, W, 4).
Transparent pixels are laid over black or white, whichever contrasts with the opaque ones,
so strokes on a transparent canvas survive. Gray is OpenCV's (0.299 R + 0.587 G + 0.114 B).
Numpy and OpenCV only.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

if os.environ.get("OPENCV_LOG_LEVEL") == "SILENT":    # set by vis3d.inputs unless the user chose
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)   # (cv2 may be loaded early)


def check_array(img) -> tuple[np.ndarray | None, str]:
    """(the array, '') if ``img`` is a picture we can convert, else (None, reason)."""
    if img is None:
        return None, "not an image (nothing given)"
    try:
        a = np.asarray(img)
    except Exception:  # noqa: BLE001 - anything that is not array-like
        return None, "not an image"
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_) \
            or np.issubdtype(a.dtype, np.complexfloating):
        return None, "not an image"
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3):
        return None, f"not an image (shape {a.shape})"
    if a.ndim == 3 and a.shape[2] not in (2, 3, 4):
        return None, f"unsupported image with {a.shape[2]} channels"
    if a.shape[0] == 0 or a.shape[1] == 0:
        return None, f"empty image ({a.shape[1]}x{a.shape[0]} pixels)"
    return a, ""


def unit_scale(a: np.ndarray) -> float:
    """The value that maps to 1.0 (full white) for this array, by the rules above."""
    if a.dtype == np.uint8:
        return 255.0
    if a.dtype == np.bool_:
        return 1.0
    if a.size == 0:
        return 255.0
    if np.issubdtype(a.dtype, np.integer):
        top = float(a.max())
        return 255.0 if top <= 255 else (65535.0 if top <= 65535 else top)
    finite = a[np.isfinite(a)]
    top = float(finite.max()) if finite.size else 0.0
    if top <= 1.0:
        return 1.0
    return 255.0 if top <= 255.0 else top


def to_unit(a: np.ndarray) -> np.ndarray:
    """Any numeric array -> float32 in 0..1 (same shape)."""
    a = np.asarray(a)
    if a.dtype == np.uint8:
        return a.astype(np.float32) / np.float32(255.0)
    scale = unit_scale(a)
    f = a.astype(np.float32)
    if np.issubdtype(a.dtype, np.floating):
        f = np.nan_to_num(f, nan=0.0, posinf=0.0, neginf=0.0)
    if scale != 1.0:
        f /= np.float32(scale)
    return np.clip(f, 0.0, 1.0, out=f)


def to_u8(a: np.ndarray) -> np.ndarray:
    """Any numeric array -> uint8 0..255 (same shape), rounding to the nearest level."""
    a = np.asarray(a)
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(a.dtype, np.integer) and unit_scale(a) == 255.0:
        return np.clip(a, 0, 255).astype(np.uint8)
    f = to_unit(a)
    f *= 255.0
    f += 0.5
    return f.astype(np.uint8)


def _over_background(values: np.ndarray, alpha: np.ndarray, gray: np.ndarray | None = None
                     ) -> np.ndarray:
    """``values`` (gray HxW or colour HxWxC, 0..1) laid over black or white by ``alpha``:
    white under dark strokes, black under light ones (judged by ``gray``, default values)."""
    if float(alpha.min()) >= 0.999:
        return values
    gray = values if gray is None else gray
    opaque = alpha > 0.5
    strokes_dark = bool(opaque.any()) and float(gray[opaque].mean()) < 0.5
    under = np.float32(1.0 if strokes_dark else 0.0)
    if values.ndim == 3:
        alpha = alpha[..., None]
    return (values * alpha + under * (1.0 - alpha)).astype(np.float32)


def gray_unit(img) -> tuple[np.ndarray | None, str]:
    """Any picture -> (float32 HxW gray in 0..1, '') or (None, reason)."""
    a, why = check_array(img)
    if a is None:
        return None, why
    if a.ndim == 2:
        return to_unit(a), ""
    if a.dtype == np.uint8 and a.shape[2] == 3:       # the common case, without a float copy
        return to_unit(cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_BGR2GRAY)), ""
    f = to_unit(a)
    c = a.shape[2]
    if c == 2:
        return np.ascontiguousarray(_over_background(f[..., 0], f[..., 1])), ""
    gray = cv2.cvtColor(np.ascontiguousarray(f[..., :3]), cv2.COLOR_BGR2GRAY)
    if c == 3:
        return gray, ""
    return np.ascontiguousarray(_over_background(gray, f[..., 3])), ""


def gray_u8(img) -> tuple[np.ndarray | None, str]:
    """Any picture -> (uint8 HxW gray, '') or (None, reason)."""
    a, why = check_array(img)
    if a is None:
        return None, why
    if a.dtype == np.uint8 and a.ndim == 2:
        return a, ""
    if a.dtype == np.uint8 and a.shape[2] == 3:
        return cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_BGR2GRAY), ""
    g, why = gray_unit(a)
    return to_u8(g), ""


def bgr_u8(img) -> np.ndarray | None:
    """Any picture -> contiguous BGR uint8 (H, W, 3), or None if it is not one.
    Transparency is laid over the contrasting background, as :func:`gray_unit` does."""
    a, _ = check_array(img)
    if a is None:
        return None
    if a.ndim == 3 and a.shape[2] == 2:
        a, _ = gray_unit(a)
    elif a.ndim == 3 and a.shape[2] == 4:
        if a.dtype == np.uint8 and int(a[..., 3].min()) == 255:
            return cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_BGRA2BGR)
        f = to_unit(a)
        bgr = np.ascontiguousarray(f[..., :3])
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        a = _over_background(bgr, f[..., 3], gray)
    a = to_u8(a)
    if a.ndim == 2:
        return cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(a)


def display_u8(img, order: str = "bgr") -> tuple[np.ndarray, str] | None:
    """Any picture -> (contiguous uint8 array, 'gray' | 'bgr' | 'rgb' | 'bgra' | 'rgba') for
    showing it on screen; ``order`` says how 3/4-channel input is ordered. None if not a
    picture. Gray+alpha is shown as its gray over the contrasting background."""
    a, _ = check_array(img)
    if a is None:
        return None
    if a.ndim == 3 and a.shape[2] == 2:
        g, _ = gray_unit(a)
        return np.ascontiguousarray(to_u8(g)), "gray"
    if a.ndim == 3 and a.shape[2] == 4:               # shown as laid over its background
        bgr = bgr_u8(a if order == "bgr" else a[..., [2, 1, 0, 3]])
        return (bgr, "bgr") if order == "bgr" else (np.ascontiguousarray(bgr[..., ::-1]), "rgb")
    out = np.ascontiguousarray(to_u8(a))
    return out, ("gray" if out.ndim == 2 else order)


def reduced(frame, long_side: int) -> tuple[np.ndarray | None, np.ndarray | None, float, str]:
    """A camera frame -> (uint8 gray at about ``long_side`` pixels on its long side, the same
    in BGR when the frame is BGR uint8 (else None), scale factor, reason). HD frames are
    reduced while still in colour (area averaging), so a 1080p frame costs little more than
    a 640x480 one."""
    a = np.asarray(frame) if not isinstance(frame, np.ndarray) else frame
    colour = None
    if a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3 and min(a.shape[:2]) >= 2:
        colour = a
    elif not (a.dtype == np.uint8 and a.ndim == 2 and min(a.shape) >= 2):
        f, why = gray_unit(a)
        if f is None:
            return None, None, 1.0, why
        if min(f.shape) < 2:
            return None, None, 1.0, f"not an image ({f.shape[1]}x{f.shape[0]} pixels)"
        a = to_u8(f)
    h, w = a.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    if scale < 1.0:
        size = (max(2, int(round(w * scale))), max(2, int(round(h * scale))))
        a = np.ascontiguousarray(a)
        if scale <= 0.25 and w % 2 == 0 and h % 2 == 0:
            # halving with bilinear sampling is an exact 2x2 average, and OpenCV's fastest
            # reduction: then the area average does the rest (1080p: 1.1 ms, not 1.7)
            a = cv2.resize(a, (w // 2, h // 2), interpolation=cv2.INTER_LINEAR)
        if a.shape[:2] == (3 * size[1], 3 * size[0]):
            # a 3x3 area average (1080p): the centres of a 3x3 box blur, the same values
            # (every block sum rounds alike) in 0.45 ms rather than OpenCV's 0.6
            a = np.ascontiguousarray(cv2.blur(a, (3, 3))[1::3, 1::3])
        else:
            a = cv2.resize(a, size, interpolation=cv2.INTER_AREA)
        scale = a.shape[1] / w
    if colour is not None:
        return cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), a, scale, ""
    return a, None, scale, ""
