"""The input side of the window: the draw pad and the camera, and which one is live.

``poll()`` is called by the window's tick: it returns a new ``Prepared`` 28x28 input
only when the active source has produced something new since the last call.
"""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSlider, QTabWidget, QVBoxLayout,
                             QWidget)

from vis3d.inputs.camera import CameraSource, parse_camera_spec
from vis3d.errors import Vis3dError
from vis3d.inputs.preprocess import Prepared, prepare, prepare_camera, prepare_pad
from vis3d.ui.camera_view import CameraView
from vis3d.ui.drawpad import DrawPad


class InputPanel(QWidget):
    status = pyqtSignal(str)        # messages for the status bar
    source_changed = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
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
        self.camera_view = CameraView()
        cl.addWidget(self.camera_view, 1)
        self.camera_hint = QLabel("Hold a digit written in dark ink on white paper inside the box.")
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
        if index == 1 and self.camera is None:
            self.open_camera(self.camera_spec or "0")
        self.source_changed.emit(self.source)

    def open_camera(self, spec: str) -> bool:
        """Start a camera (index or video file). On failure: say so, stay on the pad."""
        self.close_camera()
        self.camera_spec = spec
        try:
            cam = CameraSource(parse_camera_spec(spec))
            cam.start()
        except Vis3dError as exc:
            self.camera_view.set_status(str(exc))
            self.status.emit(f"{exc} - using the draw pad")
            self.tabs.blockSignals(True)
            self.tabs.setCurrentIndex(0)
            self.tabs.blockSignals(False)
            self.source_changed.emit("pad")
            return False
        self.camera = cam
        self._cam_seq = -1
        self.status.emit(cam.message or f"camera {spec} started")
        return True

    def close_camera(self) -> None:
        if self.camera is not None:
            self.camera.stop(timeout=1.0)
            self.camera = None

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
        if cam.state != self._cam_state:
            self._cam_state = cam.state
            self.camera_view.set_status("" if cam.state == "running" else cam.message)
            if cam.state in ("retrying", "ended", "lost"):
                self.status.emit(cam.message)
        seq, frame = cam.latest()
        if frame is None or seq == self._cam_seq:
            return None
        self._cam_seq = seq
        prep = prepare_camera(frame)
        self.camera_view.show_frame(frame)
        self.camera_view.set_overlay(prep.sheet, prep.bbox)
        self.camera_view.set_result(prep.image, "" if prep.found else (prep.reason or "no digit"))
        return prep

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
