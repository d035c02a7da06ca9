"""multihead_attention: torch.nn.MultiheadAttention, taking the attention output (element [0]).

`x -> multihead_attention(8)` is self-attention (query = key = value = x); `multihead_attention(q, kv, 8)`
attends q to kv; `multihead_attention(q, k, v, 8)` takes all three. embed_dim, kdim and vdim are
inferred from the last dims of query, key and value.
"""

from __future__ import annotations

from typing import Optional

from pydantic import PositiveInt, confloat, create_model

from ..registry import Args, LayerKind, changed, register
from ..shapes import ShapeError, check_tensor_size, format_shape
from . import fixed_size

_ROLES = ("query", "key", "value")


def _roles(inputs) -> tuple:
    """(query, key, value) from 1, 2 or 3 inputs: self-attention repeats x, two inputs share key and value."""
    return (inputs * 3)[:3] if len(inputs) == 1 else (inputs[0], inputs[1], inputs[1]) if len(inputs) == 2 \
        else tuple(inputs)


def _infer(args, inputs):
    if len(inputs) > 3:
        raise ShapeError(f"`multihead_attention` takes query, key and value: at most 3 tensors, but gets "
                         f"{len(inputs)}", code="E0404")
    query, key, value = _roles(inputs)
    rank = len(query)
    for role, shape in zip(_ROLES, (query, key, value)):
        if len(shape) != rank or rank not in (2, 3):
            layout = "[N, L, E]" if args.batch_first else "[L, N, E]"
            raise ShapeError(f"`multihead_attention` expects 3-D {layout} (or unbatched 2-D [L, E]) query, key and "
                             f"value of one rank, but the {role} is {format_shape(shape)}", code="E0404")
    embed = fixed_size("multihead_attention", "embedding features", query[-1])
    if args.embed_dim is not None and args.embed_dim != embed:
        raise ShapeError(f"`multihead_attention` expects embed_dim {args.embed_dim}, but the query has {embed} "
                         f"features ({format_shape(query)})", arg="embed_dim", code="E0301",
                         help=f"drop embed_dim (it is inferred), or use embed_dim={embed}")
    if embed % args.num_heads:
        divisors = [h for h in range(1, min(embed, 64) + 1) if embed % h == 0]  # embed may be 2**40
        raise ShapeError(f"embed_dim {embed} is not divisible by num_heads={args.num_heads}", arg="num_heads",
                         code="E0302", help=f"use a num_heads dividing {embed}, e.g. {', '.join(map(str, divisors[-4:]))}")
    seq, batch = (1, 0) if args.batch_first and rank == 3 else (0, 1)
    # torch materialises the attention weights, [batch × heads, query length, key length (+1 or +2)].
    weights = (query[batch] if rank == 3 else 1, args.num_heads, query[seq],
               key[seq] + args.add_bias_kv + args.add_zero_attn if isinstance(key[seq], int) else key[seq])
    check_tensor_size("`multihead_attention`'s attention weights", weights)
    if key[seq] != value[seq]:
        raise ShapeError(f"key and value need the same sequence length, but key is {format_shape(key)} and value "
                         f"is {format_shape(value)} (dim {seq})", code="E0413")
    if rank == 3 and not query[batch] == key[batch] == value[batch]:
        raise ShapeError(f"query, key and value need the same batch size (dim {batch}{', batch_first' * args.batch_first}), "
                         f"but get {format_shape(query)}, {format_shape(key)} and {format_shape(value)}",
                         code="E0413", help=None if args.batch_first else
                         "inputs laid out [N, L, E] need batch_first=true")
    return query


def _dims(inputs) -> tuple[int, int, int]:
    query, key, value = _roles(inputs)
    return query[-1], key[-1], value[-1]


def _params(args, inputs):
    e, k, v = _dims(inputs)
    projections = e * (e + k + v)  # one packed in_proj_weight when k == v == e, else three: the same count
    bias = 3 * e + e if args.bias else 0
    return projections + e * e + bias + (2 * e if args.add_bias_kv else 0)


def _macs(args, inputs, output):
    query, key, _ = _roles(inputs)
    e, k, v = _dims(inputs)
    seq = 1 if args.batch_first and len(query) == 3 else 0
    lq, lk = (d if isinstance(d, int) else 1 for d in (query[seq], key[seq]))
    return lq * e * e + lk * e * (k + v) + 2 * lq * lk * e + lq * e * e


def _module_args(args, inputs):
    e, k, v = _dims(inputs)
    inferred = {name: size for name, size in (("kdim", k), ("vdim", v)) if size != e}
    return (e, args.num_heads), {**changed(args, "dropout", "bias", "add_bias_kv", "add_zero_attn", "batch_first"),
                                 **inferred}


def _call(module: str, names: tuple[str, ...], args) -> str:
    # need_weights=False skips averaging the attention weights; element [0] is the attention output.
    return f"{module}({', '.join(_roles(names))}, need_weights=False)[0]"


register(LayerKind(
    name="multihead_attention",
    args=create_model("MultiheadAttentionArgs", __base__=Args, num_heads=(PositiveInt, ...),
                      dropout=(confloat(ge=0.0, le=1.0), 0.0), bias=(bool, True), add_bias_kv=(bool, False),
                      add_zero_attn=(bool, False), batch_first=(bool, False),
                      embed_dim=(Optional[PositiveInt], None)),
    infer=_infer, prefix="attn", inputs=None, positional=("num_heads", "dropout", "bias", "add_bias_kv",
                                                          "add_zero_attn"),
    params=_params, macs=_macs, module="nn.MultiheadAttention", module_args=_module_args, call=_call,
    label=lambda args, inputs: f"multihead_attention({_dims(inputs)[0]}, heads={args.num_heads})",
    doc="torch.nn.MultiheadAttention; 1 input: self-attention, 2: query and key=value, 3: query, key, value"))
