"""The incoming connections of one node, with their weights and contributions.

For a convolution node: the kernel window over every input channel; for a pooling
node: its window in the same channel; for a fully connected node: every input.
Pure numpy: it reads the probe's torch-free layer descriptions (``LayerSpec``: kernel,
stride, padding, dilation, groups, pool mode, weight and bias arrays), never a module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vis3d.scene.colors import NEGATIVE, POSITIVE
from vis3d.errors import Vis3dError


@dataclass
class Incoming:
    node: int                  # global index of the target node
    sources: np.ndarray        # (M,) global indices of the input nodes
    weights: np.ndarray        # (M,) float32 weight of each connection (1 for pooling)
    inputs: np.ndarray         # (M,) float32 the activation each input had
    contributions: np.ndarray  # (M,) float32 weight x input

    def top(self, k: int = 5) -> np.ndarray:
        """Positions (into ``sources``) of the k largest |contributions|, largest first."""
        k = min(k, len(self.contributions))
        if k == 0:
            return np.zeros(0, np.int64)
        part = np.argpartition(-np.abs(self.contributions), k - 1)[:k]
        return part[np.argsort(-np.abs(self.contributions[part]))]


def _window(shape_in, oi, oj, kernel, stride, padding, dilation=(1, 1)):
    """Input (row, col) of a kernel window placed for output (oi, oj); plus validity."""
    kh, kw = kernel
    di, dj = np.meshgrid(np.arange(kh) * dilation[0], np.arange(kw) * dilation[1], indexing="ij")
    rows = oi * stride[0] - padding[0] + di
    cols = oj * stride[1] - padding[1] + dj
    valid = (rows >= 0) & (rows < shape_in[1]) & (cols >= 0) & (cols < shape_in[2])
    return rows, cols, valid


class EdgeBuilder:
    """Builds ``Incoming`` for any node of a layout from the layers' descriptions.

    ``specs``: a mapping of layer name to ``LayerSpec`` (``probe.specs``), or any object
    with such a ``specs`` attribute (a ``Probe``).
    """

    def __init__(self, layout, specs):
        self.layout = layout
        self.specs = getattr(specs, "specs", specs)

    def incoming(self, node: int, acts, raw: np.ndarray) -> Incoming | None:
        """``raw``: the flat buffer of un-normalised node values (Normaliser.raw)."""
        slab, local = self.layout.locate(node)
        if slab.index == 0:
            return None
        prev = self.layout.slabs[slab.index - 1]
        spec = self.specs[slab.name]
        prev_vals = raw[prev.offset:prev.offset + prev.count]
        if prev.index == 0 and acts.fed_input is not None:
            prev_vals = acts.fed_input.reshape(-1)  # what conv1 really saw (normalised)
        if spec.kind == "conv":
            sources_local, wts = _conv_sources(spec, prev.shape, slab.unravel(local))
        elif spec.kind == "pool":
            c, oi, oj = slab.unravel(local)
            rows, cols, valid = _window(prev.shape, oi, oj, spec.kernel, spec.stride,
                                        spec.padding, spec.dilation)
            sources_local = ((c * prev.shape[1] + rows) * prev.shape[2] + cols)[valid]
            if spec.pool_mode == "max":
                vals = prev_vals[sources_local]
                wts = np.where(vals == vals.max(), 1.0, 0.0).astype(np.float32)
            else:
                area = valid.size if spec.count_include_pad else len(sources_local)
                wts = np.full(len(sources_local), 1.0 / area, np.float32)
        elif spec.kind == "linear":
            w = spec.weight
            if w.shape[1] != prev.count:
                raise Vis3dError(f"layer '{slab.name}' takes {w.shape[1]} inputs but the layer "
                                 f"before shows {prev.count} nodes")
            sources_local = np.arange(prev.count)
            wts = w[local]
        else:
            raise Vis3dError(f"no edge rule for layer '{slab.name}' ({spec.module})")
        sources_local = np.asarray(sources_local, np.int64)
        inputs = np.asarray(prev_vals[sources_local], np.float32)
        wts = np.asarray(wts, np.float32)
        return Incoming(node, sources_local + prev.offset, wts, inputs, wts * inputs)


def _conv_sources(spec, shape_in: tuple, where: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Flat input indices and weights of output (c, oi, oj): the input channels of c's
    group, at rows/cols o * stride - padding + k * dilation inside the input."""
    c, oi, oj = where
    w = spec.weight
    cin_per = w.shape[1]
    first = (c // (w.shape[0] // spec.groups)) * cin_per
    rows, cols, valid = _window(shape_in, oi, oj, spec.kernel, spec.stride, spec.padding,
                                spec.dilation)
    ch = np.arange(cin_per)[:, None, None] + first
    mask = np.broadcast_to(valid, (cin_per, *valid.shape))
    flat = (ch * shape_in[1] + rows[None]) * shape_in[2] + cols[None]
    return flat[mask], w[c][mask]


def edge_style(inc: Incoming, min_px: float = 0.6, max_px: float = 6.0,
               min_alpha: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """Per edge: width in pixels ∝ |weight|, RGBA by sign, alpha by |contribution|."""
    aw = np.abs(inc.weights)
    top = float(aw.max()) if aw.size else 0.0
    widths = min_px + (max_px - min_px) * (aw / top if top > 0 else aw)
    ac = np.abs(inc.contributions)
    cmax = float(ac.max()) if ac.size else 0.0
    alpha = min_alpha + (1 - min_alpha) * (ac / cmax if cmax > 0 else ac)
    colors = np.empty((len(aw), 4), np.float32)
    colors[:, :3] = np.where((inc.weights >= 0)[:, None], POSITIVE, NEGATIVE)
    colors[:, 3] = alpha
    return widths.astype(np.float32), colors
