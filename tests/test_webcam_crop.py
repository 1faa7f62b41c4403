"""The camera pipeline's speed-ups give what the whole-image computation gives.

paper.extract works on the region's box only (the rest of the working image is zero to it):
the lines found on a crop, Otsu's threshold counting the zeros around it, and the ink mask
and box must be those of the whole image.
Real webcam frames from the committed fixtures (tests/fixtures/webcam). The bench's sample
frames (assets/samples) cover every kind, at 640x480 and at 1920x1080.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from camerahelp import sheet_region, working
from vis3d.inputs import convert, ink, paper
from vis3d.inputs.frame import CAMERA_WIDTH

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webcam"
FRAMES = ("held/001_1_480.jpg", "held/013_3_480.jpg", "dim/007_7_480.jpg",
          "dim/017_7_1080.jpg", "empty/001_none_480.jpg", "held/008_8_720.jpg")


def _work(name: str):
    return working(FIXTURES / name)


def _dark(g, bg, region) -> np.ndarray:
    dark = np.clip(1.0 - g.astype(np.float32) / np.maximum(bg, 1.0), 0.0, 1.0)
    dark[region == 0] = 0.0
    return (dark * 255.0).astype(np.uint8)


@pytest.mark.parametrize("name", FRAMES)
def test_lines_and_otsu_on_the_crop_are_those_of_the_whole_image(name):
    g, bg, _, low_bg, low_gray = _work(name)
    region = sheet_region(g, low_bg, low_gray, 9)
    d8 = _dark(g, bg, region)
    h, w = d8.shape
    x0, y0, x1, y1 = paper._window(region)
    assert (x1 - x0) * (y1 - y0) < 0.95 * h * w, "a crop, not the whole image"
    length = 0.3 * min(h, w)
    whole = ink.remove_lines(d8, length)
    crop = ink.remove_lines(d8[y0:y1, x0:x1], length, (x0, y0, w, h))
    assert whole.any(), "lines to find (ruled paper or the sheet's edges)"
    # the same pixels sampled when turned: at most a level's rounding here and there
    diff = np.abs(whole[y0:y1, x0:x1].astype(int) - crop.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) <= 0.001 * diff.size
    full_otsu = cv2.threshold(d8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
    assert paper._otsu(d8[y0:y1, x0:x1], (h, w)) == full_otsu
    assert paper._otsu(d8, (h, w)) == full_otsu


def test_otsu_on_a_crop_alone_would_differ():
    """Why _otsu counts the zeros around the crop: on these frames Otsu's level of the crop
    alone is another one for some (the test above would not hold with it)."""
    differs = 0
    for name in FRAMES:
        g, bg, _, low_bg, low_gray = _work(name)
        region = sheet_region(g, low_bg, low_gray, 9)
        d8 = _dark(g, bg, region)
        x0, y0, x1, y1 = paper._window(region)
        full = cv2.threshold(d8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
        alone = cv2.threshold(d8[y0:y1, x0:x1], 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
        differs += alone != full
    assert differs >= 1


@pytest.mark.parametrize("name", FRAMES)
def test_extract_on_the_crop_matches_extract_on_the_whole_image(name, monkeypatch):
    g, bg, colour, low_bg, low_gray = _work(name)
    region = sheet_region(g, low_bg, low_gray)
    got, cropped = {}, {}
    res_c, why_c, cut_c = paper.extract(g, bg, region, 9, colour, cropped, sheet=True)
    h, w = g.shape
    monkeypatch.setattr(paper, "_window", lambda r: (0, 0, w, h))     # the whole image
    res_w, why_w, cut_w = paper.extract(g, bg, region, 9, colour, got, sheet=True)
    assert (why_c, cut_c) == (why_w, cut_w)
    assert cropped["mask"].shape == (h, w)
    assert np.count_nonzero(cropped["mask"] != got["mask"]) <= 2
    assert (res_c is None) == (res_w is None)
    if res_w is not None:
        assert res_c[1] == res_w[1]
        assert np.abs(res_c[0] - res_w[0]).max() < 0.02


def test_bench_samples_cover_every_kind_at_640_and_1080():
    from vis3d.bench.inputs import sample_inputs
    pads, frames, big = sample_inputs()
    assert len(pads) == 10
    assert len(frames) == 12 and all(f.shape == (480, 640, 3) for f in frames)
    assert len(big) == 5 and all(f.shape == (1080, 1920, 3) for f in big)
    from vis3d.paths import assets_dir
    names = {p.stem for p in (assets_dir() / "samples").glob("webcam_*.jpg")}
    for kind in ("notebook", "held", "dim", "sticky", "empty"):
        assert {f"webcam_{kind}_0", f"webcam_{kind}_1", f"webcam_1080_{kind}"} <= names


def test_bench_draws_its_own_inputs_when_the_samples_are_missing():
    """Without assets/samples the bench draws pads and camera frames (OpenCV 5 draws text on
    8-bit images only: it failed on float32 paper), and the camera pipeline reads them."""
    from vis3d.bench.inputs import _fallback_inputs
    from vis3d.inputs.frame import prepare_camera
    pads, frames = _fallback_inputs()
    assert len(pads) == len(frames) == 10
    assert all(f.dtype == np.uint8 and f.shape == (480, 640, 3) for f in frames)
    assert sum(prepare_camera(f).found for f in frames) >= 9


def test_reaching_two_sides_is_judged_in_the_whole_pictures_coordinates():
    """choose._spans on a crop: a component at a crop's side that is not the picture's does
    not reach the picture's side; one across the whole picture does, wherever the crop is."""
    from vis3d.inputs.choose import _spans
    boxes = np.array([[0, 0, 20, 30, 100],      # at the crop's top-left corner
                      [0, 10, 30, 5, 100]])     # across the crop's width
    assert not _spans(boxes, (240, 320), (100, 100)).any()
    assert list(_spans(boxes, (240, 320), (0, 0))) == [True, False]
    assert list(_spans(boxes, (240, 30), (0, 50))) == [False, True]


def test_medians_and_percentiles_are_numpys_bit_for_bit():
    """vis3d.inputs.stats (the pipeline's medians and percentiles without numpy's overhead)
    gives numpy's values exactly, on the kinds of arrays the pipeline gives it: 8-bit gray
    levels, darkness and log-brightness in float32, of odd and even sizes."""
    from vis3d.inputs import stats
    rng = np.random.default_rng(9)
    g, bg, _, low_bg, _ = _work(FRAMES[0])
    arrays = [g, low_bg, np.log1p(low_bg.astype(np.float32)), paper.darkness(g, bg)]
    for n in (1, 2, 3, 4, 17, 64, 999, 1000, 4800):
        arrays += [rng.integers(0, 256, n).astype(np.uint8), rng.random(n).astype(np.float32)]
    for a in arrays:
        assert stats.median(a) == float(np.median(a))
        for q in (3, 10, 50, 75, 95, 97, 100):
            assert stats.percentile(a, q) == float(np.percentile(a, q)), (a.dtype, a.size, q)
        lo, hi = stats.percentiles(a, (3, 97))
        want = np.percentile(a, (3, 97))
        assert (lo, hi) == (want[0], want[1]) and type(lo) is type(want[0])


def test_hysteresis_mask_is_numpys_labelling_with_few_and_many_pieces():
    """paper.hysteresis looks labels up in an 8-bit table (<= 256 pieces) or by np.take (more):
    the mask is what indexing the labels with the strong pieces gives, either way."""
    rng = np.random.default_rng(3)
    for specks in (20, 3000):                 # a few pieces, and over 256 of them
        dark = np.zeros((240, 320), np.float32)
        ys, xs = rng.integers(0, 240, specks), rng.integers(0, 320, specks)
        dark[ys, xs] = rng.choice([0.3, 0.7], specks).astype(np.float32)
        dark = cv2.dilate(dark, np.ones((2, 2), np.uint8))
        t = 0.5
        n, weak = cv2.connectedComponents(np.uint8(dark > 0.55 * t), connectivity=8,
                                          ltype=cv2.CV_16U)
        assert (n > 256) == (specks > 256)
        strong = np.zeros(n, np.uint8)
        strong[weak[dark > t]] = 255
        strong[0] = 0
        mask = paper.hysteresis(dark, t)
        assert mask.dtype == np.uint8 and np.array_equal(mask, strong[weak])
        assert 0 < np.count_nonzero(mask) < np.count_nonzero(dark > 0.55 * t)


def test_1080p_reduction_is_the_area_average():
    """convert.reduced takes a 1080p frame's 3x3 area average as the centres of a box blur:
    the values of OpenCV's area reduction, exactly (colour and gray)."""
    samples = FIXTURES.parents[2] / "assets" / "samples"
    for path in [FIXTURES / "dim/017_7_1080.jpg"] + sorted(samples.glob("webcam_1080_*.jpg"))[:2]:
        frame = cv2.imread(str(path))
        assert frame.shape[:2] == (1080, 1920)
        gray, colour, scale, _ = convert.reduced(frame, CAMERA_WIDTH)
        half = cv2.resize(frame, (960, 540), interpolation=cv2.INTER_LINEAR)
        want = cv2.resize(half, (320, 180), interpolation=cv2.INTER_AREA)
        assert np.array_equal(colour, want)
        assert np.array_equal(gray, cv2.cvtColor(want, cv2.COLOR_BGR2GRAY))
        assert scale == 320 / 1920


def test_fit_strokes_is_thicken_after_even_strokes():
    """preprocess.fit_strokes measures the strokes once where even_strokes leaves them: the
    same ink as thicken(even_strokes(ink)) for thin, even and fat strokes, small and large."""
    from vis3d.inputs import preprocess as pp
    for size, width in ((20, 2), (120, 2), (120, 8), (200, 30), (200, 4), (60, 12)):
        ink = np.zeros((size + 20, size + 20), np.float32)
        cv2.circle(ink, (size // 2 + 10, size // 2 + 10), size // 2 - width, 1.0, width)
        ink = cv2.GaussianBlur(ink, (3, 3), 0)
        want = pp.thicken(pp.even_strokes(ink))
        got = pp.fit_strokes(ink)
        assert got.shape == want.shape and np.array_equal(got, want), (size, width)


def test_long_window_erosion_and_dilation_are_opencvs_bit_for_bit():
    """vis3d.inputs.morph (the line finder's long openings, by doubling windows) gives
    cv2.erode/dilate's values with a rectangular kernel: windows longer and shorter than the
    image, even and odd, down the columns, along the rows and both, with each border."""
    from vis3d.inputs import morph
    rng = np.random.default_rng(5)
    g, _, _, _, _ = _work(FRAMES[1])
    cases = [(g, (1, 72)), (g, (72, 1)), (g[:40], (1, 72)), (g, (9, 9)), (g, (49, 25))]
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        size = tuple(int(v) for v in rng.integers(1, 90, 2))
        cases.append((rng.integers(0, 256, (h, w)).astype(np.uint8), size))
    borders = ((cv2.BORDER_CONSTANT, None), (cv2.BORDER_CONSTANT, 0),
               (cv2.BORDER_CONSTANT, 255), (cv2.BORDER_REPLICATE, None))
    for img, (kw, kh) in cases:
        k = np.ones((kh, kw), np.uint8)
        for border, value in borders:
            extra = {} if value is None else {"borderValue": value}
            mine = {} if value is None else {"value": value}
            assert np.array_equal(morph.erode(img, (kw, kh), border, **mine),
                                  cv2.erode(img, k, borderType=border, **extra)), (kw, kh, border)
            assert np.array_equal(morph.dilate(img, (kw, kh), border, **mine),
                                  cv2.dilate(img, k, borderType=border, **extra)), (kw, kh, border)
    opened = morph.dilate(morph.erode(g, (1, 72)), (1, 72))
    assert np.array_equal(opened, cv2.morphologyEx(g, cv2.MORPH_OPEN, np.ones((72, 1), np.uint8)))
