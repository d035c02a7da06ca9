"""The checker's shapes and parameter counts equal PyTorch's for hand-written equivalents of the specs."""

import torch
from torch import nn

import netdsl


def lenet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def alexnet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, stride=2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, stride=2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=2), nn.Flatten(),
        nn.Linear(256 * 5 * 5, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 10))


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def cifar10() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


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
    check("specs/alexnet.net", alexnet())


def test_mlp():
    check("specs/mlp.net", mlp())


def test_cifar10():
    check("specs/cifar10.net", cifar10())
