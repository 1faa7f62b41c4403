"""The 3D view in the real window: first view, orbit, fly-to, picking, labels, hint."""

import numpy as np
import pytest
from PyQt5.QtCore import QPoint, Qt

from windowhelp import _node_on_screen, background, click, digit, frame, hover, send_mouse, settings, window  # noqa: F401

pytestmark = pytest.mark.gl


def test_double_click_flies_to_a_layer_from_outside_and_r_resets(window, qtbot):
    from vis3d.gl import camera as camlib
    from vis3d.gl.view import DEFAULT_AZIMUTH
    cam = window.view.view.camera
    start = np.array(cam.center)
    lo, hi = window.session.layout.bounds()
    for name in ("fc1", "output", "conv1"):
        node, pos = _node_on_screen(window, name)
        send_mouse(window.canvas.native, "double", pos, Qt.LeftButton, Qt.LeftButton)
        send_mouse(window.canvas.native, "release", pos, Qt.LeftButton, Qt.NoButton)
        slab = window.session.layout.slab(name)
        qtbot.waitUntil(lambda: not window.view.flying, timeout=3000)
        eye = camlib.eye(window.view.nodes)
        assert np.any(eye < lo) or np.any(eye > hi), f"{name}: the camera is inside the net"
        # The layer fills a good part of the view and is wholly in it.
        p = window.view.project(np.arange(slab.offset, slab.offset + slab.count))
        w, h = window.canvas.size
        assert p[:, 0].min() >= 0 and p[:, 0].max() <= w and p[:, 1].min() >= 0 and p[:, 1].max() <= h
        span = p.max(0) - p.min(0)
        assert max(span[0] / w, span[1] / h) > 0.3, name
    window.activateWindow()
    window.canvas.native.setFocus()
    qtbot.keyClick(window.canvas.native, Qt.Key_R)
    qtbot.waitUntil(lambda: np.allclose(cam.center, start, atol=1.0), timeout=2000)
    assert cam.azimuth == pytest.approx(DEFAULT_AZIMUTH)


def test_first_view_fills_the_scene_and_orbit_keeps_it_framed(window, qtbot):
    w, h = window.canvas.size
    p = window.view.project(window.view._frame_nodes)
    span = p.max(0) - p.min(0)
    assert max(span[0] / w, span[1] / h) > 0.8 and min(span[0] / w, span[1] / h) > 0.5
    cam = window.view.view.camera
    az = cam.azimuth
    window.actions["orbit"].trigger()
    for _ in range(6):
        qtbot.wait(250)
        p = window.view.project(window.view._frame_nodes)
        assert p[:, 0].min() > -0.02 * w and p[:, 0].max() < 1.02 * w
        assert p[:, 1].min() > -0.02 * h and p[:, 1].max() < 1.02 * h
    assert abs(cam.azimuth - az) > 1.0
    window.actions["orbit"].trigger()
    assert not window.view.auto_orbit


def test_orbit_drag_turns_a_sane_amount(window, qtbot):
    cam = window.view.view.camera
    az = cam.azimuth
    native = window.canvas.native
    send_mouse(native, "press", QPoint(300, 300), Qt.LeftButton, Qt.LeftButton)
    for k in range(1, 11):
        send_mouse(native, "move", QPoint(300 + 20 * k, 300), Qt.NoButton, Qt.LeftButton)
        qtbot.wait(10)
    send_mouse(native, "release", QPoint(500, 300), Qt.LeftButton, Qt.NoButton)
    turned = abs(cam.azimuth - az)
    assert 40 <= turned <= 80   # 200 px: about 60 degrees (VisPy's default turns 100)


def test_small_nodes_are_picked_within_eight_pixels(window):
    L = window.session.layout
    conv1 = L.slab("conv1")
    node, pos = _node_on_screen(window, "conv1", k=200)
    r = float(window.view.picker.radius_px(window.view.nodes, [node], window.canvas.size)[0])
    assert r < 6   # a small target on screen
    x, y = window.view.project([node])[0, :2]
    got = window.view.pick(x + 6.5, y)
    assert got >= 0 and int(L.slab_of[got]) in (conv1.index, conv1.index + 1, conv1.index - 1)


def test_labels_never_overlap(window, qtbot):
    from vis3d.gl.labels import declutter
    view = window.view
    for az, el in ((-65, 22), (-90, 0), (0, 10), (30, 60), (-150, -20)):
        view.set_view(az, el)
        declutter([view.digits, view.labels], view.nodes, window.canvas.size,
                  alternates={1: view.label_places})
        groups = (view.digits, view.labels, *view.label_places)
        boxes = [g.boxes(view.nodes, window.canvas.size)[list(g.shown)] for g in groups]
        b = np.concatenate([x for x in boxes if len(x)])
        for i in range(len(b)):
            for j in range(i + 1, len(b)):
                overlap = b[i, 0] < b[j, 2] and b[j, 0] < b[i, 2] and b[i, 1] < b[j, 3] and b[j, 1] < b[i, 3]
                assert not overlap, (az, el, i, j)
        # A layer is named once at most, and at the first view every layer is named.
        places = [set(g.shown) for g in (view.labels, *view.label_places)]
        assert sum(len(p) for p in places) == len(set().union(*places))
    view.reset_camera()
    view.render()
    named = set().union(*(set(g.shown) for g in (view.labels, *view.label_places)))
    n = len(window.session.layout.slabs)
    assert len(named) >= n - 1 and {0, n - 1} <= named, named   # crowded FC layers may share


def _overlaps(view, size) -> int:
    groups = (view.digits, view.labels, *view.label_places)
    b = np.concatenate([x for x in (g.boxes(view.nodes, size)[list(g.shown)] for g in groups) if len(x)])
    return sum(b[i, 0] < b[j, 2] and b[j, 0] < b[i, 2] and b[i, 1] < b[j, 3] and b[j, 1] < b[i, 3]
               for i in range(len(b)) for j in range(i + 1, len(b)))


def test_labels_are_laid_out_every_tenth_second_while_orbiting_and_when_it_stops(window, qtbot, monkeypatch):
    from vis3d.gl import view as viewmod
    calls = []
    real = viewmod.declutter
    monkeypatch.setattr(viewmod, "declutter", lambda *a, **k: (calls.append(1), real(*a, **k)))
    view, clock = window.view, window.clock
    qtbot.wait(200)
    clock.reset()
    view.set_auto_orbit(True)
    qtbot.wait(1200)
    view.set_auto_orbit(False)
    frames, laid = len(clock.draws), len(calls)
    stale = view._label_key != view._frame_key
    assert frames >= 10 and laid <= 1.2 / viewmod.LABELS_EVERY_S + 2 and laid < frames
    # Once it stops: one more frame lays the labels out for the camera where it stopped
    # (unless the last orbit frame happened to be laid out already).
    qtbot.waitUntil(lambda: view._label_key == view._frame_key, timeout=1000)
    qtbot.wait(200)
    assert len(calls) >= laid + stale
    assert _overlaps(view, window.canvas.size) == 0
    clock.reset()
    qtbot.wait(400)
    assert len(clock.draws) == 0                     # and then nothing more is drawn
    # A single camera change (the wheel, a key) is laid out in its own frame.
    n = len(calls)
    view.set_view(azimuth=10.0, elevation=40.0)
    qtbot.waitUntil(lambda: len(calls) > n, timeout=1000)
    assert view._label_key == view._frame_key


def test_framing_corners_bound_every_node(window):
    """The orbit frames a few box corners: every node projects inside their extremes."""
    view = window.view
    corners = view._frame_points()
    assert len(corners) <= 8 * len(window.session.layout.slabs)
    for az, el in ((-65, 22), (0, 10), (120, -40)):
        view.set_view(az, el)
        p = view.project(np.arange(window.session.layout.count))
        from vis3d.gl.camera import project
        c = project(view.nodes, corners)
        assert np.all(p[:, :2].min(0) >= c.min(0) - 0.5) and np.all(p[:, :2].max(0) <= c.max(0) + 0.5)


def test_controls_hint_hides_on_use_and_h_toggles_it(window, settings, qtbot):
    assert window.view.hint.visible
    send_mouse(window.canvas.native, "press", QPoint(5, 5), Qt.LeftButton, Qt.LeftButton)
    send_mouse(window.canvas.native, "release", QPoint(5, 5), Qt.LeftButton, Qt.NoButton)
    assert not window.view.hint.visible
    assert settings.value("hint_dismissed", "0") != "1"   # a click hides it for now only
    window.activateWindow()
    window.canvas.native.setFocus()
    qtbot.keyClick(window.canvas.native, Qt.Key_H)        # H: hidden and remembered
    assert not window.view.hint.visible and settings.value("hint_dismissed") == "1"
    qtbot.keyClick(window.canvas.native, Qt.Key_H)        # H again brings it back
    assert window.view.hint.visible and settings.value("hint_dismissed") == "0"
    assert window.actions["hint"].isChecked()


def test_shift_drag_pans_the_view(window, qtbot):
    cam = window.view.view.camera
    start = np.array(cam.center)
    before = window.view.project([0])[0, :2]
    native = window.canvas.native
    p0, p1 = QPoint(300, 300), QPoint(500, 300)
    from PyQt5.QtCore import QEvent, QPointF
    from PyQt5.QtGui import QMouseEvent
    from PyQt5.QtWidgets import QApplication

    def send(kind, pos, button, buttons):
        QApplication.sendEvent(native, QMouseEvent(kind, QPointF(pos), button, buttons,
                                                   Qt.ShiftModifier))

    send(QEvent.MouseButtonPress, p0, Qt.LeftButton, Qt.LeftButton)
    for k in range(1, 11):   # a real drag: the moves carry the held button
        send(QEvent.MouseMove, QPoint(300 + 20 * k, 300), Qt.NoButton, Qt.LeftButton)
        qtbot.wait(10)
    send(QEvent.MouseButtonRelease, p1, Qt.LeftButton, Qt.NoButton)
    # The scene follows the pointer: a node's image moves by about the drag.
    assert np.linalg.norm(np.array(cam.center) - start) > 1.0
    moved = window.view.project([0])[0, :2] - before
    assert 120 < moved[0] < 300 and abs(moved[1]) < 60


def test_tooltip_lists_one_input_per_line():
    from vis3d.ui.scene_mouse import tooltip_text
    text = tooltip_text("fc1 unit 3  act=0.5  | 4608 inputs, top: pool ch 1 (2,3) +0.40, pool ch 7 (1,1) -0.30")
    lines = text.split("\n")
    assert lines[0] == "fc1 unit 3  act=0.5" and len(lines) == 4
    assert max(len(x) for x in lines) < 40


def test_hover_follows_the_scene_after_an_orbit_drag(window, qtbot):
    """The drag turned the scene under a still pointer: the hovered node is picked again."""
    node, pos = _node_on_screen(window, "conv2", k=200)
    hover(window, pos)
    assert window.session.hovered == node
    native = window.canvas.native
    send_mouse(native, "press", pos, Qt.LeftButton, Qt.LeftButton)
    for k in range(1, 9):
        send_mouse(native, "move", QPoint(pos.x() + 25 * k, pos.y()), Qt.NoButton, Qt.LeftButton)
        qtbot.wait(10)
    end = QPoint(pos.x() + 200, pos.y())
    send_mouse(native, "release", end, Qt.LeftButton, Qt.NoButton)
    assert window.session.hovered == window.view.pick(end.x(), end.y())
    assert window.session.hovered != node
