"""The webcam source: a worker thread that opens the camera and keeps only the newest frame.

``CameraSource(0)`` reads a device, ``CameraSource('clip.avi')`` a video file through the same
code path (a file is paced at its own frame rate and loops, so it behaves like a camera).
The GUI tick calls :meth:`CameraSource.latest` and works only when the sequence number changed;
frames that arrive in between are dropped, never queued, so the picture never lags behind.

``start()`` returns at once: the worker opens the device (up to 2 s) or file. States:
``opening`` -> ``running`` (``starting`` while a device warms up) or ``failed``; a device that
fails mid-run goes ``retrying`` (reopened about once a second) and, after ``retry_for``, ``lost``;
a file that can no longer be read goes ``lost`` and is retried with an exponential back-off.
``stop()`` never waits more than its timeout: a worker stuck in a driver call is left behind,
and once stopped a worker never publishes a frame or a state again. ``start``/``stop`` may be
called from any thread. The worker holds no reference to its source, so a source dropped
without ``stop()`` stops; live sources are stopped at interpreter exit. No Qt imports here.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

import numpy as np

from vis3d.inputs import convert
from vis3d.inputs.devices import (get, is_open, open_device, open_error, open_file,  # noqa: F401
                                  parse_camera_spec, probe_devices, release)

import cv2  # noqa: E402  (after vis3d.inputs: it configures OpenCV)

STATES = ("opening", "starting", "running", "retrying", "ended", "lost", "failed", "stopped")
DEVICE_STALL_S = 2.0       # an open device that delivers nothing for this long is reopened
DEFAULT_FILE_FPS = 25.0    # for files that do not say their rate
BACKOFF_START, BACKOFF_MAX = 0.5, 8.0   # a file that cannot be read is retried this often
BAD_CYCLES = 3             # loops of at most one frame in a row before a clip counts as lost

_workers: set = set()      # live workers, stopped at interpreter exit
_workers_lock = threading.Lock()


def to_bgr(frame) -> np.ndarray | None:
    """Any frame a backend may give (gray, gray with a channel axis, BGR, BGRA; uint8, uint16
    or float; odd sizes, strided) -> contiguous BGR uint8, or None if it is not a picture."""
    return convert.bgr_u8(frame)


class _Shared:
    """What a source and its workers share (never the source itself)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seq = 0
        self.frame: np.ndarray | None = None
        self.times: deque[float] = deque(maxlen=30)
        self.state = "stopped"
        self.message = ""
        self.nominal_fps = 0.0
        self.size = (0, 0)
        self.reopens = 0


class _Worker:
    """One run of the reader thread. Everything it writes goes through :meth:`publish` and
    :meth:`set_state`, which do nothing once ``stop`` is set (checked under the lock that
    ``CameraSource.stop`` holds while setting it)."""

    def __init__(self, shared: _Shared, spec, name: str, loop: bool, size: tuple[int, int],
                 opener: Callable | None, reopen_interval: float, retry_for: float | None):
        self.shared, self.spec, self.name, self.loop = shared, spec, name, loop
        self.is_device = isinstance(spec, int)
        self.size, self.opener = size, opener
        self.reopen_interval, self.retry_for = reopen_interval, retry_for
        self.stop = threading.Event()
        self.cap = None
        self.thread = threading.Thread(target=self.run, name=f"vis3d-camera-{spec}", daemon=True)

    # --- writing, guarded by stop ---------------------------------------------------------
    def set_state(self, state: str, message: str | None = None) -> bool:
        with self.shared.lock:
            if self.stop.is_set():
                return False
            self.shared.state = state
            if message is not None:
                self.shared.message = message
            return True

    def publish(self, frame: np.ndarray) -> bool:
        now = time.monotonic()
        sh = self.shared
        with sh.lock:
            if self.stop.is_set():
                return False
            sh.frame = frame
            sh.seq += 1
            sh.times.append(now)
            sh.size = (frame.shape[1], frame.shape[0])
            return True

    # --- opening and reading ----------------------------------------------------------------
    def open(self):
        try:
            if self.opener is not None:
                return self.opener(self.spec)
            if self.is_device:
                return open_device(self.spec, *self.size)
            return open_file(self.spec)
        except Exception:  # noqa: BLE001 - a backend error is just "could not open"
            return None

    @staticmethod
    def read(cap) -> np.ndarray | None:
        """One frame as BGR uint8, or None (a driver error counts as a failed read)."""
        try:
            ok, raw = cap.read()
        except Exception:  # noqa: BLE001
            return None
        return to_bgr(raw) if ok else None

    def note_format(self, cap, frame) -> None:
        fps = get(cap, cv2.CAP_PROP_FPS)
        nominal = fps if 0.5 < fps < 240 else (0.0 if self.is_device else DEFAULT_FILE_FPS)
        size = (frame.shape[1], frame.shape[0]) if frame is not None else \
            (int(get(cap, cv2.CAP_PROP_FRAME_WIDTH)), int(get(cap, cv2.CAP_PROP_FRAME_HEIGHT)))
        with self.shared.lock:
            if not self.stop.is_set():
                self.shared.nominal_fps, self.shared.size = nominal, size

    def run(self) -> None:
        try:
            if self.open_first():
                self.read_loop()
        except Exception as exc:  # noqa: BLE001 - the thread must never raise
            self.set_state("lost", f"{self.name}: camera error: {exc}")
        finally:
            cap, self.cap = self.cap, None
            if cap is not None:
                release(cap)
            with _workers_lock:
                _workers.discard(self)

    def open_first(self) -> bool:
        self.cap = self.open()
        if self.stop.is_set():
            return False
        if self.cap is None:
            self.set_state("failed", open_error(self.spec))
            return False
        first = None
        if not self.is_device:
            # a file must give at least one picture, or it is not a video we can show
            first = self.read(self.cap)
            if first is None:
                self.set_state("failed", f"cannot read video file {self.spec}: "
                                         "no frames could be decoded")
                return False
        self.note_format(self.cap, first)
        if first is None:
            return self.set_state("starting", f"{self.name}: starting")
        return self.publish(first) and self.set_state("running")

    def read_loop(self) -> None:
        stop = self.stop
        period = 1.0 / self.shared.nominal_fps if not self.is_device else 0.0
        next_due = time.monotonic() + period
        failures, last_frame_at, lost_since = 0, time.monotonic(), None
        self.cycle_frames, self.bad_cycles, self.backoff = 1, 0, BACKOFF_START
        while not stop.is_set():
            if self.cap is None:                  # retrying a lost device
                if self.retry_for is not None and lost_since is not None \
                        and time.monotonic() - lost_since > self.retry_for:
                    self.set_state("lost", f"{self.name} lost")
                    return
                if stop.wait(self.reopen_interval):
                    return
                self.cap = self.open()
                if self.cap is None:
                    continue
                failures, lost_since, last_frame_at = 0, None, time.monotonic()
                self.shared.reopens += 1
                self.note_format(self.cap, None)
                self.set_state("starting", f"{self.name}: reconnected, waiting for frames")
                continue
            if period:                            # pace a file at its own frame rate
                delay = next_due - time.monotonic()
                if delay > 0 and stop.wait(delay):
                    return
                next_due = max(next_due + period, time.monotonic() - period)
            frame = self.read(self.cap)
            if stop.is_set():
                return
            if frame is not None:
                failures, last_frame_at = 0, time.monotonic()
                self.cycle_frames += 1
                if not self.publish(frame):
                    return
                if self.shared.state != "running":
                    self.set_state("running")
                continue
            if not self.is_device:
                if not self.end_of_file():
                    return
                next_due = time.monotonic() + period
                continue
            failures += 1
            stalled = time.monotonic() - last_frame_at > DEVICE_STALL_S
            if failures >= 3 or stalled or not is_open(self.cap):
                release(self.cap)
                self.cap, lost_since = None, time.monotonic()
                self.set_state("retrying", f"{self.name} lost, retrying...")
            elif stop.wait(0.05):
                return

    def end_of_file(self) -> bool:
        """At the end of a file: rewind (loop) and return True, or set the final state and
        return False. A clip that no longer decodes (or gives at most one frame per loop,
        BAD_CYCLES times running) is 'lost' and retried with a capped exponential back-off."""
        if not self.loop:
            self.set_state("ended", f"{self.name} ended")
            return False
        self.bad_cycles = self.bad_cycles + 1 if self.cycle_frames <= 1 else 0
        self.cycle_frames = 0
        while self.bad_cycles >= BAD_CYCLES or not self.rewind():
            if not self.set_state("lost", f"{self.name} can no longer be read; trying again "
                                          f"in {self.backoff:g} s"):
                return False
            if self.stop.wait(self.backoff):
                return False
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
            release(self.cap)
            self.cap = self.open()
            first = self.read(self.cap) if self.cap is not None else None
            second = self.read(self.cap) if first is not None else None
            if second is not None:                # readable again: play from the start
                self.bad_cycles, self.cycle_frames, self.backoff = 0, 2, BACKOFF_START
                return self.publish(second) and self.set_state("running")
        return True

    def rewind(self) -> bool:
        try:
            rewound = bool(self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0))
        except Exception:  # noqa: BLE001
            rewound = False
        frame = self.read(self.cap) if rewound else None
        if frame is None:                         # some containers cannot seek: reopen
            release(self.cap)
            self.cap = self.open()
            frame = self.read(self.cap) if self.cap is not None else None
        if frame is None:
            return False
        self.cycle_frames = 1
        return self.publish(frame)


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
        self._shared = _Shared()
        self._control = threading.Lock()          # start/stop from any thread, one at a time
        self._worker: _Worker | None = None
        self.detached = False      # True if stop() had to leave a blocked thread behind

    # --- public API ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"camera {self.spec}" if self.is_device else Path(self.spec).name

    @property
    def state(self) -> str:
        return self._shared.state

    @property
    def reopens(self) -> int:
        return self._shared.reopens

    @property
    def message(self) -> str:
        sh = self._shared
        if sh.state == "running":
            w, h = sh.size
            rate = self.fps or sh.nominal_fps
            extra = " (looping)" if not self.is_device and self.loop else ""
            return f"{self.name}: {w}x{h}, {rate:.0f} fps{extra}"
        return sh.message

    @property
    def fps(self) -> float:
        """Frames per second measured over the last ~30 frames (0 when frames stopped coming)."""
        with self._shared.lock:
            times = list(self._shared.times)
        if len(times) < 2 or time.monotonic() - times[-1] > 2.0:
            return 0.0
        return (len(times) - 1) / max(times[-1] - times[0], 1e-6)

    def latest(self) -> tuple[int, np.ndarray | None]:
        """(sequence number, newest BGR uint8 frame or None). Treat the frame as read-only."""
        with self._shared.lock:
            return self._shared.seq, self._shared.frame

    def start(self) -> None:
        """Start opening in the worker and return at once (state 'opening'); a running
        source is left as it is. Failures show as state 'failed' with :attr:`message`."""
        with self._control:
            worker = self._worker
            if worker is not None and worker.thread.is_alive() and not worker.stop.is_set():
                return
            worker = _Worker(self._shared, self.spec, self.name, self.loop,
                             (self.width, self.height), self._opener, self.reopen_interval,
                             self.retry_for)
            with self._shared.lock:
                self._shared.state, self._shared.message = "opening", f"{self.name}: opening..."
            self.detached = False
            self._worker = worker
            with _workers_lock:
                _workers.add(worker)
            worker.thread.start()

    def wait(self, timeout: float = 5.0) -> str:
        """Wait until the source is no longer 'opening' (at most ``timeout`` s); the state."""
        end = time.monotonic() + timeout
        while self.state == "opening" and time.monotonic() < end:
            time.sleep(0.005)
        return self.state

    def stop(self, timeout: float = 0.5) -> None:
        """Stop the worker: from now on it publishes nothing. Joins it for at most
        ``timeout`` s; a thread stuck in a driver call is left behind (``detached``) and
        releases the device itself when the call returns."""
        with self._control:
            worker, self._worker = self._worker, None
            with self._shared.lock:
                if worker is not None:
                    worker.stop.set()
                self._shared.state, self._shared.message = "stopped", f"{self.name}: stopped"
        if worker is None or worker.thread is threading.current_thread() \
                or worker.thread.ident is None:
            return
        worker.thread.join(timeout)
        if worker.thread.is_alive():
            self.detached = True
            with self._shared.lock:
                self._shared.message = f"{self.name}: stopped (the driver is still busy)"

    def __enter__(self) -> "CameraSource":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __del__(self):  # a forgotten source must not keep a device busy forever
        worker = getattr(self, "_worker", None)
        if worker is not None:
            worker.stop.set()


@atexit.register
def _stop_all(timeout: float = 1.0) -> None:
    """Stop every live worker before the interpreter tears down (a thread inside OpenCV
    during finalisation aborts the process)."""
    with _workers_lock:
        workers = list(_workers)
    for w in workers:
        w.stop.set()
    end = time.monotonic() + timeout
    for w in workers:
        if w.thread.ident is not None:
            w.thread.join(max(0.0, end - time.monotonic()))
