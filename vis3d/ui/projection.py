"""The projection dock: PCA of one layer's activations over the test images as a 3D point
cloud coloured by label (vis3d.gl.projection), the current input a highlighted point that
moves while you draw; a click on a point makes that image the input."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from vispy import scene as vscene

from vis3d.gl.projection import ProjectionView
from vis3d.scene import analysis as A

CLICK_SLOP_PX = 4


class ProjectionPanel(QWidget):
    picked = pyqtSignal(int)          # a test-set index
    layer_wanted = pyqtSignal(str)    # the user chose a layer: compute its projection

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.data = None              # the projection dict of vis3d.model.insight
        self.layer = None
        self.box = QComboBox()
        self.box.setToolTip("Layer to project")
        self.box.activated.connect(lambda _i: self.choose(self.box.currentData()))
        self.status = QLabel("")
        self.status.setStyleSheet("color: #7d879c")
        self.status.setWordWrap(True)
        self.canvas = vscene.SceneCanvas(keys=None, show=False, size=(360, 300))
        self.view = ProjectionView(self.canvas)
        self._press = None
        self.canvas.events.mouse_press.connect(self._on_press)
        self.canvas.events.mouse_release.connect(self._on_release)
        top = QHBoxLayout()
        top.addWidget(QLabel("layer"))
        top.addWidget(self.box, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.canvas.native, 1)
        lay.addWidget(self.status)
        session.events.model.connect(lambda _s: self.fill_layers())
        session.events.result.connect(lambda _s: self.update_current())
        self.fill_layers()

    def fill_layers(self) -> None:
        self.box.clear()
        self.data, self.layer = None, None
        for s in self.session.layout.slabs:
            if s.kind != "input":
                self.box.addItem(s.label, s.name)
        linear = [s.name for s in self.session.layout.slabs if s.kind == "linear"]
        default = linear[-1] if linear else self.box.itemData(max(0, self.box.count() - 1))
        self.box.setCurrentIndex(max(0, self.box.findData(default)))

    def choose(self, layer: str) -> None:
        self.box.setCurrentIndex(max(0, self.box.findData(layer)))
        self.status.setText(f"computing the projection of {layer}…")
        self.layer_wanted.emit(layer)

    def show_projection(self, layer: str, data: dict) -> None:
        self.layer, self.data = layer, data
        slab = self.session.layout.slab(layer)
        self.view.set_points(data["coords"], data["labels"], slab.label, data["ratio"],
                             self.session.labels)
        self.status.setText(f"{len(data['labels']):,} test images; the ringed point is the "
                            f"current input; click a point to show it")
        self.update_current()

    def current_coord(self):
        """The live input's place in the projection (None without one)."""
        s = self.session
        if self.data is None or s.acts is None or not s.has_digit:
            return None
        slab = s.layout.slab(self.layer)
        v = s.acts.probs if slab.kind == "output" else s.acts[slab.value_layer].values
        return A.project(v, self.data["mean"], self.data["comps"])[0]

    def update_current(self) -> None:
        if self.data is not None:
            self.view.set_current(self.current_coord())

    def _on_press(self, event) -> None:
        self._press = tuple(event.pos[:2]) if event.button == 1 else None

    def _on_release(self, event) -> None:
        if self._press is None or event.button != 1:
            return
        moved = np.hypot(event.pos[0] - self._press[0], event.pos[1] - self._press[1])
        self._press = None
        if moved <= CLICK_SLOP_PX:
            i = self.view.pick(*event.pos[:2])
            if i >= 0:
                self.picked.emit(i)
