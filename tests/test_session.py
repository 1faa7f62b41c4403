"""The session model without Qt or GL: events fire once per real change."""

import subprocess
import sys

import numpy as np
import pytest

from vis3d.model import weights
from vis3d.scene.session import Session


@pytest.fixture(scope="module")
def loaded():
    return weights.load("mnist_cnn")


@pytest.fixture
def session(loaded):
    return Session(loaded)


def record(session):
    seen = []
    for sig in session.events:
        sig.connect(lambda v, n=sig.name: seen.append(n))
    return seen


def sample(k=7):
    from vis3d.inputs.files import read_image
    from vis3d.inputs.preprocess import prepare
    from vis3d.paths import assets_dir
    path = next(p for p in sorted((assets_dir() / "samples").glob("pad_*.png")) if str(k) in p.stem)
    return prepare(read_image(path), "pad").image


def test_setters_emit_only_on_change(session):
    seen = record(session)
    session.normalise = "layer"
    session.colormap = session.colormap
    session.hovered = -1
    session.pinned = None
    session.set_layer_visible(1, True)
    session.set_input(None, reason="draw a digit")
    assert seen == []
    session.normalise = "global"
    session.colormap = "viridis"
    assert seen == ["normalise", "result", "colormap"]


def test_input_runs_once_and_prediction_follows(session):
    x = sample(7)
    seen = record(session)
    assert session.set_input(x)
    assert seen[:2] == ["result", "prediction"]
    assert session.prediction.digit == 7 and session.has_digit
    runs = session.probe_runs
    assert not session.set_input(x.copy())
    assert session.probe_runs == runs
    out = session.layout.slabs[-1]
    assert session.values[out.offset + 7] > 0.9          # the class read is lit
    session.set_input(None, reason="blank pad")
    assert session.prediction.digit is None and session.prediction.note == "blank pad"
    # No digit: the scene lights no class either (a blank input still scores some class).
    assert np.all(session.values[out.offset:out.offset + out.count] == 0)
    assert session.acts.probs.max() > 0.2


def test_hover_pin_and_edges(session):
    session.set_input(sample(3))
    fc1 = session.layout.slab("fc1").offset
    updates = []
    session.events.edges.connect(updates.append)
    session.hovered = fc1
    assert updates[-1].node == fc1 and updates[-1].geometry and len(updates[-1].incoming.sources) == 4608
    session.click(fc1 + 1)
    assert session.pinned == fc1 + 1 and updates[-1].node == fc1 + 1
    n = len(updates)
    session.hovered = fc1 + 5   # pinned: the edges stay
    assert len(updates) == n
    session.set_input(sample(7))
    assert not updates[-1].geometry and updates[-1].node == fc1 + 1
    session.click(fc1 + 1)
    assert session.pinned is None and updates[-1].node == fc1 + 5


def test_hiding_a_layer_drops_its_hovered_node(session):
    conv2 = session.layout.slab("conv2")
    session.hovered = conv2.offset + 5
    session.set_layer_visible(conv2.index, False)
    assert session.hovered == -1
    sizes = session.visible_sizes()
    assert np.all(sizes[conv2.offset:conv2.offset + conv2.count] == 0)
    assert np.all(sizes[:conv2.offset] > 0)


def test_model_switch_keeps_the_input_and_a_failure_keeps_the_model(session):
    x = sample(7)
    session.set_input(x)
    session.pinned = 5
    preds = []
    session.events.prediction.connect(preds.append)
    session.set_model(weights.load("lenet5"))
    assert session.name == "lenet5" and session.pinned is None and session.has_digit
    assert preds and np.allclose(preds[-1].probs, session.acts.probs)

    class Broken:
        name, card = "broken", {}
        model = None
    with pytest.raises(Exception):
        session.set_model(Broken())
    assert session.name == "lenet5" and session.layout.count == 8878


def test_a_failing_listener_does_not_stop_the_others(session):
    got = []
    session.events.colormap.connect(lambda v: 1 / 0)
    session.events.colormap.connect(got.append)
    session.colormap = "hot"
    assert got == ["hot"]


def test_session_imports_neither_qt_nor_vispy():
    code = ("import sys, vis3d.scene.session; "
            "print(any(m.split('.')[0] in ('PyQt5', 'vispy') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pinned_history_holds_its_value_until_the_input_changes(session):
    import time
    session.set_input(sample(3))
    node = session.layout.slab("fc1").offset
    session.pinned = node
    value = float(session.normaliser.raw[node])
    old = session.history[-1]
    session.history[-1] = (time.monotonic() - 30.0, old[1])   # the input last changed 30 s ago
    t, v = session.pinned_history(10.0)
    assert len(v) >= 2 and np.allclose(v, value) and t[0] == -10.0 and t[-1] == 0.0
