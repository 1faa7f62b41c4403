"""Level of detail: far feature maps as one quad each (vis3d.gl.maps), in a real GL context.

The nodes' activation buffer and the maps' atlas are given DIFFERENT values in the colour
tests (v for the atlas, 1 - v for the nodes), so each pixel tells which of the two drew it.
"""

import networkx as nx
import numpy as np
import pytest
from vispy import scene

from glhelp import red_blue_lut
from vis3d.gl.maps import THRESHOLD_PX, MapLOD, Maps
from vis3d.gl.nodes import Nodes
from vis3d.scene import layout, tiles_geometry


def chain(*layers):
    """A probe-like layer graph: ('input', (1, 28, 28)), then (name, kind, shape)..."""
    g = nx.DiGraph()
    prev = None
    for i, (name, kind, shape) in enumerate(layers):
        g.add_node(name, kind=kind, shape=shape, index=i, module=kind)
        if prev:
            g.add_edge(prev, name)
        prev = name
    return g


def small_layout():
    return layout.compute(chain(("input", "input", (1, 12, 12)), ("conv1", "conv", (4, 10, 10)),
                                ("fc1", "linear", (300,)), ("fc2", "linear", (10,))))


class Scene:
    def __init__(self, canvas, lay, values, node_values=None, azimuth=-90.0, elevation=0.0):
        self.canvas, self.layout = canvas, lay
        self.tiles = tiles_geometry.compute(lay)
        self.view = canvas.central_widget.add_view()
        self.view.camera = scene.TurntableCamera(fov=30, azimuth=azimuth, elevation=elevation,
                                                 up="+z", center=(0, 0, 0), distance=100)
        lut = red_blue_lut()
        nv = values if node_values is None else node_values
        self.nodes = Nodes(lay.positions, lay.sizes, lut, nv, parent=self.view.scene)
        self.maps = Maps(lut, self.tiles, lay.count, values, parent=self.view.scene)
        self.nodes.order, self.maps.order = -1, -2
        self.lod = MapLOD(self.nodes, self.maps, self.tiles)

    def look(self, slab: int, pitch_px: float, nearest: bool = True) -> None:
        """Centre one slab at the distance that gives this node pitch to its nearest map
        (or, with nearest=False, to its farthest)."""
        s = self.layout.slabs[slab]
        cam = self.view.camera
        cam.center = (float(s.x), 0.0, 0.0)
        for _ in range(6):  # pitch is not quite proportional to 1 / distance: iterate
            self.canvas.render()
            px = self.lod.pitch_px(self.nodes)[self.tiles.slab == slab]
            now = float(px.max() if nearest else px.min())
            cam.distance = float(cam.distance) * now / pitch_px

    def only(self, slab: int) -> None:
        """Hide every other slab (nodes at size 0, their quads off)."""
        sizes = self.layout.sizes.copy()
        others = [s.index for s in self.layout.slabs if s.index != slab]
        sizes[self.layout.slab_of != slab] = 0
        self.nodes.set_sizes(sizes)
        self.lod.set_hidden_slabs(frozenset(others))

    def render(self) -> np.ndarray:
        return self.canvas.render(alpha=False)[..., :3].astype(int)

    def to_px(self, points) -> np.ndarray:
        p = self.nodes.get_transform("visual", "canvas").map(np.asarray(points, np.float32))
        return p[:, :2] / p[:, 3:4]

    def close(self) -> None:
        self.nodes.parent = self.maps.parent = self.view.parent = None


@pytest.fixture
def make_scene(canvas):
    made = []

    def build(*args, **kw):
        made.append(Scene(canvas, *args, **kw))
        return made[-1]
    yield build
    for s in made:
        s.close()


def test_tiles_are_the_layout_grids():
    lay = small_layout()
    t = tiles_geometry.compute(lay)
    # input: 1 tile, conv1: 4 channel tiles, fc1 (300 units, 18 x 17 grid): 1; fc2 too small.
    assert [int(v) for v in t.slab] == [0, 1, 1, 1, 1, 2]
    assert list(t.count) == [144, 100, 100, 100, 100, 300]
    conv = lay.slabs[1]
    assert list(t.offset[1:5]) == [conv.offset + k * 100 for k in range(4)]
    fc1 = lay.slabs[2]
    assert (t.rows[5], t.cols[5]) == fc1.grid and t.rows[5] * t.cols[5] > 300
    # Each cell centre is a node; the quad reaches half a pitch beyond the outer nodes.
    for k in range(len(t)):
        pos = lay.positions[t.offset[k]:t.offset[k] + t.count[k]]
        c = t.corners()[k]
        assert np.allclose(np.linalg.norm(t.du[k]), lay.slabs[t.slab[k]].pitch, rtol=1e-5)
        lo, hi = c.min(0), c.max(0)
        half = 0.5 * lay.slabs[t.slab[k]].pitch
        assert np.allclose(lo[1:], pos.min(0)[1:] - half, atol=1e-4)
        assert np.allclose(hi[1:], pos.max(0)[1:] + half, atol=1e-4)
    ranges = tiles_geometry.node_ranges(t, np.array([False, True, False, True, False, False]))
    assert np.array_equal(ranges, np.r_[conv.offset:conv.offset + 100,
                                        conv.offset + 200:conv.offset + 300])


def test_off_grid_nodes_are_refused():
    lay = small_layout()
    lay.positions[lay.slabs[1].offset + 57, 1] += 0.4
    with pytest.raises(ValueError, match="layer 'conv1'"):
        tiles_geometry.compute(lay)


def _tile_colour(img, px, radius=3):
    """Mean colour of the lit pixels around px."""
    x, y = int(round(px[0])), int(round(px[1]))
    patch = img[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1].reshape(-1, 3)
    lit = patch[patch.sum(1) > 60]
    assert len(lit) > 0, f"nothing drawn around {px}"
    return lit.mean(0)


def _channel_values(lay):
    """Activations: conv1 channel k all k % 2 (red, blue, red, blue), the rest 0.5."""
    v = np.full(lay.count, 0.5, np.float32)
    s = lay.slabs[1]
    for k in range(4):
        v[s.offset + k * 100:s.offset + (k + 1) * 100] = k % 2
    return v


def test_far_maps_are_quads_near_maps_are_points(make_scene):
    lay = small_layout()
    v = _channel_values(lay)
    sc = make_scene(lay, v, node_values=1 - v)
    sc.only(1)
    centres = sc.tiles.origin[1:5] + 0.5 * (sc.tiles.du[1:5] * 9 + sc.tiles.dv[1:5] * 9)
    sc.look(1, 0.6 * THRESHOLD_PX)
    img = sc.render()
    assert sc.lod.far[1:5].all()
    assert sc.maps.quads == 4  # only conv1's: the hidden layers' quads are not drawn
    assert sc.nodes.drawn == 10  # fc2's, in no tile, are always submitted (hidden: size 0)
    for k, px in enumerate(sc.to_px(centres)):
        r, _, b = _tile_colour(img, px)
        assert (r > 2 * b) if k % 2 == 0 else (b > 2 * r), (k, r, b)   # the atlas: v
    sc.look(1, 2.0 * THRESHOLD_PX)
    img = sc.render()
    assert not sc.lod.far[1:5].any() and sc.maps.quads == 0
    assert sc.nodes.drawn == 400 + 10
    for k, px in enumerate(sc.to_px(centres)):
        r, _, b = _tile_colour(img, px)
        assert (b > 2 * r) if k % 2 == 0 else (r > 2 * b), (k, r, b)   # the nodes: 1 - v


def test_switch_is_per_map(make_scene):
    """Seen obliquely, the near channels of one slab are points while its far ones are quads."""
    lay = small_layout()
    v = _channel_values(lay)
    sc = make_scene(lay, v, node_values=1 - v, azimuth=-20.0, elevation=0.0)
    sc.only(1)
    sc.look(1, 1.0 * THRESHOLD_PX)
    cam = sc.view.camera
    # Find a distance where conv1's channels are split between the two modes.
    for _ in range(40):
        sc.render()
        far = sc.lod.far[1:5]
        if far.any() and not far.all():
            break
        cam.distance *= 0.95 if far.all() else 1.05
    assert far.any() and not far.all(), sc.lod.pitch_px(sc.nodes)[1:5]
    img = sc.render()
    centres = sc.tiles.origin[1:5] + 0.5 * (sc.tiles.du[1:5] * 9 + sc.tiles.dv[1:5] * 9)
    for k, px in enumerate(sc.to_px(centres)):
        r, _, b = _tile_colour(img, px, radius=2)
        shows_v = (r > b) if k % 2 == 0 else (b > r)
        assert shows_v == bool(far[k]), (k, far, r, b)


def test_no_visible_jump_at_the_threshold(make_scene, tmp_path):
    """Just either side of the threshold the picture changes no more with LOD than the
    same small zoom changes it with points only; and at one camera, quads and points
    give the same pixels but for a few."""
    lay = small_layout()
    v = np.random.default_rng(1).random(lay.count).astype(np.float32)
    sc = make_scene(lay, v, azimuth=-70.0, elevation=15.0)

    def shot(pitch, lod):
        sc.lod.enabled = lod
        sc.look(1, pitch, nearest=pitch < THRESHOLD_PX)
        img = sc.render()
        return img, bool(sc.lod.far[1:5].all()), bool(not sc.lod.far[1:5].any())

    below, all_far, _ = shot(0.97 * THRESHOLD_PX, True)
    above, _, none_far = shot(1.03 * THRESHOLD_PX, True)
    assert all_far and none_far
    below_pts, _, _ = shot(0.97 * THRESHOLD_PX, False)
    above_pts, _, _ = shot(1.03 * THRESHOLD_PX, False)
    from vispy.io import write_png
    write_png(str(tmp_path / "below_quads.png"), below.astype(np.uint8))
    write_png(str(tmp_path / "above_points.png"), above.astype(np.uint8))
    changed = lambda a, b: float((np.abs(a - b).max(2) > 24).mean())  # noqa: E731
    same_camera = changed(below, below_pts)
    assert same_camera < 0.002, same_camera
    # Mean colour of the whole picture: the switch moves it no more than the zoom does.
    jump = np.abs(below.mean((0, 1)) - above.mean((0, 1))).max()
    zoom = np.abs(below_pts.mean((0, 1)) - above_pts.mean((0, 1))).max()
    assert jump <= zoom + 0.1, (jump, zoom)
    assert changed(below, above) <= changed(below_pts, above_pts) + 0.002


def test_maps_outside_the_view_are_not_drawn(make_scene):
    """Close to one channel of conv1 the others leave the view: neither their points nor
    their quads are submitted, and the picture is the one with every node a point."""
    lay = small_layout()
    v = np.random.default_rng(2).random(lay.count).astype(np.float32)
    sc = make_scene(lay, v, azimuth=-80.0, elevation=5.0)
    t = sc.tiles
    sc.view.camera.center = tuple(float(c) for c in t.origin[1] + 4.5 * (t.du[1] + t.dv[1]))
    sc.view.camera.distance = 30.0
    img = sc.render()
    culled = sc.lod.culled
    assert culled[2:5].all() and not culled[1]
    assert sc.nodes.drawn == lay.count - int(t.count[culled | sc.lod.far].sum())
    assert sc.nodes.drawn < 0.5 * lay.count
    sc.lod.enabled = False
    ref = sc.render()
    assert sc.nodes.drawn == lay.count
    assert float((np.abs(img - ref).max(2) > 24).mean()) < 0.002


def test_highlighted_node_in_a_far_map_stays_a_point(make_scene):
    lay = small_layout()
    v = np.zeros(lay.count, np.float32)
    sc = make_scene(lay, v)
    sc.only(1)
    sc.look(1, 0.6 * THRESHOLD_PX)
    base = sc.render()
    assert sc.lod.far[1:5].all() and sc.nodes.drawn == 10
    conv = lay.slabs[1]
    a, b = conv.offset + 155, conv.offset + 322
    sc.nodes.set_highlight(a)
    sc.lod.refresh_highlight(None)
    img = sc.render()
    assert sc.nodes.drawn == 11
    x, y = np.round(sc.to_px(lay.positions[[a]])[0]).astype(int)
    # the highlighted sprite is 1.6x the size with a white rim: whiter pixels around it
    assert img[y - 2:y + 3, x - 2:x + 3].min(2).max() > base[y - 2:y + 3, x - 2:x + 3].min(2).max() + 60
    sc.nodes.set_highlight(b)
    sc.lod.refresh_highlight(a)
    sc.render()
    assert sc.nodes.drawn == 11 and a not in sc.nodes._subset and b in sc.nodes._subset
    sc.nodes.set_highlight(None)
    sc.lod.refresh_highlight(b)
    sc.render()
    assert sc.nodes.drawn == 10


def test_lod_off_draws_every_node_as_a_point(make_scene):
    lay = small_layout()
    sc = make_scene(lay, np.zeros(lay.count, np.float32))
    sc.look(1, 0.5 * THRESHOLD_PX)
    sc.render()
    assert sc.maps.quads == 6
    sc.lod.enabled = False
    sc.render()
    assert sc.maps.quads == 0 and sc.nodes.drawn == lay.count


def test_hidden_layer_hides_its_quads(canvas):
    """The session's hidden set reaches the quads: hiding conv1 with its maps drawn as
    quads changes the pixels that hiding it with every node a point changes, and no
    others. (At 400x300 the maps' cells are 1.1 to 1.6 px: the quads show their averaged
    picture there, not the aliased one of the points, see test_lod_aliasing.)"""
    from vis3d.gl.view import NetworkView
    from vis3d.model import weights
    from vis3d.scene.session import Session

    session = Session(weights.load("mnist_cnn"))
    session.set_input(np.random.default_rng(0).random((28, 28)).astype(np.float32))
    view = NetworkView(canvas, session)
    view.set_hint_visible(False)
    view.labels.visible = view.digits.visible = False

    def shot(lod):
        view.lod.enabled = lod
        img = canvas.render(alpha=False)[..., :3].astype(int)
        return img, view.maps.quads

    changed = lambda a, b: float((np.abs(a - b).max(2) > 24).mean())  # noqa: E731
    try:
        conv1 = session.layout.slab("conv1").index
        mine = int((view.lod.tiles.slab == conv1).sum())
        shown, quads = shot(True)
        assert quads == len(view.lod.tiles)      # at 400x300 every map is far
        shown_pts, _ = shot(False)
        session.set_layer_visible(conv1, False)
        hidden, quads = shot(True)
        assert quads == len(view.lod.tiles) - mine
        hidden_pts, _ = shot(False)
        gone = changed(shown_pts, hidden_pts)
        assert gone > 0.04                        # conv1 covered ~5.6% of the picture
        assert changed(shown, hidden) > 0.85 * gone   # 0.92: a few of its averaged pixels are dark
        conv1_px = np.abs(shown_pts - hidden_pts).max(2) > 0
        for _ in range(2):                        # two pixels of margin (the gaps between sprites)
            conv1_px[1:] |= conv1_px[:-1]
            conv1_px[:-1] |= conv1_px[1:]
            conv1_px[:, 1:] |= conv1_px[:, :-1]
            conv1_px[:, :-1] |= conv1_px[:, 1:]
        elsewhere = float(((np.abs(shown - hidden).max(2) > 0) & ~conv1_px).mean())
        assert elsewhere == 0, elsewhere          # the quads changed only where the points did
        session.set_layer_visible(conv1, True)
        again, quads = shot(True)
        assert quads == len(view.lod.tiles) and changed(again, shown) == 0
    finally:
        canvas.events.draw.disconnect(view._before_draw)
        view.hint.parent = view.view.parent = None


def test_quads_go_back_to_front_with_one_index_upload_a_frame(make_scene):
    """The far quads are drawn farthest plane first (their averaged pictures are
    translucent): seen from the other side the layers come in the reverse order. A frame
    in which both the choice of quads and their order change rebuilds the index buffer
    once."""
    lay = small_layout()
    sc = make_scene(lay, _channel_values(lay), azimuth=-60.0, elevation=20.0)
    calls = []
    set_far = sc.maps.set_far

    def counted(far, order=None):
        calls.append(None if order is None else np.asarray(order).copy())
        set_far(far, order)
    sc.maps.set_far = counted
    sc.look(1, 0.5 * THRESHOLD_PX)
    sc.render()
    assert sc.maps.quads > 0
    slabs = sc.tiles.slab[sc.lod.order]
    first = slabs[np.sort(np.unique(slabs, return_index=True)[1])]
    cam = sc.view.camera
    cam.azimuth = cam.azimuth + 180.0     # the order and the choice change at once
    cam.distance = cam.distance * 0.7     # the input's map turns to points, the others stay
    changes = sc.lod.changes
    calls.clear()
    sc.render()
    assert sc.lod.changes == changes + 1 and sc.maps.quads > 0
    assert len(calls) == 1 and np.array_equal(calls[0], sc.lod.order), len(calls)
    slabs = sc.tiles.slab[sc.lod.order]
    assert np.array_equal(slabs[np.sort(np.unique(slabs, return_index=True)[1])], first[::-1])
    calls.clear()
    sc.render()              # the same camera: nothing rebuilt
    assert calls == []
