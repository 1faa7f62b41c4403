"""``vis3d bench --insight``: the test-set analyses timed (no cache): top images for every
node of a layer over the test set, and the PCA projection of 2,000 images."""

from __future__ import annotations

import time


def insight_figures(model: str | None, data: str | None = None) -> dict:
    import torch

    from vis3d.inputs import testset
    from vis3d.model import weights
    from vis3d.model.insight import Insight

    torch.set_num_threads(1)
    loaded = weights.load(model)
    probe = loaded.make_probe()
    ts = testset.load(data, probe.input_shape)
    ins = Insight(loaded, ts, probe, cache=False)
    linear = [s.name for s in ins.layout.slabs if s.kind == "linear"]
    layer = linear[0] if linear else ins.layout.slabs[-1].name
    t0 = time.perf_counter()
    ins.top(layer)
    top_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    p = ins.projection(layer, 2000)
    project_s = time.perf_counter() - t0
    return {"test_images": len(ts), "top_layer": layer, "top_all_nodes_s": round(top_s, 2),
            "project_images": int(len(p["labels"])), "project_s": round(project_s, 2)}
