import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from vis3d.model import nets, train, weights
from vis3d.errors import Vis3dError
from vis3d.paths import models_dir

BUNDLED = {"mnist_cnn": 0.990, "lenet5": 0.988}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_shipped_accuracy_on_t10k(name, mnist_test):
    torch.set_num_threads(2)
    loaded = weights.load(name)
    acc = train.evaluate(loaded.model, mnist_test.images, mnist_test.labels)
    assert acc >= BUNDLED[name]
    # The model card tells the truth about the shipped weights.
    assert abs(acc - loaded.card["test_accuracy"]) < 0.0005
    assert loaded.card["test_images"] == 10000


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_model_card_fields(name):
    card = json.loads((models_dir() / f"{name}.json").read_text())
    for key in ("arch", "architecture", "input", "training", "test_accuracy"):
        assert key in card
    assert card["training"]["epochs"] >= 1 and "seed" in card["training"]
    assert card["input"]["normalisation"]["std"] == pytest.approx(nets.MNIST_STD)


def test_round_trip_safetensors_and_pt(tmp_path):
    model = nets.build("lenet5")
    x = torch.rand(2, 1, 28, 28)
    weights.save(model.eval(), tmp_path / "m.safetensors", {"arch": "lenet5"})
    torch.save(model.state_dict(), tmp_path / "m.pt")
    for path in (tmp_path / "m.safetensors", tmp_path / "m.pt"):
        loaded = weights.load(path)
        assert loaded.card["arch"] == "lenet5"
        torch.testing.assert_close(loaded.model(x), model.eval()(x))


class _Exploit:
    def __reduce__(self):
        import os
        return (os.system, (f"touch {_Exploit.marker}",))


def test_crafted_pickle_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    _Exploit.marker = str(marker)
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        pickle.dump({"conv1.weight": _Exploit()}, fh)
    # A real torch zip-format file with the payload inside, too.
    torch.save({"x": _Exploit()}, tmp_path / "evil_zip.pt")
    for p in (path, tmp_path / "evil_zip.pt"):
        with pytest.raises(Vis3dError, match="refused"):
            weights.load(p)
    assert not marker.exists()


def test_wrong_shapes_and_missing_keys(tmp_path):
    state = nets.build("mnist_cnn").state_dict()
    bad = dict(state)
    bad["fc1.weight"] = torch.zeros(64, 100)
    torch.save(bad, tmp_path / "shape.pt")
    with pytest.raises(Vis3dError, match="fc1.weight has shape"):
        weights.load(tmp_path / "shape.pt", arch="mnist_cnn")
    missing = {k: v for k, v in state.items() if k != "fc3.bias"}
    torch.save(missing, tmp_path / "missing.pt")
    with pytest.raises(Vis3dError, match="missing fc3.bias"):
        weights.load(tmp_path / "missing.pt", arch="mnist_cnn")


def test_truncated_and_unknown_files(tmp_path):
    src = (models_dir() / "lenet5.safetensors").read_bytes()
    (tmp_path / "t.safetensors").write_bytes(src[: len(src) // 2])
    with pytest.raises(Vis3dError, match="t.safetensors"):
        weights.load(tmp_path / "t.safetensors")
    with pytest.raises(Vis3dError, match="unknown model"):
        weights.load("no_such_model")


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "vis3d", *args], capture_output=True, text=True,
                          timeout=kw.get("timeout", 120))


def test_cli_help_for_every_command():
    for args in ([], ["train"], ["data"], ["data", "download"], ["predict"], ["snapshot"], ["bench"]):
        res = _cli(*args, "--help")
        assert res.returncode == 0, res.stderr
        assert "usage: vis3d" in res.stdout


def test_cli_errors_are_one_line(tmp_path):
    res = _cli("train", "--data", str(tmp_path / "missing"), "--epochs", "1", "--out",
               str(tmp_path / "x.safetensors"))
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0 and "missing" in res.stderr
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"garbage!")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"garbage!")
    for name in ("t10k-labels-idx1-ubyte", "train-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"\0\0\x08\x01\0\0\0\0")
    res = _cli("train", "--data", str(tmp_path), "--epochs", "1", "--out", str(tmp_path / "x.safetensors"))
    assert res.returncode != 0 and "Traceback" not in res.stderr and "bad magic number" in res.stderr


@pytest.mark.slow
def test_train_reproduces_lenet5_card(mnist_dir, tmp_path):
    """`vis3d train` with the card's seed and epochs lands within 0.3 points of the card."""
    card = json.loads((models_dir() / "lenet5.json").read_text())
    out = tmp_path / "lenet5.safetensors"
    res = _cli("train", "--data", str(mnist_dir), "--arch", "lenet5",
               "--epochs", str(card["training"]["epochs"]), "--seed", str(card["training"]["seed"]),
               "--out", str(out), timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "epoch" in res.stderr and "ETA" in res.stderr
    new = json.loads(out.with_suffix(".json").read_text())
    assert abs(new["test_accuracy"] - card["test_accuracy"]) <= 0.003
    assert np.isfinite(new["test_accuracy"])


def test_broken_pt_files_give_one_clear_line(tmp_path):
    real = tmp_path / "real.pt"
    torch.save(nets.build("lenet5").state_dict(), real)
    cases = {"text.pt": b"hello world", "abc.pt": b"abc", "empty.pt": b"",
             "random.pt": np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes(),
             "cut.pt": real.read_bytes()[:5000]}
    for name, payload in cases.items():
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(Vis3dError) as err:
            weights.load(tmp_path / name)
        msg = str(err.value)
        assert name in msg and "\n" not in msg and len(msg) < 300, msg
        assert "weights_only=False" not in msg
