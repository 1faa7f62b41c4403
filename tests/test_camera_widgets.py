"""The camera widgets painted for real (pytest-qt): the camera view, and the input panel
opening, failing and reopening cameras without blocking."""

import gc
import os
import resource
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest

from vis3d.inputs.camera import CameraSource, parse_camera_spec, probe_devices, to_bgr
from vis3d.errors import Vis3dError

from camerahelp import FPS, H, N, W, clip, frame_number, read_number, wait_for  # noqa: F401
from qthelp import shown

def grab(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(4)      # QImage.Format_RGB32
    ptr = img.constBits()
    ptr.setsize(img.byteCount())
    a = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return a[:, : img.width(), 2::-1].astype(np.int32)  # -> RGB


def test_camera_view_paints_frame_guide_overlay_result_and_status(qtbot, clip):
    from vis3d.ui.camera_view import CameraView, guide_box
    view = shown(qtbot, CameraView(), 400, 300)
    view.set_status("no camera")
    empty = grab(view)
    assert empty[140:160, 150:250].std() > 5          # the centred 'no camera' text
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :, 1] = 90                               # a green picture
    view.show_frame(frame)
    view.set_status("")
    shot = grab(view)
    # 320x240 fills the 400x300 view exactly (scale 1.25); the picture is green.
    assert abs(shot[20, 60, 1] - 90) < 8 and shot[20, 60, 0] < 10
    x0, y0, x1, y1 = guide_box(320, 240)
    gx = int(x0 * 1.25)                               # the guide box's left edge, in the view
    column = shot[int(y0 * 1.25) + 20:int(y1 * 1.25) - 20, gx - 1:gx + 2].max(axis=1)
    assert (column.min(axis=1) > 100).mean() > 0.4    # a dashed white line over the green
    assert shot[150, 200].max() < 100                 # inside the box: the picture itself
    # The sheet outline and ink box.
    view.set_overlay(np.array([[40, 30], [280, 30], [280, 210], [40, 210]], np.float32),
                     (140, 80, 180, 160))
    shot = grab(view)
    assert shot[int(30 * 1.25), 200, 2] > 200         # blue-ish sheet line along the top
    assert shot[int(120 * 1.25), int(140 * 1.25), 0] > 200   # orange ink box on the left edge
    # The 28x28 preview in the top-right corner.
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 12:16] = 1.0
    view.set_result(digit, "")
    shot = grab(view)
    corner = shot[8:92, 400 - 92:400 - 8]
    assert corner.max() > 240 and (corner.max(axis=2) > 200).mean() > 0.05
    view.set_result(None, "no digit")
    shot2 = grab(view)
    assert (np.abs(shot2[8:92, 308:392] - corner).max()) > 100
    # The status line at the bottom.
    before = grab(view)
    view.set_status("camera lost, retrying...")
    after = grab(view)
    assert np.abs(after[-20:] - before[-20:]).max() > 60
    assert np.abs(after[:200] - before[:200]).max() == 0


def test_camera_view_follows_a_running_source(qtbot, clip):
    from vis3d.ui.camera_view import CameraView
    view = CameraView()
    qtbot.addWidget(view)
    view.show()
    with CameraSource(str(clip)) as cam:
        last = -1

        def poll():
            nonlocal last
            seq, frame = cam.latest()
            if seq != last:
                last = seq
                view.show_frame(frame)
            return view.frames_shown >= 10

        qtbot.waitUntil(poll, timeout=3000)
    for bad in (np.zeros((5, 5, 7), np.uint8), np.zeros((0, 4), np.float32), "text"):
        view.show_frame(bad)                          # ignored, no crash
    assert view.frames_shown == 10
    view.show_frame(np.zeros((4, 4), np.float32))     # any numeric picture is shown
    assert view.frames_shown == 11


# --- the worker's life: async open, stop, threads, exit -------------------------------------------


@pytest.fixture
def panel(qtbot):
    from vis3d.ui.input_panel import InputPanel
    p = shown(qtbot, InputPanel(), 360, 460)
    yield p
    p.close_camera()


def test_panel_opens_without_blocking_and_shows_a_failure(panel, qtbot, tmp_path):
    """A FIFO given as --camera used to keep the window from appearing for 40 s and more."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    messages, states = [], []
    panel.status.connect(messages.append)
    panel.camera_state.connect(states.append)
    t0 = time.perf_counter()
    assert panel.open_camera(str(fifo))
    panel.set_source("camera")
    assert time.perf_counter() - t0 < 0.6
    qtbot.waitUntil(lambda: panel.poll() is not None or panel.camera_problem.isVisible(),
                    timeout=3000)
    assert "failed" in states and panel.camera_problem.isVisible() and panel.reopen.isVisible()
    assert "FIFO" in panel.camera_problem.text() and any("FIFO" in m for m in messages)
    assert cv2.getNumThreads() == 1                   # OpenCV kept off the renderer's core


def test_panel_gives_every_no_digit_frame_with_its_reason(panel, qtbot, tmp_path):
    """Each new frame without a digit reaches the window (the steadier must count them all to
    let a digit go), each with its reason; none while no new frame came."""
    blank = tmp_path / "blank.avi"
    wr = cv2.VideoWriter(str(blank), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    for _ in range(20):
        wr.write(np.full((H, W, 3), 200, np.uint8))   # empty paper filling the frame
    wr.release()
    assert panel.open_camera(str(blank))
    panel.set_source("camera")
    results = []
    shown0 = panel.camera_view.frames_shown

    def tick():
        results.append(panel.poll())
        return panel.camera_view.frames_shown - shown0 >= 10

    qtbot.waitUntil(tick, timeout=4000)
    given = [r for r in results if r is not None]
    assert len(given) == panel.camera_view.frames_shown - shown0   # one a new frame
    assert len(results) > len(given)                  # and none on polls between frames
    assert all(not r.found and r.reason for r in given)


def test_panel_reopens_a_lost_camera_when_switching_back(panel, qtbot, tmp_path, clip):
    missing = tmp_path / "later.avi"
    panel.open_camera(str(missing))
    panel.set_source("camera")
    qtbot.waitUntil(lambda: (panel.poll(), panel.camera.state)[1] == "failed", timeout=3000)
    assert panel.camera_problem.isVisible() and "no such file" in panel.camera_problem.text()
    missing.write_bytes(clip.read_bytes())            # the file appears
    panel.set_source("pad")
    panel.set_source("camera")                        # switching back reopens it
    qtbot.waitUntil(lambda: panel.camera.state == "running", timeout=3000)
    qtbot.waitUntil(lambda: (panel.poll(), not panel.camera_problem.isVisible())[1], timeout=3000)
    panel.close_camera()
    panel.open_camera(str(tmp_path / "gone.avi"))
    qtbot.waitUntil(lambda: (panel.poll(), panel.reopen.isVisible())[1], timeout=3000)
    (tmp_path / "gone.avi").write_bytes(clip.read_bytes())
    panel.reopen.click()                              # the Reopen button
    qtbot.waitUntil(lambda: panel.camera.state == "running", timeout=3000)


def test_a_sheet_without_a_digit_is_outlined_only_with_the_stages(panel, qtbot, tmp_path):
    """The outline of the sheet read from shows with a digit; a sheet that held none (it may
    be a lit wall taken for one) only when the stages are asked for."""
    frame = np.full((H, W, 3), 60, np.uint8)
    cv2.rectangle(frame, (180, 120), (460, 380), (225, 225, 225), -1)   # a blank sheet
    path = tmp_path / "blank_sheet.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    rng = np.random.default_rng(0)
    for _ in range(20):
        wr.write(np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8))
    wr.release()
    assert panel.open_camera(str(path))
    panel.set_source("camera")
    got = []
    qtbot.waitUntil(lambda: (got.append(panel.poll()), got[-1] is not None)[1], timeout=4000)
    assert not got[-1].found and got[-1].sheet is not None
    assert panel.camera_view._sheet is None
    panel.controls.stages.setChecked(True)
    got.clear()
    qtbot.waitUntil(lambda: (got.append(panel.poll()), got[-1] is not None)[1], timeout=4000)
    assert panel.camera_view._sheet is not None
