import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "assets" / "samples"

# Under CI nothing may be skipped for want of data or a display: a missing piece fails the run.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _has_idx(folder: Path) -> bool:
    return any((folder / f"t10k-images-idx3-ubyte{ext}").exists() for ext in ("", ".gz"))


def _mnist_dir() -> tuple[Path | None, str]:
    """The MNIST folder, or None and why not (naming every place looked at)."""
    env = os.environ.get("VIS3D_MNIST")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "data" / "mnist")
    for candidate in candidates:
        if _has_idx(candidate):
            return candidate, ""
    looked = ", ".join(str(c) for c in candidates)
    return None, (f"no MNIST data directory (looked in {looked}; set VIS3D_MNIST to a folder "
                  "with the four IDX files)")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    found, why = _mnist_dir()
    if found is None:   # never a skip: a test that needs MNIST and has none fails, saying why
        pytest.fail(f"{'CI: ' if IN_CI else ''}{why}", pytrace=False)
    return found


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    from vis3d.model import data
    return data.load_split(mnist_dir, "test")


@pytest.fixture(scope="session")
def classifier():
    """The bundled mnist_cnn as `vis3d predict` runs it (preprocess + probe), one for the run."""
    from vis3d.commands.predict import Classifier
    return Classifier("mnist_cnn")


@pytest.fixture(scope="session")
def sample_digit():
    """sample_digit(d): the bundled assets/samples/pad_<d>.png as a (28, 28) float32 input, 0..1."""
    from vis3d.inputs.files import read_image
    from vis3d.inputs.preprocess import prepare_pad

    def load(d: int):
        path = SAMPLES / f"pad_{d}.png"
        assert path.exists(), f"bundled sample {path} is missing"
        prepared = prepare_pad(read_image(path))
        assert prepared.found, f"{path}: {prepared.reason}"
        return prepared.image
    return load


@pytest.fixture(scope="session")
def x_display() -> str:
    """The X display scripts/test.sh starts with xvfb-run; without one the test fails, never skips."""
    display = os.environ.get("DISPLAY")
    if not display:
        pytest.fail("no X display: run the tests with scripts/test.sh (it starts xvfb-run)", pytrace=False)
    return display


@pytest.fixture(scope="module")
def canvas():
    """A 400x300 offscreen GL canvas for the visual tests (one per test module).

    No OpenGL context is a failure everywhere: these tests exist to check what the GPU draws.
    """
    from vis3d.errors import Vis3dError
    from vis3d.gl.context import make_canvas
    try:
        c = make_canvas((400, 300))
    except Vis3dError as exc:
        pytest.fail(f"no OpenGL context for the GL tests: {exc}", pytrace=False)
    c.bgcolor = "black"
    yield c
    c.close()
