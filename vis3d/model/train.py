"""Training on CPU with augmentation, evaluation on the test set, model card."""

from __future__ import annotations

import datetime as _dt
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vis3d.model import data, nets, weights

AUGMENTATION = ("random affine per image (rotation ±12°, scale 0.85-1.15, shear ±0.15, "
                "shift ±2.5 px) and stroke thickness changes (soft 3x3 dilation or erosion "
                "on 40% of images)")


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Small affine jitter and stroke thickness changes on a (N,1,28,28) batch in 0..1."""
    n = x.shape[0]
    u = lambda lo, hi: torch.rand(n, generator=gen) * (hi - lo) + lo  # noqa: E731
    angle = u(-12, 12) * math.pi / 180
    scale = u(0.85, 1.15)
    shear = u(-0.15, 0.15)
    tx, ty = u(-2.5, 2.5) / 14, u(-2.5, 2.5) / 14
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos, -sin + shear * cos, tx], 1),
        torch.stack([sin, cos + shear * sin, ty], 1),
    ], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    # Thickness: blend towards a 3x3 dilation (thicker) or erosion (thinner).
    mode = torch.rand(n, generator=gen)
    amount = u(0.3, 0.9).view(n, 1, 1, 1)
    thick = F.max_pool2d(x, 3, 1, 1)
    thin = -F.max_pool2d(-x, 3, 1, 1)
    target = torch.where((mode < 0.25).view(n, 1, 1, 1), thick,
                         torch.where((mode < 0.4).view(n, 1, 1, 1), thin, x))
    return (x + amount * (target - x)).clamp_(0, 1)


def _bar(epoch, epochs, done, total, loss, acc, started, out):
    frac = done / total
    overall = ((epoch - 1) + frac) / epochs
    elapsed = time.monotonic() - started
    eta = elapsed / overall * (1 - overall) if overall > 0 else 0
    filled = int(24 * frac)
    out.write(f"\repoch {epoch}/{epochs} [{'#' * filled}{'.' * (24 - filled)}] {100 * frac:3.0f}% "
              f"loss {loss:.4f} acc {100 * acc:5.2f}% ETA {int(eta) // 60}m{int(eta) % 60:02d}s ")
    out.flush()


@torch.no_grad()
def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i:i + batch]).float().div_(255).unsqueeze(1)
        correct += int((nets.logits(model, x).argmax(1).numpy() == labels[i:i + batch]).sum())
    return correct / max(1, len(images))


def train(data_dir: str | Path, arch: str, epochs: int, seed: int, out: str | Path,
          batch_size: int = 64, lr: float = 3e-3, stream=sys.stderr) -> dict:
    """Train ``arch`` on the MNIST files in ``data_dir``; write weights and card to ``out``."""
    train_split = data.load_split(data_dir, "train")
    test_split = data.load_split(data_dir, "test")
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(seed)
    model = nets.build(arch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(train_split.images) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                steps_per_epoch=steps_per_epoch)
    images = torch.from_numpy(train_split.images).float().div_(255).unsqueeze(1)
    labels = torch.from_numpy(train_split.labels)
    started = time.monotonic()
    history = {"loss": [], "accuracy": []}   # per epoch, on the (augmented) training images
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(images), generator=gen)
        seen = correct = 0
        loss_sum = 0.0
        for step in range(steps_per_epoch):
            idx = order[step * batch_size:(step + 1) * batch_size]
            x, y = augment(images[idx], gen), labels[idx]
            out_logits = nets.logits(model, x)
            loss = F.cross_entropy(out_logits, y, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            seen += len(idx)
            correct += int((out_logits.argmax(1) == y).sum())
            loss_sum += loss.item() * len(idx)
            if step % 20 == 0 or step == steps_per_epoch - 1:
                _bar(epoch, epochs, step + 1, steps_per_epoch, loss_sum / seen, correct / seen,
                     started, stream)
        stream.write("\n")
        history["loss"].append(round(loss_sum / max(1, seen), 5))
        history["accuracy"].append(round(correct / max(1, seen), 5))
    accuracy = evaluate(model, test_split.images, test_split.labels)
    stream.write(f"test accuracy {100 * accuracy:.2f}% on {len(test_split.images)} images "
                 f"({time.monotonic() - started:.0f} s)\n")
    card = {
        "arch": arch,
        "architecture": [f"{name}: {module!r}" for name, module in nets.build(arch).named_children()],
        "parameters": sum(p.numel() for p in model.parameters()),
        "input": {"shape": [1, 28, 28], "range": "0..1, ink bright on dark (MNIST)",
                  "normalisation": {"mean": nets.MNIST_MEAN, "std": nets.MNIST_STD,
                                    "applied": "inside the model (layer 'norm')"}},
        "training": {"data": f"MNIST training images ({len(images)}) from {Path(data_dir).name}",
                     "augmentation": AUGMENTATION, "epochs": epochs, "batch_size": batch_size,
                     "optimizer": f"AdamW lr {lr} one-cycle, weight decay 1e-4, label smoothing 0.05",
                     "seed": seed},
        "history": history,
        "test_accuracy": round(accuracy, 4),
        "test_images": int(len(test_split.images)),
        "torch": torch.__version__,
        "trained": _dt.date.today().isoformat(),
    }
    model.eval()
    weights.save(model, out, card)
    return card
