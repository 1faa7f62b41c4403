"""Small images for the panels (pure numpy, from the probe's ``LayerSpec``s): tiled maps,
diverging colours, receptive fields."""

from __future__ import annotations

import numpy as np

from vis3d.scene.colors import NEGATIVE, POSITIVE
from vis3d.scene.layout import near_square

BACK = np.array([0.09, 0.10, 0.14], np.float32)


def tile(maps: np.ndarray, gap: int = 1) -> np.ndarray:
    """(C, H, W) -> one 2D array of near-square tiles, NaN in the gaps."""
    maps = np.asarray(maps, np.float32)
    if maps.ndim == 2:
        maps = maps[None]
    c, h, w = maps.shape
    rows, cols = near_square(c)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap), np.nan, np.float32)
    for k in range(c):
        r, q = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, q * (w + gap):q * (w + gap) + w] = maps[k]
    return out


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """Signed values -> RGB uint8: orange positive, blue negative, dark at zero; NaN = gap."""
    v = np.asarray(values, np.float32)
    top = float(np.nanmax(np.abs(v))) if np.isfinite(v).any() else 0.0
    t = np.nan_to_num(v / top if top > 0 else v * 0)
    mag = np.abs(t)[..., None]
    col = np.where((t >= 0)[..., None], POSITIVE, NEGATIVE)
    rgb = BACK * (1 - mag) + col * mag
    rgb[np.isnan(v)] = (0.03, 0.03, 0.05)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def weight_image(state, node: int) -> tuple[np.ndarray, str] | None:
    """The pinned node's weights as an image: conv kernel over its input channels, or an
    FC weight row laid out like the layer before it. None for input/pool nodes."""
    slab, local = state.layout.locate(node)
    if slab.index == 0:
        return None
    spec = state.probe.specs[slab.name]
    w = spec.weight
    if w is None or spec.kind not in ("conv", "linear"):
        return None
    prev = state.layout.slab(spec.inputs[0]) if spec.inputs else state.layout.slabs[slab.index - 1]
    if spec.kind == "conv":
        c = slab.unravel(local)[0]
        return diverging_rgb(tile(w[c])), f"kernel of channel {c}: {w.shape[1]}x{w.shape[2]}x{w.shape[3]}"
    if spec.kind == "linear":
        row = w[local if slab.kind != "output" else local]
        if prev.is_map and row.size == prev.count:
            img = tile(row.reshape(prev.shape))
        else:
            rows, cols = near_square(row.size)
            img = np.full(rows * cols, np.nan, np.float32)
            img[:row.size] = row
            img = img.reshape(rows, cols)
        return diverging_rgb(img), f"weights from {prev.name} ({row.size})"
    return None


def receptive_field(state, node: int) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1), inclusive, of the input pixels that can reach ``node``,
    following each layer's first input back to the model input."""
    L = state.layout
    inp = L.slabs[0]
    h, w = (inp.shape[1], inp.shape[2]) if inp.is_map else (1, inp.count)
    full = (0, h - 1, 0, w - 1)
    slab, local = L.locate(node)
    if not slab.is_map:
        return full
    _, r, c = slab.unravel(local)
    if slab.index == 0:
        return r, r, c, c
    r0 = r1 = r
    c0 = c1 = c
    while slab.index != 0:
        m = state.probe.specs[slab.name]
        if m.kind in ("conv", "pool"):
            k, p, d, st = m.kernel, m.padding, m.dilation, m.stride
            r0, r1 = r0 * st[0] - p[0], r1 * st[0] - p[0] + (k[0] - 1) * d[0]
            c0, c1 = c0 * st[1] - p[1], c1 * st[1] - p[1] + (k[1] - 1) * d[1]
        elif m.kind not in ("bn", "add", "relu", "act") or len(m.out_shape) != 3 \
                or tuple(m.in_shape) != tuple(m.out_shape):
            return full
        slab = L.slab(m.inputs[0]) if m.inputs else L.slabs[slab.index - 1]
    return max(r0, 0), min(r1, h - 1), max(c0, 0), min(c1, w - 1)
