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


def working(path):
    """(g, bg, colour, low_bg, low_gray) of a fixture frame at the camera pipeline's working
    size, as frame.prepare_camera makes them: the smoothed gray, the paper's brightness, the
    BGR image (or None), and the low-res paper and gray that sheets are found on."""
    from vis3d.inputs import convert, frame, paper
    gray, colour, _, _ = convert.reduced(read_jpeg(path), frame.CAMERA_WIDTH)
    g = frame._smoothed(gray, float(np.percentile(gray, 99)))
    bg, low_bg, low_gray = paper.background(g)
    return g, bg, colour, low_bg, low_gray


def sheet_region(g, low_bg, low_gray, margin: int = 0) -> np.ndarray:
    """The first sheet found, as a region at the working size (as frame._on_sheet makes
    it), less a margin (eroded by ``margin`` x ``margin``); fails if none is found."""
    from vis3d.inputs import paper
    sheets = paper.find_sheets(low_bg, low_gray)
    assert sheets, "a sheet is held up in this frame"
    h, w = g.shape
    sxy = (w / low_bg.shape[1], h / low_bg.shape[0])
    region = np.zeros((h, w), np.uint8)
    cv2.fillPoly(region, [np.round((sheets[0][0] + 0.5) * sxy - 0.5).astype(np.int32)], 255)
    return cv2.erode(region, np.ones((margin, margin), np.uint8)) if margin else region


def sheet_darkness(path, margin: int = 9):
    """(darkness (float32, 0 off the region), region) of the first sheet found in a fixture
    frame, less its margin, as paper.extract makes them."""
    from vis3d.inputs import paper
    g, bg, _, low_bg, low_gray = working(path)
    region = sheet_region(g, low_bg, low_gray, margin)
    dark = paper.darkness(g, bg)
    dark[region == 0] = 0.0
    return dark, region


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


