"""Pinned cases: every bug the agreement runs found, run first in every run of test_agreement.py (as
hypothesis @example), so that undoing a fix fails every time, not 4 runs out of 6."""

from __future__ import annotations

from agreement_generators import Case, Symbol

PINNED: dict[str, list[Case]] = {
    # adaptive pooling took output_size=None alone (torch takes None only inside a 2d/3d tuple)
    "adaptive_avg_pool1d": [Case({"output_size": None}, ((1, 2, 3),))],
    "adaptive_max_pool2d": [Case({"output_size": None}, ((1, 2, 3, 3),))],
    # avg_pool3d checks the input against the kernel before padding
    "avgpool3d": [Case({"kernel_size": 3, "padding": 1}, ((1, 1, 2, 4, 4),))],
    # output_padding must be smaller than stride or dilation: the CPU checks it, the meta device does not
    "conv_transpose3d": [Case({"out_channels": 2, "kernel_size": 2, "output_padding": 1}, ((1, 2, 3, 3, 3),))],
    # conv_transpose took padding modes other than zeros; an empty output, which torch 2.13 rejects too
    "conv_transpose2d": [Case({"out_channels": 2, "kernel_size": 3, "padding_mode": "reflect"}, ((1, 2, 5, 5),)),
                         Case({"out_channels": 2, "kernel_size": 1, "padding": 1}, ((1, 2, 2, 3),))],
    # mode "area" to an empty output: torch's forward returns an empty tensor, its backward raises
    "upsample": [Case({"mode": "area", "scale_factor": 0.5}, ((1, 2, 1, 3),))],
    # reflect padding must be smaller than the input, circular at most its size
    "conv2d": [Case({"out_channels": 1, "kernel_size": 1, "padding": 3, "padding_mode": "reflect"}, ((1, 1, 3, 3),)),
               Case({"out_channels": 1, "kernel_size": 1, "padding": 4, "padding_mode": "circular"}, ((1, 1, 3, 3),))],
    # groupnorm over one value per group; groupnorm(1, 3, 1e-3) in PyTorch's order
    "groupnorm": [Case({"num_groups": 3}, ((1, 3),)),
                  Case({"num_groups": 1, "num_channels": 3, "eps": 0.001}, ((2, 3, 4),), positional=3)],
    # layernorm over no dims (a 0-D input and the default normalized_shape)
    "layernorm": [Case({}, ((),))],
    # dim=-1 of a 0-D tensor is dim 0
    "softmax": [Case({"dim": -1}, ((),))],
    # reshape(()) generated x.reshape(); now a 0-D target cannot be written in a spec at all
    "reshape": [Case({"shape": ()}, ((1,),))],
    # concat of a symbolic and a fixed size gave the fixed size alone: [S5, 3] ++ [1, 3] was [1, 3]
    "concat": [Case({"dim": 0}, ((Symbol("S5"), 3), (1, 3)))],
    "cat": [Case({"dim": -2}, ((Symbol("S5"), Symbol("S3")), (1, Symbol("S3"))), positional=1)],
    # pixel_shuffle of symbolic channels crashed
    "pixel_shuffle": [Case({"upscale_factor": 2}, ((2, Symbol("S8"), 5, 7),))],
    # batchnorm2d(3, 1e-3) is PyTorch's order: num_features (checked against the input), then eps
    "batchnorm2d": [Case({"num_features": 3, "eps": 0.001}, ((2, 3, 4, 4),), positional=2),
                    Case({"track_running_stats": False}, ((1, 3, 1, 1),))],
    # without running statistics, batchnorm over one value per channel fails in eval mode too
    "batchnorm1d": [Case({"track_running_stats": False, "affine": False}, ((1, 3),))],
    # an arithmetic operator with one operand crashed the code generator; with three, the checker; two
    # tensors and a scalar silently dropped the second tensor
    "add": [Case({}, ((2, 3),)), Case({}, ((2, 3), (2, 3), (2, 3)))],
    "mul": [Case({"scalar": 2.0}, ((2, 3), (2, 3)))],
    # ceil_mode with a symbolic size ignored torch's rule that the last window starts inside the input
    "avgpool1d": [Case({"kernel_size": 1, "stride": 2, "ceil_mode": True}, ((1, Symbol("S6")),))],
    "maxpool2d": [Case({"kernel_size": (2, 4), "stride": 3, "ceil_mode": True}, ((1, 1, Symbol("S8"), Symbol("S8")),))],
    # symbolic key features crashed the parameter count
    "multihead_attention": [Case({"num_heads": 2, "add_zero_attn": True}, ((3, 2, 6), (4, 2, Symbol("S6"))))],
    # a dilated window entirely in the padding: torch gives -inf and its backward corrupts memory
    "maxpool1d": [Case({"kernel_size": 2, "stride": 2, "padding": 1, "dilation": 2}, ((3, 3, 1),))],
    # with batch_first and a batch equal to the layer count, a right initial state was taken for a swapped one
    **{name: [Case({"hidden_size": 1, "batch_first": True}, ((1, 1, 1), (1, 1, 1)))] for name in ("rnn", "gru")},
    "lstm": [Case({"hidden_size": 2, "batch_first": True}, ((2, 3, 1), (1, 2, 2), (1, 2, 2)))],
    # with running statistics, instancenorm over one spatial element was rejected: torch runs it in eval mode
    "instancenorm2d": [Case({"track_running_stats": True}, ((1, 1, 1, 1),))],
    # var/std with keepdim and no dim were emitted over explicit dims, whose gradient torch computes otherwise
    # where the correction leaves no degrees of freedom
    "var": [Case({"keepdim": True, "correction": 2.0}, ((1,),))],
    # a negative number to the power of a tensor was emitted `-1 ** x`, which Python reads as -(1 ** x)
    "pow": [Case({"scalar": -1.5, "scalar_first": True}, ((2, 3),))],
    # a dot product of vectors of different lengths: PyTorch's message was missing from the catalogue
    "matmul": [Case({}, ((Symbol("S2"),), (2,)))],
    # torch 2.13's CPU attention dies of SIGFPE with enable_gqa and a key of 0 heads (the oracle makes such
    # calls in another process; netdsl rejects empty dims); an attn_mask larger than the scores
    "scaled_dot_product_attention": [Case({"enable_gqa": True}, ((2, 3, 2), (0, 2, 2), (1, 2, 2))),
                                     Case({}, ((1, 1, 1), (1, 1, 1), (1, 1, 1), (2, 1, 1)))],
}
