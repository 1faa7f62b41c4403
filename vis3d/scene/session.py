"""The session: everything the window shows, as one Qt-free evented model.

It holds the model in use (probe, layout, normaliser, edge builder), the current input and
its source, the probe's result and the prediction shown, the normalisation and colouring
modes, the colour map's name, the hovered and the pinned node and the hidden layers. Each
setter emits ``events.<name>`` only when the value really changes; the visuals (VisPy) and the
widgets (Qt) subscribe and translate, and never call each other.

Events and their values:
  model       the session (a new model: layout, probe, everything rebuilt)
  result      the session (new activations in ``values``; only when the input changed)
  prediction  :class:`Prediction` (digit, probabilities and a note, as shown to the user)
  normalise / colour_mode / colormap   the new mode or name (colour modes, ablation and
              saliency: vis3d.scene.insight_state, with events silenced, saliency, stats)
  hovered     node index or -1;   pinned   node index or None
  hidden      frozenset of hidden layer (slab) indices
  edges       :class:`EdgeUpdate` (the shown node's incoming edges, or none)
  notice      :class:`Notice` (something the user must be told: an error stays until dismissed)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from vis3d.inputs.doubt import doubtful
from vis3d.inputs.steady import Steadier
from vis3d.model.probe import Activations
from vis3d.scene import describe
from vis3d.scene import layout as layout_mod
from vis3d.scene.colors import COLORMAPS, DEFAULT_COLORMAP, Normaliser
from vis3d.scene.edges import EdgeBuilder, Incoming
from vis3d.scene.events import Events
from vis3d.scene.insight_state import COLOUR_MODES, InsightState  # noqa: F401 - re-exported

HISTORY_SECONDS = 10.0
NORMALISE_MODES = ("layer", "global")
SOURCES = ("pad", "camera", "image")


@dataclass(frozen=True, eq=False)
class Prediction:
    digit: int | None          # None: no digit (nothing drawn, nothing held up, not sure)
    probs: np.ndarray | None   # (K,) float32, None with no digit
    note: str = ""             # why there is no digit, or how the answer was made

    def same(self, other: Prediction | None) -> bool:
        if other is None or self.digit != other.digit or self.note != other.note:
            return False
        if self.probs is None or other.probs is None:
            return self.probs is other.probs
        return self.probs.shape == other.probs.shape and bool(np.array_equal(self.probs, other.probs))


@dataclass(frozen=True)
class EdgeUpdate:
    node: int | None            # whose incoming edges are shown (None: no edges)
    incoming: Incoming | None
    geometry: bool              # False: same node and sources, only the contributions changed


@dataclass(frozen=True)
class Notice:
    text: str
    level: str = "info"         # 'info' (passes) or 'error' (stays until dismissed)


def _float32(t) -> np.ndarray | None:
    return None if t is None else t.detach().float().cpu().numpy().copy()


class Session(InsightState):
    def __init__(self, loaded, normalise: str = "layer", colormap: str = DEFAULT_COLORMAP):
        self.events = Events("model", "result", "prediction", "normalise", "colour_mode",
                             "colormap", "hovered", "pinned", "hidden", "edges", "source", "notice")
        self._normalise = normalise if normalise in NORMALISE_MODES else "layer"
        self._init_insight()
        self._colormap = colormap if colormap in COLORMAPS else DEFAULT_COLORMAP
        self._source = "pad"
        self._hovered = -1
        self._pinned: int | None = None
        self._hidden: frozenset[int] = frozenset()
        self._image: np.ndarray | None = None
        self._reason = "draw a digit"
        self._edge_node: int | None = None
        self._edge_inc: Incoming | None = None   # the shown node's edges, computed once
        self.steadier = Steadier()
        self.history: deque = deque(maxlen=600)  # (time, raw value) of the pinned node
        self.prediction = Prediction(None, None, self._reason)
        self.version = 0                         # bumps with every new result
        self.probe_runs, self.run_ms = 0, 0.0   # forwards run; the last one's time (ms)
        self.inputs_set = 0   # set_input calls: a background result older than one is dropped
        self.lock = threading.Lock()   # the probe: one forward at a time (vis3d.scene.background)
        self._install(loaded)
        self._run()

    # --- the model ---------------------------------------------------------------------
    def _install(self, loaded) -> None:
        probe = loaded.make_probe()
        layout = layout_mod.compute(probe.graph)
        normaliser = Normaliser(layout, self._normalise)
        builder = EdgeBuilder(layout, probe.specs)
        # Everything above may raise; only now is the previous model replaced.
        self.loaded, self.probe, self.layout = loaded, probe, layout
        self.normaliser, self.edge_builder = normaliser, builder
        self.values = normaliser.out     # (N,) float32 0..1 the nodes show, per result
        self.acts: Activations | None = None
        self._reset_insight()

    @property
    def name(self) -> str:
        return self.loaded.name

    @property
    def labels(self) -> list[str]:
        """The class names: the model card's 'labels', else 0..K-1."""
        k = self.probe.classes
        given = (getattr(self.loaded, "card", None) or {}).get("labels")
        ok = isinstance(given, list) and len(given) == k
        return [str(v) for v in given] if ok else [str(i) for i in range(k)]

    @property
    def digit_input(self) -> bool:
        """Whether the model takes 28x28 one-channel digits (the pad and camera pipelines)."""
        return tuple(self.probe.image_shape) == (28, 28)

    def set_model(self, loaded) -> None:
        """Switch models; on any error the previous model stays and the error propagates."""
        self._install(loaded)
        self._hovered, self._pinned, self._hidden = -1, None, frozenset()
        self._edge_node, self._edge_inc = None, None
        self.history.clear()
        self.steadier.reset()
        self.events.model.emit(self)
        self._run()
        self.events.colour_mode.emit(self._colour_mode)
        self.events.silenced.emit(self._silenced)

    def load_weights(self, state: dict) -> None:
        """New weights for the model in use (same architecture, e.g. published by a
        training): loaded in place, the current input re-run; the layout stays."""
        from dataclasses import replace
        self.loaded.model.load_state_dict(state)
        self.loaded.model.eval()
        probe = self.probe
        for name, spec in list(probe.specs.items()):
            if spec.weight is not None or spec.bias is not None:
                module = probe.module(name)
                probe.specs[name] = replace(
                    spec, weight=_float32(getattr(module, "weight", None)),
                    bias=_float32(getattr(module, "bias", None)))
        self._edge_node, self._edge_inc = None, None   # edges are rebuilt on the new weights
        self._run()

    # --- the input ---------------------------------------------------------------------
    @property
    def source(self) -> str:
        return self._source

    @source.setter
    def source(self, source: str) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        if source != self._source:
            self._source = source
            self.steadier.reset()
            self.events.source.emit(source)

    @property
    def has_digit(self) -> bool:
        return self._image is not None

    @property
    def image(self) -> np.ndarray | None:
        """The current 28x28 input, or None when there is no digit."""
        return self._image

    def set_input(self, image: np.ndarray | None, reason: str = "", source: str | None = None) -> bool:
        """A new 28x28 input (None: no digit, with the reason). The network runs only when
        the image really changed; returns whether it ran."""
        self.inputs_set += 1   # newer than any input still running in the background
        if source is not None:
            self.source = source
        self._reason = reason if image is None else ""
        image = None if image is None else np.ascontiguousarray(image, np.float32)
        if not self.needs_run(image):
            self._predict()  # a camera frame still counts for the steadier
            return False
        self._image = image
        self._run()
        return True

    def needs_run(self, image: np.ndarray | None) -> bool:
        """Whether ``set_input(image)`` would run the network (the input changed)."""
        old = self._image
        if image is None or old is None:
            return image is not old or self.acts is None
        return image.shape != old.shape or not np.array_equal(image, old) or self.acts is None

    def apply(self, image, computed: tuple, reason: str = "", source: str | None = None) -> bool:
        """A result of vis3d.scene.background.compute made current (GUI thread); False
        (dropped) when the model changed since."""
        probe, acts = computed
        if probe is not self.probe:
            return False
        if source is not None:
            self.source = source
        self._reason = reason if image is None else ""
        self._image = None if image is None else np.ascontiguousarray(image, np.float32)
        self._run(acts)
        return True

    def _run(self, acts: Activations | None = None) -> None:
        x = self._image if self._image is not None else self._blank()
        t0 = time.perf_counter()
        with self.lock:
            self.acts = self.probe.run(x) if acts is None else acts
            self._attribute(x)
        self.run_ms = 1000 * (time.perf_counter() - t0) if acts is None else self.run_ms
        self.probe_runs += 1
        self.normaliser(self.acts)
        self.values = self._mode_values()
        self.version += 1
        if self._pinned is not None:
            self.history.append((time.monotonic(), float(self.normaliser.raw[self._pinned])))
        self.events.result.emit(self)
        self._predict()
        self._update_edges(geometry=False)

    def _blank(self) -> np.ndarray:
        return np.zeros(self.probe.image_shape, np.float32)

    def _predict(self) -> None:
        acts = self.acts
        found = self._image is not None
        if self._source == "camera":
            why = doubtful(self._image, acts.probs) if found else ""   # a blotch, not a digit
            steady = self.steadier.push(acts.probs if found and not why else None)
            note = "steadied" if found and not why else (why or self._reason or "no digit")
            pred = Prediction(steady.digit, steady.probs if steady.digit is not None else None, note)
        elif found:
            pred = Prediction(acts.prediction, acts.probs, "")
        else:
            pred = Prediction(None, None, self._reason or "no digit")
        if not pred.same(self.prediction):
            self.prediction = pred
            self.events.prediction.emit(pred)

    # --- modes -------------------------------------------------------------------------
    @property
    def normalise(self) -> str:
        return self._normalise

    @normalise.setter
    def normalise(self, mode: str) -> None:
        if mode not in NORMALISE_MODES:
            raise ValueError(f"normalisation must be one of {NORMALISE_MODES}, not {mode!r}")
        if mode != self._normalise:
            self._normalise = mode
            self.normaliser.set_mode(mode)
            self.normaliser(self.acts)
            self.values = self._mode_values()
            self.version += 1
            self.events.normalise.emit(mode)
            self.events.result.emit(self)

    @property
    def colormap(self) -> str:
        return self._colormap

    @colormap.setter
    def colormap(self, name: str) -> None:
        if name not in COLORMAPS:
            raise ValueError(f"unknown colour map {name!r} (known: {', '.join(COLORMAPS)})")
        if name != self._colormap:
            self._colormap = name
            self.events.colormap.emit(name)

    # --- hover, pin, hidden layers -----------------------------------------------------
    def _check_node(self, node) -> None:
        if node is not None and not 0 <= int(node) < self.layout.count:
            raise IndexError(f"node {node} is outside 0..{self.layout.count - 1}")

    @property
    def hovered(self) -> int:
        return self._hovered

    @hovered.setter
    def hovered(self, node: int) -> None:
        node = -1 if node is None or node < 0 else int(node)
        self._check_node(None if node < 0 else node)
        if node != self._hovered:
            self._hovered = node
            self._update_edges(geometry=True)
            self.events.hovered.emit(node)

    @property
    def pinned(self) -> int | None:
        return self._pinned

    @pinned.setter
    def pinned(self, node: int | None) -> None:
        node = None if node is None or node < 0 else int(node)
        self._check_node(node)
        if node != self._pinned:
            self._pinned = node
            self.history.clear()
            if node is not None:
                self.history.append((time.monotonic(), float(self.normaliser.raw[node])))
            self._update_edges(geometry=True)
            self.events.pinned.emit(node)

    def click(self, node: int) -> None:
        """A click on a node pins it; on the pinned node or on empty space, unpins."""
        self.pinned = None if node is None or node < 0 or node == self._pinned else node

    @property
    def hidden(self) -> frozenset[int]:
        return self._hidden

    def set_layer_visible(self, index: int, visible: bool) -> None:
        if not 0 <= index < len(self.layout.slabs):
            raise IndexError(f"no layer {index}")
        hidden = self._hidden - {index} if visible else self._hidden | {index}
        if hidden == self._hidden:
            return
        self._hidden = frozenset(hidden)
        self.events.hidden.emit(self._hidden)
        # A hidden node can be neither hovered nor pinned.
        for attr in ("hovered", "pinned"):
            node = getattr(self, attr)
            if node is not None and node >= 0 and int(self.layout.slab_of[node]) in self._hidden:
                setattr(self, attr, None)

    def visible_sizes(self) -> np.ndarray:
        """Node sizes with hidden layers at 0 (what is drawn and what can be picked)."""
        sizes = self.layout.sizes
        if not self._hidden:
            return sizes
        sizes = sizes.copy()
        for i in self._hidden:
            s = self.layout.slabs[i]
            sizes[s.offset:s.offset + s.count] = 0
        return sizes

    # --- edges -------------------------------------------------------------------------
    @property
    def edge_node(self) -> int | None:
        """The node whose incoming edges are shown: the pinned one, else the hovered one."""
        if self._pinned is not None:
            return self._pinned
        return self._hovered if self._hovered >= 0 else None

    def _update_edges(self, geometry: bool) -> None:
        node = self.edge_node
        if node is None and self._edge_node is None:
            return
        if node != self._edge_node:
            geometry = True
        elif geometry:
            return  # the same node is still shown: nothing changed
        self._edge_node = node
        inc = None if node is None else self.incoming(node)
        self._edge_inc = inc
        self.events.edges.emit(EdgeUpdate(node, inc, geometry))

    def incoming(self, node: int) -> Incoming | None:
        return self.edge_builder.incoming(node, self.acts, self.normaliser.raw)

    # --- words -------------------------------------------------------------------------
    def notify(self, text: str, level: str = "info") -> None:
        self.events.notice.emit(Notice(text, level))

    def pinned_history(self, seconds: float = HISTORY_SECONDS) -> tuple[np.ndarray, np.ndarray]:
        """(seconds before now, raw value) of the pinned node over the last ``seconds``. The
        value holds until the input changes, so the series always reaches now."""
        if not self.history:
            return np.zeros(0), np.zeros(0)
        now = time.monotonic()
        pts = [(t - now, v) for t, v in self.history if now - t <= seconds]
        last = self.history[-1][1]
        if not pts:
            pts = [(-seconds, last)]
        pts.append((0.0, last))
        t, v = zip(*pts)
        return np.array(t), np.array(v)

    def node_name(self, node: int) -> str:
        return describe.node_name(self, node)

    def describe(self, node: int, top: int = 5, incoming: Incoming | None = None) -> str:
        """One line: layer, channel, (row, col), activation, the top contributing inputs."""
        if incoming is None:
            incoming = self._edge_inc if node == self._edge_node else self.incoming(node)
        return describe.describe(self, node, incoming, top)
