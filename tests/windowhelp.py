"""Shared pieces of the window tests: the window fixture, events sent to widgets, frames."""

import numpy as np
import pytest
from PyQt5.QtCore import QPoint, QSettings, Qt


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "vis3d.ini"), QSettings.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(100)
    yield win
    win.close()


def digit(mnist_test, i):
    from vis3d.inputs.preprocess import prepare_raw
    return prepare_raw(mnist_test.images[i])


def send_mouse(widget, kind, pos, button=Qt.NoButton, buttons=Qt.NoButton):
    """A mouse event delivered to the widget itself (not through the X cursor)."""
    from PyQt5.QtCore import QEvent, QPointF
    from PyQt5.QtGui import QMouseEvent
    from PyQt5.QtWidgets import QApplication
    kinds = {"move": QEvent.MouseMove, "press": QEvent.MouseButtonPress,
             "release": QEvent.MouseButtonRelease, "double": QEvent.MouseButtonDblClick}
    QApplication.sendEvent(widget, QMouseEvent(kinds[kind], QPointF(pos), button, buttons,
                                               Qt.NoModifier))


def hover(win, pos):
    send_mouse(win.canvas.native, "move", pos)


def click(win, pos):
    send_mouse(win.canvas.native, "press", pos, Qt.LeftButton, Qt.LeftButton)
    send_mouse(win.canvas.native, "release", pos, Qt.LeftButton, Qt.NoButton)


def frame(win):
    return win.canvas.render(alpha=False)[..., :3].astype(np.int32)


def background(win):
    return np.array([int(win.canvas.bgcolor.rgb[k] * 255 + 0.5) for k in range(3)])


def _node_on_screen(window, slab_name, k=0):
    """A node of the slab that is the front-most thing at its own projected pixel."""
    s = window.session.layout.slab(slab_name)
    for node in range(s.offset + k, s.offset + s.count):
        x, y = np.round(window.view.project([node])[0, :2])
        if window.view.pick(x, y) == node:
            return node, QPoint(int(x), int(y))
    raise AssertionError(f"no visible node in {slab_name}")
