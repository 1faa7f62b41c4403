"""The 3D canvas as a native OpenGL window inside the widget tree.

VisPy's Qt backend draws into a QOpenGLWidget. A QOpenGLWidget renders into a framebuffer
object, and from then on Qt composes the *whole* top-level window with OpenGL on every
frame: the raster parts (docks, panels, status bar) go up as a texture, the scene's FBO is
drawn over them, and the window is swapped. Under a software rasteriser that composition
costs more than drawing the scene. Here the scene has its own native window (a QWindow with
an OpenGL surface, swapped by its own context) placed in the widget tree with
``QWidget.createWindowContainer``: a scene frame touches only its own pixels, and the
widgets around it repaint only when their content changes.

``GLWindowBackend`` implements VisPy's canvas backend interface on that QWindow (mouse,
wheel and key events reach ``canvas.events`` through VisPy's own Qt event translation), so
``canvas.size``, ``canvas.render()``, resize and all event handlers work as before.
``frameSwapped`` is emitted after each drawn frame has been swapped onto the window.

Frames are paced like a vsync'd display: an update starts a frame at once (on the next turn
of the event loop, after the input queued with it) unless the last frame started less than
one refresh period of the screen ago; then a precise timer starts it when the period is up.
So input is shown as soon as it can be, and animation (which asks for a frame from each
frame) runs at the display's refresh rate and not faster.
"""

from __future__ import annotations

import time

from PyQt5.QtCore import QCoreApplication, QEvent, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QOffscreenSurface, QOpenGLContext, QSurface, QWindow
from PyQt5.QtWidgets import QWidget
from vispy import scene as vscene
from vispy.app.backends import _pyqt5

vqt = _pyqt5._qt   # VisPy's Qt backend module, bound to PyQt5 (its event translation)


class GLWindowBackend(vqt.QtBaseCanvasBackend, QWindow):
    """A VisPy canvas backend on a QWindow with its own OpenGL context."""

    frameSwapped = pyqtSignal()

    def _init_specific(self, p, kwargs):
        QWindow.__init__(self)
        self.setSurfaceType(QSurface.OpenGLSurface)
        fmt = vqt._set_config(p.context.config)
        fmt.setSwapInterval(1 if p.vsync else 0)
        self.setFormat(fmt)
        self._ctx = QOpenGLContext(self)
        self._ctx.setFormat(fmt)
        if not self._ctx.create():
            raise RuntimeError("cannot create an OpenGL context")
        # Until the window exists, the context is made current on an offscreen surface.
        self._offscreen = QOffscreenSurface()
        self._offscreen.setFormat(self._ctx.format())
        self._offscreen.create()
        p.context.shared.add_ref("qt", self)
        self._gl_initialized = False
        self._update_posted = False
        self._last_start = 0.0
        self._pacer = QTimer(self)
        self._pacer.setSingleShot(True)
        self._pacer.setTimerType(Qt.PreciseTimer)
        self._pacer.timeout.connect(self._post_update)
        self._physical_size = p.size
        self.container = QWidget.createWindowContainer(self, p.parent)
        self.container.setFocusPolicy(Qt.WheelFocus)
        self.container.setMinimumSize(64, 64)
        self.container.setAttribute(Qt.WA_OpaquePaintEvent)
        self._initialized = True

    # --- the QWidget calls VisPy's Qt base class makes --------------------------------
    def setMouseTracking(self, _on) -> None:
        """A QWindow receives every pointer move over it."""

    def setWindowTitle(self, title: str) -> None:
        self.setTitle(title)

    def setFocus(self) -> None:
        self.container.setFocus()
        self.requestActivate()

    def _vispy_set_visible(self, visible):
        self.container.setVisible(bool(visible))

    def _vispy_set_size(self, w, h):
        self.container.resize(int(w), int(h))
        self.resize(int(w), int(h))

    def frame_period(self) -> float:
        """Seconds per refresh of the screen the window is on (60 Hz if it does not say)."""
        screen = self.screen()
        hz = screen.refreshRate() if screen is not None else 0.0
        return 1.0 / (hz if 20.0 <= hz <= 500.0 else 60.0)

    def _vispy_update(self):
        if self._vispy_canvas is None or self._update_posted or self._pacer.isActive():
            return
        wait = self._last_start + self.frame_period() - time.perf_counter()
        if wait > 0.0005:
            self._pacer.start(max(1, round(1000 * wait)))
        else:
            self._post_update()

    def _post_update(self) -> None:
        # Not QWindow.requestUpdate: on xcb it waits 5 ms on a timer before it delivers.
        self._update_posted = True
        QCoreApplication.postEvent(self, QEvent(QEvent.UpdateRequest))

    def _vispy_set_current(self):
        if self._vispy_canvas is None:
            return
        surface = self if self.isExposed() else self._offscreen
        self._ctx.makeCurrent(surface)

    def _vispy_swap_buffers(self):
        if self._vispy_canvas is not None and self.isExposed():
            self._ctx.swapBuffers(self)

    def _vispy_close(self):
        if self._ctx is not None:
            self._ctx.doneCurrent()
        self.container.close()
        self.destroy()

    # --- drawing ----------------------------------------------------------------------
    def _render(self) -> None:
        canvas = self._vispy_canvas
        if canvas is None or not self.isExposed():
            return
        self._last_start = time.perf_counter()
        self._ctx.makeCurrent(self)
        if not self._gl_initialized:
            self._gl_initialized = True
            canvas.events.initialize()
        canvas.events.draw(region=None)   # VisPy draws, flushes and swaps (autoswap)
        self.frameSwapped.emit()

    def exposeEvent(self, ev):
        if self.isExposed():
            self._render()

    def resizeEvent(self, ev):
        if self._vispy_canvas is None:
            return
        w, h = self.width(), self.height()
        r = self.devicePixelRatio()
        self._physical_size = (int(w * r), int(h * r))
        self._vispy_canvas.events.resize(size=(w, h), physical_size=self._physical_size)

    def event(self, ev):
        if ev.type() == QEvent.UpdateRequest:
            self._update_posted = False
            self._render()
            return True
        return super().event(ev)


class WindowCanvas(vscene.SceneCanvas):
    """A SceneCanvas drawn into a native GL window (``GLWindowBackend``); put
    ``canvas.native.container`` into a layout."""

    def create_native(self):
        if self._backend is not None:
            return
        GLWindowBackend(self, **self._backend_kwargs)
        self._backend_kwargs = None
        # As VisPy's own create_native: GL commands flushed, then the buffers swapped.
        self.events.draw.connect(self.context.flush_commands, position="last")
        if self._autoswap:
            self.events.draw.connect((self, "swap_buffers"), ref=True, position="last")
