"""Input for the window benchmark: real X events through the XTest extension (the pointer
moves and buttons go through the X server and Qt's event queue as a user's would), or
Qt events sent straight to the widget where XTest is not there (reported as such)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication


class XTestInput:
    """The pointer of the X display, moved and clicked through XTest (global coordinates)."""

    kind = "xtest"

    def __init__(self):
        x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                              ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                              ctypes.c_ulong]
        self._x11, self._xtst = x11, xtst
        self._dpy = x11.XOpenDisplay(None)
        if not self._dpy:
            raise OSError("cannot open the X display")
        self._widget = None

    def target(self, widget) -> None:
        self._widget = widget

    def _global(self, pos) -> QPoint:
        return self._widget.mapToGlobal(QPoint(int(pos[0]), int(pos[1])))

    def move(self, pos, buttons=Qt.NoButton) -> None:
        g = self._global(pos)
        self._xtst.XTestFakeMotionEvent(self._dpy, -1, g.x(), g.y(), 0)
        self._x11.XFlush(self._dpy)

    def press(self, pos) -> None:
        self.move(pos)
        self._xtst.XTestFakeButtonEvent(self._dpy, 1, 1, 0)
        self._x11.XFlush(self._dpy)

    def release(self, pos) -> None:
        self.move(pos, Qt.LeftButton)
        self._xtst.XTestFakeButtonEvent(self._dpy, 1, 0, 0)
        self._x11.XFlush(self._dpy)

    def close(self) -> None:
        if self._dpy:
            self._x11.XCloseDisplay(self._dpy)
            self._dpy = None


class QtEventInput:
    """Mouse events sent to the widget itself (no window system in between)."""

    kind = "qt-events"

    def __init__(self):
        self._widget = None

    def target(self, widget) -> None:
        self._widget = widget

    def _send(self, kind, pos, button, buttons) -> None:
        QApplication.sendEvent(self._widget, QMouseEvent(kind, QPointF(pos[0], pos[1]), button,
                                                         buttons, Qt.NoModifier))

    def move(self, pos, buttons=Qt.NoButton) -> None:
        self._send(QEvent.MouseMove, pos, Qt.NoButton, buttons)

    def press(self, pos) -> None:
        self._send(QEvent.MouseButtonPress, pos, Qt.LeftButton, Qt.LeftButton)

    def release(self, pos) -> None:
        self._send(QEvent.MouseButtonRelease, pos, Qt.LeftButton, Qt.NoButton)

    def close(self) -> None:
        pass


def make_input():
    """XTest on an X display (Qt's xcb platform), else Qt events."""
    if os.environ.get("DISPLAY") and QApplication.platformName() == "xcb":
        try:
            return XTestInput()
        except OSError:
            pass
    return QtEventInput()
