"""Loading and saving weights safely: safetensors with a JSON model card beside them,
or a .pt state dict read with ``torch.load(weights_only=True)``. Never plain pickle."""

from __future__ import annotations

import copy
import json
import os
import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from vis3d.model import nets, spec as spec_mod
from vis3d.errors import Vis3dError
from vis3d.paths import models_dir, user_models_dir


@dataclass
class LoadedModel:
    name: str
    model: nn.Module
    card: dict
    path: Path | None
    # A Probe built to check the model before the window opened (vis3d.ui.app), kept for
    # the first make_probe() so the window does not trace and run the model again.
    checked: object = field(default=None, repr=False, compare=False)

    def make_probe(self, own_copy: bool = False):
        """The ``Probe`` of this model for its card's input (shape, mean, std); ``own_copy``:
        on a deep copy of the model (so a worker thread never shares the window's probe)."""
        if not own_copy:
            probe, self.checked = self.checked, None
            if probe is not None:
                return probe
        from vis3d.model.probe import Probe
        card = self.card or {}
        given = card.get("input") if isinstance(card.get("input"), dict) else {}
        model = copy.deepcopy(self.model) if own_copy else self.model
        return Probe(model, input_shape=given.get("shape"), mean=given.get("mean"),
                     std=given.get("std"))


def card_path(weights: Path) -> Path:
    return weights.with_suffix(".json")


def bundled_models() -> list[str]:
    return sorted(p.stem for p in models_dir().glob("*.safetensors"))


def saved_models() -> list[str]:
    """Names of the models saved from the window's builder (in ``user_models_dir()``)."""
    return sorted(p.stem for p in user_models_dir().glob("*.safetensors"))


def save(model: nn.Module, path: str | Path, card: dict) -> None:
    """Weights and card, each written to a temporary file first and then renamed: an
    interrupted save leaves no partial file under either name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    tmp_w = path.with_name(f".{path.name}.part")
    tmp_c = path.with_name(f".{card_path(path).name}.part")
    try:
        save_file(tensors, str(tmp_w), metadata={"arch": str(card.get("arch", ""))})
        tmp_c.write_text(json.dumps(card, indent=2) + "\n")
        # safetensors writes its file owner-only; the weights get the card's (the umask's) mode
        os.chmod(tmp_w, tmp_c.stat().st_mode & 0o777)
        os.replace(tmp_c, card_path(path))
        os.replace(tmp_w, path)
    finally:
        for tmp in (tmp_w, tmp_c):
            tmp.unlink(missing_ok=True)


# safetensors dtype names; only the floating ones are weights this program can show.
_ST_FLOAT = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}
_ST_NAMES = {"I8": "int8", "U8": "uint8", "I16": "int16", "U16": "uint16", "I32": "int32",
             "U32": "uint32", "I64": "int64", "U64": "uint64", "BOOL": "bool",
             "C64": "complex64", "C128": "complex128"}
MAX_CARD_BYTES = 1 << 20


def _is_counter(key: str, dtype_name: str) -> bool:
    """BatchNorm's ``num_batches_tracked``: an int64 step counter, not a weight."""
    return key.endswith(".num_batches_tracked") and dtype_name == "int64"


def _check_dtype(path: Path, key: str, dtype_name: str, floating: bool) -> None:
    if not floating and not _is_counter(key, dtype_name):
        raise Vis3dError(f"{path}: tensor {key} has dtype {dtype_name} (weights must be floating "
                         f"point: float16, bfloat16, float32 or float64)")


def _check_finite(path: Path, key: str, tensor: torch.Tensor) -> None:
    finite = torch.isfinite(tensor)
    if not bool(finite.all()):
        bad = tensor[~finite]
        n_nan = int(torch.isnan(bad).sum())
        what = ", ".join(part for part in (f"{n_nan} NaN" if n_nan else "",
                                           f"{len(bad) - n_nan} infinite" if len(bad) > n_nan else "")
                         if part)
        raise Vis3dError(f"{path}: tensor {key} has {what} value{'s' if len(bad) > 1 else ''} "
                         f"(weights must be finite numbers)")


def _parses_as_pickle(path: Path) -> bool:
    """Whether the file starts with a well-formed pickle (its opcodes are only parsed by
    pickletools, nothing is built or run): a refused pickle, as opposed to broken bytes."""
    import pickletools
    try:
        with open(path, "rb") as fh:
            for _ in pickletools.genops(fh):
                pass
        return True
    except Exception:  # noqa: BLE001 - any parse failure: not a pickle
        return False


def _sniff(path: Path) -> str:
    """What a file claiming to be .pt really is: 'zip', 'pickle', or a description."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        return "empty file"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[0] == 0x80:
        return "pickle"
    if len(head) > 9 and head[8:10] in (b'{"', b"{}"):
        return "a safetensors file: name it .safetensors"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\0" not in text:
        return "text"
    return f"unrecognised binary data starting {head[:4].hex()}"


# Where training scripts keep the weights inside a checkpoint dict, in the order looked for.
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "model_state")
# Prefixes wrappers add to every name: DataParallel/DDP, torch.compile, Lightning modules.
WRAPPER_PREFIXES = ("module.", "_orig_mod.", "model.")


def _unwrapped(expect, found) -> dict:
    """Model key -> file key: the same names, or the file's names with one wrapper prefix
    that every one of them carries removed (when that makes them the model's)."""
    if set(found) >= set(expect):
        return {k: k for k in expect}
    for prefix in WRAPPER_PREFIXES:
        if found and all(k.startswith(prefix) for k in found):
            names = {k[len(prefix):]: k for k in found}
            if set(names) >= set(expect):
                return {k: names[k] for k in expect}
    return {k: k for k in expect}


def _pt_state(path: Path) -> dict:
    what = _sniff(path)
    if what not in ("zip", "pickle"):
        raise Vis3dError(f"{path}: not a PyTorch weights file (it is {what})")
    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols before refusing; the refusal is what counts.
            warnings.simplefilter("ignore")
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's own text advises weights_only=False, the unsafe way: not repeated here.
        if what == "pickle" and not _parses_as_pickle(path):   # (a zip holds torch's own pickle)
            raise Vis3dError(f"{path}: not a readable PyTorch file (broken or not weights: "
                             f"its pickle data cannot be decoded)") from None
        raise Vis3dError(
            f"{path}: refused: not a plain tensor state dict (a pickle with other Python "
            f"objects could run code when loaded, so it is not opened; save the weights with "
            f"torch.save(model.state_dict(), path) or as .safetensors)") from None
    except Exception as exc:  # noqa: BLE001 - any other decoder failure: a broken file
        what = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise Vis3dError(f"{path}: not a readable PyTorch file (truncated or not weights: "
                         f"{what})") from None
    if isinstance(state, dict):   # a training checkpoint: the model's entry
        for key in CHECKPOINT_KEYS:
            if isinstance(state.get(key), dict) and state[key] and \
                    all(isinstance(v, torch.Tensor) for v in state[key].values()):
                state = state[key]
                break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise Vis3dError(f"{path}: expected a state dict of tensors")
    for key, tensor in state.items():
        _check_dtype(path, key, str(tensor.dtype).replace("torch.", ""), tensor.is_floating_point())
    return state


class _Weights:
    """The tensors of one file: names, shapes and dtypes known before any data is read."""

    def __init__(self, path: Path):
        self.path = path
        self._pt: dict | None = None
        self._st = None
        if not path.is_file():
            raise Vis3dError(f"{path}: weights file not found")
        if path.suffix == ".safetensors":
            try:
                with safe_open(str(path), framework="pt") as f:
                    self.shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
                    dtypes = {k: f.get_slice(k).get_dtype() for k in f.keys()}
            except (SafetensorError, OSError, ValueError) as exc:
                raise Vis3dError(f"{path}: not a readable safetensors file ({exc})") from None
            for key, code in dtypes.items():
                _check_dtype(path, key, _ST_FLOAT.get(code) or _ST_NAMES.get(code, code),
                             code in _ST_FLOAT)
        elif path.suffix in (".pt", ".pth"):
            self._pt = _pt_state(path)
            self.shapes = {k: tuple(v.shape) for k, v in self._pt.items()}
        else:
            raise Vis3dError(f"{path}: unknown weights format (use .safetensors or .pt)")

    def tensors(self) -> dict:
        """Every tensor as float32, each checked to be finite."""
        if self._pt is not None:
            state = self._pt
        else:
            try:
                with safe_open(str(self.path), framework="pt") as f:
                    state = {k: f.get_tensor(k) for k in f.keys()}
            except (SafetensorError, OSError, ValueError) as exc:
                raise Vis3dError(f"{self.path}: not a readable safetensors file ({exc})") from None
        for key, tensor in state.items():
            _check_finite(self.path, key, tensor)
        return {k: v if _is_counter(k, str(v.dtype).replace("torch.", "")) else v.float()
                for k, v in state.items()}


# Optional model card fields and the JSON types they must have.
_CARD_FIELDS = {"arch": (str,), "labels": (list,), "architecture": (list,), "parameters": (int,),
                "input": (dict,), "training": (dict,), "test_accuracy": (int, float),
                "test_images": (int,), "torch": (str,), "trained": (str,), "spec": (str,),
                "history": (list,), "confusion": (list,)}
_JSON_NAMES = {str: "a string", list: "a list", int: "a whole number", dict: "an object",
               float: "a number"}


def _read_card(path: Path) -> dict:
    cp = card_path(path)
    if not cp.is_file():
        return {}
    if cp.stat().st_size > MAX_CARD_BYTES:
        raise Vis3dError(f"{cp}: model card is larger than {MAX_CARD_BYTES >> 20} MB")
    try:
        card = json.loads(cp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Vis3dError(f"{cp}: model card is not valid JSON ({exc})") from None
    if not isinstance(card, dict):
        raise Vis3dError(f"{cp}: model card must be a JSON object, not {type(card).__name__}")
    for field, types in _CARD_FIELDS.items():
        if field not in card:
            continue
        value = card[field]
        if isinstance(value, bool) or not isinstance(value, types):
            raise Vis3dError(f"{cp}: field '{field}' must be {_JSON_NAMES[types[-1]]}, "
                             f"not {json.dumps(value)[:40]}")
    if "arch" in card and card["arch"] not in nets.ARCHITECTURES:
        raise Vis3dError(f"{cp}: field 'arch' is '{card['arch'][:40]}', not a known architecture "
                         f"({', '.join(nets.ARCHITECTURES)})")
    if "spec" in card:
        try:
            spec_mod.parse(card["spec"])
        except spec_mod.SpecError as exc:
            raise Vis3dError(f"{cp}: field 'spec': {exc}") from None
    acc = card.get("test_accuracy")
    if acc is not None and not 0 <= acc <= 1:  # also false for NaN
        raise Vis3dError(f"{cp}: field 'test_accuracy' must be a fraction 0..1, not {acc}")
    return card


def _guess_arch(shapes: dict) -> str | None:
    for arch in nets.ARCHITECTURES:
        expect = nets.build(arch).state_dict()
        if set(expect) == set(shapes) and all(tuple(expect[k].shape) == shapes[k] for k in expect):
            return arch
    return None


def fit(model: nn.Module, found: "_Weights", path: Path, what: str) -> None:
    """Load the tensors of ``found`` into ``model``, refusing what does not fit by name."""
    expect = model.state_dict()
    name = _unwrapped(expect, found.shapes)
    # Older checkpoints lack BatchNorm's step counter: not used in eval, the model's own stays.
    optional = {k for k in expect if k.endswith("num_batches_tracked") and name[k] not in found.shapes}
    missing = [k for k in expect if name[k] not in found.shapes and k not in optional]
    used = set(name.values())
    extra = [k for k in found.shapes if k not in used]
    if missing or extra:
        how = f"missing {', '.join(missing[:5])}" if missing else f"unexpected {', '.join(extra[:5])}"
        more = len(missing or extra) - 5
        raise Vis3dError(f"{path}: weights do not fit {what}: {how}"
                         + (f" and {more} more" if more > 0 else ""))
    for key, tensor in expect.items():
        if key in optional:
            continue
        if found.shapes[name[key]] != tuple(tensor.shape):
            raise Vis3dError(
                f"{path}: weights do not fit {what}: {key} has shape {found.shapes[name[key]]}, "
                f"expected {tuple(tensor.shape)}")
    tensors = found.tensors()
    model.load_state_dict({k: expect[k] if k in optional else tensors[name[k]].to(expect[k].dtype)
                           for k in expect})


def load(spec: str | Path | None = None, arch: str | None = None, *, weights=None,
         input_shape=None) -> LoadedModel:
    """Load a bundled model by name ('mnist_cnn', 'lenet5'), a weights file by path, or the
    user's own model given as 'file.py:Name' (see vis3d.model.user)."""
    spec = str(spec or nets.DEFAULT_MODEL)
    from vis3d.model import user
    if user.is_user_spec(spec):
        return user.load(spec, weights=weights, input_shape=input_shape)
    if weights is not None:
        raise Vis3dError("--weights goes with a model given as file.py:Name; weights saved by "
                         "vis3d train are a model of their own: --model W.safetensors")
    path = Path(spec)
    if path.suffix not in (".safetensors", ".pt", ".pth") and not path.exists():
        bundled = models_dir() / f"{spec}.safetensors"
        if not bundled.is_file() and (user_models_dir() / f"{spec}.safetensors").is_file():
            bundled = user_models_dir() / f"{spec}.safetensors"
        if not bundled.is_file():
            raise Vis3dError(
                f"unknown model '{spec}' (bundled: {', '.join(bundled_models())}; or give a file path)")
        path = bundled
    found = _Weights(path)
    card = _read_card(path)
    if not arch and "spec" in card and card.get("arch") not in nets.ARCHITECTURES:
        model, arch = spec_mod.build(card["spec"]), "spec"
    else:
        arch = arch or card.get("arch") or _guess_arch(found.shapes)
        if arch not in nets.ARCHITECTURES:
            raise Vis3dError(f"{path}: cannot tell the architecture (known: "
                             f"{', '.join(nets.ARCHITECTURES)}, or a model card with a 'spec')")
        model = nets.build(arch)
    fit(model, found, path, arch if arch != "spec" else "the spec in its card")
    model.eval()
    if arch != "spec":
        card = {**card, "arch": arch}
    if input_shape is not None:
        card["input"] = {**card.get("input", {}), "shape": list(input_shape)}
    return LoadedModel(name=path.stem, model=model, card=card, path=path)
