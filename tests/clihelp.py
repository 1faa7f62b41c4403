"""Running `vis3d predict --json` as a user would, for the accuracy tests."""

import json
import subprocess
import sys
from pathlib import Path


def predict_json(*argv: str, timeout: float = 600) -> list[dict]:
    exe = Path(sys.executable).with_name("vis3d")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "vis3d"]
    res = subprocess.run([*cmd, "predict", "--json", *argv], capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, res.stderr[-2000:]
    return [json.loads(line) for line in res.stdout.splitlines()]
