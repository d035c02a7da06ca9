"""PyTorch models for the importer's tests: the tutorial models of the README's language tour, written
as a PyTorch user writes them, and a model that cannot be imported. Imports torch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """specs/mlp.net."""

    def __init__(self, hidden: int = 256, classes: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class SqueezeExcite(nn.Module):
    """specs/se_block.net: a per-channel gate learnt from the pooled channels."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        n, c, _, _ = x.shape
        w = self.pool(x).flatten(1)
        w = torch.sigmoid(self.fc2(F.relu(self.fc1(w))))
        return x * w.view(n, c, 1, 1)


class Residual(nn.Module):
    """specs/residual.net's basic block (the README's import example)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(x + y)


class ExcitedResidual(Residual):
    """The basic block with squeeze-excitation (specs/resnet_tiny.net)."""

    def __init__(self, channels: int):
        super().__init__(channels)
        self.excite = SqueezeExcite(channels, 4)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.excite(self.bn2(self.conv2(y)))
        return F.relu(x + y)


class ResNetTiny(nn.Module):
    """specs/resnet_tiny.net: residual blocks of two widths, squeeze-excitation inside."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.stage1 = nn.Sequential(ExcitedResidual(16), ExcitedResidual(16))
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.stage2 = ExcitedResidual(32)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.head(self.dropout(x))


class Net(nn.Module):
    """The README's import example: residual blocks of two widths."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.stage1 = nn.Sequential(Residual(16), Residual(16))
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.stage2 = Residual(32)
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        if x.sum() > 0:   # data-dependent: torch.fx cannot trace it
            return x
        return x * self.scale


class Unsupported(nn.Module):
    """One of each thing `netdsl import` cannot express."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.act = nn.Softsign()
        self.gate = Gate()
        self.scale = nn.Parameter(torch.ones(8), requires_grad=False)
        self.register_buffer("offset", torch.randn(8), persistent=False)

    def forward(self, x):
        y = self.act(self.fc(x))
        y = torch.cumsum(y, dim=1)
        y = y[y > 0]
        z = x + self.offset
        return self.gate(y * self.scale) + z
