"""Shared pieces of the camera tests: numbered MJPG frames, a clip of them, waiting."""

import time

import cv2
import numpy as np
import pytest

W, H, N, FPS = 320, 240, 40, 30

def frame_number(k: int) -> np.ndarray:
    """A frame whose number can be read back from its pixels: a bar of width k*8 on top, and
    the number drawn in."""
    img = np.full((H, W, 3), 40, np.uint8)
    img[:16, : 8 * (k + 1)] = 255
    cv2.putText(img, str(k), (90, 170), cv2.FONT_HERSHEY_SIMPLEX, 3, (230, 230, 230), 6)
    return img


def read_number(frame: np.ndarray) -> int:
    """Which frame this is: the length of the top bar (MJPG blurs its end a little)."""
    row = frame[8, :, :].mean(axis=1)
    return int(round((row > 150).sum() / 8)) - 1


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("cam") / "clip.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    assert wr.isOpened()
    for k in range(N):
        wr.write(frame_number(k))
    wr.release()
    return path


def read_jpeg(path) -> np.ndarray:
    """A committed fixture frame as OpenCV reads a webcam's (BGR uint8); fails if missing."""
    frame = cv2.imread(str(path))
    assert frame is not None, f"cannot read {path}"
    return frame


def read_fixture(classifier, path):
    """(the digit read or None, its probability or the reason) of a fixture frame through
    the camera pipeline judged by ``classifier``'s model, as scripts/webcam_eval.py reads."""
    from vis3d.inputs.preprocess import prepare_camera
    prepared = prepare_camera(read_jpeg(path), score=classifier.score)
    if not prepared.found:
        return None, prepared.reason
    acts = classifier.probe.run(prepared.image)
    return acts.prediction, float(np.max(acts.probs))


def wait_for(cond, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


