"""The real window under Xvfb, driven through pytest-qt."""

import cv2
import numpy as np
import pytest
from PyQt5.QtCore import QPoint, QSettings, Qt

pytestmark = pytest.mark.gl


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "vis3d.ini"), QSettings.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(100)
    yield win
    win.close()


def digit(mnist_test, i):
    from vis3d.inputs.preprocess import prepare_raw
    return prepare_raw(mnist_test.images[i])


def frame(win):
    return win.canvas.render(alpha=False)[..., :3].astype(np.int32)


def background(win):
    return np.array([int(win.canvas.bgcolor.rgb[k] * 255 + 0.5) for k in range(3)])


def test_opens_with_default_model_and_shows_nodes_where_the_layout_puts_them(window):
    st = window.state
    assert st.name == "mnist_cnn" and st.layout.count == 34778
    assert "34,778 nodes" in window.lbl_nodes.text()
    img = frame(window)
    h, w = img.shape[:2]
    bg = background(window)
    # Nodes of every slab show up at their projected pixels.
    for s in st.layout.slabs:
        pts = window.scene.project(np.arange(s.offset, s.offset + s.count, max(1, s.count // 25)))
        scale = h / window.canvas.size[1]
        hits = 0
        for x, y in pts[:, :2] * scale:
            if 0 <= x < w and 0 <= y < h:
                patch = img[max(0, int(y) - 1):int(y) + 2, max(0, int(x) - 1):int(x) + 2]
                hits += np.abs(patch - bg).sum(-1).max() > 30
        assert hits >= 0.6 * len(pts), s.name
    # And the corners are background.
    for y, x in ((2, 2), (2, w - 3), (h - 3, 2)):
        assert np.abs(img[y, x] - bg).sum() < 12


def test_two_inputs_give_different_node_colours(window, mnist_test):
    window.apply_input(digit(mnist_test, 0))
    a = frame(window)
    window.apply_input(digit(mnist_test, 1))
    b = frame(window)
    changed = np.abs(a - b).sum(-1) > 20
    assert changed.mean() > 0.01
    assert window.prediction.digit == mnist_test.labels[1]


def _node_on_screen(window, slab_name, k=0):
    """A node of the slab that is the front-most thing at its own projected pixel."""
    s = window.state.layout.slab(slab_name)
    for node in range(s.offset + k, s.offset + s.count):
        x, y = np.round(window.scene.project([node])[0, :2])
        if window.scene.pick(x, y) == node:
            return node, QPoint(int(x), int(y))
    raise AssertionError(f"no visible node in {slab_name}")


def test_hover_shows_edges_then_they_vanish(window, qtbot, mnist_test):
    window.apply_input(digit(mnist_test, 0))
    node, pos = _node_on_screen(window, "fc1")
    before = frame(window)
    qtbot.mouseMove(window.canvas.native, pos)
    qtbot.waitUntil(lambda: window.scene.edge_node == node, timeout=2000)
    with_edges = frame(window)
    assert "fc1 unit" in window.lbl_hover.text() and "4608 inputs" in window.lbl_hover.text()
    assert (np.abs(with_edges - before).sum(-1) > 30).mean() > 0.002
    qtbot.mouseMove(window.canvas.native, QPoint(3, 3))
    qtbot.waitUntil(lambda: window.scene.edge_node is None, timeout=2000)
    after = frame(window)
    assert np.abs(after - before).sum(-1).mean() < 1.0


def test_click_pins_and_shows_details(window, qtbot, mnist_test):
    window.apply_input(digit(mnist_test, 0))
    node, pos = _node_on_screen(window, "conv2", k=300)
    qtbot.mouseMove(window.canvas.native, pos)
    qtbot.mouseClick(window.canvas.native, Qt.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: window.state.pinned == node, timeout=2000)
    assert window.scene.edge_node == node
    assert "conv2 ch" in window.details.title.text()
    assert window.details.weights.image is not None and window.details.field.box is not None
    # Moving elsewhere keeps the pinned node's edges.
    qtbot.mouseMove(window.canvas.native, QPoint(3, 3))
    qtbot.wait(50)
    assert window.scene.edge_node == node
    qtbot.mouseClick(window.canvas.native, Qt.LeftButton, pos=QPoint(3, 3))
    qtbot.waitUntil(lambda: window.state.pinned is None, timeout=2000)


def test_drawing_on_the_pad_drives_the_network(window, qtbot):
    pad = window.inputs.pad
    v0 = window.state.version
    w, h = pad.width(), pad.height()
    qtbot.mousePress(pad, Qt.LeftButton, pos=QPoint(w // 2, h // 5))
    for k in range(1, 11):
        qtbot.mouseMove(pad, QPoint(w // 2, h // 5 + k * (3 * h // 5) // 10))
        qtbot.wait(5)
    qtbot.mouseRelease(pad, Qt.LeftButton, pos=QPoint(w // 2, 4 * h // 5))
    qtbot.waitUntil(lambda: window.state.version > v0 and window.state.has_digit, timeout=3000)
    assert window.prediction.digit == 1


def test_model_switch_bad_weights_and_normalisation(window, tmp_path):
    assert window.set_model("lenet5")
    assert window.state.layout.count == 8878
    assert len(window.layers_menu.actions()) == len(window.state.layout.slabs)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not weights at all")
    assert not window.set_model(str(bad))
    assert window.state.name == "lenet5"
    assert "bad.safetensors" in window.statusBar().currentMessage()
    assert window.colorbar.left == "layer min"
    window.norm_box.setCurrentIndex(1)
    assert window.state.mode == "global"
    assert float(window.colorbar.right) > float(window.colorbar.left) >= 0.0


def test_screenshot_and_hidden_layers(window, tmp_path):
    path = window.save_screenshot(tmp_path / "shot.png")
    img = cv2.imread(str(path))
    assert img is not None and img.shape[0] > 100
    before = frame(window)
    window.layers_menu.actions()[2].setChecked(False)   # hide conv2
    assert (np.abs(frame(window) - before).sum(-1) > 30).mean() > 0.02


def test_settings_are_remembered(qtbot, settings):
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.set_normalise("global")
    win.set_model("lenet5")
    win.close()
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    assert again.state.mode == "global" and again.state.name == "lenet5"
    again.close()


def test_resize_minimise_close_while_camera_streams(qtbot, settings, tmp_path):
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    path = tmp_path / "clip.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    for k in range(30):
        img = np.full((240, 320, 3), 235, np.uint8)
        cv2.putText(img, str(k % 10), (130, 170), cv2.FONT_HERSHEY_SIMPLEX, 4, (20, 20, 20), 12)
        wr.write(img)
    wr.release()
    win = MainWindow(settings=settings, camera=str(path))
    qtbot.addWidget(win)
    win.show()
    assert win.inputs.source == "camera"
    v0 = win.state.version
    qtbot.waitUntil(lambda: win.state.version > v0 + 3, timeout=5000)
    for size in ((900, 600), (1400, 900), (640, 480)):
        win.resize(*size)
        qtbot.wait(50)
    win.showMinimized()
    qtbot.wait(100)
    win.showNormal()
    cam = win.inputs.camera
    win.close()
    assert cam.state == "stopped"


def test_missing_camera_falls_back_to_pad(qtbot, settings):
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=settings, camera="7")
    qtbot.addWidget(win)
    assert win.inputs.source == "pad"
    assert "7" in win.statusBar().currentMessage()
    win.close()


def test_double_click_flies_to_a_layer_and_r_resets(window, qtbot):
    node, pos = _node_on_screen(window, "conv1", k=100)
    cam = window.scene.view.camera
    start = np.array(cam.center)
    qtbot.mouseDClick(window.canvas.native, Qt.LeftButton, pos=pos)
    slab = window.state.layout.slab("conv1")
    qtbot.waitUntil(lambda: abs(cam.center[0] - slab.x) < 1.0, timeout=3000)
    assert np.linalg.norm(np.array(cam.center) - start) > 10
    window.activateWindow()
    window.canvas.native.setFocus()
    qtbot.keyClick(window.canvas.native, Qt.Key_R)
    qtbot.waitUntil(lambda: np.allclose(cam.center, start, atol=1.0), timeout=2000)
    assert cam.azimuth == pytest.approx(-42.0)


def test_auto_orbit_turns_the_camera(window, qtbot):
    cam = window.scene.view.camera
    az = cam.azimuth
    window.act_orbit.trigger()
    qtbot.waitUntil(lambda: abs(cam.azimuth - az) > 1.0, timeout=3000)
    window.act_orbit.trigger()
    assert not window.scene.auto_orbit


def test_shift_drag_pans_the_view(window, qtbot):
    cam = window.scene.view.camera
    start = np.array(cam.center)
    before = window.scene.project([0])[0, :2]
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
    moved = window.scene.project([0])[0, :2] - before
    assert 120 < moved[0] < 300 and abs(moved[1]) < 60


def test_input_photo_is_read_as_a_photo_and_bad_pt_keeps_the_window(window, tmp_path):
    from vis3d.inputs.files import read_image
    from vis3d.paths import assets_dir
    photo = window.inputs.load_image(read_image(assets_dir() / "samples" / "camera_sheet_7.jpg"))
    assert photo is not None and photo.source == "camera" and photo.found
    window.apply_input(photo)
    assert window.prediction.digit == 7
    assert window.inputs.load_image(read_image(assets_dir() / "samples" / "pad_3.png")) is None
    assert not window.inputs.pad.is_empty()
    bad = tmp_path / "text.pt"
    bad.write_text("hello world")
    assert not window.set_model(str(bad))
    assert window.state.name == "mnist_cnn" and "text.pt" in window.statusBar().currentMessage()
