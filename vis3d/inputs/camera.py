"""The webcam source: a worker thread that keeps only the newest frame.

``CameraSource(0)`` reads a device, ``CameraSource('clip.avi')`` a video file through the same
code path (a file is paced at its own frame rate and loops, so it behaves like a camera).
The GUI tick calls :meth:`CameraSource.latest` and works only when the sequence number changed;
frames that arrive in between are dropped, never queued, so the picture never lags behind.

The thread never raises, never touches Qt or GL: a device that fails mid-run goes to
``'retrying'`` and is reopened about once a second; its state and a human message are
properties the window shows. No Qt imports here.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from vis3d.errors import Vis3dError
from vis3d.inputs import convert
from vis3d.inputs.files import missing_reason

STATES = ("starting", "running", "retrying", "ended", "lost", "stopped")
READ_TIMEOUT_MS = 500      # a device read gives up after this long (where the backend supports it)
DEVICE_STALL_S = 2.0       # an open device that delivers nothing for this long is reopened
DEFAULT_FILE_FPS = 25.0    # for files that do not say their rate


def parse_camera_spec(text) -> int | str:
    """'0' -> 0 and '/dev/video2' -> 2 (device indices), anything else -> a video file path."""
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
        return int(text)
    s = str(text).strip()
    if not s:
        raise Vis3dError("empty camera: give a device index (0, 1, ...) or a video file")
    if s.lstrip("+").isdigit():
        return int(s)
    if s.startswith("/dev/video") and s[len("/dev/video"):].isdigit():
        return int(s[len("/dev/video"):])
    return s


def to_bgr(frame) -> np.ndarray | None:
    """Any frame a backend may give (gray, gray with a channel axis, BGR, BGRA; uint8, uint16
    or float; odd sizes, strided) -> contiguous BGR uint8, or None if it is not a picture."""
    return convert.bgr_u8(frame)


def _device_exists(index: int) -> bool | None:
    """On Linux, whether /dev/video<index> exists (None where we cannot tell cheaply)."""
    if sys.platform.startswith("linux"):
        return os.path.exists(f"/dev/video{index}")
    return None


def _open_device(index: int, width: int, height: int):
    if _device_exists(index) is False:
        return None
    backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    try:
        cap = cv2.VideoCapture(index, backend, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 2000,
                                                cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS])
    except cv2.error:
        cap = cv2.VideoCapture(index, backend)
    if not cap.isOpened():
        cap.release()
        return None
    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)          # keep the driver from queueing old frames
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    return cap


def _open_file(path: str):
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        return None
    return cap


def probe_devices(max_index: int = 4) -> list[int]:
    """Device indices 0..max_index-1 that open (quick: nonexistent nodes are skipped)."""
    found = []
    for i in range(max_index):
        if _device_exists(i) is False:
            continue
        cap = _open_device(i, 640, 480)
        if cap is not None:
            found.append(i)
            cap.release()
    return found


class CameraSource:
    """A device index or a video file read in a worker thread; only the newest frame is kept.

    ``opener(spec)`` (optional) returns an object with ``read()``, ``get()``, ``set()``,
    ``isOpened()`` and ``release()`` like ``cv2.VideoCapture``, or None; by default devices
    and files are opened with OpenCV. ``retry_for`` (seconds, None = forever) bounds how long a
    lost device is retried before the state becomes ``'lost'``.
    """

    def __init__(self, spec: int | str, loop: bool = True, width: int = 640, height: int = 480,
                 *, opener: Callable | None = None, reopen_interval: float = 1.0,
                 retry_for: float | None = None):
        self.spec = parse_camera_spec(spec)
        self.is_device = isinstance(self.spec, int)
        self.loop = loop
        self.width, self.height = int(width), int(height)
        self.reopen_interval = float(reopen_interval)
        self.retry_for = retry_for
        self._opener = opener
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._frame: np.ndarray | None = None
        self._times: deque[float] = deque(maxlen=30)
        self._state = "stopped"
        self._message = ""
        self._nominal_fps = 0.0
        self._size = (0, 0)
        self.detached = False      # True if stop() had to leave a blocked thread behind
        self.reopens = 0           # successful reopens after a failure

    # --- public API ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"camera {self.spec}" if self.is_device else Path(self.spec).name

    @property
    def state(self) -> str:
        return self._state

    @property
    def message(self) -> str:
        if self._state == "running":
            w, h = self._size
            rate = self.fps or self._nominal_fps
            extra = " (looping)" if not self.is_device and self.loop else ""
            return f"{self.name}: {w}x{h}, {rate:.0f} fps{extra}"
        return self._message

    @property
    def fps(self) -> float:
        """Frames per second measured over the last ~30 frames (0 when frames stopped coming)."""
        with self._lock:
            times = list(self._times)
        if len(times) < 2 or time.monotonic() - times[-1] > 2.0:
            return 0.0
        return (len(times) - 1) / max(times[-1] - times[0], 1e-6)

    def latest(self) -> tuple[int, np.ndarray | None]:
        """(sequence number, newest BGR uint8 frame or None). Treat the frame as read-only."""
        with self._lock:
            return self._seq, self._frame

    def start(self) -> None:
        """Open the device or file and start the reader thread; Vis3dError if it cannot."""
        if self._thread is not None and self._thread.is_alive():
            return
        cap = self._open()
        if cap is None:
            raise Vis3dError(self._open_error())
        first = None
        if not self.is_device:
            # a file must give at least one picture, or it is not a video we can show
            first = self._read_bgr(cap)
            if first is None:
                _release(cap)
                raise Vis3dError(f"cannot read video file {self.spec}: no frames could be decoded")
        self._stop = threading.Event()          # a fresh event: a detached old thread stays stopped
        self.detached = False
        self._set_state("starting", f"{self.name}: starting")
        self._note_format(cap, first)
        if first is not None:
            self._publish(first)
            self._set_state("running")
        self._thread = threading.Thread(target=self._run, args=({"cap": cap}, self._stop),
                                        name=f"vis3d-camera-{self.spec}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread and join it within ``timeout`` s. A thread stuck in a driver call
        is left behind as a daemon (``detached`` becomes True); it releases the device itself."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                self.detached = True
                self._set_state("stopped", f"{self.name}: stopped (the driver is still busy)")
                return
        self._set_state("stopped", f"{self.name}: stopped")

    def __enter__(self) -> "CameraSource":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __del__(self):  # a forgotten source must not keep a device busy forever
        try:
            self._stop.set()
        except Exception:  # noqa: BLE001
            pass

    # --- opening ------------------------------------------------------------------------
    def _open(self):
        try:
            if self._opener is not None:
                return self._opener(self.spec)
            if self.is_device:
                return _open_device(self.spec, self.width, self.height)
            if not Path(self.spec).exists():
                return None
            return _open_file(self.spec)
        except Exception:  # noqa: BLE001 - a backend error is just "could not open"
            return None

    def _open_error(self) -> str:
        if self.is_device:
            return f"no camera at index {self.spec}"
        p = Path(self.spec)
        if not p.exists():
            return f"cannot open video file {self.spec}: {missing_reason(p)}"
        if p.is_dir():
            return f"cannot open video file {self.spec}: it is a directory"
        return f"cannot open video file {self.spec}: not a video OpenCV can read"

    def _note_format(self, cap, frame) -> None:
        fps = _get(cap, cv2.CAP_PROP_FPS)
        self._nominal_fps = fps if 0.5 < fps < 240 else (0.0 if self.is_device else DEFAULT_FILE_FPS)
        if frame is not None:
            self._size = (frame.shape[1], frame.shape[0])
        else:
            self._size = (int(_get(cap, cv2.CAP_PROP_FRAME_WIDTH)),
                          int(_get(cap, cv2.CAP_PROP_FRAME_HEIGHT)))

    # --- the worker thread --------------------------------------------------------------
    def _set_state(self, state: str, message: str | None = None) -> None:
        with self._lock:
            self._state = state
            if message is not None:
                self._message = message

    def _publish(self, frame: np.ndarray) -> None:
        now = time.monotonic()
        with self._lock:
            self._frame = frame
            self._seq += 1
            self._times.append(now)
        self._size = (frame.shape[1], frame.shape[0])

    @staticmethod
    def _read_bgr(cap) -> np.ndarray | None:
        """One frame as BGR uint8, or None (a driver error counts as a failed read)."""
        try:
            ok, raw = cap.read()
        except Exception:  # noqa: BLE001
            return None
        return to_bgr(raw) if ok else None

    def _run(self, run: dict, stop: threading.Event) -> None:
        """The thread body; ``run['cap']`` is this thread's own capture (never shared)."""
        try:
            self._loop(run, stop)
        except Exception as exc:  # noqa: BLE001 - the thread must never raise
            if not stop.is_set():
                self._set_state("lost", f"{self.name}: camera error: {exc}")
        finally:
            cap, run["cap"] = run["cap"], None
            if cap is not None:
                _release(cap)

    def _loop(self, run: dict, stop: threading.Event) -> None:
        period = 1.0 / self._nominal_fps if not self.is_device else 0.0
        next_due = time.monotonic() + period
        failures = 0
        last_frame_at = time.monotonic()
        lost_since: float | None = None
        while not stop.is_set():
            cap = run["cap"]
            if cap is None:                       # retrying a lost device
                if self.retry_for is not None and lost_since is not None \
                        and time.monotonic() - lost_since > self.retry_for:
                    self._set_state("lost", f"{self.name} lost")
                    return
                if stop.wait(self.reopen_interval):
                    return
                cap = self._open()
                if cap is None:
                    continue
                run["cap"], failures, lost_since = cap, 0, None
                last_frame_at = time.monotonic()
                self.reopens += 1
                self._note_format(cap, None)
                self._set_state("starting", f"{self.name}: reconnected, waiting for frames")
                continue
            if period:                            # pace a file at its own frame rate
                delay = next_due - time.monotonic()
                if delay > 0 and stop.wait(delay):
                    return
                next_due = max(next_due + period, time.monotonic() - period)
            frame = self._read_bgr(cap)
            if stop.is_set():
                return
            if frame is not None:
                failures = 0
                last_frame_at = time.monotonic()
                self._publish(frame)
                if self._state != "running":
                    self._set_state("running")
                continue
            if not self.is_device:
                if not self._end_of_file(run, cap):
                    return
                continue
            failures += 1
            stalled = time.monotonic() - last_frame_at > DEVICE_STALL_S
            if failures >= 3 or stalled or not _is_open(cap):
                _release(cap)
                run["cap"] = None
                lost_since = time.monotonic()
                self._set_state("retrying", f"{self.name} lost, retrying...")
            elif stop.wait(0.05):
                return

    def _end_of_file(self, run: dict, cap) -> bool:
        """At the end of a file: rewind (loop) and return True, or set the final state."""
        if not self.loop:
            self._set_state("ended", f"{self.name} ended")
            return False
        try:
            rewound = bool(cap.set(cv2.CAP_PROP_POS_FRAMES, 0))
        except Exception:  # noqa: BLE001
            rewound = False
        frame = self._read_bgr(cap) if rewound else None
        if frame is None:                         # some containers cannot seek: reopen
            _release(cap)
            run["cap"] = self._open()
            frame = self._read_bgr(run["cap"]) if run["cap"] is not None else None
        if frame is None:
            self._set_state("lost", f"{self.name} can no longer be read")
            return False
        self._publish(frame)
        return True


def _get(cap, prop) -> float:
    try:
        v = float(cap.get(prop))
    except Exception:  # noqa: BLE001
        return 0.0
    return v if math.isfinite(v) else 0.0


def _is_open(cap) -> bool:
    try:
        return bool(cap.isOpened())
    except Exception:  # noqa: BLE001
        return False


def _release(cap) -> None:
    try:
        cap.release()
    except Exception:  # noqa: BLE001
        pass
