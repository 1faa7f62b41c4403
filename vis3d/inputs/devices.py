"""Opening cameras and video files with OpenCV, and the small helpers around a capture.

Used by :mod:`vis3d.inputs.camera` (its worker thread does all the opening). No Qt here.
"""

from __future__ import annotations

import math
import os
import stat
import sys
from pathlib import Path

import numpy as np

from vis3d.errors import Vis3dError
from vis3d.inputs import convert  # noqa: F401 - first: configures OpenCV before cv2 loads
from vis3d.inputs.files import missing_reason

import cv2  # noqa: E402

READ_TIMEOUT_MS = 500      # a device read gives up after this long (where the backend supports it)
OPEN_TIMEOUT_MS = 2000     # ... and an open


def parse_camera_spec(text) -> int | str:
    """'0' -> 0 and '/dev/video2' -> 2 (device indices), anything else -> a video file path."""
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
        return int(text)
    s = str(text).strip()
    if not s:
        raise Vis3dError("empty camera: give a device index (0, 1, ...) or a video file")
    if s.lstrip("+").isdigit():
        return int(s)
    if s.startswith("/dev/video") and s[len("/dev/video"):].isdigit():
        return int(s[len("/dev/video"):])
    return s


def device_exists(index: int) -> bool | None:
    """On Linux, whether /dev/video<index> exists (None where we cannot tell cheaply)."""
    if sys.platform.startswith("linux"):
        return os.path.exists(f"/dev/video{index}")
    return None


def open_device(index: int, width: int, height: int):
    if device_exists(index) is False:
        return None
    backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    try:
        cap = cv2.VideoCapture(index, backend, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS,
                                                cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS])
    except cv2.error:
        cap = cv2.VideoCapture(index, backend)
    if not cap.isOpened():
        cap.release()
        return None
    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)          # keep the driver from queueing old frames
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    return cap


def file_problem(path: str) -> str:
    """Why ``path`` cannot be a video file ('' if it may be): missing, a directory, or a FIFO,
    socket or device (which would block an open forever)."""
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except OSError:
        return missing_reason(p)
    if stat.S_ISDIR(mode):
        return "it is a directory"
    if stat.S_ISFIFO(mode):
        return "it is a FIFO (named pipe), not a video file"
    if not stat.S_ISREG(mode):
        return "it is not a regular file"
    return ""


def open_file(path: str):
    if file_problem(path):
        return None
    # FFmpeg only: OpenCV's fallback readers print to stderr about files they cannot parse
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        return None
    return cap


def open_error(spec: int | str) -> str:
    """One line saying why ``spec`` could not be opened."""
    if isinstance(spec, int):
        return f"no camera at index {spec}"
    why = file_problem(spec)
    return f"cannot open video file {spec}: {why or 'not a video OpenCV can read'}"


def probe_devices(max_index: int = 4) -> list[int]:
    """Device indices 0..max_index-1 that open (quick: nonexistent nodes are skipped)."""
    found = []
    for i in range(max_index):
        if device_exists(i) is False:
            continue
        cap = open_device(i, 640, 480)
        if cap is not None:
            found.append(i)
            cap.release()
    return found


def get(cap, prop) -> float:
    try:
        v = float(cap.get(prop))
    except Exception:  # noqa: BLE001
        return 0.0
    return v if math.isfinite(v) else 0.0


def is_open(cap) -> bool:
    try:
        return bool(cap.isOpened())
    except Exception:  # noqa: BLE001
        return False


def release(cap) -> None:
    try:
        cap.release()
    except Exception:  # noqa: BLE001
        pass


def list_devices(max_index: int = 10, dev: str = "/dev",
                 names: str = "/sys/class/video4linux") -> list[tuple[int, str]]:
    """The cameras that exist, as (index, name), without opening any (so it never blocks):
    /dev/videoN nodes and their driver names on Linux; elsewhere, where that cannot be told
    cheaply, indices 0..3 to try."""
    if not sys.platform.startswith("linux"):
        return [(i, f"camera {i}") for i in range(4)]
    found = []
    for i in range(max_index):
        if not os.path.exists(f"{dev}/video{i}"):
            continue
        name = ""
        try:
            name = Path(f"{names}/video{i}/name").read_text().strip()
        except OSError:
            pass
        found.append((i, f"camera {i}" + (f": {name}" if name else "")))
    return found
