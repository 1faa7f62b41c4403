"""Reading the inputs of ``vis3d predict`` (and the window's ``--input``): image files,
directories of images and the frames of video files, each failure named and never fatal.
Numpy and OpenCV only."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from vis3d.inputs import MAX_PIXELS  # first: sets OpenCV's limits before cv2 loads

import cv2
import numpy as np

from vis3d.errors import Vis3dError
from vis3d.inputs.header import Size, image_size

WORK_PIXELS = 8_000_000           # bigger pictures are decoded in gray and shrunk to this
WORK_BYTES = 64_000_000           # ... as are those that would decode to more bytes than this
MAX_FILE_BYTES = 200_000_000      # an "image" file larger than this is not read at all

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


def _decode(raw: bytes, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray | None:
    buf = np.frombuffer(raw, np.uint8)
    if buf.size == 0:
        return None
    try:
        img = cv2.imdecode(buf, flags)
    except cv2.error:
        return None
    if img is None or img.size == 0:
        return None
    if img.ndim == 3 and img.shape[2] == 4 and img.dtype == np.uint8 and img[..., 3].min() == 255:
        img = img[..., :3]
    return img


def _reduced_flags(size: Size) -> tuple[int, int]:
    """(imdecode flags, factor) to decode a big picture within WORK_PIXELS: gray (a digit needs
    no colour), and for JPEG already reduced by 2, 4 or 8 inside the decoder."""
    if size.format != "JPEG":
        return cv2.IMREAD_GRAYSCALE, 1
    for factor, flag in ((2, cv2.IMREAD_REDUCED_GRAYSCALE_2), (4, cv2.IMREAD_REDUCED_GRAYSCALE_4),
                         (8, cv2.IMREAD_REDUCED_GRAYSCALE_8)):
        if size.pixels / factor ** 2 <= WORK_PIXELS:
            return flag, factor
    return cv2.IMREAD_REDUCED_GRAYSCALE_8, 8


def _shrink(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    if h * w <= WORK_PIXELS:
        return img
    s = (WORK_PIXELS / (h * w)) ** 0.5
    size = (max(1, int(w * s)), max(1, int(h * s)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def decode_image(raw: bytes, name: str) -> np.ndarray:
    """Decode an image file's bytes; :class:`Vis3dError` naming ``name`` if it is not a picture
    or too large. The size is read from the header first: more than MAX_PIXELS is refused,
    and more than WORK_PIXELS (or a decoded size over WORK_BYTES) is decoded in gray and
    shrunk to WORK_PIXELS, so no single picture needs more than ~100 MB."""
    size = image_size(raw[:65536])
    if size is not None and size.pixels > MAX_PIXELS:
        raise Vis3dError(f"{name}: image too large ({size.width}x{size.height} pixels; "
                         f"vis3d reads at most {MAX_PIXELS // 1_000_000} megapixels)")
    if size is not None and size.pixels == 0:
        raise Vis3dError(f"{name}: empty image ({size.width}x{size.height} pixels)")
    flags = cv2.IMREAD_UNCHANGED
    if size is not None and (size.pixels > WORK_PIXELS
                             or size.pixels * size.bytes_per_pixel > WORK_BYTES):
        flags, _ = _reduced_flags(size)
    img = _decode(raw, flags)
    if img is None:
        if size is None and len(raw) > 4 * WORK_BYTES // 100:
            raise Vis3dError(f"{name}: not a readable image (or larger than "
                             f"{MAX_PIXELS // 1_000_000} megapixels)")
        raise Vis3dError(f"{name}: not a readable image")
    return _shrink(img)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode one image file (alpha and 16-bit kept); :class:`Vis3dError` names the file."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise Vis3dError(f"{path}: {missing_reason(path)}") from None
    except IsADirectoryError:
        raise Vis3dError(f"{path}: is a directory") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Vis3dError(f"{path}: symlink loop") from None
        raise Vis3dError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise Vis3dError(f"{path}: too big for an image file (over "
                         f"{MAX_FILE_BYTES // 1_000_000} MB)")
    return decode_image(raw, str(path))


def missing_reason(path: Path) -> str:
    """Why ``path`` cannot be found: 'symlink loop', 'broken symlink (to X)' or 'no such file
    or directory'."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if path.is_symlink():
            try:
                return f"broken symlink (to {os.readlink(path)})"
            except OSError:
                return "broken symlink"
        return "no such file or directory"
    return "no such file or directory"


def _video_frames(path: Path) -> Iterator[Item]:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)   # no fallback readers printing to stderr
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
            yield Item(str(path), error=f"{path}: {missing_reason(path)}")
