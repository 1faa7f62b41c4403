"""The builder dock: design a sequential CNN layer by layer (or from a preset), see every
layer's output shape and the parameter count while editing, the untrained net in the 3D
scene at once; then train it on MNIST in the window and save it.

The design is the architecture spec of :mod:`vis3d.model.spec`, one row per layer. Editing
never waits for training: while a training runs the design is locked, and a few times a
second the session gets the current weights (``Session.load_weights``) so the scene shows
the current input's activations sharpening as the net learns.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from PyQt5.QtCore import QEvent, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QBrush, QColor
from PyQt5.QtWidgets import (QAbstractItemView, QComboBox, QDockWidget, QDoubleSpinBox,
                             QFormLayout, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                             QLineEdit, QPushButton, QScrollArea, QSpinBox, QTreeWidget,
                             QTreeWidgetItem, QVBoxLayout, QWidget)

from vis3d.errors import Vis3dError
from vis3d.model import data, spec as spec_mod
from vis3d.model.weights import LoadedModel
from vis3d.paths import default_mnist_dir, user_models_dir
from vis3d.ui.training import ConfusionView, Curves, TrainThread, data_problem

NEW_LAYER = {"conv": "conv 16 k3", "maxpool": "maxpool 2", "avgpool": "avgpool 2",
             "batchnorm": "batchnorm", "dropout": "dropout 0.25", "relu": "relu",
             "leakyrelu": "leakyrelu", "tanh": "tanh", "sigmoid": "sigmoid",
             "flatten": "flatten", "fc": "fc 64", "softmax": "softmax"}
BAD = QColor("#a04848")


def _dims(shape) -> str:
    return "x".join(str(d) for d in shape)


class _Scroll(QScrollArea):
    def sizeHint(self) -> QSize:
        return QSize(260, 400)


class BuilderDock(QDockWidget):
    saved = pyqtSignal(str)        # the path of a saved model (the window opens it)

    def __init__(self, session, parent=None):
        super().__init__("Builder", parent)
        self.setObjectName("builder_dock")
        self.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.session = session
        self.items: list[str] = []           # one spec text per layer, as typed
        self.spec: spec_mod.Spec | None = None
        self.error: spec_mod.SpecError | None = None
        self._loaded: LoadedModel | None = None   # the design's model in the session
        self.thread: TrainThread | None = None
        self.trainer = None
        self.outcome = None
        self.publishes = 0
        self._splits = None
        self._build()
        if parent is not None:
            parent.installEventFilter(self)
        self.preset.setCurrentText("mnist_cnn")
        self.load_text(spec_mod.BUNDLED["mnist_cnn"], show=False)

    # --- widgets --------------------------------------------------------------------------
    def _build(self) -> None:
        root = QWidget()
        lay = QVBoxLayout(root)
        lay.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.preset = QComboBox()
        self.preset.addItems(spec_mod.presets())
        self.preset.setToolTip("Start from a bundled net or one of seed 001's designs")
        self.preset.activated.connect(lambda _i: self.load_preset(self.preset.currentText()))
        row.addWidget(QLabel("Preset"))
        row.addWidget(self.preset, 1)
        lay.addLayout(row)
        self.table = QTreeWidget()
        self.table.setColumnCount(4)
        self.table.setHeaderLabels(["#", "layer", "output", "params"])
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setMinimumHeight(190)
        self.table.currentItemChanged.connect(self._selected)
        head = self.table.header()       # all four columns in the dock's width
        head.setStretchLastSection(False)
        head.setSectionResizeMode(QHeaderView.ResizeToContents)
        head.setSectionResizeMode(3, QHeaderView.Stretch)   # the layer text whole; params get the rest
        lay.addWidget(self.table, 2)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("the selected layer, e.g. conv 32 k5 s1 p2 (Enter applies)")
        self.edit.returnPressed.connect(lambda: self.set_layer(self.current(), self.edit.text()))
        lay.addWidget(self.edit)
        row = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.addItems(NEW_LAYER)
        self.kind.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.btn_add = QPushButton("Add")
        self.btn_add.clicked.connect(lambda: self.add_layer(NEW_LAYER[self.kind.currentText()]))
        self.btn_remove = QPushButton("Remove")
        self.btn_remove.clicked.connect(lambda: self.remove_layer(self.current()))
        self.btn_up, self.btn_down = QPushButton("▲"), QPushButton("▼")
        for b in (self.btn_up, self.btn_down):
            b.setFixedWidth(26)
        self.btn_up.clicked.connect(lambda: self.move_layer(self.current(), -1))
        self.btn_down.clicked.connect(lambda: self.move_layer(self.current(), +1))
        row.setSpacing(3)
        for w in (self.kind, self.btn_add, self.btn_remove, self.btn_up, self.btn_down):
            row.addWidget(w)
        lay.addLayout(row)
        self.spec_edit = QLineEdit()
        self.spec_edit.setToolTip("The whole design as a spec (Enter applies); the same text "
                                  "works as vis3d train --arch '...'")
        self.spec_edit.returnPressed.connect(lambda: self.load_text(self.spec_edit.text()))
        lay.addWidget(self.spec_edit)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        lay.addWidget(self._build_training(), 3)
        scroll = _Scroll()   # the dock never makes the window or its dock area larger
        scroll.setWidgetResizable(True)
        root.setMinimumWidth(230)   # fits the right dock area: no sideways scrolling
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(root)
        self.setWidget(scroll)

    def _build_training(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 4, 0, 0)
        form = QGridLayout()
        self.epochs = QSpinBox(minimum=1, maximum=200, value=3)
        self.lr = QDoubleSpinBox(decimals=4, minimum=0.0001, maximum=1.0, singleStep=0.001,
                                 value=0.003)
        self.batch = QSpinBox(minimum=8, maximum=1024, value=64)
        self.seed = QSpinBox(minimum=0, maximum=999_999, value=0)
        self.lr.setToolTip("peak learning rate (one-cycle schedule, AdamW)")
        for i, (text, w) in enumerate((("epochs", self.epochs), ("lr", self.lr),
                                       ("batch", self.batch), ("seed", self.seed))):
            sub = QFormLayout()
            sub.addRow(text, w)
            form.addLayout(sub, i // 2, i % 2)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.btn_train, self.btn_pause = QPushButton("Train"), QPushButton("Pause")
        self.btn_stop, self.btn_save = QPushButton("Stop"), QPushButton("Save")
        self.btn_train.clicked.connect(self.train)
        self.btn_pause.clicked.connect(self.toggle_pause)
        self.btn_stop.clicked.connect(self.stop)
        self.btn_save.clicked.connect(lambda: self.save())
        self.name = QLineEdit()
        self.name.setPlaceholderText("name to save as")
        for w in (self.btn_train, self.btn_pause, self.btn_stop):
            row.addWidget(w)
        lay.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.name, 1)
        row.addWidget(self.btn_save)
        lay.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.curves = Curves()
        self.confusion = ConfusionView()
        lay.addWidget(self.curves, 3)
        lay.addWidget(self.confusion, 3)
        self._set_running(False)
        return box

    # --- the design -----------------------------------------------------------------------
    def current(self) -> int:
        item = self.table.currentItem()
        return self.table.indexOfTopLevelItem(item) if item is not None else -1

    def _selected(self, item, _prev) -> None:
        i = self.table.indexOfTopLevelItem(item) if item is not None else -1
        self.edit.setText(self.items[i] if 0 <= i < len(self.items) else "")

    def load_preset(self, name: str) -> bool:
        return self.load_text(spec_mod.presets()[name])

    def load_text(self, text: str, show: bool = True) -> bool:
        parts = text.replace("\n", "|").replace(";", "|").split("|")
        self.items = [p.strip() for p in parts if p.strip()] or [""]
        return self._apply(show=show)

    def set_layer(self, i: int, text: str) -> bool:
        if not 0 <= i < len(self.items):
            return False
        self.items[i] = text.strip()
        return self._apply(select=i)

    def add_layer(self, text: str, at: int | None = None) -> bool:
        at = (self.current() + 1 if self.current() >= 0 else len(self.items)) if at is None else at
        self.items.insert(at, text)
        return self._apply(select=at)

    def remove_layer(self, i: int) -> bool:
        if not 0 <= i < len(self.items) or len(self.items) == 1:
            return False
        del self.items[i]
        return self._apply(select=min(i, len(self.items) - 1))

    def move_layer(self, i: int, delta: int) -> bool:
        j = i + delta
        if not (0 <= i < len(self.items) and 0 <= j < len(self.items)):
            return False
        self.items[i], self.items[j] = self.items[j], self.items[i]
        return self._apply(select=j)

    def _apply(self, select: int | None = None, show: bool = True) -> bool:
        """Check the design; a valid one goes (untrained) into the scene at once."""
        infos = None
        try:
            spec = spec_mod.parse(" | ".join(self.items))
            infos = spec_mod.check(spec)
        except spec_mod.SpecError as exc:
            self.spec, self.error = None, exc
        else:
            self.spec, self.error = spec, None
            self.items = [layer.text() for layer in spec.layers]
        self._fill(infos, select)
        if self.spec is not None and show:
            self.show_untrained()
        self._set_running(self.thread is not None)
        return self.spec is not None

    def _fill(self, infos, select) -> None:
        self.table.blockSignals(True)
        self.table.clear()
        bad = self.error.index if self.error is not None else None
        for i, text in enumerate(self.items):
            info = infos[i] if infos else None
            item = QTreeWidgetItem([str(i + 1), text, _dims(info.out_shape) if info else "",
                                    f"{info.parameters:,}" if info else ""])
            if i == bad:
                for col in range(4):
                    item.setBackground(col, QBrush(BAD))
                item.setToolTip(1, str(self.error))
            self.table.addTopLevelItem(item)
        self.table.blockSignals(False)
        if select is None and bad is not None:
            select = bad
        if select is not None and 0 <= select < len(self.items):
            self.table.setCurrentItem(self.table.topLevelItem(select))
        self.spec_edit.setText(" | ".join(self.items))
        self.spec_edit.setCursorPosition(0)
        if self.error is not None:
            self.summary.setText(f"<span style='color:#ff9a8a'>{self.error}</span>")
        else:
            params = sum(info.parameters for info in infos)
            self.summary.setText(f"{len(self.items)} layers, {params:,} parameters, "
                                 f"output {_dims(infos[-1].out_shape)}")

    def show_untrained(self) -> bool:
        """The design, freshly initialised, as the session's model (layout rebuilt)."""
        try:
            import torch
            torch.manual_seed(self.seed.value())
            model = spec_mod.build(self.spec)
            loaded = LoadedModel("design", model.eval(), {"spec": self.spec.text()}, None)
            self.session.set_model(loaded)
        except Exception as exc:  # noqa: BLE001 - a design the scene cannot show
            self.session.notify(f"design: {exc}", "error")
            return False
        self._loaded = loaded
        self.summary.setText(self.summary.text() + f", {self.session.layout.count:,} nodes")
        return True

    # --- training -------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        problem = data_problem()
        for w in (self.table, self.edit, self.kind, self.btn_add, self.btn_remove, self.btn_up,
                  self.btn_down, self.spec_edit, self.preset, self.epochs, self.lr, self.batch,
                  self.seed):
            w.setEnabled(not running)
        self.btn_train.setEnabled(not running and self.spec is not None and problem is None)
        self.btn_train.setToolTip(problem or "Train the design on MNIST here")
        if problem and not running:
            self.status.setText(problem)
        self.btn_pause.setEnabled(running)
        self.btn_stop.setEnabled(running)
        self.btn_save.setEnabled(not running and self.outcome is not None
                                 and self.outcome.status == "finished")

    def _data(self):
        if self._splits is None:
            directory = default_mnist_dir()
            self._splits = (data.load_split(directory, "train"), data.load_split(directory, "test"))
        return self._splits

    def train(self) -> bool:
        from vis3d.model.trainer import Settings, Trainer
        if self.spec is None or self.thread is not None:
            return False
        try:
            train_split, test_split = self._data()
            if self.session.loaded is not self._loaded and not self.show_untrained():
                return False
            settings = Settings(self.epochs.value(), float(self.lr.value()), self.batch.value(),
                                self.seed.value())
            self.trainer = Trainer(self.spec.text(), train_split, test_split, settings)
        except Vis3dError as exc:
            self.session.notify(str(exc), "error")
            return False
        self.outcome, self.publishes = None, 0
        self.curves.clear(self.epochs.value())
        self.confusion.set_matrix(None)
        self.session.load_weights(self.trainer.weights())
        self.thread = TrainThread(self.trainer, parent=self)
        self.thread.progress.connect(self._on_progress)
        self.thread.weights.connect(self._on_weights)
        self.thread.outcome.connect(self._on_outcome)
        self.thread.failed.connect(lambda msg: self.session.notify(msg, "error"))
        self.thread.finished.connect(self._on_finished)
        self.status.setText("training…")
        self._set_running(True)
        self.btn_pause.setText("Pause")
        self.thread.start()
        return True

    def toggle_pause(self) -> None:
        if self.trainer is None or self.thread is None:
            return
        if self.trainer.paused:
            self.trainer.resume()
            self.btn_pause.setText("Pause")
        else:
            self.trainer.pause()
            self.btn_pause.setText("Resume")
            self.status.setText(self.status.text() + " (paused)")

    def stop(self) -> None:
        if self.trainer is not None and self.thread is not None:
            self.trainer.stop()

    def _on_progress(self, p) -> None:
        self.curves.add(p)
        text = (f"epoch {p.epoch}/{p.epochs}, step {p.step}/{p.steps}: loss {p.loss:.3f}, "
                f"train {100 * p.accuracy:.1f}%")
        if p.epoch_done and self.trainer is not None and len(self.trainer.history) >= p.epoch:
            acc = self.trainer.history[p.epoch - 1]["test_accuracy"]
            self.curves.add_epoch(p.epoch, acc)
            text += f", test {100 * acc:.2f}%"
        self.status.setText(text)

    def _on_weights(self, state) -> None:
        if self.session.loaded is not self._loaded:
            return  # another model was chosen meanwhile: it is not the one training
        self.session.load_weights(state)
        self.publishes += 1

    def _on_outcome(self, outcome) -> None:
        self.outcome = outcome
        if outcome.status == "finished":
            self.confusion.set_matrix(outcome.confusion)
            self.status.setText(f"done: test accuracy {100 * outcome.test_accuracy:.2f}% "
                                f"after {len(outcome.history)} epochs; Save keeps it")
            if not self.name.text().strip():
                self.name.setText(time.strftime("design-%Y%m%d-%H%M%S"))
        else:
            self.status.setText(f"stopped after {len(outcome.history)} full epochs; nothing "
                                f"was written")

    def _on_finished(self) -> None:
        self.thread = None
        self._set_running(False)

    def save(self, name: str | None = None) -> Path | None:
        """Weights + card into the user models folder; the window then opens it (and lists it)."""
        from vis3d.model import train, weights
        if self.outcome is None or self.outcome.status != "finished" or self.trainer is None:
            return None
        name = (name or self.name.text()).strip() or time.strftime("design-%Y%m%d-%H%M%S")
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "design"
        path = user_models_dir() / f"{name}.safetensors"
        try:
            card = train.make_card(self.trainer, self.outcome, default_mnist_dir().name)
            weights.save(self.trainer.model, path, card)
        except OSError as exc:
            self.session.notify(f"cannot save {path}: {exc.strerror or exc}", "error")
            return None
        self.status.setText(f"saved {path}")
        self.saved.emit(str(path))
        return path

    def shutdown(self, wait_ms: int = 5000) -> None:
        if self.thread is not None:
            self.trainer.stop()
            self.thread.wait(wait_ms)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Close and obj is self.parent():
            self.shutdown()
        return False
