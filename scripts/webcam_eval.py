"""Accuracy of the camera pipeline on fresh webcam frames (tests/synth_webcam.py), per kind and
per resolution, with the failures written as PNGs (frame, ink mask, 28x28) to look at.

    .venv/bin/python scripts/webcam_eval.py --seed 22 --n 60 [--kinds held,sticky] [--dump DIR]
    .venv/bin/python scripts/webcam_eval.py --fixtures        # the committed sets
    .venv/bin/python scripts/webcam_eval.py --renderer alt --seed 1 --n 60   # the 2nd renderer

Each kind's frames come from their own seed (``seed + 10 * kind index``, as the tests do).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

import synth_webcam as sw  # noqa: E402
import synth_webcam_alt as sw_alt  # noqa: E402


def _panel(frame, stages, image, text):
    """One failure: the frame (with the sheet/box), the ink mask, the 28x28, a caption."""
    h = 240
    f = cv2.resize(frame, (int(frame.shape[1] * h / frame.shape[0]), h), interpolation=cv2.INTER_AREA)
    parts = [f]
    mask = stages.get("mask")
    if mask is not None:
        m = cv2.resize(mask, (int(mask.shape[1] * h / mask.shape[0]), h), interpolation=cv2.INTER_NEAREST)
        parts.append(cv2.cvtColor(m, cv2.COLOR_GRAY2BGR))
    d = np.zeros((h, h, 3), np.uint8)
    if image is not None:
        d[:] = cv2.cvtColor(cv2.resize(np.uint8(image * 255), (h, h), interpolation=cv2.INTER_NEAREST),
                            cv2.COLOR_GRAY2BGR)
    parts.append(d)
    out = np.concatenate(parts, 1)
    cv2.rectangle(out, (0, 0), (out.shape[1], 18), (0, 0, 0), -1)
    cv2.putText(out, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA)
    return out


CACHE = Path("/tmp/webcam_eval_cache")


def _cached(split, kind, n, seed, renderer="main"):
    """The generator's frames, kept as their JPEG bytes (decoding them gives the same frame)."""
    gen = sw_alt if renderer == "alt" else sw
    folder = CACHE / f"{'alt_' if renderer == 'alt' else ''}{kind}_{seed}_{n}"
    if not folder.is_dir():
        tmp = folder.with_suffix(".part")
        tmp.mkdir(parents=True, exist_ok=True)
        for name, _, _, jpeg in gen.frames(split.images, split.labels, kind, n, seed):
            (tmp / f"{name}.jpg").write_bytes(jpeg)
        tmp.rename(folder)
    for f in sorted(folder.glob("*.jpg")):
        label = f.stem.split("_")[1]
        yield f.stem, None if label == "none" else int(label), cv2.imread(str(f)), None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--n", type=int, default=60, help="frames per kind (cycling sizes)")
    ap.add_argument("--kinds", default=",".join(sw.KINDS))
    ap.add_argument("--dump", default="")
    ap.add_argument("--fixtures", action="store_true")
    ap.add_argument("--renderer", choices=("main", "alt"), default="main",
                    help="fresh frames from tests/synth_webcam.py (main) or the second, "
                         "independent renderer tests/synth_webcam_alt.py (alt)")
    ap.add_argument("--model", default="mnist_cnn")
    ap.add_argument("--no-score", action="store_true",
                    help="no model scoring of rival candidate regions (the pipeline alone)")
    args = ap.parse_args()
    from vis3d.commands.predict import Classifier
    try:
        from vis3d.inputs.doubt import doubtful
    except ImportError:          # an older tree (to measure "before")
        def doubtful(image, probs):
            return ""
    from vis3d.inputs.preprocess import prepare_camera
    from vis3d.model import data
    from vis3d.paths import default_mnist_dir
    clf = Classifier(args.model)
    split = data.load_split(default_mnist_dir(), "test")
    score = None if args.no_score else getattr(clf, "score", None)
    dump = Path(args.dump) if args.dump else None
    if dump:
        dump.mkdir(parents=True, exist_ok=True)
    totals = {}
    t_all = time.perf_counter()
    for kind in args.kinds.split(","):
        if args.fixtures:
            files = sorted((ROOT / "tests/fixtures/webcam" / kind).glob("*.jpg"))
            items = ((f.stem, None if f.stem.split("_")[1] == "none" else int(f.stem.split("_")[1]),
                      cv2.imread(str(f)), None) for f in files)
        else:
            items = _cached(split, kind, args.n, args.seed + 10 * sw.KINDS.index(kind), args.renderer)
        per_size: dict[int, list[bool]] = {}
        reasons: dict[str, int] = {}
        paths: dict[str, int] = {}
        times: list[float] = []
        for name, label, frame, _ in items:
            stages: dict = {}
            t0 = time.perf_counter()
            prep = prepare_camera(frame, stages, score=score) if score else prepare_camera(frame, stages)
            times.append(time.perf_counter() - t0)
            got, p = None, 0.0
            if prep.found:
                acts = clf.probe.run(prep.image)
                got, p = acts.prediction, float(acts.probs.max())
                why = doubtful(prep.image, acts.probs)
                if why:
                    got, prep.reason = None, why
            ok = got == label
            if not ok:
                why = prep.reason or f"wrong ({got} p={p:.2f})" if got is not None else prep.reason
                why = why if got is None else ("wrong, confident" if p > 0.9 else "wrong")
                reasons[why] = reasons.get(why, 0) + 1
                path = str(stages.get("path"))
                paths[path] = paths.get(path, 0) + 1
            per_size.setdefault(frame.shape[0], []).append(ok)
            if not ok and dump:
                text = f"{kind} {name} truth={label} got={got} p={p:.2f} {prep.reason} [{stages.get('path')}]"
                cv2.imwrite(str(dump / f"{kind}_{name}.png"), _panel(frame, stages, prep.image, text))
        hits = [h for v in per_size.values() for h in v]
        totals[kind] = float(np.mean(hits))
        sizes = " ".join(f"{k}p {np.mean(v):.0%}" for k, v in sorted(per_size.items()))
        print(f"{kind:9s} {np.mean(hits):6.1%} of {len(hits):3d}   ({sizes})  "
              f"median {1000 * np.median(times):.1f} ms", flush=True)
        print("          failures:", dict(sorted(reasons.items(), key=lambda kv: -kv[1])))
        print("          by path:", dict(sorted(paths.items(), key=lambda kv: -kv[1])))
    print(f"time {time.perf_counter() - t_all:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
