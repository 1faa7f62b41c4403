"""Frame bookkeeping of the window: drawn and presented frames per second, and the time
from an input change until a frame showing its result is drawn, and until it is presented
(on screen: swapped, after the window system has it)."""

from __future__ import annotations

import time
from collections import deque


class FrameClock:
    """Counts drawn and presented frames and times input changes until a frame shows them.

    ``frame_started`` (draw begins), ``frame_drawn(key)`` (draw ends; ``key`` names the state
    drawn: it changes when an input's result is in it) and ``frame_presented`` (the frame was
    swapped onto the screen) are called by the window; ``input_changed`` by whatever input
    changed the state. ``input_origin``, when set, gives the time the input was made (a
    benchmark sets it to when it sent the event); otherwise it is the time of the call.
    """

    def __init__(self):
        self.draws = deque(maxlen=120)
        self.presents = deque(maxlen=600)
        self.latencies = deque(maxlen=600)          # input change -> frame drawn, ms
        self.present_latencies = deque(maxlen=600)  # input change -> frame presented, ms
        self.present_ms = deque(maxlen=600)         # draw start -> that frame presented, ms
        self.draw_ms = deque(maxlen=600)            # draw start -> draw end, ms
        self.presents_without_draw = 0              # the window composed, the scene unchanged
        self.input_origin = None
        self._input_t: float | None = None    # the oldest input change not drawn yet
        self._drawn_key = None
        self._start_t: float | None = None
        self._pending: tuple[float, float | None] | None = None  # (draw start, input t) drawn

    def input_changed(self) -> None:
        if self._input_t is None:
            self._input_t = self.input_origin() if self.input_origin else time.perf_counter()

    def frame_started(self) -> None:
        self._start_t = time.perf_counter()

    def frame_drawn(self, state_key) -> None:
        now = time.perf_counter()
        self.draws.append(now)
        shown = None
        if state_key != self._drawn_key:
            self._drawn_key = state_key
            if self._input_t is not None:
                shown = self._input_t
                self.latencies.append(1000 * (now - shown))
                self._input_t = None
        start = self._start_t if self._start_t is not None else now
        self.draw_ms.append(1000 * (now - start))
        if self._pending is not None and self._pending[1] is not None and shown is None:
            shown = self._pending[1]   # the frame before was never presented: this one shows it
        self._pending = (start, shown)
        self._start_t = None

    def frame_presented(self) -> None:
        now = time.perf_counter()
        if self._pending is None:
            self.presents_without_draw += 1
            return
        start, shown = self._pending
        self._pending = None
        self.presents.append(now)
        self.present_ms.append(1000 * (now - start))
        if shown is not None:
            self.present_latencies.append(1000 * (now - shown))

    def fps(self) -> float:
        now = time.perf_counter()
        return float(sum(1 for t in self.draws if now - t < 1.0))

    def reset(self) -> None:
        for d in (self.draws, self.presents, self.latencies, self.present_latencies,
                  self.present_ms, self.draw_ms):
            d.clear()
        self.presents_without_draw = 0
