"""Every spec in specs/ builds, both from the emitted source and through build_module, and the built
modules agree with the static analysis: parameter and buffer counts, and the output shape. Those
comparisons of netdsl with itself are regression tests; the independent expectation is PyTorch's: the
specs with a hand-written twin (reference_models.py) compute what the twin computes, with its weights."""

from __future__ import annotations

import subprocess
import sys

import pytest
import reference_models
import torch
from conftest import ROOT
from spec_modules import (
    binding,
    checked,
    emitted_module,
    expected_shape,
    networks,
    random_inputs,
    with_weights_of,
)

import netdsl

NETWORKS = networks()
IDS = [f"{spec.stem}-{name}" for spec, name in NETWORKS]


def _counts(module: torch.nn.Module) -> tuple[int, int, int]:
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    return trainable, frozen, sum(b.numel() for b in module.buffers())


@pytest.mark.parametrize(("spec", "network"), NETWORKS, ids=IDS)
def test_built_modules_match_the_static_analysis(spec, network, tmp_path):
    graph = checked(spec, network)
    emitted = emitted_module(spec, network, tmp_path).eval()
    built = netdsl.build_module(spec.relative_to(ROOT), network).eval()
    for module in (emitted, built):
        assert _counts(module) == (graph.params, graph.frozen, graph.buffers)
    emitted_state, built_state = emitted.state_dict(), built.state_dict()
    assert [(k, v.shape) for k, v in emitted_state.items()] == [(k, v.shape) for k, v in built_state.items()]
    built.load_state_dict(emitted_state)
    # A spec with symbolic sizes runs at any size it accepts: try the two smallest from 16 on.
    sizes = binding(spec, network)
    for at in (sizes, binding(spec, network, at_least=1 + max([*sizes.values(), 16]))):
        inputs = random_inputs(graph, at)
        with torch.no_grad():
            first, second = emitted(*inputs), built(*inputs)
        assert tuple(first.shape) == expected_shape(graph, at), f"{tuple(first.shape)} vs static {graph.output_shape}"
        torch.testing.assert_close(first, second, rtol=0, atol=0)


# spec → (hand-written torch twin, an input); the twin is written from the spec, not generated
TWINS = {"lenet": (reference_models.lenet, (2, 1, 32, 32)), "mlp": (reference_models.mlp, (2, 784)),
         "cifar10": (reference_models.cifar10, (2, 3, 32, 32)), "resnet18": (reference_models.resnet18, (2, 3, 64, 64))}


@pytest.mark.parametrize("spec", sorted(TWINS))
def test_built_modules_compute_what_the_hand_written_twin_computes(spec):
    build, shape = TWINS[spec]
    torch.manual_seed(0)
    twin = build().double().eval()
    module = with_weights_of(netdsl.build_module(f"specs/{spec}.net").double().eval(), twin)
    x = torch.randn(shape, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(module(x), twin(x), rtol=1e-9, atol=1e-9)


def test_spec_errors_raise_netdsl_error_with_diagnostics():
    with pytest.raises(netdsl.NetdslError) as raised:
        netdsl.build_module("network A() { input x: [N, 3]  x -> conv2d(3, 3) -> output }")
    assert [d.code for d in raised.value.diagnostics] == ["E0404"]
    assert str(raised.value).startswith("<string> has 1 error:\n<string>:1:37: error[E0404]: `conv2d` expects")


def test_parameter_limit_states_the_static_count():
    with pytest.raises(netdsl.NetdslError, match=r"`LeNet` has 61,706 parameters and buffers \(static count\), "
                                                 r"more than max_params=1,000"):
        netdsl.build_module("specs/lenet.net", max_params=1000)
    assert isinstance(netdsl.build_module("specs/lenet.net", max_params=61_706), torch.nn.Module)


def test_parameter_overrides_reach_the_module():
    module = netdsl.build_module("specs/lenet.net", classes=3)
    assert module(torch.randn(2, 1, 32, 32)).shape == (2, 3)


def test_tracebacks_show_the_generated_source():
    module = netdsl.build_module("specs/lenet.net")
    with pytest.raises(RuntimeError) as raised:
        module(torch.randn(2, 3, 32, 32))
    frames = [f for f in raised.traceback if "netdsl generated from specs/lenet.net" in str(f.path)]
    assert frames and "self.conv1(x)" in str(frames[0].statement)


def test_import_netdsl_and_check_never_import_torch():
    code = ("import sys, netdsl; from netdsl.cli import main; main(['check', 'specs/lenet.net']); "
            "main(['summary', 'specs/lenet.net']); main(['build', 'specs/lenet.net']); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)


@pytest.mark.parametrize(("spec", "network"), NETWORKS, ids=IDS)
def test_jit_script_and_export(spec, network):
    graph = checked(spec, network)
    module = netdsl.build_module(spec.relative_to(ROOT), network).eval()
    inputs = random_inputs(graph, binding(spec, network))
    with torch.no_grad():
        expected = module(*inputs)
        torch.testing.assert_close(torch.jit.script(module)(*inputs), expected)
        exported = torch.export.export(module, tuple(inputs))
        torch.testing.assert_close(exported.module()(*inputs), expected)
