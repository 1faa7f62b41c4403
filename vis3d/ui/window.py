"""The main window: the 3D scene in the middle, inputs on the left, read-outs on the right."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QByteArray, QPoint, QSettings, Qt, QTimer
from PyQt5.QtWidgets import (QAction, QActionGroup, QComboBox, QDockWidget, QFileDialog, QLabel,
                             QMainWindow, QMenu, QToolBar, QToolTip, QVBoxLayout, QWidget)
from vispy import scene as vscene

from vis3d.scene import colors, tiles
from vis3d.model import weights
from vis3d.errors import Vis3dError
from vis3d.gl.view import NetworkScene
from vis3d.scene.state import NetworkState
from vis3d.inputs.steady import Steadier
from vis3d.ui.input_panel import InputPanel
from vis3d.ui.frameclock import FrameClock
from vis3d.ui.panels import ColorBar, DetailsPanel, ImageView, PredictionPanel

TICK_MS = 16


class MainWindow(QMainWindow):
    def __init__(self, model: str | None = None, camera: str | None = None,
                 settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings("vis3d", "vis3d")
        self.setWindowTitle("vis3d")
        self.resize(1440, 900)
        model = model or self.settings.value("model", "mnist_cnn")
        try:
            loaded = weights.load(model)
        except Vis3dError as exc:
            if model == "mnist_cnn":
                raise
            self._startup_error = str(exc)
            loaded = weights.load("mnist_cnn")
        else:
            self._startup_error = ""
        self.state = NetworkState(loaded, self.settings.value("normalise", "layer"))
        self.canvas = vscene.SceneCanvas(keys=None, show=False, size=(900, 700))
        self.scene = NetworkScene(self.canvas, self.state,
                                  self.settings.value("colormap", colors.DEFAULT_COLORMAP))
        self.setCentralWidget(self.canvas.native)
        self.steadier = Steadier()
        self.hovered = -1
        self._press = None
        self._ticks = deque(maxlen=60)
        self.tick_ms = 0.0
        self._last_apply = 0.0
        self.clock = FrameClock()
        self._build_docks()
        self._build_toolbar()
        self._build_status()
        self._connect_canvas()
        self._restore()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(TICK_MS)
        self._stat_timer = QTimer(self)
        self._stat_timer.timeout.connect(self._update_stats)
        self._stat_timer.start(500)
        if camera is not None:
            if self.inputs.open_camera(camera):
                self.inputs.set_source("camera")
        if self._startup_error:
            self.say(self._startup_error + " - showing mnist_cnn")
        self._update_colorbar()

    # --- construction -------------------------------------------------------------------
    def _build_docks(self) -> None:
        self.inputs = InputPanel()
        self.inputs.status.connect(self.say)
        self.inputs.source_changed.connect(self._source_changed)
        self.inputs.pad.changed.connect(self._pad_changed)
        self.inputs.pen.setValue(int(self.settings.value("pen", 18)))
        left_w = QWidget()
        ll = QVBoxLayout(left_w)
        ll.setContentsMargins(4, 4, 4, 4)
        self.preview = ImageView("what the network sees (28x28)", min_size=120)
        self.inputs.setMaximumHeight(460)
        ll.addWidget(self.inputs, 3)
        ll.addWidget(self.preview, 2)
        left = QDockWidget("Input", self)
        left.setObjectName("input_dock")
        left.setWidget(left_w)
        left.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(Qt.LeftDockWidgetArea, left)
        right_w = QWidget()
        rl = QVBoxLayout(right_w)
        rl.setContentsMargins(4, 4, 4, 4)
        self.prediction = PredictionPanel()
        self.colorbar = ColorBar()
        self.details = DetailsPanel()
        rl.addWidget(self.prediction)
        rl.addWidget(self.colorbar)
        rl.addWidget(self.details, 1)
        right_w.setMinimumWidth(260)
        right_w.setMaximumWidth(380)
        right = QDockWidget("Network", self)
        right.setObjectName("network_dock")
        right.setWidget(right_w)
        right.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(Qt.RightDockWidgetArea, right)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("main_toolbar")
        self.addToolBar(tb)
        self.source_group = QActionGroup(self)
        self.act_pad = QAction("Draw pad", self, checkable=True, checked=True)
        self.act_cam = QAction("Camera", self, checkable=True)
        for act, src in ((self.act_pad, "pad"), (self.act_cam, "camera")):
            act.triggered.connect(lambda _=False, s=src: self.inputs.set_source(s))
            self.source_group.addAction(act)
            tb.addAction(act)
        tb.addSeparator()
        self.model_box = QComboBox()
        self.model_box.addItems(weights.bundled_models())
        self.model_box.setCurrentText(self.state.name)
        self.model_box.setToolTip("Model")
        self.model_box.activated.connect(lambda _: self.set_model(self.model_box.currentText()))
        tb.addWidget(self.model_box)
        self.norm_box = QComboBox()
        self.norm_box.addItems(["per layer", "global"])
        self.norm_box.setCurrentIndex(0 if self.state.mode == "layer" else 1)
        self.norm_box.setToolTip("Activation normalisation")
        self.norm_box.currentIndexChanged.connect(
            lambda i: self.set_normalise("layer" if i == 0 else "global"))
        tb.addWidget(self.norm_box)
        self.cmap_box = QComboBox()
        self.cmap_box.addItems(colors.COLORMAPS)
        self.cmap_box.setCurrentText(self.scene.colormap)
        self.cmap_box.setToolTip("Colour map")
        self.cmap_box.currentTextChanged.connect(self.set_colormap)
        tb.addWidget(self.cmap_box)
        tb.addSeparator()
        self.act_reset = QAction("Reset view", self, shortcut="R", triggered=self.scene.reset_camera)
        self.act_reset.setToolTip("Reset the camera (R)")
        self.act_orbit = QAction("Auto-orbit", self, checkable=True, shortcut="O",
                                 triggered=self.scene.set_auto_orbit)
        self.act_shot = QAction("Screenshot", self, shortcut="Ctrl+S", triggered=self._screenshot_dialog)
        self.act_open = QAction("Open weights…", self, shortcut="Ctrl+O", triggered=self._open_weights)
        for a in (self.act_reset, self.act_orbit, self.act_shot):
            tb.addAction(a)
        self.layers_menu = QMenu("Layers", self)
        tb.addAction(self.layers_menu.menuAction())
        self._fill_layers_menu()
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.act_open)
        file_menu.addAction(self.act_shot)
        file_menu.addAction(QAction("Quit", self, shortcut="Ctrl+Q", triggered=self.close))
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.act_reset)
        view_menu.addAction(self.act_orbit)
        view_menu.addMenu(self.layers_menu)

    def _fill_layers_menu(self) -> None:
        self.layers_menu.clear()
        for s in self.state.layout.slabs:
            act = QAction(s.label, self, checkable=True, checked=True)
            act.toggled.connect(lambda on, i=s.index: self.scene.set_slab_visible(i, on))
            self.layers_menu.addAction(act)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.lbl_hover = QLabel("")
        self.lbl_fps = QLabel("")
        self.lbl_nodes = QLabel("")
        self.lbl_tick = QLabel("")
        sb.addWidget(self.lbl_hover, 1)
        for lbl in (self.lbl_nodes, self.lbl_tick, self.lbl_fps):
            sb.addPermanentWidget(lbl)
        self._update_stats()

    def _connect_canvas(self) -> None:
        c = self.canvas
        c.events.mouse_move.connect(self._on_move)
        c.events.mouse_press.connect(self._on_press)
        c.events.mouse_release.connect(self._on_release)
        c.events.mouse_double_click.connect(self._on_double)
        c.events.draw.connect(lambda _e: self.clock.frame_drawn(self.state.version),
                              position="last")
        c.events.key_press.connect(self._on_key)

    def _on_key(self, event) -> None:
        # The toolbar shortcuts need an active window; keys typed into the scene work always.
        if event.key is not None and not event.modifiers:
            if event.key.name == "R":
                self.scene.reset_camera()
            elif event.key.name == "O":
                self.act_orbit.trigger()

    def _pad_changed(self) -> None:
        """Run the network at once on a pen move, at most once per display frame."""
        self.clock.input_changed()
        if time.perf_counter() - self._last_apply >= TICK_MS / 1000 and self.inputs.source == "pad":
            self.tick()

    def _restore(self) -> None:
        geo = self.settings.value("geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        st = self.settings.value("window_state")
        if isinstance(st, QByteArray):
            self.restoreState(st)

    # --- the tick -----------------------------------------------------------------------
    def tick(self) -> None:
        """Take the newest input; only if it changed: preprocess -> probe -> scene update."""
        t0 = time.perf_counter()
        prep = self.inputs.poll()
        if prep is None:
            return
        self.apply_input(prep)
        self._ticks.append(1000 * (time.perf_counter() - t0))
        self.tick_ms = float(np.median(self._ticks))

    def apply_input(self, prep) -> None:
        self._last_apply = time.perf_counter()
        acts = self.state.set_input(prep.image)
        self.scene.refresh()
        if self.inputs.source == "camera":
            steady = self.steadier.push(acts.probs if prep.found else None)
            digit, probs = steady.digit, steady.probs
        else:
            digit = acts.prediction if prep.found else None
            probs = acts.probs if prep.found else None
        note = "" if prep.found else (prep.reason or "no digit")
        self.prediction.set_prediction(probs, digit, note or ("steadied" if self.inputs.source
                                                              == "camera" else ""))
        self.preview.set_image(prep.image if prep.image is not None else np.zeros((28, 28), np.float32),
                               caption="" if prep.found else "no digit")
        if self.state.pinned is not None:
            self._show_details()
        self._update_colorbar()

    # --- mouse on the scene -------------------------------------------------------------
    def _on_move(self, event) -> None:
        if event.is_dragging:
            return
        x, y = event.pos[:2]
        node = self.scene.pick(x, y)
        if node == self.hovered:
            return
        self.hovered = node
        if node < 0:
            self.lbl_hover.setText("")
            QToolTip.hideText()
            if self.state.pinned is None:
                self.scene.clear_edges()
            return
        text = self.state.describe(node)
        self.lbl_hover.setText(text)
        QToolTip.showText(self.canvas.native.mapToGlobal(QPoint(int(x) + 16, int(y) + 12)),
                          text.replace("  | ", "\n"), self.canvas.native)
        if self.state.pinned is None:
            self.scene.show_edges(node)

    def _on_press(self, event) -> None:
        self._press = tuple(event.pos[:2]) if event.button == 1 else None

    def _on_release(self, event) -> None:
        if self._press is None or event.button != 1:
            return
        moved = np.hypot(event.pos[0] - self._press[0], event.pos[1] - self._press[1])
        self._press = None
        if moved > 4:
            return  # that was an orbit drag
        self.pin(self.scene.pick(*event.pos[:2]))

    def _on_double(self, event) -> None:
        slab = self.scene.slab_at(*event.pos[:2])
        if slab is not None:
            self.scene.fly_to(slab)

    def pin(self, node: int) -> None:
        if node < 0 or node == self.state.pinned:
            self.state.pin(None)
            self.details.clear()
            if self.hovered >= 0:
                self.scene.show_edges(self.hovered)
            else:
                self.scene.clear_edges()
            return
        self.state.pin(node)
        self.scene.show_edges(node)
        self._show_details()

    def _show_details(self) -> None:
        node = self.state.pinned
        box = tiles.receptive_field(self.state, node)
        self.details.show_node("Pinned: " + self.state.describe(node, top=3).replace("  | ", "\n"),
                               self.state.acts.input, box, tiles.weight_image(self.state, node))
        self.details.history.set_series(*self.state.pinned_history())

    # --- choices ------------------------------------------------------------------------
    def set_model(self, spec: str) -> bool:
        try:
            new = NetworkState(weights.load(spec), self.state.mode)
        except Exception as exc:  # noqa: BLE001 - a bad file must never close the window
            self.say(str(exc) if isinstance(exc, Vis3dError)
                     else f"{spec}: cannot load ({type(exc).__name__}: {exc})")
            self.model_box.setCurrentText(self.state.name)
            return False
        prev_image = self.state.acts.input if self.state.has_digit else None
        self.state = new
        self.state.set_input(prev_image)
        self.scene.set_state(new)
        self._fill_layers_menu()
        self.hovered = -1
        self.details.clear()
        if self.model_box.findText(new.name) < 0:
            self.model_box.addItem(new.name)
        self.model_box.setCurrentText(new.name)
        self.settings.setValue("model", spec if spec in weights.bundled_models() else "mnist_cnn")
        self._update_stats()
        self._update_colorbar()
        acc = new.loaded.card.get("test_accuracy")
        self.say(f"model {new.name}: {new.layout.count:,} nodes"
                 + (f", test accuracy {100 * acc:.2f}%" if isinstance(acc, (int, float)) else ""))
        return True

    def set_normalise(self, mode: str) -> None:
        self.state.set_mode(mode)
        self.scene.refresh()
        self.settings.setValue("normalise", mode)
        self._update_colorbar()

    def set_colormap(self, name: str) -> None:
        self.scene.set_colormap(name)
        self.settings.setValue("colormap", name)
        self._update_colorbar()

    def _update_colorbar(self) -> None:
        self.colorbar.show_normalisation(colors.lut(self.scene.colormap), self.state.normaliser)

    def _source_changed(self, source: str) -> None:
        (self.act_cam if source == "camera" else self.act_pad).setChecked(True)
        self.steadier.reset()

    def _open_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", "",
                                              "Weights (*.safetensors *.pt *.pth)")
        if path:
            self.set_model(path)

    def save_screenshot(self, path: str | Path) -> Path:
        from vispy.io import write_png
        path = Path(path)
        write_png(str(path), self.canvas.render(alpha=False))
        self.say(f"saved {path}")
        return path

    def _screenshot_dialog(self) -> None:
        default = str(Path.home() / f"vis3d-{time.strftime('%Y%m%d-%H%M%S')}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", default, "PNG (*.png)")
        if path and not path.lower().endswith(".png"):
            path += ".png"
        if path:
            try:
                self.save_screenshot(path)
            except OSError as exc:
                self.say(f"cannot save {path}: {exc}")

    # --- status -------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_stats(self) -> None:
        self.lbl_nodes.setText(f"{self.state.layout.count:,} nodes")
        fps = self.clock.fps()
        self.lbl_fps.setText(f"{fps:.0f} fps" if fps >= 2 else "idle")
        self.lbl_tick.setText(f"tick {self.tick_ms:.1f} ms" if self._ticks else "")
        if self.state.pinned is not None:
            self.details.history.set_series(*self.state.pinned_history())

    def closeEvent(self, event) -> None:
        self.timer.stop()
        self._stat_timer.stop()
        self.scene.set_auto_orbit(False)
        self.inputs.close_camera()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("pen", self.inputs.pen.value())
        self.settings.sync()
        super().closeEvent(event)
