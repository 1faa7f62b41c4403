"""The gallery dock: the test images by true label. Per label: the label's average image,
then the misclassified ones (each marked with the wrong guess), then the correct ones.
Filters: true label, predicted label, wrong only. A click makes the image the input.
"""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QSize, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PyQt5.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QListView,
                             QListWidget, QListWidgetItem, QVBoxLayout, QWidget)

from vis3d.ui.panels import to_qimage

TILE = 48
PER_LABEL = 120       # tiles per label when all labels are shown (the wrong ones always)
WRONG = QColor("#ff5a5a")
AVERAGE = QColor("#ffb347")
ROLE_INDEX = Qt.UserRole       # test-set index, or -1 - k for the average of class k


def tile_icon(img: np.ndarray, mark: str = "", colour: QColor | None = None) -> QIcon:
    pix = QPixmap.fromImage(to_qimage(img).scaled(TILE, TILE))
    if mark or colour is not None:
        p = QPainter(pix)
        if colour is not None:
            p.setPen(QPen(colour, 3))
            p.drawRect(1, 1, TILE - 3, TILE - 3)
        if mark:
            f = QFont()
            f.setBold(True)
            f.setPixelSize(13)
            p.setFont(f)
            p.setPen(colour or WRONG)
            p.drawText(pix.rect().adjusted(0, 0, -4, -2), Qt.AlignRight | Qt.AlignBottom, mark)
        p.end()
    return QIcon(pix)


class Gallery(QWidget):
    picked = pyqtSignal(object, str)     # (image for the model, what it is)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.testset = None
        self.stats = None
        top = QHBoxLayout()
        top.setSpacing(4)
        self.true_box, self.pred_box = QComboBox(), QComboBox()
        self.wrong = QCheckBox("wrong only")
        self.wrong.setToolTip("Only the misclassified images")
        for box, tip in ((self.true_box, "True label"), (self.pred_box, "Predicted label")):
            box.setToolTip(tip)
            box.setMinimumContentsLength(3)   # narrow: the row fits the dock
            box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.currentIndexChanged.connect(lambda _i: self.refill())
        self.wrong.toggled.connect(lambda _on: self.refill())
        top.addWidget(QLabel("label"))
        top.addWidget(self.true_box)
        top.addWidget(QLabel("guess"))
        top.addWidget(self.pred_box)
        top.addStretch(1)
        self.list = QListWidget()
        self.list.setViewMode(QListView.IconMode)
        self.list.setIconSize(QSize(TILE, TILE))
        self.list.setGridSize(QSize(TILE + 6, TILE + 6))
        self.list.setResizeMode(QListView.Adjust)
        self.list.setMovement(QListView.Static)
        self.list.setUniformItemSizes(True)
        self.list.itemClicked.connect(self._clicked)
        self.note = QLabel("")
        self.note.setStyleSheet("color: #7d879c")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.wrong)       # its own row: the filter row fits a narrow dock
        lay.addWidget(self.list, 1)
        lay.addWidget(self.note)

    def set_data(self, testset, stats) -> None:
        self.testset, self.stats = testset, stats
        names = testset.classes if testset is not None else []
        for box in (self.true_box, self.pred_box):
            box.blockSignals(True)
            box.clear()
            box.addItem("all")
            box.addItems(names)
            box.blockSignals(False)
        self.refill()

    def set_filter(self, true: int | None = None, pred: int | None = None,
                   wrong: bool = False) -> None:
        """Show one cell of the confusion matrix (or any filter); None: all."""
        for box, v in ((self.true_box, true), (self.pred_box, pred)):
            box.blockSignals(True)
            box.setCurrentIndex(0 if v is None else int(v) + 1)
            box.blockSignals(False)
        self.wrong.blockSignals(True)
        self.wrong.setChecked(wrong)
        self.wrong.blockSignals(False)
        self.refill()

    def shown_indices(self) -> list[int]:
        """Test-set indices of the tiles shown (averages left out), in order."""
        out = []
        for i in range(self.list.count()):
            v = self.list.item(i).data(ROLE_INDEX)
            if v >= 0:
                out.append(int(v))
        return out

    def refill(self) -> None:
        self.list.clear()
        ts, st = self.testset, self.stats
        if ts is None or st is None:
            self.note.setText("computing predictions on the test set…" if ts is not None else "")
            return
        t = self.true_box.currentIndex() - 1
        p = self.pred_box.currentIndex() - 1
        wrong_only = self.wrong.isChecked()
        labels, preds = st.labels, st.preds
        keep = np.ones(len(labels), bool)
        if p >= 0:
            keep &= preds == p
        if wrong_only:
            keep &= preds != labels
        classes = [t] if t >= 0 else range(st.classes)
        cap = None if (t >= 0 or p >= 0 or wrong_only) else PER_LABEL
        shown = total = 0
        for k in classes:
            if st.input_mean is not None and p < 0 and not wrong_only:
                avg = st.input_mean[k].reshape(ts.image(0).shape)
                item = QListWidgetItem(tile_icon(_display(avg), "avg", AVERAGE), "")
                item.setData(ROLE_INDEX, -1 - k)
                item.setToolTip(f"the average {ts.classes[k]} ({int((labels == k).sum())} images)")
                self.list.addItem(item)
            mine = np.flatnonzero(keep & (labels == k))
            bad = mine[preds[mine] != k]
            good = mine[preds[mine] == k]
            order = np.concatenate([bad, good if cap is None else good[: max(0, cap - len(bad))]])
            total += len(mine)
            shown += len(order)
            for i in order:
                i = int(i)
                wrong = preds[i] != labels[i]
                mark = ts.classes[preds[i]] if wrong else ""
                item = QListWidgetItem(tile_icon(ts.picture(i), mark, WRONG if wrong else None), "")
                item.setData(ROLE_INDEX, i)
                item.setToolTip(f"test image {i}: label {ts.classes[labels[i]]}, predicted "
                                f"{ts.classes[preds[i]]} ({100 * st.confidence[i]:.0f}%)")
                self.list.addItem(item)
        more = f" (first {PER_LABEL} per label; filter to see all)" if shown < total else ""
        self.note.setText(f"{shown:,} of {total:,} images{more} - {ts.source}")

    def _clicked(self, item) -> None:
        v = int(item.data(ROLE_INDEX))
        ts, st = self.testset, self.stats
        if v >= 0:
            self.picked.emit(ts.image(v), f"test image {v} (label {ts.classes[ts.labels[v]]})")
        else:
            k = -1 - v
            self.picked.emit(st.input_mean[k].reshape(ts.image(0).shape).astype(np.float32),
                             f"the average {ts.classes[k]}")


def _display(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img, np.float32)
    if img.ndim == 3:
        img = img[0] if img.shape[0] != 3 else np.moveaxis(img, 0, -1)
    return np.clip(img, 0, 1)
