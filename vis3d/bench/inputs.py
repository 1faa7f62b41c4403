"""Preprocessing speed: pad (280x280) and camera input -> 28x28, medians in ms. The camera
at 640x480 (``camera_ms``: every 640x480 sample frame, the two photos and two webcam frames
of each kind scripts/bench_samples.py renders: a digit on a notebook page, a held slip, a dim
room, a sticky note, nothing held up) and at the HD sizes webcams deliver by default
(``camera_1080p_ms``: one 1920x1080 webcam frame of each kind, rendered at that size;
``camera_720p_ms``: the same frames reduced to 1280x720, a real 16:9 scene as a 720p webcam
sees it). Without HD samples the 640x480 frames are scaled up instead (:func:`_to_size`).

Runs OpenCV on one thread (as the window does, leaving the other core to the renderer).
Inputs are the bundled samples (assets/samples); without them a digit is drawn with
cv2.putText so the benchmark still runs. ``vis3d bench`` merges :func:`measure` into its JSON.
"""

from __future__ import annotations

import time

from vis3d.inputs import preprocess  # first: configures OpenCV before cv2 loads

import cv2
import numpy as np


def _fallback_inputs() -> tuple[list[np.ndarray], list[np.ndarray]]:
    pads, frames = [], []
    for d in range(10):
        pad = np.zeros((280, 280), np.uint8)
        cv2.putText(pad, str(d), (70, 230), cv2.FONT_HERSHEY_SIMPLEX, 7, 255, 18, cv2.LINE_AA)
        pads.append(pad)
        yy, xx = np.mgrid[0:480, 0:640]
        paper = (200 - 0.08 * xx - 0.05 * yy).astype(np.uint8)
        frame = np.ascontiguousarray(np.dstack([paper] * 3))
        cv2.putText(frame, str(d), (220, 380), cv2.FONT_HERSHEY_SIMPLEX, 9, (30, 30, 40), 22,
                    cv2.LINE_AA)          # (OpenCV 5 draws text on 8-bit images only)
        frame = frame + np.random.default_rng(d).normal(0, 4, frame.shape).astype(np.float32)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return pads, frames


def _read(folder, pattern: str, flags: int) -> list[np.ndarray]:
    images = [cv2.imread(str(p), flags) for p in sorted(folder.glob(pattern))]
    return [i for i in images if i is not None]


def sample_inputs() -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """(pad images, 640x480 camera frames, 1920x1080 webcam frames) from assets/samples,
    else drawn ones (and no HD frames)."""
    try:
        from vis3d.paths import assets_dir
        folder = assets_dir() / "samples"
        pads = _read(folder, "pad_*.png", cv2.IMREAD_UNCHANGED)
        frames = [f for f in _read(folder, "camera_*.jpg", cv2.IMREAD_COLOR)
                  + _read(folder, "webcam_*.jpg", cv2.IMREAD_COLOR) if f.shape[:2] == (480, 640)]
        big = _read(folder, "webcam_1080_*.jpg", cv2.IMREAD_COLOR)
    except FileNotFoundError:
        pads, frames, big = [], [], []
    if not pads or not frames:
        fb_pads, fb_frames = _fallback_inputs()
        pads, frames = pads or fb_pads, frames or fb_frames
    return pads, frames, big


def _to_size(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A 4:3 photo as a 16:9 HD frame: scaled to the height, centred, the sides filled by
    the photo's edge columns (as a wider view of the same scene would be)."""
    w, h = size
    scaled = cv2.resize(frame, (int(round(frame.shape[1] * h / frame.shape[0])), h),
                        interpolation=cv2.INTER_LINEAR)
    left = (w - scaled.shape[1]) // 2
    return cv2.copyMakeBorder(scaled, 0, 0, left, w - scaled.shape[1] - left,
                              cv2.BORDER_REPLICATE)


def _median_ms(fn, inputs, repeat: int) -> float:
    for x in inputs:          # warm-up: first calls allocate
        fn(x)
    times = []
    for i in range(repeat):
        x = inputs[i % len(inputs)]
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))


def measure(repeat: int = 300) -> dict:
    """{"pad_ms": median pad -> 28x28, "camera_ms" (640x480), "camera_720p_ms",
    "camera_1080p_ms": median camera frame -> 28x28}."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        pads, frames, big = sample_inputs()
        repeat = max(1, int(repeat))
        out = {"pad_ms": round(_median_ms(preprocess.prepare_pad, pads, repeat), 4),
               "camera_ms": round(_median_ms(preprocess.prepare_camera, frames, repeat), 4)}
        for key, size in (("camera_720p_ms", (1280, 720)), ("camera_1080p_ms", (1920, 1080))):
            if big:       # real HD frames (reduced to 720p as a camera's scaler would)
                hd = [f if f.shape[1] == size[0] else
                      cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in big]
            else:
                hd = [_to_size(f, size) for f in frames]
            out[key] = round(_median_ms(preprocess.prepare_camera, hd, max(1, repeat // 2)), 4)
        return out
    finally:
        cv2.setNumThreads(threads)


if __name__ == "__main__":
    import json
    print(json.dumps(measure()))
