"""Any PyTorch CNN: the zoo in tests/models/zoo.py through `vis3d layers`, snapshots in the
real GL context, hover edges whose contributions sum to torch's pre-activation, and predict
giving exactly torch's probabilities."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import vis3d
from vis3d.commands.layers import table
from vis3d.errors import Vis3dError
from vis3d.model import user, weights
from vis3d.scene.session import Session

ZOO = Path(__file__).parent / "models" / "zoo.py"
ASSETS = Path(__file__).parent.parent / "assets"
MODELS = ["Residual", "Inception", "Separable", "Functional", "Smooth", "Colour", "nested",
          "Untraceable", "Unknown"]
EDGE_KINDS = {"conv", "linear", "pool", "adaptive pool", "bn", "add", "cat"}


def _cli(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "vis3d", *args], capture_output=True, text=True,
                          timeout=timeout)


def _session(name):
    torch.manual_seed(0)
    s = Session(weights.load(f"{ZOO}:{name}"))
    x = np.random.default_rng(1).random(s.probe.image_shape, dtype=np.float32)
    s.set_input(x)
    return s, x


# What each model's table must say: (name, kind, inputs) of chosen layers, node total.
EXPECT = {
    "Residual": ([("add", "add", ["a2", "relu"]), ("add_1", "add", ["b2", "short.1"]),
                  ("short.0", "conv", ["relu_2"]), ("pool", "adaptive pool", ["relu_4"]),
                  ("fc", "linear", ["pool"])], [1, 28, 28]),
    "Inception": ([("cat", "cat", ["b1", "b3.2", "b5", "bp.1"]), ("bp.0", "pool", ["input"]),
                   ("max_pool2d", "pool", ["relu"])], [1, 28, 28]),
    "Separable": ([("dw", "conv", ["relu"]), ("pw", "conv", ["relu_1"]),
                   ("pool", "pool", ["relu_2"]), ("head", "linear", ["pool"])], [1, 28, 28]),
    "Functional": ([("max_pool2d", "pool", ["relu"]), ("avg_pool2d", "pool", ["relu_1"]),
                    ("f1", "linear", ["avg_pool2d"]), ("softmax", "softmax", ["f2"])], [1, 28, 28]),
    "Smooth": ([("features.1", "act", ["features.0"]), ("classifier.1", "bn", ["classifier.0"]),
                ("classifier.2", "act", ["classifier.1"])], [1, 28, 28]),
    "Colour": ([("c1", "conv", ["input"]), ("fc", "linear", ["relu_2"])], [3, 32, 32]),
    "nested": ([("0.0", "conv", ["input"]), ("1.0.0", "conv", ["0.1"]), ("1.1", "pool", ["1.0.1"]),
                ("3.0", "linear", ["1.1"]), ("4", "linear", ["3.1"])], [1, 28, 28]),
    "Untraceable": ([("add", "add", ["relu", "relu#2"]), ("fc", "linear", ["max_pool2d"])],
                    [1, 28, 28]),
    "Unknown": ([("up", "unknown", ["relu"]), ("mul", "unknown", ["c2", "sigmoid"])], [1, 28, 28]),
}


@pytest.mark.parametrize("name", MODELS)
def test_layers_table_edges_and_probabilities(name):
    s, x = _session(name)
    info = table(s.probe, s.layout)
    rows = {r["name"]: r for r in info["layers"]}
    picks, shape = EXPECT[name]
    assert info["input"] == shape and info["nodes"] == s.layout.count
    for lname, kind, inputs in picks:
        assert (rows[lname]["kind"], rows[lname]["inputs"]) == (kind, inputs), lname
        assert rows[lname]["nodes"] in (0, int(np.prod(rows[lname]["shape"])))
    # Folded activations count 0: the rows add up to the nodes drawn (the input's included).
    assert sum(r["nodes"] for r in info["layers"]) + int(np.prod(shape)) == s.layout.count
    # Every layer's values are torch's: the model's own output and probabilities.
    model = s.loaded.model
    with torch.no_grad():
        out = model(torch.from_numpy(x).reshape(1, *s.probe.input_shape))
    ends_softmax = rows[info["layers"][-1]["name"]]["kind"] == "softmax"
    expect = out[0] if ends_softmax else torch.softmax(out, 1)[0]
    np.testing.assert_array_equal(s.acts.probs, expect.numpy())
    # Hover edges: contributions + bias = the layer's output (pre-activation), every kind.
    checked = set()
    rng = np.random.default_rng(2)
    for slab in s.layout.slabs[1:]:
        spec = s.probe.specs[slab.name]
        inc = s.incoming(slab.offset + int(rng.integers(slab.count)))
        if spec.kind not in EDGE_KINDS:
            assert len(inc.sources) == 0 and "edges not known" in inc.note
            continue
        for local in rng.choice(slab.count, size=min(slab.count, 25), replace=False):
            inc = s.incoming(slab.offset + int(local))
            want = float(s.acts[slab.name].values.reshape(-1)[local])
            assert inc.total == pytest.approx(want, abs=2e-4 + 1e-4 * abs(want)), (slab.name, local)
            assert len(inc.sources) > 0 and inc.left_out == 0
        checked.add(spec.kind)
    assert checked  # at least one kind with edges per model


def test_every_edge_kind_is_exercised():
    kinds = set()
    for name in MODELS:
        s, _ = _session(name)
        kinds |= {s.probe.specs[sl.name].kind for sl in s.layout.slabs[1:]}
    assert EDGE_KINDS <= kinds


def test_depthwise_groups_and_cat_sources():
    s, _ = _session("Separable")
    dw = s.layout.slab("dw")
    inc = s.incoming(dw.offset + 3 * 14 * 14 + 5 * 14 + 6)
    src = s.layout.slab(s.probe.specs["dw"].inputs[0])
    ch = (inc.sources - src.offset) // (14 * 14)
    assert set(ch) == {3} and len(inc.sources) == 9
    s, _ = _session("Inception")
    cat = s.layout.slab("cat")
    inc = s.incoming(cat.offset + 6 * 28 * 28 + 40)   # channel 6: b3's channel 2
    b3 = s.layout.slab("b3.2")
    assert list(inc.sources) == [b3.offset + 2 * 28 * 28 + 40]


def test_branches_side_by_side_and_arcs():
    from vis3d.gl.arcs import arc_segments
    from vis3d.scene.layout import links
    s, _ = _session("Inception")
    L = s.layout
    b1, b5 = L.slab("b1"), L.slab("b5")
    assert b1.x == b5.x and b1.y != b5.y
    assert len(links(L.slabs)) >= 8 and len(arc_segments(L)[0]) > 0
    plain = Session(weights.load("mnist_cnn")).layout
    assert links(plain.slabs) == []


def test_too_many_inputs_draws_the_strongest():
    from vis3d.scene.edges import EdgeBuilder
    s, _ = _session("Inception")
    fc = s.layout.slab("output")
    full = s.incoming(fc.offset + 1)
    few = EdgeBuilder(s.layout, s.probe.specs, max_edges=500).incoming(fc.offset + 1, s.acts,
                                                                      s.normaliser.raw)
    assert len(few.sources) == 500 and few.left_out == len(full.sources) - 500
    assert few.total == pytest.approx(full.total, abs=1e-4)
    assert np.abs(few.contributions).min() >= np.sort(np.abs(full.contributions))[-500] - 1e-7
    assert "weaker inputs not drawn" in Session.describe(s, fc.offset + 1, incoming=few)


@pytest.mark.parametrize("name", ["Residual", "Colour", "Untraceable", "Unknown"])
def test_snapshot_renders(tmp_path, name):
    out = tmp_path / f"{name}.png"
    vis3d.snapshot(f"{ZOO}:{name}", out, size=(480, 320), hover="output:1")
    import cv2
    img = cv2.imread(str(out))[..., :3].astype(int)
    assert img.shape[:2] == (320, 480)
    lit = (np.abs(img - img[0, 0]).sum(-1) > 60).mean()
    assert 0.01 < lit < 0.8


def test_api_takes_a_module_and_an_array(tmp_path):
    from tests.models import zoo  # noqa: F401 - the module, as a user passes it
    import importlib.util
    spec = importlib.util.spec_from_file_location("zoo_direct", ZOO)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = vis3d.snapshot(mod.Colour(), tmp_path / "c.png", size=(320, 240),
                         input=np.random.default_rng(0).random((3, 32, 32), dtype=np.float32),
                         labels=list("abcde"))
    assert Path(out).stat().st_size > 1000


def test_cli_layers_predict_and_errors(tmp_path):
    res = _cli("layers", "--model", f"{ZOO}:Residual", "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["input"] == [1, 28, 28] and len(info["layers"]) == 17
    # Weights and a card with labels and mean/std: predict gives torch's probabilities.
    torch.manual_seed(5)
    model = user.build(f"{ZOO}:Colour")[0]
    w = tmp_path / "colour.safetensors"
    weights.save(model, w, {})
    labels = ["plane", "car", "bird", "cat", "deer"]
    w.with_suffix(".json").write_text(json.dumps({
        "input": {"shape": [3, 32, 32], "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3]},
        "labels": labels}))
    img = np.zeros((40, 48, 3), np.uint8)
    img[..., 2], img[5:30, 10:40, 1] = 200, 90
    import cv2
    cv2.imwrite(str(tmp_path / "p.png"), img)
    res = _cli("predict", "--model", f"{ZOO}:Colour", "--weights", str(w), "--json",
               str(tmp_path / "p.png"))
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    from vis3d.inputs.fit import fit_image
    x = torch.from_numpy(fit_image(img, (3, 32, 32)))[None]
    x = (x - torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1)) / torch.tensor([0.2, 0.25, 0.3]).view(1, 3, 1, 1)
    with torch.no_grad():
        want = torch.softmax(model(x), 1)[0].numpy()
    assert got["probs"] == [float(p) for p in want] and got["label"] == labels[int(want.argmax())]
    for args, words in [
        (["--model", "nope.py:X"], "nope.py: file not found"),
        (["--model", f"{ZOO}:Missing"], "has no class or function 'Missing'"),
        (["--model", f"{ZOO}:NeedsArgs"], "needs arguments"),
        (["--model", f"{ZOO}:Colour", "--input-shape", "1,28,28"], "forward fails on a 1x28x28"),
        (["--model", f"{ZOO}:Residual", "--weights", str(w)], "weights do not fit"),
        (["--model", f"{ZOO}:NoLayers", "--input-shape", "1,28,28"], "no layer"),
    ]:
        res = _cli("layers", *args)
        assert res.returncode == 2 and words in res.stderr, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_help_says_the_file_runs():
    res = _cli("--help")
    assert "RUNS when loaded" in " ".join(res.stdout.split())


def test_an_untraceable_model_stays_usable_outside_the_probe():
    """The fallback tracer's hooks stay registered; called on its own, the model must run
    as if they were not there (it crashed once the probe had run)."""
    s, x = _session("Untraceable")
    model = s.loaded.model
    t = torch.from_numpy(x).reshape(1, *s.probe.input_shape)
    with torch.no_grad():
        a = model(t)
        b = model(t)
    assert torch.equal(a, b)
    s.set_input(None)
    s.set_input(x)   # and the probe still works afterwards


@pytest.mark.parametrize("name, pick", [("TwoOutputs", lambda out: out[0]),
                                        ("DictOutput", lambda out: out["logits"])])
def test_models_returning_a_tuple_or_a_dict_show_their_class_scores(name, pick):
    s, x = _session(name)
    with torch.no_grad():
        out = s.loaded.model(torch.from_numpy(x).reshape(1, *s.probe.input_shape))
    np.testing.assert_array_equal(s.acts.probs, torch.softmax(pick(out), 1)[0].numpy())
    assert s.layout.slabs[-1].kind == "output" and s.layout.slabs[-1].count == 10
    res = _cli("predict", "--model", f"{ZOO}:{name}", "--json", str(ASSETS / "samples" / "pad_3.png"))
    assert res.returncode == 0, res.stderr


def test_training_checkpoints_load_as_their_weights(tmp_path):
    """What training scripts save: a checkpoint dict, DataParallel or torch.compile names,
    no BatchNorm step counters; a whole pickled model is refused with what to do instead."""
    from vis3d.model import user
    torch.manual_seed(3)
    model = user.build(f"{ZOO}:Residual")[0].eval()
    for m in model.modules():      # non-default statistics, so a wrong load would show
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    state = model.state_dict()
    files = {
        "ckpt": {"epoch": 7, "optimizer": {"lr": 0.1}, "model_state_dict": state},
        "dp": {f"module.{k}": v for k, v in state.items()},
        "compiled": {"state_dict": {f"_orig_mod.{k}": v for k, v in state.items()}},
        "old": {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")},
    }
    x = torch.rand(1, 1, 28, 28)
    with torch.no_grad():
        want = model(x)
    for name, content in files.items():
        torch.save(content, tmp_path / f"{name}.pt")
        loaded = weights.load(f"{ZOO}:Residual", weights=tmp_path / f"{name}.pt")
        with torch.no_grad():
            torch.testing.assert_close(loaded.model.eval()(x), want, msg=name)
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), tmp_path / "whole.pt")   # a whole model
    with pytest.raises(Vis3dError, match=r"refused.*model.state_dict\(\)"):
        weights.load(f"{ZOO}:Residual", weights=tmp_path / "whole.pt")
    # A prefix that does not make the names fit is still a clear misfit.
    torch.save({f"backbone.{k}": v for k, v in state.items()}, tmp_path / "other.pt")
    with pytest.raises(Vis3dError, match="weights do not fit"):
        weights.load(f"{ZOO}:Residual", weights=tmp_path / "other.pt")
