"""Mouse and keys on the 3D canvas, translated into session changes.

Hover sets ``session.hovered``; a click (a press and release that did not drag) pins or
unpins; a double-click flies to the layer; R resets the view, O toggles auto-orbit, H hides
the controls hint. The tooltip and the status line follow the hovered node's description,
built from the edges the session computed (never a second time).
"""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QObject, QPoint, pyqtSignal
from PyQt5.QtWidgets import QToolTip

CLICK_SLOP_PX = 4


def tooltip_text(description: str) -> str:
    """A node's one-line description as a tooltip: one contributing input per line, so it
    stays narrow."""
    head, _, rest = description.partition("  | ")
    if not rest:
        return head
    count, _, top = rest.partition(" top: ")
    lines = [head, count.rstrip(",") + ", strongest:"] + ["  " + p for p in top.split(", ") if p]
    return "\n".join(lines)


class SceneMouse(QObject):
    hover_text = pyqtSignal(str)     # the hovered node's description ('' for none)
    hint_dismissed = pyqtSignal()   # the user started using the scene: hide the hint for now
    hint_toggled = pyqtSignal()     # H: show or hide the hint (remembered)
    alt_clicked = pyqtSignal(int)    # Alt+click on a node (ablation)
    context_requested = pyqtSignal(int, QPoint)   # right click: node (-1 none), global pos
    orbit_toggled = pyqtSignal()

    def __init__(self, canvas, view, session, parent=None):
        super().__init__(parent)
        self.canvas, self.view, self.session = canvas, view, session
        self._press = None
        self._pos = (0.0, 0.0)
        ev = canvas.events
        ev.mouse_move.connect(self._on_move)
        ev.mouse_press.connect(self._on_press)
        ev.mouse_release.connect(self._on_release)
        ev.mouse_double_click.connect(self._on_double)
        ev.mouse_wheel.connect(lambda _e: self.hint_dismissed.emit())
        ev.key_press.connect(self._on_key)
        session.events.edges.connect(self._on_edges)
        session.events.hovered.connect(self._on_hovered)

    def _on_move(self, event) -> None:
        if event.is_dragging:
            return
        self._pos = tuple(event.pos[:2])
        self.session.hovered = self.view.pick(*self._pos)

    def _on_hovered(self, node: int) -> None:
        if node < 0:
            self.hover_text.emit("")
            QToolTip.hideText()
        elif self.session.pinned is not None:
            self._show(node, None)   # pinned: the edges stay with the pinned node

    def _on_edges(self, update) -> None:
        node = self.session.hovered
        if node >= 0 and update.node == node and update.geometry:
            self._show(node, update.incoming)

    def _show(self, node: int, incoming) -> None:
        text = self.session.describe(node, incoming=incoming)
        self.hover_text.emit(text)
        x, y = self._pos
        QToolTip.showText(self.canvas.native.mapToGlobal(QPoint(int(x) + 16, int(y) + 12)),
                          tooltip_text(text), getattr(self.canvas.native, "container",
                                                      self.canvas.native))

    def _on_press(self, event) -> None:
        self._press = tuple(event.pos[:2]) if event.button in (1, 2) else None
        self.hint_dismissed.emit()

    def _on_release(self, event) -> None:
        if self._press is None or event.button not in (1, 2):
            return
        moved = np.hypot(event.pos[0] - self._press[0], event.pos[1] - self._press[1])
        self._press = None
        if moved > CLICK_SLOP_PX:
            # An orbit or pan moved the scene under the pointer: what is hovered now?
            self._pos = tuple(event.pos[:2])
            self.session.hovered = self.view.pick(*self._pos)
            return
        node = self.view.pick(*event.pos[:2])
        x, y = (int(v) for v in event.pos[:2])
        if event.button == 2:
            self.context_requested.emit(node, self.canvas.native.mapToGlobal(QPoint(x, y)))
        elif any(getattr(m, "name", m) == "Alt" for m in (event.modifiers or ())):
            if node >= 0:
                self.alt_clicked.emit(node)
        else:
            self.session.click(node)

    def _on_double(self, event) -> None:
        slab = self.view.slab_at(*event.pos[:2])
        if slab is not None:
            self.view.fly_to(slab)

    def _on_key(self, event) -> None:
        # The toolbar shortcuts need an active window; keys typed into the scene work always.
        if event.key is None or event.modifiers:
            return
        name = event.key.name
        if name == "R":
            self.view.reset_camera()
            self.session.hovered = self.view.pick(*self._pos)
        elif name == "O":
            self.orbit_toggled.emit()
        elif name == "H":
            self.hint_toggled.emit()
