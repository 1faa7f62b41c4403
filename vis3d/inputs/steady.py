"""Steadying the camera's prediction over the last few frames (pure numpy).

A hand-held sheet wobbles, the light flickers, and a single frame may be misread; showing every
frame's argmax makes the answer jump. :class:`Steadier` averages the class probabilities of the
last ``window`` frames, counts a frame without a digit against the answer, and changes the shown
digit only when another one clearly wins (hysteresis), so the answer changes once when the
person changes the digit, not every time a frame is doubtful.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass
class SteadyResult:
    digit: int | None              # the digit to show, None = no digit (or not sure)
    probs: np.ndarray | None       # averaged class probabilities (float32), None = no digit
    confidence: float              # averaged probability of ``digit``, no-digit frames as zeros


class Steadier:
    """Average the last ``window`` frames' probabilities.

    * A frame without a digit (``push(None)``) counts as all zeros: once most of the window
      has no digit, the result is no digit (with window 5: after 3 empty frames).
    * A digit is shown when its averaged probability (empty frames counted as zeros) reaches
      ``min_conf``; while a sheet is held up (a digit shown within the last ``window``
      frames), ``keep_ratio * min_conf`` is enough to keep it or to switch to a clearly better
      one, so changing the digit does not flash "no digit" in between.
    * The shown digit switches to another class only when that class's average beats it by
      ``margin``: two near-equal classes do not make the answer flicker.
    * Only a digit that some frame in the window read (its argmax) is ever shown: averaging
      two doubtful readings never invents a third digit no frame saw.
    """

    def __init__(self, window: int = 5, min_conf: float = 0.5, margin: float = 0.1,
                 keep_ratio: float = 0.6):
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = int(window)
        self.min_conf = float(min_conf)
        self.margin = float(margin)
        self.keep_ratio = float(keep_ratio)
        self._hist: deque[np.ndarray | None] = deque(maxlen=self.window)
        self._shown: int | None = None
        self._since_shown = self.window + 1       # pushes since a digit was last shown

    def reset(self) -> None:
        self._hist.clear()
        self._shown = None
        self._since_shown = self.window + 1

    @property
    def digit(self) -> int | None:
        return self._shown

    @staticmethod
    def _clean(probs) -> np.ndarray | None:
        """Probabilities as float64 summing to 1; None for no digit or unusable input."""
        if probs is None:
            return None
        p = np.asarray(probs, dtype=np.float64).ravel()
        if p.size == 0:
            return None
        p = np.clip(np.nan_to_num(p, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
        total = p.sum()
        return p / total if total > 0 else None

    def push(self, probs: np.ndarray | None) -> SteadyResult:
        p = self._clean(probs)
        if p is not None and any(h is not None and h.shape != p.shape for h in self._hist):
            self.reset()                          # the model changed: old frames mean nothing
        self._hist.append(p)
        present = [h for h in self._hist if h is not None]
        n = len(self._hist)
        if not present or 2 * (n - len(present)) > n:
            self._shown = None
            self._since_shown = self.window + 1   # the digit is gone: a new one must earn its place
            return SteadyResult(None, None, 0.0)
        mean = np.sum(present, axis=0) / len(present)     # average over frames with a digit
        weighted = mean * (len(present) / n)               # empty frames count against
        supported = np.zeros(mean.size, bool)              # some frame in the window read it
        supported[[int(np.argmax(h)) for h in present]] = True
        top = int(np.argmax(np.where(supported, mean, -1.0)))
        shown = self._shown
        if shown is not None and (shown >= mean.size or not supported[shown]):
            shown = None                                   # no frame reads it any more
        if shown is not None and top != shown \
                and mean[top] - mean[shown] < self.margin \
                and weighted[shown] >= self.keep_ratio * self.min_conf:
            top = shown                                    # not a clear winner: keep the answer
        # a digit appears at min_conf; while one is held up, a lower bar keeps or switches it
        recent = self._since_shown <= self.window
        need = self.min_conf * (self.keep_ratio if recent else 1.0)
        confidence = float(weighted[top])
        self._shown = top if confidence >= need else None
        self._since_shown = 0 if self._shown is not None else self._since_shown + 1
        return SteadyResult(self._shown, mean.astype(np.float32), confidence)
