"""The probe over many images at once: chunks of a test set through the model, yielding
each chunk's layer outputs as numpy (for class averages, top images, projections and the
confusion matrix in vis3d.scene.analysis)."""

from __future__ import annotations

import hashlib
from typing import Iterator

import numpy as np
import torch

CHUNK = 500


def weights_hash(model: torch.nn.Module) -> str:
    """A short hash of every parameter and buffer: cache files are per set of weights."""
    h = hashlib.sha1()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def chunks(probe, testset, layers=None, chunk: int = CHUNK, stop=None
           ) -> Iterator[tuple[int, int, dict, np.ndarray]]:
    """-> (start, stop, {layer: (B, *shape) float32}, probs (B, K)) per chunk, in file order.
    ``layers``: which layer outputs to keep (None: all shown layers; [] none). ``stop``: a
    callable returning True to end early (a cancelled worker)."""
    n = len(testset)
    for start in range(0, n, chunk):
        if stop is not None and stop():
            return
        end = min(n, start + chunk)
        x = probe.prepare_batch(testset.batch(start, end))
        with torch.inference_mode():
            out, captured, _ = probe.forward(x)
            probs = probe.to_probs(out).numpy()
        keep = {}
        for name, _kind, t in captured:
            if layers is None or name in layers:
                keep[name] = t.numpy().reshape(end - start, *probe.specs[name].out_shape)
        yield start, end, keep, probs


def layer_matrix(probe, testset, layer: str, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` images' outputs of one layer as (N, D) float32, and their
    predictions."""
    rows, preds = [], []
    n = len(testset) if count is None else min(count, len(testset))
    sub = _Head(testset, n)
    for _s, _e, outs, probs in chunks(probe, sub, [layer]):
        rows.append(outs[layer].reshape(len(probs), -1))
        preds.append(probs.argmax(1))
    return np.concatenate(rows), np.concatenate(preds)


class _Head:
    """The first n images of a test set (same interface for ``chunks``)."""

    def __init__(self, testset, n: int):
        self.testset, self.n = testset, n

    def __len__(self) -> int:
        return self.n

    def batch(self, start: int, stop: int) -> np.ndarray:
        return self.testset.batch(start, min(stop, self.n))
