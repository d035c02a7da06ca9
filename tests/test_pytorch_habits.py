"""The PyTorch argument-order rule (docs/diagnostics.md): a call whose first positional argument is the
size netdsl infers is reported when it fits PyTorch's order and netdsl's reading is invalid (E0329) or
puts a channel-like number where a small argument goes (W0108); calls netdsl reads as meant stay silent."""

import pytest

import netdsl


def codes(body: str, shape: str = "[N, 3, 64, 64]") -> list[str]:
    analysis = netdsl.check_text(f"network A() {{ input x: {shape}\n x -> {body} -> output }}")
    return [d.code for d in analysis.diagnostics.sorted()]


@pytest.mark.parametrize("body, shape, code", [
    ("conv2d(3, 64, 3)", "[N, 3, 64, 64]", "W0108"),                  # kernel 64, stride 3 as netdsl reads it
    ("conv2d(64, 128, 3, padding=1)", "[N, 64, 32, 32]", "E0329"),     # kernel 128 > the padded 34
    ("conv2d(64, 128, 3, padding=1)", "[N, 64, 256, 256]", "W0108"),   # kernel 128 fits: valid, implausible
    ("linear(1024, 10)", "[N, 1024]", "E0329"),                       # bias=10
    ("multihead_attention(256, 8)", "[10, N, 256]", "E0329"),         # dropout=8
    ("lstm(128, 256)", "[10, N, 128]", "W0108"),                      # 256 layers
])
def test_pytorch_order_is_reported(body, shape, code):
    assert codes(body, shape) == [code]


@pytest.mark.parametrize("body, shape", [
    ("conv2d(64, 3, 2)", "[N, 64, 32, 32]"),        # out 64, kernel 3, stride 2: netdsl's reading is ordinary
    ("conv2d(3, kernel_size=64, stride=3)", "[N, 3, 128, 128]"),   # the second argument by keyword: meant
    ("conv2d(64, 3)", "[N, 3, 64, 64]"),            # netdsl's order
    ("linear(10)", "[N, 1024]"),
    ("linear(120, true)", "[N, 120]"),              # out 120 = in 120, bias: valid, no channel-like number
    ("batchnorm2d(64)", "[N, 64, 8, 8]"),           # its written size comes first in netdsl's order too
])
def test_calls_netdsl_reads_as_meant_stay_silent(body, shape):
    assert codes(body, shape) == []


def test_the_fix_drops_the_inferred_size():
    analysis = netdsl.check_text("network A() { input x: [N, 1024]\n x -> linear(1024, 10) -> output }")
    [diagnostic] = analysis.diagnostics.sorted()
    [fix] = diagnostic.fixes
    [edit] = fix.edits
    assert (edit.span.text, edit.replacement) == ("1024, ", "") and diagnostic.help == "write `linear(10)`"


@pytest.mark.parametrize("call, meant", [
    ("multihead_attention(E, heads, batch_first=true)", "multihead_attention(heads, batch_first=true)"),
    ("linear(E, E, true)", "linear(E, true)"),   # bias=E (64) fails validation only with the call's values
    ("conv1d(E, 2 * E, 3)", "conv1d(2 * E, 3)"),  # kernel 128 > 10 fails only in the shape rule
])
def test_pytorch_order_in_a_block_is_judged_with_the_call_values(call, meant):
    layer = call.replace("conv1d", "transpose(1, 2) -> conv1d") if call.startswith("conv1d") else call
    analysis = netdsl.check_text(f"block B(heads: int) {{\n    input x: [N, L, E]\n    output x -> {layer}\n}}\n"
                                 "network A() {\n    input x: [N, 10, 64]\n    x -> B(4) -> output\n}\n")
    [error] = analysis.diagnostics.items
    assert error.code == "E0329" and f"write `{meant}`" == error.help, error
    assert "in PyTorch's argument order, but netdsl infers" in error.message
