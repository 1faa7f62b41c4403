"""The input side of the window: the draw pad and the camera, and which one is live.

``poll()`` is called by the window's tick: it returns a new ``Prepared`` 28x28 input
only when the active source has produced something new since the last call. While the camera
sees no digit, the "no digit" result comes once and then None (the preview keeps updating),
so the window does not rerun the model on an empty frame every tick.

Opening a camera never blocks: the source opens in its own thread, and its state shows on the
camera page (a line above the picture, and a Reopen button when it failed or was lost) and is
emitted through ``status`` and ``camera_state`` (the state name: opening, running, failed...).
"""

from __future__ import annotations

import numpy as np

from vis3d.inputs import convert  # noqa: F401 - first: configures OpenCV before cv2 loads

import cv2  # noqa: E402
from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSlider, QTabWidget, QVBoxLayout,
                             QWidget)

from vis3d.inputs.camera import CameraSource, parse_camera_spec
from vis3d.errors import Vis3dError
from vis3d.inputs.preprocess import Prepared, prepare, prepare_camera, prepare_pad
from vis3d.ui.camera_controls import CameraControls
from vis3d.ui.camera_view import CameraView
from vis3d.ui.drawpad import DrawPad


class InputPanel(QWidget):
    status = pyqtSignal(str)        # messages for the status bar
    source_changed = pyqtSignal(str)
    camera_state = pyqtSignal(str)  # the camera source's state whenever it changes

    PROBLEM_STATES = ("failed", "lost", "ended", "stopped")

    def __init__(self, parent=None):
        super().__init__(parent)
        cv2.setNumThreads(1)        # as predict and bench: the other core is the renderer's
        self.score = None           # the model's judge among candidate regions (scene.judge)
        self.camera: CameraSource | None = None
        self.camera_spec: str | None = None
        self._pad_version = -1
        self._cam_seq = -1
        self._cam_state = ""
        self._pending: Prepared | None = None     # a loaded picture's result, for the next poll
        self.tabs = QTabWidget()
        # Draw pad page.
        pad_page = QWidget()
        pl = QVBoxLayout(pad_page)
        self.pad = DrawPad()
        pl.addWidget(self.pad, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("pen"))
        self.pen = QSlider(Qt.Horizontal)
        self.pen.setRange(4, 40)
        self.pen.setValue(18)
        self.pen.valueChanged.connect(self.pad.set_pen_width)
        row.addWidget(self.pen, 1)
        undo = QPushButton("Undo")
        undo.setToolTip("Undo the last stroke (Ctrl+Z)")
        undo.clicked.connect(self.pad.undo)
        clear = QPushButton("Clear")
        clear.setToolTip("Clear the pad (or right-click it)")
        clear.clicked.connect(self.pad.clear)
        row.addWidget(undo)
        row.addWidget(clear)
        pl.addLayout(row)
        hint = QLabel("Draw a digit with the left button. Right-click clears.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #7d879c")
        pl.addWidget(hint)
        # Camera page.
        cam_page = QWidget()
        cl = QVBoxLayout(cam_page)
        problem_row = QHBoxLayout()
        self.camera_problem = QLabel("")
        self.camera_problem.setWordWrap(True)
        self.camera_problem.setStyleSheet("color: #ffb347; font-weight: bold")
        self.camera_problem.hide()
        self.reopen = QPushButton("Reopen")
        self.reopen.setToolTip("Open the camera or video again")
        self.reopen.clicked.connect(self.reopen_camera)
        self.reopen.hide()
        problem_row.addWidget(self.camera_problem, 1)
        problem_row.addWidget(self.reopen)
        cl.addLayout(problem_row)
        self.controls = CameraControls()
        self.controls.device_chosen.connect(self.open_camera)
        self.controls.resolution_chosen.connect(lambda w, h: self.reopen_camera())
        self.controls.stages_toggled.connect(self._stages_toggled)
        cl.addWidget(self.controls)
        self.camera_view = CameraView()
        self.controls.mirror_toggled.connect(self.camera_view.set_mirror)
        self.camera_view.set_mirror(self.controls.mirror.isChecked())
        cl.addWidget(self.camera_view, 1)
        self.camera_hint = QLabel("Hold a digit written in pen or marker on paper or a sticky "
                                  "note inside the box.")
        self.camera_hint.setWordWrap(True)
        self.camera_hint.setStyleSheet("color: #7d879c")
        cl.addWidget(self.camera_hint)
        self.tabs.addTab(pad_page, "Draw")
        self.tabs.addTab(cam_page, "Camera")
        self.tabs.currentChanged.connect(self._tab_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)

    # --- source selection ---------------------------------------------------------------
    @property
    def source(self) -> str:
        return "camera" if self.tabs.currentIndex() == 1 else "pad"

    def set_source(self, source: str) -> None:
        self.tabs.setCurrentIndex(1 if source == "camera" else 0)

    def _tab_changed(self, index: int) -> None:
        self._pad_version = self._cam_seq = -1  # re-run the newly active source
        if index == 1 and (self.camera is None or self.camera.state in self.PROBLEM_STATES):
            self.open_camera(self.camera_spec or "0")
        self.source_changed.emit(self.source)

    def open_camera(self, spec: str) -> bool:
        """Start opening a camera (index or video file) and return at once: True if it is
        opening (its success or failure shows on the camera page), False if ``spec`` is not a
        camera at all."""
        self.close_camera()
        self.camera_spec = str(spec)
        try:
            w, h = self.controls.chosen_size()
            cam = CameraSource(parse_camera_spec(spec), width=w, height=h)
        except Vis3dError as exc:
            self._show_problem(str(exc))
            self.status.emit(f"{exc} - using the draw pad")
            return False
        cam.start()
        self.camera = cam
        self.controls.set_current(self.camera_spec)
        self._cam_seq, self._cam_state = -1, ""
        self._show_problem("")
        self.status.emit(cam.message)
        return True

    def reopen_camera(self) -> bool:
        return self.open_camera(self.camera_spec or "0")

    def close_camera(self) -> None:
        if self.camera is not None:
            self.camera.stop(timeout=0.1)      # a driver stuck in a call is left behind
            self.camera = None

    def _stages_toggled(self, on: bool) -> None:
        if not on:
            self.camera_view.set_stages(None, "")
        self._cam_seq = -1            # show the stages of the current frame at once

    def _show_problem(self, text: str) -> None:
        self.camera_problem.setText(text)
        self.camera_problem.setVisible(bool(text))
        self.reopen.setVisible(bool(text))
        self.camera_view.set_status(text)

    # --- the tick -----------------------------------------------------------------------
    def poll(self) -> Prepared | None:
        if self.source == "camera":
            return self._poll_camera()
        version = self.pad.version
        pending, self._pending = self._pending, None
        if pending is not None:
            self._pad_version = version
            return pending
        if version == self._pad_version:
            return None
        self._pad_version = version
        return prepare_pad(self.pad.image())

    def _poll_camera(self) -> Prepared | None:
        cam = self.camera
        if cam is None:
            return None
        state = cam.state
        if state != self._cam_state:
            self._cam_state = state
            self.camera_state.emit(state)
            if state in self.PROBLEM_STATES or state == "retrying":
                self.camera_problem.setText(cam.message)
                self.camera_problem.setVisible(True)
                self.reopen.setVisible(state in self.PROBLEM_STATES)
                self.camera_view.set_status(cam.message)
                self.status.emit(cam.message)
                if state in self.PROBLEM_STATES:    # the last digit is stale: say so, once
                    self.camera_view.set_result(None, "no camera")
                    return Prepared(None, "camera", cam.message)
            else:
                self._show_problem("")
                self.camera_view.set_status("" if state == "running" else cam.message)
                if state == "running":   # replaces the "opening..." line
                    self.status.emit(cam.message)
        seq, frame = cam.latest()
        if frame is None or seq == self._cam_seq:
            return None
        self._cam_seq = seq
        stages = {} if self.controls.stages.isChecked() else None
        prep = prepare_camera(frame, stages, score=self.score)
        self.camera_view.show_frame(frame)
        self.camera_view.set_stages(None if stages is None else stages.get("mask"),
                                    "" if stages is None or prep.found else (prep.reason or "no digit"))
        # the sheet read from; a sheet that held no digit (perhaps a lit wall taken for one)
        # only with the stages, which are there to show why a frame failed
        self.camera_view.set_overlay(prep.sheet if prep.found or stages is not None else None,
                                     prep.bbox)
        self.camera_view.set_result(prep.image, "" if prep.found else (prep.reason or "no digit"))
        return prep      # digit or not: every frame counts for the session's steadier

    def show_on_pad(self, img: np.ndarray) -> None:
        """A picture the window shows as the input (a gallery or test image): it goes onto
        the pad to draw over, while the network keeps the exact picture until the pad is
        drawn on. A picture the pad cannot show clears it, so no old drawing is left."""
        self.set_source("pad")
        arr = np.asarray(img)
        try:
            self.pad.set_image(np.moveaxis(arr, 0, -1) if arr.ndim == 3 else arr)
        except Vis3dError:
            self.pad.clear()
        self._pad_version, self._pending = self.pad.version, None

    def load_image(self, img: np.ndarray) -> Prepared | None:
        """An image from --input, prepared by the same function as ``vis3d predict``
        (:func:`vis3d.inputs.preprocess.prepare`, source 'auto'). A drawing also goes onto
        the pad (to draw on further) and its result comes from the next :meth:`poll`; for a
        photo the result is returned to be shown."""
        prepared = prepare(img, "auto")
        self.set_source("pad")
        if prepared.source != "pad":
            return prepared
        try:
            self.pad.set_image(img)
        except Vis3dError:
            pass                      # not a picture the pad can show: the reason is in prepared
        self._pending = prepared
        return None
