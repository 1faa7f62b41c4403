"""Frame bookkeeping of the window: drawn frames per second, and the time from an input
change until a frame showing its result is drawn."""

from __future__ import annotations

import time
from collections import deque


class FrameClock:
    """Counts drawn frames (fps) and times input changes until a frame shows them."""

    def __init__(self):
        self.draws = deque(maxlen=120)
        self.latencies = deque(maxlen=600)   # input change -> frame with its result drawn, ms
        self._input_t: float | None = None    # the oldest input change not drawn yet
        self._drawn_version = -1

    def input_changed(self) -> None:
        if self._input_t is None:
            self._input_t = time.perf_counter()

    def frame_drawn(self, state_version: int) -> None:
        now = time.perf_counter()
        self.draws.append(now)
        if state_version != self._drawn_version:
            self._drawn_version = state_version
            if self._input_t is not None:
                self.latencies.append(1000 * (now - self._input_t))
                self._input_t = None

    def fps(self) -> float:
        now = time.perf_counter()
        return float(sum(1 for t in self.draws if now - t < 1.0))

