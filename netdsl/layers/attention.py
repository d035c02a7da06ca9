"""multihead_attention: torch.nn.MultiheadAttention, taking the attention output (element [0]).

`x -> multihead_attention(8)` is self-attention (query = key = value = x); `multihead_attention(q, kv, 8)`
attends q to kv; `multihead_attention(q, k, v, 8)` takes all three. embed_dim, kdim and vdim are
inferred from the last dims of query, key and value.
"""

from __future__ import annotations

from .. import codes
from ..kinds import CannotImport, Inferred, LayerKind, Recognise, TensorArg
from ..schema import POSITIVE, PROBABILITY, Bool, Field, Schema, optional
from ..shapes import (
    ShapeError,
    check_tensor_size,
    divides,
    fixed_size,
    format_shape,
    require,
)
from ..sizes import compare, format_size

_ROLES = ("query", "key", "value")


def _roles(inputs) -> tuple:
    """(query, key, value) from 1, 2 or 3 inputs: self-attention repeats x, two inputs share key and value."""
    return (inputs * 3)[:3] if len(inputs) == 1 else (inputs[0], inputs[1], inputs[1]) if len(inputs) == 2 \
        else tuple(inputs)


def _embedding(args, inputs):
    if len(inputs) > 3:
        raise ShapeError(f"`multihead_attention` takes query, key and value: at most 3 tensors, but gets "
                         f"{len(inputs)}", code=codes.E0323)
    rank = len(inputs[0])
    for role, shape in zip(_ROLES, _roles(inputs)):
        if len(shape) != rank or rank not in (2, 3):
            layout = "[N, L, E]" if args.batch_first else "[L, N, E]"
            raise ShapeError(f"`multihead_attention` expects 3-D {layout} (or unbatched 2-D [L, E]) query, key and "
                             f"value of one rank, but the {role} is {format_shape(shape)}", code=codes.E0404)
    for shape in _roles(inputs)[1:]:   # the key and value projections' weights depend on these too
        fixed_size("multihead_attention", "key and value features", shape[-1])
    return fixed_size("multihead_attention", "embedding features", inputs[0][-1])


def _divisors_help(embed, heads) -> str:
    """The head counts nearest the written one that divide the embedding size."""
    if not isinstance(embed, int) or not isinstance(heads, int):
        return "use a num_heads dividing the embedding size"
    small = [h for h in range(1, min(embed, 1024) + 1) if embed % h == 0]   # embed may be 2**40: no full scan
    divisors = sorted({*small, *(embed // h for h in small)}, key=lambda h: (abs(h - heads), -h))
    return f"use a num_heads dividing {embed}: {' or '.join(map(str, divisors[:3]))}"


def _infer(args, inputs):
    query, key, value = _roles(inputs)
    rank, embed = len(query), args.embed_dim
    require(divides(args.num_heads, embed), lambda: ShapeError(
        f"embed_dim {format_size(embed)} is not divisible by num_heads={format_size(args.num_heads)}",
        arg="num_heads", code=codes.E0302, help=_divisors_help(embed, args.num_heads)))
    seq, batch = (1, 0) if args.batch_first and rank == 3 else (0, 1)
    # torch materialises the attention weights, [batch × heads, query length, key length (+1 or +2)].
    check_tensor_size("`multihead_attention`'s attention weights", (
        query[batch] if rank == 3 else 1, args.num_heads, query[seq], key[seq] + int(args.add_bias_kv) + int(args.add_zero_attn)))
    require(compare(key[seq], value[seq]), lambda: ShapeError(
        f"key and value need the same sequence length, but key is {format_shape(key)} and value is "
        f"{format_shape(value)} (dim {seq})", code=codes.E0413))
    if rank == 3:
        for other in (key, value):
            require(compare(query[batch], other[batch]), lambda: ShapeError(
                f"query, key and value need the same batch size (dim {batch}{', batch_first' * args.batch_first}), "
                f"but get {format_shape(query)}, {format_shape(key)} and {format_shape(value)}", code=codes.E0413,
                help=None if args.batch_first else "inputs laid out [N, L, E] need batch_first=true"))
    return query


def _dims(inputs) -> tuple:
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
    batch = query[1 - seq] if len(query) == 3 else 1
    lq, lk = query[seq], key[seq]
    return batch * (lq * e * e + lk * e * (k + v) + 2 * lq * lk * e + lq * e * e)


def _module_args(args, inputs):
    e, k, v = _dims(inputs)
    inferred = {name: size for name, size in (("kdim", k), ("vdim", v)) if compare(size, e) is not True}
    return (e, args.num_heads), {**args.changed("dropout", "bias", "add_bias_kv", "add_zero_attn", "batch_first"),
                                 **inferred}


def _call(module: str, names: tuple[str, ...], args) -> str:
    # need_weights=False skips averaging the attention weights; element [0] is the attention output.
    return f"{module}({', '.join(_roles(names))}, need_weights=False)[0]"


def _bind(arguments: dict) -> tuple[tuple[TensorArg, ...], dict]:
    """The module's forward(query, key, value, ...): masks are not expressible; need_weights and
    average_attn_weights only concern element [1], the weights."""
    for mask in ("key_padding_mask", "attn_mask"):
        if arguments.get(mask) is not None:
            raise CannotImport(f"`{mask}` is not supported: a spec's multihead_attention attends everywhere")
    if arguments.get("is_causal"):
        raise CannotImport("is_causal=True is not supported: a spec's multihead_attention attends everywhere")
    query, key, value = arguments["query"], arguments["key"], arguments["value"]
    return ((query,) if query == key == value else (query, key) if key == value else (query, key, value)), {}


KINDS = (LayerKind(
    name="multihead_attention",
    schema=Schema(dict(num_heads=Field(POSITIVE), dropout=Field(PROBABILITY, 0.0), bias=Field(Bool(), True),
                       add_bias_kv=Field(Bool(), False), add_zero_attn=Field(Bool(), False),
                       batch_first=Field(Bool(), False), embed_dim=Field(optional(POSITIVE), None))),
    infer=_infer, prefix="attn", inputs=None, positional=("num_heads", "dropout", "bias", "add_bias_kv",
                                                          "add_zero_attn"),
    inferred=(Inferred("embed_dim", _embedding, "embedding features"),),
    params=_params, macs=_macs, module="nn.MultiheadAttention", module_args=_module_args, call=_call,
    label=lambda args, inputs: f"multihead_attention({format_size(args.embed_dim)}, heads={args.num_heads})",
    doc="torch.nn.MultiheadAttention; 1 input: self-attention, 2: query and key=value, 3: query, key, value",
    recognise=Recognise(
        bind=_bind, results=lambda path: {} if path == (0,) else None,
        attributes=lambda module: {"bias": module.in_proj_bias is not None,
                                   "add_bias_kv": module.bias_k is not None})),)
