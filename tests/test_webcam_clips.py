"""Real webcams through the webcam's code path (tests/synth_webcam.py frames as MJPG clips).

* MJPG clips of each kind at 640x480, 1280x720 and 1920x1080 read by CameraSource (the code
  path of a webcam) into the input panel and the session's steadier, into the real window's
  prediction panel, and through `vis3d predict`;
* the camera page's controls: the device list (with a refresh), resolution, mirror, stages.
The pipeline's accuracy on these kinds is measured in tests/test_webcam.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

import synth_webcam as sw
from clihelp import predict_json
from qthelp import shown

WIDTH = {480: 640, 720: 1280, 1080: 1920}


# --- clips through the webcam's code path ------------------------------------------------------

def _wobbled(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The frame moved by up to two pixels, as a hand-held sheet wobbles."""
    h, w = frame.shape[:2]
    m = np.float32([[1, 0, rng.uniform(-2, 2)], [0, 1, rng.uniform(-2, 2)]])
    return cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def _readable(mnist_test, classifier, kind, size, seed, clip: Path):
    """A frame of ``kind`` at ``size`` that the pipeline reads right however it wobbles once
    JPEG-coded, and in every frame of its MJPG clip (written to ``clip``), and its label. A
    clip test checks the path from the camera to the answer, not accuracy: that is measured
    in test_webcam.py (a frame whose reading changes under two pixels of motion is a known
    weakness)."""
    rng = np.random.default_rng(seed)
    for tries in range(60):
        d = int(rng.integers(len(mnist_test.labels)))
        label = None if kind == "empty" else int(mnist_test.labels[d])
        frame, _ = sw.webcam_frame(None if kind == "empty" else mnist_test.images[d], rng,
                                   kind, size, quality=85)
        good = True
        for k in range(4):
            moved = _wobbled(frame, np.random.default_rng(k))
            coded = cv2.imdecode(cv2.imencode(".jpg", moved, [cv2.IMWRITE_JPEG_QUALITY, 85])[1],
                                 cv2.IMREAD_COLOR)
            _, acts = classifier.classify(coded, "camera")
            got = None if acts is None else acts.prediction
            if got != label or (label is not None and float(acts.probs.max()) < 0.8):
                good = False
                break
        if good and all(_read_clip(classifier, _write_clip(clip, frame), label)):
            return frame, label
    raise AssertionError(f"no readable {kind} frame at {size}")


def _write_clip(path: Path, frame: np.ndarray, n: int = 12, fps: int = 15) -> Path:
    h, w = frame.shape[:2]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert wr.isOpened()
    rng = np.random.default_rng(0)
    for _ in range(n):                    # a hand-held sheet: it wobbles by a pixel or two
        wr.write(_wobbled(frame, rng))
    wr.release()
    return path


def _read_clip(classifier, path: Path, label) -> list[bool]:
    """Whether each frame of the clip, decoded as a webcam's, reads as ``label``."""
    cap = cv2.VideoCapture(str(path))
    hits = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        _, acts = classifier.classify(frame, "camera")
        hits.append((None if acts is None else acts.prediction) == label)
    cap.release()
    return hits


@pytest.fixture(scope="module")
def clips(tmp_path_factory, mnist_test, classifier):
    """{(kind, height): (clip path, label)} for every kind at every resolution."""
    folder = tmp_path_factory.mktemp("webcam_clips")
    out = {}
    for i, kind in enumerate(sw.KINDS):
        for j, size in enumerate(sw.SIZES):
            path = folder / f"{kind}_{size[1]}.avi"
            _, label = _readable(mnist_test, classifier, kind, size, 500 + 10 * i + j, path)
            out[kind, size[1]] = (path, label)
    return out


def test_clips_through_the_camera_source_and_the_steadier(qtbot, clips, classifier):
    """Every kind at every size: CameraSource (as for a webcam) -> the input panel's tick ->
    the session's steadier: the steadied answer is the digit, or no digit for nothing held
    up, and nothing else is ever shown on the way."""
    from vis3d.scene.session import Session
    from vis3d.ui.input_panel import InputPanel
    panel = InputPanel()
    qtbot.addWidget(panel)
    panel.set_source("camera")
    session = Session(classifier.loaded)
    try:
        for (kind, height), (path, label) in sorted(clips.items()):
            assert panel.open_camera(str(path))
            session.steadier.reset()
            shown, start = [], panel.camera_view.frames_shown
            end = time.monotonic() + 10
            while time.monotonic() < end and panel.camera_view.frames_shown - start < 8:
                prep = panel.poll()
                if prep is not None:
                    session.set_input(prep.image if prep.found else None,
                                      reason=prep.reason, source="camera")
                    shown.append(session.prediction.digit)
                qtbot.wait(10)
            assert panel.camera_view.frames_shown - start >= 8, (kind, height)
            assert panel.camera.latest()[1].shape[:2] == (height, WIDTH[height])
            assert shown, (kind, height)
            assert shown[-1] == label, (kind, height, shown)
            assert set(shown) <= {label, None}, (kind, height, shown)
    finally:
        panel.close_camera()


@pytest.mark.gl
@pytest.mark.parametrize("kind,height", [("notebook", 1080), ("held", 720), ("dim", 480),
                                         ("sticky", 1080), ("empty", 720)])
def test_window_prediction_panel_shows_the_steadied_digit(qtbot, tmp_path, clips, kind, height):
    """The real window on a clip: its prediction panel shows the digit, steadied; with
    nothing held up, no digit and the reason."""
    from PyQt5.QtCore import QSettings
    from vis3d.ui.app import make_qapp
    from vis3d.ui.window import MainWindow
    make_qapp()
    settings = QSettings(str(tmp_path / "vis3d.ini"), QSettings.IniFormat)
    path, label = clips[kind, height]
    win = MainWindow(settings=settings, camera=str(path))
    qtbot.addWidget(win)
    win.show()
    if label is not None:
        qtbot.waitUntil(lambda: win.prediction.digit == label, timeout=10000)
        assert win.prediction.note == "steadied"
    else:
        qtbot.waitUntil(lambda: win.inputs.camera_view.frames_shown >= 8, timeout=10000)
        assert win.prediction.digit is None and win.session.prediction.digit is None
        assert win.prediction.note and win.prediction.note != "steadied"   # the reason
    win.close()


def test_clips_through_vis3d_predict(clips):
    recs = predict_json("--source", "camera", *(str(p) for p, _ in clips.values()))
    truth = {str(p): label for p, label in clips.values()}
    by_clip: dict[str, list] = {}
    for r in recs:
        by_clip.setdefault(r["path"], []).append(r["digit"])
    assert set(by_clip) == set(truth)
    for path, got in by_clip.items():
        assert len(got) == 12, path
        right = sum(g == truth[path] for g in got)
        assert right >= 10, (path, got)                  # MJPG wobble: at most two misses


# --- the camera page's controls -------------------------------------------------------------

def test_list_devices_reads_the_nodes_that_exist(tmp_path):
    from vis3d.inputs.devices import list_devices
    dev, names = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    for i, name in ((0, "Integrated Camera"), (2, "USB 1080p Webcam")):
        (dev / f"video{i}").touch()
        (names / f"video{i}").mkdir(parents=True)
        (names / f"video{i}" / "name").write_text(name + "\n")
    (dev / "video5").touch()                                  # no name known
    got = list_devices(dev=str(dev), names=str(names))
    assert got == [(0, "camera 0: Integrated Camera"), (2, "camera 2: USB 1080p Webcam"),
                   (5, "camera 5")]
    assert list_devices(dev=str(tmp_path / "none")) == []


def test_camera_controls_drive_the_panel(qtbot, clips):
    from PyQt5.QtCore import Qt
    from vis3d.ui.input_panel import InputPanel
    panel = shown(qtbot, InputPanel(), 420, 520)
    c = panel.controls
    listing = [[(0, "camera 0: Integrated")], [(0, "camera 0: Integrated"), (3, "camera 3: USB")]]
    c._lister = lambda: listing[0]
    c.refresh()
    assert [c.devices.itemText(i) for i in range(c.devices.count())] == ["camera 0: Integrated"]
    listing.pop(0)                                         # a camera is plugged in
    qtbot.mouseClick(c.refresh_button, Qt.LeftButton)
    assert c.devices.count() == 2 and c.devices.itemData(1) == "3"
    c.devices.setCurrentIndex(1)                           # camera 3 chosen: a refresh keeps it
    qtbot.mouseClick(c.refresh_button, Qt.LeftButton)
    assert c.current_spec() == "3"
    c._lister = lambda: []                                 # unplugged: still shown as chosen
    qtbot.mouseClick(c.refresh_button, Qt.LeftButton)
    assert c.current_spec() == "3" and c.devices.itemText(0) == "camera 3"
    c._lister = lambda: listing[0]
    # choosing a device or a resolution opens it in the worker: the window never waits
    path, label = clips["notebook", 720]
    t0 = time.perf_counter()
    assert panel.open_camera(str(path))
    assert time.perf_counter() - t0 < 0.6
    panel.set_source("camera")
    assert c.current_spec() == str(path)                  # the clip is listed as chosen
    qtbot.mouseClick(c.refresh_button, Qt.LeftButton)     # and stays so over a refresh
    assert c.current_spec() == str(path)
    t0 = time.perf_counter()
    c.resolution.setCurrentIndex(2)
    c._resolution_activated(2)
    assert time.perf_counter() - t0 < 0.6
    assert (panel.camera.width, panel.camera.height) == (1920, 1080)
    qtbot.waitUntil(lambda: panel.poll() is not None and panel.camera_view.frames_shown > 0,
                    timeout=5000)
    # mirrored preview by default; the overlay follows the mirror
    view = panel.camera_view
    assert c.mirror.isChecked() and view.mirrored
    fw = view._frame_size[0]
    left = view.to_widget(0, 0).x()
    c.mirror.click()
    assert not view.mirrored and view.to_widget(0, 0).x() < left
    assert abs(view.to_widget(fw, 0).x() - left) < 1e-6
    # stages on request: the ink mask is shown
    assert view._stages is None
    c.stages.click()
    qtbot.waitUntil(lambda: (panel.poll(), view._stages is not None)[1], timeout=5000)
    img = view.grab().toImage()
    assert img.width() > 0
    c.stages.click()
    assert view._stages is None
    panel.close_camera()


def test_opening_a_stuck_device_does_not_block_the_panel(qtbot, monkeypatch):
    """A device whose open hangs (as a busy driver does) is opened in the worker, at the
    resolution chosen; choosing and closing return at once."""
    from vis3d.inputs import camera as camera_mod
    from vis3d.ui.input_panel import InputPanel
    panel = InputPanel()
    qtbot.addWidget(panel)
    asked = []

    def stuck_open(index, w, h):
        asked.append((index, w, h))
        time.sleep(1.5)
        return None
    monkeypatch.setattr(camera_mod, "open_device", stuck_open)
    panel.controls.resolution.setCurrentIndex(1)
    t0 = time.perf_counter()
    panel.controls.device_chosen.emit("7")
    panel.set_source("camera")
    panel.poll()
    assert time.perf_counter() - t0 < 0.6
    qtbot.waitUntil(lambda: asked == [(7, 1280, 720)], timeout=2000)
    t0 = time.perf_counter()
    panel.close_camera()
    assert time.perf_counter() - t0 < 0.6


def test_taking_the_sheet_away_clears_the_digit(qtbot, tmp_path, clips):
    """A digit held up, then nothing: the steadied answer goes back to no digit (every frame
    without a digit counts for the steadier, not only the first of them)."""
    from vis3d.scene.session import Session
    from vis3d.ui.input_panel import InputPanel
    from vis3d.commands.predict import Classifier
    frames = []
    for kind, n in (("notebook", 10), ("empty", 20)):
        cap = cv2.VideoCapture(str(clips[kind, 480][0]))
        while len(frames) < (10 if kind == "notebook" else 30):
            ok, frame = cap.read()
            if not ok:
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                continue
            frames.append(frame)
        cap.release()
    path = tmp_path / "held_then_gone.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    for frame in frames:
        wr.write(frame)
    wr.release()
    label = clips["notebook", 480][1]
    panel = InputPanel()
    qtbot.addWidget(panel)
    panel.set_source("camera")
    session = Session(Classifier("mnist_cnn").loaded)
    try:
        assert panel.open_camera(str(path))
        shown, start = [], panel.camera_view.frames_shown
        end = time.monotonic() + 15
        while time.monotonic() < end and panel.camera_view.frames_shown - start < 28:
            prep = panel.poll()
            if prep is not None:
                session.set_input(prep.image if prep.found else None, reason=prep.reason,
                                  source="camera")
                shown.append(session.prediction.digit)
            qtbot.wait(10)
        assert label in shown, shown
        assert None in shown[shown.index(label):], shown         # gone once the sheet is
    finally:
        panel.close_camera()
