"""The main window: it assembles the scene, the docks and the toolbar, and connects them
to the session. The session holds the state; the widgets and the view only subscribe to it
and set values on it.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QSettings, Qt, QTimer
from PyQt5.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QTabWidget, QVBoxLayout,
                             QWidget)

from vis3d.errors import Vis3dError
from vis3d.gl.colormaps import lut
from vis3d.gl.view import NetworkView
from vis3d.inputs.fit import fitted
from vis3d.model import weights
from vis3d.scene.background import BackgroundRunner
from vis3d.scene.judge import camera_judge
from vis3d.scene.session import Session
from vis3d.ui.builder import BuilderDock
from vis3d.ui.frameclock import FrameClock
from vis3d.ui.glwindow import WindowCanvas
from vis3d.ui.input_panel import InputPanel
from vis3d.ui.notice import NoticeBar
from vis3d.ui.details import DetailsPanel
from vis3d.ui.panels import ColorBar, ImageView, PredictionPanel
from vis3d.ui.scene_mouse import SceneMouse
from vis3d.ui.toolbar import build_toolbar
from vis3d.ui.app import LAYOUT_VERSION

TICK_MS = 16


class MainWindow(QMainWindow):
    def __init__(self, model: str | None = None, camera: str | None = None,
                 settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings("vis3d", "vis3d")
        self.setWindowTitle("vis3d")
        self.resize(1440, 900)
        self.startup_errors: list[str] = []
        self._starting = True
        self._user_models: dict = {}     # models given as objects, by their name in the list
        loaded = self._load_first_model(model)
        self.session = Session(loaded, self.settings.value("normalise", "layer"),
                               self.settings.value("colormap", "ember"))
        self.canvas = WindowCanvas(keys=None, show=False, size=(900, 700))
        self.canvas_embedding = "QWindow in a window container"
        self.view = NetworkView(self.canvas, self.session)
        self.notice = NoticeBar()
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.notice)
        cl.addWidget(self.canvas.native.container, 1)
        self.setCentralWidget(central)
        self.clock = FrameClock()
        self._ticks = deque(maxlen=60)
        self.tick_ms = 0.0
        self._last_apply = 0.0
        self.runner = BackgroundRunner(self.session)   # slow models' forwards, off this thread
        self._build_docks()
        self.actions = build_toolbar(self)
        self.builder = BuilderDock(self.session, self)   # design, train and save a net
        self.builder.saved.connect(self.set_model)
        self.addDockWidget(Qt.RightDockWidgetArea, self.builder)
        self.setTabPosition(Qt.RightDockWidgetArea, QTabWidget.East)   # six docks: tabs down the side
        self.tabifyDockWidget(self.findChild(QDockWidget, "network_dock"), self.builder)
        self.findChild(QDockWidget, "network_dock").raise_()
        self._build_status()
        self.mouse = SceneMouse(self.canvas, self.view, self.session, self)
        self._connect()
        from vis3d.ui.insight import install as install_insight
        self.insight = install_insight(self)
        self._restore()
        self.actions["hint"].setChecked(self.settings.value("hint_dismissed", "0") != "1")
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(TICK_MS)
        self._pen_timer = QTimer(self)   # a pen move too soon after the last run: run then
        self._pen_timer.setSingleShot(True)
        self._pen_timer.setTimerType(Qt.PreciseTimer)
        self._pen_timer.timeout.connect(self.tick)
        self._stat_timer = QTimer(self)
        self._stat_timer.timeout.connect(self._update_stats)
        self._stat_timer.start(500)
        if camera is not None:
            self.inputs.open_camera(camera)
            self.inputs.set_source("camera")
        for err in self.startup_errors:
            self._notice_error(err)
        QTimer.singleShot(3000, self._started)

    def _load_first_model(self, model):
        if hasattr(model, "model"):      # a LoadedModel (vis3d.show, --model FILE.py:NAME)
            self._user_models[model.name] = model
            return model
        spec = model or self.settings.value("model", "mnist_cnn")
        try:
            return weights.load(spec)
        except Vis3dError as exc:
            if spec == "mnist_cnn":
                raise
            if model is not None:   # asked for on the command line: an error to report
                self.startup_errors.append(f"{exc} - showing mnist_cnn")
            return weights.load("mnist_cnn")

    def _started(self) -> None:
        self._starting = False

    # --- construction -------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.inputs = InputPanel()
        self.inputs.score = camera_judge(self.session)   # the model judges candidate regions
        self.inputs.pen.setValue(int(self.settings.value("pen", 18)))
        self.inputs.setMaximumHeight(460)
        self.preview = ImageView("what the network sees", min_size=120)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(4, 4, 4, 4)
        ll.addWidget(self.inputs, 3)
        ll.addWidget(self.preview, 2)
        self._dock("Input", "input_dock", left, Qt.LeftDockWidgetArea)
        self.prediction = PredictionPanel()
        self.colorbar = ColorBar()
        self.details = DetailsPanel()
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(4, 4, 4, 4)
        rl.addWidget(self.prediction)
        rl.addWidget(self.colorbar)
        rl.addWidget(self.details, 1)
        right.setMinimumWidth(260)
        right.setMaximumWidth(380)
        self._dock("Network", "network_dock", right, Qt.RightDockWidgetArea)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.lbl_hover = QLabel("")
        self.lbl_fps, self.lbl_nodes, self.lbl_tick = QLabel(""), QLabel(""), QLabel("")
        sb.addWidget(self.lbl_hover, 1)
        for lbl in (self.lbl_nodes, self.lbl_tick, self.lbl_fps):
            sb.addPermanentWidget(lbl)
        self._update_stats()

    def _connect(self) -> None:
        ev = self.session.events
        ev.model.connect(self._on_model)
        ev.result.connect(self._on_result)
        ev.prediction.connect(self.prediction.show)
        self.details.bind(self.session)
        ev.normalise.connect(lambda _m: self._update_colorbar())
        ev.colormap.connect(lambda _m: self._update_colorbar())
        ev.notice.connect(self._on_notice)
        self.inputs.status.connect(self.say)
        self.inputs.camera_state.connect(self._camera_state)
        self.inputs.source_changed.connect(self._source_changed)
        self.inputs.pad.changed.connect(self._pad_changed)
        self.mouse.hover_text.connect(self.lbl_hover.setText)
        self.mouse.hint_dismissed.connect(lambda: self.view.set_hint_visible(False))
        self.mouse.hint_toggled.connect(lambda: self.actions["hint"].toggle())
        self.mouse.orbit_toggled.connect(lambda: self.actions["orbit"].trigger())
        self.canvas.events.draw.connect(lambda _e: self.clock.frame_started(), position="first")
        self.canvas.events.draw.connect(
            lambda _e: self.clock.frame_drawn((self.session.version, self.session.hovered)),
            position="last")
        self.canvas.native.frameSwapped.connect(self.clock.frame_presented)
        self.prediction.set_labels(self.session.labels)
        self.prediction.show(self.session.prediction)
        self._on_result(self.session)
        self._update_colorbar()

    def _restore(self) -> None:
        from vis3d.ui.app import restore_layout
        restore_layout(self, self.settings.value("geometry"), self.settings.value("window_state"))

    # --- the tick -----------------------------------------------------------------------
    def tick(self) -> None:
        """Take the newest input; the session runs the network only if it changed."""
        t0 = time.perf_counter()
        ms = self.runner.collect()   # a background run's result applied: its time
        if ms is not None:
            self._ticks.append(ms)
            self.tick_ms = float(np.median(self._ticks))
        if (prep := self.inputs.poll()) is None:
            return
        self._last_apply = t0
        if not self.session.digit_input:    # a model not taking 28x28 digits: the picture
            prep = fitted(self._raw_picture(), self.session.probe.input_shape, prep)
        image, why = (prep.image if prep.found else None), prep.reason or ""
        if self.runner.offer(image, why, self.inputs.source):
            return   # running in the worker thread: the window stays responsive
        if self.session.set_input(image, reason=why, source=self.inputs.source):   # it ran
            self._ticks.append(1000 * (time.perf_counter() - t0))
            self.tick_ms = float(np.median(self._ticks))

    def _raw_picture(self):
        """The pad's picture or the newest camera frame (for a colour model: in colour)."""
        if self.inputs.source == "camera" and self.inputs.camera is not None:
            return self.inputs.camera.latest()[1]
        return self.inputs.pad.image()

    def _pad_changed(self) -> None:
        """Run the network at once on a pen move, at most once per display frame."""
        self.clock.input_changed()
        if self.inputs.source != "pad":
            return
        wait = TICK_MS / 1000 - (time.perf_counter() - self._last_apply)
        if wait <= 0:
            self.tick()
        elif not self._pen_timer.isActive():   # not the periodic tick: up to 16 ms later
            self._pen_timer.start(max(1, int(np.ceil(1000 * wait))))

    def show_image_file(self, path: str) -> bool:
        """An image file as the input (``--input``): a drawing goes onto the pad, a photo of
        paper is read as the camera would read it."""
        from vis3d.inputs.files import read_image
        try:
            img = read_image(path)
        except Vis3dError as exc:
            self._notice_error(str(exc))
            return False
        photo = self.inputs.load_image(img)
        self.inputs.poll()  # the pad's pending state is older than this image: drop it
        if not self.session.digit_input:
            photo = fitted(img, self.session.probe.input_shape, photo)
            self.session.set_input(photo.image, reason=photo.reason, source="image")
            self.say(f"showing {path} (resized to the model's input)")
        elif photo is not None:
            self.session.set_input(photo.image if photo.found else None,
                                   reason=photo.reason or "", source="image")
            self.say(f"showing {path} (read as a photo of paper)")
        else:
            self.tick()
        return True

    # --- session -> widgets -------------------------------------------------------------
    def _on_model(self, session) -> None:
        self.actions["fill_layers"]()
        self.lbl_hover.setText("")
        self.actions["model_box"].setCurrentText(session.name)
        self.prediction.set_labels(session.labels)
        self._update_stats()

    def _on_result(self, session) -> None:
        img = session.image
        if img is not None and img.ndim == 3:   # (C, H, W): colour as RGB, else channel 0
            img = np.ascontiguousarray(np.moveaxis(img, 0, -1)[..., ::-1]) if img.shape[0] == 3 \
                else img[0]
        shape = [n for n in session.probe.input_shape if n > 1] or [1]
        self.preview.set_image(img if img is not None else np.zeros(session.layout.slabs[0].shape[-2:]),
                               caption="" if img is not None else "no digit",
                               title=f"what the network sees ({'x'.join(map(str, shape))})")
        if session.normalise == "global":
            self._update_colorbar()

    def _update_colorbar(self) -> None:
        self.colorbar.show_normalisation(lut(self.session.colormap), self.session.normaliser)

    def _on_notice(self, notice) -> None:
        if notice.level == "error":
            self._notice_error(notice.text)
        else:
            self.say(notice.text)

    def _notice_error(self, text: str) -> None:
        """A problem: on stderr, and in the notice bar until the user dismisses it."""
        print(f"vis3d: error: {text}", file=sys.stderr, flush=True)
        if self._starting and text not in self.startup_errors:
            self.startup_errors.append(text)
        self.notice.add(text)

    # --- choices ------------------------------------------------------------------------
    def set_model(self, spec) -> bool:
        """A bundled name, a weights path, 'FILE.py:NAME', or a LoadedModel. On failure the
        previous model stays and the notice bar says why."""
        if hasattr(spec, "model"):
            self._user_models[spec.name] = spec
        try:
            if hasattr(spec, "model"):
                loaded = spec
            elif spec in self._user_models:
                loaded = self._user_models[spec]
            else:
                loaded = weights.load(spec)
                if loaded.card.get("source"):   # FILE.py:NAME: listed by its name
                    self._user_models[loaded.name] = loaded
            self.session.set_model(loaded)
        except Exception as exc:  # noqa: BLE001 - a bad file must never close the window
            what = getattr(spec, "name", spec)
            msg = str(exc) if isinstance(exc, Vis3dError) else f"{what}: cannot load ({type(exc).__name__}: {exc})"
            self._notice_error(msg + f" - still showing {self.session.name}")
            self.actions["model_box"].setCurrentText(self.session.name)
            return False
        box = self.actions["model_box"]
        if box.findText(self.session.name) < 0:
            box.addItem(self.session.name)
        box.setCurrentText(self.session.name)
        self.settings.setValue("model", spec if isinstance(spec, str) and spec in
                               weights.bundled_models() else "mnist_cnn")
        acc = self.session.loaded.card.get("test_accuracy")
        self.say(f"model {self.session.name}: {self.session.layout.count:,} nodes"
                 + (f", test accuracy {100 * acc:.2f}%" if isinstance(acc, (int, float)) else ""))
        return True

    def set_normalise(self, mode: str) -> None:
        self.session.normalise = mode
        self.settings.setValue("normalise", mode)

    def set_colormap(self, name: str) -> None:
        self.session.colormap = name
        self.settings.setValue("colormap", name)

    def _camera_state(self, state: str) -> None:
        cam = self.inputs.camera
        if state in ("failed", "lost") and cam is not None:
            self._notice_error(cam.message or f"camera {state}")

    def _source_changed(self, source: str) -> None:
        self.actions["camera" if source == "camera" else "pad"].setChecked(True)

    def show_hint(self, on: bool) -> None:
        """The controls hint on the canvas: View > Controls hint, or H; remembered. A click
        on the scene hides it until the next start."""
        self.view.set_hint_visible(on)
        self.settings.setValue("hint_dismissed", "0" if on else "1")

    def open_weights_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", "",
                                              "Weights (*.safetensors *.pt *.pth)")
        if path:
            self.set_model(path)

    def save_screenshot(self, path: str | Path) -> Path:
        from vispy.io import write_png
        path = Path(path)
        write_png(str(path), self.view.render(alpha=False))
        self.say(f"saved {path}")
        return path

    def screenshot_dialog(self) -> None:
        default = str(Path.home() / f"vis3d-{time.strftime('%Y%m%d-%H%M%S')}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", default, "PNG (*.png)")
        if path and not path.lower().endswith(".png"):
            path += ".png"
        if path:
            try:
                self.save_screenshot(path)
            except OSError as exc:
                self._notice_error(f"cannot save {path}: {exc.strerror or exc}")

    # --- status -------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_stats(self) -> None:
        self.lbl_nodes.setText(f"{self.session.layout.count:,} nodes")
        fps = self.clock.fps()
        self.lbl_fps.setText(f"{fps:.0f} fps" if fps >= 2 else "idle")
        self.lbl_tick.setText(f"tick {self.tick_ms:.1f} ms" if self._ticks else "")
        self.details.tick()

    def closeEvent(self, event) -> None:
        self.timer.stop()
        self._pen_timer.stop()
        self._stat_timer.stop()
        self.runner.close()
        self.view.set_auto_orbit(False)
        self.insight.jobs.shutdown()
        self.inputs.close_camera()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState(LAYOUT_VERSION))
        self.settings.setValue("pen", self.inputs.pen.value())
        self.settings.sync()
        super().closeEvent(event)
