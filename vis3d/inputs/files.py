"""Reading the inputs of ``vis3d predict`` (and the window's ``--input``): image files,
directories of images and the frames of video files, each failure named and never fatal.
Numpy and OpenCV only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2

try:  # decoder warnings (a truncated PNG...) would print before our one-line error
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except AttributeError:  # pragma: no cover - builds without the logging module
    pass

import numpy as np

from vis3d.errors import Vis3dError

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".jpe", ".bmp", ".dib", ".tif", ".tiff", ".webp",
              ".pgm", ".ppm", ".pbm", ".pnm", ".pxm", ".gif", ".jp2", ".exr", ".hdr", ".pic",
              ".sr", ".ras", ".avif"}
VIDEO_EXTS = {".avi", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv",
              ".flv", ".ogv", ".mjpg", ".mjpeg", ".3gp"}


@dataclass
class Item:
    """One image or one video frame to classify, or the reason it could not be read."""
    path: str
    frame: int | None = None          # frame number (0-based) for videos, else None
    image: np.ndarray | None = None   # as OpenCV decodes it: gray, BGR or BGRA, any dtype
    error: str | None = None          # one line naming the path; set when image is None


def _decode(raw: bytes) -> np.ndarray | None:
    buf = np.frombuffer(raw, np.uint8)
    if buf.size == 0:
        return None
    try:
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        return None
    if img is None or img.size == 0:
        return None
    if img.ndim == 3 and img.shape[2] == 4 and img.dtype == np.uint8 and img[..., 3].min() == 255:
        img = img[..., :3]
    return img


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode one image file (alpha and 16-bit kept); :class:`Vis3dError` names the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise Vis3dError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise Vis3dError(f"{path}: is a directory") from None
    except OSError as exc:
        raise Vis3dError(f"{path}: cannot read ({exc.strerror or exc})") from None
    img = _decode(raw)
    if img is None:
        raise Vis3dError(f"{path}: not a readable image")
    return img


def _video_frames(path: Path) -> Iterator[Item]:
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            yield Item(str(path), error=f"{path}: not a readable image or video")
            return
        n = 0
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            yield Item(str(path), n, frame)
            n += 1
        if n == 0:
            yield Item(str(path), error=f"{path}: video has no readable frames")
    finally:
        cap.release()


def _file(path: Path) -> Iterator[Item]:
    ext = path.suffix.lower()
    if ext in VIDEO_EXTS:
        yield from _video_frames(path)
        return
    try:
        yield Item(str(path), None, read_image(path))
        return
    except Vis3dError as exc:
        if ext in IMAGE_EXTS or not os.access(path, os.R_OK):
            yield Item(str(path), error=str(exc))
            return
    yield from _video_frames(path)     # an unknown extension: perhaps a video


def is_input_file(path: Path) -> bool:
    """Whether a directory entry is taken as an input (by extension; hidden files skipped)."""
    return path.is_file() and not path.name.startswith(".") and \
        path.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS


def iter_inputs(paths) -> Iterator[Item]:
    """Every image, every image of a directory (sorted by name, not recursive) and every
    frame of a video, in the order given. Unreadable inputs come back as Items with
    ``error`` set; reading goes on."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            try:
                entries = sorted((e for e in path.iterdir() if is_input_file(e)),
                                 key=lambda e: e.name)
            except OSError as exc:
                yield Item(str(path), error=f"{path}: cannot list directory ({exc.strerror or exc})")
                continue
            if not entries:
                yield Item(str(path), error=f"{path}: no image or video files in directory")
            for entry in entries:
                yield from _file(entry)
        elif path.exists():
            yield from _file(path)
        else:
            yield Item(str(path), error=f"{path}: no such file or directory")
