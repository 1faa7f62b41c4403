"""The top-images dock: for the pinned node, the 9 test images that excite it most (a conv
node's cropped to its receptive field, as the Deep Visualization Toolbox shows them), and
the 9 that excite its channel most (by the channel's maximum). Computed over the test set in
a worker (vis3d.ui.insight_jobs), cached on disk per model; a click shows the image."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from vis3d.scene import tiles
from vis3d.ui.panels import ImageView

K = 9


class _Tile(ImageView):
    clicked = pyqtSignal(int)

    def __init__(self):
        super().__init__("", min_size=44)
        self.index = -1

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.index >= 0:
            self.clicked.emit(self.index)


class TopImages(QWidget):
    picked = pyqtSignal(int)                 # a test-set index
    wanted = pyqtSignal(str, bool)           # (layer, by channel): compute these

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.testset = None
        self.node = None
        self.title = QLabel("Pin a node to see the test images that excite it most.")
        self.title.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        self.grids, self.heads = {}, {}
        for key, text in (("node", "this node"), ("channel", "its channel (by the channel's maximum)")):
            head = QLabel(text)
            self.heads[key] = head
            lay.addWidget(head)
            grid = QGridLayout()
            tiles_ = []
            for i in range(K):
                t = _Tile()
                t.setMinimumHeight(84)    # the picture about as tall as the tile is wide
                t.clicked.connect(self.picked)
                grid.addWidget(t, i // 3, i % 3)
                tiles_.append(t)
            lay.addLayout(grid)
            self.grids[key] = tiles_
        lay.addStretch(1)
        session.events.pinned.connect(self._on_pinned)
        session.events.model.connect(lambda _s: self._on_pinned(None))

    def set_testset(self, testset) -> None:
        self.testset = testset
        self._on_pinned(self.session.pinned)

    def _clear(self, key: str, caption: str = "") -> None:
        for t in self.grids[key]:
            t.index = -1
            t.set_image(None, caption=caption)

    def _on_pinned(self, node) -> None:
        self.node = node
        for key in self.grids:
            self._clear(key)
        s = self.session
        if node is None:
            self.title.setText("Pin a node to see the test images that excite it most.")
            return
        slab, local = s.layout.locate(node)
        for t in self.grids["channel"]:
            t.setVisible(slab.is_map)
        self.heads["channel"].setText("its channel (by its maximum)" if slab.is_map
                                      else "(a vector layer: no channels)")
        if slab.kind == "input":
            self.title.setText("An input pixel: pin a node of a layer.")
            return
        self.title.setText(f"{s.node_name(node)}: computing over the test images…")
        self.wanted.emit(slab.name, False)
        if slab.is_map:
            self.wanted.emit(slab.name, True)

    def show_top(self, layer: str, channels: bool, result) -> None:
        """A worker's answer: fills the grid if it is for the pinned node's layer."""
        s, node, ts = self.session, self.node, self.testset
        if node is None or ts is None:
            return
        slab, local = s.layout.locate(node)
        if slab.name != layer:
            return
        idx, vals = result
        key = "channel" if channels else "node"
        col = local // (slab.count // slab.shape[0]) if channels else local
        box = None if channels else tiles.receptive_field(s, node)
        for t, i, v in zip(self.grids[key], idx[:, col], vals[:, col]):
            img = ts.picture(int(i))
            if box is not None and slab.is_map:
                r0, r1, c0, c1 = box
                img = img[r0:r1 + 1, c0:c1 + 1]
            t.index = int(i)
            t.set_image(np.ascontiguousarray(img), caption=f"#{int(i)} {float(v):.3g}")
            t.setToolTip(f"test image {int(i)}: activation {float(v):.4f}")
        self.title.setText(f"{s.node_name(node)}: the test images that excite it most "
                           f"({ts.source}); click one to show it")
