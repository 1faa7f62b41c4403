"""Accuracy of preprocessing + model on the issue's input kinds (mnist_cnn).

The issue's targets are floors for the product; the assertions below sit ~1.5 points under
what this code measures today, so a regression shows up long before a target is missed.

  input                                                            issue target   measured
  MNIST t10k as PNG files through `vis3d predict --source pad`    raw - 0.3 pt   = raw (99.21%)
  pad drawings (pen 8-25 px, 35-90% of the pad, anywhere, rotated)  >= 97%       98.5 - 99.0%
  photos of ink on paper filling a 640x480 frame (JPEG)              >= 95%       98.0 - 98.3%
  a tilted sheet covering about half the frame in a darker room     >= 85%       96.7%

The committed fixture sets (tests/fixtures/{pad,camera,sheet}, file names ``NNN_<label>``)
go through the real CLI; fresh sets from other seeds go through the same code in-process,
so the figures do not rest on one sample. Run with ``-s`` to see the measured numbers.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import synth
from clihelp import predict_json

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TARGETS = {"pad": 0.97, "camera": 0.95, "sheet": 0.85}   # the issue's
FIXTURE_COUNTS = {"pad": 200, "camera": 60, "sheet": 60}

# Measured with `bash scripts/test.sh -q -s tests/test_input_accuracy.py` (mnist_cnn, commit 847d9e6):
#   fixtures/pad 99.00% of 200, fixtures/camera 98.33% of 60, fixtures/sheet 96.67% of 60,
#   t10k raw 99.21%, as PNGs through the CLI 99.21%,
#   fresh pad 98.50% of 400, fresh camera 98.00% of 150, fresh sheet 96.67% of 150 (0 "no digit").
# Floors are 1.5 points under, rounded to whole images; on the 60-image sets one image is
# 1.7 points, so there exactly one more miss is allowed.
FLOORS = {
    "fixtures/pad": 0.9749,     # 198/200 measured; 195/200 passes
    "fixtures/camera": 0.966,   # 59/60 measured; 58/60 passes
    "fixtures/sheet": 0.949,    # 58/60 measured; 57/60 passes
    "fresh/pad": 0.97,          # 394/400 measured; 388/400 passes (= the issue target)
    "fresh/camera": 0.965,      # 147/150 measured; 145/150 passes
    "fresh/sheet": 0.9515,      # 145/150 measured; 143/150 passes
}
T10K_RAW_FLOOR = 0.977          # 99.21% measured
T10K_PNG_LOSS = 0.002           # PNG + pad pipeline vs raw: 0.00 points measured
assert all(FLOORS[f"{s}/{k}"] >= TARGETS[k] for s in ("fixtures", "fresh") for k in TARGETS)




def test_fixture_sets_through_the_cli():
    dirs = [FIXTURES / kind for kind in TARGETS]
    for d in dirs:
        n = len(list(d.iterdir())) if d.is_dir() else 0
        assert n == FIXTURE_COUNTS[d.name], f"fixture set {d}: {n} files, expected {FIXTURE_COUNTS[d.name]}"
    recs = predict_json(*map(str, dirs))      # --source auto: it must pick the right pipeline too
    by_kind: dict[str, list[bool]] = {k: [] for k in TARGETS}
    for r in recs:
        path = Path(r["path"])
        label = int(path.stem.split("_")[1])
        by_kind[path.parent.name].append(r["digit"] == label)
    for kind, hits in by_kind.items():
        acc = float(np.mean(hits))
        print(f"fixtures/{kind}: {acc:.2%} of {len(hits)}")
        assert len(hits) == len(list((FIXTURES / kind).iterdir()))
        floor = FLOORS[f"fixtures/{kind}"]
        assert acc >= floor, f"fixtures/{kind}: {acc:.2%} < {floor:.2%}"


def test_mnist_t10k_pngs_through_thepredict_json(tmp_path, mnist_test, classifier):
    """All 10000 test digits written as PNG files, then one `vis3d predict` run."""
    images, labels = mnist_test.images, mnist_test.labels
    probe = classifier.probe
    raw = np.mean([probe.run(im.astype(np.float32) / 255).prediction == y
                   for im, y in zip(images, labels)])
    folder = tmp_path / "t10k"
    folder.mkdir()
    for i, im in enumerate(images):
        cv2.imwrite(str(folder / f"{i:05d}.png"), im)
    recs = predict_json("--source", "pad", str(folder))
    assert len(recs) == len(images)
    got = np.array([-1 if r["digit"] is None else r["digit"] for r in recs])
    acc = float(np.mean(got == labels))
    print(f"t10k raw {raw:.2%}, as PNGs through vis3d predict --source pad {acc:.2%}")
    assert raw >= T10K_RAW_FLOOR, f"t10k raw {raw:.2%} < {T10K_RAW_FLOOR:.2%}"
    assert acc >= raw - T10K_PNG_LOSS, f"as PNGs {acc:.2%} vs raw {raw:.2%}"


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
    assert acc >= FLOORS["fresh/pad"], f"fresh pad: {acc:.2%} < {FLOORS['fresh/pad']:.2%}"


@pytest.mark.parametrize("kind", ["camera", "sheet"])
def test_fresh_camera_photos(mnist_test, classifier, kind):
    idx = synth.pick(mnist_test.labels, 150, seed=2001 if kind == "camera" else 3001)
    rng = np.random.default_rng(4001 if kind == "camera" else 5001)
    acc, none = _accuracy(classifier,
                          lambda i: synth.camera_photo(mnist_test.images[idx[i]], rng,
                                                       sheet=kind == "sheet")[0],
                          mnist_test.labels[idx], "camera")
    print(f"fresh {kind} photos: {acc:.2%} of {len(idx)} ({none} no digit)")
    floor = FLOORS[f"fresh/{kind}"]
    assert acc >= floor, f"fresh {kind}: {acc:.2%} < {floor:.2%}"
