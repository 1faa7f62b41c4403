"""The insight docks in the real window: gallery and projection clicks set the input,
ablation through Alt+click and the context menu, colour modes on screen, the confusion
matrix filtering the gallery."""

import numpy as np
import pytest
import torch
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication

from windowhelp import _node_on_screen, frame, settings, window  # noqa: F401

pytestmark = pytest.mark.gl


@pytest.fixture(autouse=True)
def _shipped(monkeypatch, tmp_path):
    monkeypatch.delenv("VIS3D_MNIST", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _click(widget, pos, modifiers=Qt.NoModifier, button=Qt.LeftButton):
    for kind, buttons in ((QEvent.MouseButtonPress, button), (QEvent.MouseButtonRelease, Qt.NoButton)):
        QApplication.sendEvent(widget, QMouseEvent(kind, QPointF(pos), button, buttons, modifiers))


def _wait_jobs(qtbot, ins):
    qtbot.waitUntil(lambda: not ins.jobs.busy(), timeout=60000)
    qtbot.wait(50)


def test_gallery_click_sets_the_input_and_confusion_cell_filters(window, qtbot):
    ins = window.insight
    ins.docks["gallery"].raise_()
    qtbot.waitUntil(lambda: ins.gallery.list.count() > 0, timeout=60000)
    g = ins.gallery
    ts, st = g.testset, g.stats
    # Per label: the average first, then the misclassified, then the correct ones.
    first = [g.list.item(i).data(Qt.UserRole) for i in range(g.list.count())]
    assert first[0] == -1
    zeros = [v for v in first[1:] if v >= 0 and ts.labels[v] == 0]
    wrong = [v for v in zeros if st.preds[v] != 0]
    assert wrong and zeros[:len(wrong)] == wrong
    item = g.list.item(3)
    index = int(item.data(Qt.UserRole))
    rect = g.list.visualItemRect(item)
    window.inputs.pad.set_image(np.eye(28, dtype=np.float32))   # an old drawing on the pad
    qtbot.wait(100)
    _click(g.list.viewport(), rect.center())
    qtbot.waitUntil(lambda: window.session.image is not None and
                    np.array_equal(window.session.image, ts.image(index)), timeout=3000)
    assert window.session.source == "image"
    # The pad shows that picture to draw over (the old drawing is gone), while the network
    # keeps the exact test image through the next ticks.
    import cv2
    pad = cv2.resize(window.inputs.pad.image(), (28, 28), interpolation=cv2.INTER_AREA)
    assert np.corrcoef(pad.ravel(), ts.image(index).ravel())[0, 1] > 0.9
    qtbot.wait(150)
    assert np.array_equal(window.session.image, ts.image(index))
    # The model page's confusion matrix: a click on a cell shows those images.
    ins.docks["model"].raise_()
    grid = ins.page.confusion
    qtbot.waitUntil(lambda: grid.matrix is not None, timeout=30000)
    assert grid.matrix.sum() == len(ts)
    t, p = np.unravel_index(np.argmax(grid.matrix - np.diag(np.diag(grid.matrix))), grid.matrix.shape)
    _click(grid, grid.cell_centre(int(t), int(p)).toPoint())
    shown = g.shown_indices()
    assert len(shown) == grid.matrix[t, p]
    assert all(st.labels[i] == t and st.preds[i] == p for i in shown)


def test_projection_point_click_sets_the_input(window, qtbot):
    ins = window.insight
    ins.docks["projection"].raise_()
    panel = ins.projection
    qtbot.waitUntil(lambda: panel.data is not None, timeout=60000)
    qtbot.wait(100)
    xy = panel.view.screen_positions()
    # A point with no other point near it (the click must pick it and only it).
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    w, h = panel.canvas.size
    inside = (xy[:, 0] > 10) & (xy[:, 0] < w - 10) & (xy[:, 1] > 50) & (xy[:, 1] < h - 10)
    i = int(np.argmax(np.where(inside, d.min(1), -1)))
    _click(panel.canvas.native, QPoint(int(round(xy[i, 0])), int(round(xy[i, 1]))))
    ts = ins.jobs.testset()
    qtbot.waitUntil(lambda: window.session.image is not None and
                    np.array_equal(window.session.image, ts.image(i)), timeout=3000)
    # The current input is the highlighted point, where the projection puts that image.
    assert panel.view.current.visible
    assert np.allclose(panel.current_coord(), panel.data["coords"][i], atol=1e-3)


def test_silencing_a_channel_through_the_window_is_a_zeroing_hook(window, qtbot, mnist_test):
    s = window.session
    x = mnist_test.images[0].astype(np.float32) / 255
    s.set_input(x, source="image")
    node, pos = _node_on_screen(window, "conv1", 5)
    slab, local = s.layout.locate(node)
    c = local // (slab.count // slab.shape[0])
    # Alt+click silences one node and marks it.
    _click(window.canvas.native, pos, Qt.AltModifier)
    assert s.silenced == {node} and window.view.marks.visible
    _click(window.canvas.native, pos, Qt.AltModifier)
    assert s.silenced == frozenset() and not window.view.marks.visible
    # The context menu's "Silence channel".
    window.insight._context_menu(node, window.canvas.native.mapToGlobal(pos))
    act = next(a for a in window.insight.menu.actions() if a.text() == "Silence channel")
    act.trigger()
    window.insight.menu.close()
    assert len(s.silenced) == slab.count // slab.shape[0]
    assert window.insight.restore_act.isEnabled()
    model = s.loaded.model

    def zero(_m, _i, out):
        out = out.clone()
        out[:, c] = 0
        return out
    h = model.relu1.register_forward_hook(zero)
    try:
        with torch.no_grad():
            want = model(torch.from_numpy(x)[None, None]).numpy()[0]
    finally:
        h.remove()
    assert np.array_equal(s.prediction.probs, want)
    assert np.array_equal(s.acts["relu1"].values[c], np.zeros_like(s.acts["relu1"].values[c]))
    window.insight.restore_act.trigger()
    assert s.silenced == frozenset() and not np.array_equal(s.prediction.probs, want)


def test_each_colour_mode_renders_differently(window, qtbot, mnist_test):
    s, ins = window.session, window.insight
    s.set_input(mnist_test.images[0].astype(np.float32) / 255, source="image")
    frames = {}
    for mode in ("activation", "average:3", "difference", "contribution"):
        ins.set_mode(mode)
        qtbot.waitUntil(lambda m=mode: s.colour_mode == m, timeout=60000)
        assert ins.mode_box.currentData() == mode
        qtbot.wait(50)
        frames[mode] = frame(window)
    modes = list(frames)
    bg = window.canvas.bgcolor.rgb
    drawn = (np.abs(frames["activation"] - np.array(bg) * 255).sum(-1) > 30).mean()
    for i, a in enumerate(modes):
        for b in modes[i + 1:]:
            changed = (np.abs(frames[a] - frames[b]).sum(-1) > 40).mean()
            assert changed > 0.06 * drawn, (a, b)   # measured 0.10..0.34 of the drawn pixels
    # Saliency over the preview, live.
    ins.saliency_act.setChecked(True)
    assert s.attribution is not None and "saliency" in window.preview.caption
    ins.saliency_act.setChecked(False)
    ins.set_mode("activation")
    assert s.attribution is None


def test_a_colour_model_without_test_pictures_says_so_in_the_docks_not_as_an_error(qtbot, settings):
    """No --data for a model that does not take digits is not a fault: the docks and the
    status bar say what to give, the notice bar stays empty and the run exits 0."""
    from pathlib import Path

    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    zoo = Path(__file__).parent / "models" / "zoo.py"
    win = MainWindow(model=f"{zoo}:Colour", settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    said = []
    win.insight.jobs.unavailable.connect(said.append)
    for key in ("gallery", "projection", "top", "model"):
        win.insight.docks[key].raise_()
        qtbot.wait(50)
    qtbot.wait(200)
    assert win.insight.jobs.missing and "--data DIR" in win.insight.jobs.missing
    assert "--data DIR" in win.insight.gallery.note.text()
    assert win.notice.messages == [] and win.startup_errors == []
    assert len(said) <= 1          # once a model, however many docks asked
    win.close()


def test_the_status_bar_progress_shows_its_whole_text(window, qtbot):
    """A job's progress bar in the status bar is as wide as what it says (a fixed 160 px
    cut "top images of fc1 50%" onto two clipped lines)."""
    ins = window.insight
    bar = ins.jobs.progress_bar
    got = []
    assert not ins.jobs.request(("width test",), "top images of layer4.1.conv2",
                                lambda _ins, _progress, _stop: 1, got.append)
    text = bar.format().replace("%p", "100")
    assert bar.isVisibleTo(window) and bar.width() >= bar.fontMetrics().horizontalAdvance(text) + 20
    qtbot.waitUntil(lambda: got == [1], timeout=10000)
