"""The incoming connections of one node, with their weights and contributions.

For a convolution node: the kernel window over every input channel; for a pooling
node: its window in the same channel; for a fully connected node: every input.
Pure numpy on the probe's weights and the layout's positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

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


def as_pair(v) -> tuple:
    """A torch layer's int-or-pair argument (kernel_size, stride, ...) as a pair."""
    return (v, v) if isinstance(v, int) else tuple(v)


def _window(shape_in, oi, oj, kernel, stride, padding, dilation=(1, 1)):
    """Input (row, col) of a kernel window placed for output (oi, oj); plus validity."""
    kh, kw = kernel
    di, dj = np.meshgrid(np.arange(kh) * dilation[0], np.arange(kw) * dilation[1], indexing="ij")
    rows = oi * stride[0] - padding[0] + di
    cols = oj * stride[1] - padding[1] + dj
    valid = (rows >= 0) & (rows < shape_in[1]) & (cols >= 0) & (cols < shape_in[2])
    return rows, cols, valid


class EdgeBuilder:
    """Builds ``Incoming`` for any node of a layout, given the probe and the latest activations."""

    def __init__(self, layout, probe):
        self.layout = layout
        self.probe = probe

    def incoming(self, node: int, acts, raw: np.ndarray) -> Incoming | None:
        """``raw``: the flat buffer of un-normalised node values (Normaliser.raw)."""
        slab, local = self.layout.locate(node)
        if slab.index == 0:
            return None
        prev = self.layout.slabs[slab.index - 1]
        module = self.probe.module(slab.name)
        prev_vals = raw[prev.offset:prev.offset + prev.count]
        if prev.index == 0 and acts.fed_input is not None:
            prev_vals = acts.fed_input.reshape(-1)  # what conv1 really saw (normalised)
        if isinstance(module, nn.Conv2d):
            c, oi, oj = slab.unravel(local)
            w, _ = self.probe.params(slab.name)
            groups = module.groups
            cin_per = w.shape[1]
            first = (c // (w.shape[0] // groups)) * cin_per
            rows, cols, valid = _window(prev.shape, oi, oj, as_pair(module.kernel_size),
                                        as_pair(module.stride), as_pair(module.padding),
                                        as_pair(module.dilation))
            ch = np.arange(cin_per)[:, None, None] + first
            mask = np.broadcast_to(valid, (cin_per, *valid.shape))
            flat = (ch * prev.shape[1] + rows[None]) * prev.shape[2] + cols[None]
            sources_local = flat[mask]
            wts = w[c][mask]
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            c, oi, oj = slab.unravel(local)
            dil = as_pair(getattr(module, "dilation", 1))
            stride = as_pair(module.stride or module.kernel_size)
            rows, cols, valid = _window(prev.shape, oi, oj, as_pair(module.kernel_size), stride,
                                        as_pair(module.padding), dil)
            sources_local = ((c * prev.shape[1] + rows) * prev.shape[2] + cols)[valid]
            if isinstance(module, nn.MaxPool2d):
                vals = prev_vals[sources_local]
                wts = np.where(vals == vals.max(), 1.0, 0.0).astype(np.float32)
            else:
                wts = np.full(len(sources_local), 1.0 / len(sources_local), np.float32)
        elif isinstance(module, nn.Linear):
            w, _ = self.probe.params(slab.name)
            if w.shape[1] != prev.count:
                raise Vis3dError(f"layer '{slab.name}' takes {w.shape[1]} inputs but the layer "
                                 f"before shows {prev.count} nodes")
            sources_local = np.arange(prev.count)
            wts = w[local]
        else:
            raise Vis3dError(f"no edge rule for layer '{slab.name}' ({type(module).__name__})")
        sources_local = np.asarray(sources_local, np.int64)
        inputs = np.asarray(prev_vals[sources_local], np.float32)
        wts = np.asarray(wts, np.float32)
        return Incoming(node, sources_local + prev.offset, wts, inputs, wts * inputs)


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
