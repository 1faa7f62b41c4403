"""Where the bundled shaders, models and assets live.

Installed, they are sub-folders of the package (setup.cfg maps the top-level
folders there); in a source checkout they sit beside the package.
"""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    for candidate in (_PKG / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"vis3d resource folder '{name}' is missing from {_PKG}")


def shaders_dir() -> Path:
    return _resource_dir("shaders")


def models_dir() -> Path:
    return _resource_dir("models")


def assets_dir() -> Path:
    return _resource_dir("assets")


def default_mnist_dir() -> Path:
    """``$VIS3D_MNIST`` if set, else the user cache (``~/.cache/vis3d/mnist``)."""
    env = os.environ.get("VIS3D_MNIST")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "vis3d" / "mnist"


def user_models_dir() -> Path:
    """Where the window's builder saves models: ``$VIS3D_MODELS``, else
    ``~/.local/share/vis3d/models``."""
    env = os.environ.get("VIS3D_MODELS")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "vis3d" / "models"
