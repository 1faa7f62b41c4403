"""The camera pipeline's judge and the upright digit (vis3d/inputs/frame.py, scene/judge.py).

* a digit on a tilted sheet reaches the model upright (turned by the sheet's tilt);
* the model judges among candidate regions only when it is unsure of the first, reading at
  most RIVALS more, and a judge that is always sure changes nothing;
* the session's judge stands aside for slow, busy or non-digit models.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

import synth_webcam as sw
import synth_webcam_alt as sw_alt


def _tilted_sheet(angle: float) -> tuple[np.ndarray, np.ndarray]:
    """A white sheet turned by ``angle`` degrees (clockwise as seen) in a dark room, with one
    long straight stroke written upright on it: (frame, sheet corners)."""
    frame = np.full((480, 640, 3), (60, 70, 80), np.uint8)
    centre = np.array([320.0, 240.0])
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    corners = np.array([[-120, -160], [120, -160], [120, 160], [-120, 160]], np.float64) @ rot.T + centre
    cv2.fillConvexPoly(frame, np.round(corners).astype(np.int32), (235, 238, 240), cv2.LINE_AA)
    ends = np.array([[10, -90], [-10, 90]], np.float64) @ rot.T + centre   # a slightly slanted '1'
    cv2.line(frame, tuple(np.round(ends[0]).astype(int)), tuple(np.round(ends[1]).astype(int)),
             (120, 40, 20), 4, cv2.LINE_AA)
    noise = np.random.default_rng(3).normal(0, 2, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8), corners


def _axis_degrees(image: np.ndarray) -> float:
    """The ink's principal axis, degrees from vertical (clockwise positive)."""
    ys, xs = np.nonzero(image > 0.3)
    w = image[ys, xs]
    x, y = xs - np.average(xs, weights=w), ys - np.average(ys, weights=w)
    cov = np.cov(np.stack([x, y]), aweights=w)
    vals, vecs = np.linalg.eigh(cov)
    vx, vy = vecs[:, np.argmax(vals)]
    if vy < 0:
        vx, vy = -vx, -vy
    return float(np.degrees(np.arctan2(-vx, vy)))


@pytest.mark.parametrize("angle", [-25.0, 20.0])
def test_a_digit_on_a_tilted_sheet_reaches_the_model_upright(angle):
    from vis3d.inputs.frame import sheet_tilt
    from vis3d.inputs.preprocess import prepare_camera
    frame, corners = _tilted_sheet(angle)
    tilt, agree = sheet_tilt(corners)
    assert abs(tilt - angle) < 0.5 and agree > 0.99
    prepared = prepare_camera(frame)
    assert prepared.found, prepared.reason
    found, _ = sheet_tilt(prepared.sheet)
    assert abs(found - angle) < 3.0, found
    # the stroke leans 6.3 degrees on its sheet; seen in the frame it leans by the tilt more
    lean = _axis_degrees(prepared.image)
    assert abs(abs(lean) - 6.3) < 3.0, lean


def _frames(kind: str, seed: int, take: int, gen=sw):
    """The first ``take`` frames of a 60-frame set (tuning seeds: frames with rivals) of the
    renderer ``gen``."""
    from vis3d.model import data
    from vis3d.paths import default_mnist_dir
    split = data.load_split(default_mnist_dir(), "test")
    made = gen.frames(split.images, split.labels, kind, 60, seed)
    return [(label, frame) for (_, label, frame, _), _ in zip(made, range(take))]


def _doubted_sets():
    """Frames of both renderers' tuning sets with first readings the model doubts."""
    return (_frames("held", 32, 10) + _frames("sticky", 70, 10)
            + _frames("held", 2, 20, sw_alt) + _frames("dim", 3, 20, sw_alt)
            + _frames("held", 3, 15, sw_alt))


def test_the_judge_is_asked_only_when_unsure_and_at_most_three_times():
    from vis3d.inputs.frame import RIVALS
    from vis3d.inputs.preprocess import prepare_camera
    asked_most = 0
    for label, frame in _frames("held", 32, 10):
        plain = prepare_camera(frame)
        calls = []
        sure = prepare_camera(frame, score=lambda im: calls.append(1) or 1.0)
        assert len(calls) == (1 if plain.found else 0)
        assert sure.found == plain.found
        if plain.found:                        # a judge always sure changes nothing
            np.testing.assert_array_equal(sure.image, plain.image)
        calls.clear()
        unsure = prepare_camera(frame, score=lambda im: calls.append(1) or 0.2)
        assert len(calls) <= 1 + RIVALS
        asked_most = max(asked_most, len(calls))
        if plain.found:                        # no rival is clearly surer: the first stands
            np.testing.assert_array_equal(unsure.image, plain.image)
    assert asked_most >= 2                     # some frame did offer a rival


def test_the_judge_prefers_the_reading_the_model_is_surest_of(classifier):
    """With the model as judge, the reading of the candidate chosen is at least as sure as
    the first candidate's, on frames whose first candidate the model doubts."""
    from vis3d.inputs.preprocess import prepare_camera
    doubted = 0
    for label, frame in _doubted_sets():
        plain = prepare_camera(frame)
        if not plain.found:
            continue
        p_first = classifier.score(plain.image)
        judged = prepare_camera(frame, score=classifier.score)
        if not judged.found:            # refused: marks barely darker the model cannot place
            continue
        p_judged = classifier.score(judged.image)
        assert p_judged >= p_first - 1e-6
        doubted += p_first < 0.9
    assert doubted >= 3, doubted


def test_the_sessions_judge_stands_aside_when_slow_busy_or_not_for_digits(classifier):
    from vis3d.scene.judge import SLOW_MS, camera_judge
    session = SimpleNamespace(digit_input=True, run_ms=1.0, lock=threading.Lock(),
                              probe=classifier.probe)
    judge = camera_judge(session)
    digit = np.zeros((28, 28), np.float32)
    cv2.line(digit, (14, 4), (14, 23), 1.0, 2)
    p = judge(digit)
    assert 0.0 < p <= 1.0 and abs(p - classifier.score(digit)) < 1e-6
    with session.lock:                          # busy in the background: no waiting
        assert judge(digit) is None
    session.run_ms = SLOW_MS + 1
    assert judge(digit) is None
    session.run_ms, session.digit_input = 1.0, False
    assert judge(digit) is None


def test_a_judge_without_an_answer_keeps_the_first_reading(classifier):
    """When the model cannot answer (busy in the background, slow), the pipeline judges no
    further: a frame whose first reading the model doubts keeps that reading instead of
    taking a rival or another grouping on an answer nobody gave."""
    from vis3d.inputs.frame import UNPLACED
    from vis3d.inputs.preprocess import prepare_camera
    changed = 0
    for label, frame in _doubted_sets():
        plain = prepare_camera(frame)
        # (under UNPLACED the first answer may refuse faint marks: then the next one stands)
        if not plain.found or not UNPLACED <= classifier.score(plain.image) < 0.9:
            continue
        judged = prepare_camera(frame, score=classifier.score)
        changed += not np.array_equal(judged.image, plain.image)
        calls = []

        def once(image):
            calls.append(1)
            return classifier.score(image) if len(calls) == 1 else None
        kept = prepare_camera(frame, score=once)
        assert np.array_equal(kept.image, plain.image)
    assert changed >= 1, changed   # the judge does change some of these frames when it answers
