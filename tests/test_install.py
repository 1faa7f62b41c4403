"""A non-editable install carries the shaders, models and sample digits with the package."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_install_finds_resources_from_another_directory(tmp_path):
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                          "--no-build-isolation", "--target", str(target), str(ROOT)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    env = dict(os.environ, PYTHONPATH=str(target))
    code = ("import vis3d, vis3d.paths as p, vis3d.model.weights as w;"
            "print(vis3d.__file__);"
            "print(sorted(x.name for x in p.shaders_dir().iterdir()));"
            "print(w.bundled_models());"
            "print(len(list((p.assets_dir() / 'samples').glob('pad_*.png'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(target))
    assert "nodes.vert" in lines[1] and "nodes.frag" in lines[1] and "edges.vert" in lines[1]
    assert "maps.vert" in lines[1] and "maps.frag" in lines[1]
    assert lines[2] == "['lenet5', 'mnist_cnn', 'mnist_resnet']"
    assert int(lines[3]) == 10
    helped = subprocess.run([sys.executable, "-m", "vis3d", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "usage: vis3d" in helped.stdout
