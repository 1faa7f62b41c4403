import gzip
import os
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from vis3d.model import data
from vis3d.errors import Vis3dError


IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def write_idx(path, array, magic_type=0x08, gz=False, extra=b""):
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.asarray(array).astype(IDX_TYPES[magic_type]).tobytes() + extra
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, gz):
    arr = np.random.default_rng(1).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / ("x.gz" if gz else "x"), arr, gz=gz)
    np.testing.assert_array_equal(data.read_idx(path), arr)


def test_real_test_split(mnist_test):
    assert mnist_test.images.shape == (10000, 28, 28)
    counts = np.bincount(mnist_test.labels, minlength=10)
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_bad_magic(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x12\x34\x08\x03" + b"\0" * 40)
    with pytest.raises(Vis3dError, match="bad magic number"):
        data.read_idx(path)


def test_truncated_body(tmp_path):
    arr = np.zeros((3, 28, 28), np.uint8)
    path = write_idx(tmp_path / "t", arr)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(Vis3dError, match="truncated"):
        data.read_idx(path)


def test_truncated_gzip(tmp_path):
    arr = np.zeros((3, 28, 28), np.uint8)
    path = write_idx(tmp_path / "t.gz", arr, gz=True)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(Vis3dError, match="t.gz"):
        data.read_idx(path)


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(Vis3dError, match="not found"):
        data.load_split(tmp_path / "nowhere", "test")
    with pytest.raises(Vis3dError, match="t10k-images-idx3-ubyte"):
        data.load_split(tmp_path, "test")


def test_label_count_mismatch(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(Vis3dError, match="3 labels for 4 images"):
        data.load_split(tmp_path, "test")


def test_download_offline_fails_cleanly(tmp_path, monkeypatch):
    # Point the mirrors at a closed local port: the same failure as having no internet.
    monkeypatch.setattr(data, "MIRRORS", ("http://127.0.0.1:9/",))
    with pytest.raises(Vis3dError, match="cannot download"):
        data.download(tmp_path / "new", timeout=2)
    assert not (tmp_path / "new").exists()


# --- hostile and broken files -------------------------------------------------------------

def _gzip_bomb(path, images=10_000, zero_gigabytes=1.0):
    """A valid gzip: an IDX header for ``images`` 28x28 images and their bytes, then many
    gzip members of nothing but zeros (expanding to ``zero_gigabytes`` GB), all small on disk."""
    head = bytes([0, 0, 8, 3]) + struct.pack(">3I", images, 28, 28) + bytes(images * 784)
    member = gzip.compress(bytes(64 << 20), compresslevel=9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(head))
        for _ in range(int(zero_gigabytes * 16)):
            fh.write(member)
    return path


def test_gzip_bomb_is_refused_with_bounded_memory(tmp_path):
    bomb = _gzip_bomb(tmp_path / "train-images-idx3-ubyte.gz")
    assert bomb.stat().st_size < 5 << 20
    # VmHWM: this process's own peak (ru_maxrss would carry the forking parent's peak).
    code = ("import re, sys\n"
            "from vis3d.model import data\n"
            "from vis3d.errors import Vis3dError\n"
            "try:\n    data.read_idx(sys.argv[1])\nexcept Vis3dError as e:\n    print(e)\n"
            "print(re.search(r'VmHWM:\\s*(\\d+) kB', open('/proc/self/status').read())[1])\n")
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True,
                         timeout=300)
    elapsed = time.monotonic() - t0
    assert res.returncode == 0, res.stderr[-2000:]
    *message, peak_kb = res.stdout.strip().splitlines()
    assert int(peak_kb) < 250_000, f"peak RSS {int(peak_kb) // 1024} MB"
    assert len(message) == 1 and str(bomb) in message[0] and "trailing data" in message[0]
    assert elapsed < 30


def test_gzip_bomb_through_train_is_one_line_and_fast(tmp_path):
    _gzip_bomb(tmp_path / "train-images-idx3-ubyte.gz", zero_gigabytes=0.25)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(10_000, np.uint8))
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "vis3d", "train", "--data", str(tmp_path),
                          "--epochs", "1", "--out", str(tmp_path / "m.safetensors")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and time.monotonic() - t0 < 60
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vis3d: error: ")
    assert "train-images-idx3-ubyte.gz" in lines[0] and "trailing data" in lines[0]
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("dims, message", [
    ((0xFFFFFFFF, 28, 28), "claims 4294967295 items"),
    ((60000, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), "claims shape"),   # np.prod would overflow
    ((1, 2, 3, 4, 5), "5 dimensions"),
])
def test_implausible_headers_are_refused_before_reading(tmp_path, dims, message):
    path = tmp_path / "huge"
    path.write_bytes(bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + bytes(64))
    with pytest.raises(Vis3dError, match=message) as err:
        data.read_idx(path)
    assert str(path) in str(err.value)


def test_trailing_data_is_refused(tmp_path):
    path = write_idx(tmp_path / "tail", np.zeros((2, 28, 28), np.uint8), extra=b"\0")
    with pytest.raises(Vis3dError, match="tail: trailing data after the 1568 bytes"):
        data.read_idx(path)


@pytest.mark.parametrize("kind", ["deflate", "crc"])
def test_corrupt_gzip_is_one_line(tmp_path, kind):
    if kind == "deflate":  # compressible data: Huffman blocks, whose corruption zlib detects
        arr, span = (np.arange(50 * 784) % 7).astype(np.uint8).reshape(50, 28, 28), range(20, 40)
    else:  # random data: stored blocks, only the CRC at the end can tell
        arr, span = np.random.default_rng(2).integers(0, 256, (50, 28, 28), np.uint8), range(200, 400)
    path = write_idx(tmp_path / "c.gz", arr, gz=True)
    raw = bytearray(path.read_bytes())
    for k in span:
        raw[k] ^= 0xA5
    path.write_bytes(bytes(raw))
    with pytest.raises(Vis3dError, match="c.gz: corrupt or truncated gzip data") as err:
        data.read_idx(path)
    assert "\n" not in str(err.value)


def test_big_endian_types_read_as_numbers(tmp_path):
    for code, values in ((0x0B, [-3, 300]), (0x0C, [-70000, 5]), (0x0D, [1.5, -2.0]),
                         (0x0E, [1e300, 0.25])):
        path = write_idx(tmp_path / f"t{code}", np.array(values), magic_type=code)
        np.testing.assert_array_equal(data.read_idx(path), values)


def _split(tmp_path, images, labels, label_type=0x08):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.asarray(labels), magic_type=label_type)
    return tmp_path / "t10k-labels-idx1-ubyte"


@pytest.mark.parametrize("labels, code, message", [
    ([3, -1, 2], 0x09, "label 1 is -1, out of range 0..9"),
    ([3, 12, 2], 0x08, "label 1 is 12, out of range 0..9"),
    ([3, 4, -7], 0x0C, "label 2 is -7, out of range 0..9"),
    ([np.nan, 1, 2], 0x0D, "label 0 is nan"),
    ([1, np.inf, 2], 0x0E, "label 1 is inf"),
    ([1, 2.5, 2], 0x0D, "label 1 is 2.5 (not a whole number)"),
])
def test_bad_labels_name_the_file(tmp_path, labels, code, message):
    lab = _split(tmp_path, np.zeros((3, 28, 28), np.uint8), labels, code)
    with pytest.raises(Vis3dError) as err:
        data.load_split(tmp_path, "test")
    assert str(err.value).startswith(f"{lab}: ") and message in str(err.value)


def test_float_labels_that_are_digits_are_accepted(tmp_path):
    _split(tmp_path, np.zeros((3, 28, 28), np.uint8), [0.0, 9.0, 4.0], 0x0D)
    split = data.load_split(tmp_path, "test")
    assert split.labels.dtype == np.int64 and split.labels.tolist() == [0, 9, 4]


def test_zero_images_refused(tmp_path):
    _split(tmp_path, np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    with pytest.raises(Vis3dError, match="t10k-images-idx3-ubyte: the file holds no images"):
        data.load_split(tmp_path, "test")


def test_bad_labels_stop_train_before_training(tmp_path):
    for split, n in (("train", 8), ("t10k", 4)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte", np.zeros((n, 28, 28), np.uint8))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte", np.full(n, 1, np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2, -1, 3]), magic_type=0x09)
    res = subprocess.run([sys.executable, "-m", "vis3d", "train", "--data", str(tmp_path),
                          "--epochs", "1", "--out", str(tmp_path / "m.safetensors")],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert res.returncode == 2, res.stderr[-2000:]
    assert res.stderr.strip() == (f"vis3d: error: {tmp_path / 't10k-labels-idx1-ubyte'}: "
                                  f"label 2 is -1, out of range 0..9")
    assert not (tmp_path / "m.safetensors").exists()
