"""Models written for the any-model tests (loaded as tests/models/zoo.py:Name)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Residual(nn.Module):
    """A small ResNet: identity and strided 1x1 shortcut, BatchNorm, in-place ReLU."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.relu = nn.ReLU(inplace=True)
        self.a1 = nn.Conv2d(6, 6, 3, padding=1)
        self.a2 = nn.Conv2d(6, 6, 3, padding=1)
        self.b1 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.b2 = nn.Conv2d(8, 8, 3, padding="same")
        self.short = nn.Sequential(nn.Conv2d(6, 8, 1, stride=2), nn.BatchNorm2d(8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.relu(self.bn(self.conv(x)))
        x = F.relu(self.a2(F.relu(self.a1(x))) + x)
        y = self.b2(F.relu(self.b1(x)))
        x = F.relu(y + self.short(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class Inception(nn.Module):
    """Parallel branches joined by torch.cat, max-pooled functionally."""

    def __init__(self):
        super().__init__()
        self.b1 = nn.Conv2d(1, 4, 1)
        self.b3 = nn.Sequential(nn.Conv2d(1, 3, 1), nn.ReLU(), nn.Conv2d(3, 5, 3, padding=1))
        self.b5 = nn.Conv2d(1, 2, 5, padding=2)
        self.bp = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(1, 3, 1))
        self.fc = nn.Linear(14 * 14 * 14, 10)

    def forward(self, x):
        x = torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)
        x = F.max_pool2d(F.relu(x), 2)
        return self.fc(x.view(x.size(0), -1))


class Separable(nn.Module):
    """Depthwise (groups = channels) then pointwise convs, Dropout2d, avg pooling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8)
        self.pw = nn.Conv2d(8, 12, 1)
        self.drop = nn.Dropout2d(0.2)
        self.pool = nn.AvgPool2d(2)
        self.head = nn.Linear(12 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.drop(F.relu(self.pw(F.relu(self.dw(x)))))
        return self.head(self.pool(x).flatten(1))


class Functional(nn.Module):
    """Only functional ops between the parameterised layers; view; softmax at the end."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 5)
        self.c2 = nn.Conv2d(4, 8, 3)
        self.f1 = nn.Linear(8 * 5 * 5, 32)
        self.f2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.avg_pool2d(torch.relu(self.c2(x)), 2)
        x = x.view(-1, 8 * 5 * 5)
        x = F.relu(self.f1(x))
        return F.softmax(self.f2(x), dim=1)


class Smooth(nn.Module):
    """GELU, SiLU, Hardswish, LeakyReLU, Tanh and BatchNorm1d."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.GELU(), nn.Conv2d(4, 6, 3, stride=2), nn.SiLU(),
            nn.MaxPool2d(2), nn.Flatten())
        self.classifier = nn.Sequential(
            nn.Linear(6 * 6 * 6, 24), nn.BatchNorm1d(24), nn.Hardswish(), nn.Linear(24, 16),
            nn.LeakyReLU(0.1), nn.Linear(16, 12), nn.Tanh(), nn.Linear(12, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class Colour(nn.Module):
    """A 3x32x32 colour net with 5 classes (cards give labels)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 3, padding=1)
        self.c2 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8 * 8 * 8, 5)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.relu(self.c2(x))
        x = F.relu(self.c3(x))
        return self.fc(x.reshape(x.shape[0], -1))


def nested():
    """A factory: Sequentials inside Sequentials, Identity, unnamed layers."""
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Identity()),
        nn.Sequential(nn.Sequential(nn.Conv2d(4, 6, 3), nn.ReLU()), nn.MaxPool2d(2)),
        nn.Flatten(),
        nn.Sequential(nn.Linear(6 * 12 * 12, 20), nn.ReLU(), nn.Dropout(0.3)),
        nn.Linear(20, 10))


class Untraceable(nn.Module):
    """Control flow on tensor values: torch.fx cannot trace it; hooks can."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        if x.sum() > -1:                 # data-dependent: fx refuses
            x = x + F.relu(self.c2(x))
        x = F.max_pool2d(x, 2)
        return self.fc(torch.flatten(x, 1))


class Unknown(nn.Module):
    """An op vis3d has no edge rule for (x * sigmoid(x) of a product; upsampling)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3)
        self.up = nn.Upsample(scale_factor=0.5)
        self.c2 = nn.Conv2d(4, 4, 3)
        self.fc = nn.Linear(4 * 11 * 11, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = self.up(x)
        x = self.c2(x) * torch.sigmoid(x[:, :, 1:-1, 1:-1])
        return self.fc(torch.flatten(x, 1))


class NeedsArgs(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 10)


class NoLayers(nn.Module):
    def forward(self, x):
        return x.flatten(1)[:, :10] * 2


def not_a_model():
    return 42


class TwoOutputs(nn.Module):
    """Returns (logits, features), as models kept for feature extraction often do."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(1, 6, 5)
        self.fc = nn.Linear(6 * 12 * 12, 10)

    def forward(self, x):
        f = F.avg_pool2d(F.elu(self.c(x)), 2)
        return self.fc(f.flatten(1)), f


class DictOutput(nn.Module):
    """Returns {'features': ..., 'logits': ...}: the logits are the class scores."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        f = F.gelu(self.c(x))
        return {"features": f, "logits": self.fc(f.flatten(1))}
