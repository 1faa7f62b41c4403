"""The pinned node's details: its receptive field on the input, its weights, and its
activation over the last seconds. It subscribes to the session itself: a new pin draws
everything; a new input redraws the text and the field, never the weight image."""

from __future__ import annotations

import time

import numpy as np
from PyQt5.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from vis3d.scene import tiles
from vis3d.ui.panels import ImageView, Sparkline

# What stands in the weights' place for a node that has no weight image.
NO_WEIGHTS = {
    "input": "(an input node: no weights)",
    "pool": "(pooling: a window, no weights)",
    "adaptive pool": "(pooling: a window, no weights)",
    "bn": "(batch norm: one scale edge)",
    "add": "(a sum: weight 1 per operand)",
    "cat": "(concatenation: one source)",
    "": "(no weight image for this node)",
}


class DetailsPanel(QWidget):
    """What a pinned node is: its receptive field, its weights, its recent activation."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("Click a node to pin it.")
        self.title.setMinimumHeight(48)
        self.title.setWordWrap(True)
        # Long descriptions wrap; they must never widen the dock (that would move the scene).
        self.title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.field = ImageView("receptive field on the input")
        self.weights = ImageView("weights")
        self.history = Sparkline()
        lay.addWidget(self.title)
        lay.addWidget(self.field)
        lay.addWidget(self.weights)
        lay.addWidget(QLabel("activation, last 10 s"))
        lay.addWidget(self.history)

    def show_node(self, title: str, field_img, box, weights, kind: str = "") -> None:
        """A newly pinned node: everything, the weight image included."""
        if weights is None:
            self.weights.set_image(None, caption=NO_WEIGHTS.get(kind, NO_WEIGHTS[""]))
        else:
            self.weights.set_image(weights[0], caption=weights[1])
        self.update_node(title, field_img, box)

    def update_node(self, title: str, field_img, box) -> None:
        """The pinned node under a new input: its text and receptive field, not its weights."""
        self.title.setText(title)
        self.field.set_image(field_img, box)

    def bind(self, session) -> None:
        self.session = session
        session.events.pinned.connect(self._on_pinned)
        session.events.result.connect(lambda s: s.pinned is not None and self._show(full=False))
        session.events.model.connect(lambda _s: self.clear())

    def _on_pinned(self, node) -> None:
        if node is None:
            self.clear()
        else:
            self._show(full=True)

    def _show(self, full: bool) -> None:
        s = self.session
        node = s.pinned
        title = "Pinned: " + s.describe(node, top=3).replace("  | ", "\n")
        box = tiles.receptive_field(s, node)
        if full:
            self.show_node(title, s.acts.input, box, tiles.weight_image(s, node),
                           s.layout.locate(node)[0].kind)
        else:
            self.update_node(title, s.acts.input, box)
        self.history.set_series(*s.pinned_history())

    def tick(self) -> None:
        """Every half second: the history's time axis moves on while it holds recent values."""
        s = getattr(self, "session", None)
        if s is not None and s.pinned is not None and s.history \
                and time.monotonic() - s.history[-1][0] < 10.5:
            self.history.set_series(*s.pinned_history())

    def clear(self) -> None:
        self.title.setText("Click a node to pin it.")
        self.field.set_image(None)
        self.weights.set_image(None)
        self.history.set_series(np.zeros(0), np.zeros(0))
