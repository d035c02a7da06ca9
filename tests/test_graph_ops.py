"""The graph-issue layer kinds on hand-picked cases, each checked like an agreement case (agreement.py):
netdsl's shape, counts and built module against the independent oracle (oracle.py) on the CPU."""

import pytest
from agreement import Rejected, check_case, netdsl_verdict, spec_text
from agreement_generators import Case

import netdsl

CASES = [
    ("concat", {"dim": 1}, [(2, 3, 4, 4), (2, 5, 4, 4)]),
    ("cat", {"dim": -1}, [(2, 3), (2, 4), (2, 1)]),
    ("stack", {"dim": 1}, [(2, 3), (2, 3)]),
    ("stack", {"dim": -1}, [(2, 3), (2, 3), (2, 3)]),
    ("chunk", {"chunks": 3, "dim": -1, "index": 2}, [(2, 10, 768)]),
    ("chunk", {"chunks": 3, "index": 1}, [(4, 2)]),       # ceil(4/3)=2: only 2 pieces
    ("split", {"split_size_or_sections": 4, "dim": 1, "index": 2}, [(2, 10)]),
    ("split", {"split_size_or_sections": (6, 4), "dim": 1, "index": 1}, [(2, 10)]),
    ("unbind", {"dim": 1, "index": 0}, [(2, 3, 5)]),
    ("matmul", {}, [(2, 10, 64), (2, 64, 10)]),
    ("matmul", {}, [(7, 1, 3, 4), (5, 4, 6)]),
    ("matmul", {}, [(4,), (3, 4, 5)]),
    ("matmul", {}, [(3, 4, 5), (5,)]),
    ("matmul", {}, [(4,), (4,)]),
    ("transpose", {"dim0": -2, "dim1": -1}, [(2, 3, 4)]),
    ("permute", {"dims": (0, 2, 3, 1)}, [(2, 3, 4, 5)]),
    ("unsqueeze", {"dim": -1}, [(2, 3)]),
    ("unsqueeze", {"dim": 0}, [(2, 3)]),
    ("squeeze", {}, [(1, 3, 1, 2)]),
    ("squeeze", {"dim": 1}, [(2, 3)]),
    ("squeeze", {"dim": (0, 2)}, [(1, 3, 1)]),
    ("select", {"dim": 0, "index": -1}, [(2, 4, 8)]),
    ("mean", {"dim": (2, 3), "keepdim": True}, [(2, 3, 4, 5)]),
    ("mean", {}, [(2, 3)]),
    ("mean", {"keepdim": True}, [(2, 3)]),
    ("sum", {"dim": 1}, [(2, 3, 4)]),
    ("max", {"dim": -1}, [(2, 3, 4)]),
    ("max", {"dim": (0, 1), "keepdim": True}, [(2, 3, 4)]),
    ("upsample", {"scale_factor": 2}, [(1, 3, 5, 7)]),
    ("upsample", {"scale_factor": 1.5, "mode": "bilinear", "align_corners": False}, [(1, 3, 5, 7)]),
    ("upsample", {"size": (4, 6, 8), "mode": "trilinear"}, [(1, 2, 3, 3, 3)]),
    ("interpolate", {"scale_factor": 2.5, "mode": "linear"}, [(1, 3, 7)]),
    ("interpolate", {"size": 9, "mode": "nearest"}, [(1, 3, 4, 4)]),
    ("pixel_shuffle", {"upscale_factor": 2}, [(1, 12, 5, 6)]),
    ("pixel_unshuffle", {"downscale_factor": 3}, [(2, 2, 6, 9)]),
    ("embedding", {"num_embeddings": 100, "embedding_dim": 16, "padding_idx": 0}, [(4, 10)]),
    ("rnn", {"hidden_size": 8, "nonlinearity": "relu"}, [(5, 2, 3)]),
    ("rnn", {"hidden_size": 8, "num_layers": 2, "returns": "hidden"}, [(5, 3)]),
    ("gru", {"hidden_size": 8, "num_layers": 3, "bidirectional": True, "batch_first": True}, [(2, 5, 3)]),
    ("gru", {"hidden_size": 8, "bidirectional": True, "batch_first": True, "returns": "hidden"}, [(2, 5, 3)]),
    ("lstm", {"hidden_size": 20, "num_layers": 2, "bidirectional": True, "proj_size": 5}, [(7, 2, 10)]),
    ("lstm", {"hidden_size": 20, "num_layers": 2, "proj_size": 5, "returns": "hidden"}, [(7, 2, 10)]),
    ("lstm", {"hidden_size": 20, "num_layers": 2, "proj_size": 5, "returns": "cell"}, [(7, 2, 10)]),
    ("lstm", {"hidden_size": 16, "bias": False, "batch_first": True, "returns": "hidden"}, [(4, 9, 12)]),
    ("multihead_attention", {"num_heads": 8, "batch_first": True}, [(2, 10, 256)]),
    ("multihead_attention", {"num_heads": 4}, [(10, 2, 32), (7, 2, 32)]),
    ("multihead_attention", {"num_heads": 2, "add_bias_kv": True, "bias": False},
     [(10, 2, 32), (7, 2, 16), (7, 2, 24)]),
    ("multihead_attention", {"num_heads": 2}, [(10, 32)]),
    ("conv_transpose2d", {"out_channels": 64, "kernel_size": 2, "stride": 2}, [(1, 128, 32, 32)]),
    ("conv_transpose1d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1,
                          "dilation": 2}, [(1, 6, 9)]),
    ("conv_transpose3d", {"out_channels": 4, "kernel_size": (2, 3, 1), "stride": (2, 1, 3), "groups": 2},
     [(1, 6, 4, 5, 6)]),
]


@pytest.mark.parametrize("name, written, shapes", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_kind_matches_torch(name, written, shapes):
    assert check_case(name, Case(written, tuple(shapes))) == "both accept"


# Static errors where PyTorch raises too: each rule refuses what torch refuses.
REJECTED = [
    ("concat", {"dim": 1}, [(2, 3, 4, 4), (2, 5, 4, 8)], "dim 3 is 4 vs 8"),
    ("concat", {"dim": 1}, [(2, 3, 4), (2, 5, 4, 8)], "the same rank"),
    ("stack", {}, [(2, 3), (2, 4)], "dim 1 is 3 vs 4"),
    ("split", {"split_size_or_sections": (6, 3), "dim": 1, "index": 0}, [(2, 10)], "add up to 9"),
    ("matmul", {}, [(2, 10, 64), (2, 10, 64)], "must equal"),
    ("matmul", {}, [(3, 4, 5), (2, 5, 6)], "dim 0 is 3 vs 2"),
    ("permute", {"dims": (0, 1, 1)}, [(2, 3, 4)], "repeat"),
    ("mean", {"dim": (1, -2)}, [(2, 3, 4)], "twice"),
    ("select", {"dim": 1, "index": 3}, [(2, 3)], "out of range"),
    ("upsample", {"scale_factor": 2, "mode": "bilinear"}, [(1, 3, 5)], "4-D"),
    ("upsample", {"scale_factor": 2, "align_corners": True}, [(1, 3, 5, 5)], "align_corners"),
    ("pixel_shuffle", {"upscale_factor": 2}, [(1, 6, 4, 4)], "divisible by 2² = 4"),
    ("pixel_unshuffle", {"downscale_factor": 2}, [(1, 6, 5, 4)], "height divisible by 2"),
    ("multihead_attention", {"num_heads": 3}, [(2, 10, 256)], "not divisible"),
    ("multihead_attention", {"num_heads": 2}, [(10, 2, 32), (7, 2, 32), (6, 2, 32)], "sequence length"),
    ("lstm", {"hidden_size": 8, "proj_size": 8}, [(5, 2, 3)], "proj_size"),
    ("embedding", {"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 10}, [(4,)], "padding_idx"),
]


@pytest.mark.parametrize("name, written, shapes, words", REJECTED, ids=[f"{c[0]}-{i}" for i, c in enumerate(REJECTED)])
def test_kind_rejects_like_torch(name, written, shapes, words):
    case = Case(written, tuple(shapes))
    verdict = netdsl_verdict(spec_text(name, case))
    assert isinstance(verdict, Rejected) and words in verdict.messages[0]
    assert check_case(name, case) == "both reject"


def test_chunk_without_index_asks_for_unpacking():
    analysis = netdsl.check_text("network T() { input x: [2, 9]  output x -> chunk(3, dim=-1) }")
    (error,) = analysis.diagnostics.sorted()
    assert error.message == "`chunk` returns 3 tensors ([2, 3], [2, 3], [2, 3])"
    assert error.help.startswith("unpack them: `a, b, c = x -> chunk(...)`")


@pytest.mark.parametrize("names, size, pieces", [("a, b", 1, "1 tensor ([2, 1])"),
                                                 ("a, b, c", 4, "2 tensors ([2, 2], [2, 2])")])
def test_unpacking_the_wrong_number_of_pieces_is_one_error(names, size, pieces):
    import torch
    assert len(torch.chunk(torch.zeros(2, size), 2, dim=-1)) == int(pieces[0])   # as many as torch gives
    analysis = netdsl.check_text(f"network T() {{ input x: [2, {size}]\n    {names} = x -> chunk(2, dim=-1)\n"
                                 "    output a\n}")
    (error,) = analysis.diagnostics.sorted()
    assert error.code == "E0318"
    assert error.message == f"{len(names.split(', '))} names are unpacked, but `chunk` of [2, {size}] gives {pieces}"
