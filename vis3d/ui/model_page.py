"""The model page dock: the per-epoch loss and accuracy curves recorded in the model card
(``history``, written by ``vis3d train``) and the test-set confusion matrix; a click on a
cell filters the gallery to those images."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PyQt5.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from vis3d.ui.panels import ACCENT, DIM, TEXT

LOSS = QColor("#5fb3ff")


class Curves(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.history: dict | None = None
        self.setMinimumHeight(140)

    def set_history(self, history) -> None:
        """The card's per-epoch records (``vis3d train`` and the builder write a list of
        {epoch, loss, train_accuracy, test_accuracy, seconds})."""
        rows = [h for h in history if isinstance(h, dict) and "loss" in h] \
            if isinstance(history, list) else []
        self.history = None if not rows else {
            "loss": [float(h["loss"]) for h in rows],
            "accuracy": [float(h["train_accuracy"]) for h in rows if "train_accuracy" in h],
            "test": [float(h["test_accuracy"]) for h in rows if "test_accuracy" in h]}
        self.update()

    def paintEvent(self, _event):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), QColor("#0b0d12"))
        if self.history is None:
            p.setPen(DIM)
            p.drawText(QRectF(0, 0, w, h), Qt.AlignCenter | Qt.TextWordWrap,
                       "no training curves in this model card\n(vis3d train records them)")
            p.end()
            return
        lh = p.fontMetrics().height()
        area = QRectF(34, 10, w - 70, h - 18 - 2 * lh)   # two lines of legend below
        p.setPen(QPen(DIM, 1))
        p.drawRect(area)
        loss = np.asarray(self.history["loss"], float)
        acc = np.asarray(self.history.get("accuracy") or [], float)
        n = len(loss)

        def line(values, lo, hi, colour):
            if len(values) < 1:
                return
            xs = area.left() + area.width() * np.arange(len(values)) / max(1, n - 1)
            ys = area.bottom() - area.height() * (values - lo) / ((hi - lo) or 1)
            p.setPen(QPen(colour, 2))
            for i in range(1, len(values)):
                p.drawLine(QPointF(xs[i - 1], ys[i - 1]), QPointF(xs[i], ys[i]))
            if len(values) == 1:
                p.drawEllipse(QPointF(xs[0], ys[0]), 2, 2)

        line(loss, 0.0, float(loss.max()), LOSS)
        if len(acc):
            lo = float(min(acc.min(), 0.9))
            line(acc, lo, 1.0, ACCENT)
            test = np.asarray(self.history.get("test") or [], float)
            if len(test):
                line(test, lo, 1.0, TEXT)
            p.setPen(ACCENT)
            p.drawText(QRectF(area.right() + 2, area.top() - 6, 36, 14), Qt.AlignLeft, "100%")
            p.drawText(QRectF(area.right() + 2, area.bottom() - 8, 36, 14), Qt.AlignLeft,
                       f"{100 * lo:.0f}%")
        p.setPen(LOSS)
        p.drawText(QRectF(0, area.top() - 6, 32, 14), Qt.AlignRight, f"{loss.max():.2f}")
        p.drawText(QRectF(0, area.bottom() - 8, 32, 14), Qt.AlignRight, "0")
        p.setPen(TEXT)
        p.drawText(QRectF(4, h - 2 * lh - 2, w - 8, 2 * lh), Qt.AlignCenter | Qt.TextWordWrap,
                   f"epoch 1..{n}:  loss (blue), training (amber) and test accuracy (white)")
        p.end()


class ConfusionGrid(QWidget):
    cell_clicked = pyqtSignal(int, int)      # (true, predicted)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.names: list[str] = []
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_matrix(self, matrix, names) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix)
        self.names = list(names)
        self.update()

    def _geometry(self):
        k = len(self.matrix)
        side = max(1.0, min(self.width() - 26, self.height() - 38) / k)
        return k, side, 24.0, 34.0    # row names on the left; the title and column names above

    def cell_at(self, x: float, y: float):
        if self.matrix is None:
            return None
        k, side, x0, y0 = self._geometry()
        c, r = int((x - x0) // side), int((y - y0) // side)
        return (r, c) if 0 <= r < k and 0 <= c < k else None

    def cell_centre(self, r: int, c: int) -> QPointF:
        k, side, x0, y0 = self._geometry()
        return QPointF(x0 + (c + 0.5) * side, y0 + (r + 0.5) * side)

    def mouseReleaseEvent(self, event) -> None:
        cell = self.cell_at(event.pos().x(), event.pos().y())
        if cell is not None and event.button() == Qt.LeftButton:
            self.cell_clicked.emit(*cell)

    def paintEvent(self, _event):
        p = QPainter(self)
        if self.matrix is None:
            p.setPen(DIM)
            p.drawText(QRectF(0, 0, self.width(), self.height()), Qt.AlignCenter,
                       "computing the confusion matrix…")
            p.end()
            return
        k, side, x0, y0 = self._geometry()
        m = self.matrix.astype(float)
        rows = m.sum(1, keepdims=True)
        frac = m / np.maximum(rows, 1)
        p.setPen(DIM)
        p.drawText(QRectF(x0, 0, k * side, 16), Qt.AlignCenter, "predicted →")
        fm = p.fontMetrics()
        for i in range(k):
            name = self.names[i] if i < len(self.names) else str(i)
            p.drawText(QRectF(0, y0 + i * side, x0 - 4, side), Qt.AlignRight | Qt.AlignVCenter,
                       fm.elidedText(name, Qt.ElideRight, int(x0 - 4)))
            p.drawText(QRectF(x0 + i * side, 17, side, 16), Qt.AlignCenter,
                       fm.elidedText(name, Qt.ElideRight, int(side)))
        font = QFont(self.font())
        font.setPointSize(7)                # counts in a smaller type: three digits fit a cell
        p.setFont(font)
        small = QFontMetrics(font)
        for r in range(k):
            for c in range(k):
                f = frac[r, c]
                if r == c:
                    colour = QColor.fromRgbF(0.15, 0.25 + 0.45 * f, 0.35 + 0.3 * f)
                else:
                    g = min(1.0, 8 * f)
                    colour = QColor.fromRgbF(0.12 + 0.8 * g, 0.13 + 0.2 * g, 0.18)
                cell = QRectF(x0 + c * side, y0 + r * side, side - 1, side - 1)
                p.fillRect(cell, colour)
                if m[r, c] and side >= small.horizontalAdvance(str(int(m[r, c]))) + 2:
                    p.setPen(TEXT)
                    p.drawText(cell, Qt.AlignCenter, str(int(m[r, c])))
        p.end()


class ModelPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("")
        self.title.setWordWrap(True)
        self.curves = Curves()
        self.confusion = ConfusionGrid()
        self.confusion.setToolTip("rows: true label; columns: predicted. Click a cell to "
                                  "show its images in the gallery.")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.curves)
        head = QLabel("test-set confusion (rows: true label, columns: predicted)")
        head.setWordWrap(True)
        lay.addWidget(head)
        lay.addWidget(self.confusion, 1)

    def set_model(self, name: str, card: dict) -> None:
        acc = card.get("test_accuracy")
        extra = f", card test accuracy {100 * acc:.2f}%" if isinstance(acc, (int, float)) else ""
        self.title.setText(f"{name}{extra}")
        self.curves.set_history(card.get("history"))
        self.confusion.set_matrix(None, [])

    def set_stats(self, stats, names, source: str) -> None:
        self.confusion.set_matrix(stats.confusion, names)
        self.title.setText(self.title.text().split("  |")[0]
                           + f"  |  {100 * stats.accuracy:.2f}% on {source}")
