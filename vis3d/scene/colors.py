"""Activation normalisation and colour choices (pure numpy).

Activations become one float in 0..1 per node; the GPU maps that float through a
256-entry colour table (vis3d.gl.colormaps). Normalisation is per slab (each layer's own min..max, as
Harley's page did) or global (one min..max over all hidden layers). The input image
and the output probabilities keep their natural 0..1 range in both modes.
"""

from __future__ import annotations

import numpy as np

# The colour maps offered; their tables live with the visuals (vis3d.gl.colormaps), since the
# scene core only deals in 0..1 values per node.
COLORMAPS = ("ember", "viridis", "hot", "ice", "grays")
DEFAULT_COLORMAP = "ember"

# Edges: diverging by sign of the weight.
POSITIVE = np.array([1.0, 0.62, 0.18], np.float32)
NEGATIVE = np.array([0.25, 0.62, 1.0], np.float32)


def map_colors(values01: np.ndarray, table: np.ndarray) -> np.ndarray:
    """CPU lookup (for baselines and 2D panels): (N,) 0..1 -> (N, 4)."""
    idx = np.clip((values01 * (len(table) - 1) + 0.5).astype(np.int32), 0, len(table) - 1)
    return table[idx]


class Normaliser:
    """Turns one probe result into the per-node 0..1 buffer, reusing its arrays.

    ``ranges`` holds the (lo, hi) used for each slab on the last call (for the colour bar).
    """

    def __init__(self, layout, mode: str = "layer"):
        self.layout = layout
        self.mode = mode
        self._raw = np.zeros(layout.count, np.float32)
        self._acts = None         # the activations ``raw`` is gathered from, on demand
        self._raw_stale = False
        self.out = np.zeros(layout.count, np.float32)
        self.ranges = [(0.0, 1.0)] * len(layout.slabs)
        self._fixed = [s.kind in ("input", "output") for s in layout.slabs]

    def set_mode(self, mode: str) -> None:
        if mode not in ("layer", "global"):
            raise ValueError(f"normalisation must be 'layer' or 'global', not {mode!r}")
        self.mode = mode

    def _slab_values(self, acts) -> list:
        by_name = {layer.name: layer.values for layer in acts.layers}
        by_name["input"] = acts.input
        return [(acts.probs if s.kind == "output" else by_name[s.value_layer]).reshape(-1)
                for s in self.layout.slabs]

    @property
    def raw(self) -> np.ndarray:
        """Every node's un-normalised value in node order (gathered only when asked for:
        hover, pin and edges need it, the per-tick colour update does not)."""
        if self._raw_stale:
            for s, values in zip(self.layout.slabs, self._slab_values(self._acts)):
                self._raw[s.offset:s.offset + s.count] = values
            self._raw_stale = False
        return self._raw

    def __call__(self, acts) -> np.ndarray:
        self._acts, self._raw_stale = acts, True
        values = self._slab_values(acts)
        out = self.out
        slabs = self.layout.slabs
        lows = [float(v.min()) for v in values]
        highs = [float(v.max()) for v in values]
        if self.mode == "global":
            hidden = [k for k, fixed in enumerate(self._fixed) if not fixed]
            g_lo = min((lows[k] for k in hidden), default=0.0)
            g_hi = max((highs[k] for k in hidden), default=1.0)
        for k, s in enumerate(slabs):
            if self._fixed[k]:
                a, b = 0.0, 1.0
            elif self.mode == "layer":
                a, b = lows[k], highs[k]
            else:
                a, b = g_lo, g_hi
            self.ranges[k] = (a, b)
            dst = out[s.offset:s.offset + s.count]
            np.subtract(values[k], a, out=dst)
            dst *= 1.0 / (b - a) if b > a else 0.0
        # Min-max scaling keeps every hidden slab in 0..1; the probabilities are 0..1
        # already. Only an input image outside 0..1 needs clamping.
        if self._fixed[0] and (lows[0] < 0 or highs[0] > 1):
            np.clip(out, 0.0, 1.0, out=out)
        return out
