import numpy as np
import pytest
import torch

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
