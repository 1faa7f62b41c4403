"""Re-take the README's screenshots of the real window (1600x900).

    xvfb-run -a -s "-screen 0 1600x900x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python scripts/readme_shots.py [OUT_DIR] [NAME ...]

OUT_DIR defaults to assets/. NAMEs (default: all): screenshot, residual_window,
insight_gallery, insight_contribution, insight_projection, builder (needs MNIST through
$VIS3D_MNIST). The window's widgets come from
Qt's grab and the 3D view from its own GL render, put where the view sits in the window (a
native GL window is not part of a widget grab).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QPoint, QSettings
from PyQt5.QtGui import QImage, QPainter

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path("assets") / "samples"   # relative: the status bar shows it as a user types it


def pump(app, seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.005)


def wait_jobs(app, win, limit: float = 120.0) -> None:
    end = time.time() + limit
    pump(app, 0.3)
    while win.insight.jobs.busy() and time.time() < end:
        pump(app, 0.2)
    pump(app, 0.5)


def node(win, layer: str, index: int) -> int:
    return win.session.layout.slab(layer).offset + index


def screenshot(app, win) -> None:
    win.show_image_file(str(SAMPLES / "camera_sheet_7.jpg"))
    pump(app, 1.0)
    win.session.pinned = node(win, "fc1", 29)
    win.insight.docks["top"].raise_()
    pump(app, 0.3)
    win.findChild(type(win.insight.docks["top"]), "network_dock").raise_()


def residual_window(app, win) -> None:
    win.set_model("mnist_resnet")
    pump(app, 1.0)
    win.show_image_file(str(SAMPLES / "pad_3.png"))
    pump(app, 1.0)
    slab = win.session.layout.slab("add_1")
    h, w = slab.shape[-2:]
    win.session.pinned = slab.offset + 23 * h * w + 2 * w + 3


def insight_gallery(app, win) -> None:
    ins = win.insight
    ins.docks["gallery"].raise_()
    wait_jobs(app, win)
    ins.gallery.set_filter(true=9)
    pump(app, 0.3)
    shown = ins.gallery.shown_indices()
    preds = ins.gallery.stats.preds
    wrong = [i for i in shown if preds[i] == 8] or [i for i in shown if preds[i] != 9]
    if shown:
        i = (wrong or shown)[0]
        ins._show_index(i)


def insight_contribution(app, win) -> None:
    ins = win.insight
    ins.docks["gallery"].raise_()
    wait_jobs(app, win)
    ins._show_index(0)
    pump(app, 0.5)
    ins.mode_box.setCurrentIndex(ins.mode_box.findText("contribution"))
    ins.saliency_act.setChecked(True)
    win.findChild(type(ins.docks["gallery"]), "network_dock").raise_()


def insight_projection(app, win) -> None:
    ins = win.insight
    ins.docks["gallery"].raise_()
    wait_jobs(app, win)
    ins._show_index(7)
    ins.docks["projection"].raise_()
    pump(app, 0.3)
    ins.projection.choose("fc2")
    wait_jobs(app, win)


def builder(app, win) -> None:
    """Needs MNIST ($VIS3D_MNIST): seed 001's conv-relu-pool design training, mid-run."""
    win.show_image_file(str(SAMPLES / "pad_3.png"))
    b = win.builder
    b.raise_()
    b.preset.setCurrentText("seed 001: conv-relu-pool, k3")
    b.load_preset("seed 001: conv-relu-pool, k3")
    b.epochs.setValue(8)
    pump(app, 0.5)
    b.train()
    pump(app, 45)      # part way into the first epochs: curves drawn, the scene learning


SHOTS = {f.__name__: f for f in (screenshot, residual_window, insight_gallery,
                                 insight_contribution, insight_projection, builder)}


def grab(win) -> QImage:
    """The window as the user sees it: widgets from Qt, the 3D view from its GL render."""
    img = win.grab().toImage()
    scene = np.ascontiguousarray(win.view.render(alpha=False)[..., :3])
    h, w = scene.shape[:2]
    view = QImage(scene.data, w, h, 3 * w, QImage.Format_RGB888).copy()
    container = win.canvas.native.container
    at = container.mapTo(win, QPoint(0, 0))
    p = QPainter(img)
    p.drawImage(at, view.scaled(container.width(), container.height()))
    p.end()
    return img


def main(argv: list[str]) -> int:
    import os
    out = Path(argv[0]).resolve() if argv else ROOT / "assets"
    os.chdir(ROOT)
    from vis3d.ui.app import make_qapp
    app = make_qapp()
    from vis3d.ui.window import MainWindow
    names = argv[1:] or list(SHOTS)
    for name in names:
        settings = QSettings(f"{tempfile.mkdtemp()}/vis3d.ini", QSettings.IniFormat)
        settings.setValue("hint_dismissed", "1")
        win = MainWindow(settings=settings)
        win.move(0, 0)
        win.resize(1600, 900)
        win.show()
        pump(app, 2.0)
        SHOTS[name](app, win)
        pump(app, 2.0)
        path = out / f"{name}.png"
        grab(win).save(str(path))
        print("wrote", path)
        if getattr(win.builder, "thread", None) is not None:
            win.builder.stop()
        win.close()
        pump(app, 0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
