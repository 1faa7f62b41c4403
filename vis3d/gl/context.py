"""An OpenGL canvas without a window, for ``vis3d snapshot`` and ``vis3d bench``.

Order of attempts: VisPy's 'egl' backend on Mesa's surfaceless platform (no X
server needed), then Qt (PyQt5) when a display exists. The egl canvas gets its own
``vispy.app.Application`` so it does not change the process-wide default backend:
a Qt window and an egl canvas can live in the same process.
"""

from __future__ import annotations

import os

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


def make_canvas(size=(1280, 800), show: bool = False, offscreen: bool = True):
    """A ``vispy.scene.SceneCanvas`` with a live GL context, or Vis3dError saying what is missing.

    offscreen=True tries EGL first (headless), then Qt; offscreen=False (or show=True)
    uses Qt, which needs a display.
    """
    from vispy import scene

    size = (int(size[0]), int(size[1]))
    reasons = []
    if offscreen and not show:
        try:
            canvas = scene.SceneCanvas(size=size, show=False, app=_egl_app())
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
    return out
