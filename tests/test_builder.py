"""Build and train: the shared Trainer, `vis3d train --arch SPEC`, Session.load_weights,
and the builder dock in the real window (pytest-qt)."""

import json
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from PyQt5.QtCore import QSettings, Qt

from vis3d.model import data, spec, weights
from vis3d.model.trainer import Settings, Trainer
from vis3d.scene.session import Session

SMALL = "conv 16 k3 | relu | maxpool 2 | conv 32 k3 | relu | maxpool 2 | flatten | fc 10 | softmax"


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "vis3d", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def splits(mnist_dir):
    return data.load_split(mnist_dir, "train"), data.load_split(mnist_dir, "test")


# --- the session takes new weights in place ------------------------------------------------

def test_load_weights_reruns_the_input_and_keeps_the_layout(sample_digit):
    torch.manual_seed(0)
    session = Session(weights.LoadedModel("d", spec.build(SMALL).eval(), {"spec": SMALL}, None))
    session.set_input(sample_digit(3))
    layout, before = session.layout, session.normaliser.raw.copy()
    slab = session.layout.slab("fc1")
    session.pinned = slab.offset + 3
    seen = []
    for sig in session.events:
        sig.connect(lambda v, n=sig.name: seen.append(n))
    torch.manual_seed(1)
    other = spec.build(SMALL).state_dict()
    session.load_weights(other)
    assert session.layout is layout and "model" not in seen
    assert seen.count("result") == 1 and "edges" in seen
    assert np.abs(session.normaliser.raw - before).max() > 0.01
    # The edges read the new weights: the pinned fc node's weight row is the new one.
    inc = session.incoming(session.pinned)
    np.testing.assert_allclose(np.sort(inc.weights), np.sort(other["fc1.weight"][3].numpy()), rtol=1e-6)
    with pytest.raises(RuntimeError):
        session.load_weights(spec.build("conv 4 k3 | flatten | fc 10").state_dict())


# --- the trainer -----------------------------------------------------------------------------

def test_trainer_pauses_and_stops_from_another_thread(splits):
    train, test = splits
    trainer = Trainer("conv 4 k3 | relu | maxpool 2 | flatten | fc 10", train, test,
                      Settings(epochs=3, batch_size=256))
    steps, published = [], []
    result = {}

    def progress(p):
        steps.append(p.step)
        if len(steps) == 5:
            trainer.pause()
            threading.Timer(0.3, lambda: (result.setdefault("paused_at", len(steps)), trainer.stop())).start()

    t = threading.Thread(target=lambda: result.setdefault("out", trainer.run(progress, published.append, 0.0)))
    t.start()
    t.join(30)
    assert not t.is_alive()
    assert result["out"].status == "stopped" and result["paused_at"] == 5 and len(steps) == 5
    assert len(published) == 5 and set(published[0]) == set(trainer.model.state_dict())


def test_cli_trains_a_spec_reaches_97_and_card_has_history_and_confusion(mnist_dir, tmp_path):
    out = tmp_path / "small.safetensors"
    res = _cli("train", "--data", str(mnist_dir), "--arch", SMALL, "--epochs", "2", "--out", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["spec"] == SMALL and "arch" not in card
    assert f"architecture: {SMALL}" in res.stderr        # said back in its canonical form
    assert card["test_accuracy"] >= 0.97          # measured 0.9783
    assert [h["epoch"] for h in card["history"]] == [1, 2]
    assert card["history"][-1]["test_accuracy"] == pytest.approx(card["test_accuracy"], abs=1e-4)
    assert card["history"][1]["loss"] < card["history"][0]["loss"]
    conf = np.array(card["confusion"])
    assert conf.shape == (10, 10) and conf.sum() == 10000
    assert np.trace(conf) / 10000 == pytest.approx(card["test_accuracy"], abs=1e-4)
    # It opens without any code: predict rebuilds it from the card.
    from vis3d.paths import assets_dir
    res = _cli("predict", "--json", "--model", str(out), str(assets_dir() / "samples" / "pad_7.png"))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["digit"] == 7


def test_cli_bad_spec_is_one_line_naming_the_token(tmp_path):
    res = _cli("train", "--arch", "conv 16 k3 | relu | pool 2 | flatten | fc 10",
               "--out", str(tmp_path / "x.safetensors"), timeout=60)
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "layer 3 'pool 2': unknown layer 'pool'" in res.stderr
    assert not list(tmp_path.iterdir())


# --- the window --------------------------------------------------------------------------

@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv("VIS3D_MNIST", str(mnist_dir))
    monkeypatch.setenv("VIS3D_MODELS", str(tmp_path / "models"))
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=QSettings(str(tmp_path / "vis3d.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.builder.raise_()
    yield win
    win.close()


def _rows(b):
    return [b.table.topLevelItem(i).text(1) for i in range(b.table.topLevelItemCount())]


def test_edit_a_preset_train_one_epoch_stop_and_save(window, qtbot, tmp_path):
    b, s = window.builder, window.session
    b.preset.setCurrentText("lenet5")
    b.preset.activated.emit(b.preset.currentIndex())
    assert s.name == "design" and s.layout.slab("conv1").shape == (6, 28, 28)
    # Edit the first layer through the widgets: select it, type, Enter.
    b.table.setCurrentItem(b.table.topLevelItem(0))
    b.edit.clear()
    qtbot.keyClicks(b.edit, "conv 8 k5 p2")
    qtbot.keyClick(b.edit, Qt.Key_Return)
    assert _rows(b)[0] == "conv 8 k5 p2" and b.table.topLevelItem(0).text(2) == "8x28x28"
    assert s.layout.slab("conv1").shape == (8, 28, 28)          # the scene follows at once
    assert "parameters" in b.summary.text() and "nodes" in b.summary.text()
    # An impossible design: the row is marked, the reason given, the scene keeps the last good one.
    count = s.layout.count
    b.table.setCurrentItem(b.table.topLevelItem(3))
    b.edit.setText("conv 16 k29")
    qtbot.keyClick(b.edit, Qt.Key_Return)
    assert b.spec is None and "layer 4 'conv 16 k29'" in b.summary.text()
    assert s.layout.count == count and not b.btn_train.isEnabled()
    b.edit.setText("conv 16 k5")
    qtbot.keyClick(b.edit, Qt.Key_Return)
    assert b.spec is not None and b.btn_train.isEnabled()
    # Train one epoch; the scene's activations change while it trains.
    from vis3d.paths import assets_dir
    window.show_image_file(str(assets_dir() / "samples" / "pad_7.png"))
    b.epochs.setValue(1)
    snapshots = []
    s.events.result.connect(lambda sess: snapshots.append(sess.normaliser.raw.copy()))
    qtbot.mouseClick(b.btn_train, Qt.LeftButton)
    assert b.thread is not None and not b.table.isEnabled() and not b.btn_save.isEnabled()
    qtbot.waitUntil(lambda: b.thread is None, timeout=120_000)
    assert b.outcome.status == "finished" and b.publishes >= 3
    during = [x for x in snapshots[1:-1]]
    assert len(during) >= 2
    assert max(float(np.abs(a - z).max()) for a, z in zip(during, during[1:])) > 1e-3
    assert b.outcome.test_accuracy >= 0.9 and np.array(b.confusion.matrix).sum() == 10000
    assert b.curves.test and b.curves.loss
    # Save: the file and its card appear, and the model is in the list and in use.
    b.name.setText("my net")
    qtbot.mouseClick(b.btn_save, Qt.LeftButton)
    saved = tmp_path / "models" / "my_net.safetensors"
    assert saved.is_file() and saved.with_suffix(".json").is_file()
    box = window.actions["model_box"]
    assert box.findText("my_net") >= 0 and s.name == "my_net"
    assert json.loads(saved.with_suffix(".json").read_text())["spec"] == b.spec.text()
    # Another model and back through the list: the saved one is found by name.
    window.set_model("mnist_cnn")
    assert window.set_model("my_net") and s.layout.slab("conv1").shape == (8, 28, 28)
    # Stop: the training ends early and nothing is written.
    b.epochs.setValue(5)
    qtbot.mouseClick(b.btn_train, Qt.LeftButton)
    qtbot.waitUntil(lambda: b.publishes >= 2, timeout=60_000)
    qtbot.mouseClick(b.btn_pause, Qt.LeftButton)
    assert b.trainer.paused and b.btn_pause.text() == "Resume"
    qtbot.mouseClick(b.btn_stop, Qt.LeftButton)
    qtbot.waitUntil(lambda: b.thread is None, timeout=30_000)
    assert b.outcome.status == "stopped" and not b.btn_save.isEnabled()
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["my_net.json",
                                                                        "my_net.safetensors"]


def test_without_data_the_train_button_says_where_and_how(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("VIS3D_MNIST", str(tmp_path / "nothing"))
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    win = MainWindow(settings=QSettings(str(tmp_path / "vis3d.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    b = win.builder
    assert not b.btn_train.isEnabled()
    for text in (b.btn_train.toolTip(), b.status.text()):
        assert str(tmp_path / "nothing") in text and "vis3d data download" in text
    win.close()


def test_train_accepts_every_bundled_architecture_name(tmp_path):
    """mnist_resnet has skips, so no sequential spec: `--arch mnist_resnet` still trains."""
    import numpy as np

    from vis3d.model import nets
    from vis3d.model.data import Split
    from vis3d.model.trainer import Settings, Trainer
    rng = np.random.default_rng(0)
    split = Split(rng.integers(0, 255, (64, 28, 28), dtype=np.uint8), rng.integers(0, 10, 64))
    for arch in nets.ARCHITECTURES:
        t = Trainer(arch, split, split, Settings(1, 0.003, 32, 0))
        assert t.arch == arch and t.model is not None
        t.step()
