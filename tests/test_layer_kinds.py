"""The layer kinds of issue #14 in whole networks: the code generated for them is what a person writes
(read off the emitted source), and the built module computes what the same torch code written by hand
computes, on the same weights. Shapes and counts of every kind are covered by test_agreement.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

import netdsl
from netdsl import check_text
from netdsl.codegen import generate


GENERATED: list[str] = []


def _source(text: str) -> str:
    analysis = check_text(text)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    source = generate(analysis.networks, "<test>").source
    GENERATED.append(source)
    return source


def _forward_lines(source: str) -> list[str]:
    body = source[source.index("def forward"):]
    return [line.strip().split("  #")[0] for line in body.splitlines()[1:]]


def _one_line(lines: list[str]) -> str:
    """Statements as one string without spaces or layout (ruff's trailing commas dropped)."""
    return "".join(line for line in lines if not line.startswith("#")).replace(" ", "").replace(",)", ")")


CAUSAL_ENCODER = """
network Decoder() {
    input x: [N, 6, 16], padding: [N, 6]
    causal = ones(6, 6, dtype='bool') -> triu(1)
    y = multihead_attention(x, causal, padding, 4, batch_first=true, attn_mask=true, key_padding_mask=true,
                            is_causal=true)
    output y
}
"""


def test_multihead_attention_takes_its_masks_as_inputs():
    lines = _forward_lines(_source(CAUSAL_ENCODER))
    assert lines[:2] == ["causal = torch.ones(6, 6, dtype=torch.bool, device=x.device)",
                         "causal = torch.triu(causal, diagonal=1)"]
    assert _one_line(lines[2:]) == ("y=self.attn1(x,x,x,attn_mask=causal,key_padding_mask=padding,is_causal=True,"
                                     "need_weights=False)[0]returny")
    built = netdsl.build_module(CAUSAL_ENCODER).eval()
    reference = nn.MultiheadAttention(16, 4, batch_first=True).eval()
    reference.load_state_dict({k.removeprefix("attn1."): v for k, v in built.state_dict().items()})
    x = torch.randn(2, 6, 16)
    padding = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
    causal = torch.ones(6, 6, dtype=torch.bool).triu(1)
    with torch.no_grad():
        expected = reference(x, x, x, attn_mask=causal, key_padding_mask=padding, is_causal=True,
                             need_weights=False)[0]
        torch.testing.assert_close(built(x, padding), expected)


def test_scaled_dot_product_attention_turns_dropout_off_in_evaluation():
    spec = """
    network Attend() {
        input q: [N, 2, 5, 8], k: [N, 2, 7, 8], v: [N, 2, 7, 3], mask: [5, 7]
        output scaled_dot_product_attention(q, k, v, mask, dropout_p=0.5, scale=0.25)
    }
    """
    assert ("out=F.scaled_dot_product_attention(q,k,v,attn_mask=mask,dropout_p=0.5ifself.trainingelse0.0,"
            "scale=0.25)") in _one_line(_forward_lines(_source(spec)))
    built = netdsl.build_module(spec).eval()
    inputs = (torch.randn(2, 2, 5, 8), torch.randn(2, 2, 7, 8), torch.randn(2, 2, 7, 3), torch.randn(5, 7))
    torch.testing.assert_close(built(*inputs), F.scaled_dot_product_attention(*inputs[:3], attn_mask=inputs[3],
                                                                               scale=0.25))


def test_slices_crops_and_padding_are_written_as_python_slices_and_f_pad():
    spec = """
    network Shapes() {
        input x: [N, 3, 12, 12], skip: [N, 3, 17, 16]
        inner = x -> getitem(((None, None, None), 0, (1, -1, None), (None, None, 2)))
        cropped = center_crop(skip, x)
        padded = inner -> pad((1, 1), mode='reflect') -> narrow(-1, 1, 6)
        output cropped + (padded -> unsqueeze(1) -> expand(-1, 3, 10, 6) -> pad((3, 3, 1, 1)))
    }
    """
    lines = _forward_lines(_source(spec))
    assert "inner = x[:, 0, 1:-1, ::2]" in lines
    assert "cropped = skip[:, :, 2:-3, 2:-2]" in lines
    assert 'padded = F.pad(inner, (1, 1), mode="reflect")' in lines
    assert "padded = padded.narrow(-1, 1, 6)" in lines
    assert "out = out.expand(-1, 3, -1, -1)" in lines
    built = netdsl.build_module(spec)
    x, skip = torch.randn(2, 3, 12, 12), torch.randn(2, 3, 17, 16)
    inner = x[:, 0, 1:-1, ::2]
    padded = F.pad(inner, (1, 1), mode="reflect").narrow(-1, 1, 6).unsqueeze(1).expand(-1, 3, 10, 6)
    expected = skip[:, :, 2:14, 2:14] + F.pad(padded, (3, 3, 1, 1))
    torch.testing.assert_close(built(x, skip), expected, rtol=0, atol=0)


def test_prelu_counts_one_weight_per_channel_under_its_layer_name():
    spec = """
    network Net() {
        input x: [N, 3, 8, 8]
        x -> conv2d(16, 3) -> prelu(16) -> instancenorm2d(affine=true) -> hardswish -> relu6 -> output
    }
    """
    analysis = check_text(spec)
    assert analysis.ok and analysis.networks[0].params == 3 * 16 * 9 + 16 + 16 + 32
    built = netdsl.build_module(spec)
    assert [(k, tuple(v.shape)) for k, v in built.state_dict().items()] == [
        ("conv1.weight", (16, 3, 3, 3)), ("conv1.bias", (16,)), ("prelu1.weight", (16,)),
        ("inorm1.weight", (16,)), ("inorm1.bias", (16,))]
    reference = nn.Sequential(nn.Conv2d(3, 16, 3), nn.PReLU(16), nn.InstanceNorm2d(16, affine=True), nn.Hardswish(),
                              nn.ReLU6())
    reference.load_state_dict(dict(zip(reference.state_dict(), built.state_dict().values())))
    x = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(built(x), reference(x))


def test_tensors_made_from_sizes_need_no_input_and_math_reads_like_torch():
    spec = """
    network Positions() {
        input x: [N, 5, 4]
        positions = arange(5) -> unsqueeze(-1)
        scale = x -> std(dim=-1, keepdim=true, correction=0) -> clamp(min=1e-5) -> rsqrt
        output where(x -> gt(0.0), x * scale, positions) -> logsumexp(dim=1)
    }
    """
    lines = _forward_lines(_source(spec))
    assert lines[0] == "positions = torch.arange(5, device=x.device)"
    assert "scale = torch.std(x, dim=-1, correction=0, keepdim=True)" in lines
    assert "scale = torch.clamp(scale, min=1e-05)" in lines
    built = netdsl.build_module(spec)
    x = torch.randn(2, 5, 4)
    scale = torch.rsqrt(torch.clamp(x.std(dim=-1, correction=0, keepdim=True), min=1e-5))
    expected = torch.logsumexp(torch.where(x > 0.0, x * scale, torch.arange(5).unsqueeze(-1)), dim=1)
    torch.testing.assert_close(built(x), expected)


def test_a_creation_kind_refuses_a_tensor_input():
    analysis = check_text("network A() { input x: [N, 3]  x -> ones(3) -> output }")
    assert [(d.code, d.message) for d in analysis.diagnostics.items] == [
        ("E0323", "`ones` needs no tensor input, but gets 1")]


def test_the_generated_code_passes_ruff(tmp_path):
    """Runs after the tests above (pytest keeps file order): every module they generated."""
    assert GENERATED
    for i, source in enumerate(GENERATED):
        (tmp_path / f"module{i}.py").write_text(source, encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    for command in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        result = subprocess.run([str(ruff), *command, str(tmp_path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
