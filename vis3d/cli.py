"""The ``vis3d`` command: the window by default, and subcommands.

Every subcommand's work lives in its own module, imported only when that command
runs, so ``vis3d --help`` stays fast and needs neither Qt nor OpenGL.
"""

from __future__ import annotations

import argparse
import sys

from vis3d import __version__
from vis3d.errors import Vis3dError

EPILOG = "Run 'vis3d COMMAND --help' for a command's options. Without a command, opens the window."


def _add_model(p: argparse.ArgumentParser, top: bool = False) -> None:
    # Only the top level has a default: a subcommand's own --model, when not given, must
    # not overwrite ``vis3d --model X COMMAND`` (argparse copies sub-parser defaults over).
    keep = None if top else argparse.SUPPRESS
    p.add_argument("--model", default=keep, metavar="NAME|PATH|FILE.py:NAME",
                   help="bundled model name (mnist_cnn, lenet5, mnist_resnet), a .safetensors/.pt file, or "
                        "your own model as FILE.py:NAME: a torch.nn.Module class built without "
                        "arguments, or a function returning one. That .py file is your code and "
                        "RUNS when loaded, like 'python FILE.py' (default: mnist_cnn" +
                        ("" if top else ", or the --model given before the command") + ")")
    p.add_argument("--weights", default=keep, metavar="W.safetensors|W.pt",
                   help="weights for a FILE.py:NAME model (a .pt is read as a plain state dict, "
                        "never as arbitrary pickle); a JSON model card beside them may give "
                        "input shape, mean/std and labels")
    p.add_argument("--input-shape", default=keep, metavar="C,H,W",
                   help="the model's input shape, where it cannot be told from its first layer")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vis3d", epilog=EPILOG,
        description="A live 3D node-link view of a CNN: the bundled MNIST nets, or your "
                    "own PyTorch model (--model FILE.py:NAME).")
    parser.add_argument("--version", action="version", version=f"vis3d {__version__}")
    _add_model(parser, top=True)
    parser.add_argument("--camera", metavar="INDEX|FILE", default=None,
                        help="start with the webcam of this index, or a video file (loops)")
    parser.add_argument("--input", metavar="IMAGE", default=None,
                        help="start by showing this image file instead of an empty pad")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="test images for the gallery, averages, projections and top images: "
                             "MNIST t10k IDX files or one sub-folder per class (default: "
                             "$VIS3D_MNIST, else 3,000 test digits shipped with vis3d)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("train", help="train a model on MNIST (CPU) and write weights + model card",
                       description="Train a bundled architecture or one given as a spec on "
                                   "the MNIST IDX files in a "
                                   "directory, evaluate it on the test set and write "
                                   "weights (.safetensors) with a JSON model card beside them.")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="directory with the four MNIST IDX files, gzipped or not "
                        "(default: $VIS3D_MNIST or ~/.cache/vis3d/mnist)")
    p.add_argument("--arch", default="mnist_cnn", metavar="NAME|SPEC",
                   help="a bundled architecture (mnist_cnn, lenet5, mnist_resnet) or a quoted architecture "
                        "spec, e.g. 'conv 16 k3 | relu | maxpool 2 | flatten | fc 10 | softmax' "
                        "(see the README)")
    p.add_argument("--epochs", type=int, default=None, help="default: 40")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 0.003)")
    p.add_argument("--batch-size", type=int, default=64, help="default: 64")
    p.add_argument("--out", metavar="FILE", default=None,
                   help="weights file to write (default: ARCH.safetensors here, or "
                        "model.safetensors for a spec)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")

    p = sub.add_parser("data", help="MNIST data: download the official files",
                       description="Manage the MNIST files that training and accuracy tests read.")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    d = dsub.add_parser("download", help="download and verify the four MNIST files",
                        description="Fetch the four official MNIST files (checksums verified).")
    d.add_argument("dir", nargs="?", default=None, help="target directory (default: the data "
                   "directory used by 'vis3d train')")
    dsub.add_parser("path", help="print the default data directory")

    p = sub.add_parser("predict", help="classify image files, directories or videos",
                       description="Run images, every image of a directory (sorted), or every "
                                   "frame of a video through the same preprocessing and model "
                                   "as the window; one result per image or frame.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--source", choices=("auto", "pad", "camera", "raw"), default="auto",
                   help="preprocessing: pad (strokes on a plain canvas), camera (a photo of ink "
                        "on paper), raw (a 28x28 image as it is), auto (decide per image)")
    _add_model(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--silence", default=None, metavar="LAYER:I,...",
                   help="silence these nodes (output forced to 0) in every forward pass")

    p = sub.add_parser("snapshot", help="render the 3D scene to a PNG without a window",
                       description="Render the scene offscreen, as the window shows it.")
    p.add_argument("--out", required=True, metavar="FILE.png")
    p.add_argument("--input", metavar="IMAGE", default=None, help="input image (default: a sample digit)")
    _add_model(p)
    p.add_argument("--size", default="1280x800", metavar="WxH")
    p.add_argument("--azimuth", type=float, default=None, metavar="DEG")
    p.add_argument("--elevation", type=float, default=None, metavar="DEG")
    p.add_argument("--hover", default=None, metavar="LAYER:INDEX",
                   help="draw the incoming edges of this node (layer name or position, "
                        "0 = input; flat node index within the layer)")
    p.add_argument("--normalise", choices=("layer", "global"), default="layer")
    p.add_argument("--colour", default="activation", metavar="MODE",
                   help="node colours: activation, contribution, average:K (class K's mean over "
                        "the test images) or difference (this input minus its class's mean)")
    p.add_argument("--silence", default=None, metavar="LAYER:I,...",
                   help="silence these nodes (output forced to 0) before the forward pass")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="test data for average:K and difference (as for 'vis3d top')")

    from vis3d.commands.insight import add_parsers
    add_parsers(sub, _add_model)

    p = sub.add_parser("layers", help="print the model's layer table",
                       description="The layers vis3d finds in the model (like torchsummary): "
                                   "name, kind, output shape, node count, the layers feeding it.")
    _add_model(p)
    p.add_argument("--json", action="store_true", help='one JSON object: {"input": [C,H,W], '
                   '"nodes": N, "layers": [{"name", "kind", "shape", "nodes", "inputs"}]}')

    p = sub.add_parser("bench", help="measure speed; prints a table or JSON",
                       description="Offscreen benchmarks at 1280x800 (medians), printed as "
                                   "an aligned table of name and value, or as JSON.")
    _add_model(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--scale", action="store_true",
                      help="frame time for synthetic scenes of 10k..1M nodes instead, and "
                           "with level of detail for ResNet-shaped layouts of 35k..3M nodes")
    what.add_argument("--soak", type=float, default=None, metavar="SECONDS",
                      help="open the real window with the camera on a looping clip for SECONDS "
                           "(needs a display); report memory at 20 s and at the end, and the "
                           "time to close while the camera streams")
    what.add_argument("--window", action="store_true",
                      help="open the real window (needs a display), drive it with input events "
                           "and time what it presents: orbit frames and fps, pen and hover to "
                           "the presented frame, beside the same scene drawn offscreen")
    what.add_argument("--insight", action="store_true",
                      help="time the test-set analyses instead: top images for every node of "
                           "the first linear layer, and the projection of 2,000 images (--data "
                           "DIR or $VIS3D_MNIST: the full t10k)")
    what.add_argument("--latency", action="store_true",
                      help="the same as --window (the pen latency is one of its figures)")
    what.add_argument("--training", action="store_true",
                      help="one mnist_cnn epoch through 'vis3d train' and in the real window's "
                           "builder (needs a display and MNIST), and the window's orbit, hover "
                           "and pen response idle and while training")
    p.add_argument("--repeat", type=_positive_int, default=None, help="repetitions per figure")
    p.add_argument("--clip", default=None, metavar="VIDEO",
                   help="with --soak: the clip the camera plays (default: one made from the samples)")
    return parser


def _run(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "train":
        from vis3d.commands.training import cmd_train
        return cmd_train(args)
    if cmd == "data":
        from vis3d.commands.training import cmd_data
        return cmd_data(args)
    if cmd == "predict":
        from vis3d.commands.predict import main as predict_main
        return predict_main(args)
    if cmd == "snapshot":
        from vis3d.commands.snapshot import main as snapshot_main
        return snapshot_main(args)
    if cmd in ("top", "confusion", "project"):
        from vis3d.commands import insight
        return getattr(insight, f"cmd_{cmd}")(args)
    if cmd == "layers":
        from vis3d.commands.layers import main as layers_main
        return layers_main(args)
    if cmd == "bench":
        from vis3d.bench.core import main as bench_main
        return bench_main(args)
    from vis3d.ui.app import main as app_main
    code = app_main(args)
    _leave_fast(code)
    return code


def _leave_fast(code: int) -> None:
    """After the window closed (settings saved, camera stopped): run the exit handlers and
    leave without the interpreter's teardown of Qt, GL and torch, which takes about a second."""
    import atexit
    import os
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(_run(args) or 0)
    except Vis3dError as exc:
        print(f"vis3d: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vis3d: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # `vis3d confusion | head`: the reader left; stop quietly
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no flush error at exit
        return 0


if __name__ == "__main__":     # `python -m vis3d.cli ...` as well as `python -m vis3d ...`
    sys.exit(main())
