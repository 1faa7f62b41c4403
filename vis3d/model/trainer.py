"""The training loop that both ``vis3d train`` and the window drive: one batch per
:meth:`Trainer.step`, or :meth:`Trainer.run` with progress and weight callbacks; it can
be paused and stopped from another thread. No Qt here.

The order of every random draw is that of the bundled models' training (global seed, then
the net, then one generator for the batch order and the augmentation), so
``vis3d train --arch mnist_cnn --seed 0`` reproduces the shipped cards.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from vis3d.model import nets, spec as spec_mod

CLASSES = 10

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


@dataclass(frozen=True)
class Settings:
    epochs: int = 40
    lr: float = 3e-3
    batch_size: int = 64
    seed: int = 0

    def check(self) -> None:
        from vis3d.errors import Vis3dError
        if self.epochs < 1:
            raise Vis3dError("--epochs must be at least 1")
        if not 1 <= self.batch_size <= 4096:
            raise Vis3dError("--batch-size must be 1..4096")
        if not (0 < self.lr <= 10) or math.isnan(self.lr):
            raise Vis3dError("--lr must be a number above 0 (at most 10)")


@dataclass
class Progress:
    epoch: int            # 1-based, the epoch of the last step
    epochs: int
    step: int             # steps done in this epoch
    steps: int            # steps per epoch
    loss: float           # running mean over this epoch
    accuracy: float       # running training accuracy over this epoch (augmented images)
    seconds: float        # since the start
    epoch_done: bool = False
    recent_loss: float = 0.0      # moving average over about the last 50 batches
    recent_accuracy: float = 0.0

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) + self.step / max(1, self.steps)) / self.epochs


@dataclass
class Outcome:
    status: str                       # 'finished' | 'stopped'
    history: list = field(default_factory=list)
    confusion: list | None = None     # 10x10 counts, rows: true digit, columns: predicted
    test_accuracy: float | None = None


def predictions(model: torch.nn.Module, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    model.eval()
    out = np.empty(len(images), np.int64)
    with torch.inference_mode():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float().div_(255).unsqueeze(1)
            out[i:i + batch] = nets.logits(model, x).argmax(1).numpy()
    return out


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return np.bincount(CLASSES * labels + predicted, minlength=CLASSES * CLASSES) \
        .reshape(CLASSES, CLASSES)


class Trainer:
    """Trains one net on a training split, evaluating on the test split after each epoch."""

    def __init__(self, design: str, train_split, test_split, settings: Settings = Settings()):
        settings.check()
        self.arch = design if design in nets.ARCHITECTURES else None
        # A bundled net that is no sequential spec (mnist_resnet, with its skips) has none.
        text = spec_mod.BUNDLED.get(design) if self.arch else design
        self.spec = spec_mod.parse(text) if text else None
        self.settings = settings
        self.train_split, self.test_split = train_split, test_split
        torch.manual_seed(settings.seed)
        torch.use_deterministic_algorithms(True)
        self.gen = torch.Generator().manual_seed(settings.seed)
        self.model = nets.build(self.arch) if self.arch else spec_mod.build(self.spec)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=settings.lr, weight_decay=1e-4)
        self.images = torch.from_numpy(train_split.images).float().div_(255).unsqueeze(1)
        self.labels = torch.from_numpy(train_split.labels)
        self.steps_per_epoch = math.ceil(len(self.images) / settings.batch_size)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(
            self.opt, max_lr=settings.lr, epochs=settings.epochs,
            steps_per_epoch=self.steps_per_epoch)
        self.epoch, self.step_in_epoch = 1, 0
        self.history: list[dict] = []
        self.last_confusion: np.ndarray | None = None
        self._order = None
        self._seen = self._correct = 0
        self._loss_sum = 0.0
        self._recent: list[float] | None = None   # [loss, accuracy], moving averages
        self._started = time.monotonic()
        self._epoch_started = self._started
        self._run = threading.Event()
        self._run.set()
        self._stop = threading.Event()

    @property
    def done(self) -> bool:
        return self.epoch > self.settings.epochs

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def step(self) -> Progress:
        """One batch; at the end of an epoch also the test-set evaluation."""
        s = self.settings
        if self.step_in_epoch == 0:
            self.model.train()
            self._order = torch.randperm(len(self.images), generator=self.gen)
            self._seen = self._correct = 0
            self._loss_sum = 0.0
            self._epoch_started = time.monotonic()
        k = self.step_in_epoch
        idx = self._order[k * s.batch_size:(k + 1) * s.batch_size]
        x, y = augment(self.images[idx], self.gen), self.labels[idx]
        out = nets.logits(self.model, x)
        loss = F.cross_entropy(out, y, label_smoothing=0.05)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        self._seen += len(idx)
        self._correct += int((out.argmax(1) == y).sum())
        self._loss_sum += loss.item() * len(idx)
        self.step_in_epoch += 1
        batch = [loss.item(), float((out.argmax(1) == y).float().mean())]
        self._recent = batch if self._recent is None else \
            [0.96 * r + 0.04 * b for r, b in zip(self._recent, batch)]
        progress = Progress(self.epoch, s.epochs, self.step_in_epoch, self.steps_per_epoch,
                            self._loss_sum / self._seen, self._correct / self._seen,
                            time.monotonic() - self._started, False, *self._recent)
        if self.step_in_epoch == self.steps_per_epoch:
            self._end_epoch(progress)
            progress.epoch_done = True
        return progress

    def _end_epoch(self, progress: Progress) -> None:
        test = self.test_split
        predicted = predictions(self.model, test.images)
        self.last_confusion = confusion(test.labels, predicted)
        self.history.append({
            "epoch": self.epoch, "loss": round(progress.loss, 5),
            "train_accuracy": round(progress.accuracy, 5),
            "test_accuracy": round(float((predicted == test.labels).mean()), 5),
            "seconds": round(time.monotonic() - self._epoch_started, 2)})
        self.epoch += 1
        self.step_in_epoch = 0

    def weights(self) -> dict:
        """A copy of the current parameters and buffers (safe to hand to another thread)."""
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    # --- driven from another thread ---------------------------------------------------------
    def pause(self) -> None:
        self._run.clear()

    def resume(self) -> None:
        self._run.set()

    @property
    def paused(self) -> bool:
        return not self._run.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._run.set()

    def run(self, on_progress=None, on_weights=None, publish_every: float = 0.25) -> Outcome:
        """Every remaining step; ``on_progress(Progress)`` after each, ``on_weights(dict)``
        every ``publish_every`` seconds and at the end of each epoch."""
        last = time.monotonic()
        while not self.done:
            self._run.wait()
            if self._stop.is_set():
                return Outcome("stopped", list(self.history))
            progress = self.step()
            if on_progress is not None:
                on_progress(progress)
            now = time.monotonic()
            if on_weights is not None and (progress.epoch_done or now - last >= publish_every):
                last = now
                on_weights(self.weights())
        self.model.eval()
        return self.outcome()

    def outcome(self) -> Outcome:
        acc = self.history[-1]["test_accuracy"] if self.history else None
        conf = self.last_confusion.tolist() if self.last_confusion is not None else None
        return Outcome("finished" if self.done else "stopped", list(self.history), conf, acc)
