"""What a test set tells about a model (pure numpy): predictions and the confusion matrix,
each node's mean activation per class, the images that excite a node (or a channel) most,
and PCA projections of a layer.

Everything consumes the chunks of vis3d.model.batch.chunks, ``(start, stop, {layer: (B,
*shape)}, probs (B, K))`` in file order, so a test set of any size passes once in bounded
memory. Node values follow the layout: a slab shows its ``value_layer``; the output slab the
probabilities; the input slab the image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


# --- top-k ---------------------------------------------------------------------------------
class TopK:
    """The k highest values per column over streamed rows, ties to the lower row index (the
    order a stable sort of all rows by value, highest first, would give)."""

    def __init__(self, k: int, columns: int):
        self.k = int(k)
        self.values = np.full((0, columns), -np.inf, np.float32)
        self.index = np.zeros((0, columns), np.int64)

    def update(self, rows: np.ndarray, start: int) -> None:
        rows = np.asarray(rows, np.float32).reshape(len(rows), -1)
        idx = np.broadcast_to(np.arange(start, start + len(rows))[:, None], rows.shape)
        vals = np.concatenate([self.values, rows])
        ids = np.concatenate([self.index, idx])
        # Earlier rows come first in ``vals``; a stable sort keeps them first among equals.
        order = np.argsort(-vals, axis=0, kind="stable")[: self.k]
        self.values = np.take_along_axis(vals, order, 0)
        self.index = np.take_along_axis(ids, order, 0)


def brute_top(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference ranking of one column of values: (indices, values), highest first, ties to
    the lower index."""
    values = np.asarray(values, np.float32)
    order = np.lexsort((np.arange(len(values)), -values))[:k]
    return order, values[order]


def value_layer(layout, layer: str):
    """-> (slab, the probe layer its nodes show, or None for the output slab's probabilities)."""
    slab = layout.slab(layer)
    if slab.kind == "input":
        from vis3d.errors import Vis3dError
        raise Vis3dError("the input pixels are not a layer: choose a layer after the input")
    return slab, (None if slab.kind == "output" else slab.value_layer)


def top_images(chunk_iter, layout, layer: str, k: int = 9, channels: bool = False):
    """Per node (or per channel: its maximum over the map) of one layer: the k test images
    that excite it most. -> (indices (k, D), values (k, D))."""
    slab, name = value_layer(layout, layer)
    top = None
    for start, _stop, outs, probs in chunk_iter:
        a = probs if name is None else outs[name]
        a = a.reshape(len(a), -1)
        if channels:
            if not slab.is_map:
                from vis3d.errors import Vis3dError
                raise Vis3dError(f"layer '{slab.name}' has no channels (it is a vector)")
            a = a.reshape(len(a), slab.shape[0], -1).max(2)
        if top is None:
            top = TopK(k, a.shape[1])
        top.update(a, start)
    if top is None:
        return np.zeros((0, 0), np.int64), np.zeros((0, 0), np.float32)
    return top.index, top.values


# --- one pass: predictions, confusion, class means ---------------------------------------
@dataclass
class Stats:
    labels: np.ndarray          # (N,) true class
    preds: np.ndarray           # (N,) predicted class
    confidence: np.ndarray      # (N,) probability of the prediction
    classes: int
    means: dict = field(default_factory=dict)   # layer -> (K, D) mean output per true class
    input_mean: np.ndarray | None = None        # (K, D) mean image per class
    prob_mean: np.ndarray | None = None         # (K, K) mean probabilities per class

    @property
    def confusion(self) -> np.ndarray:
        k = self.classes
        return np.bincount(self.labels * k + self.preds, minlength=k * k).reshape(k, k)

    @property
    def accuracy(self) -> float:
        return float((self.labels == self.preds).mean()) if len(self.labels) else 0.0

    def node_means(self, layout, cls: int) -> np.ndarray:
        """Every node's mean value over the test images of class ``cls``, in node order."""
        out = np.zeros(layout.count, np.float32)
        for s in layout.slabs:
            if s.kind == "input":
                v = self.input_mean[cls]
            elif s.kind == "output":
                v = self.prob_mean[cls]
            else:
                v = self.means[s.value_layer][cls]
            out[s.offset:s.offset + s.count] = v.reshape(-1)[: s.count]
        return out


def summarise(chunk_iter, testset, classes: int, layers, progress=None) -> Stats:
    """One pass over the chunks: predictions, and per-class means of ``layers``' outputs and
    of the input images. ``progress(done, total)`` after every chunk."""
    labels = np.asarray(testset.labels, np.int64)
    n = len(labels)
    preds = np.zeros(n, np.int64)
    conf = np.zeros(n, np.float32)
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    sums: dict = {}
    in_sum = prob_sum = None
    for start, stop, outs, probs in chunk_iter:
        preds[start:stop] = probs.argmax(1)
        conf[start:stop] = probs.max(1)
        onehot = np.zeros((stop - start, classes), np.float32)
        onehot[np.arange(stop - start), labels[start:stop]] = 1.0
        for name in layers:
            a = outs[name].reshape(stop - start, -1)
            part = onehot.T @ a
            sums[name] = part if name not in sums else sums[name] + part
        img = testset.batch(start, stop).reshape(stop - start, -1)
        in_sum = onehot.T @ img if in_sum is None else in_sum + onehot.T @ img
        prob_sum = onehot.T @ probs if prob_sum is None else prob_sum + onehot.T @ probs
        if progress is not None:
            progress(stop, n)
    div = np.maximum(counts, 1)[:, None].astype(np.float32)
    return Stats(labels, preds, conf, classes, {k: v / div for k, v in sums.items()},
                 None if in_sum is None else in_sum / div,
                 None if prob_sum is None else prob_sum / div)


# --- PCA -----------------------------------------------------------------------------------
def pca(x: np.ndarray, dims: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """-> (coordinates (N, dims), explained variance ratio (dims,), mean (D,), components
    (dims, D)). Exact (covariance eigenvectors) for up to 2,048 features, else a randomised
    range finder with power iterations (Halko et al.)."""
    x = np.asarray(x, np.float32)
    n, d = x.shape
    mean = x.mean(0)
    xc = x - mean
    total = float((xc.astype(np.float64) ** 2).sum()) / max(1, n - 1)
    dims = min(dims, d, n)
    if d <= 2048:
        cov = (xc.T.astype(np.float64) @ xc) / max(1, n - 1)
        w, v = np.linalg.eigh(cov)
        comps = v[:, ::-1][:, :dims].T.astype(np.float32)
        var = w[::-1][:dims]
    else:
        rng = np.random.default_rng(seed)
        q = xc @ rng.standard_normal((d, dims + 10)).astype(np.float32)
        for _ in range(4):
            q, _r = np.linalg.qr(q)
            q, _r = np.linalg.qr(xc @ (xc.T @ q))
        b = q.T @ xc
        _u, s, vt = np.linalg.svd(b, full_matrices=False)
        comps = vt[:dims].astype(np.float32)
        var = (s[:dims].astype(np.float64) ** 2) / max(1, n - 1)
    # A fixed sign per component: its largest loading positive (the same picture each time).
    signs = np.sign(comps[np.arange(dims), np.abs(comps).argmax(1)])
    comps *= np.where(signs == 0, 1, signs)[:, None].astype(np.float32)
    coords = xc @ comps.T
    ratio = np.asarray(var / total if total > 0 else np.zeros(dims), np.float64)
    return coords.astype(np.float32), ratio, mean, comps


def project(x: np.ndarray, mean: np.ndarray, comps: np.ndarray) -> np.ndarray:
    """New rows into an existing PCA (the live input's point)."""
    return (np.asarray(x, np.float32).reshape(-1, mean.size) - mean) @ comps.T


# --- colour modes ---------------------------------------------------------------------------
def diverging01(values: np.ndarray, layout, out: np.ndarray | None = None) -> np.ndarray:
    """Signed per-node values -> 0..1 with 0.5 at zero, each slab scaled by its own largest
    magnitude and square-rooted (small effects stay visible; the sign and order are kept),
    for the diverging colour table."""
    out = np.empty(layout.count, np.float32) if out is None else out
    for s in layout.slabs:
        v = values[s.offset:s.offset + s.count]
        m = float(np.abs(v).max()) if s.count else 0.0
        dst = out[s.offset:s.offset + s.count]
        if m > 0:
            np.multiply(np.sign(v), np.sqrt(np.abs(v) * (1.0 / m)), out=dst)
            dst *= 0.5
            dst += 0.5
        else:
            dst[:] = 0.5
    return out


def scaled01(values: np.ndarray, layout, out: np.ndarray | None = None) -> np.ndarray:
    """Per-node values -> 0..1, each slab by its own min..max (input and output kept 0..1)."""
    out = np.empty(layout.count, np.float32) if out is None else out
    for s in layout.slabs:
        v = values[s.offset:s.offset + s.count]
        if s.kind in ("input", "output"):
            out[s.offset:s.offset + s.count] = np.clip(v, 0, 1)
            continue
        lo, hi = (float(v.min()), float(v.max())) if s.count else (0.0, 1.0)
        out[s.offset:s.offset + s.count] = (v - lo) / (hi - lo) if hi > lo else 0.0
    return out


# --- cache ---------------------------------------------------------------------------------
def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vis3d" / "insight"


def cache_load(key: str) -> dict | None:
    path = cache_dir() / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    except (OSError, ValueError, KeyError):
        return None


def cache_save(key: str, arrays: dict) -> None:
    """Best effort: a cache that cannot be written is only slower next time."""
    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{key}.{os.getpid()}.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, d / f"{key}.npz")
    except OSError:
        pass
