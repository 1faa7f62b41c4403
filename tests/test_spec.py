"""The architecture spec: parsing, checking, printing back, building, and model cards
that carry a spec."""

import json

import pytest
import torch

from vis3d.errors import Vis3dError
from vis3d.model import nets, spec, weights
from vis3d.model.probe import Probe
from vis3d.scene import layout

EVERY_KIND = ("conv 8 k5 p2 | batchnorm | relu | maxpool 2 | conv 12 k3 s2 p1 | leakyrelu 0.2 "
              "| avgpool 3 s1 p1 | tanh | dropout 0.1 | flatten | fc 32 | batchnorm | sigmoid "
              "| fc 10 | softmax")


def test_every_kind_parses_prints_back_and_builds():
    s = spec.parse(EVERY_KIND)
    assert s.text() == EVERY_KIND
    assert {layer.kind for layer in s.layers} == set(spec.KINDS)
    infos = spec.check(s)
    assert [i.out_shape for i in infos][:8] == [(8, 28, 28)] * 3 + [(8, 14, 14)] + [(12, 7, 7)] * 4
    model = spec.build(s)
    names = [n for n, _ in model.named_children()]
    assert names == ["norm", "conv1", "bn1", "relu1", "pool1", "conv2", "lrelu1", "pool2", "tanh1",
                     "drop1", "flatten", "fc1", "bn2", "sigmoid1", "fc2", "softmax"]
    assert sum(p.numel() for p in model.parameters()) == sum(i.parameters for i in infos)
    model.eval()
    out = model(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 10) and torch.allclose(out.sum(1), torch.ones(3))
    # The probe and the layout follow it: batch norm folds away, the rest are slabs.
    probe = Probe(model)
    lay = layout.compute(probe.graph)
    assert [sl.name for sl in lay.slabs] == ["input", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2"]


def test_state_dict_is_float_only_and_reloads():
    model = spec.build(EVERY_KIND)
    state = model.state_dict()
    assert all(v.is_floating_point() for v in state.values())
    assert not any(k.endswith("num_batches_tracked") for k in state)
    again = spec.build(EVERY_KIND)
    again.load_state_dict(state)
    model.eval(), again.eval()
    x = torch.rand(2, 1, 28, 28)
    torch.testing.assert_close(again(x), model(x))


@pytest.mark.parametrize("arch", sorted(spec.BUNDLED))
def test_bundled_nets_are_presets_and_build_identically(arch):
    built = spec.build(spec.BUNDLED[arch])
    ref = nets.build(arch)
    assert [f"{n}: {m!r}" for n, m in built.named_children()] == \
           [f"{n}: {m!r}" for n, m in ref.named_children()]
    assert spec.BUNDLED[arch] in spec.presets().values()
    # The shipped weights load into the spec-built net.
    built.load_state_dict(weights.load(arch).model.state_dict())


def test_seed_001_presets_kernel_3_and_5():
    names = [n for n in spec.presets() if n.startswith("seed 001")]
    assert len(names) == 6
    for name in names:
        text = spec.presets()[name]
        s = spec.parse(text)
        assert s.text() == text
        convs = [layer.kernel for layer in s.layers if layer.kind == "conv"]
        assert set(convs) == {3 if name.endswith("k3") else 5}
        # A dropout after each max-pool, as in the paper.
        kinds = [layer.kind for layer in s.layers]
        for i, k in enumerate(kinds):
            if k == "maxpool":
                assert kinds[i + 1] == "dropout"


@pytest.mark.parametrize("text, canonical", [
    ("conv 16 | relu | maxpool 2 | flatten | fc 10", "conv 16 k3 | relu | maxpool 2 | flatten | fc 10"),
    ("CONV 16 K3 S1 P0\nReLU; maxpool 2 s2 | flatten | fc 10 |",
     "conv 16 k3 | relu | maxpool 2 | flatten | fc 10"),
    ("conv 4 k3 | leakyrelu 0.01 | maxpool 3 s2 | flatten | fc 10 | softmax",
     "conv 4 k3 | leakyrelu | maxpool 3 s2 | flatten | fc 10 | softmax"),
])
def test_other_spellings_print_canonically_and_round_trip(text, canonical):
    assert spec.parse(text).text() == canonical
    assert spec.parse(canonical).text() == canonical


@pytest.mark.parametrize("text, index, message", [
    ("conv 16 k3 | convv 8 | flatten | fc 10", 1, "layer 2 'convv 8': unknown layer 'convv'"),
    ("conv 16 x3 | flatten | fc 10", 0, "layer 1 'conv 16 x3': bad token 'x3' (options: kN, sN, pN)"),
    ("conv 16 k0 | flatten | fc 10", 0, "bad token 'k0' (kernel must be 1..28)"),
    ("conv sixteen | flatten | fc 10", 0, "bad token 'sixteen' (channels must be a whole number)"),
    ("conv 16 k3 k5 | flatten | fc 10", 0, "bad token 'k5' (given twice)"),
    ("conv 8 | flatten | dropout 1 | fc 10", 2, "bad token '1' (probability must be a number"),
    ("conv 8 | relu 2 | flatten | fc 10", 1, "bad token '2' (relu takes no options)"),
    ("conv 8 | flatten | fc", 2, "fc takes one number"),
    ("maxpool | flatten | fc 10", 0, "maxpool needs its kernel size"),
    ("conv 8 | | flatten | fc 10", 1, "layer 2 is empty"),
    ("conv 8 k3 | fc 10", 1, "layer 2 'fc 10': its input is a 8x26x26 map; put 'flatten' before it"),
    ("conv 8 k5 s3 | conv 8 k5 s3 | conv 8 k5 | flatten | fc 10", 2,
     "layer 3 'conv 8 k5': the 2x2 map is smaller than the 5x5 window: the map would shrink below 1x1"),
    ("maxpool 4 | maxpool 4 | maxpool 4 | flatten | fc 10", 2, "the 1x1 map is smaller than the 4x4"),
    ("conv 8 | flatten | flatten | fc 10", 2, "already a vector of 5408"),
    ("flatten | conv 8 | fc 10", 1, "needs feature maps, but its input is a vector of 784"),
    ("conv 8 | flatten | fc 12", 2, "the net must end with 10 outputs, one per digit"),
    ("conv 8 | flatten | fc 12 | softmax", 2, "it ends with 12"),
    ("conv 8 | softmax | flatten | fc 10", 1, "softmax can only be the last layer"),
    ("maxpool 2 s1 p2 | flatten | fc 10", 0, "padding 2 is more than half the 2x2 window"),
    ("flatten | fc 65536 | fc 10", None, "the design has 52,101,130 parameters (at most"),
    ("conv 1024 k1 | conv 1024 k1 | conv 1024 k1 | flatten | fc 10", None, "neurons; the scene shows at most"),
    ("", None, "empty architecture spec"),
])
def test_bad_specs_name_the_layer_and_token(text, index, message):
    with pytest.raises(spec.SpecError) as err:
        spec.parse(text)
    assert message in str(err.value)
    assert err.value.index == index
    assert "\n" not in str(err.value)


def test_card_with_spec_rebuilds_without_code(tmp_path):
    text = "conv 4 k5 p2 | batchnorm | tanh | avgpool 2 | flatten | fc 16 | relu | fc 10"
    torch.manual_seed(1)
    model = spec.build(text).eval()
    path = tmp_path / "mine.safetensors"
    weights.save(model, path, {"spec": text})
    loaded = weights.load(path)
    assert loaded.card["spec"] == text and "arch" not in loaded.card
    x = torch.rand(2, 1, 28, 28)
    torch.testing.assert_close(loaded.model(x), model(x))
    assert not list(tmp_path.glob(".*part"))


@pytest.mark.parametrize("card, message", [
    ({"spec": 5}, "field 'spec' must be a string, not 5"),
    ({"spec": "conv 4 k5 | flatten | fc 9"}, "field 'spec': layer 3 'fc 9': the net must end with 10"),
    ({"history": "good"}, "field 'history' must be a list"),
    ({"confusion": {}}, "field 'confusion' must be a list"),
])
def test_bad_spec_fields_in_cards_are_named(tmp_path, card, message):
    path = tmp_path / "m.safetensors"
    weights.save(spec.build("conv 4 k5 | flatten | fc 10"), path, {})
    (tmp_path / "m.json").write_text(json.dumps(card))
    with pytest.raises(Vis3dError) as err:
        weights.load(path)
    assert str(err.value).startswith(f"{tmp_path / 'm.json'}: ") and message in str(err.value)


def test_weights_that_do_not_fit_the_spec(tmp_path):
    path = tmp_path / "m.safetensors"
    weights.save(spec.build("conv 4 k5 | flatten | fc 10"), path, {"spec": "conv 5 k5 | flatten | fc 10"})
    with pytest.raises(Vis3dError, match="weights do not fit the spec in its card: conv1.weight"):
        weights.load(path)
