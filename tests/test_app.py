"""The `vis3d` window process as a user starts it: startup errors, signals, displays."""

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.gl


def start(args, tmp_path, **env):
    e = dict(os.environ, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path), **env)
    return subprocess.Popen([sys.executable, "-m", "vis3d", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=e)


def _idle(proc, seconds=60.0):
    # The window is up once the process has used its start-up CPU and sits in the loop:
    # poll /proc for the state and a quiet CPU counter.
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        if last is not None and ticks - last <= 2:
            return True
        last = ticks
        time.sleep(1.0)
    return False


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_quit_cleanly_within_a_second(tmp_path, sig, code):
    proc = start([], tmp_path)
    try:
        assert _idle(proc), proc.stderr.read() if proc.poll() is not None else "window never idled"
        t0 = time.monotonic()
        proc.send_signal(sig)
        rc = proc.wait(timeout=10)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read()
    assert rc == code, err
    assert took < 1.0, f"quit took {took:.2f} s"
    assert "Traceback" not in err and "Aborted" not in err


def test_startup_problems_go_to_stderr_and_set_the_exit_status(tmp_path):
    missing = tmp_path / "nope.png"
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x00" * 64)
    proc = start(["--input", str(missing), "--model", str(broken)], tmp_path)
    try:
        assert _idle(proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read()
    lines = [ln for ln in err.splitlines() if ln.startswith("vis3d: error:")]
    assert any("nope.png" in ln for ln in lines), err
    assert any("broken.safetensors" in ln for ln in lines), err


def test_unreachable_display_is_one_line(tmp_path):
    proc = start([], tmp_path, DISPLAY=":97")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().count("\n") == 0 and "cannot open display :97" in err, err


def test_soak_bench_runs_the_camera_and_closes_fast(tmp_path):
    proc = start(["bench", "--soak", "6", "--json"], tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    import json
    res = json.loads(out)
    assert res["network_runs"] > 20            # the clip really drove the network
    assert res["rss_growth_pct"] < 5.0
    assert res["close_with_camera_ms"] < 1000.0
