"""The incoming connections of one node, with their weights and contributions.

For a convolution node: the kernel window over its group's input channels; for a pooling
node: its window in the same channel (max: the input that won); adaptive pooling: its exact
window; batch norm: one edge (the effective scale); add: one edge per operand; cat: the
one source element; a fully connected node: every input (the strongest MAX_EDGES of them).
Pure numpy: it reads the probe's torch-free layer descriptions (``LayerSpec``: kernel,
stride, padding, dilation, groups, pool mode, weight and bias arrays), never a module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vis3d.scene.colors import NEGATIVE, POSITIVE


MAX_EDGES = 20_000   # a node with more inputs draws the strongest this many


@dataclass
class Incoming:
    node: int                  # global index of the target node
    sources: np.ndarray        # (M,) global indices of the input nodes
    weights: np.ndarray        # (M,) float32 weight of each connection (1 for pooling, add)
    inputs: np.ndarray         # (M,) float32 the activation each input had
    contributions: np.ndarray  # (M,) float32 weight x input
    bias: float = 0.0          # added after the sum (conv, linear, bn shift)
    left_out: int = 0          # inputs not drawn (the weakest by |w x input|)
    rest: float = 0.0          # the sum of their contributions
    note: str = ""             # why there are no edges (an op vis3d does not know)

    def top(self, k: int = 5) -> np.ndarray:
        """Positions (into ``sources``) of the k largest |contributions|, largest first."""
        k = min(k, len(self.contributions))
        if k == 0:
            return np.zeros(0, np.int64)
        part = np.argpartition(-np.abs(self.contributions), k - 1)[:k]
        return part[np.argsort(-np.abs(self.contributions[part]))]

    @property
    def total(self) -> float:
        """Every input's contribution plus the bias: the layer's output before activation."""
        return float(np.sum(self.contributions, dtype=np.float64)) + self.rest + self.bias


def _window(shape_in, oi, oj, kernel, stride, padding, dilation=(1, 1)):
    """Input (row, col) of a kernel window placed for output (oi, oj); plus validity."""
    kh, kw = kernel
    di, dj = np.meshgrid(np.arange(kh) * dilation[0], np.arange(kw) * dilation[1], indexing="ij")
    rows = oi * stride[0] - padding[0] + di
    cols = oj * stride[1] - padding[1] + dj
    valid = (rows >= 0) & (rows < shape_in[1]) & (cols >= 0) & (cols < shape_in[2])
    return rows, cols, valid


def _as_map(shape) -> tuple:
    return tuple(shape) if len(shape) == 3 else (int(np.prod(shape)), 1, 1)


def _adaptive(shape_in, c, i, j, out_hw):
    """Flat input indices of adaptive pooling's window for output (c, i, j)."""
    _, h, w = shape_in
    oh, ow = out_hw
    r0, r1 = (i * h) // oh, -((-(i + 1) * h) // oh)
    c0, c1 = (j * w) // ow, -((-(j + 1) * w) // ow)
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    return ((c * h + rr) * w + cc).ravel()


class EdgeBuilder:
    """Builds ``Incoming`` for any node of a layout from the layers' descriptions.

    ``specs``: a mapping of layer name to ``LayerSpec`` (``probe.specs``), or any object
    with such a ``specs`` attribute (a ``Probe``).
    """

    def __init__(self, layout, specs, max_edges: int = MAX_EDGES):
        self.layout = layout
        self.specs = getattr(specs, "specs", specs)
        self.max_edges = max_edges
        self._slab_of = {}
        for sl in layout.slabs:
            for name in (sl.name, sl.value_layer, *sl.folded):
                self._slab_of[name] = sl

    def _operands(self, slab, spec, acts, raw):
        """Per operand: (source slab, its flat values as this layer received them)."""
        names = spec.inputs or (self.layout.slabs[slab.index - 1].name,)
        fed = getattr(acts, "fed", None) or {}
        out = []
        for k, name in enumerate(names):
            src = self._slab_of[name]
            vals = raw[src.offset:src.offset + src.count]
            got = fed.get(spec.name)
            if got is not None and k < len(got) and got[k].size == src.count:
                vals = got[k]
            elif src.index == 0 and getattr(acts, "fed_input", None) is not None \
                    and acts.fed_input.size == src.count:
                vals = acts.fed_input.reshape(-1)  # what the first layer really saw
            out.append((src, vals))
        return out

    def incoming(self, node: int, acts, raw: np.ndarray) -> Incoming | None:
        """``raw``: the flat buffer of un-normalised node values (Normaliser.raw)."""
        slab, local = self.layout.locate(node)
        if slab.index == 0:
            return None
        spec = self.specs[slab.name]
        ops = self._operands(slab, spec, acts, raw)
        src, vals = ops[0]
        in_shape = spec.in_shape if int(np.prod(spec.in_shape)) == src.count else src.shape
        bias = 0.0
        where = np.unravel_index(local, spec.out_shape)
        kind = spec.kind
        if kind == "conv":
            sl, wts = _conv_sources(spec, _as_map(in_shape), tuple(int(v) for v in where))
            bias = 0.0 if spec.bias is None else float(spec.bias[where[0]])
        elif kind in ("pool", "adaptive pool"):
            shape_in = _as_map(in_shape)
            c, oi, oj = (int(v) for v in np.unravel_index(local, _as_map(spec.out_shape)))
            if kind == "pool":
                rows, cols, valid = _window(shape_in, oi, oj, spec.kernel, spec.stride,
                                            spec.padding, spec.dilation)
                sl = ((c * shape_in[1] + rows) * shape_in[2] + cols)[valid]
                area = valid.size if spec.count_include_pad else len(sl)
            else:
                sl = _adaptive(shape_in, c, oi, oj, spec.kernel)
                area = len(sl)
            if spec.pool_mode == "max":  # the one input that won
                wts = np.zeros(len(sl), np.float32)
                wts[int(np.argmax(vals[sl]))] = 1.0
            else:
                wts = np.full(len(sl), 1.0 / area, np.float32)
        elif kind == "linear" and len(in_shape) == 1 and spec.weight.shape[1] == src.count:
            sl, wts = np.arange(src.count), spec.weight[local]
            bias = 0.0 if spec.bias is None else float(spec.bias[local])
        elif kind == "bn":
            c = int(where[0])
            sl, wts = np.array([local]), spec.weight[c:c + 1]
            bias = float(spec.bias[c])
        elif kind in ("relu", "act"):
            sl, wts = np.array([local]), np.ones(1, np.float32)
        elif kind == "add":
            return self._merge(node, [(s, v, local) for s, v in ops])
        elif kind == "cat":
            d = spec.dim
            idx = list(int(v) for v in where)
            for k, (s, v) in enumerate(ops):
                size = spec.in_shapes[k][d]
                if idx[d] < size:
                    return self._merge(node, [(s, v, int(np.ravel_multi_index(idx, spec.in_shapes[k])))])
                idx[d] -= size
            return None
        else:
            why = spec.note or f"{spec.module}: vis3d does not know this op"
            return Incoming(node, np.zeros(0, np.int64), *(np.zeros(0, np.float32),) * 3,
                            note=f"edges not known ({why})")
        return self._finish(node, src, vals, np.asarray(sl, np.int64), wts, bias)

    def _merge(self, node, parts) -> Incoming:
        sources = np.array([s.offset + i for s, _, i in parts], np.int64)
        inputs = np.array([v[i] for _, v, i in parts], np.float32)
        wts = np.ones(len(parts), np.float32)
        return Incoming(node, sources, wts, inputs, inputs.copy())

    def _finish(self, node, src, vals, sl, wts, bias) -> Incoming:
        inputs = np.asarray(vals[sl], np.float32)
        wts = np.asarray(wts, np.float32)
        contrib = wts * inputs
        left, rest = 0, 0.0
        if len(sl) > self.max_edges:
            keep = np.argpartition(-np.abs(contrib), self.max_edges - 1)[:self.max_edges]
            mask = np.ones(len(sl), bool)
            mask[keep] = False
            left, rest = int(mask.sum()), float(np.sum(contrib[mask], dtype=np.float64))
            sl, wts, inputs, contrib = sl[keep], wts[keep], inputs[keep], contrib[keep]
        return Incoming(node, sl + src.offset, wts, inputs, contrib, bias, left, rest)


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
