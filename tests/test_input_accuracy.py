"""Accuracy of preprocessing + model on the issue's input kinds (mnist_cnn).

  MNIST t10k as PNG files through `vis3d predict --source pad`   within 0.3 points of raw
  pad drawings (pen 8-25 px, 35-90% of the pad, anywhere, rotated)  >= 97%
  photos of ink on paper filling a 640x480 frame (JPEG)              >= 95%
  a tilted sheet covering about half the frame in a darker room     >= 85%

The committed fixture sets (tests/fixtures/{pad,camera,sheet}, file names ``NNN_<label>``)
go through the real CLI; fresh sets from other seeds go through the same code in-process,
so the figures do not rest on one sample. Run with ``-s`` to see the measured numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import synth

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TARGETS = {"pad": 0.97, "camera": 0.95, "sheet": 0.85}


def _cli(*argv: str, timeout: float = 300) -> list[dict]:
    exe = Path(sys.executable).with_name("vis3d")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "vis3d"]
    res = subprocess.run([*cmd, "predict", "--json", *argv], capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, res.stderr[-2000:]
    return [json.loads(line) for line in res.stdout.splitlines()]


@pytest.fixture(scope="module")
def classifier():
    from vis3d.commands.predict import Classifier
    return Classifier("mnist_cnn")


def test_fixture_sets_through_the_cli():
    dirs = [FIXTURES / kind for kind in TARGETS]
    for d in dirs:
        assert len(list(d.iterdir())) >= 50, f"fixture set {d} is missing"
    recs = _cli(*map(str, dirs))      # --source auto: it must pick the right pipeline too
    by_kind: dict[str, list[bool]] = {k: [] for k in TARGETS}
    for r in recs:
        path = Path(r["path"])
        label = int(path.stem.split("_")[1])
        by_kind[path.parent.name].append(r["digit"] == label)
    for kind, hits in by_kind.items():
        acc = float(np.mean(hits))
        print(f"fixtures/{kind}: {acc:.2%} of {len(hits)}")
        assert len(hits) == len(list((FIXTURES / kind).iterdir()))
        assert acc >= TARGETS[kind], f"{kind}: {acc:.2%} < {TARGETS[kind]:.0%}"


def test_mnist_t10k_pngs_through_the_cli(tmp_path, mnist_test, classifier):
    """All 10000 test digits written as PNG files, then one `vis3d predict` run."""
    images, labels = mnist_test.images, mnist_test.labels
    probe = classifier.probe
    raw = np.mean([probe.run(im.astype(np.float32) / 255).prediction == y
                   for im, y in zip(images, labels)])
    folder = tmp_path / "t10k"
    folder.mkdir()
    for i, im in enumerate(images):
        cv2.imwrite(str(folder / f"{i:05d}.png"), im)
    recs = _cli("--source", "pad", str(folder))
    assert len(recs) == len(images)
    got = np.array([-1 if r["digit"] is None else r["digit"] for r in recs])
    acc = float(np.mean(got == labels))
    print(f"t10k raw {raw:.2%}, as PNGs through vis3d predict --source pad {acc:.2%}")
    assert acc >= raw - 0.003


def _accuracy(classifier, make, labels, source) -> tuple[float, int]:
    hits, none = 0, 0
    for i, y in enumerate(labels):
        prepared, acts = classifier.classify(make(i), source)
        none += acts is None
        hits += acts is not None and acts.prediction == y
    return hits / len(labels), none


def test_fresh_pad_drawings(mnist_test, classifier):
    idx = synth.pick(mnist_test.labels, 400, seed=1001)
    rng = np.random.default_rng(1002)
    acc, none = _accuracy(classifier,
                          lambda i: synth.pad_drawing(mnist_test.images[idx[i]], rng, invert=i % 4 == 0),
                          mnist_test.labels[idx], "pad")
    print(f"fresh pad drawings: {acc:.2%} of {len(idx)} ({none} no digit)")
    assert acc >= TARGETS["pad"]


@pytest.mark.parametrize("kind", ["camera", "sheet"])
def test_fresh_camera_photos(mnist_test, classifier, kind):
    idx = synth.pick(mnist_test.labels, 150, seed=2001 if kind == "camera" else 3001)
    rng = np.random.default_rng(4001 if kind == "camera" else 5001)
    acc, none = _accuracy(classifier,
                          lambda i: synth.camera_photo(mnist_test.images[idx[i]], rng,
                                                       sheet=kind == "sheet")[0],
                          mnist_test.labels[idx], "camera")
    print(f"fresh {kind} photos: {acc:.2%} of {len(idx)} ({none} no digit)")
    assert acc >= TARGETS[kind]
