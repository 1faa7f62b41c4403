"""The session's insight state (a mixin of Session): colour modes, ablation and saliency.

Colour modes (``session.colour_mode``):
  activation     the activations, normalised (vis3d.scene.colors.Normaliser)
  average:K      each node's mean over the test images of class K (needs ``set_stats``)
  difference     this input minus the average of the predicted class (diverging)
  contribution   activation x d logit(predicted) / d activation, per node (diverging)
Ablation: ``silence(nodes)`` forces nodes' outputs to 0 in the probe; every later layer and
the prediction follow. ``saliency``: d logit / d input is computed with every result.

Events: colour_mode (the mode), silenced (frozenset of node indices), saliency (bool),
stats (the Stats).
"""

from __future__ import annotations

import numpy as np

from vis3d.errors import Vis3dError
from vis3d.scene import analysis as A

COLOUR_MODES = ("activation", "average", "difference", "contribution")
DIVERGING_MODES = ("difference", "contribution")


def parse_mode(mode: str, classes: int | None = None) -> tuple[str, int | None]:
    """'activation' | 'average:K' | 'difference' | 'contribution' -> (name, K or None)."""
    name, _sep, arg = str(mode).partition(":")
    if name not in COLOUR_MODES or (name == "average") != bool(arg):
        raise Vis3dError(f"colour mode must be activation, average:K, difference or "
                         f"contribution, not '{mode}'")
    if name != "average":
        return name, None
    if not arg.strip().isdigit() or (classes is not None and int(arg) >= classes):
        top = "" if classes is None else f" 0..{classes - 1}"
        raise Vis3dError(f"average:K needs a class{top}, not '{arg}'")
    return name, int(arg)


class InsightState:
    """Mixed into Session: needs self.events, layout, probe, acts, normaliser, _run()."""

    def _init_insight(self) -> None:
        self.events.add("silenced", "saliency", "stats")
        self._colour_mode = "activation"
        self._silenced: frozenset[int] = frozenset()
        self._saliency = False
        self.stats: A.Stats | None = None
        self.attribution = None        # vis3d.model.attribution.Attribution, when asked for
        self._mode_buf = None
        self._shown_layers = None

    def _reset_insight(self) -> None:
        """A new model: no stats, nothing silenced, activation colours."""
        self.stats = None
        self._silenced = frozenset()
        self._colour_mode = "activation"
        self.attribution = None
        self._mode_buf = np.zeros(self.layout.count, np.float32)
        self._shown_layers = {s.value_layer for s in self.layout.slabs if s.kind not in ("input", "output")}

    # --- colour mode -------------------------------------------------------------------
    @property
    def colour_mode(self) -> str:
        return self._colour_mode

    @colour_mode.setter
    def colour_mode(self, mode: str) -> None:
        name, k = parse_mode(mode, self.probe.classes)
        if name in ("average", "difference") and self.stats is None:
            raise Vis3dError(f"colour mode '{mode}' needs the test-set averages (set_stats)")
        if mode != self._colour_mode:
            self._colour_mode = mode
            self._run()
            self.events.colour_mode.emit(mode)

    @property
    def diverging(self) -> bool:
        return parse_mode(self._colour_mode)[0] in DIVERGING_MODES

    def set_stats(self, stats) -> None:
        self.stats = stats
        self.events.stats.emit(stats)

    @property
    def wants_gradients(self) -> bool:
        return self._saliency or self._colour_mode == "contribution"

    def _attribute(self, image) -> None:
        if not self.wants_gradients:
            self.attribution = None
            return
        from vis3d.model.attribution import attribute
        self.attribution = attribute(self.probe, image,
                                     contribution=self._colour_mode == "contribution",
                                     layers=self._shown_layers)

    def _mode_values(self) -> np.ndarray:
        """The per-node 0..1 buffer the nodes show in the current mode."""
        name, k = parse_mode(self._colour_mode)
        L, buf = self.layout, self._mode_buf
        if name == "activation":
            out = self.normaliser.out
            if self._image is None:   # no digit: no class lit, whatever a blank input scores
                o = L.slabs[-1]
                out[o.offset:o.offset + o.count] = 0.0
            return out
        if name == "average":
            return A.scaled01(self.stats.node_means(L, k), L, buf)
        if name == "difference":
            pred = int(self.acts.prediction)
            return A.diverging01(self.normaliser.raw - self.stats.node_means(L, pred), L, buf)
        return A.diverging01(self.contribution_nodes(), L, buf)

    def contribution_nodes(self) -> np.ndarray:
        """activation x gradient per node (the input slab: input x saliency; the output slab:
        +1 at the class differentiated)."""
        att, L = self.attribution, self.layout
        out = np.zeros(L.count, np.float32)
        if att is None:
            return out
        for s in L.slabs:
            if s.kind == "input":
                v = att.input_contribution
            elif s.kind == "output":
                v = np.zeros(s.count, np.float32)
                v[att.target] = 1.0
            else:
                v = att.contribution.get(s.value_layer, np.zeros(s.count, np.float32))
            out[s.offset:s.offset + s.count] = np.asarray(v).reshape(-1)[: s.count]
        return out

    # --- saliency ----------------------------------------------------------------------
    @property
    def saliency(self) -> bool:
        return self._saliency

    @saliency.setter
    def saliency(self, on: bool) -> None:
        on = bool(on)
        if on != self._saliency:
            self._saliency = on
            self._run()
            self.events.saliency.emit(on)

    # --- ablation ----------------------------------------------------------------------
    @property
    def silenced(self) -> frozenset[int]:
        return self._silenced

    def silenced_layers(self, nodes=None) -> dict:
        """{probe layer: [flat indices]} for node indices (default: the silenced ones)."""
        return silence_layers(self.layout, self._silenced if nodes is None else nodes)

    def set_silenced(self, nodes) -> None:
        nodes = frozenset(int(n) for n in nodes)
        for n in nodes:
            self._check_node(n)
            if self.layout.slab_of[n] == 0:
                raise Vis3dError("input pixels cannot be silenced: choose a node of a layer")
        if nodes == self._silenced:
            return
        self.probe.set_silenced(self.silenced_layers(nodes))
        self._silenced = nodes
        self._run()
        self.events.silenced.emit(nodes)

    def toggle_silenced(self, node: int) -> None:
        self.set_silenced(self._silenced ^ {int(node)})

    def channel_nodes(self, node: int) -> list[int]:
        """Every node of ``node``'s channel (a map layer), or just the node."""
        slab, local = self.layout.locate(int(node))
        if not slab.is_map:
            return [int(node)]
        per = slab.count // slab.shape[0]
        c = local // per
        return list(range(slab.offset + c * per, slab.offset + (c + 1) * per))

    def silence_channel(self, node: int, on: bool = True) -> None:
        chan = set(self.channel_nodes(node))
        self.set_silenced(self._silenced | chan if on else self._silenced - chan)

    def restore_all(self) -> None:
        self.set_silenced(())

    def silence_spec(self, text: str) -> None:
        """'LAYER:I,LAYER:I,...' (flat node index within the layer) -> silenced."""
        self.set_silenced(parse_silence(self.layout, text))


def parse_silence(layout, text: str) -> set:
    """'LAYER:I,LAYER:I,...' -> global node indices (LAYER: a name or position)."""
    nodes = set()
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        layer, sep, idx = part.rpartition(":")
        if not sep or not layer or not idx.isdigit():
            raise Vis3dError(f"--silence wants LAYER:INDEX[,LAYER:INDEX...], not '{part}'")
        slab = layout.slab(layer)
        if slab.kind == "input":
            raise Vis3dError("--silence: input pixels cannot be silenced")
        if not int(idx) < slab.count:
            raise Vis3dError(f"--silence: layer '{slab.name}' has nodes 0..{slab.count - 1}, "
                             f"not {idx}")
        nodes.add(slab.offset + int(idx))
    return nodes


def silence_layers(layout, nodes) -> dict:
    """Global node indices -> {probe layer: [flat indices]} (what ``Probe.set_silenced`` takes)."""
    out: dict = {}
    for node in sorted(nodes):
        slab, local = layout.locate(int(node))
        out.setdefault(slab.value_layer, []).append(int(local))
    return out
