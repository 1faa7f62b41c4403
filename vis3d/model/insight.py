"""The test-set analyses of one model, computed on its own copy of the model (so a worker
thread never shares the window's probe) and cached on disk by a hash of the weights and of
the test set: the summary (predictions, confusion, class means), top images per layer, PCA
projections per layer. The numbers come from vis3d.scene.analysis (numpy)."""

from __future__ import annotations

import numpy as np

from vis3d.model import batch
from vis3d.errors import Vis3dError
from vis3d.model.probe import Probe
from vis3d.scene import analysis as A
from vis3d.scene import layout as layout_mod

PROJECT_COUNT = 2000


class Insight:
    def __init__(self, loaded, testset, probe: Probe | None = None, cache: bool = True):
        self.loaded = loaded
        self.testset = testset
        self.probe = probe or loaded.make_probe(own_copy=True)
        names, k = list(testset.classes), self.probe.classes
        if len(names) != k:   # labels would not line up with the outputs
            shown = ", ".join(map(str, names[:4])) + (", ..." if len(names) > 4 else "")
            raise Vis3dError(f"the test pictures have {len(names)} classes ({shown}) but the "
                             f"model has {k} outputs: give one sub-folder per output class, "
                             f"in the order of the outputs")
        self.layout = layout_mod.compute(self.probe.graph)
        self.cache = cache
        self.key = f"{batch.weights_hash(self.probe.model)}-{testset.key}"
        self._stats: A.Stats | None = None

    def _cached(self, name: str):
        return A.cache_load(f"{self.key}-{name}") if self.cache else None

    def _store(self, name: str, arrays: dict) -> None:
        if self.cache:
            A.cache_save(f"{self.key}-{name}", arrays)

    def _chunks(self, layers, progress=None, stop=None, count=None):
        n = len(self.testset) if count is None else min(count, len(self.testset))
        for item in batch.chunks(self.probe, batch._Head(self.testset, n), layers, stop=stop):
            yield item
            if progress is not None:
                progress(item[1], n)

    # --- the summary --------------------------------------------------------------------
    def stats(self, progress=None, stop=None) -> A.Stats | None:
        """Predictions, confusion and class means (None when stopped early)."""
        if self._stats is not None:
            return self._stats
        layers = [s.value_layer for s in self.layout.slabs if s.kind not in ("input", "output")]
        hit = self._cached("stats")
        if hit is not None and all(f"mean:{n}" in hit for n in layers):
            self._stats = A.Stats(hit["labels"], hit["preds"], hit["confidence"], int(hit["classes"]),
                                  {n: hit[f"mean:{n}"] for n in layers}, hit["input_mean"],
                                  hit["prob_mean"])
            return self._stats
        st = A.summarise(self._chunks(layers, progress, stop), self.testset, self.probe.classes,
                         layers)
        if stop is not None and stop():
            return None
        arrays = dict(labels=st.labels, preds=st.preds, confidence=st.confidence,
                      classes=np.int64(st.classes), input_mean=st.input_mean,
                      prob_mean=st.prob_mean, **{f"mean:{n}": v for n, v in st.means.items()})
        self._store("stats", arrays)
        self._stats = st
        return st

    # --- top images ---------------------------------------------------------------------
    def top(self, layer: str, k: int = 9, channels: bool = False, progress=None, stop=None):
        """-> (indices (k, D), activations (k, D)) for every node (or channel) of ``layer``;
        None when stopped early."""
        slab, name = A.value_layer(self.layout, layer)
        tag = f"top:{slab.name}:{k}:{'ch' if channels else 'node'}"
        hit = self._cached(tag)
        if hit is not None:
            return hit["index"], hit["values"]
        idx, vals = A.top_images(self._chunks([] if name is None else [name], progress, stop),
                                 self.layout, slab.name, k, channels)
        if stop is not None and stop():
            return None
        self._store(tag, dict(index=idx, values=vals))
        return idx, vals

    # --- projections --------------------------------------------------------------------
    def projection(self, layer: str, count: int = PROJECT_COUNT, progress=None, stop=None):
        """PCA of a layer's outputs over the first ``count`` test images: a dict with
        coords (n, 3), ratio (3,), mean, comps, labels (n,), preds (n,); None when stopped."""
        slab, name = A.value_layer(self.layout, layer)
        n = min(count, len(self.testset))
        tag = f"pca:{slab.name}:{n}"
        hit = self._cached(tag)
        if hit is not None:
            return hit
        rows, preds = [], []
        for _s, _e, outs, probs in self._chunks([] if name is None else [name], progress, stop, n):
            rows.append((probs if name is None else outs[name]).reshape(len(probs), -1))
            preds.append(probs.argmax(1))
        if stop is not None and stop():
            return None
        x = np.concatenate(rows)
        coords, ratio, mean, comps = A.pca(x, 3)
        out = dict(coords=coords, ratio=ratio, mean=mean, comps=comps,
                   labels=np.asarray(self.testset.labels[:n], np.int64),
                   preds=np.concatenate(preds).astype(np.int64))
        self._store(tag, out)
        return out
