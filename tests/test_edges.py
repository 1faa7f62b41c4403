import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from vis3d.scene import edges
from vis3d.model import weights
from vis3d.scene.session import Session


@pytest.fixture(scope="module")
def st(mnist_test):
    s = Session(weights.load("mnist_cnn"))
    s.set_input(mnist_test.images[0] / 255.0)
    return s


def test_conv_edges_are_the_kernel_window(st):
    conv2 = st.layout.slab("conv2")
    c, i, j = 5, 7, 9
    node = conv2.offset + (c * 24 + i) * 24 + j
    inc = st.incoming(node)
    assert len(inc.sources) == 16 * 3 * 3
    prev = st.layout.slab("conv1")
    ch, r, q = np.unravel_index(inc.sources - prev.offset, prev.shape)
    assert set(ch) == set(range(16)) and set(r) == {7, 8, 9} and set(q) == {9, 10, 11}
    w, b = st.probe.params("conv2")
    # Sum of contributions + bias is the node's pre-activation, as torch computed it.
    pre = inc.contributions.sum() + b[c]
    assert pre == pytest.approx(float(st.acts["conv2"].values[c, i, j]), abs=1e-4)


def test_first_conv_uses_the_normalised_input_and_padding():
    s = Session(weights.load("lenet5"))
    s.set_input(np.zeros((28, 28), np.float32))
    conv1 = s.layout.slab("conv1")
    inc = s.incoming(conv1.offset)  # channel 0, (0, 0): padded corner -> 3x3 of the 5x5 valid
    assert len(inc.sources) == 9
    pre = inc.contributions.sum() + s.probe.params("conv1")[1][0]
    assert pre == pytest.approx(float(s.acts["conv1"].values[0, 0, 0]), abs=1e-4)


def test_pool_window_marks_the_max(st):
    pool = st.layout.slab("pool")
    node = pool.offset + (3 * 12 + 6) * 12 + 6
    inc = st.incoming(node)
    assert len(inc.sources) == 4
    assert inc.inputs[inc.weights == 1].max() == pytest.approx(st.normaliser.raw[node])


def test_fc_edges_every_input_and_style(st):
    fc1 = st.layout.slab("fc1")
    inc = st.incoming(fc1.offset + 3)
    assert len(inc.sources) == 4608
    pre = inc.contributions.sum() + st.probe.params("fc1")[1][3]
    assert pre == pytest.approx(float(st.acts["fc1"].values[3]), abs=1e-3)
    widths, colors = edges.edge_style(inc)
    k = np.argmax(np.abs(inc.weights))
    assert widths[k] == widths.max() and widths.min() < widths.max() / 3
    assert np.all(colors[inc.weights > 0, 2] < colors[inc.weights < 0, 2].min())
    top = inc.top(5)
    assert np.all(np.abs(inc.contributions[top[0]]) >= np.abs(inc.contributions))


def test_input_nodes_have_no_incoming(st):
    assert st.incoming(10) is None
    assert "input" in st.describe(10)
    assert "4608 inputs, top:" in st.describe(st.layout.slab("fc1").offset)


def test_receptive_fields_follow_the_layers(st):
    from vis3d.scene import tiles
    conv2, pool = st.layout.slab("conv2"), st.layout.slab("pool")
    assert tiles.receptive_field(st, conv2.offset + (3 * 24 + 7) * 24 + 9) == (7, 11, 9, 13)
    assert tiles.receptive_field(st, pool.offset + (3 * 12 + 4) * 12 + 5) == (8, 13, 10, 15)
    assert tiles.receptive_field(st, st.layout.slab("fc1").offset) == (0, 27, 0, 27)
    img, caption = tiles.weight_image(st, conv2.offset)
    assert img.shape[2] == 3 and "16x3x3" in caption


def test_scene_core_imports_no_torch():
    code = ("import sys\nimport vis3d.scene.edges, vis3d.scene.tiles, vis3d.scene.layout, "
            "vis3d.scene.colors\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def _odd_net():
    torch.manual_seed(3)
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 4, 3, padding=1)),                                    # 4x28x28
        ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)),    # 6x14x14
        ("relu2", nn.ReLU()),
        ("pool", nn.AvgPool2d(3, stride=2, padding=1)),                              # 6x7x7
        ("conv3", nn.Conv2d(6, 4, 3, padding="same", dilation=2)),                   # 4x7x7
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(4 * 7 * 7, 10)),
    ]))


def test_strided_dilated_grouped_conv_and_padded_avg_pool_edges():
    s = Session(weights.LoadedModel(name="odd", model=_odd_net(), card={}, path=None))
    s.set_input(np.random.default_rng(4).random((28, 28), dtype=np.float32))
    spec = s.probe.specs["conv2"]
    assert (spec.stride, spec.padding, spec.dilation, spec.groups) == ((2, 2), (2, 2), (2, 2), 2)
    assert s.probe.specs["conv3"].padding == (2, 2)  # 'same' with dilation 2
    for name, prev_name in (("conv2", "conv1"), ("pool", "conv2"), ("conv3", "pool")):
        slab, prev = s.layout.slab(name), s.layout.slab(prev_name)
        bias = s.probe.specs[name].bias
        for local in range(slab.count):
            inc = s.incoming(slab.offset + local)
            c, i, j = slab.unravel(local)
            pre = inc.contributions.sum() + (0.0 if bias is None else bias[c])
            assert pre == pytest.approx(float(s.acts[name].values[c, i, j]), abs=1e-4), (name, c, i, j)
            ch, r, q = np.unravel_index(inc.sources - prev.offset, prev.shape)
            if name == "conv2":  # channels of the node's group only, at o*2 - 2 + k*2
                assert set(ch) <= set(range(2 * (c // 3), 2 * (c // 3) + 2))
                assert set(r) <= {i * 2 - 2, i * 2, i * 2 + 2} and set(q) <= {j * 2 - 2, j * 2, j * 2 + 2}
            elif name == "pool":
                assert set(ch) == {c}


def test_edge_builder_takes_plain_specs():
    s = Session(weights.load("lenet5"))
    s.set_input(np.random.default_rng(5).random((28, 28), dtype=np.float32))
    builder = edges.EdgeBuilder(s.layout, dict(s.probe.specs))
    node = s.layout.slab("conv2").offset + 17
    a, b = builder.incoming(node, s.acts, s.normaliser.raw), s.incoming(node)
    np.testing.assert_array_equal(a.sources, b.sources)
    np.testing.assert_array_equal(a.contributions, b.contributions)
    assert len(a.sources) == 6 * 5 * 5
