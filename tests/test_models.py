import json
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from vis3d.model import nets, train, weights
from vis3d.errors import Vis3dError
from vis3d.paths import models_dir

BUNDLED = {"mnist_cnn": 0.990, "lenet5": 0.988, "mnist_resnet": 0.993}


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
    # Weights are as readable as the card beside them (safetensors writes owner-only).
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == (tmp_path / "m.json").stat().st_mode & 0o777
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


# --- weights and cards that must be refused before loading ---------------------------------

def _lenet_state():
    return {k: v.clone() for k, v in nets.build("lenet5").state_dict().items()}


@pytest.mark.parametrize("dtype, name", [(torch.int8, "int8"), (torch.bool, "bool"),
                                         (torch.complex64, "complex64")])
@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_non_float_tensors_are_refused(tmp_path, dtype, name, suffix):
    state = _lenet_state()
    state["fc2.weight"] = state["fc2.weight"].to(dtype)
    path = tmp_path / f"m{suffix}"
    if suffix == ".pt":
        torch.save(state, path)
    else:
        save_file(state, str(path))
    with pytest.raises(Vis3dError) as err:
        weights.load(path)
    assert str(err.value) == (f"{path}: tensor fc2.weight has dtype {name} (weights must be "
                              f"floating point: float16, bfloat16, float32 or float64)")


def test_half_precision_weights_still_load(tmp_path):
    state = {k: v.to(torch.bfloat16) for k, v in _lenet_state().items()}
    save_file(state, str(tmp_path / "half.safetensors"))
    loaded = weights.load(tmp_path / "half.safetensors")
    assert loaded.card["arch"] == "lenet5"
    assert next(loaded.model.parameters()).dtype == torch.float32


@pytest.mark.parametrize("bad, words", [(float("nan"), "1 NaN value"),
                                        (float("inf"), "1 infinite value")])
@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_non_finite_weights_are_refused(tmp_path, bad, words, suffix):
    state = _lenet_state()
    state["conv2.bias"][3] = bad
    path = tmp_path / f"m{suffix}"
    torch.save(state, path) if suffix == ".pt" else save_file(state, str(path))
    with pytest.raises(Vis3dError) as err:
        weights.load(path)
    assert str(err.value) == f"{path}: tensor conv2.bias has {words} (weights must be finite numbers)"


def test_predict_refuses_nan_weights_instead_of_printing_nan(tmp_path):
    state = _lenet_state()
    state["fc3.weight"][:] = float("nan")
    path = tmp_path / "nan.safetensors"
    save_file(state, str(path))
    image = Path(__file__).parent / "fixtures" / "pad" / "001_1.png"
    res = _cli("predict", "--model", str(path), "--json", str(image))
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip() == (f"vis3d: error: {path}: tensor fc3.weight has 840 NaN values "
                                  f"(weights must be finite numbers)")


@pytest.mark.parametrize("card, message", [
    ('{"arch": ["lenet5"]}', "field 'arch' must be a string, not [\"lenet5\"]"),
    ('{"arch": "resnet"}', "field 'arch' is 'resnet', not a known architecture"),
    ('{"test_accuracy": "high"}', "field 'test_accuracy' must be a number, not \"high\""),
    ('{"test_accuracy": NaN}', "field 'test_accuracy' must be a fraction 0..1, not nan"),
    ('{"training": 3}', "field 'training' must be an object, not 3"),
    ('["lenet5"]', "model card must be a JSON object, not list"),
    ('{"arch": ', "model card is not valid JSON"),
])
def test_bad_model_cards_name_card_and_field(tmp_path, card, message):
    path = tmp_path / "m.safetensors"
    save_file(_lenet_state(), str(path))
    (tmp_path / "m.json").write_text(card)
    with pytest.raises(Vis3dError) as err:
        weights.load(path)
    assert str(err.value).startswith(f"{tmp_path / 'm.json'}: ") and message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("payload, what", [
    (b"import torch\nprint('hi')\n", "it is text"),
    (b"{}", "it is text"),
    (bytes([0x00, 0xFF, 0x10, 0x20]) * 64, "it is unrecognised binary data starting 00ff1020"),
])
def test_pt_that_is_not_pytorch_says_what_it_is(tmp_path, payload, what):
    path = tmp_path / "x.pt"
    path.write_bytes(payload)
    with pytest.raises(Vis3dError) as err:
        weights.load(path)
    assert str(err.value) == f"{path}: not a PyTorch weights file ({what})"


def test_safetensors_named_pt_is_recognised(tmp_path):
    path = tmp_path / "x.pt"
    save_file(_lenet_state(), str(path))
    with pytest.raises(Vis3dError, match="it is a safetensors file: name it .safetensors"):
        weights.load(path)


def test_legacy_pickle_refused_without_torch_warning(tmp_path):
    path = tmp_path / "legacy.pt"
    with open(path, "wb") as fh:
        pickle.dump({"conv1.weight": [1.0, 2.0]}, fh, protocol=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(Vis3dError, match="legacy.pt: refused: not a plain tensor state dict"):
            weights.load(path)
    assert [str(w.message) for w in caught] == []
    res = _cli("predict", "--model", str(path), str(path))
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "refused" in res.stderr


def test_legacy_torch_format_state_dict_still_loads(tmp_path):
    model = nets.build("lenet5").eval()
    torch.save(model.state_dict(), tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    loaded = weights.load(tmp_path / "old.pt")
    x = torch.rand(1, 1, 28, 28)
    torch.testing.assert_close(loaded.model(x), model(x))


def test_random_bytes_after_a_pickle_marker_are_called_broken_not_dangerous(tmp_path):
    path = tmp_path / "noise.pt"
    path.write_bytes(b"\x80" + np.random.default_rng(0).bytes(4000))
    with pytest.raises(Vis3dError, match="noise.pt: not a readable PyTorch file"):
        weights.load(path)
