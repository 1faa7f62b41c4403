"""Far maps without aliasing (vis3d.gl.maps, shaders/maps.frag), in a real GL context.

A map of a one-cell checker of activations is the worst case: drawn one sprite per pixel
when its cells are smaller than a pixel, it shows a strong moire. The reference is what
the eye would see: the same map rendered 8, 16 and 32 times nearer (as points, at 12 px a
cell) and box-filtered down to the far map's pixels. The far quad must have that picture's
mean colour (the sprites' colours averaged and the dark gaps between them mixed in; with a
colour table that is not linear, so averaging values instead of colours is caught) and no
more pixel-to-pixel detail than it.
"""

import numpy as np
import pytest

from test_lod import Scene, chain
from vis3d.gl.context import make_canvas
from vis3d.scene import layout

SIDE = 64          # cells a side
NEAR_PX = 12.0     # pixels a cell in the reference


def red_grey_green_lut():
    """0 red, 0.5 dark grey, 1 green: the mean of the colours of 0 and 1 is a dim yellow,
    the colour of the mean value a dark grey."""
    t = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
    red, grey, green = np.array([1, 0, 0.0]), np.array([0.1, 0.1, 0.1]), np.array([0, 1, 0.0])
    rgb = np.where(t < 0.5, red + (grey - red) * (t / 0.5), grey + (green - grey) * ((t - 0.5) / 0.5))
    return np.concatenate([rgb, np.ones_like(t)], 1).astype(np.float32)


@pytest.fixture(scope="module")
def big_canvas():
    c = make_canvas((1024, 1024))
    c.bgcolor = "black"
    yield c
    c.close()


@pytest.fixture
def checker(big_canvas):
    lay = layout.compute(chain(("input", "input", (1, SIDE, SIDE)), ("fc", "linear", (10,))))
    v = np.full(lay.count, 0.5, np.float32)
    r, c = np.divmod(np.arange(SIDE * SIDE), SIDE)
    v[:SIDE * SIDE] = (r + c) % 2
    sc = Scene(big_canvas, lay, v)
    lut = red_grey_green_lut()
    sc.nodes.set_lut(lut)
    sc.maps.set_lut(lut)
    yield sc
    sc.close()


def _crop(sc, img, margin):
    """The map's pixels, ``margin`` pixels in from its edges."""
    t = sc.tiles
    px = sc.to_px(t.corners()[0])
    x0, y0 = np.ceil(px.min(0)).astype(int) + margin
    x1, y1 = np.floor(px.max(0)).astype(int) - margin
    return img[y0:y1, x0:x1].astype(float)


def _detail(a):
    """Mean absolute difference between neighbouring pixels (high-frequency energy)."""
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean()) / 2


def measure(sc, factor):
    sc.look(0, NEAR_PX)
    near = sc.render()
    assert not sc.lod.far[0]
    crop = _crop(sc, near, 0)
    h, w = (np.array(crop.shape[:2]) // factor) * factor
    ref = crop[:h, :w].reshape(h // factor, factor, w // factor, factor, 3).mean((1, 3))[1:-1, 1:-1]
    sc.look(0, NEAR_PX / factor)
    far = sc.render()
    assert sc.lod.far[0]
    got = _crop(sc, far, 2)
    return ref, got


@pytest.mark.parametrize("factor", [8, 16, 32])
def test_far_checker_is_its_box_filtered_picture(checker, factor):
    ref, got = measure(checker, factor)
    mean_ref, mean_got = ref.mean((0, 1)), got.mean((0, 1))
    d_ref, d_got = _detail(ref), _detail(got)
    print(factor, mean_ref.round(1), mean_got.round(1), round(d_ref, 2), round(d_got, 2))
    assert np.abs(mean_got - mean_ref).max() < 4, (mean_ref, mean_got)   # 1.2 at most (before: 30)
    assert d_got <= d_ref + 1.0, (d_ref, d_got)   # before: 58, 82, 33 for 37, 11, 4


def test_colour_pyramids_are_the_means_of_the_cells():
    """Every level texel of every tile is the mean colour (alpha: the share of real cells)
    of the cells it covers: odd sides (7 x 7), several channels, a short last row (300
    units on an 18 x 17 grid); the blocks do not overlap."""
    from vis3d.gl import map_colours
    from vis3d.scene import tiles_geometry
    lay = layout.compute(chain(("input", "input", (1, 7, 7)), ("conv1", "conv", (3, 12, 12)),
                               ("fc1", "linear", (300,)), ("fc2", "linear", (10,))))
    tiles = tiles_geometry.compute(lay)
    v = np.random.default_rng(3).random(lay.count).astype(np.float32)
    table = map_colours.colour_table(red_grey_green_lut())
    p = map_colours.plan(tiles)
    atlas = map_colours.build(p, tiles, v, table).astype(float)
    used = np.zeros((p.height, p.width), int)
    rgba = table.view(np.uint8).reshape(-1, 4).astype(float)
    for t in range(len(tiles)):
        x, y, b = (int(c) for c in p.block[t])
        used[y:y + b // 2, x:x + b // 2 + b // 4] += 1
        rows, cols, count, off = (int(tiles.rows[t]), int(tiles.cols[t]), int(tiles.count[t]),
                                  int(tiles.offset[t]))
        q = (v[off:off + count] * (map_colours.LUT_STEPS - 1) + 0.5).astype(int)
        grid = np.zeros((rows * cols, 4))
        grid[:count] = rgba[q]
        cells = np.zeros((b, b, 4))
        cells[:rows, :cols] = grid.reshape(rows, cols, 4)
        level, k = 1, b // 2
        while k >= 1:
            want = cells.reshape(k, b // k, k, b // k, 4).mean((1, 3))
            oy, ox = (0, 0) if level == 1 else (b // 2 - 2 * k, b // 2)
            got = atlas[y + oy:y + oy + k, x + ox:x + ox + k]
            assert np.abs(got - want).max() <= level, (t, level, np.abs(got - want).max())
            level, k = level + 1, k // 2
    assert used.max() == 1


def test_pyramids_are_rebuilt_for_the_far_layers_only(big_canvas):
    """New values: before the next frame only the layers with a map drawn as a quad get
    new pyramids (the same as built from scratch); the others wait until they are far."""
    from test_lod import small_layout
    from vis3d.gl import map_colours
    from vis3d.gl.maps import THRESHOLD_PX
    lay = small_layout()
    rng = np.random.default_rng(4)
    sc = Scene(big_canvas, lay, rng.random(lay.count).astype(np.float32))
    try:
        sc.only(1)
        sc.look(1, 0.5 * THRESHOLD_PX)
        far = sc.lod.far & sc.lod.shown
        assert far[1:5].all() and not far[[0, 5]].any()
        v2 = rng.random(lay.count).astype(np.float32)
        sc.maps.set_values(v2)
        assert sc.maps._stale.all()
        sc.render()
        assert not sc.maps._stale[1:5].any() and sc.maps._stale[[0, 5]].all()
        fresh = map_colours.build(sc.maps._plan, sc.tiles, v2, sc.maps._table)
        for t in range(1, 5):
            x, y, b = (int(c) for c in sc.maps._plan.block[t])
            block = np.s_[y:y + b // 2, x:x + b // 2 + b // 4]
            assert np.array_equal(sc.maps._colours[block], fresh[block])
    finally:
        sc.close()
