"""The checker's shapes and parameter counts equal PyTorch's for hand-written equivalents of the specs."""

import torch
from reference_models import alexnet_small, cifar10, lenet, mlp
from torch import nn

import netdsl


def torch_shapes(model: nn.Sequential, input_shape: tuple) -> list[tuple]:
    shapes, x = [], torch.empty(input_shape, device="meta")
    for layer in model.to("meta"):
        x = layer(x)
        shapes.append(tuple(x.shape))
    return shapes


def check(spec: str, model: nn.Sequential) -> None:
    network = netdsl.check_file(spec).network()
    batch = 2
    declared = tuple(batch if not isinstance(d, int) else d for d in network.input_shapes["x"])
    static = [tuple(batch if not isinstance(d, int) else d for d in layer.shape) for layer in network.layers]
    assert static == torch_shapes(model, declared)
    assert [layer.params for layer in network.layers] == [sum(p.numel() for p in m.parameters()) for m in model]
    assert network.params == sum(p.numel() for p in model.parameters())


def test_lenet():
    check("specs/lenet.net", lenet())


def test_alexnet():
    check("specs/alexnet.net", alexnet_small())


def test_mlp():
    check("specs/mlp.net", mlp())


def test_cifar10():
    check("specs/cifar10.net", cifar10())
