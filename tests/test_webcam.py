"""Real webcams: notebook pages, ballpoint pens, sheets held in the hand in a cluttered room,
dim rooms, sticky notes, HD frames, and nothing held up (tests/synth_webcam.py).

* accuracy of the camera pipeline + mnist_cnn on the committed sets (tests/fixtures/webcam/
  <kind>/NNN_<label|none>_<height>.jpg, through the real CLI) and on fresh sets from other
  seeds (in-process); "nothing held up" counts as right only as "no digit";
* (MJPG clips of each kind through the webcam's code path, the window and `vis3d predict`,
  and the camera page's controls: tests/test_webcam_clips.py.)
Run with ``-s`` to see the measured figures.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import synth_webcam as sw
from clihelp import predict_json

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webcam"

# Measured with `bash scripts/test.sh -q -s tests/test_webcam.py` (mnist_cnn); floors sit one
# frame under each measured figure. See the README for the figures.
# Measured: fixtures (60 a kind) notebook 98.33%, held 96.67%, dim 95.0%, sticky 98.33%,
# empty 100% "no digit"; fresh (60 a kind, seed 31337+, never looked at while tuning)
# notebook 95.0%, held 96.67%, dim 96.67%, sticky 98.33%, empty 100% "no digit".
FLOORS = {
    "fixtures/notebook": 0.966, "fixtures/held": 0.95, "fixtures/dim": 0.933,
    "fixtures/sticky": 0.966, "fixtures/empty": 0.966,
    "fresh/notebook": 0.933, "fresh/held": 0.95, "fresh/dim": 0.966,
    "fresh/sticky": 0.966, "fresh/empty": 0.966,
}
FRESH_N = 60            # per kind, 20 at each resolution
FRESH_SEED = 31337      # never looked at while tuning (tuning: seeds 11-100, 5555, 7777, 9100)




def _truth(path: Path) -> int | None:
    label = path.stem.split("_")[1]
    return None if label == "none" else int(label)


# --- accuracy -------------------------------------------------------------------------------

def test_fixture_sets_through_the_cli():
    dirs = [FIXTURES / k for k in sw.KINDS]
    for d in dirs:
        files = sorted(d.glob("*.jpg"))
        assert len(files) == sw.FIXTURE_COUNT, f"{d}: {len(files)} files"
        heights = {int(f.stem.split("_")[2]) for f in files}
        assert heights == {480, 720, 1080}, f"{d}: sizes {heights}"
    recs = predict_json(*map(str, dirs))          # --source auto: it must pick the camera pipeline
    by_kind: dict[str, list[bool]] = {k: [] for k in sw.KINDS}
    for r in recs:
        path = Path(r["path"])
        by_kind[path.parent.name].append(r["digit"] == _truth(path))
    for kind, hits in by_kind.items():
        acc = float(np.mean(hits))
        print(f"fixtures/webcam/{kind}: {acc:.2%} of {len(hits)}")
        assert len(hits) == sw.FIXTURE_COUNT
        assert acc >= FLOORS[f"fixtures/{kind}"], f"fixtures/{kind}: {acc:.2%}"


@pytest.mark.parametrize("kind", sw.KINDS)
def test_fresh_frames(mnist_test, classifier, kind):
    hits, none, confident_guesses = 0, 0, 0
    for k, (name, label, frame, _) in enumerate(sw.frames(
            mnist_test.images, mnist_test.labels, kind, FRESH_N,
            FRESH_SEED + 10 * sw.KINDS.index(kind))):
        prepared, acts = classifier.classify(frame, "camera")
        got = None if acts is None else acts.prediction
        none += got is None
        hits += got == label
        if label is None and got is None:
            assert prepared.reason, name                  # "no digit" always says why
        if label is None and acts is not None and float(acts.probs.max()) > 0.9:
            confident_guesses += 1
    acc = hits / FRESH_N
    print(f"fresh webcam {kind}: {acc:.2%} of {FRESH_N} ({none} no digit, "
          f"{confident_guesses} confident guesses on nothing)")
    assert acc >= FLOORS[f"fresh/{kind}"], f"fresh {kind}: {acc:.2%}"


def _note_scene(mnist_test, window: bool) -> tuple[np.ndarray, int, np.ndarray]:
    """A yellow sticky note no brighter than the wall around it, a digit on it in marker,
    and (``window``) a blown-out window larger than the note: (frame, label, note corners)."""
    from synth import skeleton_segments
    frame = np.full((480, 640, 3), (70, 150, 165), np.uint8)          # a warm wall
    cv2.rectangle(frame, (30, 300), (150, 450), (40, 60, 120), -1)      # a cupboard
    if window:
        cv2.rectangle(frame, (420, 20), (630, 300), (255, 255, 255), -1)
        cv2.rectangle(frame, (518, 20), (532, 300), (90, 90, 90), -1)  # its bar
    corners = np.float32([[200, 110], [390, 130], [372, 320], [182, 300]])
    cv2.fillConvexPoly(frame, corners.astype(np.int32), (60, 175, 185))   # the note, as bright
    label = int(mnist_test.labels[7])
    segs = (skeleton_segments(mnist_test.images[7]) - 56) * 1.3 + (286, 215)
    for a, b in np.round(segs * 16).astype(np.int32):
        cv2.line(frame, tuple(a), tuple(b), (25, 25, 30), 7, cv2.LINE_AA, 4)
    noise = np.random.default_rng(1).normal(0, 3, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8), label, corners


@pytest.mark.parametrize("window", [False, True])
def test_a_note_no_brighter_than_the_room_is_read(mnist_test, classifier, window):
    """Paper is found by its even colour when it is not the brightest thing in view (a
    window outshines it): the digit on the note is read, and the sheet found is the note."""
    from vis3d.inputs.preprocess import prepare_camera
    frame, label, corners = _note_scene(mnist_test, window)
    prepared = prepare_camera(frame)
    assert prepared.found, prepared.reason
    _, acts = classifier.classify(frame, "camera")
    assert acts is not None and acts.prediction == label
    x0, y0, x1, y1 = prepared.bbox
    assert corners[:, 0].min() <= x0 and x1 <= corners[:, 0].max()
    assert corners[:, 1].min() <= y0 and y1 <= corners[:, 1].max()


def test_blotches_the_model_cannot_place_are_no_digit(mnist_test):
    """The model's doubt counts only with the image's: a wide blotch read at 40% is no digit
    (with the reason); a pen-thin digit read at 40%, or a blotch read at 95%, stand."""
    from vis3d.inputs.doubt import doubtful
    from vis3d.inputs.preprocess import normalise
    blotch = np.zeros((28, 28), np.float32)
    cv2.ellipse(blotch, (14, 14), (7, 5), 30, 0, 360, 1.0, -1)
    thin = normalise(np.float32(mnist_test.images[0] > 128))
    unsure = np.full(10, 0.6 / 9, np.float32)
    unsure[3] = 0.4
    sure = np.full(10, 0.05 / 9, np.float32)
    sure[3] = 0.95
    assert "not pen strokes" in doubtful(blotch, unsure)
    assert doubtful(thin, unsure) == ""
    assert doubtful(blotch, sure) == ""
    assert doubtful(None, unsure) == "" and doubtful(blotch, None) == ""
