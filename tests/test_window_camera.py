"""The window with the camera: a real MJPG clip through the same source a webcam uses."""

import cv2
import numpy as np
import pytest
from PyQt5.QtCore import QSettings

pytestmark = pytest.mark.gl


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "vis3d.ini"), QSettings.IniFormat)


def clip_of_digits(path, digit="7", frames=30):
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    for _ in range(frames):
        img = np.full((240, 320, 3), 235, np.uint8)
        cv2.putText(img, digit, (120, 180), cv2.FONT_HERSHEY_SIMPLEX, 5, (20, 20, 20), 10)
        wr.write(img)
    wr.release()
    return path


def make_window(qtbot, settings, **kw):
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=settings, **kw)
    qtbot.addWidget(win)
    win.show()
    return win


def test_clip_drives_the_network_steadied_and_close_is_fast(qtbot, settings, tmp_path):
    import time
    win = make_window(qtbot, settings, camera=str(clip_of_digits(tmp_path / "seven.avi")))
    assert win.inputs.source == "camera"
    qtbot.waitUntil(lambda: win.prediction.digit == 7, timeout=8000)
    assert win.prediction.note == "steadied" and win.session.source == "camera"
    status = win.statusBar().currentMessage()
    assert "opening" not in status and "seven.avi" in status, status
    runs = win.session.probe_runs
    qtbot.wait(500)   # a still clip: identical frames do not rerun the network every frame
    assert win.session.probe_runs - runs < 10
    for size in ((900, 600), (1400, 900), (640, 480)):
        win.resize(*size)
        qtbot.wait(50)
    win.showMinimized()
    qtbot.wait(100)
    win.showNormal()
    cam = win.inputs.camera
    t0 = time.perf_counter()
    win.close()
    assert time.perf_counter() - t0 < 1.0
    assert cam.state == "stopped"


def test_missing_camera_is_a_notice_and_the_window_keeps_running(qtbot, settings, capfd):
    win = make_window(qtbot, settings, camera="7")
    qtbot.waitUntil(lambda: win.notice.isVisible(), timeout=5000)
    assert "7" in win.notice.label.text()
    assert "vis3d: error:" in capfd.readouterr().err
    assert win.session.prediction.digit is None
    win.notice.dismiss()
    assert not win.notice.isVisible()
    win.close()
