"""Preprocessing speed: pad (280x280) and camera (640x480) input -> 28x28, medians in ms.

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
        paper = (200 - 0.08 * xx - 0.05 * yy).astype(np.float32)
        frame = np.dstack([paper] * 3)
        cv2.putText(frame, str(d), (220, 380), cv2.FONT_HERSHEY_SIMPLEX, 9, (30, 30, 40), 22,
                    cv2.LINE_AA)
        frame += np.random.default_rng(d).normal(0, 4, frame.shape).astype(np.float32)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return pads, frames


def sample_inputs() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(pad images, camera frames) from assets/samples, else drawn ones."""
    try:
        from vis3d.paths import assets_dir
        folder = assets_dir() / "samples"
        pads = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(folder.glob("pad_*.png"))]
        frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted(folder.glob("camera_*.jpg"))]
        pads = [p for p in pads if p is not None]
        frames = [f for f in frames if f is not None]
    except FileNotFoundError:
        pads, frames = [], []
    if not pads or not frames:
        fb_pads, fb_frames = _fallback_inputs()
        pads, frames = pads or fb_pads, frames or fb_frames
    return pads, frames


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
    """{"pad_ms": median pad -> 28x28, "camera_ms": median camera frame -> 28x28}."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        pads, frames = sample_inputs()
        repeat = max(1, int(repeat))
        return {"pad_ms": round(_median_ms(preprocess.prepare_pad, pads, repeat), 4),
                "camera_ms": round(_median_ms(preprocess.prepare_camera, frames, repeat), 4)}
    finally:
        cv2.setNumThreads(threads)


if __name__ == "__main__":
    import json
    print(json.dumps(measure()))
