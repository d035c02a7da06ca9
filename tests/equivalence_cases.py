"""Hand-picked cases, per kind, that between them give every argument the kind takes a value that changes
the result (test_equivalence.py checks netdsl against PyTorch on each; test_mutants.py uses them first)."""

from __future__ import annotations

from agreement_generators import Case

E = Case
CONV = {"stride": 2, "padding": 1, "dilation": 3, "groups": 2, "bias": False}
POOL = {"stride": 1, "padding": 1, "ceil_mode": True}
RESAMPLE = [E({"size": 7, "mode": "linear", "align_corners": True}, ((2, 3, 5),)),
            E({"scale_factor": 1.5, "mode": "bilinear"}, ((2, 3, 4, 5),)),
            E({"scale_factor": (2, 1, 3), "mode": "nearest-exact"}, ((1, 2, 2, 3, 2),))]

EQUIVALENCE: dict[str, list[Case]] = {
    **{f"conv{d}d": [E({"out_channels": 4, "kernel_size": 3, **CONV, "in_channels": 2}, ((2, 2) + (9,) * d,)),
                     E({"out_channels": 3, "kernel_size": 2, "padding": "same", "padding_mode": "reflect"},
                       ((3,) + (5,) * d,), positional=2),
                     E({"out_channels": 2, "kernel_size": 3, "padding": 2, "padding_mode": "circular"}, ((1, 3) + (4,) * d,))]
       for d in (1, 2, 3)},
    **{f"conv_transpose{d}d": [E({"out_channels": 4, "kernel_size": 3, **CONV, "output_padding": 1, "in_channels": 2},
                                 ((2, 2) + (4,) * d,)),
                               E({"out_channels": 3, "kernel_size": 2, "padding_mode": "zeros"}, ((3,) + (3,) * d,),
                                 positional=2)]
       for d in (1, 2, 3)},
    **{f"maxpool{d}d": [E({"kernel_size": 3, **POOL, "dilation": 2}, ((2, 3) + (7,) * d,), positional=2)] for d in (1, 2, 3)},
    "avgpool1d": [E({"kernel_size": 3, **POOL, "count_include_pad": False}, ((2, 3, 7),))],
    **{f"avgpool{d}d": [E({"kernel_size": 3, **POOL, "count_include_pad": False}, ((2, 3) + (7,) * d,)),
                        E({"kernel_size": 2, "divisor_override": 3}, ((2, 3) + (6,) * d,))] for d in (2, 3)},
    **{f"adaptive_{mode}_pool{d}d": [E({"output_size": 3}, ((2, 3) + (7,) * d,))] +
       ([E({"output_size": (None,) * (d - 1) + (2,)}, ((3,) + (5,) * d,))] if d > 1 else [])
       for d in (1, 2, 3) for mode in ("avg", "max")},
    "linear": [E({"out_features": 3, "bias": False, "in_features": 4}, ((2, 5, 4),)),
               E({"out_features": 2}, ((3,),), positional=1)],
    **{f"batchnorm{d}d": [E({"num_features": 3, "eps": 0.1, "momentum": 0.3}, ((4, 3) + (2,) * d,), positional=2),
                          E({"eps": 0.01, "momentum": None, "affine": False}, ((4, 3) + (3,) * d,)),
                          E({"track_running_stats": False}, ((2, 3) + (2,) * d,))]
       for d in (1, 2, 3)},
    "layernorm": [E({"normalized_shape": (3, 4), "eps": 0.1, "bias": False}, ((2, 3, 4),), positional=1),
                  E({"elementwise_affine": False}, ((2, 5),))],
    "groupnorm": [E({"num_groups": 2, "eps": 0.1, "num_channels": 4}, ((3, 4, 5),)),
                  E({"num_groups": 3, "affine": False}, ((2, 6, 2, 2),))],
    "relu": [E({}, ((2, 3),))], "silu": [E({}, ((2, 3),))], "sigmoid": [E({}, ((2, 3),))],
    "tanh": [E({}, ((2, 3),))], "identity": [E({}, ((2, 3),))],
    "leaky_relu": [E({"negative_slope": 0.3}, ((2, 5),), positional=1)],
    "elu": [E({"alpha": 0.4}, ((2, 5),))],
    "gelu": [E({"approximate": "tanh"}, ((2, 5),))],
    "dropout": [E({"p": 0.3}, ((4, 5),))],
    "dropout2d": [E({"p": 0.4}, ((2, 6, 3, 3),), positional=1)],
    "softmax": [E({"dim": 0}, ((3, 4),))], "log_softmax": [E({"dim": -2}, ((2, 3, 4),), positional=1)],
    "flatten": [E({"start_dim": 0, "end_dim": 1}, ((2, 3, 4),))],
    "reshape": [E({"shape": (4, -1)}, ((2, 3, 4),), positional=1)],
    "view": [E({"shape": (3, 8)}, ((2, 3, 4),))],
    **{name: [E({}, ((2, 3, 4), (3, 1))), E({"scalar": 1.5, "scalar_first": True}, ((2, 3),))]
       for name in ("add", "sub", "mul", "div")},
    **{name: [E({"dim": 1}, ((2, 3), (2, 4)), positional=1)] for name in ("concat", "cat")},
    "stack": [E({"dim": -1}, ((2, 3), (2, 3), (2, 3)))],
    "chunk": [E({"chunks": 3, "dim": 1, "index": 2, "outputs": 3}, ((2, 7),))],
    "split": [E({"split_size_or_sections": (2, 5), "dim": -1, "index": 1, "outputs": 2}, ((3, 7),))],
    "unbind": [E({"dim": 1, "index": -1, "outputs": 3}, ((2, 3, 4),))],
    "matmul": [E({}, ((2, 3, 4), (4, 5)))],
    "transpose": [E({"dim0": 0, "dim1": -1}, ((2, 3, 4),), positional=2)],
    "permute": [E({"dims": (2, 0, 1)}, ((2, 3, 4),), positional=1)],
    "unsqueeze": [E({"dim": -2}, ((2, 3),))],
    "squeeze": [E({"dim": (0, 2)}, ((1, 3, 1, 2),))],
    "select": [E({"dim": 1, "index": -2}, ((2, 3, 4),))],
    **{name: [E({"dim": (0, 2), "keepdim": True}, ((2, 3, 4),)), E({"keepdim": True}, ((2, 3),)),
              E({"dim": 1}, ((2, 3),), positional=1)] for name in ("mean", "sum", "max")},
    "upsample": RESAMPLE, "interpolate": RESAMPLE,
    "pixel_shuffle": [E({"upscale_factor": 2}, ((2, 8, 3, 3),))],
    "pixel_unshuffle": [E({"downscale_factor": 2}, ((2, 2, 4, 6),))],
    "embedding": [E({"num_embeddings": 10, "embedding_dim": 3, "padding_idx": 2, "max_norm": 0.5, "norm_type": 1.0,
                     "scale_grad_by_freq": True}, ((4, 5),)),
                  E({"num_embeddings": 6, "embedding_dim": 2, "sparse": True}, ((7,),))],
    "rnn": [E({"hidden_size": 4, "num_layers": 2, "nonlinearity": "relu", "bias": False, "batch_first": True,
               "dropout": 0.5, "bidirectional": True, "input_size": 3}, ((2, 5, 3),)),
            E({"hidden_size": 3, "returns": "hidden"}, ((5, 2, 3),)), E({"hidden_size": 3}, ((5, 2, 3), (1, 2, 3)))],
    "gru": [E({"hidden_size": 4, "num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5,
               "bidirectional": True, "input_size": 3}, ((2, 5, 3),)),
            E({"hidden_size": 3, "returns": "hidden"}, ((5, 3),)), E({"hidden_size": 3}, ((5, 3), (1, 3)))],
    "lstm": [E({"hidden_size": 5, "num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5,
                "bidirectional": True, "proj_size": 2, "input_size": 3}, ((2, 4, 3),)),
             E({"hidden_size": 3, "returns": "cell"}, ((4, 2, 3),)), E({"hidden_size": 3, "returns": "hidden"}, ((4, 3),)),
             E({"hidden_size": 3, "returns": "cell"}, ((4, 2, 3), (1, 2, 3), (1, 2, 3)))],
    "multihead_attention": [E({"num_heads": 2, "dropout": 0.5, "bias": False, "add_bias_kv": True, "add_zero_attn": True,
                               "batch_first": True, "embed_dim": 4}, ((2, 3, 4), (2, 5, 6), (2, 5, 3))),
                            E({"num_heads": 3}, ((4, 2, 6),), positional=1),
                            E({"num_heads": 2, "batch_first": True, "attn_mask": True, "key_padding_mask": True},
                              ((2, 3, 4), (3, 3), (2, 3))),
                            E({"num_heads": 1, "attn_mask": True, "is_causal": True}, ((3, 2, 4), (3, 3)))],
    # the #14 kinds: activations, element-wise math, reductions, padding layers, norms
    **{name: [E({}, ((2, 3, 4),))] for name in ("abs", "exp", "relu6", "selu", "mish", "hardswish", "hardsigmoid",
                                                 "logsigmoid")},
    **{name: [E({}, ((2, 3),))] for name in ("log", "sqrt", "rsqrt")},
    "celu": [E({"alpha": 0.4}, ((2, 5),), positional=1)],
    "glu": [E({"dim": 1}, ((2, 4, 3),), positional=1), E({}, ((3, 6),))],
    "hardtanh": [E({"min_val": -0.3, "max_val": 0.5}, ((2, 5),), positional=2)],
    "softplus": [E({"beta": 2.0, "threshold": 0.5}, ((2, 5),), positional=2)],
    "prelu": [E({"num_parameters": 3, "init": 0.1}, ((2, 3, 4),), positional=2), E({}, ((2, 3),))],
    "channel_shuffle": [E({"groups": 2}, ((2, 6, 3),), positional=1)],
    "clamp": [E({"min": -0.2, "max": 0.3}, ((2, 5),), positional=2), E({"max": 0.1}, ((3,),))],
    **{name: [E({"diagonal": -1}, ((3, 4),), positional=1), E({"diagonal": 2}, ((2, 3, 5),))] for name in ("tril", "triu")},
    **{name: [E({"dim": (0, 2), "keepdim": True}, ((2, 3, 4),)), E({}, ((2, 3),)), E({"dim": 1}, ((2, 3),), positional=1)]
       for name in ("amax", "amin", "min")},
    **{name: [E({"dim": 1, "keepdim": True}, ((2, 3, 4),), positional=2), E({}, ((2, 3),))] for name in ("argmax", "argmin")},
    "logsumexp": [E({"dim": (0, 2), "keepdim": True}, ((2, 3, 4),)), E({"dim": 1}, ((2, 3),), positional=1)],
    **{name: [E({"dim": (0, 2), "correction": 0, "keepdim": True}, ((2, 3, 4),)), E({}, ((2, 3),)),
              E({"dim": 1, "correction": 2}, ((2, 5),), positional=1)] for name in ("std", "var")},
    **{f"{mode}pad{d}d": [E({"padding": 2}, ((2, 3) + (4,) * d,), positional=1),
                          E({"padding": tuple(range(1, 2 * d + 1))}, ((3,) + (7,) * d,))]
       for mode in ("zero", "reflection", "replication", "circular") for d in (1, 2, 3)},
    **{f"constantpad{d}d": [E({"padding": 2, "value": 1.5}, ((2, 3) + (4,) * d,), positional=2),
                            E({"padding": tuple(range(2 * d)), "value": -1.0}, ((3,) + (2,) * d,))] for d in (1, 2, 3)},
    **{f"instancenorm{d}d": [E({"num_features": 3, "eps": 0.1, "momentum": 0.3, "affine": True,
                                "track_running_stats": True}, ((2, 3) + (4,) * d,), positional=2),
                             E({"eps": 0.01}, ((3,) + (5,) * d,))] for d in (1, 2, 3)},
    "local_response_norm": [E({"size": 3, "alpha": 0.1, "beta": 0.5, "k": 2.0}, ((2, 5, 4),), positional=2)],
    # comparisons, pow, prod, indexing, expand, narrow, F.pad
    **{name: [E({}, ((2, 3, 4), (3, 1))), E({"scalar": 0.1, "scalar_first": True}, ((2, 3),), positional=2)]
       for name in ("eq", "ne", "lt", "le", "gt", "ge")},
    "pow": [E({}, ((2, 3), (3,))), E({"scalar": -1.5, "scalar_first": True}, ((2, 3),)), E({"scalar": 3}, ((4,),))],
    "prod": [E({"dim": 1, "keepdim": True}, ((2, 3, 4),), positional=2), E({}, ((2, 3),))],
    "getitem": [E({"index": ((None, None, 2), None, 1, (1, -1, None))}, ((4, 3, 5),), positional=1),
                E({"index": (Ellipsis, (-2, None, None))}, ((2, 3, 4),))],
    "narrow": [E({"dim": -1, "start": -3, "length": 2}, ((2, 5),), positional=3)],
    "expand": [E({"sizes": (2, -1, 4)}, ((3, 1),), positional=1), E({"sizes": (3, 2)}, ((3, 1),))],
    "pad": [E({"pad": (1, 2, 0, 1), "mode": "constant", "value": 0.5}, ((2, 3, 4),), positional=3),
            E({"pad": (2, 1), "mode": "reflect"}, ((2, 3, 4),)), E({"pad": (1, 1, 2, 0), "mode": "replicate"}, ((1, 2, 3, 4),)),
            E({"pad": (1, 2), "mode": "circular"}, ((2, 3, 4),))],
    # selection by a mask, tensors made from sizes, center_crop, scaled_dot_product_attention
    "where": [E({}, ((3, 1), (2, 3, 4), (4,))), E({}, ((2, 3), (2, 3), (2, 3)))],
    "masked_fill": [E({"value": -1.5}, ((2, 3, 4), (3, 1)), positional=1), E({"value": 7}, ((4,), (2, 4)))],
    **{name: [E({"size": (2, 3)}, (), positional=1), E({"size": (4,), "dtype": "int64"}, ()),
              E({"size": (2, 1, 3), "dtype": "bool"}, ())] for name in ("ones", "zeros")},
    "arange": [E({"start": 5}, (), positional=1), E({"start": 1, "end": 8, "step": 3}, (), positional=3),
               E({"start": -1.5, "end": 2, "step": 0.75, "dtype": "float64"}, ()), E({"start": 2, "end": -3, "step": -2}, ())],
    # the differences 4, 3 (floor: 1 before, 2 after) and 7 (3 before; torchvision's rounding would give 4)
    "center_crop": [E({}, ((2, 3, 8, 9), (1, 1, 4, 6))), E({}, ((1, 2, 10, 5, 4), (1, 2, 3, 5, 2)))],
    "scaled_dot_product_attention": [
        E({}, ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2))),
        E({"dropout_p": 0.5, "is_causal": True, "scale": 0.3}, ((2, 4, 5), (2, 3, 5), (2, 3, 6)), positional=3),
        E({"enable_gqa": True}, ((2, 4, 3, 2), (2, 2, 5, 2), (2, 1, 5, 3))),
        E({}, ((3, 4, 2), (3, 5, 2), (3, 5, 3), (4, 5))), E({}, ((2, 1, 4, 2), (1, 2, 5, 2), (5, 3), (2, 1, 1, 5)))],
}
