"""A short text form of a sequential CNN: parsed, checked, printed back, built.

One layer per item, items separated by ``|`` (or new lines)::

    conv 16 k3 | relu | conv 32 k3 | relu | maxpool 2 | dropout 0.25 | flatten
    | fc 64 | relu | dropout 0.25 | fc 64 | relu | fc 10 | softmax

=================================  ===============================================
``conv C [kK] [sS] [pP]``          convolution to C channels, kernel K (default 3),
                                   stride S (1), zero padding P (0)
``maxpool K [sS] [pP]``            max pooling over KxK, stride S (default K)
``avgpool K [sS] [pP]``            average pooling, the same options
``batchnorm``                      batch normalisation (of maps or of vectors)
``dropout P``                      dropout with probability 0 <= P < 1
``relu`` ``tanh`` ``sigmoid``      activations; ``leakyrelu [SLOPE]`` (0.01)
``flatten``                        maps to one vector (needed before ``fc``)
``fc N``                           fully connected layer with N outputs
``softmax``                        probabilities; only as the last layer
=================================  ===============================================

The input is a 28x28 grey image; the built ``nn.Sequential`` starts with the
``Standardize`` layer of the bundled nets (named ``norm``) and names its layers as they
do (``conv1``, ``relu1``, ``pool``/``pool1``, ``drop1``, ``flatten``, ``fc1``, ``softmax``),
so the probe, the layout and the weights files follow it. :func:`check` works out every
layer's output shape and parameter count without torch and names the first layer that
cannot work (a map shrinking below 1x1, ``fc`` on a map, the last layer not giving 10).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from vis3d.errors import Vis3dError
from vis3d.model import nets

INPUT_SHAPE = (1, 28, 28)
CLASSES = 10
MAX_CHANNELS, MAX_UNITS, MAX_KERNEL = 1024, 65536, 28
MAX_NODES = 2_000_000         # what the 3D scene can still draw
MAX_PARAMETERS = 50_000_000
ACTIVATIONS = ("relu", "leakyrelu", "tanh", "sigmoid")
KINDS = ("conv", "maxpool", "avgpool", "batchnorm", "dropout", *ACTIVATIONS, "flatten", "fc",
         "softmax")
SEPARATORS = ("|", "\n", ";")


class SpecError(Vis3dError):
    """A design that cannot be parsed or built; ``index`` is the layer (0-based) or None."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class Layer:
    kind: str
    size: int | None = None       # conv: channels; fc: units; pools: kernel
    kernel: int | None = None     # conv kernel
    stride: int | None = None     # None: 1 for conv, the kernel for pools
    padding: int = 0
    rate: float | None = None     # dropout probability, leakyrelu slope

    def text(self) -> str:
        k = self.kind
        if k == "conv":
            out = f"conv {self.size} k{self.kernel}"
            if self.stride not in (None, 1):
                out += f" s{self.stride}"
            return out + (f" p{self.padding}" if self.padding else "")
        if k in ("maxpool", "avgpool"):
            out = f"{k} {self.size}"
            if self.stride is not None and self.stride != self.size:
                out += f" s{self.stride}"
            return out + (f" p{self.padding}" if self.padding else "")
        if k == "fc":
            return f"fc {self.size}"
        if k == "dropout":
            return f"dropout {_num(self.rate)}"
        if k == "leakyrelu" and self.rate is not None and self.rate != 0.01:
            return f"leakyrelu {_num(self.rate)}"
        return k


def _num(x: float) -> str:
    return repr(float(x))

@dataclass(frozen=True)
class Spec:
    layers: tuple

    def text(self) -> str:
        return " | ".join(layer.text() for layer in self.layers)

    def __str__(self) -> str:
        return self.text()


# --- parsing ---------------------------------------------------------------------------

def _where(i: int, item: str) -> str:
    return f"layer {i + 1} '{item}'"


def _int(i, item, token, what, lo, hi, shown=None) -> int:
    try:
        v = int(token, 10)
    except ValueError:
        v = None
    if v is None or not lo <= v <= hi:
        must = "a whole number" if v is None else f"{lo}..{hi}"
        raise SpecError(f"{_where(i, item)}: bad token '{shown or token}' ({what} must be "
                        f"{must})", i)
    return v


def _float(i, item, token, what, lo, hi, hi_open=False) -> float:
    try:
        v = float(token)
    except ValueError:
        v = math.nan
    if not (lo <= v < hi if hi_open else lo <= v <= hi):  # also false for NaN
        rng = f"{lo} <= {what} < {hi}" if hi_open else f"{lo}..{hi}"
        raise SpecError(f"{_where(i, item)}: bad token '{token}' ({what} must be a number, "
                        f"{rng})", i)
    return v


def parse_layer(item: str, i: int = 0) -> Layer:
    tokens = item.split()
    if not tokens:
        raise SpecError(f"layer {i + 1} is empty (two separators in a row?)", i)
    kind, args = tokens[0].lower(), tokens[1:]
    if kind not in KINDS:
        raise SpecError(f"{_where(i, item)}: unknown layer '{tokens[0]}' (known: "
                        f"{', '.join(KINDS)})", i)
    if kind in ("conv", "maxpool", "avgpool"):
        if not args:
            what = "channels" if kind == "conv" else "kernel size"
            raise SpecError(f"{_where(i, item)}: {kind} needs its {what}, e.g. "
                            f"'{'conv 16 k3' if kind == 'conv' else kind + ' 2'}'", i)
        size = _int(i, item, args[0], "channels" if kind == "conv" else "kernel size", 1,
                    MAX_CHANNELS if kind == "conv" else MAX_KERNEL)
        opts = {}
        for tok in args[1:]:
            key, val = tok[:1].lower(), tok[1:]
            allowed = "ksp" if kind == "conv" else "sp"
            if key not in allowed or not val or key in opts:
                names = ", ".join(f"{c}N" for c in allowed)
                why = "given twice" if key in opts and val else f"options: {names}"
                raise SpecError(f"{_where(i, item)}: bad token '{tok}' ({why})", i)
            what = {"k": "kernel", "s": "stride", "p": "padding"}[key]
            opts[key] = _int(i, item, val, what, 0 if key == "p" else 1, MAX_KERNEL, tok)
        if kind == "conv":
            return Layer("conv", size, opts.get("k", 3), opts.get("s", 1), opts.get("p", 0))
        return Layer(kind, size, None, opts.get("s"), opts.get("p", 0))
    if kind == "fc":
        if len(args) != 1:
            raise SpecError(f"{_where(i, item)}: fc takes one number, its outputs, e.g. 'fc 64'", i)
        return Layer("fc", _int(i, item, args[0], "outputs", 1, MAX_UNITS))
    if kind == "dropout":
        if len(args) != 1:
            raise SpecError(f"{_where(i, item)}: dropout takes one number, its probability, "
                            f"e.g. 'dropout 0.25'", i)
        return Layer("dropout", rate=_float(i, item, args[0], "probability", 0.0, 1.0, True))
    if kind == "leakyrelu" and len(args) == 1:
        return Layer("leakyrelu", rate=_float(i, item, args[0], "slope", 0.0, 1.0))
    if args:
        raise SpecError(f"{_where(i, item)}: bad token '{args[0]}' ({kind} takes no options)", i)
    return Layer(kind, rate=0.01 if kind == "leakyrelu" else None)


def parse(text: str) -> Spec:
    """A :class:`Spec` from its text; :class:`SpecError` names the bad layer and token."""
    if not isinstance(text, str):
        raise SpecError(f"an architecture spec must be text, not {type(text).__name__}")
    for sep in SEPARATORS[1:]:
        text = text.replace(sep, SEPARATORS[0])
    items = [item.strip() for item in text.split(SEPARATORS[0])]
    if items and not items[-1] and len(items) > 1:
        items = items[:-1]  # a trailing separator is harmless
    if not any(items):
        raise SpecError("empty architecture spec (e.g. 'conv 16 k3 | relu | maxpool 2 | "
                        "flatten | fc 10 | softmax')")
    spec = Spec(tuple(parse_layer(item, i) for i, item in enumerate(items)))
    check(spec)
    return spec


# --- shapes, parameters and what cannot work ---------------------------------------------

@dataclass(frozen=True)
class LayerInfo:
    index: int
    name: str          # the module's name in the built net
    layer: Layer
    out_shape: tuple   # (C, H, W) or (N,)
    parameters: int


def _names(spec: Spec) -> list[str]:
    counts: dict[str, int] = {}
    base = {"conv": "conv", "maxpool": "pool", "avgpool": "pool", "batchnorm": "bn",
            "dropout": "drop", "fc": "fc", "flatten": "flatten", "softmax": "softmax",
            "relu": "relu", "leakyrelu": "lrelu", "tanh": "tanh", "sigmoid": "sigmoid"}
    total: dict[str, int] = {}
    for layer in spec.layers:
        total[base[layer.kind]] = total.get(base[layer.kind], 0) + 1
    names = []
    for layer in spec.layers:
        b = base[layer.kind]
        counts[b] = counts.get(b, 0) + 1
        single = total[b] == 1 and b in ("pool", "flatten", "softmax")
        names.append(b if single else f"{b}{counts[b]}")
    return names


def _dims(what: str) -> str:
    return "x".join(str(d) for d in what)


def check(spec: Spec) -> list[LayerInfo]:
    """Every layer's output shape and parameter count; :class:`SpecError` names the first
    layer that cannot work and why."""
    shape: tuple = INPUT_SHAPE
    infos: list[LayerInfo] = []
    names = _names(spec)
    nodes = math.prod(INPUT_SHAPE)
    n = len(spec.layers)
    for i, (layer, name) in enumerate(zip(spec.layers, names)):
        where = _where(i, layer.text())
        k = layer.kind
        params = 0
        if k in ("conv", "maxpool", "avgpool"):
            if len(shape) != 3:
                raise SpecError(f"{where}: needs feature maps, but its input is a vector of "
                                f"{shape[0]} (it comes after flatten)", i)
            c, h, w = shape
            kern = layer.kernel if k == "conv" else layer.size
            stride = layer.stride or (1 if k == "conv" else layer.size)
            pad = layer.padding
            if k != "conv" and pad > kern // 2:
                raise SpecError(f"{where}: padding {pad} is more than half the {kern}x{kern} "
                                f"window", i)
            oh = (h + 2 * pad - kern) // stride + 1
            ow = (w + 2 * pad - kern) // stride + 1
            if oh < 1 or ow < 1:
                raise SpecError(f"{where}: the {h}x{w} map is smaller than the {kern}x{kern} "
                                f"window{' with padding ' + str(pad) if pad else ''}: the map "
                                f"would shrink below 1x1", i)
            out_c = layer.size if k == "conv" else c
            if k == "conv":
                params = out_c * c * kern * kern + out_c
            shape = (out_c, oh, ow)
        elif k == "fc":
            if len(shape) != 1:
                raise SpecError(f"{where}: its input is a {_dims(shape)} map; put 'flatten' "
                                f"before it", i)
            params = shape[0] * layer.size + layer.size
            shape = (layer.size,)
        elif k == "flatten":
            if len(shape) != 3:
                raise SpecError(f"{where}: the input is already a vector of {shape[0]}", i)
            shape = (math.prod(shape),)
        elif k == "batchnorm":
            params = 2 * shape[0]
        elif k == "softmax" and i != n - 1:
            raise SpecError(f"{where}: softmax can only be the last layer", i)
        if k in ("conv", "maxpool", "avgpool", "fc"):
            nodes += math.prod(shape)
        infos.append(LayerInfo(i, name, layer, shape, params))
    if not spec.layers:
        raise SpecError("the design has no layers")
    if shape != (CLASSES,):
        last = n - 1 if spec.layers[-1].kind != "softmax" else n - 2
        raise SpecError(f"{_where(last, spec.layers[last].text())}: the net must end with "
                        f"{CLASSES} outputs, one per digit (e.g. 'fc {CLASSES}'); it ends with "
                        f"{_dims(shape)}", last)
    total = sum(info.parameters for info in infos)
    if total > MAX_PARAMETERS:
        raise SpecError(f"the design has {total:,} parameters (at most {MAX_PARAMETERS:,})")
    if nodes > MAX_NODES:
        raise SpecError(f"the design has {nodes:,} neurons; the scene shows at most "
                        f"{MAX_NODES:,}")
    return infos


# --- building ----------------------------------------------------------------------------

def build(spec: Spec | str):
    """The ``nn.Sequential`` of a spec (untrained, seeded by torch's global generator)."""
    if isinstance(spec, str):
        spec = parse(spec)
    infos = check(spec)
    shape: tuple = INPUT_SHAPE
    modules: list = [("norm", nets.Standardize())]
    for info in infos:
        layer, k = info.layer, info.layer.kind
        if k == "conv":
            m = nn.Conv2d(shape[0], layer.size, layer.kernel, stride=layer.stride,
                          padding=layer.padding)
        elif k == "maxpool":
            m = nn.MaxPool2d(layer.size, stride=layer.stride, padding=layer.padding)
        elif k == "avgpool":
            m = nn.AvgPool2d(layer.size, stride=layer.stride, padding=layer.padding)
        elif k == "batchnorm":
            m = (BatchNorm2d if len(shape) == 3 else BatchNorm1d)(shape[0])
        elif k == "dropout":
            m = nn.Dropout(layer.rate)
        elif k == "relu":
            m = nn.ReLU()
        elif k == "leakyrelu":
            m = nn.LeakyReLU(layer.rate if layer.rate is not None else 0.01)
        elif k == "tanh":
            m = nn.Tanh()
        elif k == "sigmoid":
            m = nn.Sigmoid()
        elif k == "flatten":
            m = nn.Flatten()
        elif k == "fc":
            m = nn.Linear(shape[0], layer.size)
        else:
            m = nn.Softmax(dim=1)
        modules.append((info.name, m))
        shape = info.out_shape
    return nn.Sequential(OrderedDict(modules))


class _FoldedBatchNorm:
    """Batch norm as the scene wants it: folded into the layer before it (not a slab of
    its own), and with only floating-point tensors in its state (no step counter)."""

    passthrough = True

    def __init__(self, features: int):
        super().__init__(features)
        self.register_buffer("num_batches_tracked", None)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
        # Version 2 of the format: no step counter is expected nor added.
        super()._load_from_state_dict(state_dict, prefix, {**local_metadata, "version": 2}, *args)


class BatchNorm2d(_FoldedBatchNorm, nn.BatchNorm2d):
    pass


class BatchNorm1d(_FoldedBatchNorm, nn.BatchNorm1d):
    pass


# --- the designs offered as presets -------------------------------------------------------

BUNDLED = {
    "mnist_cnn": "conv 16 k3 | relu | conv 32 k3 | relu | maxpool 2 | dropout 0.25 | flatten | "
                 "fc 64 | relu | dropout 0.25 | fc 64 | relu | fc 10 | softmax",
    "lenet5": "conv 6 k5 p2 | relu | maxpool 2 | conv 16 k5 | relu | maxpool 2 | flatten | "
              "fc 120 | relu | fc 84 | relu | fc 10 | softmax",
}

# Seed 001 (Iuzzolino et al., "Interactive Deep CNN Visualization"): Input, X, ReLU,
# Dropout, Softmax with X one of three configurations, a dropout after each max-pool,
# kernel 3 or 5. The filter count and the hidden FC width are ours (the paper gives none).
_HEAD = "flatten | fc 128 | relu | dropout 0.5 | fc 10 | softmax"
_SEED001 = {
    "conv-relu-pool": "conv 32 k{k} | relu | maxpool 2 | dropout 0.25",
    "conv-relu-conv-relu-pool": "conv 32 k{k} | relu | conv 32 k{k} | relu | maxpool 2 | "
                                "dropout 0.25",
    "(conv-relu-pool) x2": "conv 32 k{k} | relu | maxpool 2 | dropout 0.25 | conv 32 k{k} | "
                           "relu | maxpool 2 | dropout 0.25",
}


def presets() -> dict[str, str]:
    """Name -> spec text: the bundled nets, then seed 001's six designs."""
    out = dict(BUNDLED)
    for k in (3, 5):
        for name, body in _SEED001.items():
            out[f"seed 001: {name}, k{k}"] = f"{body.format(k=k)} | {_HEAD}"
    return out


def with_layer(spec: Spec, i: int, layer: Layer | None) -> Spec:
    """A copy with layer ``i`` replaced (None: removed)."""
    layers = list(spec.layers)
    if layer is None:
        del layers[i]
    else:
        layers[i] = layer
    return Spec(tuple(layers))
