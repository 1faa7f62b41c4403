import gzip
import struct

import numpy as np
import pytest

from vis3d.model import data
from vis3d.errors import Vis3dError


def write_idx(path, array, magic_type=0x08, gz=False):
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
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
