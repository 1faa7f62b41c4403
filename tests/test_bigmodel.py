"""A ResNet-18-shaped net (tests/models/resnet18.py, at a small input) in the real GL
context; the figures `vis3d bench --model SPEC` reports for a model; layer outputs kept
without copies only where the model never writes in place."""

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vis3d.bench.model import first_frame, hover_figures, model_figures, window_first_frame
from vis3d.model.probe import Probe

SMALL = os.path.join(os.path.dirname(__file__), "models", "resnet18.py") + ":small"


@pytest.fixture(scope="module")
def opened():
    seconds, session, canvas, view = first_frame(SMALL, input_shape="3,32,32", size=(480, 320))
    yield seconds, session, canvas, view
    canvas.close()


def test_resnet18_shaped_net_is_drawn_whole_with_labels(opened):
    seconds, session, canvas, view = opened
    L = session.layout
    assert L.count == 124426 and len(L.slabs) == 52 and seconds > 0
    assert [s.name for s in L.slabs[:4]] == ["input", "conv1", "bn1", "maxpool"]
    assert L.slabs[-1].kind == "output" and L.slabs[-1].count == 10
    img = view.render()[..., :3].astype(int)
    bg = np.array([0x10, 0x13, 0x1a])
    lit = np.abs(img - bg).sum(-1) > 30
    ys, xs = np.nonzero(lit)
    # the whole net in view: drawn across most of the canvas, touching no edge
    assert xs.max() - xs.min() > 0.6 * img.shape[1]
    assert xs.min() > 0 and ys.min() > 0 and xs.max() < img.shape[1] - 1 and ys.max() < img.shape[0] - 1
    assert view.maps.quads > 0 and view.nodes.drawn < L.count   # far maps drawn as quads
    assert len(view.labels.shown) + len(view.names.shown) >= 3 and len(view.digits.shown) >= 1


def test_hover_in_last_conv_and_fc_builds_every_incoming_edge(opened):
    _s, session, canvas, view = opened
    figures = hover_figures(session, canvas)
    # the last conv's maps are 1x1 at this input: a node reads the centre tap of 512 maps
    assert figures["hover_conv_edges"] == 512 and figures["hover_fc_edges"] == 512
    assert 0 < figures["hover_conv_ms"] and 0 < figures["hover_fc_ms"]
    fc = next(s for s in session.layout.slabs if s.name == "fc")
    session.hovered = fc.offset + 3
    assert view.edges.count == 512
    session.hovered = -1
    assert view.edges.count == 0


def test_bench_model_figures_for_a_small_model():
    out = model_figures(SMALL, input_shape="3,32,32", size=(320, 200), window=False)
    for key in ("first_frame_s", "whole_frame_ms", "mnist_cnn_frame_ms", "frame_ratio",
                "hover_conv_ms", "hover_fc_ms", "hover_ms"):
        assert isinstance(out[key], float) and out[key] > 0, key
    assert 0.05 < out["frame_ratio"] < 20
    assert out["hover_ms"] == max(out["hover_conv_ms"], out["hover_fc_ms"])


def test_window_first_frame_is_timed_in_a_new_process(x_display):
    out = window_first_frame(SMALL, input_shape="3,32,32")
    assert "window_first_frame_error" not in out, out
    assert out["window_nodes"] == 124426
    assert 0 < out["window_imports_s"] < out["window_model_s"] < out["window_first_frame_s"]
    assert out["window_first_frame_s"] < out["window_process_s"]


class WritesInPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        y = self.c1(x)
        y.add_(self.c2(y))       # writes into c1's output after it was kept
        return self.fc(torch.flatten(F.relu(y), 1))


class OutOfPlace(WritesInPlace):
    def forward(self, x):
        y = self.c1(x)
        y = y + self.c2(y)
        return self.fc(torch.flatten(F.relu(y), 1))


@pytest.mark.parametrize("cls, copies", [(WritesInPlace, True), (OutOfPlace, False)])
def test_kept_layer_outputs_are_what_each_layer_computed(cls, copies):
    torch.manual_seed(0)
    model = cls().eval()
    probe = Probe(model, input_shape=(1, 8, 8))
    assert probe.trace._runner.copy is copies
    img = np.random.default_rng(0).random((8, 8)).astype(np.float32)
    acts = probe.run(img)
    with torch.no_grad():
        c1 = model.c1(torch.from_numpy(img).view(1, 1, 8, 8))
        expect = model(torch.from_numpy(img).view(1, 1, 8, 8))
    np.testing.assert_allclose(acts["c1"].values, c1[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(acts.probs, torch.softmax(expect, 1)[0].numpy(), atol=1e-6)
