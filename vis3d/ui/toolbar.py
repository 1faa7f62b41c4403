"""The toolbar and menus: source, model, normalisation, colour map, view actions, layers.

Every control sets a value on the window (which sets it on the session); none reads state
other than to show it. Returns the actions and boxes by name for the window to keep in step.
"""

from __future__ import annotations

from PyQt5.QtWidgets import QAction, QActionGroup, QComboBox, QMenu, QToolBar, QToolButton

from vis3d.model import weights
from vis3d.scene.colors import COLORMAPS


def build_toolbar(win) -> dict:
    s = win.session
    tb = QToolBar("Main", win)
    tb.setObjectName("main_toolbar")
    win.addToolBar(tb)
    acts: dict = {}
    group = QActionGroup(win)
    for key, text in (("pad", "Draw pad"), ("camera", "Camera")):
        act = QAction(text, win, checkable=True, checked=(key == "pad"))
        act.triggered.connect(lambda _=False, src=key: win.inputs.set_source(src))
        group.addAction(act)
        tb.addAction(act)
        acts[key] = act
    tb.addSeparator()

    model_box = QComboBox()
    model_box.addItems(weights.bundled_models())
    if model_box.findText(s.name) < 0:
        model_box.addItem(s.name)
    model_box.setCurrentText(s.name)
    model_box.setToolTip("Model")
    model_box.activated.connect(lambda _i: win.set_model(model_box.currentText()))
    tb.addWidget(model_box)
    norm_box = QComboBox()
    norm_box.addItems(["per layer", "global"])
    norm_box.setCurrentIndex(0 if s.normalise == "layer" else 1)
    norm_box.setToolTip("Activation normalisation")
    norm_box.currentIndexChanged.connect(lambda i: win.set_normalise("layer" if i == 0 else "global"))
    tb.addWidget(norm_box)
    cmap_box = QComboBox()
    cmap_box.addItems(COLORMAPS)
    cmap_box.setCurrentText(s.colormap)
    cmap_box.setToolTip("Colour map")
    cmap_box.currentTextChanged.connect(win.set_colormap)
    tb.addWidget(cmap_box)
    acts.update(model_box=model_box, norm_box=norm_box, cmap_box=cmap_box)
    tb.addSeparator()

    acts["reset"] = QAction("Reset view", win, shortcut="R", triggered=win.view.reset_camera)
    acts["reset"].setToolTip("Reset the camera (R)")
    acts["orbit"] = QAction("Auto-orbit", win, checkable=True, shortcut="O",
                            triggered=win.view.set_auto_orbit)
    acts["shot"] = QAction("Screenshot", win, shortcut="Ctrl+S", triggered=win.screenshot_dialog)
    acts["open"] = QAction("Open weights…", win, shortcut="Ctrl+O", triggered=win.open_weights_dialog)
    for key in ("reset", "orbit", "shot"):
        tb.addAction(acts[key])

    layers = QMenu("Layers", win)
    button = QToolButton()
    button.setText("Layers")
    button.setToolTip("Show or hide layers")
    button.setMenu(layers)
    button.setPopupMode(QToolButton.InstantPopup)  # the whole button opens the menu
    tb.addWidget(button)
    acts.update(layers_menu=layers, layers_button=button)

    def fill_layers() -> None:
        layers.clear()
        for slab in win.session.layout.slabs:
            act = QAction(slab.label, win, checkable=True,
                          checked=slab.index not in win.session.hidden)
            act.toggled.connect(lambda on, i=slab.index: win.session.set_layer_visible(i, on))
            layers.addAction(act)

    fill_layers()
    acts["fill_layers"] = fill_layers

    file_menu = win.menuBar().addMenu("&File")
    file_menu.addAction(acts["open"])
    file_menu.addAction(acts["shot"])
    file_menu.addAction(QAction("Quit", win, shortcut="Ctrl+Q", triggered=win.close))
    view_menu = win.menuBar().addMenu("&View")
    view_menu.addAction(acts["reset"])
    view_menu.addAction(acts["orbit"])
    acts["hint"] = QAction("Controls hint", win, checkable=True, checked=True)
    acts["hint"].setToolTip("Show the mouse and key controls on the scene (H)")
    acts["hint"].toggled.connect(win.show_hint)
    view_menu.addAction(acts["hint"])
    view_menu.addMenu(layers)
    return acts
