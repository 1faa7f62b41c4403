"""Every decision of the camera pipeline on many frames, to check that a speed-up changes none.

    .venv/bin/python scripts/camera_decisions.py OUT.jsonl          # this tree's vis3d
    PYTHONPATH=/tmp/base .venv/bin/python scripts/camera_decisions.py BASE.jsonl
    .venv/bin/python scripts/camera_decisions.py --diff BASE.jsonl OUT.jsonl

Frames: the eval's cached frames (scripts/webcam_eval.py: main seeds 5555/7777/9100, alt seeds
1/2/3, every kind; run the eval once to make them) and the committed camera fixtures. Each goes
through prepare_camera twice: alone (as ``vis3d bench`` times it) and with the mnist_cnn judge
(as the window and the eval run it). Recorded: found, reason, box, sheet corners, a hash of the
28x28 image, and the judged run's path and ink mask. A base tree: ``git archive COMMIT vis3d |
tar -x -C /tmp/base`` and links to models/, assets/ beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path("/tmp/webcam_eval_cache")
KINDS = ("notebook", "held", "dim", "sticky", "empty")


def frames():
    for alt, seeds in (("", (5555, 7777, 9100)), ("alt_", (1, 2, 3))):
        for s in seeds:
            for i, kind in enumerate(KINDS):
                yield from sorted((CACHE / f"{alt}{kind}_{s + 10 * i}_60").glob("*.jpg"))
    for d in sorted((ROOT / "tests" / "fixtures").iterdir()):
        if d.is_dir() and (d.name.startswith("webcam") or d.name in ("camera", "sheet")):
            yield from sorted(p for p in d.rglob("*") if p.suffix in (".jpg", ".png"))


def _hash(a) -> str | None:
    return None if a is None else hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def _record(p) -> dict:
    return {"found": p.found, "reason": p.reason,
            "bbox": None if p.bbox is None else [int(v) for v in p.bbox],
            "sheet": _hash(p.sheet), "image": _hash(p.image)}


def record(out: Path) -> int:
    import vis3d
    from vis3d.commands.predict import Classifier
    from vis3d.inputs.preprocess import prepare_camera
    cv2.setNumThreads(1)
    clf = Classifier("mnist_cnn")
    n = 0
    with open(out, "w") as f:
        f.write(json.dumps({"vis3d": vis3d.__file__}) + "\n")
        for path in frames():
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is None:
                continue
            stages: dict = {}
            judged = _record(prepare_camera(frame, stages, score=clf.score))
            judged.update(path=stages.get("path"), mask=_hash(stages.get("mask")))
            f.write(json.dumps({"frame": str(path.relative_to(path.parents[2])),
                                "alone": _record(prepare_camera(frame)),
                                "judged": judged}) + "\n")
            n += 1
    print(f"{n} frames through {vis3d.__file__} -> {out}")
    return 0


def diff(a: Path, b: Path) -> int:
    ra = [json.loads(line) for line in open(a)][1:]
    rb = [json.loads(line) for line in open(b)][1:]
    if [r["frame"] for r in ra] != [r["frame"] for r in rb]:
        print("not the same frames")
        return 1
    changed = 0
    for x, y in zip(ra, rb):
        for run in ("alone", "judged"):
            if x[run] != y[run]:
                changed += 1
                keys = [k for k in x[run] if x[run][k] != y[run].get(k)]
                print(x["frame"], run, {k: (x[run][k], y[run].get(k)) for k in keys})
    print(f"{len(ra)} frames, {changed} runs differ")
    return 1 if changed else 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", help="where to write the decisions (JSON lines)")
    ap.add_argument("--diff", nargs=2, metavar=("A", "B"), help="compare two such files")
    args = ap.parse_args()
    if args.diff:
        return diff(Path(args.diff[0]), Path(args.diff[1]))
    if not args.out:
        ap.error("give OUT or --diff A B")
    return record(Path(args.out))


if __name__ == "__main__":
    raise SystemExit(main())
