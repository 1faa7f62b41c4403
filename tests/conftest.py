import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mnist_dir() -> Path | None:
    for candidate in (os.environ.get("VIS3D_MNIST"), ROOT.parent / "shared" / "data" / "mnist"):
        if candidate and (Path(candidate) / "t10k-images-idx3-ubyte.gz").exists() or (
                candidate and (Path(candidate) / "t10k-images-idx3-ubyte").exists()):
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    found = _mnist_dir()
    if found is None:
        pytest.skip("no MNIST data directory (set VIS3D_MNIST to a folder with the four IDX files)")
    return found


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    from vis3d.model import data
    return data.load_split(mnist_dir, "test")


@pytest.fixture(scope="module")
def canvas():
    """A 400x300 offscreen GL canvas for the visual tests (one per test module)."""
    from vis3d.errors import Vis3dError
    from vis3d.gl.context import make_canvas
    try:
        c = make_canvas((400, 300))
    except Vis3dError as exc:
        pytest.skip(f"no OpenGL context here: {exc}")
    c.bgcolor = "black"
    yield c
    c.close()
