"""Structure decided at spec time: `if` stages, conditional expressions, `and`/`or`/`not`, repeat counts of
0 and `for` over configuration tables. MobileNetV2 (one inverted-residual block with a conditional skip,
walked over the paper's table) equals a hand-written torch twin: parameter count, state_dict shapes in
order, and outputs on the same weights; its generated code decides the structure in the classes it
writes, not with branches at run time."""

from __future__ import annotations

import re

import pytest
import torch
from conftest import ROOT, run_cli
from spec_modules import import_source
from torch import nn

import netdsl
from netdsl.drawing import build
from netdsl.formatter import format_text
from netdsl.lsp.completion import complete
from netdsl.lsp.index import Index
from netdsl.lsp.info import hover
from netdsl.shapes import format_shape

MOBILENET_V2 = ROOT / "specs" / "mobilenet_v2.net"
CONFIG = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


class ConvBNReLU(nn.Sequential):
    def __init__(self, inputs: int, out: int, kernel: int = 3, stride: int = 1, groups: int = 1):
        super().__init__(nn.Conv2d(inputs, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(out), nn.ReLU6())


class InvertedResidual(nn.Module):
    """torchvision.models.mobilenetv2.InvertedResidual."""

    def __init__(self, inputs: int, out: int, stride: int, expand: int):
        super().__init__()
        hidden = inputs * expand
        self.skip = stride == 1 and inputs == out
        layers = [ConvBNReLU(inputs, hidden, 1)] if expand != 1 else []
        self.conv = nn.Sequential(*layers, ConvBNReLU(hidden, hidden, 3, stride, groups=hidden),
                                  nn.Conv2d(hidden, out, 1, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        return x + self.conv(x) if self.skip else self.conv(x)


def mobilenet_v2(classes: int = 1000) -> nn.Module:
    features, inputs = [ConvBNReLU(3, 32, stride=2)], 32
    for t, c, n, s in CONFIG:
        for i in range(n):
            features.append(InvertedResidual(inputs, c, s if i == 0 else 1, t))
            inputs = c
    features.append(ConvBNReLU(inputs, 1280, 1))
    return nn.Sequential(*features, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, classes))


def test_mobilenet_v2_has_torchvisions_parameter_count():
    network = netdsl.check_file(MOBILENET_V2).network()
    assert network.params == 3_504_872 == sum(p.numel() for p in mobilenet_v2().parameters())
    assert format_shape(network.output_shape) == "[N, 1000]"


def test_mobilenet_v2_generated_module_equals_the_twin(tmp_path):
    torch.manual_seed(0)
    module = import_source(netdsl.generate_source(MOBILENET_V2), tmp_path, "generated_mobilenet_v2")
    twin, generated = mobilenet_v2().eval(), module.MobileNetV2().eval()
    twin_state, generated_state = twin.state_dict(), generated.state_dict()
    assert [tuple(v.shape) for v in twin_state.values()] == [tuple(v.shape) for v in generated_state.values()]
    for tensor in twin_state.values():   # BatchNorm statistics that are not 0 and 1, so they matter
        if tensor.is_floating_point():
            tensor.uniform_(0.5, 1.5)
    generated.load_state_dict(dict(zip(generated_state, twin_state.values())))
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(generated(x), twin(x))


def test_an_if_decided_at_spec_time_writes_one_class_per_structure_without_branches():
    source = netdsl.generate_source(MOBILENET_V2)
    classes = re.findall(r"^class (\w+)\(nn.Module\)", source, re.M)
    assert classes == ["ConvBNReLU", "InvertedResidual", "InvertedResidual2", "InvertedResidual3", "MobileNetV2"]
    assert not re.search(r"^\s+if\b", source, re.M), "structure is decided when the spec is checked"
    bodies = dict(zip(classes, re.split(r"^class \w+\(nn.Module\)", source, flags=re.M)[1:]))
    assert [cls for cls, body in bodies.items() if "= x + " in body] == ["InvertedResidual3"]   # the skip
    assert [cls for cls, body in bodies.items() if "Inverted" in cls and body.count("ConvBNReLU(") == 2] == [
        "InvertedResidual2", "InvertedResidual3"]
    # what a test that held says is used: with the skip, stride is 1 and the input has `out` channels
    assert "def __init__(self, out: int, t: int)" in bodies["InvertedResidual3"]
    assert "nn.Conv2d(out * t, out, kernel_size=1, bias=False)" in bodies["InvertedResidual3"]
    assert "out = x + y  # [N, out, H, W]" in bodies["InvertedResidual3"]
    assert "def __init__(self, out: int, stride: int, C: int)" in bodies["InvertedResidual"]   # t is 1
    # each row of the table instantiates its blocks in order, named stably after the block
    assert re.findall(r"self\.(inverted_residual\d+) =", source) == [f"inverted_residual{i}" for i in range(1, 18)]


def check(text: str, **params):
    return netdsl.check_text(text, "t.net", **params)


def kinds(text: str, **params) -> list[str]:
    analysis = check(text, **params)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    return [layer.node.kind for layer in analysis.network().layers]


SKIP = """
block Skip(out: int) {
    input x: [N, C]
    y = x -> linear(out)
    output x + y if C == out else y
}
network Net(width: int = 8) {
    input x: [N, 8]
    x -> Skip(width) -> output
}
"""


@pytest.mark.parametrize("width, last", [(8, "add"), (4, "linear")])
def test_a_conditional_output_on_a_block_input_size_is_decided_at_each_call(width, last):
    analysis = check(SKIP, width=width)
    assert analysis.ok
    assert analysis.network().layers[0].inner.layers[-1].node.kind == last


IF_STAGES = """
network Net(t: int = 1, deep: bool = false) {
    input x: [N, 8]
    x -> if t == 1 { relu } else if t == 2 { tanh } else { sigmoid }
      -> if deep and t > 0 { linear(8) -> relu }
      -> if not deep or t ** 2 == 9 { linear(4) }
      -> output
}
"""


@pytest.mark.parametrize("params, expected", [
    ({}, ["relu", "linear"]),
    ({"t": 2}, ["tanh", "linear"]),
    ({"t": 3, "deep": True}, ["sigmoid", "linear", "relu", "linear"]),
    ({"t": 0, "deep": True}, ["sigmoid"]),
])
def test_if_stages_choose_layers_and_an_if_without_else_passes_the_tensor(params, expected):
    assert kinds(IF_STAGES, **params) == expected


def test_and_does_not_evaluate_its_right_side_when_the_left_decides():
    text = """
    network Net(stride: int = 2) {
        input x: [N, C, 8, 8]
        x -> if stride == 1 and C == 8 { relu } -> output
    }
    """
    assert kinds(text) == []
    assert [d.code for d in check(text, stride=1).diagnostics.items] == ["E0350"]
    analysis = check(text, stride=1, sizes={"C": 8})
    assert analysis.ok and [layer.node.kind for layer in analysis.network().layers] == ["relu"]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_a_repeat_count_of_zero_is_no_layers(count):
    text = "network Net(n: int) {\n input x: [N, 8]\n x -> (linear(8) -> relu) * n -> output\n}\n"
    assert kinds(text, n=count) == ["linear", "relu"] * count


def test_for_walks_a_table_binding_each_row_and_names_stay_stable():
    text = """
    block Stage(width: int, stride: int) {
        input x: [N, C, H, W]
        x -> conv2d(width, 3, stride=stride, padding=1) -> output
    }
    network Net(config: tuple = ((16, 1), (32, 2), (64, 2))) {
        input x: [N, 3, 32, 32]
        x -> for width, stride in config { Stage(width, stride) -> relu }
          -> for i in range(2) { head: linear(10 * (i + 1)) }
          -> output
    }
    """
    analysis = check(text)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    network = analysis.network()
    assert [layer.node.name for layer in network.layers] == [
        "stage1", "relu1", "stage2", "relu2", "stage3", "relu3", "head1", "head2"]
    assert format_shape(network.output_shape) == "[N, 64, 8, 20]"


def test_loop_names_are_defined_between_the_braces_only():
    text = """
    network Net(config: tuple = (4, 8)) {
        input x: [N, 8]
        x -> for w in config { linear(w) } -> linear(w) -> output
    }
    """
    assert "E0201" in [d.code for d in check(text).diagnostics.items]


def test_tuples_are_indexed_and_sliced_at_spec_time():
    text = """
    network Net(config: tuple = ((1, 16), (6, 24), (6, 32))) {
        input x: [N, 8]
        x -> linear(config[-1][1]) -> for t, c in config[:2] { linear(c * t) } -> output
    }
    """
    analysis = check(text)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    assert [layer.args.out_features for layer in analysis.network().layers] == [32, 16, 144]


def test_input_sizes_fixed_on_the_command_line_decide_conditions(capsys):
    spec = ROOT / "specs" / "errors" / "condition_on_input_size.net"
    code, out, err = run_cli(capsys, "check", str(spec), "--input", "C=64")
    assert code == 0, err


STRUCTURE = """network Net(t: int = 2, config: tuple = ((1, 16), (6, 24))) {
    input x: [N, 3, 8, 8]
    y = x[:, :, 1:-1, ::2]
    x -> if t != 1 {
        conv2d(8, 1) -> relu
    } else if t == 0 { relu } else {
        relu
          -> relu
    }
      -> for t, c in config {
          conv2d(c * t ** 2, 1)
      }
      -> output
}
"""


def test_the_formatter_keeps_the_canonical_layout_of_structure():
    assert format_text(STRUCTURE) == STRUCTURE
    squeezed = STRUCTURE.replace("x[:, :, 1:-1, ::2]", "x [ : , :,1 : -1,: : 2 ]").replace("{\n        conv2d",
                                                                                          "{\n conv2d")
    assert format_text(squeezed) == STRUCTURE


def test_hover_names_each_layer_a_loop_makes_and_its_loop_variables():
    analysis = netdsl.check_file(MOBILENET_V2)
    text, index = analysis.source.text, Index(analysis.program)
    call, _ = hover(analysis, index, analysis.source.path, text.index("InvertedResidual(c, s, t)"))
    assert re.findall(r"`(inverted_residual\d+)` = `InvertedResidual\(out=(\d+)", call) == [
        ("inverted_residual1", "16"), ("inverted_residual2", "24"), ("inverted_residual4", "32"),
        ("inverted_residual7", "64"), ("inverted_residual11", "96"), ("inverted_residual14", "160"),
        ("inverted_residual17", "320")]
    variable, span = hover(analysis, index, analysis.source.path, text.index("c, s, t)"))
    assert "loop variable `c`" in variable and span.text == "c"


def test_a_repeat_inside_a_for_is_one_diagram_group_per_item():
    diagram = build(netdsl.check_file(MOBILENET_V2).network(), ())
    repeats = [(g.count, g.name) for g in diagram.groups if g.role == "repeat"]
    assert repeats == [(2, "inverted_residual5 … inverted_residual6"), (3, "inverted_residual8 … inverted_residual10"),
                       (2, "inverted_residual12 … inverted_residual13"),
                       (2, "inverted_residual15 … inverted_residual16")]


def test_a_block_whose_structure_waits_for_its_input_sizes_still_checks_its_where_clause():
    text = SKIP.replace("input x: [N, C]", "input x: [N, C] where C >= 16")
    assert [d.code for d in check(text).diagnostics.items] == ["E0423"]


def test_completion_after_an_arrow_offers_if_and_for():
    text = "network Net() {\n    input x: [N, 8]\n    x -> \n}\n"
    offered = {item.label for item in complete(text, text.index("-> ") + 3, {}, {})}
    assert {"if", "for", "output", "relu"} <= offered


def test_comparisons_powers_and_subscripts_on_tensors_are_layers_that_run_as_torch(tmp_path):
    text = """
    network Net() {
        input x: [N, 8, 6]
        m = (x > 0) * (x <= 1)
        output (x ** 2 + m)[..., 1:-1, None] -> flatten
    }
    """
    analysis = check(text)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    assert [layer.node.kind for layer in analysis.network().layers] == ["gt", "le", "mul", "pow", "add", "getitem",
                                                                       "flatten"]
    module = import_source(netdsl.generate_source(text), tmp_path, "generated_tensor_operators").Net()
    x = torch.randn(2, 8, 6)
    torch.testing.assert_close(module(x), (x ** 2 + (x > 0) * (x <= 1))[..., 1:-1, None].flatten(1))
