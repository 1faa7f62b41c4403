"""MNIST IDX files: reading (plain or gzipped) and an optional download."""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.error
import urllib.request
import zlib
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


# Limits that no MNIST-like file comes near: a header asking for more is refused before
# anything is allocated, so a hostile or broken file cannot make the reader balloon.
MAX_ITEMS = 10_000_000          # first dimension (images or labels)
MAX_DIMS = 4
MAX_BYTES = 1 << 30             # the whole body
_CHUNK = 1 << 20


def _open(path: Path):
    """The file as a byte stream, decompressing gzip on the fly (never all at once)."""
    fh = open(path, "rb")
    head = fh.read(2)
    fh.seek(0)
    if path.suffix == ".gz" or head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb"), fh
    return fh, fh


def _read_exact(stream, n: int) -> bytes:
    """Up to ``n`` bytes, in chunks: memory grows with what the file really holds."""
    parts, got = [], 0
    while got < n:
        part = stream.read(min(_CHUNK, n - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _parse_header(path: Path, stream) -> tuple[np.dtype, tuple[int, ...]]:
    magic = _read_exact(stream, 4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _DTYPES:
        raise Vis3dError(f"{path}: not an IDX file (bad magic number {magic.hex() or 'empty'})")
    ndim = magic[3]
    if not 1 <= ndim <= MAX_DIMS:
        raise Vis3dError(f"{path}: IDX header declares {ndim} dimensions (expected 1..{MAX_DIMS})")
    raw = _read_exact(stream, 4 * ndim)
    if len(raw) < 4 * ndim:
        raise Vis3dError(f"{path}: IDX header truncated")
    shape = struct.unpack(f">{ndim}I", raw)
    dtype = np.dtype(_DTYPES[magic[2]])
    if shape[0] > MAX_ITEMS:
        raise Vis3dError(f"{path}: IDX header claims {shape[0]} items (more than {MAX_ITEMS}: "
                         f"not a real data set)")
    need = dtype.itemsize
    for d in shape:  # Python ints: no overflow, whatever the header says
        need *= d
    if need > MAX_BYTES:
        raise Vis3dError(f"{path}: IDX header claims shape {shape}, {need} bytes (more than "
                         f"{MAX_BYTES >> 20} MB: not a real data set)")
    return dtype, shape


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or not) into an array: exactly the bytes the header asks
    for, read as a stream; implausible headers and trailing data are refused."""
    path = Path(path)
    try:
        stream, fh = _open(path)
    except FileNotFoundError:
        raise Vis3dError(f"{path}: file not found") from None
    except OSError as exc:
        raise Vis3dError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        dtype, shape = _parse_header(path, stream)
        need = dtype.itemsize * int(np.prod(shape, dtype=object))
        body = _read_exact(stream, need)
        if len(body) < need:
            raise Vis3dError(f"{path}: IDX body truncated ({len(body)} of {need} bytes for "
                             f"shape {shape})")
        if stream.read(1):
            raise Vis3dError(f"{path}: trailing data after the {need} bytes that the IDX header "
                             f"declares for shape {shape}")
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        what = str(exc) or type(exc).__name__
        raise Vis3dError(f"{path}: corrupt or truncated gzip data ({what})") from None
    finally:
        fh.close()
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


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
    if len(images) == 0:
        raise Vis3dError(f"{img_path}: the file holds no images")
    if labels.ndim != 1 or len(labels) != len(images):
        raise Vis3dError(f"{lab_path}: {labels.shape[0] if labels.ndim else 0} labels for {len(images)} images")
    return Split(images=images, labels=check_labels(lab_path, labels))


def check_labels(path: Path, labels: np.ndarray) -> np.ndarray:
    """Labels as int64 in 0..9, whatever integer or float type the file stored them in."""
    if labels.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(labels))
        if bad.size:
            raise Vis3dError(f"{path}: label {bad[0]} is {labels[bad[0]]} (not a digit 0..9)")
        bad = np.flatnonzero(labels != np.round(labels))
        if bad.size:
            raise Vis3dError(f"{path}: label {bad[0]} is {labels[bad[0]]} (not a whole number)")
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        value = labels[bad[0]]
        value = int(value) if float(value).is_integer() else float(value)
        raise Vis3dError(f"{path}: label {bad[0]} is {value}, out of range 0..9")
    return labels.astype(np.int64)


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
