"""Training on CPU from the command line: progress bar, evaluation, model card.

The loop itself is :class:`vis3d.model.trainer.Trainer`, shared with the window."""

from __future__ import annotations

import datetime as _dt
import sys
import time
from pathlib import Path

import numpy as np
import torch

from vis3d.model import data, nets, weights
from vis3d.model.trainer import AUGMENTATION, Outcome, Settings, Trainer, augment, predictions

__all__ = ["AUGMENTATION", "augment", "evaluate", "make_card", "train"]


def _bar(p, out):
    overall = p.fraction
    eta = p.seconds / overall * (1 - overall) if overall > 0 else 0
    frac = p.step / p.steps
    filled = int(24 * frac)
    out.write(f"\repoch {p.epoch}/{p.epochs} [{'#' * filled}{'.' * (24 - filled)}] "
              f"{100 * frac:3.0f}% loss {p.loss:.4f} acc {100 * p.accuracy:5.2f}% "
              f"ETA {int(eta) // 60}m{int(eta) % 60:02d}s ")
    out.flush()


def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, batch: int = 1000) -> float:
    return float((predictions(model, images, batch) == labels).sum()) / max(1, len(images))


def make_card(trainer: Trainer, outcome: Outcome, data_name: str) -> dict:
    """The model card of a finished training: design, settings, history, confusion."""
    s = trainer.settings
    card = {"arch": trainer.arch} if trainer.arch else {}
    if trainer.spec is not None:
        card["spec"] = trainer.spec.text()
    card.update({
        "architecture": [f"{name}: {module!r}" for name, module in trainer.model.named_children()],
        "parameters": trainer.parameters,
        "input": {"shape": [1, 28, 28], "range": "0..1, ink bright on dark (MNIST)",
                  "normalisation": {"mean": nets.MNIST_MEAN, "std": nets.MNIST_STD,
                                    "applied": "inside the model (layer 'norm')"}},
        "training": {"data": f"MNIST training images ({len(trainer.images)}) from {data_name}",
                     "augmentation": AUGMENTATION, "epochs": s.epochs, "batch_size": s.batch_size,
                     "optimizer": f"AdamW lr {s.lr} one-cycle, weight decay 1e-4, label smoothing 0.05",
                     "seed": s.seed},
        "test_accuracy": round(outcome.test_accuracy, 4),
        "test_images": int(len(trainer.test_split.images)),
        "history": outcome.history,
        "confusion": outcome.confusion,
        "torch": torch.__version__,
        "trained": _dt.date.today().isoformat(),
    })
    return card


def train(data_dir: str | Path, arch: str, epochs: int, seed: int, out: str | Path,
          batch_size: int = 64, lr: float = 3e-3, stream=sys.stderr) -> dict:
    """Train ``arch`` (a bundled name or a spec) on the MNIST files in ``data_dir``; write
    weights and card to ``out`` (nothing is written unless the training finishes)."""
    train_split = data.load_split(data_dir, "train")
    test_split = data.load_split(data_dir, "test")
    trainer = Trainer(arch, train_split, test_split, Settings(epochs, lr, batch_size, seed))
    p = None
    while not trainer.done:
        p = trainer.step()
        if p.step % 20 == 1 or p.step == p.steps:
            _bar(p, stream)
        if p.epoch_done:
            h = trainer.history[-1]
            stream.write(f" test {100 * h['test_accuracy']:.2f}%\n")
    outcome = trainer.outcome()
    trainer.model.eval()
    stream.write(f"test accuracy {100 * outcome.test_accuracy:.2f}% on {len(test_split.images)} "
                 f"images ({p.seconds:.0f} s)\n")
    card = make_card(trainer, outcome, Path(data_dir).name)
    weights.save(trainer.model, out, card)
    return card
