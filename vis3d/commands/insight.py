"""``vis3d top``, ``vis3d confusion`` and ``vis3d project``: the test-set analyses of the
window's insight views, on the command line.

  top        the k test images exciting one node (or one channel, by its maximum) most:
             {"indices": [...], "activations": [...]}, indices in file order of the test set
  confusion  {"matrix": KxK (rows: true class, columns: predicted), "accuracy": x, "n": N}
  project    PCA of a layer over the first 2,000 test images: a PNG of the 3D point cloud
             (--out), or {"coords": [[x, y, z], ...], "labels": [...], "explained_variance":
             [3 ratios]} (--json)
"""

from __future__ import annotations

import json
import sys

from vis3d.errors import Vis3dError


def _setup(args):
    import torch

    from vis3d.commands.common import load_model
    from vis3d.inputs import testset
    from vis3d.model.insight import Insight

    torch.set_num_threads(1)
    loaded = load_model(args)
    probe = loaded.make_probe()
    data = testset.load(getattr(args, "data", None), probe.input_shape)
    return Insight(loaded, data, probe)


def cmd_top(args) -> int:
    ins = _setup(args)
    slab = ins.layout.slab(args.layer)
    channels = args.channel is not None
    which = args.channel if channels else args.node
    if which is None:
        raise Vis3dError("vis3d top needs --node I or --channel C")
    limit = slab.shape[0] if channels else slab.count
    if channels and not slab.is_map:
        raise Vis3dError(f"layer '{slab.name}' has no channels (it is a vector): use --node")
    if not 0 <= which < limit:
        raise Vis3dError(f"layer '{slab.name}' has {'channels' if channels else 'nodes'} "
                         f"0..{limit - 1}, not {which}")
    if args.k < 1:
        raise Vis3dError(f"--k must be at least 1, not {args.k}")
    idx, vals = ins.top(slab.name, min(args.k, len(ins.testset)), channels)
    out = {"indices": [int(v) for v in idx[:, which]],
           "activations": [float(v) for v in vals[:, which]]}
    what = f"channel {which}" if channels else f"node {which}"
    if len(out["activations"]) > 1 and len(set(out["activations"])) == 1:
        # Every one of the top images ties (a dead ReLU, a saturated output): ties go to the
        # lower index, so their order is only file order. Say so (no more than that is known).
        print(f"vis3d: note: the top {len(out['activations'])} images of {slab.name} {what} all "
              f"give {out['activations'][0]:g}: their order among themselves is file order",
              file=sys.stderr)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{slab.name} {what}: top {len(out['indices'])} of {ins.testset.source}")
        for i, a in zip(out["indices"], out["activations"]):
            print(f"  image {i:6d}  label {ins.testset.classes[ins.testset.labels[i]]:>3}  "
                  f"activation {a:.4f}")
    return 0


def cmd_confusion(args) -> int:
    ins = _setup(args)
    st = ins.stats()
    m = st.confusion
    if args.json:
        print(json.dumps({"matrix": m.tolist(), "accuracy": st.accuracy, "n": int(m.sum())}))
        return 0
    names = ins.testset.classes
    print(f"{ins.testset.source}: accuracy {100 * st.accuracy:.2f}% (rows: true, columns: predicted)")
    w = max(5, max(len(n) for n in names) + 1)
    print(" " * w + "".join(f"{n:>{w}}" for n in names[: m.shape[1]]))
    for i, row in enumerate(m):
        print(f"{names[i] if i < len(names) else i:>{w}}" + "".join(f"{v:>{w}}" for v in row))
    return 0


def cmd_project(args) -> int:
    if not args.json and not args.out:
        raise Vis3dError("vis3d project needs --out FILE.png or --json")
    ins = _setup(args)
    slab = ins.layout.slab(args.layer)
    if args.count < 3:
        raise Vis3dError(f"--count must be at least 3, not {args.count}")
    p = ins.projection(slab.name, args.count)
    if args.out:
        from pathlib import Path
        out = Path(args.out)
        if out.suffix.lower() != ".png":
            raise Vis3dError(f"{out}: --out must be a .png file")
        if not out.parent.exists():
            raise Vis3dError(f"{out.parent}: directory does not exist")
        from vis3d.gl.context import make_canvas
        from vis3d.gl.projection import ProjectionView
        from vispy.io import write_png
        canvas = make_canvas(size=(900, 700))
        try:
            view = ProjectionView(canvas)
            view.set_points(p["coords"], p["labels"], f"{slab.label}", p["ratio"])
            pixels = canvas.render(alpha=False)
        finally:
            canvas.close()
        try:
            write_png(str(out), pixels)
        except OSError as exc:
            raise Vis3dError(f"{out}: cannot write ({exc.strerror or exc})") from None
        print(f"wrote {out} ({len(p['labels'])} images of {ins.testset.source}, layer "
              f"{slab.name}, explained variance "
              + ", ".join(f"{100 * r:.1f}%" for r in p["ratio"]) + ")", file=sys.stderr)
    if args.json:
        print(json.dumps({"layer": slab.name, "coords": [[round(float(v), 5) for v in row]
                                                         for row in p["coords"]],
                          "labels": [int(v) for v in p["labels"]],
                          "explained_variance": [float(v) for v in p["ratio"]]}))
    return 0


def add_parsers(sub, add_model) -> None:
    data_help = ("test data: a directory with the MNIST t10k IDX files, or one sub-folder of "
                 "pictures per class (default: $VIS3D_MNIST, else the 3,000 test digits shipped "
                 "with vis3d)")
    p = sub.add_parser("top", help="the test images that excite a node or channel most",
                       description="Rank the test images by one node's activation (or one "
                                   "channel's maximum) and print the top k, highest first.")
    add_model(p)
    p.add_argument("--layer", required=True, help="layer name or position (1 = first layer)")
    p.add_argument("--node", type=int, default=None, help="flat node index within the layer")
    p.add_argument("--channel", type=int, default=None, help="rank by this channel's maximum")
    p.add_argument("--k", type=int, default=9)
    p.add_argument("--data", metavar="DIR", default=None, help=data_help)
    p.add_argument("--json", action="store_true",
                   help='{"indices": [...], "activations": [...]}')
    p = sub.add_parser("confusion", help="the test-set confusion matrix and accuracy",
                       description="Classify the test set; rows are true classes, columns "
                                   "predicted ones.")
    add_model(p)
    p.add_argument("--data", metavar="DIR", default=None, help=data_help)
    p.add_argument("--json", action="store_true", help='{"matrix": KxK, "accuracy": x, "n": N}')
    p = sub.add_parser("project", help="PCA of a layer over the test images, in 3D",
                       description="Project a layer's activations over the first test images "
                                   "onto their 3 principal components.")
    add_model(p)
    p.add_argument("--layer", required=True, help="layer name or position")
    p.add_argument("--data", metavar="DIR", default=None, help=data_help)
    p.add_argument("--count", type=int, default=2000, help="how many test images (default 2000)")
    p.add_argument("--out", metavar="FILE.png", default=None, help="render the point cloud")
    p.add_argument("--json", action="store_true",
                   help='{"coords": [[x,y,z]...], "labels": [...], "explained_variance": [...]}')
