"""The camera source on real MJPG .avi files written here, read through the same code path a
webcam uses; the camera view widget painted for real (pytest-qt)."""

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

W, H, N, FPS = 320, 240, 40, 30


def frame_number(k: int) -> np.ndarray:
    """A frame whose number can be read back from its pixels: a bar of width k*8 on top, and
    the number drawn in."""
    img = np.full((H, W, 3), 40, np.uint8)
    img[:16, : 8 * (k + 1)] = 255
    cv2.putText(img, str(k), (90, 170), cv2.FONT_HERSHEY_SIMPLEX, 3, (230, 230, 230), 6)
    return img


def read_number(frame: np.ndarray) -> int:
    """Which frame this is: the length of the top bar (MJPG blurs its end a little)."""
    row = frame[8, :, :].mean(axis=1)
    return int(round((row > 150).sum() / 8)) - 1


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("cam") / "clip.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    assert wr.isOpened()
    for k in range(N):
        wr.write(frame_number(k))
    wr.release()
    return path


def wait_for(cond, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_parse_camera_spec():
    assert parse_camera_spec("0") == 0 and parse_camera_spec(" 2 ") == 2
    assert parse_camera_spec("clip.avi") == "clip.avi" and parse_camera_spec("/dev/video3") == 3
    with pytest.raises(Vis3dError):
        parse_camera_spec("  ")


def test_file_frames_arrive_in_order_and_newest_only(clip):
    with CameraSource(str(clip)) as cam:
        assert cam.wait() == "running"
        seq0, first = cam.latest()
        assert first.shape == (H, W, 3) and first.dtype == np.uint8
        assert read_number(first) == 0
        seen = []
        last = seq0
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            seq, frame = cam.latest()
            if seq != last:
                assert seq > last
                seen.append(read_number(frame))
                last = seq
            time.sleep(0.005)
        assert len(seen) >= 8                       # ~15 frames in 0.5 s at 30 fps
        assert seen == sorted(seen)                 # in order, no loop yet
        # Nobody polls for a while: the frames in between are dropped, not queued.
        seq_a, _ = cam.latest()
        time.sleep(0.5)
        seq_b, frame_b = cam.latest()
        assert seq_b - seq_a >= 8
        assert read_number(frame_b) >= seen[-1] + 8     # a recent frame, not the next queued one
        assert 15 < cam.fps < 45                      # paced at the file's own rate
        assert "320x240" in cam.message and "clip.avi" in cam.message


def test_file_loops(clip):
    with CameraSource(str(clip), loop=True) as cam:
        assert cam.wait() == "running"
        numbers = []
        last = -1
        t_end = time.monotonic() + 2.2                # 40 frames at 30 fps = 1.33 s
        while time.monotonic() < t_end:
            seq, frame = cam.latest()
            if seq != last:
                numbers.append(read_number(frame))
                last = seq
            time.sleep(0.005)
        assert cam.state == "running"
        drops = [i for i in range(1, len(numbers)) if numbers[i] < numbers[i - 1]]
        assert drops, "the clip never started again"
        assert max(numbers) >= N - 3 and numbers[drops[0]] <= 2


def test_file_without_loop_ends(clip):
    cam = CameraSource(str(clip), loop=False)
    cam.start()
    assert wait_for(lambda: cam.state == "ended", timeout=4.0)
    seq, frame = cam.latest()
    assert seq == N and read_number(frame) == N - 1     # every frame published once, last one kept
    assert "ended" in cam.message
    cam.stop()
    assert cam.state == "stopped"


def test_errors_are_clear(tmp_path, clip):
    """start() returns at once; the worker's failure is the state 'failed' with one line."""
    def failure(spec):
        cam = CameraSource(spec)
        cam.start()
        assert cam.wait() == "failed"
        return cam.message

    assert failure(7) == "no camera at index 7"
    assert failure(str(tmp_path / "missing.avi")).endswith("missing.avi: no such file or directory")
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    assert "garbage.avi" in failure(str(garbage))
    header_only = tmp_path / "header.avi"
    header_only.write_bytes(clip.read_bytes()[:3000])
    assert "header.avi" in failure(str(header_only))
    assert "directory" in failure(str(tmp_path))


def test_truncated_file_plays_what_it_has_and_loops(tmp_path, clip):
    cut = tmp_path / "cut.avi"
    data = clip.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with CameraSource(str(cut)) as cam:
        assert cam.wait() == "running"
        assert wait_for(lambda: cam.latest()[0] > 30, timeout=3.0)    # past the cut: looped
        assert cam.state == "running"


def test_stop_joins_quickly(clip):
    cam = CameraSource(str(clip))
    cam.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    cam.stop(timeout=1.0)
    took = time.perf_counter() - t0
    assert took < 1.0 and cam.state == "stopped" and not cam.detached
    assert not any(t.name.startswith("vis3d-camera") and t.is_alive() for t in threading.enumerate())
    seq, _ = cam.latest()
    time.sleep(0.1)
    assert cam.latest()[0] == seq                     # nothing arrives after stop


class FlakyDevice:
    """A real cv2 capture of the clip standing in for a webcam (the one part that cannot exist
    here): paced like a device, optionally converting frames, and failing after some reads."""

    def __init__(self, path, fail_after=None, convert=None, block=0.0):
        self.cap = cv2.VideoCapture(str(path))
        self.fail_after, self.convert, self.block = fail_after, convert, block
        self.reads = 0

    def read(self):
        self.reads += 1
        if self.block:
            time.sleep(self.block)                    # a driver call that hangs
        if self.fail_after is not None and self.reads > self.fail_after:
            return False, None
        time.sleep(1 / 60)
        ok, frame = self.cap.read()
        if not ok:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.cap.read()
        return ok, (self.convert(frame) if ok and self.convert else frame)

    def __getattr__(self, name):
        return getattr(self.cap, name)


def test_device_lost_mid_run_retries_and_recovers(clip):
    opens = []

    def opener(spec):
        opens.append(time.monotonic())
        if len(opens) == 1:
            return FlakyDevice(clip, fail_after=10)   # works, then the cable is pulled
        if len(opens) == 2:
            return None                               # still unplugged at the first retry
        return FlakyDevice(clip)                      # plugged back in

    cam = CameraSource(0, opener=opener, reopen_interval=0.2)
    cam.start()
    try:
        assert cam.state in ("opening", "starting", "running")
        assert wait_for(lambda: cam.state == "running")
        assert "camera 0" in cam.message
        assert wait_for(lambda: cam.state == "retrying")
        assert "retrying" in cam.message
        seq_lost = cam.latest()[0]
        assert wait_for(lambda: cam.state == "running" and cam.latest()[0] > seq_lost + 3)
        assert len(opens) == 3 and cam.reopens == 1
    finally:
        cam.stop()
    assert cam.state == "stopped"


def test_device_retry_gives_up_after_retry_for(clip):
    calls = []

    def opener(spec):
        calls.append(spec)
        return FlakyDevice(clip, fail_after=3) if len(calls) == 1 else None

    with CameraSource(1, opener=opener, reopen_interval=0.1, retry_for=0.35) as cam:
        assert wait_for(lambda: cam.state == "lost")
        assert "lost" in cam.message and len(calls) >= 3


def test_stop_within_timeout_even_when_the_driver_blocks(clip):
    cam = CameraSource(0, opener=lambda spec: FlakyDevice(clip, block=3.0))
    cam.start()
    time.sleep(0.1)                                   # the thread is inside the 3 s read
    t0 = time.perf_counter()
    cam.stop(timeout=0.5)
    assert time.perf_counter() - t0 < 1.0
    assert cam.state == "stopped" and cam.detached


@pytest.mark.parametrize("kind", ["gray", "bgra", "odd", "uint16"])
def test_odd_frames_arrive_as_bgr_uint8(clip, kind):
    convert = {
        "gray": None,                                 # real 1-channel frames from OpenCV itself
        "bgra": lambda f: cv2.cvtColor(f, cv2.COLOR_BGR2BGRA),
        "odd": lambda f: f[3:100, 5:166],             # 161x97, a strided view
        "uint16": lambda f: f.astype(np.uint16) * 257,
    }[kind]

    def opener(spec):
        dev = FlakyDevice(clip, convert=convert)
        if kind == "gray":
            dev.cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)
            assert dev.cap.read()[1].ndim == 2        # the backend really gives gray
        return dev

    with CameraSource(0, opener=opener) as cam:
        assert wait_for(lambda: cam.latest()[0] >= 3)
        _, frame = cam.latest()
        assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
        assert frame.flags.c_contiguous
        expect = (97, 161) if kind == "odd" else (H, W)
        assert frame.shape[:2] == expect
        assert frame.max() > 200 and frame.min() < 80   # values kept, not zeroed or saturated


def test_to_bgr_conversions():
    assert to_bgr(None) is None and to_bgr(np.zeros((0, 3), np.uint8)) is None
    assert to_bgr(np.zeros((4, 4, 5), np.uint8)) is None
    gray_alpha = np.zeros((4, 4, 2), np.uint8)
    gray_alpha[..., 0], gray_alpha[..., 1] = 200, 255
    assert (to_bgr(gray_alpha) == 200).all()          # gray + alpha: the shared rules
    g = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = to_bgr(g)
    assert out.shape == (3, 4, 3) and (out[..., 1] == g).all()
    f = to_bgr(np.full((2, 2), np.nan, np.float32))
    assert f.dtype == np.uint8 and (f == 0).all()
    assert (to_bgr(np.ones((2, 2, 1), np.float64)) == 255).all()


def test_probe_devices_is_quick():
    t0 = time.perf_counter()
    found = probe_devices(4)
    assert isinstance(found, list) and all(isinstance(i, int) for i in found)
    assert time.perf_counter() - t0 < 5.0


# --- the camera view widget -----------------------------------------------------------------

def grab(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(4)      # QImage.Format_RGB32
    ptr = img.constBits()
    ptr.setsize(img.byteCount())
    a = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return a[:, : img.width(), 2::-1].astype(np.int32)  # -> RGB


def test_camera_view_paints_frame_guide_overlay_result_and_status(qtbot, clip):
    from vis3d.ui.camera_view import CameraView, guide_box
    view = CameraView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
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

def camera_threads():
    return [t for t in threading.enumerate() if t.name.startswith("vis3d-camera") and t.is_alive()]


def test_nothing_is_published_after_stop_during_a_reopen(clip):
    """stop() while the worker is inside a device reopen: the worker used to set the state
    back to 'starting' (and publish frames) after stop() had returned."""
    in_reopen = threading.Event()
    calls = []

    def opener(spec):
        calls.append(spec)
        if len(calls) == 1:
            return FlakyDevice(clip, fail_after=3)
        in_reopen.set()
        time.sleep(0.4)                               # a slow reopen
        return FlakyDevice(clip)

    cam = CameraSource(0, opener=opener, reopen_interval=0.05)
    cam.start()
    assert in_reopen.wait(3.0)
    cam.stop(timeout=0.05)
    seq = cam.latest()[0]
    time.sleep(0.8)                                   # the reopen returns, a frame would follow
    assert cam.state == "stopped" and cam.latest()[0] == seq


def test_start_returns_at_once_and_a_hung_open_is_left_behind(clip):
    released = threading.Event()

    class Hung(FlakyDevice):
        def release(self):
            released.set()
            self.cap.release()

    def opener(spec):
        time.sleep(1.0)                               # a device that does not answer
        return Hung(clip)

    cam = CameraSource(0, opener=opener)
    t0 = time.perf_counter()
    cam.start()
    assert time.perf_counter() - t0 < 0.1 and cam.state == "opening"
    t0 = time.perf_counter()
    cam.stop(timeout=0.1)
    assert time.perf_counter() - t0 < 0.3 and cam.detached and cam.state == "stopped"
    assert released.wait(3.0)                         # the late capture is released ...
    assert cam.state == "stopped" and cam.latest() == (0, None)    # ... and never published


def test_a_fifo_fails_quickly_instead_of_blocking(tmp_path):
    fifo = tmp_path / "cam.fifo"
    os.mkfifo(fifo)
    cam = CameraSource(str(fifo))
    t0 = time.perf_counter()
    cam.start()
    assert cam.wait(timeout=2.0) == "failed" and time.perf_counter() - t0 < 1.0
    assert cam.message == f"cannot open video file {fifo}: it is a FIFO (named pipe), not a video file"
    assert wait_for(lambda: not camera_threads())


def test_start_stop_from_two_threads(clip):
    """200 start/stop pairs from two threads at once: no exception, no thread left over
    (it used to raise 4 times and leave 56 threads running)."""
    cam = CameraSource(str(clip))
    errors = []

    def hammer():
        try:
            for _ in range(100):
                cam.start()
                cam.stop(timeout=0.5)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    cam.stop()
    assert errors == []
    assert wait_for(lambda: not camera_threads(), timeout=5.0), camera_threads()
    assert cam.state == "stopped"


def test_a_dropped_source_stops(clip):
    cam = CameraSource(str(clip))
    cam.start()
    assert cam.wait() == "running" and camera_threads()
    del cam
    gc.collect()
    assert wait_for(lambda: not camera_threads(), timeout=3.0)


EXIT_SCRIPT = """
import sys, time
from vis3d.inputs.camera import CameraSource
cam = CameraSource(sys.argv[1])
cam.start()
assert cam.wait() == "running", cam.message
time.sleep(0.2)
print("leaving")
"""


def test_leaving_the_interpreter_with_a_live_source(clip):
    for _ in range(5):
        res = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, str(clip)], capture_output=True,
                             text=True, timeout=60)
        assert res.returncode == 0 and res.stdout == "leaving\n", res.stderr[-800:]


@pytest.mark.parametrize("cut", ["one frame", "header only"])
def test_a_clip_broken_mid_run_is_lost_backs_off_and_comes_back(tmp_path, monkeypatch, cut,
                                                               capfd):
    """A clip truncated in place after its first frame: it used to show 'running' forever on a
    frozen frame (and spin the decoder); now it is 'lost' with a message, retried with a
    back-off, and plays again when the file is whole again."""
    from vis3d.inputs import camera
    monkeypatch.setattr(camera, "BACKOFF_MAX", 1.0)
    live = tmp_path / "live.avi"
    # noisy frames (~57 KB each): more than FFmpeg keeps buffered, so the cut is felt at once
    wr = cv2.VideoWriter(str(live), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    for k in range(N):
        wr.write(np.random.default_rng(k).integers(0, 256, (H, W, 3), dtype=np.uint8))
    wr.release()
    data = live.read_bytes()
    with CameraSource(str(live)) as cam:
        assert cam.wait() == "running"
        second = data.index(b"00dc", data.index(b"00dc", data.index(b"movi")) + 8)
        os.truncate(live, second + 200 if cut == "one frame" else 3000)
        assert wait_for(lambda: cam.state == "lost", timeout=5.0)
        assert cam.message.startswith("live.avi can no longer be read; trying again in")
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        seq = cam.latest()[0]
        time.sleep(1.5)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cores = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / (time.monotonic() - t0)
        assert cores < 0.3 and cam.state == "lost" and cam.latest()[0] == seq
        live.write_bytes(data)
        assert wait_for(lambda: cam.state == "running" and cam.latest()[0] > seq + 5, timeout=5.0)
    out, err = capfd.readouterr()
    assert out == "" and err == ""                    # no decoder or container chatter


# --- the input panel --------------------------------------------------------------------------------

@pytest.fixture
def panel(qtbot):
    from vis3d.ui.input_panel import InputPanel
    p = InputPanel()
    qtbot.addWidget(p)
    p.resize(360, 460)
    p.show()
    qtbot.waitExposed(p)
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
    assert time.perf_counter() - t0 < 0.3
    qtbot.waitUntil(lambda: panel.poll() is not None or panel.camera_problem.isVisible(),
                    timeout=3000)
    assert "failed" in states and panel.camera_problem.isVisible() and panel.reopen.isVisible()
    assert "FIFO" in panel.camera_problem.text() and any("FIFO" in m for m in messages)
    assert cv2.getNumThreads() == 1                   # OpenCV kept off the renderer's core


def test_panel_no_digit_once_then_none_while_preview_updates(panel, qtbot, tmp_path):
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
    assert len(given) == 1 and not given[0].found and given[0].reason


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
