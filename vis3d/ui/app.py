"""Opening the window: checks for a display and OpenGL first, then runs the Qt loop."""

from __future__ import annotations

import os
import sys

from vis3d.errors import Vis3dError

NO_DISPLAY = ("no display: vis3d needs an X11 or Wayland session (DISPLAY is not set); "
              "on a headless machine run it under a virtual X server: scripts/run.sh, or "
              "xvfb-run -a vis3d")
NO_GL = ("no OpenGL context could be created: install Mesa's drivers "
         "(sudo apt-get install libgl1-mesa-dri libegl1 libglx-mesa0) or update the GPU driver")


def check_display() -> None:
    """Fail with one line, before Qt would abort the process, when there is no display."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "") in (
            "offscreen", "minimal", "eglfs"):
        return
    display = os.environ.get("DISPLAY")
    if not display and not os.environ.get("WAYLAND_DISPLAY"):
        raise Vis3dError(NO_DISPLAY)
    if display and os.environ.get("QT_QPA_PLATFORM", "xcb").startswith("xcb") \
            and not _x_display_answers():
        raise Vis3dError(f"cannot open display {display}: no X server answers there, or it "
                         "refused the connection (check DISPLAY and XAUTHORITY); without a "
                         "display, use scripts/run.sh or xvfb-run -a vis3d")


def _x_display_answers() -> bool:
    """Whether Xlib can open $DISPLAY (True when libX11 is not there to ask)."""
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("X11")
    if not name:
        return True
    try:
        xlib = ctypes.CDLL(name)
    except OSError:
        return True
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    # libxcb prints its own complaint ("Authorization required...") on stderr: keep it
    # out, so the user reads the one line below.
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            dpy = xlib.XOpenDisplay(None)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    if not dpy:
        return False
    xlib.XCloseDisplay(dpy)
    return True


def make_qapp():
    """The QApplication (created once), with the dark theme and VisPy bound to PyQt5."""
    check_display()
    from PyQt5.QtWidgets import QApplication
    import vispy.app

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
        app = QApplication(sys.argv[:1])
        app.setApplicationName("vis3d")
        app.setOrganizationName("vis3d")
        from vis3d.ui.theme import apply_dark_theme
        apply_dark_theme(app)
    vispy.app.use_app("pyqt5")
    return app


def check_opengl() -> None:
    from PyQt5.QtGui import QOffscreenSurface, QOpenGLContext

    ctx = QOpenGLContext()
    if not ctx.create():
        raise Vis3dError(NO_GL)
    surface = QOffscreenSurface()
    surface.create()
    if not ctx.makeCurrent(surface):
        raise Vis3dError(NO_GL)
    ctx.doneCurrent()


def quit_on_signals(app, window) -> dict:
    """Ctrl+C (SIGINT) and SIGTERM close the window cleanly and end the loop with 130 / 143.

    Python runs signal handlers only between bytecodes, and Qt's loop runs in C: a wakeup
    socket (signal.set_wakeup_fd) makes the loop notice the signal at once."""
    import signal
    import socket

    from PyQt5.QtCore import QSocketNotifier

    state = {"code": None}
    rsock, wsock = socket.socketpair()
    for sock in (rsock, wsock):
        sock.setblocking(False)
    signal.set_wakeup_fd(wsock.fileno())

    def handler(signum, _frame):
        state["code"] = 128 + signum

    def wake():
        try:
            rsock.recv(64)
        except OSError:
            pass
        if state["code"] is not None:
            window.close()
            app.exit(state["code"])

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Read, app)
    notifier.activated.connect(wake)
    state["keep"] = (rsock, wsock, notifier)
    return state


def main(args) -> int:
    import vis3d.inputs  # noqa: F401 - sets OpenCV's limits before cv2 loads
    import cv2
    import torch

    torch.set_num_threads(1)  # the renderer needs the other core
    cv2.setNumThreads(1)
    app = make_qapp()
    check_opengl()
    from vis3d.ui.window import MainWindow

    model = args.model
    if model is not None and (getattr(args, "weights", None) or getattr(args, "input_shape", None)
                              or ".py" in str(model)):
        from vis3d.commands.common import load_model
        model = load_model(args)   # a bad model is one line and exit 2, before any window
        model.checked = model.make_probe()   # the window's session takes this probe
    win = MainWindow(model=model, camera=args.camera)
    win.insight.jobs.data = getattr(args, "data", None)
    if args.input:
        win.show_image_file(args.input)
    signals = quit_on_signals(app, win)
    win.show()
    code = app.exec_()
    if signals["code"] is not None:
        return signals["code"]
    return 2 if (code == 0 and win.startup_errors) else code


def fit_on_screen(win) -> None:
    """Move and shrink a top-level window so all of it (status bar included) lies on the
    screen it is on: a geometry saved on a larger screen, or restored where no window
    manager places it, must not leave part of the window off-screen."""
    from PyQt5.QtWidgets import QApplication
    screen = QApplication.screenAt(win.frameGeometry().center()) or QApplication.primaryScreen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    frame, inner = win.frameGeometry(), win.geometry()
    extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
    w = min(inner.width(), avail.width() - extra_w)
    h = min(inner.height(), avail.height() - extra_h)
    if (w, h) != (inner.width(), inner.height()):
        win.resize(w, h)
    x = min(max(frame.x(), avail.x()), avail.right() + 1 - (w + extra_w))
    y = min(max(frame.y(), avail.y()), avail.bottom() + 1 - (h + extra_h))
    if (x, y) != (frame.x(), frame.y()):
        win.move(x, y)


LAYOUT_VERSION = 2   # the docks' saved arrangement; 2: tabbed down the right edge


def restore_layout(win, geometry, state) -> None:
    """The saved window geometry and dock arrangement, kept only where they fit: geometry
    brought onto the screen, and an arrangement from an older layout version, or one whose
    docks stacked would make the window taller or wider than the screen, dropped."""
    from PyQt5.QtCore import QByteArray
    from PyQt5.QtWidgets import QApplication
    if isinstance(geometry, QByteArray) and win.restoreGeometry(geometry):
        fit_on_screen(win)   # saved on a larger or another screen: all of it in view
    if not isinstance(state, QByteArray):
        return
    default = win.saveState(LAYOUT_VERSION)
    screen = QApplication.primaryScreen()
    if win.restoreState(state, LAYOUT_VERSION) and screen is not None:
        need, avail = win.minimumSizeHint(), screen.availableGeometry()
        if need.height() > avail.height() or need.width() > avail.width():
            win.restoreState(default, LAYOUT_VERSION)
