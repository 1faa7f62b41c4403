"""`vis3d predict` on image files, a directory and a video, text and JSON, and its error paths.

Most cases call the real CLI entry point in-process (``vis3d.cli.main``); one runs the
installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cv2  # noqa: E402  (a hard dependency)

from vis3d.cli import main as cli  # noqa: E402

import synth  # noqa: E402


@pytest.fixture(scope="module")
def digits(mnist_test):
    """One test image per digit 0..9 (the first of each class)."""
    return {d: mnist_test.images[np.flatnonzero(mnist_test.labels == d)[0]] for d in range(10)}


@pytest.fixture
def pads(tmp_path, digits):
    """pad-style PNGs for 1, 4, 7 and a blank pad."""
    rng = np.random.default_rng(0)
    files = {}
    for d in (1, 4, 7):
        files[d] = tmp_path / f"pad_{d}.png"
        cv2.imwrite(str(files[d]), synth.pad_drawing(digits[d], rng, extent=(0.7, 0.7), rotate=0))
    files[None] = tmp_path / "blank.png"
    cv2.imwrite(str(files[None]), np.zeros((280, 280), np.uint8))
    return files


def run(capsys, *argv):
    code = cli(["predict", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_images_text(capsys, pads):
    code, lines, err = run(capsys, pads[7], pads[1], pads[None])
    assert code == 0 and err == ""
    assert len(lines) == 3
    assert lines[0].startswith(f"{pads[7]}: 7 (")
    assert lines[1].startswith(f"{pads[1]}: 1 (")
    assert lines[2] == f"{pads[None]}: no digit (blank pad)"


def test_images_json(capsys, pads):
    code, lines, _ = run(capsys, "--json", pads[4], pads[None])
    assert code == 0
    recs = [json.loads(line) for line in lines]
    assert [set(r) for r in recs] == [{"path", "frame", "digit", "probs"}] * 2
    assert recs[0]["path"] == str(pads[4]) and recs[0]["frame"] is None
    assert recs[0]["digit"] == 4
    probs = np.array(recs[0]["probs"])
    assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-3 and probs.argmax() == 4
    assert recs[1]["digit"] is None and recs[1]["probs"] is None


def test_directory_sorted_and_non_images_skipped(capsys, tmp_path, digits):
    folder = tmp_path / "dir"
    folder.mkdir()
    order = [3, 0, 8, 5]
    for i, d in enumerate(order):          # names sort in this order: a_3, b_0, c_8, d_5
        cv2.imwrite(str(folder / f"{'abcd'[i]}_{d}.png"), digits[d])
    (folder / "notes.txt").write_text("not an image")
    (folder / ".hidden.png").write_bytes(b"x")
    code, lines, err = run(capsys, "--json", "--source", "pad", folder)
    assert code == 0 and err == ""
    recs = [json.loads(line) for line in lines]
    assert [Path(r["path"]).name for r in recs] == ["a_3.png", "b_0.png", "c_8.png", "d_5.png"]
    assert [r["digit"] for r in recs] == order


def _write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> None:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(f if f.ndim == 3 else cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()


def test_video_every_frame(capsys, tmp_path, digits):
    rng = np.random.default_rng(1)
    cam = [synth.camera_photo(digits[d], rng)[0] for d in (2, 6)]
    blank = synth.camera_photo(np.zeros((28, 28), np.uint8), rng)[0]
    frames = [cam[0], cam[0], blank, cam[1]]
    video = tmp_path / "clip.avi"
    _write_video(video, frames)
    code, lines, _ = run(capsys, "--json", video)
    assert code == 0
    recs = [json.loads(line) for line in lines]
    assert [r["frame"] for r in recs] == [0, 1, 2, 3]
    assert all(r["path"] == str(video) for r in recs)
    assert [r["digit"] for r in recs] == [2, 2, None, 6]
    code, lines, _ = run(capsys, "--source", "camera", video)
    assert code == 0 and lines[3].startswith(f"{video} [frame 3]: 6 (")
    assert lines[2].startswith(f"{video} [frame 2]: no digit (")


def test_raw_source(capsys, tmp_path, digits):
    path = tmp_path / "raw9.png"
    cv2.imwrite(str(path), digits[9])
    code, lines, _ = run(capsys, "--json", "--source", "raw", path)
    assert code == 0 and json.loads(lines[0])["digit"] == 9
    big = tmp_path / "big.png"
    cv2.imwrite(str(big), np.zeros((64, 64), np.uint8))
    code, lines, err = run(capsys, "--source", "raw", big)
    assert code == 1 and not lines and "--source raw needs a 28x28 image, not 64x64" in err


def test_mixed_good_and_bad_inputs(capsys, tmp_path, pads):
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG but not really")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    not_video = tmp_path / "broken.avi"
    not_video.write_bytes(os.urandom(2000))
    missing = tmp_path / "missing.png"
    code, lines, err = run(capsys, pads[7], garbage, missing, empty, not_video, pads[1])
    assert code == 1
    assert len(lines) == 2                       # the good ones are still classified
    assert lines[0].startswith(f"{pads[7]}: 7") and lines[1].startswith(f"{pads[1]}: 1")
    for bad in (garbage, missing, empty, not_video):
        assert str(bad) in err
    assert "4 input(s) could not be read" in err
    assert "Traceback" not in err


def test_empty_directory_and_all_missing(capsys, tmp_path):
    folder = tmp_path / "nothing"
    folder.mkdir()
    code, lines, err = run(capsys, folder, tmp_path / "nope.png")
    assert code == 1 and lines == []
    assert "no image or video files" in err and "nope.png: no such file" in err


def test_bad_model_is_a_one_line_error(capsys, pads, tmp_path):
    code, lines, err = run(capsys, "--model", tmp_path / "nothing.safetensors", pads[1])
    assert code == 2 and lines == []
    assert err.startswith("vis3d: error:") and err.count("\n") == 1


def test_console_script_with_other_model(tmp_path, pads):
    exe = Path(sys.executable).with_name("vis3d")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "vis3d"]
    res = subprocess.run([*cmd, "predict", "--model", "lenet5", "--json", str(pads[7]),
                          str(pads[4])], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert [json.loads(line)["digit"] for line in res.stdout.splitlines()] == [7, 4]
