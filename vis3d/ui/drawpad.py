"""The draw pad: white antialiased strokes on black, like Harley's 280 px input pad.

The picture lives in a fixed-size square canvas (``canvas_size``, 280 px by default) so what the
network sees does not depend on how big the window is; the widget shows it scaled into the
largest centred square. Strokes are also kept as point lists, so Ctrl+Z can redraw the canvas
without the last stroke. Every change bumps :attr:`DrawPad.version` (the window's tick polls it:
that is the throttle) and emits :attr:`DrawPad.changed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vis3d.inputs import convert  # first: it configures OpenCV before cv2 loads

import cv2
import numpy as np
from PyQt5.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QKeySequence, QPainter, QPen, QPolygonF
from PyQt5.QtWidgets import QShortcut, QSizePolicy, QWidget

from vis3d.errors import Vis3dError

PEN_MIN, PEN_MAX, PEN_DEFAULT = 4, 40, 18     # pen width in pixels of a 280 px canvas
REFERENCE = 280.0


@dataclass
class Stroke:
    width: float                                   # in canvas pixels
    points: list[QPointF] = field(default_factory=list)


class DrawPad(QWidget):
    changed = pyqtSignal()

    def __init__(self, parent=None, canvas_size: int = 280):
        super().__init__(parent)
        self.canvas_size = int(canvas_size)
        self._canvas = QImage(self.canvas_size, self.canvas_size, QImage.Format_Grayscale8)
        self._canvas.fill(0)
        self._committed = self._canvas.copy()      # everything but the stroke being drawn
        self._base: QImage | None = None           # a loaded picture under the strokes
        self._strokes: list[Stroke] = []
        self._undo_clear: tuple[QImage | None, list[Stroke]] | None = None
        self._current: Stroke | None = None
        self._pen_px = float(PEN_DEFAULT)
        self._version = 0
        self.setMinimumSize(140, 140)
        policy = QSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)                # moves arrive even when buttons are not reported
        self.setCursor(Qt.CrossCursor)
        self.setToolTip("Draw with the left button; right-click clears; Ctrl+Z undoes a stroke")
        self._undo_shortcut = QShortcut(QKeySequence.Undo, self, self.undo,
                                        context=Qt.WindowShortcut)

    # --- size -----------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def _square(self) -> QRectF:
        side = float(min(self.width(), self.height()))
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_canvas(self, pos) -> QPointF:
        sq = self._square()
        scale = self.canvas_size / max(sq.width(), 1.0)
        return QPointF((pos.x() - sq.x()) * scale, (pos.y() - sq.y()) * scale)

    # --- public API -------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    @property
    def pen_width(self) -> float:
        return self._pen_px

    def set_pen_width(self, px: float) -> None:
        """Pen width in pixels of a 280 px pad (clamped to 4..40), used from the next stroke."""
        self._pen_px = float(min(max(float(px), PEN_MIN), PEN_MAX))

    def is_empty(self) -> bool:
        return not self._strokes and self._base is None

    def image(self) -> np.ndarray:
        """A (canvas_size, canvas_size) uint8 copy of the canvas: white ink on black."""
        img = self._canvas
        ptr = img.constBits()
        ptr.setsize(img.byteCount())
        a = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
        return a[:, :img.width()].copy()

    def clear(self) -> None:
        """Wipe the pad (undoable with Ctrl+Z while nothing new is drawn)."""
        if self.is_empty() and self._current is None:
            return
        self._undo_clear = (self._base, self._strokes)
        self._base, self._strokes, self._current = None, [], None
        self._redraw()

    def undo(self) -> None:
        """Remove the last stroke (or bring back what the last clear wiped)."""
        if self._current is not None:
            self._current = None
        if self._strokes:
            self._strokes.pop()
        elif self._undo_clear is not None:
            self._base, self._strokes = self._undo_clear
            self._undo_clear = None
        else:
            return
        self._redraw()

    def set_image(self, img) -> None:
        """Put a picture on the pad (an array or an image file): strokes are dropped, dark ink
        on a light background is inverted so the pad stays white on black."""
        if isinstance(img, (str, Path)):
            from vis3d.inputs.files import read_image
            arr = read_image(img)          # size-checked, errors name the file
        else:
            arr = np.asarray(img)
        gray = _to_gray_u8(arr)
        if gray is None:
            raise Vis3dError(f"not an image (shape {getattr(arr, 'shape', None)})")
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        if border.mean() > 127:
            gray = 255 - gray
        n = self.canvas_size
        h, w = gray.shape
        s = n / max(h, w)
        nh, nw = max(1, round(h * s)), max(1, round(w * s))
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
        square = np.zeros((n, n), np.uint8)
        y0, x0 = (n - nh) // 2, (n - nw) // 2
        square[y0:y0 + nh, x0:x0 + nw] = cv2.resize(gray, (nw, nh), interpolation=interp)
        self._base = QImage(square.data, n, n, n, QImage.Format_Grayscale8).copy()
        self._strokes, self._current, self._undo_clear = [], None, None
        self._redraw()

    # --- painting -------------------------------------------------------------------------
    def _pen(self, width: float) -> QPen:
        pen = QPen(QColor(255, 255, 255))
        pen.setWidthF(width)
        pen.setCapStyle(Qt.RoundCap)
        pen.setJoinStyle(Qt.RoundJoin)
        return pen

    def _bump(self) -> None:
        self._version += 1
        self.update()
        self.changed.emit()

    def _paint_strokes(self, target: QImage, strokes) -> None:
        p = QPainter(target)
        p.setRenderHint(QPainter.Antialiasing)
        for st in strokes:
            p.setPen(self._pen(st.width))
            if len(st.points) == 1:
                p.drawPoint(st.points[0])
            else:
                p.drawPolyline(QPolygonF(st.points))   # one path: no double-covered joints
        p.end()

    def _redraw(self) -> None:
        """Repaint from the loaded picture and the kept strokes (after undo, clear, load)."""
        self._committed.fill(0)
        if self._base is not None:
            p = QPainter(self._committed)
            p.drawImage(0, 0, self._base)
            p.end()
        done = [st for st in self._strokes if st is not self._current]
        self._paint_strokes(self._committed, done)
        self._canvas = self._committed.copy()
        if self._current is not None:
            self._paint_strokes(self._canvas, [self._current])
        self._bump()

    def _draw_current(self) -> None:
        """The stroke being drawn, over the finished ones (a 78 KB copy and one polyline)."""
        self._canvas = self._committed.copy()
        self._paint_strokes(self._canvas, [self._current])
        self._bump()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 26, 32))
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.drawImage(self._square(), self._canvas)
        p.end()

    # --- mouse and keys -------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.RightButton:
            self._current = None
            self.clear()
            return
        if event.button() != Qt.LeftButton:
            return
        self.setFocus(Qt.MouseFocusReason)
        pt = self._to_canvas(event.pos())
        width = self._pen_px * self.canvas_size / REFERENCE
        self._current = Stroke(width, [pt])
        self._strokes.append(self._current)
        self._undo_clear = None
        self._draw_current()

    def mouseMoveEvent(self, event) -> None:
        if self._current is None:
            return
        pt = self._to_canvas(event.pos())
        last = self._current.points[-1]
        if abs(pt.x() - last.x()) < 0.25 and abs(pt.y() - last.y()) < 0.25:
            return
        self._current.points.append(pt)
        self._draw_current()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self._current is not None:
            self.mouseMoveEvent(event)
            self._current = None
            self._committed = self._canvas.copy()

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.Undo):
            self.undo()
            return
        super().keyPressEvent(event)


def _to_gray_u8(arr) -> np.ndarray | None:
    """Any picture -> uint8 gray by the shared rules (:mod:`vis3d.inputs.convert`)."""
    gray, _ = convert.gray_u8(arr)
    return gray
