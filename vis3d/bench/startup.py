"""``python -m vis3d.bench.startup [--model SPEC ...]``: start the real window as
``vis3d --model SPEC`` does (vis3d.ui.app.main), and when it has drawn its first frame
print one JSON line of seconds since this module began, and close. Run by vis3d.bench.model
in a new process, so that every import is counted."""

import time

T0 = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402


def main(argv=None) -> int:
    from vis3d.cli import build_parser
    args = build_parser().parse_args(argv if argv is not None else sys.argv[1:])
    from PyQt5.QtCore import QTimer

    from vis3d.ui import app as app_mod
    from vis3d.ui.window import MainWindow
    marks = {"imports_s": time.perf_counter() - T0}
    shown = MainWindow.show
    made = MainWindow.__init__

    def init(self, *a, **kw):
        marks["model_s"] = time.perf_counter() - T0   # loaded and probed by app.main
        made(self, *a, **kw)
        marks["window_s"] = time.perf_counter() - T0

    def show(self):
        shown(self)

        def poll():
            if self.clock.draws:
                marks["first_frame_s"] = self.clock.draws[0] - T0
                marks["nodes"] = self.session.layout.count
                print(json.dumps({k: round(v, 3) if isinstance(v, float) else v
                                  for k, v in marks.items()}), flush=True)
                self.close()
            else:
                QTimer.singleShot(5, poll)
        QTimer.singleShot(0, poll)

    MainWindow.__init__, MainWindow.show = init, show
    return app_mod.main(args)


if __name__ == "__main__":
    import os
    code = main()
    sys.stdout.flush()
    os._exit(int(code or 0))
