import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from vis3d.model import nets, weights
from vis3d.model.probe import Probe

EXPECTED = {
    "mnist_cnn": [("conv1", "conv", (16, 26, 26)), ("relu1", "relu", (16, 26, 26)),
                  ("conv2", "conv", (32, 24, 24)), ("relu2", "relu", (32, 24, 24)),
                  ("pool", "pool", (32, 12, 12)), ("fc1", "linear", (64,)), ("relu3", "relu", (64,)),
                  ("fc2", "linear", (64,)), ("relu4", "relu", (64,)), ("fc3", "linear", (10,)),
                  ("softmax", "softmax", (10,))],
    "lenet5": [("conv1", "conv", (6, 28, 28)), ("relu1", "relu", (6, 28, 28)),
               ("pool1", "pool", (6, 14, 14)), ("conv2", "conv", (16, 10, 10)),
               ("relu2", "relu", (16, 10, 10)), ("pool2", "pool", (16, 5, 5)),
               ("fc1", "linear", (120,)), ("relu3", "relu", (120,)), ("fc2", "linear", (84,)),
               ("relu4", "relu", (84,)), ("fc3", "linear", (10,)), ("softmax", "softmax", (10,))],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layers_kinds_shapes(name, mnist_test):
    model = weights.load(name).model
    probe = Probe(model)
    img = mnist_test.images[0].astype(np.float32) / 255
    acts = probe.run(img)
    assert [(l.name, l.kind, l.shape) for l in acts.layers] == EXPECTED[name]
    for layer in acts.layers:
        assert layer.values.dtype == np.float32 and layer.values.shape == layer.shape
    # Outputs are the real intermediate tensors of the model.
    x = torch.from_numpy(img).view(1, 1, 28, 28)
    with torch.no_grad():
        ref = model.norm(x)
        ref = model.relu1(model.conv1(ref))
    np.testing.assert_allclose(acts["relu1"].values, ref[0].numpy(), rtol=1e-5, atol=1e-6)
    assert acts.probs.shape == (10,) and acts.probs.sum() == pytest.approx(1, abs=1e-5)
    assert acts.prediction == mnist_test.labels[0] == int(np.argmax(acts["fc3"].values))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_graph_follows_data_flow(name):
    probe = Probe(weights.load(name).model)
    g = probe.graph
    assert isinstance(g, nx.DiGraph) and nx.is_directed_acyclic_graph(g)
    order = probe.layer_names()
    assert order[0] == "input" and order[1:] == [n for n, _, _ in EXPECTED[name]]
    assert g.nodes["conv1"]["kind"] == "conv" and g.nodes["input"]["shape"] == (1, 28, 28)
    assert list(g.successors("conv1")) == ["relu1"]


def test_params_access():
    probe = Probe(weights.load("mnist_cnn").model)
    w, b = probe.params("conv2")
    assert w.shape == (32, 16, 3, 3) and b.shape == (32,)
    w, b = probe.params("fc1")
    assert w.shape == (64, 4608)
    assert probe.params("relu1") == (None, None)


class Branchy(nn.Module):
    """A non-Sequential CNN: the probe falls back to forward hooks."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.act(self.conv(x))), 1))


def test_hooks_path_for_any_module():
    probe = Probe(Branchy())
    acts = probe.run(np.random.default_rng(0).random((28, 28), dtype=np.float32))
    assert [(l.name, l.kind) for l in acts.layers] == [
        ("conv", "conv"), ("act", "relu"), ("pool", "pool"), ("head", "linear")]
    assert acts.probs.sum() == pytest.approx(1, abs=1e-5)
    assert probe.layer_names() == ["input", "conv", "act", "pool", "head"]


def test_rejects_wrong_input_shape():
    probe = Probe(nets.build("lenet5").eval())
    with pytest.raises(ValueError, match="28x28"):
        probe.run(np.zeros((28, 27), np.float32))


def test_specs_describe_every_shown_layer_in_numpy():
    model = weights.load("mnist_cnn").model
    probe = Probe(model)
    assert list(probe.specs) == [n for n, _, _ in EXPECTED["mnist_cnn"]]
    conv2 = probe.specs["conv2"]
    assert (conv2.kind, conv2.in_shape, conv2.out_shape) == ("conv", (16, 26, 26), (32, 24, 24))
    assert (conv2.kernel, conv2.stride, conv2.padding, conv2.dilation, conv2.groups) == \
        ((3, 3), (1, 1), (0, 0), (1, 1), 1)
    assert isinstance(conv2.weight, np.ndarray) and conv2.weight.dtype == np.float32
    np.testing.assert_array_equal(conv2.weight, model.conv2.weight.detach().numpy())
    np.testing.assert_array_equal(conv2.bias, model.conv2.bias.detach().numpy())
    pool = probe.specs["pool"]
    assert (pool.kind, pool.pool_mode, pool.kernel, pool.stride, pool.weight) == \
        ("pool", "max", (2, 2), (2, 2), None)
    fc1 = probe.specs["fc1"]
    assert fc1.in_shape == (4608,) and fc1.out_shape == (64,) and fc1.weight.shape == (64, 4608)
    assert probe.specs["relu1"].weight is None and probe.specs["softmax"].kind == "softmax"


def test_specs_on_the_hooks_path():
    probe = Probe(Branchy())
    assert list(probe.specs) == ["conv", "act", "pool", "head"]
    assert probe.specs["head"].in_shape == (4 * 13 * 13,)
    assert probe.specs["pool"].in_shape == (4, 26, 26) and probe.specs["pool"].out_shape == (4, 13, 13)
