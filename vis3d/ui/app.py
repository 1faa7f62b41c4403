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
    if sys.platform.startswith("linux") and os.environ.get("QT_QPA_PLATFORM", "") not in (
            "offscreen", "minimal") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise Vis3dError(NO_DISPLAY)


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


def main(args) -> int:
    import torch

    torch.set_num_threads(1)  # the renderer needs the other core
    app = make_qapp()
    check_opengl()
    from vis3d.ui.window import MainWindow

    win = MainWindow(model=args.model, camera=args.camera)
    if args.input:
        from vis3d.inputs.files import read_image
        try:
            photo = win.inputs.load_image(read_image(args.input))
            if photo is not None:
                win.apply_input(photo)
                win.say(f"showing {args.input} (read as a photo of paper)")
        except Vis3dError as exc:
            win.say(str(exc))
    win.show()
    return app.exec_()
