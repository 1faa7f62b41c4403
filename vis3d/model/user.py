"""The user's own model: ``path/to/file.py:Name``, a ``nn.Module`` class constructed without
arguments or a function returning a module, with optional weights (.safetensors, or a .pt
state dict read with ``weights_only=True``) and an optional model card.

The .py file is the user's own code and runs, by design, as ``python file.py`` would run it.
Weights are still never read through unrestricted pickle.

Model card (JSON beside the weights, else beside the .py file; every field optional):
  {"input": {"shape": [C, H, W], "mean": [..C..], "std": [..C..]}, "labels": ["cat", ...]}
Without a shape, the probe infers it from the first layer; without mean/std, pixels in 0..1
go in as they are (colour in RGB order); without labels, classes are 0..K-1.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import math
import sys
from pathlib import Path

from torch import nn

from vis3d.errors import Vis3dError


def is_user_spec(spec) -> bool:
    text = str(spec)
    path, sep, name = text.rpartition(":")
    return (bool(sep) and path.endswith(".py")) or text.endswith(".py")


def parse_shape(text) -> tuple:
    """'3,32,32' (or a list) -> (3, 32, 32): one to three positive whole numbers."""
    parts = text.replace("x", ",").split(",") if isinstance(text, str) else list(text)
    try:
        shape = tuple(int(str(p).strip()) for p in parts)
    except ValueError:
        shape = ()
    if not 1 <= len(shape) <= 3 or min(shape) < 1 or math.prod(shape) > 50_000_000:
        raise Vis3dError(f"input shape must look like C,H,W (e.g. 3,32,32), not '{text}'")
    return shape


def _check_card(card: dict, where: Path) -> dict:
    given = card.get("input", {})
    if not isinstance(given, dict):
        raise Vis3dError(f"{where}: field 'input' must be an object")
    if "shape" in given:
        try:
            given["shape"] = list(parse_shape(given["shape"]))
        except Vis3dError as exc:
            raise Vis3dError(f"{where}: field 'input.shape': {exc}") from None
    for key in ("mean", "std"):
        if key not in given:
            continue
        v = given[key]
        vals = v if isinstance(v, list) else [v]
        if not vals or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                               and math.isfinite(x) for x in vals):
            raise Vis3dError(f"{where}: field 'input.{key}' must be a number or a list of numbers")
        if key == "std" and min(vals) <= 0:
            raise Vis3dError(f"{where}: field 'input.std' must be positive")
        shape = given.get("shape")
        if shape and len(vals) not in (1, shape[0]):
            raise Vis3dError(f"{where}: field 'input.{key}' has {len(vals)} values for "
                             f"{shape[0]} channels")
    labels = card.get("labels")
    if labels is not None and not all(isinstance(x, (str, int)) for x in labels):
        raise Vis3dError(f"{where}: field 'labels' must be a list of names")
    return card


def _import(path: Path):
    key = "vis3d_user_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(key, path)
    if spec is None or spec.loader is None:
        raise Vis3dError(f"{path}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    added = str(path.resolve().parent)
    sys.path.insert(0, added)  # the file may import its neighbours
    try:
        spec.loader.exec_module(module)
    except SystemExit:
        raise Vis3dError(f"{path}: exits when imported") from None
    except BaseException as exc:  # noqa: BLE001 - the user's code: any failure is one line
        if isinstance(exc, KeyboardInterrupt):
            raise
        sys.modules.pop(key, None)
        raise Vis3dError(f"{path}: fails to import ({type(exc).__name__}: "
                         f"{str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ''})") from None
    finally:
        if added in sys.path:
            sys.path.remove(added)
    return module


def build(spec: str) -> tuple[nn.Module, Path, str]:
    """Import 'file.py:Name' and construct the model (in eval mode)."""
    text = str(spec)
    path_text, sep, name = text.rpartition(":")
    if not sep or not path_text.endswith(".py"):
        raise Vis3dError(f"'{text}': give the model as path/to/file.py:ClassName")
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise Vis3dError(f"{path}: file not found")
    module = _import(path)
    obj = getattr(module, name, None)
    if obj is None:
        raise Vis3dError(f"{path}: has no class or function '{name}'")
    if inspect.isclass(obj) and not issubclass(obj, nn.Module):
        raise Vis3dError(f"{path}: '{name}' is a class but not a torch.nn.Module")
    if not callable(obj):
        raise Vis3dError(f"{path}: '{name}' is neither a class nor a function")
    try:
        model = obj()
    except TypeError as exc:
        if "argument" in str(exc):
            raise Vis3dError(f"{path}: '{name}' needs arguments to construct ({exc}); give a "
                             f"class or function that takes none") from None
        raise Vis3dError(f"{path}: '{name}()' fails ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - the user's constructor
        raise Vis3dError(f"{path}: '{name}()' fails ({type(exc).__name__}: {exc})") from None
    if not isinstance(model, nn.Module):
        raise Vis3dError(f"{path}: '{name}()' gives a {type(model).__name__}, not a torch.nn.Module")
    return model.eval(), path, name


def load(spec: str, weights=None, input_shape=None):
    """A ``LoadedModel`` for 'file.py:Name' with optional weights and an input shape."""
    from vis3d.model.weights import LoadedModel, _read_card, _Weights, card_path, fit

    model, path, name = build(spec)
    card: dict = {}
    if weights is not None:
        wpath = Path(weights).expanduser()
        found = _Weights(wpath)
        fit(model, found, wpath, f"{path.name}:{name}")
        card = _read_card(wpath)
        where = card_path(wpath)
    else:
        where = path.with_suffix(".json")
        if where.is_file():
            card = _read_card(path)
    card = _check_card(dict(card), where)
    if input_shape is not None:
        card["input"] = {**card.get("input", {}), "shape": list(parse_shape(input_shape))}
    model.eval()
    return LoadedModel(name=name, model=model, card={**card, "source": f"{path}:{name}"},
                       path=Path(weights) if weights is not None else path)
