"""`vis3d snapshot`, `vis3d bench` and the window command, as a user runs them."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.gl


def vis3d(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "vis3d", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_snapshot_size_content_and_hover(tmp_path):
    plain, hover = tmp_path / "plain.png", tmp_path / "hover.png"
    res = vis3d("snapshot", "--out", str(plain), "--size", "640x400")
    assert res.returncode == 0, res.stderr
    res = vis3d("snapshot", "--out", str(hover), "--size", "640x400", "--hover", "fc1:3")
    assert res.returncode == 0, res.stderr
    a, b = cv2.imread(str(plain)), cv2.imread(str(hover))
    assert a.shape == (400, 640, 3) and b.shape == (400, 640, 3)
    bg = a[2, 2].astype(int)
    assert (np.abs(a.astype(int) - bg).sum(-1) > 30).mean() > 0.05   # the net is drawn
    assert (np.abs(a.astype(int) - b.astype(int)).sum(-1) > 30).mean() > 0.005  # edges


def test_snapshot_view_angle_and_model(tmp_path):
    outs = []
    for az in ("-40", "60"):
        out = tmp_path / f"az{az}.png"
        res = vis3d("snapshot", "--out", str(out), "--size", "320x200", "--model", "lenet5",
                    "--azimuth", az, "--elevation", "20", "--hover", "3:10")
        assert res.returncode == 0, res.stderr
        outs.append(cv2.imread(str(out)).astype(int))
    assert np.abs(outs[0] - outs[1]).mean() > 2


@pytest.mark.parametrize("args, message", [
    (["--hover", "fc9:1"], "no layer 'fc9'"),
    (["--hover", "fc1:9999"], "has nodes 0..63"),
    (["--hover", "fc1"], "LAYER:INDEX"),
    (["--size", "big"], "--size"),
    (["--input", "/nonexistent.png"], "nonexistent.png"),
    (["--model", "nope"], "unknown model"),
    (["--elevation", "95"], "--elevation must be between -90 and 90"),
])
def test_snapshot_errors(tmp_path, args, message):
    res = vis3d("snapshot", "--out", str(tmp_path / "x.png"), "--size", "320x200", *args)
    assert res.returncode == 2
    assert message in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.png").exists()


def _no_gl_env():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["EGL_PLATFORM"] = "no-such-platform"
    env.pop("QT_QPA_PLATFORM", None)
    return env


def test_no_opengl_context_is_one_clear_line(tmp_path):
    env = _no_gl_env()
    res = vis3d("snapshot", "--out", str(tmp_path / "x.png"), env=env)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    ours = [line for line in res.stderr.splitlines() if not line.startswith("libEGL")]
    assert len(ours) == 1 and ours[0].startswith("vis3d: error: no OpenGL context")
    res = vis3d(env=env)
    assert res.returncode == 2 and "no display" in res.stderr and "xvfb-run" in res.stderr


def test_bench_json_has_every_key_positive():
    res = vis3d("bench", "--json", "--repeat", "20", timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(res.stdout.strip().splitlines()[-1])
    keys = ["nodes", "forward_ms", "tick_ms", "frame_ms", "empty_frame_ms", "markers_frame_ms",
            "pick_ms", "hover_edges_ms", "hover_frame_ms", "nodes_100k_frame_ms",
            "markers_100k_frame_ms", "pad_ms", "camera_ms", "camera_720p_ms", "camera_1080p_ms"]
    for key in keys:
        assert isinstance(data[key], (int, float)) and data[key] > 0, key
    assert data["nodes"] == 34778


def _probs(*args):
    """``vis3d ARGS --json IMAGE``: the probabilities printed for one pad digit."""
    image = os.path.join(os.path.dirname(__file__), "fixtures", "pad", "004_4.png")
    res = vis3d(*args, "--json", image)
    assert res.returncode == 0, res.stderr
    return np.array(json.loads(res.stdout)["probs"])


def test_top_level_model_reaches_the_subcommand():
    top = _probs("--model", "lenet5", "predict")
    own = _probs("predict", "--model", "lenet5")
    default = _probs("predict")
    override = _probs("--model", "lenet5", "predict", "--model", "mnist_cnn")
    np.testing.assert_array_equal(top, own)            # really lenet5's probabilities
    assert np.abs(top - default).max() > 1e-4           # ... which differ from mnist_cnn's
    np.testing.assert_array_equal(override, default)    # the subcommand's own --model wins


def test_bench_prints_an_aligned_table_and_json_on_request():
    res = vis3d("--model", "lenet5", "bench", "--repeat", "6", timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.strip().splitlines()
    with pytest.raises(ValueError):
        json.loads(res.stdout)
    names = [line.split()[0] for line in lines]
    column = {len(line) - len(line[len(name):].lstrip()) for line, name in zip(lines, names)}
    assert len(column) == 1, lines  # every value starts in the same column
    rows = dict(line.split(None, 1) for line in lines)
    assert rows["model"] == "lenet5" and float(rows["frame_ms"]) > 0 and int(rows["nodes"]) > 0
    res = vis3d("bench", "--json", "--repeat", "6", timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(res.stdout)
    assert set(data) == set(rows) and data["model"] == "mnist_cnn"


def test_bench_scale_and_latency_exclude_each_other():
    res = vis3d("bench", "--scale", "--latency")
    assert res.returncode == 2 and res.stdout == ""
    assert "vis3d bench: error: argument --latency: not allowed with argument --scale" in res.stderr


def test_weights_for_a_bundled_name_say_how_to_load_trained_weights(tmp_path):
    res = vis3d("--model", "mnist_cnn", "--weights", str(tmp_path / "w.safetensors"), "predict",
                "assets/samples/pad_1.png")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "file.py:Name" in res.stderr and "--model W.safetensors" in res.stderr


def test_the_cli_module_runs_as_a_program_too():
    res = subprocess.run([sys.executable, "-m", "vis3d.cli", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "usage: vis3d" in res.stdout and "bench" in res.stdout
