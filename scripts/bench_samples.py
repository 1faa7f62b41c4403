"""(Re)write the webcam frames `vis3d bench` times the camera pipeline on (assets/samples):
two 640x480 frames of each kind tests/synth_webcam.py renders (a digit on a notebook page,
a held slip, a dim room, a sticky note, nothing held up) as ``webcam_<kind>_<i>.jpg``, and
one 1920x1080 frame of each kind as ``webcam_1080_<kind>.jpg`` (JPEG quality 75 and 40, as the test fixtures, to
keep the package small). The seed is fixed: the frames are not picked for their speed.

    VIS3D_MNIST=/work/shared/data/mnist .venv/bin/python scripts/bench_samples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import numpy as np  # noqa: E402
import synth_webcam as sw  # noqa: E402

SEED = 9090


def main() -> int:
    from vis3d.model import data
    from vis3d.paths import default_mnist_dir
    split = data.load_split(default_mnist_dir(), "test")
    out = ROOT / "assets" / "samples"
    idx = sw.pick(split.labels, 10, SEED)          # one test digit of each class: 0..9
    for k, kind in enumerate(sw.KINDS):
        for old in out.glob(f"webcam_*{kind}*.jpg"):
            old.unlink()
        rng = np.random.default_rng(SEED + 10 * k)
        for i in range(2):                         # the digits 2k and 2k+1 (none: empty)
            digit = None if kind == "empty" else split.images[idx[2 * k + i]]
            _, jpeg = sw.webcam_frame(digit, rng, kind, sw.SIZES[0], max_quality=75)
            (out / f"webcam_{kind}_{i}.jpg").write_bytes(jpeg)
        digit = None if kind == "empty" else split.images[idx[(2 * k + 5) % 10]]
        _, jpeg = sw.webcam_frame(digit, rng, kind, sw.SIZES[2], max_quality=40)
        (out / f"webcam_1080_{kind}.jpg").write_bytes(jpeg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
