"""Box-filtered colour pyramids of the far maps, for maps.frag's prefiltered look.

A far map's cells shrink below a pixel; sampled one value per pixel they alias (moire).
What the eye sees there is the mean colour of the cells a pixel covers, so the shader
samples a pyramid of COLOURS (the colour table is not linear: the mean of the values
would give the wrong colour, e.g. a dark grey instead of the yellow of red and green).

Level 0 is the cells themselves (maps.frag reads their values and the colour table).
Levels 1 and up of each tile (vis3d.scene.tiles_geometry) lie in one block of an RGBA8
atlas; with B the power of two at or above the tile's larger side and h = B / 2:

    level 1 (h x h) at (0, 0): each texel the mean colour of 2 x 2 cells (the colour
                     table at each value, alpha 1; cells beyond the grid, or beyond a
                     short last row, count as alpha 0)
    level l >= 2:    (B >> l) square at (h, h - (2B >> l)): each texel the mean of 2 x 2
                     texels of level l - 1, alpha included

so a level-l texel is the mean colour of the real cells among its 2^l x 2^l, times the
share of real cells (premultiplied by alpha). The block is h + h/2 wide (1 when h = 1);
blocks of one side are packed in full-width shelves of the atlas. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ATLAS_WIDTH = 4096
LUT_STEPS = 1024


@dataclass
class Plan:
    """Where every tile's block lies in the atlas."""

    block: np.ndarray    # (T, 3) float32: x, y of the block's corner (texels), side B
    width: int
    height: int
    groups: list         # [(B, tile indices in atlas order, first shelf row y)]


def _block_width(b: int) -> int:
    return b // 2 + b // 4


def plan(tiles) -> Plan:
    n = len(tiles)
    side = np.ones(n, np.int64)
    if n:
        big = np.maximum(tiles.rows, tiles.cols).astype(np.int64)
        side = np.maximum(2, 1 << np.ceil(np.log2(np.maximum(big, 1))).astype(np.int64))
    width = max(ATLAS_WIDTH, _block_width(int(side.max())) if n else 1)
    block = np.zeros((n, 3), np.float32)
    groups, y = [], 0
    for b in sorted(set(side.tolist()), reverse=True):
        idx = np.flatnonzero(side == b)
        per_row = width // _block_width(b)
        k = np.arange(len(idx))
        block[idx, 0] = (k % per_row) * _block_width(b)
        block[idx, 1] = y + (k // per_row) * (b // 2)
        block[idx, 2] = b
        groups.append((b, idx, y))
        y += -(-len(idx) // per_row) * (b // 2)
    return Plan(block, width, max(y, 1), groups)


def colour_table(lut: np.ndarray) -> np.ndarray:
    """(LUT_STEPS,) uint32: RGBA8 texels of the colour table sampled as nodes.vert does
    (linear between its entries), alpha 255."""
    table = np.asarray(lut, np.float32)
    k = len(table)
    x = np.linspace(0.0, k - 1.0, LUT_STEPS)
    lo = np.minimum(np.floor(x).astype(np.int64), k - 2)
    t = (x - lo)[:, None]
    rgb = table[lo, :3] * (1 - t) + table[lo + 1, :3] * t
    rgba = np.concatenate([np.clip(rgb, 0, 1) * 255 + 0.5, np.full((LUT_STEPS, 1), 255.0)], 1)
    return np.ascontiguousarray(rgba.astype(np.uint8)).view(np.uint32).reshape(-1)


def _half(x: np.ndarray) -> np.ndarray:
    """(n, H, W) packed RGBA8 (uint32), H and W even -> (n, H/2, W/2): each texel the
    rounded mean of 2 x 2, per channel (two channels at a time in 16-bit lanes)."""
    m = np.uint32(0x00FF00FF)
    quads = (x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2])
    rb = np.full(quads[0].shape, 0x00020002, np.uint32)
    ga = rb.copy()
    for q in quads:
        rb += q & m
        ga += (q >> 8) & m
    rb >>= 2
    rb &= m
    ga >>= 2
    ga &= m
    ga <<= 8
    rb |= ga
    return rb


def _level1(tiles, idx: np.ndarray, values: np.ndarray, table: np.ndarray, b: int) -> np.ndarray:
    """(len(idx), B/2, B/2) packed RGBA8: level 1 of these tiles (all of one grid shape)."""
    rows, cols, count = int(tiles.rows[idx[0]]), int(tiles.cols[idx[0]]), int(tiles.count[idx[0]])
    n = len(idx)
    off = tiles.offset[idx]
    if n == 1 or np.all(np.diff(off) == count):
        vals = values[off[0]:off[0] + count * n].reshape(n, count)
    else:
        vals = values[(off[:, None] + np.arange(count)[None]).reshape(-1)].reshape(n, count)
    q = np.clip(vals, 0.0, 1.0)
    q *= LUT_STEPS - 1
    q += 0.5
    rgba = table[q.astype(np.int32)]
    re, ce = rows + rows % 2, cols + cols % 2
    if (re, ce) == (rows, cols) and count == rows * cols:
        cells = rgba.reshape(n, rows, cols)
    else:   # odd sides, a short last row: the missing cells are alpha 0
        cells = np.zeros((n, re, ce), np.uint32)
        if count == rows * cols:
            cells[:, :rows, :cols] = rgba.reshape(n, rows, cols)
        else:
            flat = np.zeros((n, rows * cols), np.uint32)
            flat[:, :count] = rgba
            cells[:, :rows, :cols] = flat.reshape(n, rows, cols)
    out = np.zeros((n, b // 2, b // 2), np.uint32)
    out[:, :re // 2, :ce // 2] = _half(cells)
    return out


def _writer(blocks: np.ndarray, sel: np.ndarray, per_row: int):
    """put(data, rows, cols): data[i] into block sel[i] at (rows, cols); whole shelves
    at once when the blocks follow each other from the first (one shape per slab)."""
    n = len(sel)
    if n and sel[0] == 0 and sel[-1] == n - 1:
        full = n // per_row

        def put(data, rows, cols):
            if full:
                blocks[:full, :, rows, cols] = data[:full * per_row].reshape(
                    full, per_row, *data.shape[1:])
            if n > full * per_row:
                blocks[full, :n - full * per_row, rows, cols] = data[full * per_row:]
        return put
    at = np.divmod(sel, per_row)

    def put_any(data, rows, cols):
        blocks[at[0], at[1], rows, cols] = data
    return put_any


def build(p: Plan, tiles, values: np.ndarray, table: np.ndarray, out: np.ndarray | None = None,
          which: np.ndarray | None = None) -> np.ndarray:
    """(height, width, 4) uint8 atlas of the tiles' levels 1 and up for these values: of
    the tiles ``which`` (bool mask; all when None) written into ``out`` (a new atlas when
    None), the others left as they are."""
    if out is None:
        out = np.zeros((p.height, p.width, 4), np.uint8)
    atlas = out.view(np.uint32).reshape(p.height, p.width)   # packed RGBA8
    vals = np.asarray(values, np.float32).reshape(-1)
    for b, idx, y in p.groups:
        todo = np.ones(len(idx), bool) if which is None else which[idx]
        if not todo.any():
            continue
        h, bw = b // 2, _block_width(b)
        per_row = p.width // bw
        shelves = -(-len(idx) // per_row)
        # (shelf, block in the shelf, row, column): a view of the atlas, written in place
        blocks = atlas[y:y + shelves * h, :per_row * bw].reshape(
            shelves, h, per_row, bw).transpose(0, 2, 1, 3)
        shape = np.stack([tiles.rows[idx], tiles.cols[idx], tiles.count[idx]], 1)
        for key in np.unique(shape, axis=0):
            sel = np.flatnonzero((shape == key).all(1) & todo)
            if len(sel) == 0:
                continue
            put = _writer(blocks, sel, per_row)
            acc = _level1(tiles, idx[sel], vals, table, b)
            put(acc, slice(0, h), slice(0, h))
            s = h
            while s > 1:
                total = _half(acc)
                s //= 2
                put(total, slice(h - 2 * s, h - s), slice(h, h + s))
                acc = total
    return out


def disc_shading(n: int = 400) -> tuple[float, float]:
    """(kd, ks): the mean over a node sprite's disc of nodes.frag's diffuse factor
    (0.22 + 0.85 diff) and of its specular term (0.35 s^16): a sprite of colour rgb
    averages to rgb * kd + ks."""
    t = (np.arange(n) + 0.5) / n * 2 - 1
    x, y = np.meshgrid(t, t)
    r2 = x * x + y * y
    inside = r2 <= 1
    z = np.sqrt(np.maximum(1 - r2, 0))
    diff = np.maximum(-0.45 * x + 0.5 * y + 0.74 * z, 0)
    sp = np.maximum(-0.241 * x + 0.268 * y + 0.933 * z, 0) ** 16
    return float((0.22 + 0.85 * diff)[inside].mean()), float((0.35 * sp)[inside].mean())
