"""Preprocessing: the shared MNIST normalisation, the pad, camera and raw pipelines, the
auto choice, and inputs that must give an explicit "no digit" instead of a crash or a guess."""

from __future__ import annotations

import numpy as np
import pytest

import cv2  # noqa: E402  (a hard dependency)

from vis3d.inputs import preprocess as pp

import synth  # noqa: E402  (tests/ is on sys.path through rootdir conftest)


def _check_image(p: pp.Prepared):
    assert p.found and p.reason == ""
    img = p.image
    assert img.shape == (28, 28) and img.dtype == np.float32
    assert np.isfinite(img).all() and img.min() >= 0.0 and img.max() <= 1.0
    ys, xs = np.nonzero(img > 0.05)
    assert max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) <= 21   # fitted into 20x20
    m = img.sum()
    yy, xx = np.mgrid[0:28, 0:28]
    cy, cx = (img * yy).sum() / m, (img * xx).sum() / m
    assert abs(cy - 14) <= 0.75 and abs(cx - 14) <= 0.75                 # mass centred


def test_mnist_digits_come_back_unchanged(mnist_test):
    """MNIST's own digits are already normalised: the pad pipeline leaves them as they are."""
    imgs = mnist_test.images[:500]
    same = 0
    for a in imgs:
        p = pp.prepare_pad(a)
        assert p.found
        diff = np.abs(p.image - a / np.float32(255))
        same += diff.max() == 0
        assert diff.max() < 0.05   # at most a faint (< 5%) pixel beside the ink box is dropped
    assert same >= 450


def test_normalise_fits_box_and_centres_mass():
    ink = np.zeros((300, 200), np.float32)
    ink[40:260, 20:60] = 1.0          # a tall bar, off-centre
    ink[40:60, 20:180] = 1.0          # and a top bar: a "7"-like shape
    out = pp.normalise(ink)
    ys, xs = np.nonzero(out > 0.05)
    assert ys.max() - ys.min() + 1 == 20            # the long side is 20
    assert xs.max() - xs.min() + 1 in (14, 15, 16)  # aspect kept: 160/220 * 20 = 14.5
    _check_image(pp.Prepared(out, "pad"))
    assert pp.normalise(np.zeros((50, 50), np.float32)) is None


@pytest.mark.parametrize("invert", [False, True])
def test_pad_drawings_any_place_size_polarity(mnist_test, invert):
    rng = np.random.default_rng(3)
    for i in range(20):
        pad = synth.pad_drawing(mnist_test.images[i], rng, invert=invert)
        p = pp.prepare_pad(pad)
        _check_image(p)
        assert p.source == "pad"
        x0, y0, x1, y1 = p.bbox
        ink = pad < 128 if invert else pad > 128
        ys, xs = np.nonzero(ink)
        assert x0 <= xs.min() and y0 <= ys.min() and x1 > xs.max() and y1 > ys.max()


def test_pad_result_does_not_depend_on_position_or_polarity(mnist_test):
    digit = mnist_test.images[0]
    pad = synth.pad_drawing(digit, np.random.default_rng(1), extent=(0.5, 0.5), rotate=0,
                            centred=True)
    shifted = np.zeros_like(pad)
    shifted[:-50, 40:] = pad[50:, :-40]   # the same drawing moved up and right
    a = pp.prepare_pad(pad).image
    b = pp.prepare_pad(shifted).image
    c = pp.prepare_pad(255 - pad).image
    d = pp.prepare_pad(cv2.cvtColor(pad, cv2.COLOR_GRAY2BGR)).image
    assert np.abs(a - b).max() < 1e-5
    assert np.abs(a - c).max() < 5e-3   # 8-bit rounding of light vs dark canvases
    assert np.abs(a - d).max() < 0.01


def test_fat_pen_is_thinned_to_mnist_width(mnist_test):
    digit = mnist_test.images[0]
    fat = synth.pad_drawing(digit, np.random.default_rng(3), pen=(25, 25), extent=(0.35, 0.35))
    ink = fat.astype(np.float32) / 255
    assert pp.stroke_width(ink) * 20 / 98 > pp.WIDTH_MAX        # 25 px pen on a 98 px digit
    thinned = pp.even_strokes(ink)
    assert thinned.sum() < 0.8 * ink.sum()
    out = pp.prepare_pad(fat).image
    assert pp.stroke_width(cv2.resize(out, (280, 280), interpolation=cv2.INTER_CUBIC)) / 10 \
        < pp.WIDTH_MAX
    fine = synth.pad_drawing(digit, np.random.default_rng(3), pen=(12, 12), extent=(0.8, 0.8))
    assert pp.even_strokes(fine.astype(np.float32) / 255).sum() == (fine / np.float32(255)).sum()
    small = mnist_test.images[1].astype(np.float32) / 255
    assert pp.even_strokes(small) is small                        # MNIST-sized: untouched


def test_dtypes_and_transparent_canvas_agree(mnist_test):
    pad = synth.pad_drawing(mnist_test.images[1], np.random.default_rng(2))
    ref = pp.prepare_pad(pad).image
    as16 = pp.prepare_pad(pad.astype(np.uint16) * 257).image
    as01 = pp.prepare_pad(pad.astype(np.float32) / 255).image
    as255 = pp.prepare_pad(pad.astype(np.float64)).image
    for other in (as16, as01, as255):
        assert np.abs(other - ref).max() < 0.01
    # black strokes on a transparent canvas (alpha = the strokes), as paint programs save
    bgra = np.zeros(pad.shape + (4,), np.uint8)
    bgra[..., 3] = pad
    tr = pp.prepare_pad(bgra)
    assert tr.found and np.abs(tr.image - ref).max() < 0.02


def test_camera_full_frame_and_sheet(mnist_test):
    rng = np.random.default_rng(4)
    for i in range(6):
        for sheet in (False, True):
            info = {}
            frame, _ = synth.camera_photo(mnist_test.images[i], rng, sheet=sheet, info=info)
            p = pp.prepare_camera(frame)
            _check_image(p)
            assert p.source == "camera"
            tx0, ty0, tx1, ty1 = info["ink"]
            x0, y0, x1, y1 = p.bbox
            # the found ink box is the digit's box, give or take blur and working resolution
            assert abs(x0 - tx0) < 12 and abs(y0 - ty0) < 12
            assert abs(x1 - tx1) < 12 and abs(y1 - ty1) < 12
            if sheet:
                assert p.sheet is not None and p.sheet.shape == (4, 2)
                frame_box = np.float32([[0, 0], [640, 0], [640, 480], [0, 480]])
                truth, _ = cv2.intersectConvexConvex(info["corners"], frame_box)  # visible part
                found = cv2.contourArea(p.sheet.reshape(-1, 1, 2))
                assert 0.85 < found / truth < 1.15
                assert cv2.pointPolygonTest(p.sheet.reshape(-1, 1, 2),
                                            ((x0 + x1) / 2, (y0 + y1) / 2), False) > 0
            else:
                assert p.sheet is None


@pytest.mark.parametrize("sheet", [False, True])
def test_empty_paper_is_no_digit(sheet):
    rng = np.random.default_rng(5)
    blank = np.zeros((28, 28), np.uint8)
    for _ in range(5):
        frame, _ = synth.camera_photo(blank, rng, sheet=sheet)
        p = pp.prepare_camera(frame)
        assert not p.found and p.image is None
        assert "no" in p.reason


def _lens_cap():
    rng = np.random.default_rng(0)
    return np.clip(rng.normal(8, 3, (480, 640, 3)), 0, 255).astype(np.uint8)


BAD = {
    "blank pad": lambda: np.zeros((280, 280), np.uint8),
    "white pad": lambda: np.full((280, 280, 3), 255, np.uint8),
    "lens cap": _lens_cap,
    "all black frame": lambda: np.zeros((480, 640, 3), np.uint8),
    "all white frame": lambda: np.full((480, 640, 3), 255, np.uint8),
    "grey frame": lambda: np.full((480, 640), 128, np.uint8),
    "colour noise": lambda: np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8),
    "gray noise 1ch": lambda: np.random.default_rng(2).integers(0, 256, (480, 640, 1), dtype=np.uint8),
    "noise 4ch": lambda: np.random.default_rng(3).integers(0, 256, (120, 90, 4), dtype=np.uint8),
    "noise uint16": lambda: np.random.default_rng(4).integers(0, 65535, (200, 300), dtype=np.uint16),
    "random bits": lambda: np.random.default_rng(5).random((64, 64)) > 0.5,
    "sparse specks": lambda: (np.random.default_rng(6).random((280, 280)) < 0.01).astype(np.uint8) * 255,
    "one dot": lambda: np.pad(np.full((1, 1), 255, np.uint8), 100),
    "1x1": lambda: np.zeros((1, 1), np.uint8),
    "1-d": lambda: np.zeros(10, np.uint8),
    "empty": lambda: np.zeros((0, 5), np.uint8),
    "5 channels": lambda: np.zeros((50, 50, 5), np.uint8),
    "4-d": lambda: np.zeros((2, 2, 2, 2)),
    "all NaN": lambda: np.full((100, 100), np.nan, np.float32),
    "strings": lambda: np.array([["a", "b"], ["c", "d"]]),
    "None": lambda: None,
}


@pytest.mark.parametrize("name", list(BAD))
@pytest.mark.parametrize("source", ["auto", "pad", "camera"])
def test_nothing_there_is_an_explicit_no_digit(name, source):
    p = pp.prepare(BAD[name](), source)
    assert p.image is None and not p.found
    assert isinstance(p.reason, str) and p.reason


@pytest.mark.parametrize("shape", [(3, 2000), (2000, 3), (7, 7, 3), (1080, 1920, 3), (33, 517)])
def test_odd_sizes_do_not_crash(shape):
    rng = np.random.default_rng(7)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    for source in ("auto", "pad", "camera"):
        p = pp.prepare(img, source)
        assert p.image is None or p.image.shape == (28, 28)


def test_camera_accepts_gray_and_bgra_frames(mnist_test):
    frame, _ = synth.camera_photo(mnist_test.images[2], np.random.default_rng(8))
    ref = pp.prepare_camera(frame).image
    gray = pp.prepare_camera(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)).image
    bgra = pp.prepare_camera(cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA)).image
    assert np.abs(gray - ref).max() < 0.05 and np.abs(bgra - ref).max() < 0.05


def test_raw_feeds_28x28_as_it_is(mnist_test):
    a = mnist_test.images[3]
    p = pp.prepare_raw(a)
    assert p.found and p.source == "raw"
    assert np.array_equal(p.image, a.astype(np.float32) / 255)
    inverted = pp.prepare_raw(255 - a)          # dark ink on white: turned ink-bright
    assert np.abs(inverted.image - p.image).max() < 1e-6
    wrong = pp.prepare_raw(np.zeros((32, 32), np.uint8))
    assert not wrong.found and "28x28" in wrong.reason
    assert not pp.prepare_raw(np.zeros((28, 28), np.uint8)).found


def test_auto_tells_pads_from_photos(mnist_test):
    rng = np.random.default_rng(9)
    for i in range(10):
        pad = synth.pad_drawing(mnist_test.images[i], rng, invert=bool(i % 2))
        jpg = cv2.imdecode(cv2.imencode(".jpg", pad, [cv2.IMWRITE_JPEG_QUALITY, 60])[1], 0)
        assert pp.guess_source(pad) == "pad" and pp.guess_source(jpg) == "pad"
        for sheet in (False, True):
            frame, _ = synth.camera_photo(mnist_test.images[i], rng, sheet=sheet)
            assert pp.guess_source(frame) == "camera"
            assert pp.prepare(frame).source == "camera"
    assert pp.guess_source(mnist_test.images[0]) == "pad"


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError, match="unknown source"):
        pp.prepare(np.zeros((28, 28), np.uint8), "scanner")


def test_core_imports_no_gui():
    import subprocess
    import sys
    code = ("import sys, vis3d.inputs.preprocess, vis3d.inputs.files, vis3d.bench.inputs; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PyQt5', 'vispy', 'torch')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_straight_strokes_survive_thinning():
    """A ruler-straight '1' (its tight crop is all stroke edge to edge) is still a digit."""
    import cv2 as _cv2
    from vis3d.inputs.preprocess import prepare_pad, stroke_width
    img = np.zeros((280, 280), np.uint8)
    _cv2.line(img, (140, 50), (140, 230), 255, 18)
    crop = img[50 - 9:230 + 10, 140 - 9:140 + 10].astype(np.float32) / 255
    assert stroke_width(crop) < 25
    p = prepare_pad(img)
    assert p.found and p.image.max() > 0.5


@pytest.mark.parametrize("shape", [(0, 60000), (60000, 0), (0, 0, 3), (5, 0), (1, 60000),
                                   (60000, 1, 3), (2, 5000)])
@pytest.mark.parametrize("source", ["auto", "pad", "camera", "raw"])
def test_degenerate_pictures_are_no_digit(shape, source):
    """A zero-length side or a one-pixel strip is "no digit" with a reason, never an
    IndexError or cv2.error from inside the pipelines (the pad's 8-bit shortcut used to
    index row 0 of an empty array)."""
    img = np.full(shape, 255, np.uint8)
    for fn in (lambda a: pp.prepare(a, source), pp.prepare_pad, pp.prepare_camera):
        p = fn(img)
        assert p.image is None and p.reason
