"""The bundled residual net, mnist_resnet: structure, shipped weights, predict, probe."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from vis3d.errors import Vis3dError
from vis3d.model import nets, weights
from vis3d.model.probe import Probe
from vis3d.paths import models_dir

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"


def test_card_accuracy_and_architecture():
    card = json.loads((models_dir() / "mnist_resnet.json").read_text())
    assert card["arch"] == "mnist_resnet"
    assert card["test_accuracy"] >= 0.993 and card["test_images"] == 10000
    assert "mnist_resnet" in weights.bundled_models()
    model = nets.build("mnist_resnet")
    blocks = [m for m in model.modules() if isinstance(m, nets.ResBlock)]
    assert len(blocks) == 3
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 8
    assert [name for name, _ in blocks[1].named_children()] == \
        ["conv1", "bn1", "relu1", "conv2", "bn2", "down", "relu2"]


def test_block_adds_its_input():
    """With the residual branch silenced, an identity block passes relu(x) through."""
    block = nets.ResBlock(4, 4).eval()
    with torch.no_grad():
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()
    x = torch.randn(2, 4, 6, 6)
    torch.testing.assert_close(block(x), torch.relu(x))
    down = nets.ResBlock(4, 8, stride=2).eval()
    assert down(x).shape == (2, 8, 3, 3)


def test_predict_names_every_bundled_sample():
    # the pad drawings and camera photos (named by their digit); the webcam frames beside them
    # are the bench's, some with no digit
    paths = sorted(SAMPLES.glob("pad_*.png")) + sorted(SAMPLES.glob("camera_*.jpg"))
    assert len(paths) == 12
    res = subprocess.run([sys.executable, "-m", "vis3d", "predict", "--model", "mnist_resnet",
                          "--json", *map(str, paths)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["digit"] for r in rows] == [int(p.stem[-1]) for p in paths]
    assert min(max(r["probs"]) for r in rows) > 0.8


def test_probe_follows_the_blocks(sample_digit):
    """The probe's hook path sees every leaf layer inside the blocks, and its
    probabilities are the model's."""
    loaded = weights.load("mnist_resnet")
    probe = Probe(loaded.model)
    acts = probe.run(sample_digit(3))
    names = [layer.name for layer in acts.layers]
    assert names[:4] == ["conv1", "bn1", "relu1", "pool"]
    assert "block2.down.conv" in names and names[-1] == "softmax"
    assert acts["block3.relu2"].shape == (32, 7, 7)
    x = torch.from_numpy(sample_digit(3)).view(1, 1, 28, 28)
    with torch.no_grad():
        probs = loaded.model(x)[0].numpy()
    np.testing.assert_allclose(acts.probs, probs, atol=1e-6)
    assert acts.prediction == 3


def test_int64_is_only_accepted_as_batchnorm_step_counter(tmp_path):
    state = {k: v.clone() for k, v in nets.build("mnist_resnet").state_dict().items()}
    assert state["bn1.num_batches_tracked"].dtype == torch.int64
    save_file(state, str(tmp_path / "ok.safetensors"))
    assert weights.load(tmp_path / "ok.safetensors").card["arch"] == "mnist_resnet"
    state["fc.weight"] = state["fc.weight"].to(torch.int64)
    path = tmp_path / "bad.safetensors"
    save_file(state, str(path))
    with pytest.raises(Vis3dError, match="tensor fc.weight has dtype int64"):
        weights.load(path)
