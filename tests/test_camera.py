"""The camera source on real MJPG .avi files written here, read through the same code path a
webcam uses: frames, loops, errors, lost devices, threads, exit."""

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
    assert time.perf_counter() - t0 < 0.5 and cam.state == "opening"
    t0 = time.perf_counter()
    cam.stop(timeout=0.1)
    assert time.perf_counter() - t0 < 0.6 and cam.detached and cam.state == "stopped"
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
