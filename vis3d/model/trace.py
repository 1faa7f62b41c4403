"""Tracing a model into the ops it computes: torch.fx symbolic tracing, and for a model fx
cannot trace, forward hooks on its torch.nn modules plus a torch-function mode recording the
functional ops between them (call order and tensor identity).

Both give the same thing: a list of ``Op`` in execution order, each with the indices of the
ops whose tensors it reads (-1: the model input), classified once on an example input, and a
``run`` that repeats the forward keeping every op's output.
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass, field

import torch
import torch.fx as fx
from torch import nn
from torch.overrides import TorchFunctionMode

from vis3d.errors import Vis3dError
from vis3d.model import specs as S

BUNDLE = "bundle"   # a tuple of tensors (e.g. from split): not shown, passes its sources on


@dataclass
class Op:
    index: int
    name: str
    kind: str                   # a layer kind, S.ALIAS, S.SCALE or BUNDLE
    srcs: tuple                 # indices of the ops whose tensors it reads; -1 = the input
    shape: tuple                # display shape of its output (no batch axis)
    spec: S.LayerSpec | None = None
    users: list = field(default_factory=list)


def _tensors(value):
    """The tensors in an argument (a tensor, or a list/tuple of them), flattened."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _is_leaf(module: nn.Module) -> bool:
    """torch.nn's own modules (not containers): what fx keeps whole, and what gets hooks."""
    if isinstance(module, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
        return False
    if type(module).__name__ == "Standardize":
        return True
    # torch.nn's own leaf modules and subclasses of them (a user's Conv2d with extras is
    # still a convolution); a plain nn.Module subclass is a container to trace into.
    return any(c is not nn.Module and c.__module__.startswith("torch.nn.modules")
               for c in type(module).__mro__)


class _Names:
    """Unique layer names: a module's qualified name, an op's name; 'name#2' for the second
    call of the same module."""

    def __init__(self):
        self.used: dict[str, int] = {"input": 1}

    def __call__(self, base: str) -> str:
        base = base or "op"
        n = self.used.get(base, 0) + 1
        self.used[base] = n
        return base if n == 1 else f"{base}#{n}"


def classify(index: int, name: str, what, args: tuple, kwargs: dict, out, srcs: tuple) -> Op:
    """One op from what was called (a module, or a function/method name) on which values."""
    if not isinstance(out, torch.Tensor):
        return Op(index, name, BUNDLE, srcs, ())
    operands = [t for t in _tensors(args) + _tensors(kwargs)]
    first = operands[0] if operands else out
    base = dict(name=name, module="", in_shape=S.display_shape(first.shape[1:]),
                out_shape=S.display_shape(out.shape[1:]), in_shapes=())
    if isinstance(what, nn.Module):
        kind = S.module_kind(what)
        base.update(kind=kind, module=type(what).__name__)
        spec = None if kind in (S.ALIAS, S.SCALE) else S.describe_module(name, what, kind, base)
    else:
        kind = S.function_kind(what, len(srcs))
        base.update(kind=kind, module=what)
        spec = None if kind in (S.ALIAS, S.SCALE) else \
            S.describe_function(what, args, kwargs, kind, base)
    if spec is not None:
        kind = spec.kind
        if kind in ("add", "cat"):
            data = [t for t in _tensors(args[0] if kind == "cat" else args)]
            spec = _with(spec, in_shapes=tuple(S.display_shape(t.shape[1:]) for t in data))
            if len(data) != len(srcs):
                spec = _with(spec, kind="unknown", note=f"a {kind} with constants")
            elif kind == "add" and any(t.shape != out.shape for t in data):
                spec = _with(spec, kind="unknown", note="an add that broadcasts")
            elif kind == "add" and (kwargs.get("alpha", 1) != 1
                                  or (len(args) > 2 and not isinstance(args[2], torch.Tensor))):
                spec = _with(spec, kind="unknown", note="an add of constants or with alpha")
            kind = spec.kind
    return Op(index, name, kind, srcs, S.display_shape(out.shape[1:]), spec)


def _with(spec, **changes):
    from dataclasses import replace
    return replace(spec, **changes)


# --- torch.fx -----------------------------------------------------------------------------
# Python's augmented assignments (x += y, ...) and item assignment (x[i] = y).
_INPLACE_OPERATORS = {operator.iadd, operator.iand, operator.iconcat, operator.ifloordiv,
                      operator.ilshift, operator.imatmul, operator.imod, operator.imul,
                      operator.ior, operator.ipow, operator.irshift, operator.isub,
                      operator.itruediv, operator.ixor, operator.setitem}


def _writes_in_place(n: fx.Node, modules: dict) -> bool:
    """Whether an fx node may write into a tensor it reads (so a kept output could change
    after it was kept). Conservative: anything not known to be out-of-place counts."""
    if n.op in ("placeholder", "output", "get_attr"):
        return False
    if n.op == "call_module":
        m = modules.get(n.target)
        return m is None or not _is_leaf(m) or bool(getattr(m, "inplace", False))
    if "out" in n.kwargs or n.kwargs.get("inplace") is True:
        return True
    if n.op == "call_method":
        name = str(n.target)
        return name.endswith("_") and not name.startswith("__") or name.startswith("__i")
    target = n.target
    if target in _INPLACE_OPERATORS:
        return True
    name = getattr(target, "__name__", "")
    if name.endswith("_") and not name.startswith("__"):
        return True
    try:
        bound = inspect.signature(target).bind(*n.args, **n.kwargs).arguments
    except (TypeError, ValueError):
        return any(a is True for a in n.args)   # an unknown flag might be 'inplace'
    return bound.get("inplace") is True


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return _is_leaf(m)


class _Runner(fx.Interpreter):
    """Runs the traced graph keeping the outputs (and where asked, the operands) of ops."""

    def __init__(self, gm, index_of: dict, keep_operands: set):
        super().__init__(gm, garbage_collect_values=True)
        self.index_of = index_of
        self.keep_operands = keep_operands
        self.outs: dict[int, torch.Tensor] = {}
        self.fed: dict[int, list] = {}
        self.first: list | None = None   # on the first run: (node, args, kwargs, out)
        self.masks: dict[int, torch.Tensor] = {}  # op index -> flat bool mask: outputs forced to 0
        self.graph_kept = False          # keep outputs in the autograd graph (attribution)
        # Outputs are kept as they are unless the graph may write into a tensor in place
        # (ReLU(inplace=True), x += y, ...): then a copy of each (a quarter of a forward).
        self.copy = True

    def run_node(self, n):
        out = super().run_node(n)
        i = self.index_of.get(n.name)
        if self.first is not None and n.op not in ("placeholder", "output", "get_attr"):
            args, kwargs = self.fetch_args_kwargs_from_env(n)
            self.first.append((n, args, kwargs, out))
        if i is not None:
            if i in self.masks and isinstance(out, torch.Tensor):
                out = silence(out, self.masks[i])
            if isinstance(out, torch.Tensor):
                self.outs[i] = out if self.graph_kept else \
                    (out.detach().clone() if self.copy else out.detach())
            if i in self.keep_operands:
                args, kwargs = self.fetch_args_kwargs_from_env(n)
                self.fed[i] = [t.detach().clone() for t in _tensors(args) + _tensors(kwargs)]
        return out


class FxTrace:
    mode = "fx"

    def __init__(self, model: nn.Module, example: torch.Tensor):
        self.model = model
        graph = _Tracer().trace(model)
        self.gm = fx.GraphModule(model, graph)
        modules = dict(model.named_modules())
        runner = _Runner(self.gm, {}, set())
        runner.first = []
        with torch.inference_mode():
            self.output = runner.run(example)
        names = _Names()
        dep: dict[str, int] = {}          # fx node name -> op index (-1 the input)
        self.ops: list[Op] = []
        self.index_of: dict[str, int] = {}
        for n in graph.nodes:
            if n.op == "placeholder":
                dep[n.name] = -1
        for n, args, kwargs, out in runner.first:
            srcs = tuple(dep[a.name] for a in n.all_input_nodes if a.name in dep)
            if not srcs:
                continue                  # a constant: parameters, shapes, created tensors
            if not isinstance(out, (torch.Tensor, tuple, list)) or \
                    (isinstance(out, torch.Tensor) and out.dim() == 0):
                # A shape, a number or a scalar computed from the input: not data.
                continue
            if n.op == "call_module":
                what, base = modules[n.target], n.target
            elif n.op == "call_method":
                what, base = S.op_name(n.target), n.name
            else:
                what, base = S.op_name(n.target), n.name
            op = classify(len(self.ops), names(base), what, args, kwargs, out, srcs)
            dep[n.name] = op.index
            self.index_of[n.name] = op.index
            self.ops.append(op)
        self._runner = _Runner(self.gm, self.index_of, set())
        self._runner.copy = any(_writes_in_place(n, modules) for n in graph.nodes)

    def set_keep_operands(self, ops: set) -> None:
        self._runner.keep_operands = set(ops)

    def set_masks(self, masks: dict) -> None:
        self._runner.masks = dict(masks)

    def run(self, x: torch.Tensor, graph: bool = False):
        """-> (model output, {op index: output}, {op index: [operands]}). ``graph``: the
        outputs stay in the autograd graph (run outside inference mode, for gradients)."""
        r = self._runner
        r.outs, r.fed = {}, {}
        r.graph_kept = graph
        try:
            out = r.run(x)
        finally:
            r.graph_kept = False
        return out, r.outs, r.fed


# --- hooks + torch-function mode -----------------------------------------------------------
class _Recorder(TorchFunctionMode):
    def __init__(self, owner):
        super().__init__()
        self.owner = owner

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        o = self.owner
        if o.depth == 0 and not o.busy:
            out = o.event(S.op_name(func), args, kwargs, out)
        return out


class HookTrace:
    """For models torch.fx cannot trace (data-dependent control flow and the like)."""

    mode = "hooks"

    def __init__(self, model: nn.Module, example: torch.Tensor):
        self.model = model
        self.depth = 0
        self.busy = False
        self._active = False   # hooks record only inside run(): the model stays usable alone
        self.ops: list[Op] = []
        self._names = _Names()
        self._qual = {id(m): n for n, m in model.named_modules()}
        self.keep: set = set()
        self.masks: dict[int, torch.Tensor] = {}
        self._graph = False
        self._first = True
        handles = []
        for _name, m in model.named_modules():
            if _is_leaf(m) and m is not model:
                handles.append(m.register_forward_pre_hook(self._pre))
                handles.append(m.register_forward_hook(self._post))
        self._handles = handles
        self.output, _, _ = self.run(example)
        self._first = False

    def _pre(self, module, args):
        if self._active:
            self.depth += 1

    def _post(self, module, args, out):
        if not self._active:
            return
        self.depth -= 1
        if self.depth == 0:
            return self.event(module, args, {}, out)
        return None

    def event(self, what, args, kwargs, out):
        """Record one op; -> its output (silenced where a mask asks)."""
        self.busy = True
        try:
            srcs = tuple(self._ids[id(t)] for t in _tensors(args) + _tensors(kwargs)
                         if id(t) in self._ids)
            if not srcs or not isinstance(out, (torch.Tensor, tuple, list)) or \
                    (isinstance(out, torch.Tensor) and out.dim() == 0):
                return out
            k = self._count
            self._count += 1
            if self._first:
                base = self._qual.get(id(what), "module") if isinstance(what, nn.Module) else what
                self.ops.append(classify(k, self._names(base), what, args, kwargs, out, srcs))
            elif k >= len(self.ops):
                raise Vis3dError("the model computes different layers for different inputs")
            if k in self.masks and isinstance(out, torch.Tensor):
                out = silence(out, self.masks[k])
            for t in _tensors(out):
                self._ids[id(t)] = k
                self._alive.append(t)
            if isinstance(out, torch.Tensor):
                self._outs[k] = out if self._graph else out.detach().clone()
            if k in self.keep:
                self._fed[k] = [t.detach().clone() for t in _tensors(args) + _tensors(kwargs)]
            return out
        finally:
            self.busy = False

    def set_keep_operands(self, ops: set) -> None:
        self.keep = set(ops)

    def set_masks(self, masks: dict) -> None:
        self.masks = dict(masks)

    def run(self, x: torch.Tensor, graph: bool = False):
        self._ids = {id(x): -1}
        self._alive = [x]
        self._outs, self._fed = {}, {}
        self._count = 0
        self.depth = 0
        self._active = True
        self._graph = graph
        try:
            with torch.inference_mode(not graph), _Recorder(self):
                out = self.model(x)
        finally:
            self._active = False
            self._alive = []
            self._ids = {}
            self._graph = False
        if not self._first and self._count != len(self.ops):
            raise Vis3dError("the model computes different layers for different inputs")
        return out, self._outs, self._fed

    def close(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


def silence(out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``out`` with the nodes in ``mask`` (flat bool, no batch axis) forced to 0."""
    return out.reshape(out.shape[0], -1).masked_fill(mask, 0.0).reshape(out.shape)


def trace(model: nn.Module, example: torch.Tensor):
    """An ``FxTrace``, or a ``HookTrace`` when fx cannot trace the model. Raises
    ``Vis3dError`` when the model's forward fails on the example."""
    try:
        return FxTrace(model, example)
    except Vis3dError:
        raise
    except Exception:  # noqa: BLE001 - fx refuses many things; the hooks take them
        pass
    try:
        return HookTrace(model, example)
    except Vis3dError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's forward failed
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        shape = "x".join(str(d) for d in example.shape[1:])
        raise Vis3dError(f"the model's forward fails on a {shape} input ({text})") from None
