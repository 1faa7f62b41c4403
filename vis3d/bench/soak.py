"""``vis3d bench --soak SECONDS``: the real window with the camera on a looping clip.

Reports the process's resident memory at 20 s (a third of a shorter run) and at the end (its growth is what a leak would
show), how many network runs and frames happened, and how long closing the window takes
while the camera streams. Needs a display (as the window does).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def write_clip(path: Path, frames: int = 90) -> Path:
    """A 3-second MJPG clip of the bundled camera samples (photos of digits on paper)."""
    import vis3d.inputs  # noqa: F401 - sets OpenCV's limits before cv2 loads
    import cv2
    import numpy as np

    from vis3d.inputs.files import read_image
    from vis3d.paths import assets_dir
    photos = [read_image(p) for p in sorted((assets_dir() / "samples").glob("camera_*.jpg"))]
    photos = [cv2.resize(p if p.ndim == 3 else cv2.cvtColor(p, cv2.COLOR_GRAY2BGR), (640, 480))
              for p in photos]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    for k in range(frames):
        img = photos[(k // 30) % len(photos)].copy()
        shift = np.float32([[1, 0, 3 * np.sin(k / 5)], [0, 1, 2 * np.cos(k / 7)]])
        wr.write(cv2.warpAffine(img, shift, (640, 480), borderMode=cv2.BORDER_REPLICATE))
    wr.release()
    return path


def soak(model: str | None, seconds: float = 60.0, clip: str | None = None) -> dict:
    import vis3d.inputs  # noqa: F401 - sets OpenCV's limits before cv2 loads
    import cv2
    import torch
    from PyQt5.QtCore import QSettings

    from vis3d.ui.app import check_opengl, make_qapp
    from vis3d.ui.window import MainWindow

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    app = make_qapp()
    check_opengl()
    with tempfile.TemporaryDirectory() as tmp:
        clip = clip or str(write_clip(Path(tmp) / "soak.avi"))
        win = MainWindow(model=model, camera=clip,
                         settings=QSettings(f"{tmp}/s.ini", QSettings.IniFormat))
        win.resize(1600, 900)
        win.show()
        t0 = time.monotonic()
        mark = min(20.0, seconds / 3)  # memory is compared between this mark and the end
        rss20 = None
        draws = 0
        win.canvas.events.draw.connect(lambda _e: None)
        while time.monotonic() - t0 < seconds:
            app.processEvents()
            time.sleep(0.002)
            if rss20 is None and time.monotonic() - t0 >= mark:
                rss20 = _rss_mb()
                runs20, frames20 = win.session.probe_runs, len(win.clock.draws)
        rss_end = _rss_mb()
        runs = win.session.probe_runs
        t_close = time.perf_counter()
        win.close()
        app.processEvents()
        quit_ms = 1000 * (time.perf_counter() - t_close)
    return {"seconds": seconds, "mark_s": round(mark, 1), "rss_mb_mark": round(rss20, 1),
            "rss_mb_end": round(rss_end, 1),
            "rss_growth_pct": round(100 * (rss_end - rss20) / rss20, 2),
            "network_runs": runs, "network_runs_after_mark": runs - runs20,
            "close_with_camera_ms": round(quit_ms, 1)}
