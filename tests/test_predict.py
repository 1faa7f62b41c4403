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
    assert [set(r) for r in recs] == [{"path", "frame", "digit", "label", "probs"}] * 2
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


# --- huge pictures --------------------------------------------------------------------------

def write_png(path, width, height, color_type=0, depth=8):
    """A valid all-black PNG written row by row: 20000x20000 takes ~400 KB of zlib stream."""
    import struct
    import zlib
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = bytes(1 + width * channels * depth // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data)
                     + chunk(b"IEND", b""))
    return path


MEASURE = """
import resource, subprocess, sys
res = subprocess.run([sys.executable, "-m", "vis3d", "predict", *sys.argv[1:]],
                     capture_output=True, text=True)
sys.stdout.write(res.stdout)
sys.stderr.write(res.stderr)
print("MAXRSS_MB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
sys.exit(res.returncode)
"""


def predict_with_rss(*paths):
    """Run `python -m vis3d predict` in a fresh process; (exit code, stdout, stderr, peak MB)."""
    res = subprocess.run([sys.executable, "-c", MEASURE, *map(str, paths)], capture_output=True,
                         text=True, timeout=300)
    out, _, rss = res.stdout.rpartition("MAXRSS_MB ")
    return res.returncode, out, res.stderr, float(rss)


def test_a_20000x20000_png_is_refused_in_bounded_memory(tmp_path):
    big = write_png(tmp_path / "huge.png", 20000, 20000)
    assert big.stat().st_size < 2_000_000
    code, out, err, rss = predict_with_rss(big)
    assert code != 0 and out == ""
    lines = [line for line in err.splitlines() if "huge.png" in line]
    assert lines == [f"vis3d: {big}: image too large (20000x20000 pixels; vis3d reads at most "
                     "40 megapixels)"]
    assert rss < 500, f"{rss:.0f} MB"


def test_a_big_16_bit_rgba_png_is_read_in_bounded_memory(tmp_path):
    big = write_png(tmp_path / "big16.png", 6000, 6000, color_type=6, depth=16)   # 288 MB raw
    code, out, err, rss = predict_with_rss(big)
    assert code == 0 and out.startswith(f"{big}: no digit"), err
    assert rss < 500, f"{rss:.0f} MB"


def test_opencv_is_configured_before_it_is_first_imported():
    """Every module that imports cv2 goes through vis3d.inputs first, which sets OpenCV's
    pixel limit and log levels (they are read from the environment when cv2 loads)."""
    code = """
import importlib, os, sys
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "cv2" and "OPENCV_IO_MAX_IMAGE_PIXELS" not in os.environ:
            import traceback; traceback.print_stack(); sys.exit(3)
        return None
sys.meta_path.insert(0, Watch())
mod = sys.argv[1]
importlib.import_module(mod)
if mod == "vis3d.commands.predict":
    import vis3d.commands.predict as p, argparse
    try:
        p.main(argparse.Namespace(paths=[], model="/nonexistent.safetensors"))
    except Exception:
        pass
assert "cv2" in sys.modules or mod == "vis3d.cli", mod
"""
    for mod in ("vis3d.cli", "vis3d.commands.predict", "vis3d.ui.drawpad", "vis3d.ui.input_panel",
                "vis3d.ui.camera_view", "vis3d.bench.inputs", "vis3d.inputs.camera",
                "vis3d.inputs.files", "vis3d.inputs.preprocess"):
        res = subprocess.run([sys.executable, "-c", code, mod], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        assert res.returncode == 0, (mod, res.stderr[-1500:])


# --- one pipeline for the window and predict -------------------------------------------------

def window_result(qtbot, path):
    """What the window shows for `vis3d --input PATH`: InputPanel.load_image, then its tick."""
    from vis3d.inputs.files import read_image
    from vis3d.ui.input_panel import InputPanel
    panel = InputPanel()
    qtbot.addWidget(panel)
    photo = panel.load_image(read_image(path))
    return photo if photo is not None else panel.poll()


@pytest.mark.parametrize("case", ["line", "pad", "photo", "blank"])
def test_window_and_predict_agree(qtbot, capsys, tmp_path, digits, pads, case):
    from vis3d.commands.predict import Classifier
    if case == "line":                  # a 60000x1 line: "no digit" in one, "7 (31%)" in the other
        path = tmp_path / "line.png"
        img = np.zeros((1, 60000), np.uint8)
        img[0, 100:59900] = 255
        cv2.imwrite(str(path), img)
    elif case == "photo":
        path = tmp_path / "photo.jpg"
        frame, _ = synth.camera_photo(digits[3], np.random.default_rng(1))
        cv2.imwrite(str(path), frame)
    else:
        path = pads[None] if case == "blank" else pads[4]
    code, lines, err = run(capsys, path)
    assert code == 0, err
    seen = window_result(qtbot, path)
    if seen.found:
        acts = Classifier().probe.run(seen.image)
        shown = f"{acts.prediction} ({100 * float(acts.probs[acts.prediction]):.1f}%)"
    else:
        shown = f"no digit ({seen.reason})"
    assert lines == [f"{path}: {shown}"]
    if case == "line":
        assert lines == [f"{path}: no digit (not a digit picture (60000x1 pixels))"]


# --- wording ------------------------------------------------------------------------------------

def test_symlink_loop_and_broken_symlink_are_named(capsys, tmp_path):
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    (tmp_path / "gone.png").symlink_to(tmp_path / "nowhere.png")
    code, lines, err = run(capsys, tmp_path / "a.png", tmp_path / "gone.png")
    assert code == 1 and lines == []
    assert f"vis3d: {tmp_path / 'a.png'}: symlink loop\n" in err
    assert f"vis3d: {tmp_path / 'gone.png'}: broken symlink (to {tmp_path / 'nowhere.png'})" in err
    from vis3d.inputs.devices import open_error
    assert open_error(str(tmp_path / "a.png")).endswith("a.png: symlink loop")


def test_svg_gives_one_line_without_opencv_logging(tmp_path):
    svg = tmp_path / "x.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    res = subprocess.run([sys.executable, "-m", "vis3d", "predict", str(svg)], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.splitlines() == [f"vis3d: {svg}: not a readable image or video",
                                       "vis3d: 1 input(s) could not be read"]


def test_decoder_chatter_stays_off_the_terminal(tmp_path):
    """A clip cut after its first frame loops through FFmpeg's "[mjpeg @ ...] overread"
    complaint every frame; none of it may reach stdout (it would corrupt --json) or stderr."""
    clip = tmp_path / "clip.avi"
    wr = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    for k in range(20):
        wr.write(np.random.default_rng(k).integers(0, 255, (240, 320, 3), dtype=np.uint8))
    wr.release()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(clip.read_bytes()[:12000])
    code = ("import sys, time; from vis3d.inputs.camera import CameraSource\n"
            "cam = CameraSource(sys.argv[1]); cam.start(); time.sleep(1.0); cam.stop()\n"
            "print('frames', cam.latest()[0])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCV_")}
    res = subprocess.run([sys.executable, "-c", code, str(cut)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("frames ") and res.stdout.count("\n") == 1, res.stdout[:300]
    assert res.stderr == ""
    res = subprocess.run([sys.executable, "-m", "vis3d", "predict", "--json", str(cut)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert all(line.startswith("{") for line in res.stdout.splitlines()), res.stdout[:300]
    assert "overread" not in res.stderr


def test_a_reader_that_leaves_early_ends_predict_quietly(tmp_path):
    """``vis3d predict DIR | head -1``: once the reader has gone, predict stops with status
    0 and not a word on stderr (no traceback, no flush error at exit)."""
    img = np.zeros((28, 28), np.uint8)
    for k in range(400):   # ~100 kB of --json lines: more than a pipe holds
        cv2.imwrite(str(tmp_path / f"{k:03d}.png"), img)
    proc = subprocess.Popen([sys.executable, "-m", "vis3d", "predict", "--json", "--source",
                             "raw", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and err == "", err
    assert json.loads(first)["path"].endswith("000.png")
