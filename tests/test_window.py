"""The real window under Xvfb, driven through pytest-qt: models, input, hover, pin, defects."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from PyQt5.QtCore import QPoint, Qt

from windowhelp import _node_on_screen, background, click, digit, frame, hover, send_mouse, settings, window  # noqa: F401

pytestmark = pytest.mark.gl


def test_opens_with_default_model_and_shows_nodes_where_the_layout_puts_them(window):
    st = window.session
    assert st.name == "mnist_cnn" and st.layout.count == 34778
    assert "34,778 nodes" in window.lbl_nodes.text()
    img = frame(window)
    h, w = img.shape[:2]
    bg = background(window)
    # Nodes of every slab show up at their projected pixels.
    for s in st.layout.slabs:
        pts = window.view.project(np.arange(s.offset, s.offset + s.count, max(1, s.count // 25)))
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
    window.session.set_input(digit(mnist_test, 0).image)
    a = frame(window)
    window.session.set_input(digit(mnist_test, 1).image)
    b = frame(window)
    changed = np.abs(a - b).sum(-1) > 20
    assert changed.mean() > 0.01
    assert window.prediction.digit == mnist_test.labels[1]


def test_hover_shows_edges_then_they_vanish(window, qtbot, mnist_test):
    window.session.set_input(digit(mnist_test, 0).image)
    node, pos = _node_on_screen(window, "fc1")
    before = frame(window)
    hover(window, pos)
    qtbot.waitUntil(lambda: window.session.edge_node == node, timeout=2000)
    with_edges = frame(window)
    assert "fc1 unit" in window.lbl_hover.text() and "4608 inputs" in window.lbl_hover.text()
    assert (np.abs(with_edges - before).sum(-1) > 30).mean() > 0.002
    hover(window, QPoint(3, 3))
    qtbot.waitUntil(lambda: window.session.edge_node is None, timeout=2000)
    after = frame(window)
    assert np.abs(after - before).sum(-1).mean() < 1.0


def test_click_pins_and_shows_details(window, qtbot, mnist_test):
    window.session.set_input(digit(mnist_test, 0).image)
    node, pos = _node_on_screen(window, "conv2", k=300)
    hover(window, pos)
    click(window, pos)
    qtbot.waitUntil(lambda: window.session.pinned == node, timeout=2000)
    assert window.session.edge_node == node
    assert "conv2 ch" in window.details.title.text()
    assert window.details.weights.image is not None and window.details.field.box is not None
    # Moving elsewhere keeps the pinned node's edges.
    hover(window, QPoint(3, 3))
    qtbot.wait(50)
    assert window.session.edge_node == node
    click(window, QPoint(3, 3))
    qtbot.waitUntil(lambda: window.session.pinned is None, timeout=2000)


def test_drawing_on_the_pad_drives_the_network(window, qtbot):
    pad = window.inputs.pad
    v0 = window.session.version
    w, h = pad.width(), pad.height()
    qtbot.mousePress(pad, Qt.LeftButton, pos=QPoint(w // 2, h // 5))
    for k in range(1, 11):
        qtbot.mouseMove(pad, QPoint(w // 2, h // 5 + k * (3 * h // 5) // 10))
        qtbot.wait(5)
    qtbot.mouseRelease(pad, Qt.LeftButton, pos=QPoint(w // 2, 4 * h // 5))
    qtbot.waitUntil(lambda: window.session.version > v0 and window.session.has_digit, timeout=3000)
    assert window.prediction.digit == 1


def test_model_switch_bad_weights_and_normalisation(window, tmp_path, mnist_test):
    window.session.set_input(digit(mnist_test, 0).image)
    assert window.set_model("lenet5")
    assert window.session.layout.count == 8878
    assert len(window.actions["layers_menu"].actions()) == len(window.session.layout.slabs)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not weights at all")
    assert not window.set_model(str(bad))
    assert window.session.name == "lenet5"
    assert "bad.safetensors" in window.notice.label.text() and window.notice.isVisible()
    assert window.colorbar.left == "layer min"
    window.actions["norm_box"].setCurrentIndex(1)
    assert window.session.normalise == "global"
    assert float(window.colorbar.right) > float(window.colorbar.left) >= 0.0


def test_model_switch_updates_the_prediction_panel(window, mnist_test):
    """Defect: switching the model left the panel showing the old model's numbers."""
    from vis3d.model import weights
    from vis3d.model.probe import Probe
    x = digit(mnist_test, 8).image
    window.session.set_input(x)
    before = window.prediction.probs.copy()
    assert window.set_model("lenet5")
    want = Probe(weights.load("lenet5").model).run(x).probs
    assert np.allclose(window.prediction.probs, want, atol=1e-6)
    assert not np.allclose(window.prediction.probs, before, atol=1e-4)


def test_screenshot_and_hidden_layers(window, tmp_path):
    path = window.save_screenshot(tmp_path / "shot.png")
    img = cv2.imread(str(path))
    assert img is not None and img.shape[0] > 100
    before = frame(window)
    window.actions["layers_menu"].actions()[2].setChecked(False)   # hide conv2
    assert (np.abs(frame(window) - before).sum(-1) > 30).mean() > 0.02


def test_hidden_layer_does_not_block_picking(window):
    """Defect: the invisible nodes of a hidden layer still caught the pointer."""
    L = window.session.layout
    conv2 = L.slab("conv2")
    # A pixel where a conv2 node is the front-most thing, with something behind it.
    hit = None
    for node in range(conv2.offset, conv2.offset + conv2.count, 97):
        x, y = window.view.project([node])[0, :2]
        if window.view.pick(x, y) == node:
            window.session.set_layer_visible(conv2.index, False)
            behind = window.view.pick(x, y)
            window.session.set_layer_visible(conv2.index, True)
            if behind >= 0:
                hit = (node, behind)
                break
    assert hit is not None, "no conv2 node with another node behind it"
    assert int(L.slab_of[hit[1]]) != conv2.index


def test_layers_button_opens_its_menu_from_the_whole_button(window):
    from PyQt5.QtWidgets import QToolButton
    button = window.actions["layers_button"]
    assert button.popupMode() == QToolButton.InstantPopup and button.menu() is not None


def test_no_work_when_the_input_does_not_change(window, mnist_test):
    """Same input again: no probe run, no result event, nothing redrawn."""
    s = window.session
    s.set_input(digit(mnist_test, 0).image)
    runs, results = s.probe_runs, s.events.result.emitted
    assert not s.set_input(digit(mnist_test, 0).image)
    assert not s.set_input(digit(mnist_test, 0).image)
    assert (s.probe_runs, s.events.result.emitted) == (runs, results)
    s.set_input(None, reason="no digit")
    runs = s.probe_runs
    for _ in range(5):
        s.set_input(None, reason="no digit")
    assert s.probe_runs == runs


def test_pinned_node_under_new_input_uploads_only_edge_colours(window, mnist_test):
    s = window.session
    s.set_input(digit(mnist_test, 0).image)
    fc1 = s.layout.slab("fc1")
    calls = {"n": 0}
    real = s.edge_builder.incoming

    def counting(*a, **k):
        calls["n"] += 1
        return real(*a, **k)

    s.edge_builder.incoming = counting
    s.pinned = fc1.offset + 3
    assert calls["n"] == 1
    ups = dict(window.view.edges.uploads)
    weights_img = window.details.weights.image
    s.set_input(digit(mnist_test, 1).image)
    assert calls["n"] == 2   # once per input change, not twice
    assert window.view.edges.uploads["geometry"] == ups["geometry"]
    assert window.view.edges.uploads["colors"] == ups["colors"] + 1
    assert window.details.weights.image is weights_img   # the weight image is not redrawn


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
    assert again.session.normalise == "global" and again.session.name == "lenet5"
    # A window saved larger than the screen and partly off it comes back whole, on screen.
    from PyQt5.QtWidgets import QApplication
    avail = QApplication.primaryScreen().availableGeometry()
    again.setGeometry(avail.right() - 300, avail.bottom() - 200, avail.width() + 500, avail.height() + 400)
    again.close()
    third = MainWindow(settings=settings)
    qtbot.addWidget(third)
    assert avail.contains(third.frameGeometry())


def test_a_layout_saved_by_an_older_version_does_not_grow_the_window_off_screen(qtbot, tmp_path):
    """A settings file written by a version before the docks were tabbed down the right
    edge (its docks stacked: 2248 px of minimum height) opens at a size that fits."""
    import shutil

    from PyQt5.QtCore import QSettings
    from PyQt5.QtWidgets import QApplication
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    path = tmp_path / "vis3d.conf"
    shutil.copy(Path(__file__).parent / "fixtures" / "old_layout.conf", path)
    win = MainWindow(settings=QSettings(str(path), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(100)
    avail = QApplication.primaryScreen().availableGeometry()
    assert avail.contains(win.frameGeometry()), (win.frameGeometry(), avail)
    win.close()


def test_input_photo_is_read_as_a_photo_and_kept_after_the_first_tick(window, qtbot, tmp_path):
    """Defect: vis3d --input photo.jpg showed nothing: the first tick overwrote it."""
    from vis3d.paths import assets_dir
    assert window.show_image_file(str(assets_dir() / "samples" / "camera_sheet_7.jpg"))
    qtbot.wait(200)   # several ticks
    assert window.session.has_digit and window.prediction.digit == 7
    assert window.show_image_file(str(assets_dir() / "samples" / "pad_3.png"))
    assert not window.inputs.pad.is_empty()
    qtbot.wait(100)
    assert window.prediction.digit == 3
    bad = tmp_path / "text.pt"
    bad.write_text("hello world")
    assert not window.set_model(str(bad))
    assert window.session.name == "mnist_cnn" and "text.pt" in window.notice.label.text()


def test_sparkline_shows_the_pinned_value_at_once(window, mnist_test):
    """Defect: the history said 'no history yet' while a node was pinned."""
    s = window.session
    s.set_input(digit(mnist_test, 0).image)
    s.pinned = s.layout.slab("fc1").offset
    v = window.details.history.v
    assert len(v) >= 1 and v[-1] == pytest.approx(float(s.normaliser.raw[s.pinned]))


def test_a_slow_model_runs_in_the_worker_and_the_window_applies_it(window, qtbot):
    """A forward slower than SLOW_MS: the tick only submits; a later tick applies."""
    s = window.session
    s.run_ms = 1e3     # as a big model's last forward
    pad = window.inputs.pad
    w, h = pad.width(), pad.height()
    v0 = s.version
    qtbot.mousePress(pad, Qt.LeftButton, pos=QPoint(w // 2, h // 5))
    for k in range(1, 11):
        qtbot.mouseMove(pad, QPoint(w // 2, h // 5 + k * (3 * h // 5) // 10))
    qtbot.mouseRelease(pad, Qt.LeftButton, pos=QPoint(w // 2, 4 * h // 5))
    qtbot.waitUntil(lambda: s.version > v0 and s.has_digit and not window.runner.busy, timeout=5000)
    assert len(window.runner.ran) >= 1 and s.run_ms == 1e3   # every run was in the worker
    assert window.prediction.digit == 1
