"""A block used with different parameters and input sizes is one class, parametric as hand-written code
(its constructor computes derived sizes: ConvBN(out=C * t)), and the module equals a hand-written twin."""

from __future__ import annotations

import torch
from torch import nn

import netdsl


class ConvBN(nn.Module):
    def __init__(self, c, out, k, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c, out, k, stride=stride, padding=k // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.relu1 = nn.ReLU()

    def forward(self, x):
        return self.relu1(self.bn1(self.conv1(x)))


class Inverted(nn.Module):
    def __init__(self, c, t, out, stride):
        super().__init__()
        self.conv_b_n1 = ConvBN(c, c * t, 1, 1)
        self.conv_b_n2 = ConvBN(c * t, c * t, 3, stride)
        self.conv1 = nn.Conv2d(c * t, out, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)

    def forward(self, x):
        return self.bn1(self.conv1(self.conv_b_n2(self.conv_b_n1(x))))


class Mini(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_b_n1 = ConvBN(3, 16, 3, 2)
        self.inverted1 = Inverted(16, 1, 16, 1)
        self.inverted2 = Inverted(16, 6, 24, 2)
        self.inverted3 = Inverted(24, 6, 24, 1)
        self.inverted4 = Inverted(24, 6, 32, 2)
        self.pool1 = nn.AdaptiveAvgPool2d(1)
        self.flatten1 = nn.Flatten()
        self.fc1 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.inverted4(self.inverted3(self.inverted2(self.inverted1(self.conv_b_n1(x)))))
        return self.fc1(self.flatten1(self.pool1(x)))


def test_one_class_per_block_with_sizes_as_expressions():
    source = netdsl.generate_source("specs/mobilenet_mini.net")
    assert source.count("class ConvBN(") == 1 and source.count("class Inverted(") == 1
    assert "def __init__(self, t: int, out: int, stride: int, C: int) -> None:" in source
    assert "self.conv_b_n1 = ConvBN(out=C * t, k=1, stride=1, C=C)" in source
    assert "self.inverted2 = Inverted(t=6, out=24, stride=2, C=16)" in source


def test_the_module_equals_its_hand_written_twin():
    analysis = netdsl.check_file("specs/mobilenet_mini.net")
    module, twin = netdsl.build_module("specs/mobilenet_mini.net").eval(), Mini().eval()
    assert analysis.network().params == sum(p.numel() for p in twin.parameters())
    assert [(k, v.shape) for k, v in module.state_dict().items()] == [(k, v.shape) for k, v in twin.state_dict().items()]
    twin.load_state_dict(module.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(module(x), twin(x), rtol=0, atol=0)


def test_a_parameter_given_as_the_callers_size_is_not_captured_by_the_blocks_own_symbols():
    """ConvBN's pattern names its input width C; Inverted passes `out=C * t` with Inverted's C. The second
    ConvBN's input width is C * t, not C: its conv reads 96 channels, not 16."""
    analysis = netdsl.check_file("specs/mobilenet_mini.net")
    inverted2 = next(layer for layer in analysis.network().layers if layer.node.name == "inverted2")
    second = next(layer for layer in inverted2.inner.layers if layer.node.name == "conv_b_n2")
    conv = second.inner.layers[0]
    assert (conv.args.in_channels, conv.args.out_channels) == (96, 96)
