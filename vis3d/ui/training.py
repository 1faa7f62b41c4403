"""Training in the window: the worker thread around the Qt-free ``Trainer``, the live
loss/accuracy curves and the confusion matrix."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QRectF, Qt, QThread, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PyQt5.QtWidgets import QSizePolicy, QWidget

from vis3d.model import data
from vis3d.paths import default_mnist_dir
from vis3d.ui.panels import ACCENT, DIM, TEXT

LOSS = QColor("#ff8a5b")
TRAIN = QColor("#5b8fd9")
TEST = ACCENT
GRID = QColor("#2a3142")
MAX_POINTS = 4000
SWITCH_INTERVAL = 0.0005   # seconds (Python's default is 0.005)


def data_problem(directory: Path | None = None) -> str | None:
    """Why training cannot start for want of MNIST files, or None."""
    directory = directory or default_mnist_dir()
    for stem in data.FILES.values():
        if not any((directory / f"{stem}{ext}").is_file() for ext in ("", ".gz")):
            return (f"no MNIST data: {stem} is not in {directory} (looked in $VIS3D_MNIST, "
                    f"else ~/.cache/vis3d/mnist); get it with 'vis3d data download'")
    return None


class TrainThread(QThread):
    """Runs ``trainer.run`` off the GUI thread with torch on one thread (the renderer keeps
    a core). ``progress`` at most ``progress_hz`` times a second and at every epoch's end;
    ``weights`` (a state dict copy) every ``publish_every`` seconds; then ``outcome``
    (:class:`vis3d.model.trainer.Outcome`) or ``failed`` (one line)."""

    progress = pyqtSignal(object)
    weights = pyqtSignal(object)
    outcome = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, trainer, publish_every: float = 0.4, progress_hz: float = 5.0,
                 threads: int = 1, parent=None):
        super().__init__(parent)
        self.trainer = trainer
        self.publish_every, self.threads = publish_every, threads
        self._min_gap = 1.0 / progress_hz
        self._last = 0.0

    def _progress(self, p) -> None:
        now = time.monotonic()
        if p.epoch_done or now - self._last >= self._min_gap:
            self._last = now
            self.progress.emit(p)

    def run(self) -> None:
        import torch
        torch.set_num_threads(self.threads)
        # The GUI thread waits for the GIL after each of its many short GL calls; a short
        # switch interval keeps the training thread from holding it for 5 ms each time.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            out = self.trainer.run(on_progress=self._progress, on_weights=self.weights.emit,
                                   publish_every=self.publish_every)
        except Exception as exc:  # noqa: BLE001 - shown in the window, never a crash
            self.failed.emit(f"training failed: {type(exc).__name__}: {exc}")
            return
        finally:
            sys.setswitchinterval(interval)
        self.outcome.emit(out)


class Curves(QWidget):
    """Training loss (top) and accuracy (bottom: training accuracy, and the test accuracy
    after each epoch) against epochs; the training figures are moving averages over about
    the last 50 batches."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(220, 170)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.clear()

    def clear(self, epochs: int = 1) -> None:
        self.epochs = max(1, epochs)
        self.loss: list[tuple[float, float]] = []
        self.train: list[tuple[float, float]] = []
        self.test: list[tuple[float, float]] = []
        self.update()

    def add(self, p) -> None:
        x = (p.epoch - 1) + p.step / max(1, p.steps)
        self.loss.append((x, p.recent_loss))
        self.train.append((x, p.recent_accuracy))
        if len(self.loss) > MAX_POINTS:
            self.loss, self.train = self.loss[::2], self.train[::2]
        self.update()

    def add_epoch(self, epoch: int, test_accuracy: float) -> None:
        self.test.append((float(epoch), float(test_accuracy)))
        self.update()

    def _pane(self, p: QPainter, rect: QRectF, title: str, lo: float, hi: float, series,
              fmt) -> None:
        p.setPen(QPen(GRID, 1))
        p.drawRect(rect)
        for k in range(1, self.epochs):
            x = rect.left() + rect.width() * k / self.epochs
            p.drawLine(int(x), int(rect.top()), int(x), int(rect.bottom()))
        p.setPen(DIM)
        p.drawText(QRectF(rect.left() + 4, rect.top() + 2, rect.width() - 8, 14),
                   Qt.AlignLeft | Qt.AlignVCenter, title)
        p.drawText(QRectF(rect.left() + 4, rect.top() + 2, rect.width() - 8, 14),
                   Qt.AlignRight | Qt.AlignVCenter, fmt(hi))
        p.drawText(QRectF(rect.left() + 4, rect.bottom() - 15, rect.width() - 8, 14),
                   Qt.AlignRight | Qt.AlignVCenter, fmt(lo))

        def pt(x, y):
            fy = (min(max(y, lo), hi) - lo) / (hi - lo or 1.0)
            return rect.left() + rect.width() * x / self.epochs, rect.bottom() - rect.height() * fy

        for points, colour, dots in series:
            if not points:
                continue
            p.setPen(QPen(colour, 1.6))
            if dots:
                for x, y in points:
                    px, py = pt(x, y)
                    p.setBrush(colour)
                    p.drawEllipse(QRectF(px - 3, py - 3, 6, 6))
                continue
            path = QPainterPath()
            path.moveTo(*pt(*points[0]))
            for x, y in points[1:]:
                path.lineTo(*pt(x, y))
            p.setBrush(Qt.NoBrush)
            p.drawPath(path)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        small = QFont(self.font())
        small.setPointSize(8)
        p.setFont(small)
        w, h = self.width(), self.height()
        half = (h - 22) / 2
        top = QRectF(1, 1, w - 2, half - 4)
        bottom = QRectF(1, half + 2, w - 2, half - 4)
        hi = max([v for _, v in self.loss] + [0.5])
        self._pane(p, top, "loss", 0.0, hi, [(self.loss, LOSS, False)], lambda v: f"{v:.2f}")
        accs = [v for _, v in self.train + self.test]
        lo = min(0.9, np.floor(10 * min(accs)) / 10) if accs else 0.0
        self._pane(p, bottom, "accuracy: train (line), test (dots)", lo, 1.0,
                   [(self.train, TRAIN, False), (self.test, TEST, True)],
                   lambda v: f"{100 * v:.0f}%")
        p.setPen(TEXT)
        last = self.test[-1][1] if self.test else None
        note = f"epoch axis 0..{self.epochs}" + (f"   test {100 * last:.2f}%" if last else "")
        p.drawText(QRectF(4, h - 18, w - 8, 16), Qt.AlignLeft | Qt.AlignVCenter, note)
        p.end()


class ConfusionView(QWidget):
    """The test confusion matrix: rows the true digit, columns the predicted one; each cell
    shaded by its share of the row, with its count."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.setMinimumSize(190, 190)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_matrix(self, matrix) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix, np.int64)
        self.update()

    def heightForWidth(self, w: int) -> int:
        return w

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        small = QFont(self.font())
        small.setPointSize(7)
        p.setFont(small)
        side = min(self.width(), self.height()) - 18
        cell = side / 10
        x0, y0 = 16, 14
        p.setPen(DIM)
        p.drawText(QRectF(x0, 0, side, 13), Qt.AlignCenter, "predicted →   (rows: true digit)")
        for k in range(10):
            p.drawText(QRectF(0, y0 + k * cell, x0 - 2, cell), Qt.AlignRight | Qt.AlignVCenter, str(k))
        if self.matrix is None:
            p.drawText(QRectF(x0, y0, side, side), Qt.AlignCenter, "confusion matrix\nafter training")
            p.end()
            return
        m = self.matrix
        rows = np.maximum(m.sum(1, keepdims=True), 1)
        share = m / rows
        for i in range(10):
            for j in range(10):
                v = float(share[i, j])
                if i == j:
                    col = QColor.fromRgbF(0.2 + 0.7 * v, 0.45 + 0.25 * v, 0.15, 1.0)
                else:
                    col = QColor.fromRgbF(min(1.0, 0.12 + 8 * v), 0.13, 0.18, 1.0)
                r = QRectF(x0 + j * cell, y0 + i * cell, cell - 1, cell - 1)
                p.fillRect(r, col)
                if cell >= 16 and m[i, j]:
                    p.setPen(TEXT)
                    p.drawText(r, Qt.AlignCenter, str(int(m[i, j])))
        p.end()
