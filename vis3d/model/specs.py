"""What each layer of a model is, in plain Python and numpy (``LayerSpec``), and how a
module or a functional op is classified.

Kinds of layers:
  conv, linear, pool (max/avg windows), adaptive pool (adaptive pooling, ``mean`` over the
  spatial axes), bn (batch norm as its effective per-channel scale and shift), add, cat
  (merges of two or more tensors), relu / act (elementwise activations: fold into their
  producer), softmax, unknown (an op vis3d has no edge rule for: still shown, with its shape).
Ops that only reshape, or are identities at inference, are not layers (``ALIAS``); ops that
scale a tensor by constants (input standardisation) are not layers either (``SCALE``): the
layer after them records what it really received.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ALIAS, SCALE = "alias", "scale"
ACTIVATION_KINDS = ("relu", "act")
EDGE_KINDS = ("conv", "linear", "pool", "adaptive pool", "bn", "add", "cat")

_ACT_MODULES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Hardswish, nn.Hardsigmoid,
                nn.Sigmoid, nn.Tanh, nn.ELU, nn.SELU, nn.CELU, nn.Mish, nn.Softplus, nn.Softsign,
                nn.Hardtanh, nn.PReLU, nn.LogSigmoid, nn.Tanhshrink)
_ALIAS_MODULES = (nn.Flatten, nn.Unflatten, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                  nn.AlphaDropout, nn.Identity)
# Functional ops and tensor methods by name, with underscores stripped ("__iadd__" -> "iadd",
# "relu_" -> "relu", "_max_pool2d" -> "max_pool2d"): the same names come from torch.fx graphs
# and from the function-mode recorder.
_ACT_NAMES = {"relu6", "leaky_relu", "gelu", "silu", "hardswish", "hardsigmoid", "sigmoid", "tanh",
              "elu", "selu", "celu", "mish", "softplus", "hardtanh", "logsigmoid", "softsign"}
_SOFTMAX_NAMES = {"softmax", "log_softmax"}
_ALIAS_NAMES = {"flatten", "reshape", "view", "squeeze", "unsqueeze", "contiguous", "float", "to",
                "clone", "view_as", "reshape_as", "detach", "type_as", "dropout", "dropout1d",
                "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"}
_ADD_NAMES = {"add", "iadd", "radd"}
_SCALE_NAMES = {"sub", "isub", "rsub", "mul", "imul", "rmul", "div", "truediv", "itruediv",
                "rtruediv", "neg"}
_POOL_NAMES = {"max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"}
_ADAPTIVE_NAMES = {"adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
                   "adaptive_max_pool2d", "mean"}


def _pair(v) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(x) for x in v)
    return (1, v[0]) if len(v) == 1 else v


def _line(v) -> tuple[int, int]:
    """A 1D size as a 2D one over a 1-high map: k -> (1, k)."""
    v = v[0] if isinstance(v, (tuple, list)) else v
    return (1, int(v))


def module_kind(module: nn.Module) -> str:
    """The kind of a leaf module (see the module docstring), ALIAS or SCALE."""
    if isinstance(module, _ALIAS_MODULES) or getattr(module, "passthrough", False):
        return ALIAS
    if type(module).__name__ == "Standardize":
        return SCALE
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        return "conv"
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)):
        return "pool"
    if isinstance(module, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d,
                           nn.AdaptiveMaxPool2d)):
        return "adaptive pool"
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.track_running_stats:
        return "bn"
    if isinstance(module, nn.ReLU):
        return "relu"
    if isinstance(module, _ACT_MODULES):
        return "act"
    if isinstance(module, (nn.Softmax, nn.LogSoftmax)):
        return "softmax"
    return "unknown"


def op_name(target) -> str:
    """A functional op's or tensor method's name without surrounding underscores."""
    name = target if isinstance(target, str) else getattr(target, "__name__", type(target).__name__)
    return name.strip("_") or name


def function_kind(name: str, n_tensors: int) -> str:
    """The kind of a functional op or tensor method called ``name`` (see ``op_name``);
    ``n_tensors``: how many of its operands are computed from the input."""
    if name in _ALIAS_NAMES:
        return ALIAS
    if name == "relu":
        return "relu"
    if name in _ACT_NAMES:
        return "act"
    if name in _SOFTMAX_NAMES:
        return "softmax"
    if name in _ADD_NAMES:
        return "add" if n_tensors >= 2 else SCALE
    if name in _SCALE_NAMES:
        return SCALE if n_tensors == 1 else "unknown"
    if name in ("cat", "concat", "concatenate"):
        return "cat"
    if name in _POOL_NAMES:
        return "pool"
    if name in _ADAPTIVE_NAMES:
        return "adaptive pool"
    return "unknown"


@dataclass(frozen=True)
class LayerSpec:
    """One shown layer described with plain Python and numpy: what the scene core
    (layout, edges, tiles) reads instead of torch modules. Shapes have no batch axis; a 1D
    map (C, L) is shown and described as (C, 1, L)."""

    name: str
    kind: str                       # see the module docstring
    module: str                     # the module's type name or the op's name, for display
    in_shape: tuple                 # what the layer receives (the first operand)
    out_shape: tuple                # what it gives
    kernel: tuple | None = None     # conv and pool: (kh, kw); adaptive pool: output (oh, ow)
    stride: tuple | None = None
    padding: tuple | None = None    # (top, left): zeros added before row/col 0
    dilation: tuple | None = None
    groups: int = 1                 # conv: input and output channels split in this many groups
    pool_mode: str | None = None    # 'max' | 'avg'
    count_include_pad: bool = True  # avg pool: padded zeros count in the divisor
    weight: np.ndarray | None = None  # float32: conv (out, in/groups, kh, kw), linear (out, in),
    bias: np.ndarray | None = None    # bn (C,) effective scale; float32 (out,) or bn shift (C,)
    inputs: tuple = ()              # names of the layers feeding it ('input' for the model input)
    in_shapes: tuple = ()           # the shape of every operand (add, cat)
    dim: int | None = None          # cat: the axis joined (without the batch axis)
    note: str = ""                  # why an 'unknown' layer has no edges


def numpy32(t) -> np.ndarray | None:
    return None if t is None else t.detach().float().cpu().numpy().copy()


def display_shape(shape) -> tuple:
    """(C, L) -> (C, 1, L); () and more than 3 axes -> a vector; others as they are."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        return (shape[0], 1, shape[1])
    if len(shape) == 0 or len(shape) > 3:
        return (int(np.prod(shape)),)
    return shape


def _conv_padding(module, kernel, dilation) -> tuple:
    if module.padding == "same":  # torch puts the odd pixel after: before = total // 2
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    if module.padding == "valid":
        return (0, 0)
    return _line(module.padding) if isinstance(module, nn.Conv1d) else _pair(module.padding)


def describe_module(name: str, module: nn.Module, kind: str, base: dict) -> LayerSpec:
    """The ``LayerSpec`` of a leaf module; ``base`` holds the common fields."""
    one_d = isinstance(module, (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d))
    two = _line if one_d else _pair
    if kind == "conv":
        kernel, dilation = two(module.kernel_size), two(module.dilation)
        weight = numpy32(module.weight)
        if one_d:
            weight = weight[:, :, None, :]
        return LayerSpec(**base, kernel=kernel, stride=two(module.stride),
                         padding=_conv_padding(module, kernel, dilation), dilation=dilation,
                         groups=int(module.groups), weight=weight, bias=numpy32(module.bias))
    if kind == "pool":
        if getattr(module, "ceil_mode", False):
            return LayerSpec(**{**base, "kind": "unknown", "note": "ceil_mode pooling"})
        kernel = two(module.kernel_size)
        is_max = isinstance(module, (nn.MaxPool1d, nn.MaxPool2d))
        return LayerSpec(**base, kernel=kernel, stride=two(module.stride or kernel),
                         padding=two(module.padding),
                         dilation=two(module.dilation) if is_max else (1, 1),
                         pool_mode="max" if is_max else "avg",
                         count_include_pad=bool(getattr(module, "count_include_pad", True)))
    if kind == "adaptive pool":
        mode = "max" if "Max" in type(module).__name__ else "avg"
        return LayerSpec(**base, kernel=_map_hw(base["out_shape"]), pool_mode=mode)
    if kind == "bn":
        scale = module.weight if module.affine else torch.ones_like(module.running_var)
        scale = (scale / torch.sqrt(module.running_var + module.eps)).detach()
        shift = (module.bias if module.affine else torch.zeros_like(scale)).detach() \
            - module.running_mean * scale
        return LayerSpec(**base, weight=numpy32(scale), bias=numpy32(shift))
    return LayerSpec(**base, weight=numpy32(getattr(module, "weight", None))
                     if isinstance(getattr(module, "weight", None), torch.Tensor) else None,
                     bias=numpy32(getattr(module, "bias", None))
                     if isinstance(getattr(module, "bias", None), torch.Tensor) else None)


def _map_hw(shape) -> tuple:
    """(oh, ow) of a map shape; a vector (C,) from a global pool counts as 1x1."""
    shape = display_shape(shape)
    return (shape[1], shape[2]) if len(shape) == 3 else (1, 1)


def _arg(args, kwargs, i, key, default=None):
    return args[i] if len(args) > i else kwargs.get(key, default)


def _rank(args) -> int:
    """The rank, with the batch axis, of the first tensor operand."""
    first = args[0]
    if isinstance(first, (list, tuple)):
        first = first[0]
    return first.dim()


def describe_function(name: str, args: tuple, kwargs: dict, kind: str, base: dict) -> LayerSpec:
    """The ``LayerSpec`` of a functional op seen with these (already evaluated) arguments."""
    unknown = lambda why: LayerSpec(**{**base, "kind": "unknown", "note": why})  # noqa: E731
    if kind == "pool":
        two = _line if name.endswith("1d") else _pair
        is_max = name.startswith("max")
        kernel = two(_arg(args, kwargs, 1, "kernel_size"))
        stride = _arg(args, kwargs, 2, "stride") or kernel
        if _arg(args, kwargs, 5 if is_max else 4, "ceil_mode", False):
            return unknown("ceil_mode pooling")
        if is_max and _arg(args, kwargs, 6, "return_indices", False):
            return unknown("pooling with indices")
        return LayerSpec(**base, kernel=kernel, stride=two(stride),
                         padding=two(_arg(args, kwargs, 3, "padding", 0)),
                         dilation=two(_arg(args, kwargs, 4, "dilation", 1)) if is_max else (1, 1),
                         pool_mode="max" if is_max else "avg",
                         count_include_pad=bool(_arg(args, kwargs, 5, "count_include_pad", True))
                         if not is_max else True)
    if kind == "adaptive pool":
        if name == "mean":
            rank = _rank(args)
            dims = _arg(args, kwargs, 1, "dim")
            dims = (dims,) if isinstance(dims, int) else tuple(dims or ())
            if rank < 3 or sorted(d % rank for d in dims) != list(range(2, rank)) \
                    or kwargs.get("dtype") is not None:
                return unknown("a mean over other axes than the spatial ones")
        if "max" in name and _arg(args, kwargs, 2, "return_indices", False):
            return unknown("pooling with indices")
        return LayerSpec(**base, kernel=_map_hw(base["out_shape"]),
                         pool_mode="max" if "max" in name else "avg")
    if kind == "cat":
        rank = _rank(args)
        dim = _arg(args, kwargs, 1, "dim", 0) % rank
        if dim == 0:
            return unknown("joins along the batch axis")
        # Without the batch axis; a 1D map (C, L) is shown as (C, 1, L).
        return LayerSpec(**base, dim=2 if (rank == 3 and dim == 2) else dim - 1)
    return LayerSpec(**base)
