"""The draw pad, driven by real mouse and key events through pytest-qt."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from PyQt5.QtCore import QPoint, Qt

from vis3d.errors import Vis3dError
from vis3d.ui.drawpad import DrawPad
from qthelp import shown

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pad(qtbot):
    return shown(qtbot, DrawPad(), 280, 280)


def drag(qtbot, pad, points, steps=8):
    """Press at the first point, move through the others in small steps, release at the last.

    The moves are delivered as mouse events that carry the held button, synchronously:
    QTest's mouseMove may go through the X server's cursor, which a busy machine delays."""
    from PyQt5.QtCore import QEvent, QPointF
    from PyQt5.QtGui import QMouseEvent
    from PyQt5.QtWidgets import QApplication

    pts = [QPoint(int(x), int(y)) for x, y in points]
    qtbot.mousePress(pad, Qt.LeftButton, pos=pts[0])
    for a, b in zip(pts, pts[1:]):
        for k in range(1, steps + 1):
            p = a + (b - a) * k / steps
            QApplication.sendEvent(pad, QMouseEvent(QEvent.MouseMove, QPointF(p), Qt.NoButton,
                                                    Qt.LeftButton, Qt.NoModifier))
    qtbot.mouseRelease(pad, Qt.LeftButton, pos=pts[-1])


def stroke_width(img: np.ndarray, row: int) -> int:
    return int((img[row] > 127).sum())


def test_strokes_appear_where_drawn(pad, qtbot):
    assert pad.is_empty() and pad.image().max() == 0
    v0 = pad.version
    changes = []
    pad.changed.connect(lambda: changes.append(pad.version))
    drag(qtbot, pad, [(70, 60), (70, 220)])
    img = pad.image()
    assert img.shape == (280, 280) and img.dtype == np.uint8
    assert not pad.is_empty()
    assert img[60:220, 64:77].min() > 200            # the vertical line, white
    assert img[:, 120:].max() == 0 and img[:40].max() == 0   # nothing elsewhere
    ys, xs = np.nonzero(img > 127)
    assert abs(xs.mean() - 70) < 2 and 50 <= ys.min() and ys.max() <= 230
    assert ((img > 0) & (img < 255)).sum() > 10      # antialiased round caps
    assert pad.version > v0 + 5 and changes and changes[-1] == pad.version   # one bump per change


def test_right_click_clears_and_undo_removes_only_the_last_stroke(pad, qtbot):
    drag(qtbot, pad, [(60, 60), (60, 220)])
    first = pad.image()
    drag(qtbot, pad, [(140, 60), (220, 220)])
    both = pad.image()
    assert both[140, 175:190].max() > 200 and first[140, 175:190].max() == 0
    v = pad.version
    qtbot.keyClick(pad, Qt.Key_Z, Qt.ControlModifier)
    assert pad.version == v + 1
    after = pad.image()
    assert np.abs(after.astype(int) - first).max() <= 2      # exactly the first stroke is left
    qtbot.keyClick(pad, Qt.Key_Z, Qt.ControlModifier)
    assert pad.is_empty() and pad.image().max() == 0
    qtbot.keyClick(pad, Qt.Key_Z, Qt.ControlModifier)        # nothing left: no change
    assert pad.image().max() == 0
    drag(qtbot, pad, [(100, 100), (180, 180)])
    v = pad.version
    qtbot.mouseClick(pad, Qt.RightButton, pos=QPoint(140, 140))
    assert pad.is_empty() and pad.image().max() == 0 and pad.version == v + 1
    pad.undo()                                               # a clear can be taken back
    assert pad.image()[140, 140] > 200


def test_pen_width_changes_the_stroke_thickness(pad, qtbot):
    widths = {}
    for px in (6, 18, 36):
        pad.clear()
        pad.set_pen_width(px)
        drag(qtbot, pad, [(40, 140), (240, 140)])
        widths[px] = int((pad.image()[:, 140] > 127).sum())
    assert widths[6] < widths[18] < widths[36]
    assert abs(widths[18] - 18) <= 3 and abs(widths[36] - 36) <= 3
    pad.set_pen_width(100)
    assert pad.pen_width == 40
    pad.set_pen_width(0)
    assert pad.pen_width == 4


def test_pad_keeps_its_canvas_when_resized(qtbot, pad):
    pad.resize(560, 400)                 # shown as a 400 px square in the middle
    qtbot.wait(20)
    # Widget (280, 200) is the centre of the square -> canvas (140, 140).
    drag(qtbot, pad, [(280, 100), (280, 300)])
    img = pad.image()
    assert img.shape == (280, 280)
    ys, xs = np.nonzero(img > 127)
    assert abs(xs.mean() - 140) < 2 and abs(ys.min() - 70) < 10 and abs(ys.max() - 210) < 10
    assert pad.heightForWidth(300) == 300


def test_set_image_inverts_dark_ink_and_fits(pad, tmp_path):
    paper = np.full((100, 200, 3), 250, np.uint8)            # dark ink on white, wide
    cv2.line(paper, (100, 20), (100, 80), (10, 10, 10), 9)
    pad.set_image(paper)
    img = pad.image()
    assert img[0, 0] == 0 and img[140, 140] > 200            # white on black now
    path = tmp_path / "d.png"
    cv2.imwrite(str(path), paper)
    v = pad.version
    pad.set_image(str(path))
    assert pad.version == v + 1 and pad.image()[140, 140] > 200
    with pytest.raises(Vis3dError, match="nope.png"):
        pad.set_image(str(tmp_path / "nope.png"))
    with pytest.raises(Vis3dError):
        pad.set_image(np.zeros((3, 3, 7)))
    assert pad.image()[140, 140] > 200                       # a failed load loses nothing


def test_drawn_one_and_seven_are_recognised(pad, qtbot):
    from vis3d.inputs import preprocess as prep
    from vis3d.model import weights
    from vis3d.model.probe import Probe
    probe = Probe(weights.load("mnist_cnn").model)

    def predict():
        p = prep.prepare_pad(pad.image())
        assert p.image is not None, p.reason
        return probe.run(p.image).prediction

    pad.set_pen_width(18)
    drag(qtbot, pad, [(150, 50), (140, 235)])                # a "1", slightly slanted
    assert predict() == 1
    pad.clear()
    drag(qtbot, pad, [(70, 60), (210, 60), (120, 235)])      # a "7"
    assert predict() == 7
    pad.clear()
    assert prep.prepare_pad(pad.image()).image is None       # blank pad: no digit


# --- one set of conversion rules for every converter -------------------------------------------

def _qimage_gray(img) -> np.ndarray:
    from PyQt5.QtGui import QImage
    q = img.convertToFormat(QImage.Format_RGB32)
    ptr = q.constBits()
    ptr.setsize(q.byteCount())
    a = np.frombuffer(ptr, np.uint8).reshape(q.height(), q.bytesPerLine() // 4, 4)[:, :q.width()]
    return cv2.cvtColor(np.ascontiguousarray(a[..., :3]), cv2.COLOR_BGR2GRAY)


CONVERT_CASES = {
    "uint16 small values": lambda: (np.arange(64, dtype=np.uint16).reshape(8, 8) * 3 + 20),
    "uint16 full range": lambda: (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000),
    "int32 beyond 16 bits": lambda: (np.arange(64, dtype=np.int32).reshape(8, 8) * 5000),
    "float 0..1": lambda: np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8),
    "float 0..255": lambda: np.linspace(0, 250, 64).reshape(8, 8),
    "float 0..1000": lambda: np.linspace(0, 1000, 64, dtype=np.float32).reshape(8, 8),
    "float with NaN": lambda: np.where(np.eye(8) > 0, np.nan, 0.5).astype(np.float32),
    "bool": lambda: np.eye(8, dtype=bool),
    "BGR uint16": lambda: np.dstack([np.arange(64, dtype=np.uint16).reshape(8, 8) * 900] * 3),
}


@pytest.mark.parametrize("name", list(CONVERT_CASES))
def test_every_converter_scales_images_the_same_way(qtbot, name):
    """preprocess, the draw pad, the camera worker, the camera view and the side panels all
    read an image's values by the same rules (they used to disagree on uint16, int32, floats
    above 1 and bool)."""
    from vis3d.inputs import preprocess
    from vis3d.inputs.camera import to_bgr
    from vis3d.ui import drawpad
    from vis3d.ui.camera_view import frame_to_qimage
    from vis3d.ui.panels import to_qimage

    img = CONVERT_CASES[name]()
    gray, why = preprocess.to_gray(img)
    assert gray is not None, why
    ref = np.round(gray * 255).astype(np.int32)
    outs = {
        "drawpad": drawpad._to_gray_u8(img),
        "camera": cv2.cvtColor(to_bgr(img), cv2.COLOR_BGR2GRAY),
        "camera_view": _qimage_gray(frame_to_qimage(img)[0]),
    }
    if img.ndim == 2:                                # the panels show gray or RGB
        outs["panels"] = _qimage_gray(to_qimage(img))
    for who, out in outs.items():
        assert out is not None and out.shape == ref.shape, who
        assert np.abs(out.astype(np.int32) - ref).max() <= 1, (who, out, ref)
    if name == "uint16 small values":                # 8-bit levels in a 16-bit array
        assert ref.max() == 209 and ref.min() == 20
