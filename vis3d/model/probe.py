"""The activation probe: one no-grad forward that keeps every layer's output.

Works on any ``nn.Module``: an ``nn.Sequential`` is stepped through layer by layer
(no hook overhead); any other module is traced once with forward hooks on its leaf
modules. The layer sequence is also exposed as a networkx DiGraph, and every shown
layer as a torch-free ``LayerSpec`` (``probe.specs[name]``) for the scene core.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import torch
from torch import nn

_IDENTITY_IN_EVAL = (nn.Dropout, nn.Dropout2d, nn.Identity)

# Modules that only reshape, normalise or are identities at inference: not shown as layers.
PASSTHROUGH = (nn.Flatten, nn.Dropout, nn.Dropout2d, nn.Identity)
KINDS = (
    (nn.Conv2d, "conv"),
    (nn.ReLU, "relu"), (nn.LeakyReLU, "relu"), (nn.Tanh, "relu"), (nn.Sigmoid, "relu"),
    (nn.MaxPool2d, "pool"), (nn.AvgPool2d, "pool"),
    (nn.Linear, "linear"),
    (nn.Softmax, "softmax"), (nn.LogSoftmax, "softmax"),
)


def kind_of(module: nn.Module) -> str | None:
    """'conv', 'relu', 'pool', 'linear', 'softmax'; None for pass-through; else 'other:<Type>'."""
    if isinstance(module, PASSTHROUGH) or getattr(module, "passthrough", False):
        return None
    if type(module).__name__ == "Standardize":
        return None
    for cls, kind in KINDS:
        if isinstance(module, cls):
            return kind
    return f"other:{type(module).__name__}"


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else tuple(int(x) for x in v)


@dataclass(frozen=True)
class LayerSpec:
    """One shown layer described with plain Python and numpy: what the scene core
    (layout, edges, tiles) reads instead of torch modules."""

    name: str
    kind: str                       # 'conv' | 'relu' | 'pool' | 'linear' | 'softmax' | 'other:...'
    module: str                     # the module's type name, for display
    in_shape: tuple                 # what the layer receives, without the batch axis
    out_shape: tuple                # what it gives
    kernel: tuple | None = None     # conv and pool: (kh, kw)
    stride: tuple | None = None
    padding: tuple | None = None    # (top, left): zeros added before row/col 0
    dilation: tuple | None = None
    groups: int = 1                 # conv: input and output channels split in this many groups
    pool_mode: str | None = None    # 'max' | 'avg'
    count_include_pad: bool = True  # avg pool: padded zeros count in the divisor
    weight: np.ndarray | None = None  # float32: conv (out, in/groups, kh, kw), linear (out, in)
    bias: np.ndarray | None = None    # float32 (out,)


def _numpy(t) -> np.ndarray | None:
    return None if t is None else t.detach().float().cpu().numpy().copy()


def describe(name: str, module: nn.Module, in_shape: tuple, out_shape: tuple) -> LayerSpec:
    """The ``LayerSpec`` of one module given the shapes it was seen to take and give."""
    kind = kind_of(module) or "passthrough"
    base = dict(name=name, kind=kind, module=type(module).__name__, in_shape=tuple(in_shape),
                out_shape=tuple(out_shape))
    if isinstance(module, nn.Conv2d):
        kernel, dilation = _pair(module.kernel_size), _pair(module.dilation)
        if module.padding == "same":  # torch puts the odd pixel after: before = total // 2
            padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
        elif module.padding == "valid":
            padding = (0, 0)
        else:
            padding = _pair(module.padding)
        return LayerSpec(**base, kernel=kernel, stride=_pair(module.stride), padding=padding,
                         dilation=dilation, groups=int(module.groups),
                         weight=_numpy(module.weight), bias=_numpy(module.bias))
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kernel = _pair(module.kernel_size)
        is_max = isinstance(module, nn.MaxPool2d)
        return LayerSpec(**base, kernel=kernel, stride=_pair(module.stride or kernel),
                         padding=_pair(module.padding),
                         dilation=_pair(module.dilation) if is_max else (1, 1),
                         pool_mode="max" if is_max else "avg",
                         count_include_pad=bool(getattr(module, "count_include_pad", True)))
    return LayerSpec(**base, weight=_numpy(getattr(module, "weight", None)),
                     bias=_numpy(getattr(module, "bias", None)))


@dataclass
class LayerOutput:
    name: str
    kind: str
    shape: tuple
    values: np.ndarray  # float32, shape ``shape`` (no batch axis)


@dataclass
class Activations:
    input: np.ndarray           # (28, 28) float32, 0..1
    layers: list[LayerOutput]   # in data-flow order
    probs: np.ndarray           # (10,) float32
    prediction: int
    fed_input: np.ndarray | None = None  # what the first layer received (after normalisation)

    def __getitem__(self, name: str) -> LayerOutput:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)


class Probe:
    """Run a CNN on one 28x28 image and capture every layer's output."""

    def __init__(self, model: nn.Module):
        self.model = model.eval()
        self._modules = dict(model.named_modules())
        self._sequential = isinstance(model, nn.Sequential) and all(
            len(list(m.children())) == 0 for m in model)
        # The forward plan, computed once: (name, module, kind or None for pass-through).
        self._steps = [(name, m, kind_of(m)) for name, m in model.named_children()]
        self._first_shown = next((i for i, st in enumerate(self._steps) if st[2] is not None), 0)
        self._order: list[tuple[str, str]] = []   # (name, kind) of shown layers
        self._captured: list[torch.Tensor] = []
        self._hooks = []
        self._fed: torch.Tensor | None = None
        if not self._sequential:
            for name, module in model.named_modules():
                if len(list(module.children())) == 0 and kind_of(module) is not None:
                    if not self._hooks:
                        self._hooks.append(module.register_forward_pre_hook(self._pre_hook))
                    self._hooks.append(module.register_forward_hook(self._make_hook(name)))
        self.specs: dict[str, LayerSpec] = self._describe_layers()
        first = self.run(np.zeros((28, 28), np.float32))
        self.graph = self._build_graph(first)

    # --- forward ---------------------------------------------------------------------
    def _pre_hook(self, _module, inputs):
        self._fed = inputs[0]

    def _make_hook(self, name):
        def hook(_module, _inputs, output):
            self._captured.append((name, output))
        return hook

    def run(self, image: np.ndarray) -> Activations:
        """One forward pass on a (28, 28) float image in 0..1 (ink bright)."""
        image = np.ascontiguousarray(image, dtype=np.float32)
        if image.shape != (28, 28):
            raise ValueError(f"probe input must be 28x28, got {image.shape}")
        x = torch.from_numpy(image).view(1, 1, 28, 28)
        captured = []
        fed = None
        with torch.inference_mode():  # cheaper than no_grad: no autograd bookkeeping at all
            if self._sequential:
                for i, (name, module, kind) in enumerate(self._steps):
                    if i == self._first_shown:
                        fed = x
                    if kind is None and isinstance(module, _IDENTITY_IN_EVAL) and not module.training:
                        continue  # dropout at inference is the identity: skip the call
                    x = module(x)
                    if kind is not None:
                        captured.append((name, kind, x))
            else:
                self._captured = []
                x = self.model(x)
                captured = [(name, kind_of(self._modules[name]), out) for name, out in self._captured]
                fed = self._fed
        layers = [LayerOutput(name, kind, tuple(out.shape[1:]), out.numpy()[0])
                  for name, kind, out in captured]
        last = layers[-1]
        if last.kind == "softmax":
            probs = np.exp(last.values) if isinstance(self._modules[last.name], nn.LogSoftmax) \
                else last.values
        else:
            z = last.values.reshape(-1).astype(np.float64)
            probs = np.exp(z - z.max())
            probs = (probs / probs.sum()).astype(np.float32)
        probs = np.asarray(probs, np.float32).reshape(-1)
        fed_np = None if fed is None else fed[0].reshape(-1, 28, 28).numpy()
        return Activations(input=image, layers=layers, probs=probs, prediction=int(probs.argmax()),
                           fed_input=fed_np)

    # --- structure -------------------------------------------------------------------
    def _describe_layers(self) -> dict[str, LayerSpec]:
        """One traced forward on a blank image: every shown layer's shapes and parameters."""
        seen: dict[str, tuple] = {}
        hooks = []
        for name, module in self.model.named_modules():
            if len(list(module.children())) == 0 and kind_of(module) is not None:
                def hook(_m, inputs, output, name=name):
                    seen.setdefault(name, (tuple(inputs[0].shape[1:]), tuple(output.shape[1:])))
                hooks.append(module.register_forward_hook(hook))
        try:
            with torch.inference_mode():
                self.model(torch.zeros(1, 1, 28, 28))
        finally:
            for h in hooks:
                h.remove()
        return {name: describe(name, self._modules[name], *shapes) for name, shapes in seen.items()}

    def _build_graph(self, acts: Activations) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_node("input", kind="input", shape=(1, 28, 28), index=0)
        prev = "input"
        for i, layer in enumerate(acts.layers, start=1):
            g.add_node(layer.name, kind=layer.kind, shape=layer.shape, index=i,
                       module=type(self._modules[layer.name]).__name__)
            g.add_edge(prev, layer.name)
            prev = layer.name
        return g

    def layer_names(self) -> list[str]:
        return list(nx.topological_sort(self.graph))

    def module(self, name: str) -> nn.Module:
        return self._modules[name]

    def params(self, name: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(weight, bias) of a layer as float32 numpy arrays (None where absent)."""
        spec = self.specs[name]
        return spec.weight, spec.bias

    def close(self) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks.clear()
