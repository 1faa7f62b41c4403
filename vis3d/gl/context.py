"""An OpenGL canvas without a window, for ``vis3d snapshot`` and ``vis3d bench``.

Order of attempts: VisPy's 'egl' backend on Mesa's surfaceless platform (no X
server needed), then Qt (PyQt5) when a display exists. If a QApplication is already
running (the window, pytest-qt) and a display exists, a hidden Qt canvas is used
instead: GLX and EGL contexts cannot both be current on one thread (libglvnd refuses
the second), so one process should not hop between them on every draw.

The egl canvas gets its own ``vispy.app.Application`` so the process-wide default
backend stays free for Qt; it makes itself current only while it draws (any current
GLX context is released first) and lets go after ``render()`` and ``close()``, so a
Qt window opened later in the same process still gets its context.
"""

from __future__ import annotations

import ctypes
import os
import sys

from vis3d.errors import Vis3dError

NO_CONTEXT = ("no OpenGL context: no display and no EGL (install libegl1 libegl-mesa0 "
              "libgl1-mesa-dri, or run under xvfb-run)")

_apps: dict[str, object] = {}


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _egl_app():
    if "egl" not in _apps:
        # Must be set before vispy's egl backend calls eglGetDisplay (at import).
        os.environ.setdefault("EGL_PLATFORM", "surfaceless")
        from vispy import app
        _apps["egl"] = app.Application("egl")
    return _apps["egl"]


def _qt_app():
    if "qt" not in _apps:
        from vispy import app
        _apps["qt"] = app.Application("pyqt5")
    return _apps["qt"]


def _qt_running() -> bool:
    # Only asks a Qt that the process already loaded: gl/ never imports PyQt5 itself.
    widgets = sys.modules.get("PyQt5.QtWidgets")
    return widgets is not None and widgets.QApplication.instance() is not None


def _release_glx() -> None:
    """Drop this thread's current GLX context (if any) so EGL may become current."""
    try:
        glx = ctypes.CDLL("libGL.so.1")
    except OSError:
        return
    glx.glXGetCurrentContext.restype = ctypes.c_void_p
    glx.glXGetCurrentDisplay.restype = ctypes.c_void_p
    if glx.glXGetCurrentContext():
        glx.glXMakeCurrent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
        glx.glXMakeCurrent(glx.glXGetCurrentDisplay(), 0, None)


def _release_egl() -> None:
    from vispy.app.backends import _egl
    from vispy.ext import egl
    try:
        egl.eglMakeCurrent(_egl._EGL_DISPLAY, egl.EGL_NO_SURFACE, egl.EGL_NO_SURFACE,
                           egl.EGL_NO_CONTEXT)
    except Exception:
        pass


def _make_egl_polite(canvas) -> None:
    """Patch one egl canvas: release GLX before it draws, release EGL after render/close."""
    backend = canvas._backend
    set_current = backend._vispy_set_current

    def polite_set_current():
        _release_glx()
        set_current()

    backend._vispy_set_current = polite_set_current
    render, close = canvas.render, canvas.close

    def polite_render(*args, **kwargs):
        try:
            return render(*args, **kwargs)
        finally:
            _release_egl()

    def polite_close():
        try:
            close()
        finally:
            _release_egl()

    canvas.render, canvas.close = polite_render, polite_close


def make_canvas(size=(1280, 800), show: bool = False, offscreen: bool = True):
    """A ``vispy.scene.SceneCanvas`` with a live GL context, or Vis3dError saying what is missing.

    offscreen=True tries EGL first (headless), then Qt; offscreen=False (or show=True)
    uses Qt, which needs a display.
    """
    from vispy import scene

    size = (int(size[0]), int(size[1]))
    reasons = []
    if offscreen and not show and not (_qt_running() and _has_display()):
        try:
            _release_glx()
            canvas = scene.SceneCanvas(size=size, show=False, app=_egl_app())
            _make_egl_polite(canvas)
            _check(canvas)
            return canvas
        except Vis3dError:
            raise
        except Exception as exc:  # backend missing, eglInitialize failed, ...
            _apps.pop("egl", None)
            reasons.append(f"EGL: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    if not _has_display():
        raise Vis3dError(NO_CONTEXT)
    try:
        canvas = scene.SceneCanvas(size=size, show=show, app=_qt_app())
        _check(canvas)
        return canvas
    except Exception as exc:
        reasons.append(f"Qt: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        raise Vis3dError("no OpenGL context (" + "; ".join(reasons) + "): install libegl1 "
                         "libegl-mesa0 libgl1-mesa-dri, or run under xvfb-run") from None


def _check(canvas) -> None:
    """Make the context current and ask it for its renderer: fails loudly if it is not real."""
    info = gl_info(canvas)
    if not info.get("renderer"):
        canvas.close()
        raise RuntimeError("context has no renderer")


def gl_info(canvas=None) -> dict:
    """{'renderer', 'version', 'vendor', 'backend'} of the canvas's (or the current) context."""
    from vispy.gloo import gl

    if canvas is not None:
        canvas.set_current()

    def get(name):
        try:
            return str(gl.glGetParameter(name))
        except Exception:
            return ""

    out = {"renderer": get(gl.GL_RENDERER), "version": get(gl.GL_VERSION), "vendor": get(gl.GL_VENDOR)}
    if canvas is not None:
        out["backend"] = canvas.app.backend_name
        release(canvas)
    return out


def release(canvas) -> None:
    """Let go of an egl canvas's context (no-op for Qt), e.g. after drawing it by hand."""
    if canvas.app.backend_name == "egl":
        _release_egl()
