"""``vis3d layers``: the model's layer table (like torchsummary): name, kind, output shape,
node count and the layers feeding each; ``--json`` prints one object
``{"input": [C, H, W], "nodes": N, "layers": [{"name", "kind", "shape", "nodes", "inputs"}]}``
where N is the number of nodes the 3D view draws (folded activations share their layer's)."""

from __future__ import annotations

import json
import math
import sys


def table(probe, layout) -> dict:
    """An activation folded into the layer before it shows in that layer's nodes: its own
    node count is 0, so the counts add up (with the input's) to the nodes drawn."""
    folded = {name: s.name for s in layout.slabs for name in s.folded}
    layers = []
    for name, spec in probe.specs.items():
        nodes = 0 if name in folded else int(math.prod(spec.out_shape))
        layers.append({"name": name, "kind": spec.kind, "shape": list(spec.out_shape),
                       "nodes": nodes, "inputs": list(spec.inputs)})
    return {"input": list(layout.slabs[0].shape), "nodes": int(layout.count), "layers": layers,
            "_folded": folded}


def main(args) -> int:
    import torch

    from vis3d.commands.common import load_model
    from vis3d.model.probe import Probe
    from vis3d.scene import layout as layout_mod

    torch.set_num_threads(1)
    loaded = load_model(args)
    given = (loaded.card or {}).get("input") or {}
    probe = Probe(loaded.model, input_shape=given.get("shape"), mean=given.get("mean"),
                  std=given.get("std"))
    info = table(probe, layout_mod.compute(probe.graph))
    folded = info.pop("_folded")
    out = sys.stdout
    if args.json:
        out.write(json.dumps(info) + "\n")
        return 0
    rows = [("layer", "kind", "output", "nodes", "inputs")]
    for row in info["layers"]:
        count = f"in {folded[row['name']]}" if row["name"] in folded else f"{row['nodes']:,}"
        rows.append((row["name"], row["kind"], "x".join(map(str, row["shape"])),
                     count, ", ".join(row["inputs"])))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        out.write("  ".join(v.ljust(w) if i != 3 else v.rjust(w)
                            for i, (v, w) in enumerate(zip(r[:4], widths))) + "  " + r[4] + "\n")
    shape = "x".join(map(str, info["input"]))
    out.write(f"input {shape}; {len(info['layers'])} layers; {info['nodes']:,} nodes shown; "
              f"{probe.classes} classes ({probe.trace.mode} trace)\n")
    return 0
