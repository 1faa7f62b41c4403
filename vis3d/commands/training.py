"""The small subcommands: train and data."""

from __future__ import annotations

import sys
from pathlib import Path

from vis3d.errors import Vis3dError
from vis3d.paths import default_mnist_dir


def cmd_train(args) -> int:
    import torch

    from vis3d.model import nets, spec, train
    from vis3d.model.trainer import Settings

    torch.set_num_threads(max(1, args.threads))
    data_dir = Path(args.data) if args.data else default_mnist_dir()
    if args.arch not in nets.ARCHITECTURES:
        # A bad spec is refused before any data is read; a good one is said back canonically.
        print(f"architecture: {spec.parse(args.arch).text()}", file=sys.stderr)
    name = args.arch if args.arch in nets.ARCHITECTURES else "model"
    out = Path(args.out or f"{name}.safetensors")
    if out.suffix != ".safetensors":
        raise Vis3dError(f"{out}: the output must be a .safetensors file")
    epochs = args.epochs if args.epochs is not None else 40
    Settings(epochs, args.lr, args.batch_size, args.seed).check()
    card = train.train(data_dir, args.arch, epochs, args.seed, out, batch_size=args.batch_size,
                       lr=args.lr)
    print(f"wrote {out} and {out.with_suffix('.json')} "
          f"(test accuracy {100 * card['test_accuracy']:.2f}%)")
    return 0


def cmd_data(args) -> int:
    from vis3d.model import data

    if args.data_command == "path":
        print(default_mnist_dir())
        return 0
    target = Path(args.dir) if args.dir else default_mnist_dir()
    for path in data.download(target):
        print(path)
    print(f"MNIST is in {target}", file=sys.stderr)
    return 0
