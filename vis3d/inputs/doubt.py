""""No digit" from the image and the model together (camera input only; numpy only).

The camera pipeline rejects what does not look written (vis3d.inputs.paper, ink); some of the
room still gets through as blotches: a mug's edge, a finger, a patch of shadow. What comes
through as a pen's digit is thinned or widened to MNIST's stroke width (about 2 pixels at
28x28); such blotches come out wider. A wide shape that the model itself cannot place
(its top probability low) is taken for no digit; a wide shape the model reads firmly (a
digit drawn with a fat marker) is kept, as is anything thin, however unsure the model.
"""

from __future__ import annotations

import numpy as np

from vis3d.inputs.ink import stroke_width

# (28x28 stroke width above which the ink is blotchy rather than a pen's, top probability
# under which the model cannot place it): the wider the shape, the surer the model must be
# (a fat marker's digit in the old sheet sets measures up to 2.6 at 50%, and no pen's digit
# over 2.85: thicker strokes are thinned to 2; a shape still over 3.3 is a solid blotch that
# thinning could not shrink without erasing it, to be read only when the model is sure)
DOUBT = ((2.3, 0.45), (2.9, 0.7), (3.3, 0.9))


def doubtful(image: np.ndarray | None, probs) -> str:
    """Why a camera reading is no digit after all ('' if it stands): ``image`` the 28x28
    input (ink bright), ``probs`` the model's class probabilities for it."""
    if image is None or probs is None:
        return ""
    p = np.asarray(probs, np.float64).ravel()
    if p.size == 0 or not np.isfinite(p).all():
        return ""
    return blotchy(image, float(p.max()) / max(float(p.sum()), 1e-9))


def blotchy(image: np.ndarray, top: float) -> str:
    """Why a 28x28 (ink bright) whose top probability is ``top`` is a blotch, not pen
    strokes ('' if it is not): wide strokes the model is unsure of (DOUBT)."""
    if top >= max(sure for _, sure in DOUBT):
        return ""
    width = stroke_width(np.asarray(image) > 0.5)
    if any(width > wide and top < sure for wide, sure in DOUBT):
        return f"no digit (a blotch, not pen strokes; the model is unsure at {top:.0%})"
    return ""
