"""The activation probe: one no-grad forward that keeps every layer's output.

Works on any ``nn.Module`` computing a classification from one image-like input: the model
is traced once (vis3d.model.trace: torch.fx, or hooks for what fx cannot trace) into the
tensors it computes; a flat ``nn.Sequential`` is then stepped through module by module (no
tracing overhead per run). The layers form a networkx DiGraph (``probe.graph``), and each
is described torch-free as a ``LayerSpec`` (``probe.specs[name]``) for the scene core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import torch
from torch import nn

from vis3d.errors import Vis3dError
from vis3d.model import specs as S
from vis3d.model.specs import LayerSpec  # noqa: F401 - re-exported
from vis3d.model.trace import BUNDLE, silence, trace

_IDENTITY_IN_EVAL = (nn.Dropout, nn.Dropout2d, nn.Identity)


@dataclass
class LayerOutput:
    name: str
    kind: str
    shape: tuple
    values: np.ndarray  # float32, shape ``shape`` (no batch axis)


@dataclass
class Activations:
    input: np.ndarray           # the image as given: (H, W) or (C, H, W), float32 0..1
    layers: list[LayerOutput]   # in data-flow order
    probs: np.ndarray           # (K,) float32
    prediction: int
    fed_input: np.ndarray | None = None  # what the first layer received (after normalisation)
    fed: dict = field(default_factory=dict)  # layer -> [operand arrays] where they differ
                                             # from the layers shown before it (scaled input)

    def __getitem__(self, name: str) -> LayerOutput:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)


def _first_layer(model: nn.Module):
    for _name, m in model.named_modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            return m
    return None


def infer_input_shape(model: nn.Module) -> tuple:
    """Channels from the first conv (or the size from a first linear layer), the size by
    trying common ones; ``Vis3dError`` asking for the shape where it cannot be told."""
    first = _first_layer(model)
    if isinstance(first, nn.Conv2d):
        c = int(first.in_channels)
        sizes = (28, 32, 64) if c == 1 else (32, 64, 28)
        candidates = [(c, s, s) for s in sizes + (96, 128, 224, 16)]
    elif isinstance(first, nn.Conv1d):
        candidates = [(int(first.in_channels), n) for n in (784, 28, 32, 64, 128, 256, 1000)]
    elif isinstance(first, nn.Linear):
        n = int(first.in_features)
        candidates = [(c, s, s) for c in (1, 3) for s in [math.isqrt(n // c)]
                      if n % c == 0 and s * s * c == n]
    else:
        candidates = []
    for shape in candidates:
        try:
            with torch.inference_mode():
                model(torch.zeros(1, *shape))
            return shape
        except Exception:  # noqa: BLE001 - the wrong size for this model: try the next
            continue
    raise Vis3dError("cannot tell the model's input shape from its first layer: give it "
                     "(--input-shape C,H,W, or an 'input' field in the model card)")


def main_output(out):
    """The class scores among what a model returns: the tensor itself; of a tuple or list
    (e.g. ``(logits, features)``) the first tensor; of a dict its ``logits``/``out``/``output``
    entry, else its first tensor."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        named = [out[k] for k in ("logits", "out", "output") if isinstance(out.get(k), torch.Tensor)]
        values = named + list(out.values())
    elif isinstance(out, (tuple, list)):
        values = list(out)
    else:
        values = [getattr(out, "logits", None)]
    for v in values:
        if isinstance(v, torch.Tensor):
            return v
    raise Vis3dError(f"the model returns {type(out).__name__} with no tensor in it: vis3d "
                     "needs the class scores as a tensor")


class Probe:
    """Run a model on one image and capture every layer's output."""

    def __init__(self, model: nn.Module, input_shape=None, mean=None, std=None):
        self.model = model.eval()
        self._modules = dict(model.named_modules())
        shape = tuple(int(v) for v in (input_shape or infer_input_shape(model)))
        if len(shape) == 2 and isinstance(_first_layer(model), nn.Conv2d):
            shape = (1, *shape)
        self.input_shape = shape
        c = shape[0]
        self._mean = None if mean is None else torch.tensor(
            np.broadcast_to(np.asarray(mean, np.float32), (c,)).copy()).view(1, c, *[1] * (len(shape) - 1))
        self._std = None if std is None else torch.tensor(
            np.broadcast_to(np.asarray(std, np.float32), (c,)).copy()).view(1, c, *[1] * (len(shape) - 1))
        self.trace = trace(self.model, self._prepare(np.zeros(shape, np.float32)))
        self._build()
        self._sequential = self._plan_steps()
        self.masks: dict[str, torch.Tensor] = {}
        if self._sequential:   # stepped, not traced: one run proves the plan
            self.classes = int(self.run(np.zeros(self.image_shape, np.float32)).probs.size)
        else:   # the trace has just run the graph run() runs: no second forward
            out = main_output(self.trace.output)
            self.classes = int(out.reshape(out.shape[0], -1).shape[1])

    # --- structure ---------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple:
        s = self.input_shape
        return s[1:] if (len(s) == 3 and s[0] == 1) else s

    def _build(self) -> None:
        ops = self.trace.ops
        value_of, scaled = {-1: "input"}, {-1: self._mean is not None or self._std is not None}
        self.specs: dict[str, LayerSpec] = {}
        self._layer_ops: dict[int, str] = {}
        keep: set[int] = set()
        g = nx.DiGraph()
        g.add_node("input", kind="input", shape=S.display_shape(self.input_shape), index=0,
                   module="input")
        for op in ops:
            if op.kind in (S.ALIAS, S.SCALE, BUNDLE):
                value_of[op.index] = value_of[op.srcs[0]]
                scaled[op.index] = op.kind == S.SCALE or scaled[op.srcs[0]]
                continue
            inputs = tuple(value_of[s] for s in op.srcs)
            spec = S.LayerSpec(**{**op.spec.__dict__, "inputs": inputs})
            self.specs[op.name] = spec
            self._layer_ops[op.index] = op.name
            if any(scaled[s] for s in op.srcs):
                keep.add(op.index)
            value_of[op.index], scaled[op.index] = op.name, False
            g.add_node(op.name, kind=spec.kind, shape=spec.out_shape, index=len(g),
                       module=spec.module)
            for src in dict.fromkeys(inputs):
                g.add_edge(src, op.name)
        if all(spec.kind == "unknown" for spec in self.specs.values()):
            raise Vis3dError("the model has no layer vis3d can show (no convolution, linear, "
                             "pooling, normalisation, activation, add or cat)")
        self._keep = keep
        self._shapes = {name: spec.out_shape for name, spec in self.specs.items()}
        self.trace.set_keep_operands(keep)
        self.graph = g
        last = self.specs[next(reversed(self.specs))]
        self._ends_in = last.module if last.kind == "softmax" else None

    def _plan_steps(self) -> bool:
        """A flat Sequential whose layers are its children, each once: stepped directly."""
        m = self.model
        if not isinstance(m, nn.Sequential) or not all(S_leaf(c) for c in m) \
                or len({id(c) for c in m}) != len(m):
            return False
        steps, names = [], []
        pending_scale = self._mean is not None or self._std is not None
        for name, module in m.named_children():
            kind = S.module_kind(module)
            shown = kind not in (S.ALIAS, S.SCALE)
            steps.append((name, module, kind if shown else None, shown and pending_scale))
            pending_scale = (pending_scale and not shown) or kind == S.SCALE
            if shown:
                names.append(name)
        if names != list(self.specs) or any(self.specs[n].module != type(self._modules[n]).__name__
                                             for n in names):
            return False
        self._steps = steps
        return True

    # --- forward -----------------------------------------------------------------------
    def _prepare(self, image: np.ndarray) -> torch.Tensor:
        return self.prepare_batch(image.reshape(1, *image.shape))

    def run(self, image: np.ndarray) -> Activations:
        """One forward pass on an image of the model's input shape ((H, W) for one channel,
        or (C, H, W)), values 0..1. Silenced nodes (``set_silenced``) output 0."""
        image = np.ascontiguousarray(image, dtype=np.float32)
        if image.shape not in (tuple(self.input_shape), self.image_shape):
            want = "x".join(str(v) for v in self.image_shape)
            raise ValueError(f"probe input must be {want}, got {image.shape}")
        x = self._prepare(image)
        with torch.inference_mode():  # cheaper than no_grad: no autograd bookkeeping at all
            out, captured, fed = self.forward(x)
            probs = self.to_probs(out)
        shapes = self._shapes
        layers = [LayerOutput(name, kind, shapes[name], t.numpy().reshape(shapes[name]))
                  for name, kind, t in captured]
        probs = probs.numpy()[0].astype(np.float32, copy=False)
        first = next(iter(self.specs))
        fed_input = fed[first][0] if first in fed else None
        return Activations(input=image, layers=layers, probs=probs, prediction=int(probs.argmax()),
                           fed_input=fed_input, fed=fed)

    def top_probability(self, image: np.ndarray) -> float:
        """The model's top class probability for one image (a cheap forward, nothing kept):
        how sure it is, for the camera pipeline to choose among candidate regions."""
        x = self._prepare(np.ascontiguousarray(image, dtype=np.float32))
        with torch.inference_mode():
            out, _, _ = self.forward(x, graph=True)
            return float(self.to_probs(out).max())

    def forward(self, x: torch.Tensor, graph: bool = False):
        """The model on a prepared batch ``x``: -> (output, [(layer, kind, output)], fed).
        ``graph``: outputs stay in the autograd graph (call outside inference mode)."""
        fed: dict[str, list] = {}
        masks = self.masks
        if self._sequential:
            captured = []
            for name, module, kind, keep in self._steps:
                if kind is None and isinstance(module, _IDENTITY_IN_EVAL) and not module.training:
                    continue  # dropout at inference is the identity: skip the call
                if keep and not graph:
                    fed[name] = [x[0].reshape(-1).numpy()]
                x = module(x)
                if kind is not None:
                    if name in masks:
                        x = silence(x, masks[name])
                    captured.append((name, kind, x))
            return x, captured, fed
        out, outs, operands = self.trace.run(x, graph=graph)
        out = main_output(out)
        captured = [(name, self.specs[name].kind, outs[i]) for i, name in self._layer_ops.items()]
        if not graph:
            for i in self._keep:
                fed[self._layer_ops[i]] = [t[0].reshape(-1).numpy() for t in operands[i]]
        return out, captured, fed

    def prepare_batch(self, images: np.ndarray) -> torch.Tensor:
        """(B, *image_shape) float32 0..1 -> the model's input batch (mean/std applied)."""
        x = torch.from_numpy(np.ascontiguousarray(images, np.float32))
        x = x.reshape(x.shape[0], *self.input_shape)
        if self._mean is not None:
            x = x - self._mean
        if self._std is not None:
            x = x / self._std
        return x

    @property
    def logit_layer(self) -> str | None:
        """The layer whose output is the logits when the model ends in (log-)softmax (None:
        the model's output is the logits)."""
        if self._ends_in is None:
            return None
        src = self.specs[next(reversed(self.specs))].inputs[0]
        return None if src == "input" else src

    def to_probs(self, out: torch.Tensor) -> torch.Tensor:
        out = out.reshape(out.shape[0], -1).float()
        if self._ends_in in ("Softmax", "softmax"):
            return out
        if self._ends_in in ("LogSoftmax", "log_softmax"):
            return torch.exp(out)
        return torch.softmax(out, dim=1)

    # --- ablation ----------------------------------------------------------------------
    def set_silenced(self, silenced: dict | None) -> None:
        """{layer name: flat node indices} forced to 0 in every run from now on (the rest of
        the net computes on); None or {} restores all."""
        masks = {}
        for name, nodes in (silenced or {}).items():
            if name not in self.specs:
                raise Vis3dError(f"no layer '{name}' to silence (layers: {', '.join(self.specs)})")
            n = int(np.prod(self._shapes[name]))
            idx = np.asarray(sorted(int(v) for v in nodes), np.int64)
            if idx.size == 0:
                continue
            if idx[0] < 0 or idx[-1] >= n:
                raise Vis3dError(f"layer '{name}' has nodes 0..{n - 1}; cannot silence {idx[-1] if idx[-1] >= n else idx[0]}")
            mask = torch.zeros(n, dtype=torch.bool)
            mask[torch.from_numpy(idx)] = True
            masks[name] = mask
        self.masks = masks
        index = {name: i for i, name in self._layer_ops.items()}
        self.trace.set_masks({index[n]: m for n, m in masks.items()})

    # --- access ------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        return list(nx.topological_sort(self.graph))

    def module(self, name: str) -> nn.Module:
        return self._modules[name]

    def params(self, name: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(weight, bias) of a layer as float32 numpy arrays (None where absent)."""
        spec = self.specs[name]
        return spec.weight, spec.bias

    def close(self) -> None:
        close = getattr(self.trace, "close", None)
        if close is not None:
            close()


def S_leaf(module: nn.Module) -> bool:
    return len(list(module.children())) == 0
