"""World rectangles of the layout's node grids, for drawing a far map as one quad.

A *tile* is a block of nodes that the layout places on a regular grid and that is
contiguous in node order: one channel of a feature-map slab (H x W nodes, node
``offset + row * W + col``), or a whole large fully connected slab (its near-square grid
of units, the last row possibly short). Each tile is described by its first node, its
grid (rows, cols, count), the world position of cell (0, 0) and the world steps of one
column and one row; the quad covers the cells with half a step of margin, so a cell's
square is exactly the node pitch. Read from the layout's own positions (so any
arrangement of slabs works), checked against every node. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_MAP_CELLS = 4        # a channel tile needs at least this many nodes to be drawn as a quad
MIN_VECTOR_UNITS = 256   # fully connected slabs from this size are drawn as quads too


@dataclass
class Tiles:
    """T tiles as arrays (one row per tile)."""

    offset: np.ndarray   # (T,) int64: first node
    rows: np.ndarray     # (T,) int32
    cols: np.ndarray     # (T,) int32
    count: np.ndarray    # (T,) int32: nodes in the tile (rows * cols, less for a short last row)
    slab: np.ndarray     # (T,) int32: slab index
    origin: np.ndarray   # (T, 3) float32: world position of cell (0, 0)'s centre
    du: np.ndarray       # (T, 3) float32: world step of one column
    dv: np.ndarray       # (T, 3) float32: world step of one row
    size: np.ndarray     # (T,) float32: node diameter (world units) of the tile's nodes

    def __len__(self) -> int:
        return int(self.offset.shape[0])

    @property
    def pitch(self) -> np.ndarray:
        """(T,) the larger of the two cell steps (world units)."""
        return np.maximum(np.linalg.norm(self.du, axis=1), np.linalg.norm(self.dv, axis=1))

    def corners(self) -> np.ndarray:
        """(T, 4, 3) world corners: cell-space (0,0), (cols,0), (0,rows), (cols,rows)."""
        a = self.origin - 0.5 * self.du - 0.5 * self.dv
        u = self.du * self.cols[:, None]
        v = self.dv * self.rows[:, None]
        return np.stack([a, a + u, a + v, a + u + v], 1).astype(np.float32)

    def node_mask(self, n: int) -> np.ndarray:
        """(n,) bool: nodes that belong to some tile."""
        mask = np.zeros(n, bool)
        for o, c in zip(self.offset, self.count):
            mask[o:o + c] = True
        return mask

    def subset(self, keep: np.ndarray) -> "Tiles":
        return Tiles(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


def compute_none() -> Tiles:
    """No tiles (level of detail off)."""
    z = np.zeros(0, np.int64)
    z3 = np.zeros((0, 3), np.float32)
    return Tiles(z, z.astype(np.int32), z.astype(np.int32), z.astype(np.int32),
                 z.astype(np.int32), z3, z3, z3, np.zeros(0, np.float32))


def _slab_grids(slab) -> list[tuple[int, int, int, int]]:
    """(offset, rows, cols, count) of every tile of one slab; [] when it is not tiled."""
    if len(slab.shape) == 3:
        c, h, w = (int(v) for v in slab.shape)
        if h * w < MIN_MAP_CELLS:
            return []
        return [(slab.offset + k * h * w, h, w, h * w) for k in range(c)]
    n = int(slab.shape[0])
    rows, cols = (int(v) for v in slab.grid)
    if slab.kind in ("output", "input") or n < MIN_VECTOR_UNITS or rows < 2 or cols < 2:
        return []
    return [(slab.offset, rows, cols, n)]


def compute(layout, check: bool = True) -> Tiles:
    """Every tile of ``layout`` (a vis3d.scene.layout.Layout); ``check`` verifies that each
    tile's nodes really sit on its grid (ValueError naming the slab if not)."""
    grids, slabs = [], []
    for s in layout.slabs:
        g = _slab_grids(s)
        grids += g
        slabs += [s.index] * len(g)
    if not grids:
        return compute_none()
    g = np.array(grids, np.int64)
    offset, rows, cols, count = g[:, 0], g[:, 1], g[:, 2], g[:, 3]
    P = layout.positions    # only a few nodes per tile are read: no float64 copy of all

    def at(idx):
        return np.asarray(P[idx], np.float64)
    origin = at(offset)
    du = np.zeros_like(origin)
    dv = np.zeros_like(origin)
    wide, tall = cols > 1, rows > 1
    du[wide] = (at(offset[wide] + cols[wide] - 1) - origin[wide]) / (cols[wide] - 1)[:, None]
    dv[tall] = (at(offset[tall] + (rows[tall] - 1) * cols[tall]) - origin[tall]) / (rows[tall] - 1)[:, None]
    slab_arr = np.array(slabs, np.int32)
    pitch = np.array([layout.slabs[i].pitch for i in slab_arr], np.float64)
    # A single row or column: the missing step is the other one turned a quarter in the
    # slab plane, or the layout's convention (rows run down -z, columns towards -y).
    for i in np.flatnonzero(cols == 1):
        du[i] = (0.0, -pitch[i], 0.0)
    for i in np.flatnonzero(rows == 1):
        dv[i] = (0.0, 0.0, -pitch[i])
    tiles = Tiles(offset, rows.astype(np.int32), cols.astype(np.int32), count.astype(np.int32),
                  slab_arr, origin.astype(np.float32), du.astype(np.float32),
                  dv.astype(np.float32), np.asarray(layout.sizes, np.float32)[offset])
    if check:
        _check(tiles, np.asarray(layout.positions, np.float32), layout)
    return tiles


def _check(tiles: Tiles, P: np.ndarray, layout) -> None:
    """Every tile's nodes on its grid: one array expression per slab (its tiles share the
    grid and follow each other in node order)."""
    for slab in np.unique(tiles.slab):
        ts = np.flatnonzero(tiles.slab == slab)
        c, w = int(tiles.count[ts[0]]), int(tiles.cols[ts[0]])
        o = tiles.offset[ts]
        k = np.arange(c)
        ku = (k % w).astype(np.float32)[None, :, None]
        kv = (k // w).astype(np.float32)[None, :, None]
        if np.all(np.diff(o) == c):
            got = P[o[0]:o[0] + c * len(ts)].reshape(len(ts), c, 3)
        else:
            got = P[(o[:, None] + k[None]).reshape(-1)].reshape(len(ts), c, 3)
        # float32 in place (6M nodes: a few temporaries of the slab's size, no more)
        diff = got - tiles.origin[ts][:, None, :]
        diff -= ku * tiles.du[ts][:, None, :]
        diff -= kv * tiles.dv[ts][:, None, :]
        np.abs(diff, out=diff)
        scale = np.abs(got).max(axis=(1, 2))
        bad = diff.max(axis=(1, 2)) > 1e-3 * (1.0 + scale)
        if bad.any():
            t = ts[int(np.argmax(bad))]
            o, c = int(tiles.offset[t]), int(tiles.count[t])
            name = layout.slabs[int(tiles.slab[t])].name
            raise ValueError(f"layer '{name}': nodes {o}..{o + c - 1} are not on a regular grid")


def node_ranges(tiles: Tiles, which: np.ndarray) -> np.ndarray:
    """uint32 node indices of the tiles ``which`` (bool mask or indices), in node order."""
    idx = np.flatnonzero(which) if np.asarray(which).dtype == bool else np.asarray(which, np.int64)
    if len(idx) == 0:
        return np.zeros(0, np.uint32)
    starts, lens = tiles.offset[idx], tiles.count[idx].astype(np.int64)
    total = int(lens.sum())
    ends = np.cumsum(lens)
    # arange(total) shifted per run so that run r starts at starts[r].
    shift = np.repeat(starts - (ends - lens), lens)
    return (np.arange(total, dtype=np.int64) + shift).astype(np.uint32)
