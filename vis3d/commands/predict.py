"""``vis3d predict``: classify image files, directories and videos from the command line.

The same code as the window: :func:`vis3d.inputs.preprocess.prepare` then
``Probe(model).run(prepared.image)``. One result per image or frame on stdout:

  text    ``PATH: DIGIT (P%)``, ``PATH [frame N]: ...``, or ``PATH: no digit (REASON)``
  --json  ``{"path": str, "frame": int | null, "digit": int | null, "label": str | null,
          "probs": [K floats] | null}`` (``digit``: the class index; ``label``: its name from
          the model card, else the index). Models that do not take 28x28 digits get every
          picture resized to their input (vis3d.inputs.fit), colour in RGB order.
          ``digit`` and ``probs`` are both null when no digit was found (a blank pad, empty
          paper, a dark frame): there is no distribution to report, and no guess is made.

Unreadable inputs are reported by name on stderr; the rest are still processed and the exit
status is 1 if any input failed (2 for a bad model, as for every vis3d command).
"""

from __future__ import annotations

import json
import sys

from vis3d.errors import Vis3dError


class Classifier:
    """Preprocess + probe, as the window runs them each tick."""

    def __init__(self, model=None):
        """``model``: a model spec (str, None: the default) or a ``LoadedModel``."""
        import torch

        from vis3d.model import weights

        torch.set_num_threads(1)
        self.loaded = model if hasattr(model, "model") else weights.load(model)
        card = self.loaded.card or {}
        self.probe = self.loaded.make_probe()
        k = self.probe.classes
        labels = card.get("labels")
        self.digits = tuple(self.probe.image_shape) == (28, 28)
        self.labels = [str(v) for v in labels] if isinstance(labels, list) and len(labels) == k \
            else [str(i) for i in range(k)]

    def score(self, image) -> float:
        """The model's top probability for a 28x28 (the camera pipeline's judge of candidates)."""
        return self.probe.top_probability(image)

    def classify(self, image, source: str = "auto"):
        """-> (Prepared-like with .found/.reason/.image, Activations or None)."""
        from types import SimpleNamespace

        from vis3d.commands.common import model_input

        if self.digits:
            from vis3d.inputs.doubt import doubtful
            from vis3d.inputs.preprocess import prepare
            prep = prepare(image, source, score=self.score)
            x, reason = (prep.image if prep.found else None), (prep.reason or "")
            acts = self.probe.run(x) if x is not None else None
            why = doubtful(x, acts.probs) if acts is not None and prep.source == "camera" else ""
            if why:                     # the room's blotch the model cannot place: no digit
                x, reason, acts = None, why, None
            return SimpleNamespace(found=x is not None, reason=reason, image=x), acts
        x, reason = model_input(self.probe, image, source)
        prepared = SimpleNamespace(found=x is not None, reason=reason, image=x)
        acts = self.probe.run(x) if x is not None else None
        return prepared, acts


def _label(path: str, frame: int | None) -> str:
    return path if frame is None else f"{path} [frame {frame}]"


def main(args) -> int:
    """(``vis3d predict DIR | head``: the reader leaving is vis3d.cli.main's to handle.)"""
    from vis3d.inputs.files import iter_inputs  # first: configures OpenCV before cv2 loads

    import cv2

    cv2.setNumThreads(1)
    source = getattr(args, "source", "auto") or "auto"
    as_json = bool(getattr(args, "json", False))
    from vis3d.commands.common import load_model

    clf = Classifier(load_model(args))
    if getattr(args, "silence", None):
        from vis3d.scene import layout as layout_mod
        from vis3d.scene.insight_state import parse_silence, silence_layers
        lay = layout_mod.compute(clf.probe.graph)
        clf.probe.set_silenced(silence_layers(lay, parse_silence(lay, args.silence)))
    failed = 0
    out = sys.stdout
    for item in iter_inputs(args.paths):
        if item.error is not None:
            failed += 1
            print(f"vis3d: {item.error}", file=sys.stderr, flush=True)
            continue
        if source == "raw" and item.image.shape[:2] != (28, 28) and clf.digits:
            failed += 1
            h, w = item.image.shape[:2]
            print(f"vis3d: {_label(item.path, item.frame)}: --source raw needs a 28x28 image, "
                  f"not {w}x{h} (use --source pad, camera or auto)", file=sys.stderr, flush=True)
            continue
        try:
            prepared, acts = clf.classify(item.image, source)
        except Vis3dError as exc:  # pragma: no cover - preprocessing reports, it does not raise
            failed += 1
            print(f"vis3d: {_label(item.path, item.frame)}: {exc}", file=sys.stderr, flush=True)
            continue
        if as_json:
            record = {"path": item.path, "frame": item.frame,
                      "digit": None if acts is None else acts.prediction,
                      "label": None if acts is None else clf.labels[acts.prediction],
                      "probs": None if acts is None else [float(p) for p in acts.probs]}
            out.write(json.dumps(record) + "\n")
        elif acts is None:
            out.write(f"{_label(item.path, item.frame)}: no digit ({prepared.reason})\n")
        else:
            p = float(acts.probs[acts.prediction])
            out.write(f"{_label(item.path, item.frame)}: {clf.labels[acts.prediction]} "
                      f"({100 * p:.1f}%)\n")
        out.flush()
    if failed:
        print(f"vis3d: {failed} input(s) could not be read", file=sys.stderr)
        return 1
    return 0
