"""The insight docks and controls, installed into the main window in one call
(``install(win)``): gallery, projection, top images per unit and the model page (tabbed with
the Network dock, so the 3D scene keeps its room), the colour-mode box, a saliency toggle and
'Restore all' on the main toolbar, Alt+click and the node context menu for ablation, the
saliency overlay on the preview, and the workers' progress bar in the status bar."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QPoint, Qt
from PyQt5.QtWidgets import QAction, QComboBox, QDockWidget, QMenu, QToolBar

from vis3d.errors import Vis3dError
from vis3d.gl.colormaps import diverging, lut
from vis3d.ui.gallery import Gallery
from vis3d.ui.insight_jobs import InsightJobs
from vis3d.ui.model_page import ModelPage
from vis3d.ui.projection import ProjectionPanel
from vis3d.ui.top_images import TopImages


def saliency_overlay(image: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """The input in gray with the gradient on top: red where more ink raises the predicted
    class, blue where it lowers it. -> (H, W, 3) float 0..1."""
    img = np.asarray(image, np.float32)
    sal = np.asarray(saliency, np.float32)
    if img.ndim == 3:
        img, sal = img.mean(0), sal.sum(0)
    m = float(np.abs(sal).max()) or 1.0
    s = np.sqrt(np.abs(sal) / m) * np.sign(sal)
    base = 0.45 * np.clip(img, 0, 1)
    rgb = np.stack([base + np.clip(s, 0, 1), base + 0.15 * np.abs(s), base + np.clip(-s, 0, 1)], -1)
    return np.clip(rgb, 0, 1)


class Insight:
    def __init__(self, win):
        self.win = win
        s = self.session = win.session
        self.jobs = InsightJobs(s, parent=win)
        self.gallery = Gallery()
        self.projection = ProjectionPanel(s)
        self.top = TopImages(s)
        self.page = ModelPage()
        self.docks = {}
        anchor = win.findChild(QDockWidget, "network_dock")
        for key, title, widget in (("gallery", "Gallery", self.gallery),
                                   ("projection", "Projection", self.projection),
                                   ("top", "Top images", self.top), ("model", "Model", self.page)):
            widget.setMinimumWidth(220)
            widget.setMaximumWidth(380)   # as the Network dock: the scene keeps its room
            dock = QDockWidget(title, win)
            dock.setObjectName(f"{key}_dock")
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
            win.addDockWidget(Qt.RightDockWidgetArea, dock)
            if anchor is not None:
                win.tabifyDockWidget(anchor, dock)
            dock.visibilityChanged.connect(lambda on, k=key: on and self._shown(k))
            self.docks[key] = dock
        if anchor is not None:
            anchor.raise_()
            # The tabs' contents would widen the dock area: keep the Network dock's width.
            win.resizeDocks([anchor], [anchor.widget().minimumWidth()], Qt.Horizontal)
        win.statusBar().addPermanentWidget(self.jobs.progress_bar)
        self._toolbar()
        self._connect()
        self.page.set_model(s.name, s.loaded.card or {})

    # --- controls ----------------------------------------------------------------------
    def _toolbar(self) -> None:
        win = self.win
        tb = win.findChild(QToolBar, "main_toolbar") or win.addToolBar("Insight")
        tb.addSeparator()
        box = self.mode_box = QComboBox()
        box.setToolTip("Node colours: activation, a class's average over the test images, "
                       "this input minus the average of its predicted class, or "
                       "activation x gradient of the predicted class (contribution)")
        self._fill_modes()
        box.activated.connect(lambda _i: self.set_mode(box.currentData()))
        tb.addWidget(box)
        self.saliency_act = QAction("Saliency", win, checkable=True)
        self.saliency_act.setToolTip("Show the gradient of the predicted class over the "
                                     "'what the network sees' preview")
        self.saliency_act.toggled.connect(self._set_saliency)
        self.restore_act = QAction("Restore all", win)
        self.restore_act.setToolTip("Un-silence every silenced node (Alt+click silences one)")
        self.restore_act.triggered.connect(self.session.restore_all)
        self.restore_act.setEnabled(False)
        tb.addAction(self.saliency_act)
        tb.addAction(self.restore_act)

    def _fill_modes(self) -> None:
        box = self.mode_box
        box.clear()
        box.addItem("activation", "activation")
        for i, name in enumerate(self.session.labels):
            box.addItem(f"average {name}", f"average:{i}")
        box.addItem("difference", "difference")
        box.addItem("contribution", "contribution")

    def set_mode(self, mode: str) -> None:
        s = self.session
        if mode in ("activation", "contribution") or s.stats is not None:
            s.colour_mode = mode
            return
        self.win.say("computing the class averages over the test images…")
        self.jobs.stats(lambda st: self._apply_stats(st, mode))

    def _set_saliency(self, on: bool) -> None:
        self.session.saliency = on
        self._on_result(self.session)

    # --- wiring ------------------------------------------------------------------------
    def _connect(self) -> None:
        s, ev = self.session, self.session.events
        ev.model.connect(self._on_model)
        ev.result.connect(self._on_result)
        ev.colour_mode.connect(self._on_colour_mode)
        ev.silenced.connect(lambda nodes: self.restore_act.setEnabled(bool(nodes)))
        self.jobs.error.connect(self.win._notice_error)
        self.jobs.unavailable.connect(self._unavailable)
        self.jobs.testset_changed.connect(lambda _ts: self._shown("gallery"))
        self.gallery.picked.connect(self._show_image)
        self.projection.picked.connect(self._show_index)
        self.projection.layer_wanted.connect(
            lambda layer: self.jobs.projection(layer, lambda d: self.projection.show_projection(layer, d)))
        self.top.picked.connect(self._show_index)
        self.top.wanted.connect(
            lambda layer, ch: self.jobs.top(layer, ch, lambda r: self.top.show_top(layer, ch, r)))
        self.page.confusion.cell_clicked.connect(self._cell)
        self.win.mouse.context_requested.connect(self._context_menu)
        self.win.mouse.alt_clicked.connect(self._alt_click)
        del s

    def _shown(self, key: str) -> None:
        """A dock came into view: compute what it shows (in a worker)."""
        if key in ("gallery", "model"):
            self.jobs.stats(self._apply_stats)
        elif key == "projection" and self.projection.data is None and self.projection.box.count():
            self.projection.choose(self.projection.box.currentData())
        elif key == "top":
            self.top.set_testset(self.jobs.testset())

    def _unavailable(self, why: str) -> None:
        """No test set for this model (not a fault): said in the status bar and where the
        analyses would be, once."""
        self.win.say(why)
        for label in (self.gallery.note, self.projection.status, self.top.title):
            label.setText(why)

    def _apply_stats(self, stats, mode: str | None = None) -> None:
        s, ts = self.session, self.jobs.testset()
        if s.stats is not stats:
            s.set_stats(stats)
        if self.gallery.testset is not ts or self.gallery.stats is not stats:
            self.gallery.set_data(ts, stats)   # (the same data again keeps the filters)
        self.top.testset = ts
        self.page.set_stats(stats, ts.classes if ts else s.labels, ts.source if ts else "")
        if mode is not None:
            s.colour_mode = mode

    def _on_model(self, session) -> None:
        self._fill_modes()
        self.page.set_model(session.name, session.loaded.card or {})
        self.gallery.set_data(None, None)
        self.saliency_act.setChecked(False)
        for key, dock in self.docks.items():
            if not dock.visibleRegion().isEmpty():
                self._shown(key)

    def _on_colour_mode(self, mode: str) -> None:
        i = self.mode_box.findData(mode)
        if i >= 0:
            self.mode_box.setCurrentIndex(i)
        cb = self.win.colorbar
        if self.session.diverging:
            what = ("this input minus the average of its guess" if mode == "difference"
                    else "activation x gradient of the guess")
            cb.set_mapping(diverging(), "negative", "positive", what)
        elif mode.startswith("average:"):
            cb.set_mapping(lut(self.session.colormap), "layer min", "layer max",
                           f"class {self.session.labels[int(mode[8:])]}'s mean over the test images")
        else:
            self.win._update_colorbar()

    def _on_result(self, session) -> None:
        att = session.attribution
        if session.saliency and att is not None and session.has_digit:
            self.win.preview.set_image(saliency_overlay(session.image, att.saliency),
                                       caption="saliency: red raises, blue lowers the guess")

    # --- picking images ----------------------------------------------------------------
    def _show_image(self, image, what: str) -> None:
        self.win.inputs.show_on_pad(image)   # no old drawing left beside it; draw over it
        self.session.set_input(np.asarray(image, np.float32), source="image")
        self.win.say(f"showing {what}")

    def _show_index(self, i: int) -> None:
        ts = self.jobs.testset()
        if ts is not None and 0 <= i < len(ts):
            self._show_image(ts.image(i), f"test image {i} (label {ts.classes[ts.labels[i]]})")

    def _cell(self, true: int, pred: int) -> None:
        self.gallery.set_filter(true, pred)
        self.docks["gallery"].raise_()

    # --- ablation ----------------------------------------------------------------------
    def _alt_click(self, node: int) -> None:
        try:
            self.session.toggle_silenced(node)
        except Vis3dError as exc:
            self.win.say(str(exc))

    def _context_menu(self, node: int, pos: QPoint) -> None:
        s = self.session
        menu = QMenu(self.win)
        if node >= 0 and s.layout.slab_of[node] != 0:
            on = node in s.silenced
            menu.addAction("Restore node" if on else "Silence node",
                           lambda: s.toggle_silenced(node))
            slab, _ = s.layout.locate(node)
            if slab.is_map:
                chan = set(s.channel_nodes(node))
                full = chan <= s.silenced
                menu.addAction("Restore channel" if full else "Silence channel",
                               lambda: s.silence_channel(node, not full))
        restore = menu.addAction("Restore all", s.restore_all)
        restore.setEnabled(bool(s.silenced))
        menu.popup(pos)
        self.menu = menu


def install(win) -> Insight:
    return Insight(win)
