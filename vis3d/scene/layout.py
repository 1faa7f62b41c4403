"""Where every neuron sits: slabs stacked along x, computed from the probe's layer graph.

A *slab* is one displayed layer. Convolution, pooling and fully connected layers each
start a slab; activation functions (ReLU, softmax) fold into the slab before them, which
then shows their output. The input image is slab 0. Pure numpy: no GL, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from vis3d.errors import Vis3dError

STARTS_SLAB = {"conv", "pool", "linear"}
FOLDS = {"relu", "softmax"}


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
    slabs: list[Slab] = []
    for name in nx.topological_sort(graph):
        attrs = graph.nodes[name]
        kind, shape = attrs["kind"], tuple(attrs["shape"])
        if kind == "input":
            slabs.append(Slab(0, "input", "input", shape, "input"))
        elif kind in STARTS_SLAB:
            if len(shape) not in (1, 3):
                raise Vis3dError(f"layout cannot show layer '{name}' with output shape {shape}")
            slabs.append(Slab(len(slabs), name, kind, shape, name))
        elif kind in FOLDS and slabs:
            slabs[-1].folded.append(name)
            slabs[-1].value_layer = name
        else:
            module = attrs.get("module", kind)
            raise Vis3dError(f"the layout does not know layer '{name}' ({module}) yet")
        if graph.in_degree(name) > 1 or graph.out_degree(name) > 1:
            raise Vis3dError(f"layer '{name}' branches; branching models are not laid out yet")
    if len(slabs) < 2:
        raise Vis3dError("the model has no layers the layout can show")
    if len(slabs[-1].shape) == 1:
        slabs[-1].kind = "output"
    return slabs


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
        return self.positions.min(0), self.positions.max(0)


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
        rows, cols = (1, n) if (slab.kind == "output" or n <= 16) else near_square(n)
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
    pos_parts, size_parts, slab_parts = [], [], []
    x = 0.0
    prev_half = 0.0
    offset = 0
    for slab in slabs:
        uv = _slab_points(slab)
        raw_w, raw_h = slab.extent
        raw = max(raw_w, raw_h, 1.0)
        if slab.kind == "output":
            pitch = max(min_extent * 4.0 / raw, 1.0)  # digits read apart
        else:
            pitch = max(min_extent / raw, 1.0)
        slab.pitch = pitch
        slab.extent = (raw_w * pitch, raw_h * pitch)
        half = 0.5 * max(slab.extent)
        x += 0 if slab.index == 0 else spacing * (prev_half + half) + 30.0
        slab.x = x
        prev_half = half
        y = -(uv[:, 0] - (raw_w - 1) / 2) * pitch  # columns run towards -y: left to right on screen
        z = -(uv[:, 1] - (raw_h - 1) / 2) * pitch
        pos_parts.append(np.stack([np.full_like(y, x), y, z], 1))
        node_size = pitch * (0.78 if slab.is_map else 0.5 if slab.kind == "output" else 0.6)
        size_parts.append(np.full(len(uv), node_size))
        slab.offset, slab.count = offset, len(uv)
        slab_parts.append(np.full(len(uv), slab.index, np.int16))
        offset += len(uv)
    positions = np.concatenate(pos_parts).astype(np.float32)
    positions[:, 0] -= 0.5 * x  # centre the stack on the origin
    for slab in slabs:
        slab.x -= 0.5 * x
    offsets = np.array([s.offset for s in slabs] + [offset], np.int64)
    return Layout(slabs, positions, np.concatenate(size_parts).astype(np.float32),
                  np.concatenate(slab_parts), offsets)
