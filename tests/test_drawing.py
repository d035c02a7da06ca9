"""The diagram model every drawing is cut from (netdsl/drawing.py, view.py, spine.py): main paths and skips,
operand order, tensor names, repeats, the U of an encoder–decoder, the columns of a long network, details."""

from __future__ import annotations

import json

import pytest
from test_render import BROKEN

import netdsl
from netdsl.drawing import ERROR, build
from netdsl.spine import BOTTOM, DECODER, ENCODER
from netdsl.view import collapsed, cut

OPERANDS = """
network Operands() {
    input a: [N, 4, 8], b: [N, 4, 8], c: [N, 8, 4]
    s = a - b
    d = a / b
    m = a @ c
    j = concat(a, b, s, dim=1)
    q = (a + b) * d
    output concat(s, q, m @ a, j, dim=1)
}
"""

LAYER_REPEAT = """
network Deep() {
    input x: [N, 32]
    x -> linear(64) * 3 -> relu -> output
}
"""


def model(spec: str, network: str | None = None):
    analysis = netdsl.check_file(spec) if spec.endswith(".net") else netdsl.check_text(spec)
    return build(analysis.network(network), analysis.diagnostics.items)


def edges(diagram, target: str) -> dict[str, object]:
    return {e.source: e for e in diagram.edges if e.target == target}


def test_a_downsampling_block_has_its_main_path_solid_and_its_whole_shortcut_dashed():
    diagram = model("specs/residual.net")
    into_add = edges(diagram, "down_block1.add1")
    assert not into_add["down_block1.bn2"].skip          # y: five layers deep, the main path
    assert into_add["down_block1.bn3"].skip              # the 1×1 projection bypasses them
    # The projection's own layers are the shortcut too, back to where it leaves the main path.
    assert edges(diagram, "down_block1.conv3")["basic_block1.relu2"].skip
    assert edges(diagram, "down_block1.bn3")["down_block1.conv3"].skip
    assert not edges(diagram, "down_block1.conv1")["basic_block1.relu2"].skip
    # The identity block: the input jumps the branch.
    assert edges(diagram, "basic_block1.add1")["@x"].skip
    assert not edges(diagram, "basic_block1.add1")["basic_block1.bn2"].skip


def test_operands_are_labelled_where_their_order_matters():
    diagram = model(OPERANDS)
    operands = {n.id: [e.operand for e in diagram.edges if e.target == n.id] for n in diagram.nodes}
    for layer in ("sub1", "div1", "matmul1", "matmul2"):
        assert operands[layer] == ["1st", "2nd"], layer
    assert operands["cat1"] == ["1st", "2nd", "3rd"] and operands["cat2"] == ["1st", "2nd", "3rd", "4th"]
    commutative = [n.id for n in diagram.nodes if n.details.kind in ("add", "mul")]
    assert commutative and all(e.operand is None for e in diagram.edges if e.target in commutative)


def test_the_tensor_names_a_user_gives_label_the_edges_that_carry_them():
    diagram = model("specs/attention.net", "SelfAttention")
    named = {(e.source, e.tensor) for e in diagram.edges if e.tensor}
    assert {("fc1", "q"), ("fc2", "k"), ("fc3", "v"), ("div1", "scores"), ("softmax1", "weights")} == named
    # A block's output carries the name it is given outside, into the blocks that read it.
    unet = model("specs/unet.net")
    assert edges(unet, "up1.cat1")["double_conv3.relu2"].tensor == "e3"


def test_a_collapsed_block_takes_the_edges_of_its_layers_merged():
    diagram = model("specs/residual.net")
    view = cut(diagram, collapsed(diagram, depth=0))
    assert [b.id for b in view.boxes] == ["@x", "basic_block1", "down_block1", "@output"]
    into = [link for link in view.links if link.target == "down_block1"]
    assert len(into) == 1 and not into[0].skip  # main and projection read one tensor: one solid edge
    unet = model("specs/unet.net")
    up = {link.source: link.operand for link in cut(unet, collapsed(unet, depth=0)).links if link.target == "up1"}
    assert up == {"double_conv4": "x", "double_conv3": "skip"}  # a block's inputs, by the names it gives them


# ---------------------------------------------------------------- repeats

def test_lowering_records_which_copy_of_a_repeat_each_node_is():
    graph = netdsl.check_file("specs/resnet18.net").network().graph
    copies = [(n.name, n.repeat.index, n.repeat.count) for n in graph.nodes if n.repeat is not None]
    assert copies == [("basic_block1", 0, 2), ("basic_block2", 1, 2)]
    assert graph.node("basic_block1").repeat.repeat == graph.node("basic_block2").repeat.repeat
    inner = graph.node("down_block1").block
    assert all(n.repeat is None for n in inner.nodes)


def test_a_repeat_is_a_group_of_its_copies_with_the_parameters_of_each():
    diagram = model("specs/resnet18.net")
    repeat = next(g for g in diagram.groups if g.role == "repeat")
    assert (repeat.id, repeat.count, repeat.label) == ("*1", 2, "BasicBlock(channels=64) × 2")
    assert repeat.details.per_copy == (73_984, 73_984) and repeat.details.params == 2 * 73_984 and repeat.alike
    assert {g.parent for g in diagram.groups if g.id in ("basic_block1", "basic_block2")} == {"*1"}
    deep = model(LAYER_REPEAT)
    layers = next(g for g in deep.groups if g.role == "repeat")
    assert layers.details.per_copy == (32 * 64 + 64, 64 * 64 + 64, 64 * 64 + 64) and not layers.alike
    assert layers.label == "linear(32→64) × 3"  # the first copy's, and the detail line says so


@pytest.mark.parametrize("depth, repeats, closed", [
    (None, None, set()),
    (None, True, {"*1"}),
    (0, None, {"*1", "basic_block1", "basic_block2", "down_block1", "basic_block3", "down_block2",
               "basic_block4", "down_block3", "basic_block5"}),
    (1, None, set()),
])
def test_repeats_collapse_when_asked_and_by_default_from_the_chosen_depth_on(depth, repeats, closed):
    assert collapsed(model("specs/resnet18.net"), depth, repeats) == closed


def test_a_collapsed_repeat_is_one_box_between_the_layers_around_it():
    diagram = model("specs/resnet18.net")
    view = cut(diagram, collapsed(diagram, None, True))
    box = next(b for b in view.boxes if b.id == "*1")
    assert (box.role, box.count, box.parent) == ("repeat", 2, None)
    assert {(l.source, l.target) for l in view.links if "*1" in (l.source, l.target)} == {
        ("pool1", "*1"), ("*1", "down_block1.conv1"), ("*1", "down_block1.conv3")}
    assert not any(b.id.startswith("basic_block1.") for b in view.boxes)


# ---------------------------------------------------------------- the U and the columns

def test_an_encoder_decoder_is_laid_out_as_a_u_with_its_skips_across():
    diagram = model("specs/unet.net")
    assert diagram.pairs == (("double_conv3.relu2", "up1.cat1"), ("double_conv2.relu2", "up2.cat1"),
                             ("double_conv1.relu2", "up3.cat1"))
    sides = {n.id: n.side for n in diagram.nodes}
    assert (sides["@x"], sides["pool3"], sides["double_conv4.relu2"], sides["up1.up1"], sides["@output"]) == \
        (ENCODER, ENCODER, BOTTOM, DECODER, DECODER)
    view = cut(diagram, collapsed(diagram, depth=0))
    assert view.u_shaped
    links = {(l.source, l.target): l for l in view.links}
    assert links["double_conv4", "up1"].rising and links["up1", "up2"].rising and links["conv1", "@output"].rising
    assert links["double_conv3", "up1"].across and not links["double_conv3", "up1"].rising
    assert not links["double_conv1", "pool1"].rising


@pytest.mark.parametrize("spec, network", [("specs/resnet18.net", None), ("specs/attention.net", "SelfAttention"),
                                           ("specs/se_block.net", None), ("specs/lenet.net", None)])
def test_networks_without_that_structure_are_not_drawn_as_a_u(spec, network):
    assert model(spec, network).pairs == ()


def test_a_long_network_is_wrapped_into_columns_where_its_resolution_changes():
    diagram = model("specs/resnet18.net")
    view = cut(diagram, collapsed(diagram, None, True))
    assert view.columns == ("@x", "down_block1.conv1", "down_block2.conv1", "down_block3.conv1")
    wrapped = {(l.source, l.target) for l in view.links if l.wrapped}
    assert ("basic_block3.relu2", "down_block2.conv1") in wrapped
    assert ("basic_block3.relu2", "down_block2.conv3") in wrapped  # the shortcut goes on in the next column too
    short = cut(diagram, collapsed(diagram, 0))
    assert short.columns == () and not any(l.wrapped for l in short.links)


def test_a_squeeze_excitation_dip_is_not_a_new_stage():
    diagram = model("specs/resnet_tiny.net")
    view = cut(diagram, set())
    assert view.columns == ()
    stages = dict(zip(diagram.spine, diagram.stages))
    assert stages["residual1.add1"] == stages["residual1.squeeze_excite1.fc1"] == stages["bn1"]


# ---------------------------------------------------------------- details and errors

def test_details_say_how_pytorch_reads_a_layer_and_where_the_spec_says_it():
    diagram = model("specs/lenet.net")
    conv = next(n for n in diagram.nodes if n.id == "conv1").details
    assert conv.pytorch.startswith("nn.Conv2d(1, 6, ") and conv.inputs == ("[N, 1, 32, 32]",)
    assert (conv.output, conv.params, conv.macs) == ("[N, 6, 28, 28]", 156, f"{6 * 28 * 28 * 25}*N")
    assert conv.where.startswith("specs/lenet.net:") and "conv2d" in conv.line
    unet = model("specs/unet.net")
    concat = next(n for n in unet.nodes if n.id == "up1.cat1").details
    assert concat.pytorch.replace(" ", "").startswith("torch.cat((u,skip")  # the block's own names


def test_the_failing_layer_carries_its_diagnostic():
    diagram = model(BROKEN)
    failing = next(n for n in diagram.nodes if n.status == ERROR)
    assert failing.id == "residual1.add1"
    assert failing.details.diagnostic.startswith("error[E0403]: shapes [N, 16, 32, 32] and [N, 16, 30, 30]")
    assert len(diagram.diagnostics) == 1 and "do not broadcast" in diagram.diagnostics[0]
    assert next(g for g in diagram.groups if g.id == "residual1").status == ERROR


def test_the_model_is_json():
    diagram = model("specs/unet.net")
    document = json.loads(json.dumps(diagram.as_json()))
    assert {"network", "title", "nodes", "groups", "edges", "pairs", "spine", "stages", "diagnostics"} <= set(document)
    assert len(document["nodes"]) == len(diagram.nodes) and document["nodes"][1]["details"]["kind"] == "conv2d"
