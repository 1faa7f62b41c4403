"""Side panels: prediction bars, small image views, colour bar, pinned-node details."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QRectF, Qt
from PyQt5.QtGui import QColor, QFont, QFontMetrics, QImage, QLinearGradient, QPainter, QPen
from PyQt5.QtWidgets import QSizePolicy, QWidget

ACCENT = QColor("#ffb347")
TEXT = QColor("#d7deec")
DIM = QColor("#7d879c")


def to_qimage(img: np.ndarray) -> QImage:
    """(H, W) gray or (H, W, 3) RGB of any dtype (scaled by :mod:`vis3d.inputs.convert`: float
    0..1, uint8, uint16...) -> a QImage that owns its data."""
    from vis3d.ui.camera_view import frame_to_qimage
    wrapped = frame_to_qimage(img, order="rgb")
    if wrapped is None:
        return QImage()
    return wrapped[0].copy()


class PredictionPanel(QWidget):
    """The top guess, large, and one probability bar per class (K from the model; names
    from ``set_labels``, else 0..K-1)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels = [str(k) for k in range(10)]
        self.probs = np.zeros(10, np.float32)
        self.digit: int | None = None
        self.note = "draw a digit"
        self.setMinimumSize(220, 170)

    def set_labels(self, labels) -> None:
        self.labels = [str(v) for v in labels]
        self.probs = np.zeros(len(self.labels), np.float32)
        self.update()

    def set_prediction(self, probs, digit: int | None, note: str = "") -> None:
        k = len(self.labels)
        self.probs = np.zeros(k, np.float32) if probs is None else np.asarray(probs, np.float32)
        self.digit, self.note = digit, note
        self.setToolTip(note)
        self.update()

    def show(self, pred) -> None:  # noqa: A003 - a session.Prediction
        self.set_prediction(pred.probs, pred.digit, pred.note)

    def paintEvent(self, _event):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self.width(), self.height()
        big = QFont(self.font())
        big.setPointSize(34)
        big.setBold(True)
        p.setFont(big)
        p.setPen(ACCENT if self.digit is not None else DIM)
        guess = "–" if self.digit is None else (
            self.labels[self.digit] if self.digit < len(self.labels) else str(self.digit))
        while big.pointSize() > 12 and QFontMetrics(big).horizontalAdvance(guess) > 78:
            big.setPointSize(big.pointSize() - 2)   # a long label shrinks to fit its box
        p.setFont(big)
        guess = p.fontMetrics().elidedText(guess, Qt.ElideRight, 80)
        p.drawText(QRectF(0, 0, 80, 64), Qt.AlignCenter, guess)
        small = QFont(self.font())
        small.setPointSize(9)
        p.setFont(small)
        p.setPen(TEXT)
        conf = f"{100 * self.probs[self.digit]:.1f}%" if self.digit is not None else ""
        p.drawText(QRectF(84, 8, w - 88, 24), Qt.AlignLeft | Qt.AlignVCenter, conf)
        p.setPen(DIM)
        # a reason may be long ("no digit (a faint solid bar, ...)"): two lines, elided (in
        # full as the tooltip); a word wider than the room left on a line goes to the next
        fm = p.fontMetrics()
        room = w - 88
        note = fm.elidedText(self.note, Qt.ElideRight, int(1.8 * room))
        p.drawText(QRectF(84, 30, room, 2 * fm.height() + 2),
                   Qt.AlignLeft | Qt.AlignTop | Qt.TextWordWrap, note)
        top, bottom = 74, h - 18
        n = max(1, len(self.probs))
        bw = (w - 16) / n
        fm = p.fontMetrics()
        names = [self.labels[k] if k < len(self.labels) else str(k) for k in range(n)]
        widest = max(fm.horizontalAdvance(t) for t in names) + 6
        step = max(1, int(np.ceil(widest / max(bw, 1e-6))))  # every label that fits
        for k in range(n):
            x = 8 + k * bw
            full = bottom - top
            p.fillRect(QRectF(x + 3, top, bw - 6, full), QColor("#1c2130"))
            v = float(self.probs[k]) if k < len(self.probs) else 0.0
            col = ACCENT if k == self.digit else QColor("#5b8fd9")
            p.fillRect(QRectF(x + 3, bottom - full * v, bw - 6, full * v), col)
            p.setPen(TEXT)
            if k % step == 0:
                name = names[k]
                p.drawText(QRectF(x - 0.5 * bw * (step - 1), bottom + 1, bw * step, 16),
                           Qt.AlignCenter, name)
        p.end()


class ImageView(QWidget):
    """A small image scaled without smoothing, with an optional highlighted rectangle."""

    def __init__(self, title: str = "", parent=None, min_size: int = 112):
        super().__init__(parent)
        self.title = title
        self.image: QImage | None = None
        self.box = None  # (row0, row1, col0, col1) in image pixels, inclusive
        self.caption = ""
        self.setMinimumSize(min_size, min_size + 16)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_image(self, img: np.ndarray | None, box=None, caption: str = "",
                  title: str | None = None) -> None:
        self.image = None if img is None else to_qimage(img)
        self.box, self.caption = box, caption
        self.title = self.title if title is None else title
        self.update()

    def paintEvent(self, _event):
        p = QPainter(self)
        p.setPen(DIM)
        lh = p.fontMetrics().height()      # whole lines: no descender cut off
        p.drawText(QRectF(0, 0, self.width(), lh), Qt.AlignLeft, self.title)
        area = QRectF(0, lh + 2, self.width(), self.height() - lh - 2 - (lh if self.caption else 0))
        p.fillRect(area, QColor("#0b0d12"))
        if self.image is not None and not self.image.isNull():
            iw, ih = self.image.width(), self.image.height()
            s = min(area.width() / iw, area.height() / ih)
            target = QRectF(area.x() + (area.width() - iw * s) / 2, area.y() + (area.height() - ih * s) / 2,
                            iw * s, ih * s)
            p.drawImage(target, self.image)
            if self.box is not None:
                r0, r1, c0, c1 = self.box
                p.setPen(QPen(ACCENT, 2))
                p.drawRect(QRectF(target.x() + c0 * s, target.y() + r0 * s,
                                  (c1 - c0 + 1) * s, (r1 - r0 + 1) * s))
        if self.caption:
            p.setPen(DIM)
            text = p.fontMetrics().elidedText(self.caption, Qt.ElideRight, self.width())
            p.drawText(QRectF(0, self.height() - lh, self.width(), lh), Qt.AlignLeft, text)
        p.end()


class ColorBar(QWidget):
    """The colour table with what its ends mean under the current normalisation."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lut = np.zeros((2, 4), np.float32)
        self.left, self.right, self.caption = "0", "1", ""
        self.setMinimumHeight(22 + 2 * self.fontMetrics().height())

    def set_mapping(self, lut: np.ndarray, left: str, right: str, caption: str) -> None:
        if lut is self.lut and (left, right, caption) == (self.left, self.right, self.caption):
            return  # nothing changed: no repaint
        self.lut, self.left, self.right, self.caption = lut, left, right, caption
        self.update()

    def show_normalisation(self, lut: np.ndarray, normaliser) -> None:
        """What the colour ends mean under the normaliser's current mode."""
        if normaliser.mode == "layer":
            self.set_mapping(lut, "layer min", "layer max", "per layer; input and output 0→1")
            return
        hidden = [r for s, r in zip(normaliser.layout.slabs, normaliser.ranges)
                  if s.kind not in ("input", "output")]
        lo, hi = hidden[0] if hidden else (0.0, 1.0)
        self.set_mapping(lut, f"{lo:.2f}", f"{hi:.2f}", "global; input and output 0→1")

    def paintEvent(self, _event):
        p = QPainter(self)
        w = self.width()
        grad = QLinearGradient(8, 0, w - 8, 0)
        n = len(self.lut)
        for i in range(0, n, max(1, n // 32)):
            r, g, b = (self.lut[i, :3] * 255).astype(int)
            grad.setColorAt(i / max(n - 1, 1), QColor(r, g, b))
        r, g, b = (self.lut[-1, :3] * 255).astype(int)
        grad.setColorAt(1.0, QColor(r, g, b))
        p.fillRect(QRectF(8, 2, w - 16, 14), grad)
        lh = p.fontMetrics().height()      # whole lines: no descender or accent cut off
        p.setPen(TEXT)
        p.drawText(QRectF(8, 18, w / 2, lh), Qt.AlignLeft, self.left)
        p.drawText(QRectF(w / 2, 18, w / 2 - 8, lh), Qt.AlignRight, self.right)
        p.setPen(DIM)
        p.drawText(QRectF(8, 18 + lh, w - 16, lh), Qt.AlignLeft, self.caption)
        p.end()


class Sparkline(QWidget):
    """A pinned node's activation over the last seconds."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.t = np.zeros(0)
        self.v = np.zeros(0)
        self.span = 10.0
        self.setMinimumHeight(60)

    def set_series(self, t: np.ndarray, v: np.ndarray, span: float = 10.0) -> None:
        self.t, self.v, self.span = t, v, span
        self.update()

    def paintEvent(self, _event):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#0b0d12"))
        band = 16  # the text band at the top; the line is drawn below it
        if len(self.v):
            lo, hi = min(0.0, float(self.v.min())), max(float(self.v.max()), 1e-6)
            xs = (1 + self.t / self.span) * (w - 8) + 4
            ys = h - 4 - (self.v - lo) / (hi - lo) * (h - band - 8)
            p.setPen(QPen(ACCENT, 1.5))
            if len(xs) == 1:
                p.drawEllipse(QRectF(xs[0] - 2, ys[0] - 2, 4, 4))
            for k in range(1, len(xs)):
                p.drawLine(int(xs[k - 1]), int(ys[k - 1]), int(xs[k]), int(ys[k]))
            p.setPen(TEXT)
            p.drawText(QRectF(4, 1, w - 8, band - 2), Qt.AlignLeft | Qt.AlignVCenter,
                       f"now {self.v[-1]:.3f}   max {float(self.v.max()):.3f}")
        else:
            p.setPen(DIM)
            p.drawText(QRectF(0, 0, w, h), Qt.AlignCenter, "pin a node to follow it")
        p.end()
