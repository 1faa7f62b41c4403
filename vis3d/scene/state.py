"""The scene state: model, probe, layout, latest activations, hover and pin. No GL, no Qt.

Data flows one way: ``set_input`` runs the probe and normalises; the visuals read
``values`` (one float per node) and ``incoming(node)`` (edges of one node).
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from vis3d.scene import layout as layout_mod
from vis3d.scene.colors import Normaliser
from vis3d.scene.edges import EdgeBuilder, Incoming
from vis3d.model.probe import Activations, Probe
from vis3d.model.weights import LoadedModel

HISTORY_SECONDS = 10.0


class NetworkState:
    def __init__(self, loaded: LoadedModel, mode: str = "layer"):
        self.loaded = loaded
        self.probe = Probe(loaded.model)
        self.layout = layout_mod.compute(self.probe.graph)
        self.normaliser = Normaliser(self.layout, mode)
        self.edge_builder = EdgeBuilder(self.layout, self.probe)
        self.acts: Activations | None = None
        self.values = self.normaliser.out  # (N,) float32 0..1, updated in place
        self.has_digit = False
        self.version = 0
        self.pinned: int | None = None
        self.history: deque = deque(maxlen=600)  # (time, raw value) of the pinned node
        self._blank = np.zeros((28, 28), np.float32)
        self.set_input(None)

    @property
    def name(self) -> str:
        return self.loaded.name

    def set_input(self, image: np.ndarray | None) -> Activations:
        """Run one 28x28 input (None = no digit: the network is shown at rest on a blank image)."""
        self.has_digit = image is not None
        self.acts = self.probe.run(self._blank if image is None else image)
        self.normaliser(self.acts)
        self.version += 1
        if self.pinned is not None:
            self.history.append((time.monotonic(), float(self.normaliser.raw[self.pinned])))
        return self.acts

    def set_mode(self, mode: str) -> None:
        self.normaliser.set_mode(mode)
        if self.acts is not None:
            self.normaliser(self.acts)
            self.version += 1

    @property
    def mode(self) -> str:
        return self.normaliser.mode

    def incoming(self, node: int) -> Incoming | None:
        return self.edge_builder.incoming(node, self.acts, self.normaliser.raw)

    def pin(self, node: int | None) -> None:
        if node != self.pinned:
            self.history.clear()
        self.pinned = node
        if node is not None:
            self.history.append((time.monotonic(), float(self.normaliser.raw[node])))

    def pinned_history(self, seconds: float = HISTORY_SECONDS) -> tuple[np.ndarray, np.ndarray]:
        now = time.monotonic()
        pts = [(t - now, v) for t, v in self.history if now - t <= seconds]
        if not pts:
            return np.zeros(0), np.zeros(0)
        t, v = zip(*pts)
        return np.array(t), np.array(v)

    def node_name(self, node: int) -> str:
        slab, local = self.layout.locate(node)
        if slab.kind == "output":
            return f"output digit {local}"
        if slab.is_map:
            c, r, col = slab.unravel(local)
            chan = "" if slab.kind == "input" else f" ch {c}"
            return f"{slab.name}{chan} ({r},{col})"
        return f"{slab.name} unit {local}"

    def describe(self, node: int, top: int = 5) -> str:
        """One line: layer, channel, (row, col), activation, the top contributing inputs."""
        slab, _ = self.layout.locate(node)
        raw = float(self.normaliser.raw[node])
        what = "p" if slab.kind == "output" else "act"
        text = f"{self.node_name(node)}  {what}={raw:.3f}"
        inc = self.incoming(node)
        if inc is not None and len(inc.sources):
            parts = [f"{self.node_name(int(inc.sources[i]))} {inc.contributions[i]:+.2f}"
                     for i in inc.top(top)]
            text += f"  | {len(inc.sources)} inputs, top: " + ", ".join(parts)
        return text
