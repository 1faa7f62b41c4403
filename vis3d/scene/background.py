"""The network run off the GUI thread, for models whose forward takes longer than a frame.

``BackgroundRunner.submit(image, ...)`` hands the newest input to one worker thread and
returns at once; an input still waiting when a newer one arrives is dropped (never run).
``collect()``, called on the GUI thread (the window's tick), applies the newest finished
result to the session; a result older than one already applied, or than an input set
directly on the session since it was submitted (``session.set_input``), is dropped. Only
``collect`` touches the session's state: the worker only runs the probe (under
``session.lock``, so a forward on the GUI thread, e.g. a colour mode change, waits for it).
Qt-free (threading only).
"""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

SLOW_MS = 50.0   # a session whose forward takes longer runs it here (the window's tick)


def compute(session, image: np.ndarray | None) -> tuple:
    """The network on ``image`` without touching the session (any thread, one at a time):
    -> (probe, activations), for ``session.apply``."""
    x = session._blank() if image is None else np.ascontiguousarray(image, np.float32)
    with session.lock:
        probe = session.probe
        return probe, probe.run(x)


class BackgroundRunner:
    def __init__(self, session):
        self.session = session
        self._cond = threading.Condition()
        self._pending = None          # (seq, image, reason, source) waiting for the worker
        self._done = None             # (seq, image, reason, source, computed, seconds)
        self._seq = 0                 # the last submitted input
        self._applied = 0             # the last applied input
        self._busy = False
        self._stop = False
        self.ran: deque = deque(maxlen=64)   # seq of the inputs the worker ran, newest last
        self.dropped = 0              # inputs replaced before they ran
        self.last_ms = 0.0            # the worker's last forward
        self.error: str | None = None  # the last failed forward, until collect tells it
        self._thread: threading.Thread | None = None   # started by the first submit

    def submit(self, image: np.ndarray | None, reason: str = "", source: str | None = None) -> int:
        """Queue ``image`` (None: no digit, with the reason) as the newest input; -> its seq."""
        image = None if image is None else np.array(image, np.float32)  # a copy: the caller may reuse it
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="vis3d-network", daemon=True)
                self._thread.start()
            self._seq += 1
            if self._pending is not None:
                self.dropped += 1
            self._pending = (self._seq, image, reason, source, self.session.inputs_set)
            self._cond.notify()
            return self._seq

    @property
    def busy(self) -> bool:
        """An input is waiting or running, or a result is waiting for ``collect``."""
        with self._cond:
            return self._busy or self._pending is not None or self._done is not None

    def offer(self, image: np.ndarray | None, reason: str, source: str | None,
              slow_ms: float = SLOW_MS) -> bool:
        """Submit ``image`` when the session's last forward took over ``slow_ms`` and it
        needs a run (or runs are under way); -> whether it was submitted (else the caller
        calls ``session.set_input``)."""
        s = self.session
        if s.run_ms <= slow_ms or not (self.busy or s.needs_run(image)):
            return False
        self.submit(image, reason, source)
        return True

    def collect(self) -> float | None:
        """Apply the newest finished result to the session (GUI thread); -> the ms from
        the forward's start to applied, or None when none was. A failed forward is told
        through ``session.notify``."""
        with self._cond:
            done, self._done = self._done, None
            error, self.error = self.error, None
        if error:
            self.session.notify(f"the network failed: {error}", "error")
        if done is None or done[0] <= self._applied:
            return None
        t0 = time.perf_counter()
        seq, image, reason, source, computed, secs, inputs_set = done
        self._applied = seq
        if inputs_set != self.session.inputs_set:   # an input set directly since: newer
            return None
        if not self.session.apply(image, computed, reason, source):
            return None
        return 1000 * (secs + time.perf_counter() - t0)

    def wait(self, timeout: float = 10.0) -> None:
        """Block until nothing is waiting or running (tests, scripts)."""
        end = time.monotonic() + timeout
        with self._cond:
            while (self._busy or self._pending is not None) and time.monotonic() < end:
                self._cond.wait(0.01)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._pending = None
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5.0)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                job, self._pending = self._pending, None
                self._busy = True
            seq, image, reason, source, inputs_set = job
            t0 = time.perf_counter()
            try:
                computed = compute(self.session, image)
            except Exception as exc:   # reported by the GUI thread (window notice)
                computed = None
                self.error = f"{type(exc).__name__}: {exc}"
            secs = time.perf_counter() - t0
            with self._cond:
                self.ran.append(seq)
                self.last_ms = 1000 * secs
                if computed is not None and (self._done is None or self._done[0] < seq):
                    self._done = (seq, image, reason, source, computed, secs, inputs_set)
                self._busy = False
                self._cond.notify_all()
