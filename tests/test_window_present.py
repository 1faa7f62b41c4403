"""The scene's native GL window: frames reach the screen, are paced to the display, and
nothing is drawn while nothing moves. The FrameClock's bookkeeping of presented frames."""

import numpy as np
import pytest
from PyQt5.QtCore import QPoint, QPointF, QSettings, Qt

pytestmark = pytest.mark.gl


@pytest.fixture
def window(qtbot, tmp_path):
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=QSettings(str(tmp_path / "vis3d.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.move(0, 0)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(300)
    yield win
    win.view.set_auto_orbit(False)
    win.close()


def test_scene_frames_are_presented_on_the_screen(window, qtbot):
    from PyQt5.QtGui import QWindow
    native = window.canvas.native
    assert isinstance(native, QWindow) and native.isExposed()
    assert window.centralWidget().isAncestorOf(native.container)
    n = len(window.clock.presents)
    window.canvas.update()
    qtbot.waitUntil(lambda: len(window.clock.presents) > n, timeout=2000)
    assert window.clock.present_ms[-1] >= window.clock.draw_ms[-1] > 0
    # What the X server shows in the scene's place: the scene's background and its nodes,
    # the same pixels canvas.render() gives.
    c = native.container
    top_left = c.mapTo(window, QPoint(0, 0))
    shot = window.screen().grabWindow(window.winId(), top_left.x(), top_left.y(),
                                      c.width(), c.height()).toImage()
    shot = shot.convertToFormat(shot.Format_RGB888)
    w, h = shot.width(), shot.height()
    img = np.frombuffer(shot.bits().asstring(shot.bytesPerLine() * h), np.uint8)
    img = img.reshape(h, shot.bytesPerLine())[:, :3 * w].reshape(h, w, 3).astype(int)
    ref = window.canvas.render(alpha=False)[..., :3].astype(int)
    assert img.shape == ref.shape
    bg = np.array([int(window.canvas.bgcolor.rgb[k] * 255 + 0.5) for k in range(3)])
    lit = np.abs(img - bg).sum(-1) > 30
    assert 0.01 < lit.mean() < 0.6                      # nodes on the dark background
    assert np.mean(np.abs(img - ref).sum(-1) <= 12) > 0.97


def test_idle_window_draws_nothing(window, qtbot):
    qtbot.wait(300)
    window.clock.reset()
    qtbot.wait(1500)   # the status bar's timer runs meanwhile
    assert len(window.clock.draws) == 0 and len(window.clock.presents) == 0
    assert window.clock.presents_without_draw == 0


def test_auto_orbit_is_paced_by_frames_and_stops(window, qtbot):
    period = window.canvas.native.frame_period()
    assert period == pytest.approx(1 / 60, rel=0.5)
    window.clock.reset()
    az = window.view.view.camera.azimuth
    window.view.set_auto_orbit(True)
    qtbot.wait(1000)
    window.view.set_auto_orbit(False)
    frames = len(window.clock.presents)
    assert frames >= 5                                 # it animates
    assert frames <= 1.0 / period * 1.15 + 2           # never faster than the display
    t = np.diff(np.array(window.clock.presents))
    assert np.median(t) >= 0.9 * period
    turned = (window.view.view.camera.azimuth - az) % 360
    assert 5 <= turned <= 13                           # 12 degrees/s on the wall clock (less when loaded)
    qtbot.wait(100)
    window.clock.reset()
    qtbot.wait(500)
    assert len(window.clock.draws) == 0


def test_wheel_and_keys_reach_the_scene_through_the_native_window(window, qtbot):
    from PyQt5.QtGui import QWheelEvent
    from PyQt5.QtWidgets import QApplication
    native = window.canvas.native
    cam = window.view.view.camera
    d0 = cam.distance
    mid = QPoint(native.width() // 2, native.height() // 2)
    ev = QWheelEvent(QPointF(mid), QPointF(native.mapToGlobal(mid)), QPoint(0, 0),
                     QPoint(0, 240), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(native, ev)
    assert cam.distance < d0                           # wheel up zooms in
    window.activateWindow()
    native.setFocus()
    qtbot.keyClick(native, Qt.Key_O)
    assert window.view.auto_orbit
    qtbot.keyClick(native, Qt.Key_O)
    assert not window.view.auto_orbit


def test_frame_clock_times_input_to_presented_frames():
    from vis3d.ui.frameclock import FrameClock
    clock = FrameClock()
    t = [10.0]
    clock.input_origin = lambda: t[0]
    clock.frame_started()
    clock.frame_drawn((0, -1))
    clock.frame_presented()                 # the first frame: nothing was input
    assert len(clock.presents) == 1 and len(clock.present_latencies) == 0
    clock.input_changed()                   # an input made at t=10 s (perf_counter > 10)
    clock.frame_started()
    clock.frame_drawn((0, -1))              # same state: the input is not shown yet
    clock.frame_presented()
    assert len(clock.present_latencies) == 0
    clock.frame_started()
    clock.frame_drawn((1, -1))              # its result drawn ...
    assert len(clock.latencies) == 1 and len(clock.present_latencies) == 0
    clock.frame_presented()                 # ... and presented
    assert len(clock.present_latencies) == 1
    assert clock.present_latencies[0] >= clock.latencies[0]
    clock.frame_presented()                 # a compose with no new scene frame
    assert clock.presents_without_draw == 1 and len(clock.presents) == 3


def test_offscreen_frames_on_the_window_context_draw_the_window_scene(window, qtbot):
    """The bench's fair offscreen figure: the window's scene, drawn on its own context into
    a framebuffer, the same pixels as canvas.render(), and the window still presents."""
    from vis3d.bench.present import fbo_frame_times
    window.view.set_auto_orbit(True)
    qtbot.wait(300)
    window.view.set_auto_orbit(False)
    qtbot.wait(100)
    got: list = []
    times = fbo_frame_times(window.canvas, frames=3, image=got)
    assert len(times) == 3 and all(0 < t < 2000 for t in times)
    ref = window.canvas.render()
    assert got[0].shape == ref.shape
    assert np.mean(np.abs(got[0].astype(int) - ref.astype(int)).sum(-1) <= 12) > 0.99
    assert (np.abs(ref[..., :3].astype(int) - ref[0, 0, :3]).sum(-1) > 30).mean() > 0.01
    n = len(window.clock.presents)
    window.canvas.update()
    qtbot.waitUntil(lambda: len(window.clock.presents) > n, timeout=2000)
