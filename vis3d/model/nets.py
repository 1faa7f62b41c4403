"""The bundled architectures. Each is an ``nn.Sequential`` of named layers so that
the probe, the layout and the edge builder can follow it layer by layer; in
``mnist_resnet`` some of those layers are residual blocks (modules with named children)."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class Standardize(nn.Module):
    """(x - mean) / std with fixed constants: the input normalisation inside the model."""

    def __init__(self, mean: float = MNIST_MEAN, std: float = MNIST_STD):
        super().__init__()
        self.mean, self.std = float(mean), float(std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


def mnist_cnn() -> nn.Sequential:
    """conv 16@3x3 -> conv 32@3x3 -> max-pool 2 -> FC 64 -> FC 64 -> 10 (seed report 000)."""
    return nn.Sequential(OrderedDict([
        ("norm", Standardize()),
        ("conv1", nn.Conv2d(1, 16, 3)),
        ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(16, 32, 3)),
        ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(2)),
        ("drop1", nn.Dropout(0.25)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(32 * 12 * 12, 64)),
        ("relu3", nn.ReLU()),
        ("drop2", nn.Dropout(0.25)),
        ("fc2", nn.Linear(64, 64)),
        ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(64, 10)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


def lenet5() -> nn.Sequential:
    """LeNet-5: 6@5x5 (padded), pool, 16@5x5, pool, 120, 84, 10."""
    return nn.Sequential(OrderedDict([
        ("norm", Standardize()),
        ("conv1", nn.Conv2d(1, 6, 5, padding=2)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, 5)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * 5 * 5, 120)),
        ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)),
        ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, 10)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


class ResBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a skip connection around them:
    ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``. The shortcut is the identity
    when shapes agree, else a 1x1 convolution with batch norm (child ``down``)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(cin, cout, 1, stride=stride, bias=False)),
                ("bn", nn.BatchNorm2d(cout)),
            ]))
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        skip = x if self.down is None else self.down(x)
        return self.relu2(y + skip)


def mnist_resnet() -> nn.Sequential:
    """A small residual CNN: conv 16@3x3 + BN, max-pool 2, three residual blocks
    (16@14x14, 32@7x7 with a strided 1x1 shortcut, 32@7x7), average pool, FC 10."""
    return nn.Sequential(OrderedDict([
        ("norm", Standardize()),
        ("conv1", nn.Conv2d(1, 16, 3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(16)),
        ("relu1", nn.ReLU()),
        ("pool", nn.MaxPool2d(2)),
        ("block1", ResBlock(16, 16)),
        ("block2", ResBlock(16, 32, stride=2)),
        ("block3", ResBlock(32, 32)),
        ("avgpool", nn.AvgPool2d(7)),
        ("flatten", nn.Flatten()),
        ("drop", nn.Dropout(0.2)),
        ("fc", nn.Linear(32, 10)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


ARCHITECTURES = {"mnist_cnn": mnist_cnn, "lenet5": lenet5, "mnist_resnet": mnist_resnet}
DEFAULT_MODEL = "mnist_cnn"


def build(arch: str) -> nn.Sequential:
    try:
        return ARCHITECTURES[arch]()
    except KeyError:
        raise KeyError(f"unknown architecture '{arch}' (known: {', '.join(ARCHITECTURES)})") from None


def logits(model: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Everything but a final Softmax: what the loss is computed on."""
    if isinstance(model[-1], nn.Softmax):
        return model[:-1](x)
    return model(x)
