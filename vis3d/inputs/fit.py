"""Pictures for models that do not take 28x28 MNIST digits: one function that resizes any
picture (a file, a camera frame, the draw pad's strokes) to the model's input shape.

Colour models get RGB (OpenCV's BGR reversed), one-channel models gray; values 0..1, no
mean/std (the probe applies the model card's). The picture is resized whole (aspect not
kept), as a classifier trained on resized pictures expects.
"""

from __future__ import annotations

import numpy as np

import vis3d.inputs  # noqa: F401 - OpenCV settings before cv2 loads
import cv2

from vis3d.errors import Vis3dError
from vis3d.inputs.convert import bgr_u8, gray_unit, to_unit


def fit_image(img, shape) -> np.ndarray:
    """Any picture -> float32 0..1 of the model's input ``shape``: (C, H, W), (H, W) for
    one channel given as (1, H, W) or (H, W)."""
    shape = tuple(int(v) for v in shape)
    if len(shape) == 2:
        c, (h, w), keep_c = 1, shape, False
    elif len(shape) == 3:
        c, h, w = shape
        keep_c = True
    else:
        raise Vis3dError(f"pictures cannot be fed to a model taking {shape}")
    area = cv2.INTER_AREA
    if c == 1:
        gray, why = gray_unit(img)
        if gray is None:
            raise Vis3dError(f"not a picture ({why})")
        out = cv2.resize(np.ascontiguousarray(gray, np.float32), (w, h), interpolation=area)
        out = np.clip(out, 0, 1).astype(np.float32)
        return out[None] if keep_c else out
    bgr = bgr_u8(img)
    if bgr is None:
        raise Vis3dError("not a picture")
    rgb = cv2.resize(bgr, (w, h), interpolation=area)[..., ::-1]
    planes = np.moveaxis(to_unit(np.ascontiguousarray(rgb)), -1, 0).astype(np.float32)
    if c == 3:
        return np.ascontiguousarray(planes)
    gray = planes.mean(0, keepdims=True)
    return np.ascontiguousarray(np.repeat(gray, c, 0))


def fitted(img, shape, prep):
    """A preprocessed input (``.image``, ``.found``, ``.reason``) replaced by the picture
    resized to ``shape``; ``prep`` itself when there is no picture."""
    from types import SimpleNamespace
    if img is None:
        return prep
    try:
        return SimpleNamespace(image=fit_image(img, shape), found=True, reason="")
    except Vis3dError as exc:
        return SimpleNamespace(image=None, found=False, reason=str(exc))
