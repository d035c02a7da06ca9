"""Published parameter counts: netdsl's static count must equal the paper/torchvision figure and the
sum(p.numel()) of the same network written by hand with torch.nn (torchvision is not a dependency)."""

from __future__ import annotations

import pytest
import torch
from reference_models import MODELS

import netdsl
from netdsl.sizes import symbol


@pytest.mark.parametrize("name, published", [("vgg16", 138_357_544), ("alexnet_imagenet", 61_100_840)])
def test_published_parameter_counts(name, published):
    analysis = netdsl.check_file(f"specs/{name}.net")
    assert analysis.ok, analysis.diagnostics
    network = analysis.network()
    build, shape = MODELS[name]
    with torch.device("meta"):
        model = build()
        out = model(torch.empty(shape))
    assert network.params == published == sum(p.numel() for p in model.parameters())
    assert network.output_shape == (symbol("N"), 1000) and tuple(out.shape) == (shape[0], 1000)
