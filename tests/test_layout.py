import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from vis3d.scene import layout
from vis3d.model import weights
from vis3d.errors import Vis3dError
from vis3d.model.probe import Probe
from vis3d.scene.session import Session


@pytest.fixture(scope="module", params=["mnist_cnn", "lenet5"])
def state(request):
    return Session(weights.load(request.param))


# One node per activation; ReLUs fold into the layer before them.
SLAB_COUNTS = {
    "mnist_cnn": {"input": 28 * 28, "conv1": 16 * 26 * 26, "conv2": 32 * 24 * 24, "pool": 32 * 12 * 12,
                  "fc1": 64, "fc2": 64, "fc3": 10},                                        # 34,778
    "lenet5": {"input": 28 * 28, "conv1": 6 * 28 * 28, "pool1": 6 * 14 * 14, "conv2": 16 * 10 * 10,
               "pool2": 16 * 5 * 5, "fc1": 120, "fc2": 84, "fc3": 10},                      # 8,878
}


@pytest.mark.parametrize("name, total", [("mnist_cnn", 34778), ("lenet5", 8878)])
def test_node_counts(name, total):
    L = Session(weights.load(name)).layout
    assert {s.name: s.count for s in L.slabs} == SLAB_COUNTS[name]
    assert sum(SLAB_COUNTS[name].values()) == total
    assert L.count == total and len(L.positions) == total and len(L.sizes) == total


def test_slabs_fold_activations_and_end_in_output(state):
    slabs = state.layout.slabs
    assert slabs[0].kind == "input" and slabs[0].count == 784
    assert slabs[-1].kind == "output" and slabs[-1].count == 10 and slabs[-1].grid == (1, 10)
    assert all(s.kind != "relu" for s in slabs)
    assert slabs[1].folded == ["relu1"] and slabs[1].value_layer == "relu1"
    xs = [s.x for s in slabs]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # stacked along x, input first


def test_nothing_overlaps(state):
    L = state.layout
    for s in L.slabs:
        pts = L.positions[s.offset:s.offset + s.count]
        # Within a slab, nodes on a grid: the nearest distinct node is >= the node diameter.
        yz = pts[:, 1:]
        d = np.abs(yz[:, None, :] - yz[None, :, :]).max(-1) if len(yz) <= 800 else None
        if d is not None:
            np.fill_diagonal(d, np.inf)
            assert d.min() >= L.sizes[s.offset] * 0.99
        np.testing.assert_allclose(pts[:, 0], s.x, atol=1e-3)
    # Slabs are further apart along x than a node is wide.
    assert np.diff([s.x for s in L.slabs]).min() > L.sizes.max()


def test_channels_tile_near_square():
    L = Session(weights.load("mnist_cnn")).layout
    assert L.slab("conv1").grid == (4, 4) and L.slab("conv2").grid == (6, 6)
    assert layout.near_square(10) == (3, 4)


def test_locate_and_slab_lookup(state):
    L = state.layout
    s = L.slab("conv1")
    assert L.slab(1) is s and L.slab("relu1") is s and L.slab("output") is L.slabs[-1]
    slab, local = L.locate(s.offset + 5)
    assert slab is s and local == 5
    with pytest.raises(Vis3dError, match="no layer 'nope'"):
        L.slab("nope")


def test_batch_norm_and_unknown_ops_are_slabs():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Upsample(scale_factor=0.5),
                          nn.Flatten(), nn.Linear(2 * 13 * 13, 10))
    L = layout.compute(Probe(model.eval()).graph)
    assert [(s.name, s.kind, s.shape) for s in L.slabs] == [
        ("input", "input", (1, 28, 28)), ("0", "conv", (2, 26, 26)), ("1", "bn", (2, 26, 26)),
        ("2", "unknown", (2, 13, 13)), ("4", "output", (10,))]


def test_layer_normalisation_vs_global(state, sample_digit):
    state.set_input(sample_digit(3))
    v = state.values
    for s in state.layout.slabs[1:-1]:
        seg = v[s.offset:s.offset + s.count]
        assert seg.max() == pytest.approx(1.0) and seg.min() >= 0
    np.testing.assert_allclose(v[-10:], state.acts.probs, atol=1e-6)
    state.normalise = "global"
    maxima = [state.values[s.offset:s.offset + s.count].max() for s in state.layout.slabs[1:-1]]
    assert max(maxima) == pytest.approx(1.0) and min(maxima) < 0.99
    state.normalise = "layer"


def test_two_inputs_give_different_values(state, sample_digit):
    state.set_input(sample_digit(0))
    a = state.values.copy()
    state.set_input(sample_digit(1))
    assert np.abs(state.values - a).mean() > 0.01




@pytest.mark.parametrize("classes", [2, 5, 10, 1000])
def test_output_spheres_stay_modest_and_many_classes_make_a_grid(classes):
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, classes))
    L = layout.compute(Probe(net.eval()).graph)
    out, conv = L.slabs[-1], L.slabs[1]
    size = L.sizes[out.offset]
    # No class sphere is bigger than the 10-class one (16 units apart, half that across).
    assert size <= 8.0 + 1e-6 and out.extent[0] <= max(conv.extent) * 4
    assert out.grid == ((1, classes) if classes <= 20 else layout.near_square(classes))
