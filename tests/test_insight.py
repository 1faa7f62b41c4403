"""Insight without the window: top images, confusion, projections, test sets, ablation and
gradients in the probe, colour modes in the session, the CLI faces."""

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from vis3d.cli import main as cli_main
from vis3d.inputs import testset
from vis3d.errors import Vis3dError
from vis3d.model import weights
from vis3d.scene import analysis as A

ZOO = str(Path(__file__).resolve().parent / "models" / "zoo.py")


@pytest.fixture
def shipped_only(monkeypatch, tmp_path):
    """No $VIS3D_MNIST: the 3,000 shipped digits; a private cache directory."""
    monkeypatch.delenv("VIS3D_MNIST", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _activations(model, images, module):
    """Every image's output of ``module`` by a plain forward hook (the reference)."""
    rows = []
    h = module.register_forward_hook(lambda _m, _i, out: rows.append(out.detach().reshape(len(out), -1)))
    with torch.no_grad():
        for i in range(0, len(images), 500):
            model(torch.from_numpy(images[i:i + 500]).float().div(255).unsqueeze(1))
    h.remove()
    return torch.cat(rows).numpy()


def test_shipped_digits_are_the_first_3000_of_t10k_and_installed(mnist_test):
    ts = testset.shipped()
    assert len(ts) == 3000 and ts.images.dtype == np.uint8
    assert np.array_equal(ts.images, mnist_test.images[:3000])
    assert np.array_equal(ts.labels, mnist_test.labels[:3000])
    root = Path(__file__).resolve().parent.parent
    assert (root / "assets" / "mnist_test.npz").stat().st_size < 600_000
    assert "CC BY-SA 3.0" in (root / "assets" / "mnist_test.md").read_text()
    assert "mnist_test.npz" in (root / "setup.cfg").read_text()


def test_top_equals_a_brute_force_ranking(shipped_only, capsys):
    loaded = weights.load("mnist_cnn")
    ts = testset.shipped()
    acts = _activations(loaded.model, ts.images, loaded.model.relu3)      # fc1 slab shows relu3
    node = int(np.argmax((acts > 0).sum(0)))                              # a lively unit
    assert cli_main(["top", "--model", "mnist_cnn", "--layer", "fc1", "--node", str(node),
                     "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    idx, vals = A.brute_top(acts[:, node], 9)
    assert got["indices"] == idx.tolist()
    assert np.allclose(got["activations"], vals, rtol=1e-5, atol=1e-6)
    # A channel ranks by its maximum over the map.
    maps = _activations(loaded.model, ts.images, loaded.model.relu2).reshape(len(ts), 32, -1).max(2)
    assert cli_main(["top", "--layer", "conv2", "--channel", "5", "--k", "4", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    idx, vals = A.brute_top(maps[:, 5], 4)
    assert got["indices"] == idx.tolist()
    # A unit dead on every image: ties go to the lower index, as the brute force orders them.
    dead = np.flatnonzero((acts > 0).sum(0) == 0)
    if dead.size:
        assert cli_main(["top", "--layer", "fc1", "--node", str(dead[0]), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["indices"] == list(range(9))


def test_topk_streaming_matches_brute_force_with_ties():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(1000, 7)).astype(np.float32)   # many ties
    top = A.TopK(9, 7)
    for s in range(0, 1000, 130):
        top.update(x[s:s + 130], s)
    for c in range(7):
        idx, vals = A.brute_top(x[:, c], 9)
        assert top.index[:, c].tolist() == idx.tolist()


def test_confusion_sums_to_n_and_its_trace_is_the_card_accuracy(mnist_dir, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli_main(["confusion", "--model", "mnist_cnn", "--data", str(mnist_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    m = np.array(out["matrix"])
    assert m.shape == (10, 10) and m.sum() == 10000 == out["n"]
    card = weights.load("mnist_cnn").card
    assert abs(np.trace(m) / m.sum() - card["test_accuracy"]) < 5e-5
    assert out["accuracy"] == pytest.approx(np.trace(m) / m.sum())


def test_project_json_and_png(shipped_only, capsys, tmp_path):
    assert cli_main(["project", "--layer", "fc2", "--count", "600", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    xyz = np.array(out["coords"])
    assert xyz.shape == (600, 3) and len(out["labels"]) == 600
    r = out["explained_variance"]
    assert 0 < r[2] <= r[1] <= r[0] < 1
    # Classes separate: same-label points are closer than points in general.
    lab = np.array(out["labels"])
    centres = np.array([xyz[lab == k].mean(0) for k in range(10)])
    within = np.mean([np.linalg.norm(xyz[lab == k] - centres[k], axis=1).mean() for k in range(10)])
    assert within < 0.8 * np.linalg.norm(xyz - xyz.mean(0), axis=1).mean()
    png = tmp_path / "p.png"
    assert cli_main(["project", "--layer", "fc2", "--count", "600", "--out", str(png)]) == 0
    img = cv2.imread(str(png))
    assert img is not None and img.shape[:2] == (700, 900)
    assert (np.abs(img.astype(int) - img[2, 2].astype(int)).sum(-1) > 60).mean() > 0.005
    assert cli_main(["project", "--layer", "nope", "--json"]) == 2


def test_pca_exact_and_randomised_agree():
    rng = np.random.default_rng(1)
    basis = rng.standard_normal((3, 3000)).astype(np.float32)
    x = rng.standard_normal((400, 3)).astype(np.float32) * [5, 3, 2] @ basis
    x += 0.01 * rng.standard_normal(x.shape).astype(np.float32)
    _c, ratio, _m, _v = A.pca(x)                    # 3000 features: randomised
    _c2, ratio2, _m2, _v2 = A.pca(x[:, :2000])      # exact
    s = np.linalg.svd(x - x.mean(0), compute_uv=False)
    assert np.allclose(ratio, (s[:3] ** 2) / (s ** 2).sum(), rtol=1e-3)
    s2 = np.linalg.svd(x[:, :2000] - x[:, :2000].mean(0), compute_uv=False)
    assert np.allclose(ratio2, (s2[:3] ** 2) / (s2 ** 2).sum(), rtol=1e-3)


def test_folder_of_labelled_pictures(tmp_path):
    for k, name in enumerate(("cat", "dog")):
        (tmp_path / name).mkdir()
        for i in range(3):
            img = np.full((20, 30, 3), 40 * (k + i), np.uint8)
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), img)
    (tmp_path / "dog" / "broken.png").write_bytes(b"not a png")
    ts = testset.load(tmp_path, (3, 16, 16))
    assert len(ts) == 6 and ts.classes == ["cat", "dog"] and ts.labels.tolist() == [0] * 3 + [1] * 3
    assert ts.batch(0, 6).shape == (6, 3, 16, 16)
    with pytest.raises(Exception, match="sub-folder per class"):
        testset.load(tmp_path / "cat", (3, 16, 16))
    with pytest.raises(Exception, match="--data DIR"):
        testset.load(None, (3, 16, 16))
    # Two classes of pictures for a model with five outputs: the labels would not line up.
    from vis3d.model.insight import Insight
    colour = weights.load(f"{ZOO}:Colour")
    with pytest.raises(Vis3dError, match="2 classes .cat, dog. but the model has 5 outputs"):
        Insight(colour, testset.load(tmp_path, (3, 32, 32)), cache=False)


@pytest.mark.parametrize("spec", ["mnist_cnn", f"{ZOO}:Residual", f"{ZOO}:Untraceable"])
def test_silencing_equals_a_zeroing_hook(spec):
    """The probe's ablation (Sequential steps, fx and hook traces) = a torch hook zeroing."""
    loaded = weights.load(spec)
    probe = loaded.make_probe()
    x = np.random.default_rng(0).random(probe.image_shape, dtype=np.float32)
    name = next(n for n, s in probe.specs.items() if s.kind == "conv")
    c = 1
    per = int(np.prod(probe.specs[name].out_shape[1:]))
    probe.set_silenced({name: range(c * per, (c + 1) * per)})
    got = probe.run(x).probs

    def zero(_m, _i, out):
        out = out.clone()
        out[:, c] = 0
        return out
    # The reference: a separate copy of the model (no probe hooks on it), plain torch.
    ref = weights.load(spec).model.eval()
    ref.load_state_dict(loaded.model.state_dict())
    h = dict(ref.named_modules())[name].register_forward_hook(zero)
    with torch.no_grad():
        want = probe.to_probs(ref(probe.prepare_batch(x[None]))).numpy()[0]
    h.remove()
    probe.set_silenced({})
    plain = probe.run(x).probs
    assert np.array_equal(got, want)
    assert not np.array_equal(got, plain)


@pytest.mark.parametrize("spec", ["mnist_cnn", f"{ZOO}:Residual"])
def test_saliency_and_contribution_are_torch_gradients(spec):
    from vis3d.model.attribution import attribute
    loaded = weights.load(spec)
    probe = loaded.make_probe()
    x = np.random.default_rng(2).random(probe.image_shape, dtype=np.float32)
    att = attribute(probe, x)
    t = torch.from_numpy(x.copy()).reshape(1, *probe.input_shape).requires_grad_(True)
    model = loaded.model
    logits = model[:-1](t) if isinstance(model, torch.nn.Sequential) and \
        isinstance(model[-1], torch.nn.Softmax) else model(t)
    assert att.target == int(logits.argmax())
    g, = torch.autograd.grad(logits[0, att.target], t)
    assert np.allclose(att.saliency, g[0].reshape(x.shape).numpy(), rtol=1e-4, atol=1e-6)
    # The last hidden layer's contributions sum to the logit minus the bias (linear head).
    if spec == "mnist_cnn":
        w_b = model.fc3.bias.detach().numpy()[att.target]
        assert att.contribution["relu4"].sum() == pytest.approx(att.logits[att.target] - w_b, rel=1e-4)


def test_session_colour_modes_and_ablation(shipped_only):
    from vis3d.model.insight import Insight
    from vis3d.scene.session import Session
    loaded = weights.load("mnist_cnn")
    s = Session(loaded)
    ts = testset.shipped()
    s.set_input(ts.image(0))
    seen = []
    s.events.colour_mode.connect(seen.append)
    with pytest.raises(Exception, match="test-set averages"):
        s.colour_mode = "difference"
    s.colour_mode = "contribution"
    contrib = s.values.copy()
    assert s.diverging and s.attribution is not None
    s.set_stats(Insight(loaded, ts).stats())
    s.colour_mode = "average:3"
    avg = s.values.copy()
    s.colour_mode = "difference"
    diff = s.values.copy()
    s.colour_mode = "activation"
    assert s.attribution is None       # no gradients on the tick unless asked for
    act = s.values.copy()
    assert seen == ["contribution", "average:3", "difference", "activation"]
    for a, b in [(act, avg), (act, diff), (act, contrib), (avg, diff), (diff, contrib)]:
        assert np.abs(a - b).mean() > 0.02
    with pytest.raises(Exception, match="average:K"):
        s.colour_mode = "average:12"
    silenced = []
    s.events.silenced.connect(silenced.append)
    before = s.prediction.probs.copy()
    a, b = sorted(int(v) for v in np.argsort(s.acts["relu4"].values)[-2:])   # lively units
    s.silence_spec(f"fc2:{a},fc2:{b}")
    assert len(s.silenced) == 2 and s.silenced_layers() == {"relu4": [a, b]}
    assert s.acts["relu4"].values[[a, b]].tolist() == [0.0, 0.0]
    assert not np.array_equal(s.prediction.probs, before)
    s.restore_all()
    assert np.array_equal(s.prediction.probs, before) and silenced[-1] == frozenset()


def test_snapshot_colour_modes_differ(shipped_only, tmp_path):
    outs = {}
    for mode in ("activation", "contribution", "average:7", "difference"):
        out = tmp_path / f"{mode.replace(':', '_')}.png"
        assert cli_main(["snapshot", "--out", str(out), "--size", "480x320", "--colour", mode]) == 0
        outs[mode] = cv2.imread(str(out)).astype(int)
    modes = list(outs)
    for i, a in enumerate(modes):
        for b in modes[i + 1:]:
            assert np.abs(outs[a] - outs[b]).mean() > 0.5, (a, b)
    out = tmp_path / "s.png"
    assert cli_main(["snapshot", "--out", str(out), "--colour", "bogus"]) == 2
    assert cli_main(["snapshot", "--out", str(out), "--silence", "conv9:1"]) == 2
    assert cli_main(["snapshot", "--out", str(out), "--size", "480x320",
                     "--silence", "conv1:0,conv1:1"]) == 0


def test_predict_takes_the_same_silencing(capsys):
    from vis3d.inputs.files import read_image
    from vis3d.inputs.preprocess import prepare_pad
    from vis3d.scene.session import Session
    sample = str(Path(__file__).resolve().parent.parent / "assets" / "samples" / "pad_7.png")
    spec = "fc2:0,fc2:5,conv2:100"
    assert cli_main(["predict", "--json", "--silence", spec, sample]) == 0
    got = json.loads(capsys.readouterr().out)["probs"]
    s = Session(weights.load("mnist_cnn"))
    s.silence_spec(spec)
    s.set_input(prepare_pad(read_image(sample)).image)
    assert np.array_equal(np.float32(got), s.prediction.probs)
    assert cli_main(["predict", "--silence", "input:3", sample]) == 2
