"""The labelled test images the insight views work on (gallery, class averages, projections,
top images per unit, confusion matrix).

Three sources, in this order of preference:
  * ``--data DIR`` holding the MNIST t10k IDX files (or ``$VIS3D_MNIST``): the full test set;
  * ``--data DIR`` holding one sub-folder per class of pictures (any model): each picture
    resized to the model's input (vis3d.inputs.fit); classes are the sub-folders, sorted;
  * nothing given, a 28x28 digit model: the 3,000 MNIST test digits shipped in
    assets/mnist_test.npz (the first 3,000 of t10k, in file order; CC BY-SA 3.0).

Numpy only (OpenCV for folders of pictures). Images stay compact: MNIST as uint8, a folder as
float32 of the model's input, at most MAX_IMAGES of them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vis3d.errors import NoTestData, Vis3dError

MAX_IMAGES = 20_000          # a folder with more pictures is cut to this many (first by name)
SHIPPED = "mnist_test.npz"


@dataclass
class TestSet:
    images: np.ndarray            # (N, 28, 28) uint8, or (N, *input_shape) float32 0..1
    labels: np.ndarray            # (N,) int64 class index
    classes: list[str]            # class names (index -> name)
    source: str                   # where they came from, for the user
    paths: list[str] = field(default_factory=list)   # per image, for a folder of pictures

    def __len__(self) -> int:
        return int(len(self.labels))

    def batch(self, start: int, stop: int) -> np.ndarray:
        """Images start..stop as float32 0..1 (what ``Probe.run`` takes, with a batch axis)."""
        part = self.images[start:stop]
        if part.dtype == np.uint8:
            return part.astype(np.float32) * np.float32(1 / 255)
        return np.ascontiguousarray(part, np.float32)

    def image(self, i: int) -> np.ndarray:
        return self.batch(int(i), int(i) + 1)[0]

    def picture(self, i: int) -> np.ndarray:
        """Image i for display: (H, W) or (H, W, 3) float 0..1."""
        img = self.image(i)
        if img.ndim == 3:
            img = img[0] if img.shape[0] != 3 else np.moveaxis(img, 0, -1)
        return img

    @property
    def key(self) -> str:
        """A short hash of the images and labels: cache files are per data set."""
        h = hashlib.sha1()
        h.update(str(self.images.shape).encode())
        h.update(np.ascontiguousarray(self.images).view(np.uint8).reshape(-1)[:: 97].tobytes())
        h.update(self.labels.astype(np.int64).tobytes())
        return h.hexdigest()[:16]


def shipped() -> TestSet:
    from vis3d.paths import assets_dir
    path = assets_dir() / SHIPPED
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = np.array(z["images"], np.uint8), np.array(z["labels"], np.int64)
    except (OSError, KeyError, ValueError) as exc:
        raise Vis3dError(f"{path}: cannot read the shipped test digits ({exc})") from None
    return TestSet(images, labels, [str(i) for i in range(10)],
                   f"{len(labels):,} MNIST test digits shipped with vis3d")


def _has_idx(directory: Path) -> bool:
    return any((directory / (stem + ext)).is_file()
               for stem in ("t10k-images-idx3-ubyte",) for ext in ("", ".gz"))


def mnist(directory: str | Path) -> TestSet:
    from vis3d.model.data import load_split  # numpy only
    split = load_split(directory, "test")
    return TestSet(split.images, split.labels, [str(i) for i in range(10)],
                   f"{len(split.labels):,} MNIST test digits from {directory}")


def folder(directory: str | Path, input_shape, limit: int = MAX_IMAGES) -> TestSet:
    """One sub-folder per class; every readable picture in it, resized to ``input_shape``."""
    from vis3d.inputs.files import IMAGE_EXTS, read_image
    from vis3d.inputs.fit import fit_image
    directory = Path(directory)
    classes = sorted(p.name for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise Vis3dError(f"{directory}: neither MNIST t10k files nor one sub-folder per class")
    images, labels, paths = [], [], []
    for k, name in enumerate(classes):
        for path in sorted((directory / name).iterdir()):
            if len(images) >= limit:
                break
            if path.suffix.lower() not in IMAGE_EXTS or not path.is_file():
                continue
            try:
                images.append(fit_image(read_image(path), input_shape))
            except Vis3dError:
                continue   # an unreadable picture is left out, the rest still count
            labels.append(k)
            paths.append(str(path))
    if not images:
        raise Vis3dError(f"{directory}: no readable pictures in its class sub-folders")
    return TestSet(np.stack(images).astype(np.float32), np.array(labels, np.int64), classes,
                   f"{len(images):,} pictures in {len(classes)} classes from {directory}", paths)


def load(data: str | Path | None, input_shape, use_env: bool = True) -> TestSet:
    """The test set for a model taking ``input_shape`` (``data``: a directory or None)."""
    shape = tuple(int(v) for v in input_shape)
    digits = shape in ((28, 28), (1, 28, 28))
    if data is None and use_env and os.environ.get("VIS3D_MNIST") and digits:
        env = Path(os.environ["VIS3D_MNIST"]).expanduser()
        if env.is_dir() and _has_idx(env):
            return mnist(env)
    if data is None:
        if digits:
            return shipped()
        raise NoTestData("this model does not take 28x28 digits: give its test pictures with "
                         "--data DIR (one sub-folder per class)")
    directory = Path(data).expanduser()
    if not directory.is_dir():
        raise Vis3dError(f"{directory}: test data directory not found")
    if _has_idx(directory):
        if not digits:
            raise Vis3dError(f"{directory}: MNIST digits do not fit a model taking "
                             f"{'x'.join(map(str, shape))}")
        return mnist(directory)
    return folder(directory, shape)
