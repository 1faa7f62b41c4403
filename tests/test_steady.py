"""The prediction steadier: flicker suppression and no-digit behaviour."""

import numpy as np
import pytest

from vis3d.inputs.steady import Steadier


def probs(top: int, p: float, second: int | None = None, q: float = 0.0) -> np.ndarray:
    v = np.full(10, 0.0)
    v[top] = p
    if second is not None:
        v[second] = q
    rest = [i for i in range(10) if i not in (top, second)]
    v[rest] = (1.0 - v.sum()) / len(rest)
    return v


def changes(seq) -> int:
    return sum(1 for a, b in zip(seq, seq[1:]) if a != b)


def test_near_ties_do_not_flicker():
    # Frame by frame the argmax flips between 3 and 5 every frame.
    frames = [probs(3, 0.55, 5, 0.40) if k % 2 == 0 else probs(5, 0.52, 3, 0.43) for k in range(40)]
    raw = [int(np.argmax(f)) for f in frames]
    st = Steadier()
    shown = [st.push(f).digit for f in frames]
    assert changes(raw) == 39
    assert changes(shown) <= 1 and shown[-1] == 3     # settles on 3 and stays


def test_noisy_frames_are_steadied():
    rng = np.random.default_rng(0)
    frames = []
    for k in range(200):
        truth = 2 if k < 100 else 8
        v = rng.dirichlet(np.ones(10) * 0.3)
        v = 0.45 * v + 0.55 * np.eye(10)[truth] * rng.uniform(0.5, 1.0) + 1e-3
        if rng.random() < 0.25:                      # a misread frame: another digit wins
            v[rng.integers(10)] += 1.2
        frames.append(v / v.sum())
    raw = [int(np.argmax(f)) for f in frames]
    st = Steadier()
    out = [st.push(f) for f in frames]
    shown = [r.digit for r in out]
    assert changes(raw) > 40
    assert changes([d for d in shown if d is not None]) <= 3
    assert shown.count(None) <= 2                    # no blank flashes while the digit changes
    assert shown[90:100] == [2] * 10 and shown[190:] == [8] * 10
    # The switch follows the real change within the window.
    first8 = next(i for i, d in enumerate(shown) if d == 8)
    assert 100 <= first8 <= 105
    assert all(abs(r.probs.sum() - 1) < 1e-5 for r in out if r.probs is not None)


def test_no_digit_frames_count_against():
    st = Steadier(window=5)
    assert st.push(None).digit is None               # nothing yet: no digit, not a guess
    for _ in range(5):
        r = st.push(probs(7, 0.95))
    assert r.digit == 7 and r.confidence > 0.9
    r1 = st.push(None)                               # one dropped frame: keep the answer
    assert r1.digit == 7 and r1.confidence < r.confidence
    r2 = st.push(None)
    assert r2.digit == 7
    r3 = st.push(None)                               # most of the window empty: no digit
    assert r3.digit is None and r3.probs is None and r3.confidence == 0.0
    assert st.push(None).digit is None
    # Held up again: back after a few frames, not after one.
    assert st.push(probs(4, 0.95)).digit is None
    shown = [st.push(probs(4, 0.95)).digit for _ in range(4)]
    assert shown[-1] == 4 and shown.count(4) >= 2


def test_single_empty_frames_in_a_stream_never_blank_the_answer():
    st = Steadier()
    shown = []
    for k in range(30):
        shown.append(st.push(None if k % 4 == 3 else probs(1, 0.9)).digit)
    assert shown[5:] == [1] * 25


def test_unsure_frames_show_probs_but_no_digit():
    st = Steadier(min_conf=0.5)
    for _ in range(5):
        r = st.push(probs(6, 0.3))
    assert r.digit is None and r.probs is not None and int(np.argmax(r.probs)) == 6
    assert r.confidence == pytest.approx(0.3, abs=1e-6)


def test_reset_bad_input_and_model_change():
    st = Steadier()
    for _ in range(3):
        st.push(probs(9, 0.9))
    assert st.digit == 9
    st.reset()
    assert st.digit is None
    assert st.push(np.full(10, np.nan)).digit is None    # garbage counts as no digit
    assert st.push(np.zeros(10)).digit is None
    for _ in range(3):
        st.push(probs(2, 0.9))
    r = st.push(np.r_[np.zeros(4), 1.0])                # a 5-class model: history dropped
    assert r.digit == 4 and r.probs.shape == (5,)
    with pytest.raises(ValueError):
        Steadier(window=0)


def test_never_shows_a_digit_no_frame_in_the_window_read():
    # Frames alternate between reading 3 and 5, each with 8 a strong second: the average
    # favours 8, which no single frame read.
    a = np.full(10, 0.01)
    a[3], a[8] = 0.5, 0.42
    b = np.full(10, 0.01)
    b[5], b[8] = 0.5, 0.42
    st = Steadier(min_conf=0.3)
    shown = [st.push(a if k % 2 == 0 else b).digit for k in range(20)]
    assert all(d in (3, 5, None) for d in shown)
    assert any(d is not None for d in shown)


def test_every_shown_digit_is_read_by_a_frame_in_the_window():
    rng = np.random.default_rng(7)
    st = Steadier()
    window = []
    for k in range(2000):
        if rng.random() < 0.2:
            p = None
        else:
            p = rng.dirichlet(np.ones(10) * rng.uniform(0.1, 2.0))
        window = (window + [p])[-st.window:]
        d = st.push(p).digit
        if d is not None:
            assert d in {int(np.argmax(f)) for f in window if f is not None}, k
