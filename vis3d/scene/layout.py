"""Where every neuron sits: slabs stacked along x, computed from the probe's layer graph.

A *slab* is one displayed layer. Every layer starts a slab, except elementwise activations
(ReLU, GELU, ..., softmax), which fold into the slab before them when they are its only
reader; that slab then shows their output. The input image is slab 0. Slabs are placed by
depth (longest path from the input) along x; parallel branches stand side by side along y.
Pure numpy: no GL, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from vis3d.errors import Vis3dError

FOLDS = {"relu", "act", "softmax"}
@dataclass
class Slab:
    index: int
    name: str             # the layer that defines the slab ('input', 'conv1', ...)
    kind: str             # 'input' | 'conv' | 'pool' | 'linear' | 'output'
    shape: tuple          # (C, H, W) for maps, (N,) for vectors
    value_layer: str      # probe layer whose output the nodes show
    folded: list = field(default_factory=list)  # activation layers folded in
    offset: int = 0       # first node's global index
    count: int = 0
    x: float = 0.0        # position along the stacking axis
    pitch: float = 1.0    # node spacing within the slab
    grid: tuple = (1, 1)  # (rows, cols) of channel tiles, or of nodes for vectors
    extent: tuple = (0.0, 0.0)  # (width along y, height along z)
    inputs: list = field(default_factory=list)  # indices of the slabs feeding it
    depth: int = 0        # longest path from the input, in slabs
    y: float = 0.0        # centre across the stacking axis (side by side branches)

    @property
    def label(self) -> str:
        dims = "x".join(str(d) for d in self.shape)
        title = "output" if self.kind == "output" else self.name
        act = f" +{'+'.join(self.folded)}" if self.folded else ""
        return f"{title} {dims}{act}"

    @property
    def is_map(self) -> bool:
        return len(self.shape) == 3

    def unravel(self, local: int) -> tuple:
        """(channel, row, col) for maps, (unit,) for vectors."""
        return tuple(int(v) for v in np.unravel_index(local, self.shape))


def near_square(n: int) -> tuple[int, int]:
    """(rows, cols) of a near-square arrangement of n tiles, cols >= rows."""
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def slabs_from_graph(graph: nx.DiGraph) -> list[Slab]:
    """One slab per layer; an elementwise activation (or softmax) folds into the layer
    before it when it is that layer's only reader. Slabs know the slabs feeding them."""
    slabs: list[Slab] = []
    where: dict[str, int] = {}
    for name in nx.topological_sort(graph):
        attrs = graph.nodes[name]
        kind, shape = attrs["kind"], tuple(attrs["shape"])
        preds = list(graph.predecessors(name))
        if kind == "input":
            where[name] = 0
            slabs.append(Slab(0, "input", "input", shape, "input"))
            continue
        if kind in FOLDS and len(preds) == 1 and preds[0] != "input" \
                and graph.out_degree(preds[0]) == 1 \
                and math.prod(graph.nodes[preds[0]]["shape"]) == math.prod(shape):
            slab = slabs[where[preds[0]]]
            slab.folded.append(name)
            slab.value_layer = name
            where[name] = slab.index
            continue
        if len(shape) not in (1, 3):
            raise Vis3dError(f"layout cannot show layer '{name}' with output shape {shape}")
        slab = Slab(len(slabs), name, kind, shape, name,
                    inputs=list(dict.fromkeys(where[p] for p in preds)))
        where[name] = slab.index
        slabs.append(slab)
    if len(slabs) < 2:
        raise Vis3dError("the model has no layers the layout can show")
    if len(slabs[-1].shape) == 1:
        slabs[-1].kind = "output"
    for s in slabs[1:]:
        s.depth = 1 + max((slabs[i].depth for i in s.inputs), default=0)
    return slabs


def links(slabs: list[Slab]) -> list[tuple[int, int]]:
    """(source, target) slab pairs worth drawing as arcs: the data flow that is not one
    slab simply following the one before it (skip connections, branches, merges)."""
    readers: dict[int, int] = {}
    for s in slabs:
        for i in s.inputs:
            readers[i] = readers.get(i, 0) + 1
    return [(i, s.index) for s in slabs for i in s.inputs
            if len(s.inputs) > 1 or readers[i] > 1 or slabs[i].depth + 1 != s.depth]


@dataclass
class Layout:
    slabs: list[Slab]
    positions: np.ndarray  # (N, 3) float32
    sizes: np.ndarray      # (N,) float32, world units
    slab_of: np.ndarray    # (N,) int16: slab index of every node
    offsets: np.ndarray    # (S + 1,) int64: node index ranges of the slabs

    @property
    def count(self) -> int:
        return int(self.positions.shape[0])

    def slab(self, key: str | int) -> Slab:
        for s in self.slabs:  # names first: a Sequential's layers are called '0', '1', ...
            if isinstance(key, str) and key in (s.name, s.value_layer, *s.folded):
                return s
        if isinstance(key, (int, np.integer)) or (isinstance(key, str) and key.isdigit()):
            i = int(key)
            if not 0 <= i < len(self.slabs):
                raise Vis3dError(f"no layer at position {i} (0..{len(self.slabs) - 1})")
            return self.slabs[i]
        for s in self.slabs:
            if key in (s.name, s.value_layer, *s.folded) or (key == "output" and s.kind == "output"):
                return s
        names = ", ".join("output" if s.kind == "output" else s.name for s in self.slabs)
        raise Vis3dError(f"no layer '{key}' (layers: {names})")

    def locate(self, node: int) -> tuple[Slab, int]:
        s = self.slabs[int(self.slab_of[node])]
        return s, int(node) - s.offset

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        # Column by column: a reduction over axis 0 of (N, 3) is 20x slower.
        P = self.positions
        return (np.array([P[:, k].min() for k in range(3)], P.dtype),
                np.array([P[:, k].max() for k in range(3)], P.dtype))


def _slab_points(slab: Slab) -> np.ndarray:
    """Node coordinates (u, v) in node units, u to the right, v down; also sets grid/extent."""
    if slab.is_map:
        c, h, w = slab.shape
        rows, cols = near_square(c)
        gap = max(2.0, 0.12 * max(h, w))
        ch = np.arange(c)
        tile_u = (ch % cols) * (w + gap)
        tile_v = (ch // cols) * (h + gap)
        jj, ii = np.meshgrid(np.arange(w), np.arange(h))
        u = tile_u[:, None, None] + jj[None]
        v = tile_v[:, None, None] + ii[None]
        slab.grid = (rows, cols)
        ext = (cols * w + (cols - 1) * gap, rows * h + (rows - 1) * gap)
    else:
        n = slab.shape[0]
        one_row = n <= (20 if slab.kind == "output" else 16)   # a few classes read in a row
        rows, cols = (1, n) if one_row else near_square(n)
        k = np.arange(n)
        u, v = (k % cols).astype(float), (k // cols).astype(float)
        slab.grid = (rows, cols)
        ext = (float(cols), float(rows))
    slab.extent = ext
    return np.stack([np.ravel(u), np.ravel(v)], 1)


def compute(graph: nx.DiGraph, min_extent: float = 40.0, spacing: float = 0.55) -> Layout:
    """Lay out every node of the model described by the probe's layer graph.

    Each slab is a plane x = const; within it, y runs right and z up. Small slabs get a
    larger node pitch so that every layer reads at a similar size (at least
    ``min_extent`` world units); slabs are spaced by ``spacing`` times their extents.
    """
    slabs = slabs_from_graph(graph)
    points = []
    for slab in slabs:
        uv = _slab_points(slab)
        raw_w, raw_h = slab.extent
        raw = max(raw_w, raw_h, 1.0)
        if slab.kind == "output":
            # Classes read apart, but a few classes never make spheres that hide the layers
            # before them (10 classes: 16 units, as wide as a 40-unit map's neighbourhood).
            pitch = min(max(min_extent * 4.0 / raw, 1.0), min_extent * 0.4)
        else:
            pitch = max(min_extent / raw, 1.0)
        slab.pitch = pitch
        slab.extent = (raw_w * pitch, raw_h * pitch)
        points.append((uv, raw_w, raw_h))
    # Depth along x; slabs at the same depth (parallel branches) side by side along y,
    # ordered by where the slabs feeding them are.
    levels: dict[int, list[Slab]] = {}
    for slab in slabs:
        levels.setdefault(slab.depth, []).append(slab)
    x = 0.0
    prev_half = 0.0
    for depth in sorted(levels):
        level = levels[depth]
        level.sort(key=lambda s: (np.mean([slabs[i].y for i in s.inputs]) if s.inputs else 0.0,
                                  s.index))
        half = 0.5 * max(max(s.extent) for s in level)
        x += 0 if depth == 0 else spacing * (prev_half + half) + 30.0
        prev_half = half
        gap = 0.25 * half + 10.0
        width = sum(s.extent[0] for s in level) + gap * (len(level) - 1)
        y = -0.5 * width
        for s in level:
            s.x = x
            s.y = -(y + 0.5 * s.extent[0])  # the first branch on the left of the screen
            y += s.extent[0] + gap
    total = sum(len(uv) for uv, _, _ in points)
    positions = np.empty((total, 3), np.float32)   # written in place: no per-slab copies
    sizes = np.empty(total, np.float32)
    slab_of = np.empty(total, np.int16)
    offset = 0
    for slab, (uv, raw_w, raw_h) in zip(slabs, points):
        pitch, n = slab.pitch, len(uv)
        block = positions[offset:offset + n]
        block[:, 0] = slab.x - 0.5 * x    # the stack centred on the origin
        block[:, 1] = slab.y - (uv[:, 0] - (raw_w - 1) / 2) * pitch  # columns towards -y
        block[:, 2] = -(uv[:, 1] - (raw_h - 1) / 2) * pitch
        sizes[offset:offset + n] = pitch * (0.78 if slab.is_map else 0.5 if slab.kind == "output" else 0.6)
        slab.offset, slab.count = offset, n
        slab_of[offset:offset + n] = slab.index
        offset += n
    for slab in slabs:
        slab.x -= 0.5 * x
    offsets = np.array([s.offset for s in slabs] + [offset], np.int64)
    return Layout(slabs, positions, sizes, slab_of, offsets)
