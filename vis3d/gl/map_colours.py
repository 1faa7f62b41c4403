"""Box-filtered colour pyramids of the far maps, for maps.frag's prefiltered look.

A far map's cells shrink below a pixel; sampled one value per pixel they alias (moire).
What the eye sees there is the mean colour of the cells a pixel covers, so the shader
samples a pyramid of COLOURS (the colour table is not linear: the mean of the values
would give the wrong colour, e.g. grey instead of the purple of red and blue).

Each tile (vis3d.scene.tiles_geometry) gets a block of side B, the power of two at or
above its larger side, 3B/2 texels wide:

    level 0 (B x B): the colour of every cell (the colour table at its value, alpha 1;
                     texels beyond the grid, or beyond a short last row, alpha 0)
    level l >= 1:    (B >> l) square at (B, B - (2B >> l)): each texel the mean of 2 x 2
                     texels of level l - 1, alpha included

so a level-l texel is the mean colour of the real cells among its 2^l x 2^l, times the
share of real cells (premultiplied by alpha). Blocks of one side are packed in full-width
shelves of one RGBA8 atlas. Pure numpy; the values are uploaded as they come.
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


def plan(tiles) -> Plan:
    n = len(tiles)
    side = np.ones(n, np.int64)
    if n:
        big = np.maximum(tiles.rows, tiles.cols).astype(np.int64)
        side = np.maximum(2, 1 << np.ceil(np.log2(np.maximum(big, 1))).astype(np.int64))
    width = max(ATLAS_WIDTH, int(side.max() * 3 // 2) if n else 1)
    block = np.zeros((n, 3), np.float32)
    groups, y = [], 0
    for b in sorted(set(side.tolist()), reverse=True):
        idx = np.flatnonzero(side == b)
        per_row = width // (3 * b // 2)
        k = np.arange(len(idx))
        block[idx, 0] = (k % per_row) * (3 * b // 2)
        block[idx, 1] = y + (k // per_row) * b
        block[idx, 2] = b
        groups.append((b, idx, y))
        y += -(-len(idx) // per_row) * b
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


def _cells(tiles, idx: np.ndarray, values: np.ndarray, table: np.ndarray, b: int) -> np.ndarray:
    """(len(idx), B, B, 4) uint8: level 0 of these tiles (all of one grid shape)."""
    rows, cols, count = int(tiles.rows[idx[0]]), int(tiles.cols[idx[0]]), int(tiles.count[idx[0]])
    off = tiles.offset[idx]
    if len(idx) == 1 or np.all(np.diff(off) == count):
        vals = values[off[0]:off[0] + count * len(idx)].reshape(len(idx), count)
    else:
        vals = values[(off[:, None] + np.arange(count)[None]).reshape(-1)].reshape(len(idx), count)
    q = np.clip(vals, 0.0, 1.0) * (LUT_STEPS - 1) + 0.5
    rgba = table[q.astype(np.int32)]
    out = np.zeros((len(idx), b, b), np.uint32)
    if count == rows * cols:
        out[:, :rows, :cols] = rgba.reshape(len(idx), rows, cols)
    else:   # a short last row: the missing cells stay alpha 0
        full = np.zeros((len(idx), rows * cols), np.uint32)
        full[:, :count] = rgba
        out[:, :rows, :cols] = full.reshape(len(idx), rows, cols)
    return out.view(np.uint8).reshape(len(idx), b, b, 4)


def build(p: Plan, tiles, values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(height, width, 4) uint8 atlas of every tile's pyramid for these node values."""
    atlas = np.zeros((p.height, p.width, 4), np.uint8)
    vals = np.asarray(values, np.float32).reshape(-1)
    for b, idx, y in p.groups:
        bw = 3 * b // 2
        per_row = p.width // bw
        shelves = -(-len(idx) // per_row)
        blocks = np.zeros((shelves * per_row, b, bw, 4), np.uint8)
        shape = np.stack([tiles.rows[idx], tiles.cols[idx], tiles.count[idx]], 1)
        for key in np.unique(shape, axis=0):
            sel = np.flatnonzero((shape == key).all(1))
            level = _cells(tiles, idx[sel], vals, table, b)
            blocks[sel, :, :b] = level
            s = b
            acc = level.astype(np.uint16)
            while s > 1:
                acc = (acc[:, 0::2, 0::2] + acc[:, 1::2, 0::2] + acc[:, 0::2, 1::2]
                       + acc[:, 1::2, 1::2] + 2) >> 2
                s //= 2
                blocks[sel, b - 2 * s:b - s, b:b + s] = acc
        region = atlas[y:y + shelves * b, :per_row * bw].reshape(shelves, b, per_row, bw, 4)
        region[...] = blocks.reshape(shelves, per_row, b, bw, 4).transpose(0, 2, 1, 3, 4)
    return atlas


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
