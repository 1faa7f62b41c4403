"""The camera page's controls: which camera (the ones that exist, with a refresh), at what
resolution, a mirrored preview, and the pipeline's stages on request.

Listing devices opens none of them (:func:`vis3d.inputs.devices.list_devices`), and choosing
one only asks the input panel to start a :class:`~vis3d.inputs.camera.CameraSource`, which
opens it in its own thread: nothing here blocks the window.
"""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QPushButton, QVBoxLayout,
                             QWidget)

from vis3d.inputs.devices import list_devices

RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080))


class CameraControls(QWidget):
    device_chosen = pyqtSignal(str)          # a device index or a video file, as text
    resolution_chosen = pyqtSignal(int, int)
    mirror_toggled = pyqtSignal(bool)
    stages_toggled = pyqtSignal(bool)

    def __init__(self, parent=None, lister=list_devices):
        super().__init__(parent)
        self._lister = lister
        self._filling = False
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(2)
        self.devices = QComboBox()
        self.devices.setToolTip("Camera to read (the cameras found on this computer)")
        # narrow by default: the input dock must not grow for a long camera name
        self.devices.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.devices.setMinimumContentsLength(8)
        self.devices.activated.connect(self._device_activated)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Look for cameras again")
        # (not connected to refresh itself: clicked's `checked` would arrive as `current`)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.resolution = QComboBox()
        self.resolution.setToolTip("Resolution asked of the camera")
        for w, h in RESOLUTIONS:
            self.resolution.addItem(f"{w}x{h}", (w, h))
        self.resolution.activated.connect(self._resolution_activated)
        self.mirror = QCheckBox("Mirror")
        self.mirror.setToolTip("Show the preview mirrored, like a mirror (the digit is read unmirrored)")
        self.mirror.setChecked(True)
        self.mirror.toggled.connect(self.mirror_toggled)
        self.stages = QCheckBox("Stages")
        self.stages.setToolTip("Show how the frame was read: the sheet found, the ink mask, "
                               "the 28x28 input and why a frame gave no digit")
        self.stages.toggled.connect(self.stages_toggled)
        top, bottom = QHBoxLayout(), QHBoxLayout()
        top.addWidget(self.devices, 1)
        top.addWidget(self.refresh_button)
        bottom.addWidget(self.resolution)
        bottom.addWidget(self.mirror)
        bottom.addWidget(self.stages)
        bottom.addStretch(1)
        rows.addLayout(top)
        rows.addLayout(bottom)
        self.refresh()

    # --- devices ----------------------------------------------------------------------------
    def refresh(self, current: str | None = None) -> None:
        """List the cameras that exist now; keep ``current`` (or the chosen one) selected,
        adding it when it is a video file or a camera that is not listed."""
        keep = current if current is not None else self.current_spec()
        self._filling = True
        try:
            self.devices.clear()
            try:
                found = self._lister()
            except Exception:  # noqa: BLE001 - a listing problem is just "none found"
                found = []
            for index, name in found:
                self.devices.addItem(name, str(index))
            if keep is not None and self.devices.findData(keep) < 0:
                self.devices.addItem(keep if not keep.isdigit() else f"camera {keep}", keep)
            if self.devices.count() == 0:
                self.devices.addItem("no camera found", None)
            i = self.devices.findData(keep) if keep is not None else 0
            self.devices.setCurrentIndex(max(i, 0))
        finally:
            self._filling = False

    def current_spec(self) -> str | None:
        data = self.devices.currentData()
        return None if data is None else str(data)

    def set_current(self, spec: str) -> None:
        """Show ``spec`` as the chosen camera (without asking to open it again)."""
        self.refresh(str(spec))

    def _device_activated(self, index: int) -> None:
        if self._filling:
            return
        spec = self.devices.itemData(index)
        if spec is not None:
            self.device_chosen.emit(str(spec))

    # --- resolution -------------------------------------------------------------------------
    def chosen_size(self) -> tuple[int, int]:
        w, h = self.resolution.currentData()
        return int(w), int(h)

    def _resolution_activated(self, index: int) -> None:
        w, h = self.resolution.itemData(index)
        self.resolution_chosen.emit(int(w), int(h))
