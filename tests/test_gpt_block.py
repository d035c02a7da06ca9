"""specs/gpt_block.net against a GPT-2-style decoder block written by hand in PyTorch: the same
parameters, state_dict shapes in the same order, and the same outputs on the same weights, for any
sequence length (the spec's causal mask is built from the symbol L; the twin uses is_causal)."""

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

import netdsl

SPEC = Path(__file__).resolve().parents[1] / "specs" / "gpt_block.net"


class CausalSelfAttention(nn.Module):
    def __init__(self, embed: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(embed, 3 * embed)
        self.proj = nn.Linear(embed, embed)

    def forward(self, x):
        n, length, embed = x.shape
        q, k, v = self.qkv(x).split(embed, dim=-1)
        q, k, v = (t.view(n, length, self.heads, embed // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(n, length, embed))


class DecoderBlock(nn.Module):
    def __init__(self, embed: int = 64, heads: int = 4):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed)
        self.attn = CausalSelfAttention(embed, heads)
        self.ln2 = nn.LayerNorm(embed)
        self.mlp = nn.Sequential(nn.Linear(embed, 4 * embed), nn.GELU(), nn.Linear(4 * embed, embed))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


def test_the_spec_and_its_torch_twin_agree():
    analysis = netdsl.check_file(str(SPEC))
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    torch.manual_seed(0)
    twin, built = DecoderBlock().eval(), netdsl.build_module(str(SPEC)).eval()
    count = sum(p.numel() for p in twin.parameters())
    assert sum(p.numel() for p in built.parameters()) == count == analysis.network().params == 49_984
    theirs, ours = twin.state_dict(), built.state_dict()
    assert [t.shape for t in theirs.values()] == [t.shape for t in ours.values()]
    built.load_state_dict(dict(zip(ours, theirs.values())))
    for length in (1, 7, 16):
        x = torch.randn(2, length, 64)
        with torch.no_grad():
            torch.testing.assert_close(built(x), twin(x), rtol=1e-5, atol=1e-5)


def test_the_mask_is_made_from_the_length_of_the_input_where_the_input_is():
    source = netdsl.generate_source(SPEC)
    assert "causal = torch.ones(x.size(1), x.size(1), dtype=torch.bool, device=x.device)" in source
    assert "causal = torch.tril(causal)" in source


def test_a_later_position_never_changes_an_earlier_output():
    """The mask is causal: changing token 5 leaves the outputs at positions 0 to 4 as they were."""
    built = netdsl.build_module(str(SPEC)).eval()
    x = torch.randn(1, 8, 64)
    changed = x.clone()
    changed[:, 5] += 1.0
    with torch.no_grad():
        before, after = built(x), built(changed)
    torch.testing.assert_close(before[:, :5], after[:, :5])
    assert not torch.allclose(before[:, 5:], after[:, 5:])
