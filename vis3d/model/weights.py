"""Loading and saving weights safely: safetensors with a JSON model card beside them,
or a .pt state dict read with ``torch.load(weights_only=True)``. Never plain pickle."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from vis3d.model import nets
from vis3d.errors import Vis3dError
from vis3d.paths import models_dir


@dataclass
class LoadedModel:
    name: str
    model: nn.Sequential
    card: dict
    path: Path | None


def card_path(weights: Path) -> Path:
    return weights.with_suffix(".json")


def bundled_models() -> list[str]:
    return sorted(p.stem for p in models_dir().glob("*.safetensors"))


def save(model: nn.Module, path: str | Path, card: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(tensors, str(path), metadata={"arch": str(card.get("arch", ""))})
    card_path(path).write_text(json.dumps(card, indent=2) + "\n")


def _read_state(path: Path) -> dict:
    if not path.is_file():
        raise Vis3dError(f"{path}: weights file not found")
    if path.suffix == ".safetensors":
        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise Vis3dError(f"{path}: not a readable safetensors file ({exc})") from None
    if path.suffix in (".pt", ".pth"):
        if path.stat().st_size == 0:
            raise Vis3dError(f"{path}: empty file, not PyTorch weights")
        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            # torch's own text advises weights_only=False, the unsafe way: not repeated here.
            raise Vis3dError(
                f"{path}: refused: not a plain tensor state dict (a pickle with other Python "
                f"objects could run code when loaded, so it is not opened)") from None
        except Exception as exc:  # noqa: BLE001 - any other decoder failure: a broken file
            what = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            raise Vis3dError(f"{path}: not a readable PyTorch file (truncated or not weights: "
                             f"{what})") from None
        if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise Vis3dError(f"{path}: expected a state dict of tensors")
        return state
    raise Vis3dError(f"{path}: unknown weights format (use .safetensors or .pt)")


def _read_card(path: Path) -> dict:
    cp = card_path(path)
    if not cp.is_file():
        return {}
    try:
        card = json.loads(cp.read_text())
    except (OSError, ValueError) as exc:
        raise Vis3dError(f"{cp}: model card is not valid JSON ({exc})") from None
    return card if isinstance(card, dict) else {}


def _guess_arch(state: dict) -> str | None:
    for arch in nets.ARCHITECTURES:
        expect = nets.build(arch).state_dict()
        if set(expect) == set(state) and all(expect[k].shape == state[k].shape for k in expect):
            return arch
    return None


def load(spec: str | Path | None = None, arch: str | None = None) -> LoadedModel:
    """Load a bundled model by name ('mnist_cnn', 'lenet5') or a weights file by path."""
    spec = str(spec or nets.DEFAULT_MODEL)
    path = Path(spec)
    if path.suffix not in (".safetensors", ".pt", ".pth") and not path.exists():
        bundled = models_dir() / f"{spec}.safetensors"
        if not bundled.is_file():
            raise Vis3dError(
                f"unknown model '{spec}' (bundled: {', '.join(bundled_models())}; or give a file path)")
        path = bundled
    state = _read_state(path)
    card = _read_card(path)
    arch = arch or card.get("arch") or _guess_arch(state)
    if arch not in nets.ARCHITECTURES:
        raise Vis3dError(f"{path}: cannot tell the architecture (known: {', '.join(nets.ARCHITECTURES)})")
    model = nets.build(arch)
    expect = model.state_dict()
    missing = [k for k in expect if k not in state]
    extra = [k for k in state if k not in expect]
    if missing or extra:
        what = f"missing {', '.join(missing)}" if missing else f"unexpected {', '.join(extra)}"
        raise Vis3dError(f"{path}: weights do not fit {arch}: {what}")
    for key, tensor in expect.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise Vis3dError(
                f"{path}: weights do not fit {arch}: {key} has shape {tuple(state[key].shape)}, "
                f"expected {tuple(tensor.shape)}")
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    card = {"arch": arch, **card}
    return LoadedModel(name=path.stem, model=model, card=card, path=path)
