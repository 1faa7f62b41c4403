"""The network run in a worker thread: stale inputs dropped, only the newest applied, the
session touched only by collect (on the calling thread)."""

import threading

import numpy as np
import pytest

from vis3d.model import weights
from vis3d.scene.background import BackgroundRunner
from vis3d.scene.session import Session


@pytest.fixture(scope="module")
def loaded():
    return weights.load("mnist_cnn")


def images(n):
    rng = np.random.default_rng(3)
    return [rng.random((28, 28)).astype(np.float32) for _ in range(n)]


def submit_and_start(runner, image) -> None:
    """Submit ``image`` and wait until the worker has taken it (and, with the session's
    lock held by the caller, blocks in its forward)."""
    runner.submit(image)
    for _ in range(200):
        if runner.busy and runner._pending is None:
            return
        threading.Event().wait(0.005)


def test_stale_inputs_are_dropped_and_only_the_newest_applied(loaded):
    s = Session(loaded)
    runner = BackgroundRunner(s)
    a, b, c = images(3)
    results = []
    s.events.result.connect(lambda _s: results.append(s.image.copy()))
    try:
        with s.lock:                      # the worker blocks in its first forward (a)
            submit_and_start(runner, a)
            runner.submit(b)              # waits ...
            runner.submit(c)              # ... and is replaced: b never runs
            assert runner.collect() is None   # nothing finished yet: the session untouched
            assert results == [] and s.image is None
        runner.wait()
        assert list(runner.ran) == [1, 3] and runner.dropped == 1
        ms = runner.collect()
        assert ms is not None and ms > 0
        assert len(results) == 1 and np.array_equal(s.image, c)  # a's result was superseded
        assert runner.collect() is None   # applied once
        ref = Session(loaded)
        ref.set_input(c)
        assert np.array_equal(s.values, ref.values)
        assert s.prediction.digit == ref.prediction.digit
    finally:
        runner.close()


def test_offer_only_for_slow_models_and_changed_inputs(loaded):
    s = Session(loaded)
    runner = BackgroundRunner(s)
    a, = images(1)
    try:
        assert not runner.offer(a, "", "pad", slow_ms=1e9)   # fast: the caller runs it
        s.set_input(a)
        assert not runner.offer(a, "", "pad", slow_ms=0.0)   # unchanged: nothing to run
        assert runner.offer(None, "nothing drawn", "pad", slow_ms=0.0)
        runner.wait()
        assert runner.collect() is not None
        assert s.image is None and s.prediction.note == "nothing drawn"
    finally:
        runner.close()


def test_a_result_for_a_replaced_model_is_dropped(loaded):
    s = Session(loaded)
    runner = BackgroundRunner(s)
    a, = images(1)
    try:
        runner.submit(a)
        runner.wait()
        s.set_model(weights.load("lenet5"))
        v = s.version
        assert runner.collect() is None and s.version == v and s.image is None
    finally:
        runner.close()


def test_an_input_set_directly_meanwhile_is_not_overwritten(loaded):
    """A picture shown at once (an image file, a gallery pick) while an older input still
    runs in the worker: the older result, arriving later, is dropped."""
    s = Session(loaded)
    runner = BackgroundRunner(s)
    old, shown = images(2)
    try:
        with s.lock:                      # the worker blocks in the old input's forward
            submit_and_start(runner, old)
        s.set_input(shown, source="image")
        runner.wait()
        v = s.version
        assert runner.collect() is None
        assert np.array_equal(s.image, shown) and s.version == v and s.source == "image"
    finally:
        runner.close()


def test_a_failing_forward_is_told(loaded):
    s = Session(loaded)
    runner = BackgroundRunner(s)
    told = []
    s.events.notice.connect(told.append)
    try:
        runner.submit(np.zeros((5, 5), np.float32))   # not the model's input shape
        runner.wait()
        assert runner.collect() is None
        assert told and told[0].level == "error" and "probe input must be" in told[0].text
    finally:
        runner.close()
