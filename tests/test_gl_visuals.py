"""Nodes and edges visuals in a real OpenGL context (EGL, or Qt under xvfb), read back as pixels."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from glhelp import add_view, red_blue_lut
from vis3d.errors import Vis3dError

BG = np.array([0, 0, 0])
SIZE = (400, 300)


@pytest.fixture
def view(canvas):
    v = add_view(canvas, azimuth=0, elevation=0)
    yield v
    v.parent = None


def grid(n_side=4, pitch=4.0):
    k = np.arange(n_side * n_side)
    x = (k % n_side - (n_side - 1) / 2) * pitch
    z = (k // n_side - (n_side - 1) / 2) * pitch
    return np.stack([x, np.zeros_like(x), z], 1).astype(np.float32)


def lit(img, thresh=20):
    return np.abs(img[..., :3].astype(int) - BG).sum(-1) > thresh


def make_nodes(view, pos, sizes, acts=None, lut=None):
    from vis3d.gl.nodes import Nodes
    sizes = np.broadcast_to(np.float32(sizes), (len(pos),)).copy() if np.isscalar(sizes) else sizes
    return Nodes(pos, sizes, red_blue_lut() if lut is None else lut, acts, parent=view.scene)


def centres(canvas, nodes, idx):
    from vis3d.gl.picking import NodePicker
    return NodePicker(nodes.positions, np.ones(nodes.count)).project(nodes, idx, canvas.size)


def test_nodes_appear_where_positions_project_and_nowhere_else(canvas, view):
    pos = grid()
    nodes = make_nodes(view, pos, 1.2, np.full(len(pos), 0.5, np.float32))
    img = canvas.render(alpha=False)
    mask = lit(img)
    xy = np.round(centres(canvas, nodes, np.arange(len(pos)))).astype(int)
    assert all(mask[y, x] for x, y in xy), "a node centre is background"
    # half-way between neighbours (4 units apart, nodes 1.2 wide) is background
    mid = np.round((xy[0] + xy[1]) / 2).astype(int)
    assert not mask[mid[1], mid[0]]
    # all lit pixels sit within a node's projected radius of some centre
    ys, xs = np.nonzero(mask)
    d = np.hypot(xs[:, None] - xy[None, :, 0], ys[:, None] - xy[None, :, 1]).min(1)
    px_per_unit = abs(xy[1, 0] - xy[0, 0]) / 4.0
    assert d.max() <= 0.6 * px_per_unit + 1.5
    assert 0.001 < mask.mean() < 0.2


def test_activation_sets_colour_through_the_lut(canvas, view):
    pos = grid(2, 6.0)
    nodes = make_nodes(view, pos, 2.0, np.array([0, 1, 0, 1], np.float32))
    xy = np.round(centres(canvas, nodes, np.arange(4))).astype(int)
    img = canvas.render(alpha=False).astype(int)
    red, blue = img[xy[0, 1], xy[0, 0]], img[xy[1, 1], xy[1, 0]]
    assert red[0] > red[2] + 60 and blue[2] > blue[0] + 60
    nodes.set_activations(np.array([1, 0, 1, 0], np.float32))
    img2 = canvas.render(alpha=False).astype(int)
    now = img2[xy[0, 1], xy[0, 0]]
    assert now[2] > now[0] + 60, "node 0 did not turn blue after set_activations"
    assert np.abs(img2 - img).sum() > 1000


def _recorded_uploads(canvas, action):
    """Run action, draw a frame, and return the GLIR DATA/SIZE commands sent to GL."""
    canvas.render()  # flush everything pending
    parser = canvas.context.shared.parser
    seen = []
    original = parser.parse

    def spy(commands):
        seen.extend(c for c in commands if c[0] in ("DATA", "SIZE"))
        return original(commands)

    parser.parse = spy
    try:
        action()
        canvas.render()
    finally:
        parser.parse = original
    return seen


def test_set_activations_uploads_only_the_activation_floats(canvas, view):
    pos = grid(8, 2.0)
    nodes = make_nodes(view, pos, 1.0)
    new = np.linspace(0, 1, len(pos), dtype=np.float32)
    cmds = _recorded_uploads(canvas, lambda: nodes.set_activations(new))
    ours = {nodes._node_vbo.id: "node", nodes._act_vbo.id: "activation", nodes._ibo.id: "index",
            nodes._lut_tex.id: "lut"}
    sent = [(ours[c[1]], c) for c in cmds if c[1] in ours]
    assert {name for name, _ in sent} == {"activation"}, [c[:3] for _, c in sent]
    # VisPy re-specifies a fully rewritten buffer at the same size (SIZE 4N) before its DATA
    assert all(c[2] == 4 * len(pos) for _, c in sent if c[0] == "SIZE")
    data = [c[-1] for _, c in sent if c[0] == "DATA"]
    assert len(data) == 1 and data[0].nbytes == 4 * len(pos)
    np.testing.assert_array_equal(np.frombuffer(data[0].tobytes(), np.float32), new)
    # the highlight is a uniform: no buffer traffic at all
    assert not [c for c in _recorded_uploads(canvas, lambda: nodes.set_highlight(3)) if c[1] in ours]


def test_node_size_is_in_world_units(canvas, view):
    nodes = make_nodes(view, np.zeros((1, 3), np.float32), 1.0)
    far = lit(canvas.render(alpha=False)).sum()
    view.camera.distance = 20
    near = lit(canvas.render(alpha=False)).sum()
    assert far > 10
    assert 3.0 < near / far < 5.5  # half the distance: twice the diameter, four times the area
    nodes.set_sizes(np.array([2.0], np.float32))
    bigger = lit(canvas.render(alpha=False)).sum()
    assert 3.0 < bigger / near < 5.5
    nodes.set_sizes(np.array([0.0], np.float32))
    assert lit(canvas.render(alpha=False)).sum() == 0, "size 0 must hide the node"


def test_nodes_are_shaded_spheres(canvas, view):
    lut = np.tile(np.array([[0.2, 0.6, 1.0, 1.0]], np.float32), (256, 1))
    nodes = make_nodes(view, np.zeros((1, 3), np.float32), 8.0, lut=lut)
    img = canvas.render(alpha=False).astype(float)
    cx, cy = centres(canvas, nodes, [0])[0]
    mask = lit(img)
    radius = np.sqrt(mask.sum() / np.pi)
    assert radius > 20
    yy, xx = np.mgrid[:img.shape[0], :img.shape[1]]
    r = np.hypot(xx - cx, yy - cy) / radius
    lum = img.sum(-1)
    inner, rim = lum[(r < 0.35) & mask].mean(), lum[(r > 0.85) & (r < 0.97) & mask].mean()
    assert inner > 1.4 * rim, (inner, rim)
    # round: the corners of the bounding square stay background
    assert not mask[int(cy - 0.85 * radius), int(cx - 0.85 * radius)]


def test_highlight_emphasises_one_node(canvas, view):
    pos = grid(2, 6.0)
    nodes = make_nodes(view, pos, 2.0, np.zeros(4, np.float32))
    before = canvas.render(alpha=False).astype(int)
    nodes.set_highlight(2)
    after = canvas.render(alpha=False).astype(int)
    xy = centres(canvas, nodes, np.arange(4))
    changed = np.argwhere(np.abs(after - before).sum(-1) > 30)
    assert len(changed) > 10
    d = np.hypot(changed[:, 1, None] - xy[None, :, 0], changed[:, 0, None] - xy[None, :, 1])
    assert (d.argmin(1) == 2).all(), "pixels changed around a node that is not highlighted"
    assert (after.min(-1) > 200).sum() > 10, "no white rim"
    nodes.set_highlight(None)
    assert np.abs(canvas.render(alpha=False).astype(int) - before).max() == 0


def test_edges_have_their_pixel_width_and_vanish_after_clear(canvas, view):
    from vis3d.gl.edges import Edges
    edges = Edges(parent=view.scene)
    starts = np.array([[-8, 0, 3], [-8, 0, -3]], np.float32)
    ends = np.array([[8, 0, 3], [8, 0, -3]], np.float32)
    colors = np.array([[1, 0.5, 0, 1], [0, 0.6, 1, 1]], np.float32)
    edges.set_edges(starts, ends, np.array([3.0, 12.0], np.float32), colors)
    mask = lit(canvas.render(alpha=False), thresh=60)
    col = SIZE[0] // 2
    rows = np.flatnonzero(mask[:, col])
    groups = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    assert len(groups) == 2, groups
    thin, thick = sorted(len(g) for g in groups)
    assert 2 <= thin <= 4 and 10 <= thick <= 14, (thin, thick)
    edges.clear()
    assert lit(canvas.render(alpha=False)).sum() == 0
    with pytest.raises(ValueError):
        edges.set_edges(starts, ends[:1], np.ones(2), colors)


def test_no_context_gives_one_clear_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["EGL_PLATFORM"] = "no-such-platform"
    code = textwrap.dedent("""
        import sys
        from vis3d.errors import Vis3dError
        from vis3d.gl.context import make_canvas
        try:
            make_canvas((64, 64))
        except Vis3dError as exc:
            print("ERR", exc); sys.exit(2)
        print("made a canvas")
    """)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    line = r.stdout.strip()
    assert "\n" not in line and line.startswith("ERR no OpenGL context")
    assert "xvfb-run" in line and "libegl" in line


def test_egl_canvas_and_qt_window_share_a_process(x_display):
    code = textwrap.dedent("""
        import numpy as np
        from vispy import scene, app
        from vis3d.gl.context import make_canvas
        def lit(img): return int((img[..., :3].sum(-1) > 0).sum())
        def populate(c):
            c.bgcolor = "black"
            v = c.central_widget.add_view()
            v.camera = scene.TurntableCamera(fov=30, azimuth=0, elevation=0, distance=30)
            scene.visuals.Markers(parent=v.scene).set_data(np.zeros((1, 3)), size=20)
        e = make_canvas((120, 90)); populate(e)
        print("egl", e.app.backend_name, lit(e.render()))
        q = scene.SceneCanvas(size=(120, 90), show=True, app=app.use_app("pyqt5")); populate(q)
        app.use_app().process_events()
        print("qt", q.app.backend_name, lit(q.render()))
        print("egl", e.app.backend_name, lit(e.render()))
        e.close()
        print("qt", q.app.backend_name, lit(q.render()))
        q.close()
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    assert [b for _, b, _ in rows] == ["egl", "PyQt5", "egl", "PyQt5"]
    assert all(int(n) > 100 for _, _, n in rows), rows
    assert "make context current" not in r.stderr


def test_render_benchmarks_report_every_figure_and_leave_the_canvas_empty(canvas):
    from vis3d.bench import render as B
    pos, sizes, acts = B.synthetic_scene(3000, seed=1)
    assert pos.shape == (3000, 3) and len(np.unique(pos, axis=0)) == 3000
    r = B.bench_nodes_vs_markers(pos, sizes, acts, canvas=canvas, rounds=1, frames=2)
    assert set(r) == {"frame_ms", "markers_frame_ms", "empty_frame_ms"}
    h = B.bench_hover(pos, sizes, acts, canvas=canvas, rounds=1, frames=2)
    assert {"edges", "hover_frame_ms", "frame_ms", "hover_edges_ms"} <= set(h) and h["edges"] > 0
    B.bench_pick(pos, sizes, canvas=canvas, repeat=10)
    assert list(canvas.central_widget.children) == [], "benchmarks must leave the canvas empty"


def test_model_switch_and_new_colour_table(canvas, view):
    nodes = make_nodes(view, grid(4, 4.0), 1.2, np.zeros(16, np.float32))
    canvas.render()
    pos = np.array([[-5, 0, 0], [5, 0, 0]], np.float32)
    nodes.set_data(pos, np.array([2.0, 2.0], np.float32), np.array([0.0, 1.0], np.float32))
    img = canvas.render(alpha=False).astype(int)
    mask = lit(img)
    xy = np.round(centres(canvas, nodes, [0, 1])).astype(int)
    assert all(mask[y, x] for x, y in xy)
    assert mask.sum() < 0.5 * (np.pi * (xy[1, 0] - xy[0, 0]) ** 2), "old nodes still drawn"
    green = np.tile(np.array([[0.0, 1.0, 0.0]], np.float32), (64, 1))  # other length, RGB only
    nodes.set_lut(green)
    img2 = canvas.render(alpha=False).astype(int)
    g = img2[xy[0, 1], xy[0, 0]]
    assert g[1] > g[0] + 60 and g[1] > g[2] + 60
    with pytest.raises(ValueError):
        nodes.set_activations(np.zeros(3, np.float32))
