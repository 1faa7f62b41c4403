"""MNIST IDX files: reading (plain or gzipped) and an optional download."""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vis3d.errors import Vis3dError

FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

# The gzipped files as distributed (the md5 sums torchvision also checks).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass
class Split:
    images: np.ndarray  # (N, 28, 28) uint8, ink bright
    labels: np.ndarray  # (N,) int64


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped when its name ends in .gz) into an array."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise Vis3dError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise Vis3dError(f"{path}: cannot read ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise Vis3dError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise Vis3dError(f"{path}: IDX header truncated")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(_DTYPES[raw[2]])
    need = int(np.prod(shape)) * dtype.itemsize
    body = raw[4 + 4 * ndim :]
    if len(body) < need:
        raise Vis3dError(f"{path}: IDX body truncated ({len(body)} of {need} bytes for shape {shape})")
    return np.frombuffer(body[:need], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise Vis3dError(f"{directory}: missing MNIST file {stem}[.gz] (try 'vis3d data download')")


def load_split(directory: str | Path, split: str) -> Split:
    """Load 'train' or 'test' from a directory holding the standard IDX names."""
    directory = Path(directory)
    if not directory.is_dir():
        raise Vis3dError(f"{directory}: MNIST data directory not found (set VIS3D_MNIST or pass --data)")
    img_path = _find(directory, FILES[(split, "images")])
    lab_path = _find(directory, FILES[(split, "labels")])
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise Vis3dError(f"{img_path}: expected uint8 images of 28x28, got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise Vis3dError(f"{lab_path}: {labels.shape[0] if labels.ndim else 0} labels for {len(images)} images")
    if labels.size and labels.max() > 9:
        raise Vis3dError(f"{lab_path}: label {int(labels.max())} out of range 0..9")
    return Split(images=images, labels=labels.astype(np.int64))


def download(directory: str | Path, timeout: float = 20.0) -> list[Path]:
    """Fetch the four official files into ``directory``, verifying their md5 sums."""
    directory = Path(directory)
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, md5 in MD5.items():
        target = directory / name
        if target.is_file() and hashlib.md5(target.read_bytes()).hexdigest() == md5:
            written.append(target)
            continue
        errors = []
        for base in MIRRORS:
            try:
                with urllib.request.urlopen(base + name, timeout=timeout) as resp:
                    payload = resp.read()
            except (urllib.error.URLError, OSError) as exc:
                errors.append(f"{base}: {getattr(exc, 'reason', exc)}")
                continue
            if hashlib.md5(payload).hexdigest() != md5:
                errors.append(f"{base}{name}: checksum mismatch")
                continue
            target.write_bytes(payload)
            written.append(target)
            break
        else:
            if created and not any(directory.iterdir()):
                directory.rmdir()  # leave nothing behind when nothing came
            raise Vis3dError(f"cannot download {name} (no internet?): {errors[0] if errors else 'no mirror'}")
    return written
