"""`netdsl summary`: MACs against hand-computed values, totals, memory, and the JSON form."""

from __future__ import annotations

import json

from conftest import ROOT, run_cli

from netdsl import check_file, check_text
from netdsl.summary import format_summary, summarize

# LeNet per sample, by the README's convention (output elements × work per element):
LENET_MACS = {
    "conv1": 6 * 28 * 28 * 1 * 25,     # conv: output × in_channels/groups × kernel volume
    "pool1": 6 * 14 * 14 * 4,          # pooling: output × window
    "conv2": 16 * 10 * 10 * 6 * 25,
    "pool2": 16 * 5 * 5 * 4,
    "fc1": 400 * 120, "fc2": 120 * 84, "fc3": 84 * 10,   # linear: in × out per row
}


def test_lenet_macs_are_the_hand_computed_ones():
    table, totals = summarize(check_file("specs/lenet.net").network(), batch=32, dtype="float16")
    assert {r.name: r.macs for r in table if r.macs} == {k: 32 * v for k, v in LENET_MACS.items()}
    assert all(r.macs == 0 for r in table if r.kind in ("relu", "flatten"))   # activations: 0
    assert totals.macs == 32 * 422_824 and (totals.params, totals.frozen, totals.buffers) == (61_706, 0, 0)
    assert totals.param_bytes == 61_706 * 2 and totals.input_bytes == 32 * 32 * 32 * 2
    outputs = 6 * 28 * 28 * 2 + 6 * 14 * 14 + 16 * 10 * 10 * 2 + 16 * 5 * 5 + 400 + 120 * 2 + 84 * 2 + 10
    assert totals.activation_bytes == 32 * outputs * 2


def test_grouped_conv_and_norm_macs():
    analysis = check_text("""network G() { input x: [N, 8, 10, 10]
        x -> conv2d(16, kernel=3, groups=4, bias=false) -> batchnorm2d -> output }""")
    table, totals = summarize(analysis.network())
    conv, norm = table
    assert conv.shape == (1, 16, 8, 8) and conv.params == 16 * 2 * 9
    assert conv.macs == 16 * 8 * 8 * (8 // 4) * 3 * 3          # in_channels/groups = 2
    assert norm.macs == 16 * 8 * 8 and (norm.params, norm.buffers) == (32, 33)   # norm: one per element
    assert totals.buffers == 33 and totals.param_bytes == (288 + 32 + 33) * 4


def test_summary_table_nests_blocks(capsys):
    code, out, err = run_cli(capsys, "summary", "specs/resnet_tiny.net", "--batch", "8")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "ResNetTiny  (input x: [8, 3, 32, 32]; batch N=8, float32)"
    assert any(line.startswith("residual1 ") and "Residual(channels=16)" in line for line in lines)
    assert any(line.startswith("    fc1 ") and "linear(16→4)" in line for line in lines)   # inside SqueezeExcite
    assert "Parameters:         34,202 (trainable 34,202, non-trainable 0)" in lines
    assert out == format_summary(check_file("specs/resnet_tiny.net").network(), 8, "float32")


def test_summary_json(capsys):
    code, out, _ = run_cli(capsys, "summary", "specs/lenet.net", "--format", "json", "--batch", "2",
                           "--dtype", "bfloat16")
    top = json.loads(out)
    assert top["version"] == 1 and top["file"] == "specs/lenet.net" and len(top["networks"]) == 1
    document = top["networks"][0]
    assert code == 0 and document["dtype"] == "bfloat16" and document["output_shape"] == [2, 10]
    assert document["totals"]["macs"] == 2 * 422_824 and document["totals"]["params"] == 61_706
    assert document["layers"][0] == {"path": "conv1", "depth": 0, "kind": "conv2d", "label": "conv2d(1→6, 5×5)",
                                     "output_shape": [2, 6, 28, 28], "params": 156, "non_trainable_params": 0,
                                     "buffers": 0, "macs": 2 * 117_600}


def test_summary_of_a_broken_spec_reports_errors(capsys):
    broken = sorted((ROOT / "specs" / "errors").glob("*.net"))[0]
    code, out, err = run_cli(capsys, "summary", str(broken.relative_to(ROOT)))
    assert code == 1 and out == "" and "error[E" in err
