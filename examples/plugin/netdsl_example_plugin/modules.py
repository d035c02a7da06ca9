"""The PyTorch side of the example plugin: imported by generated code, never by `netdsl check`."""

from __future__ import annotations

import math

import torch
from torch import nn


class Dense(nn.Module):
    """y = x Wᵀ + b, initialised like nn.Linear; freeze=True keeps W and b out of training."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, freeze: bool = False) -> None:
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound)) if bias else None
        for parameter in self.parameters():
            parameter.requires_grad_(not freeze)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x @ self.weight.t()
        bias = self.bias
        if bias is not None:
            y = y + bias
        return y
