"""multihead_attention: torch.nn.MultiheadAttention, taking the attention output (element [0]); and
scaled_dot_product_attention (F.scaled_dot_product_attention), the attention it computes, without weights.

`x -> multihead_attention(8)` is self-attention (query = key = value = x); `multihead_attention(q, kv, 8)`
attends q to kv; `multihead_attention(q, k, v, 8)` takes all three. embed_dim, kdim and vdim are
inferred from the last dims of query, key and value. Masks are tensors too, so they are inputs: with
`attn_mask=true` and/or `key_padding_mask=true` the last one or two inputs are those masks (in that
order), after the 1, 2 or 3 attention inputs: `multihead_attention(x, causal, 8, attn_mask=true)`.
"""

from __future__ import annotations

from .. import codes
from ..dtypes import BOOLS, FLOATING, FLOATS, DTypes
from ..kinds import CannotImport, Inferred, LayerKind, Recognise, TensorArg
from ..pysource import literal
from ..schema import POSITIVE, PROBABILITY, Bool, Field, Float, Schema, optional
from ..shapes import (
    ShapeError,
    broadcast,
    check_tensor_size,
    divides,
    fixed_size,
    format_shape,
    numel,
    require,
)
from ..sizes import compare, format_size

_ROLES = ("query", "key", "value")
_MASKS = ("attn_mask", "key_padding_mask")


def _split(args, inputs) -> tuple[tuple, dict]:
    """(the attention inputs, {mask name: its input}) from the inputs (shapes or variable names)."""
    masks = [m for m in _MASKS if getattr(args, m)]
    attending = tuple(inputs[:len(inputs) - len(masks)])
    return attending, dict(zip(masks, inputs[len(attending):]))


def _roles(args, inputs) -> tuple:
    """(query, key, value) from 1, 2 or 3 inputs: self-attention repeats x, two inputs share key and value."""
    inputs, _ = _split(args, inputs)
    return (inputs * 3)[:3] if len(inputs) == 1 else (inputs[0], inputs[1], inputs[1]) if len(inputs) == 2 \
        else tuple(inputs)


def _embedding(args, inputs):
    attending, masks = _split(args, inputs)
    if not 1 <= len(attending) <= 3:
        listed = f" and {' and '.join(masks)}" if masks else ""
        raise ShapeError(f"`multihead_attention` takes 1 to 3 attention inputs (query, key, value){listed}: "
                         f"{len(attending) + len(masks)} tensors in all at most, but gets {len(inputs)}",
                         code=codes.E0323, help="the masks are the last inputs, after query, key and value")
    rank = len(inputs[0])
    for role, shape in zip(_ROLES, _roles(args, inputs)):
        if len(shape) != rank or rank not in (2, 3):
            layout = "[N, L, E]" if args.batch_first else "[L, N, E]"
            raise ShapeError(f"`multihead_attention` expects 3-D {layout} (or unbatched 2-D [L, E]) query, key and "
                             f"value of one rank, but the {role} is {format_shape(shape)}", code=codes.E0404)
    for shape in _roles(args, inputs)[1:]:   # the key and value projections' weights depend on these too
        fixed_size("multihead_attention", "key and value features", shape[-1])
    return fixed_size("multihead_attention", "embedding features", inputs[0][-1])


def _divisors_help(embed, heads) -> str:
    """The head counts nearest the written one that divide the embedding size."""
    if not isinstance(embed, int) or not isinstance(heads, int):
        return "use a num_heads dividing the embedding size"
    small = [h for h in range(1, min(embed, 1024) + 1) if embed % h == 0]   # embed may be 2**40: no full scan
    divisors = sorted({*small, *(embed // h for h in small)}, key=lambda h: (abs(h - heads), -h))
    return f"use a num_heads dividing {embed}: {' or '.join(map(str, divisors[:3]))}"


def _check_masks(args, query, key, masks: dict) -> None:
    """torch's shapes: attn_mask (L, S) or (N·heads, L, S) — (heads, L, S) unbatched —, key_padding_mask
    (N, S) — (S) unbatched; is_causal is a hint that attn_mask is causal, so it needs one."""
    if args.is_causal and "attn_mask" not in masks:
        raise ShapeError("is_causal=true tells torch that attn_mask is a causal mask; it needs the mask itself",
                         arg="is_causal", code=codes.E0307,
                         help="pass the mask (attn_mask=true, the mask as the last input): e.g. "
                              "`causal = ones(L, L, dtype='bool') -> triu(1)`")
    batched = len(query) == 3
    seq, batch = (1, 0) if args.batch_first and batched else (0, 1)
    lq, ls = query[seq], key[seq]
    heads = args.num_heads * query[batch] if batched else args.num_heads
    options = {"attn_mask": ((lq, ls), (heads, lq, ls)), "key_padding_mask": ((query[batch], ls),) if batched
               else ((ls,),)}
    for name, shape in masks.items():
        expected = [s for s in options[name] if len(s) == len(shape)]
        wanted = " or ".join(format_shape(s) for s in options[name])
        if not expected:
            raise ShapeError(f"`multihead_attention` needs {name} {wanted} for query {format_shape(query)} and key "
                             f"{format_shape(key)}, but gets {format_shape(shape)}", arg=name, code=codes.E0404)
        for have, want in zip(shape, expected[0]):
            require(compare(have, want), lambda name=name, shape=shape, wanted=wanted: ShapeError(
                f"`multihead_attention` needs {name} {wanted} for query {format_shape(query)} and key "
                f"{format_shape(key)} (num_heads={args.num_heads}), but gets {format_shape(shape)}", arg=name,
                code=codes.E0413))


def _infer(args, inputs):
    query, key, value = _roles(args, inputs)
    rank, embed = len(query), args.embed_dim
    require(divides(args.num_heads, embed), lambda: ShapeError(
        f"embed_dim {format_size(embed)} is not divisible by num_heads={format_size(args.num_heads)}",
        arg="num_heads", code=codes.E0302, help=_divisors_help(embed, args.num_heads)))
    seq, batch = (1, 0) if args.batch_first and rank == 3 else (0, 1)
    # torch materialises the attention weights, [batch × heads, query length, key length (+1 or +2)].
    check_tensor_size("`multihead_attention`'s attention weights", (query[batch] if rank == 3 else 1, args.num_heads,
                      query[seq], key[seq] + int(args.add_bias_kv) + int(args.add_zero_attn)))
    require(compare(key[seq], value[seq]), lambda: ShapeError(
        f"key and value need the same sequence length, but key is {format_shape(key)} and value is "
        f"{format_shape(value)} (dim {seq})", code=codes.E0413))
    if rank == 3:
        for other in (key, value):
            require(compare(query[batch], other[batch]), lambda: ShapeError(
                f"query, key and value need the same batch size (dim {batch}{', batch_first' * args.batch_first}), "
                f"but get {format_shape(query)}, {format_shape(key)} and {format_shape(value)}", code=codes.E0413,
                help=None if args.batch_first else "inputs laid out [N, L, E] need batch_first=true"))
    _check_masks(args, query, key, _split(args, inputs)[1])
    return query


def _dims(args, inputs) -> tuple:
    query, key, value = _roles(args, inputs)
    return query[-1], key[-1], value[-1]


def _params(args, inputs):
    e, k, v = _dims(args, inputs)
    projections = e * (e + k + v)  # one packed in_proj_weight when k == v == e, else three: the same count
    bias = 3 * e + e if args.bias else 0
    return projections + e * e + bias + (2 * e if args.add_bias_kv else 0)


def _macs(args, inputs, output):
    query, key, _ = _roles(args, inputs)
    e, k, v = _dims(args, inputs)
    seq = 1 if args.batch_first and len(query) == 3 else 0
    batch = query[1 - seq] if len(query) == 3 else 1
    lq, lk = query[seq], key[seq]
    return batch * (lq * e * e + lk * e * (k + v) + 2 * lq * lk * e + lq * e * e)


def _module_args(args, inputs):
    e, k, v = _dims(args, inputs)
    inferred = {name: size for name, size in (("kdim", k), ("vdim", v)) if compare(size, e) is not True}
    return (e, args.num_heads), {**args.changed("dropout", "bias", "add_bias_kv", "add_zero_attn", "batch_first"),
                                 **inferred}


def _call(module: str, names: tuple[str, ...], args) -> str:
    # need_weights=False skips averaging the attention weights; element [0] is the attention output.
    masks = "".join(f", {name}={variable}" for name, variable in _split(args, names)[1].items())
    causal = ", is_causal=True" if args.is_causal else ""
    return f"{module}({', '.join(_roles(args, names))}{masks}{causal}, need_weights=False)[0]"


def _bind(arguments: dict) -> tuple[tuple[TensorArg, ...], dict]:
    """The module's forward(query, key, value, key_padding_mask, need_weights, attn_mask, ...,
    is_causal): the masks become the last inputs; need_weights and average_attn_weights only concern
    element [1], the weights."""
    masks = tuple(m for m in _MASKS if arguments.get(m) is not None)
    for mask in masks:
        if not isinstance(arguments[mask], TensorArg):
            raise CannotImport(f"`{mask}` is a constant, not a tensor the model computes or takes")
    query, key, value = arguments["query"], arguments["key"], arguments["value"]
    attending = (query,) if query == key == value else (query, key) if key == value else (query, key, value)
    flags = {m: True for m in masks} | ({"is_causal": True} if arguments.get("is_causal") else {})
    return (*attending, *(arguments[m] for m in masks)), flags


def _attending_then_masks(args, count: int) -> tuple:
    """Query, key and value compute on floating-point numbers; a mask is boolean or floating (added)."""
    masks = sum(1 for m in _MASKS if getattr(args, m))
    return (FLOATS,) * (count - masks) + (FLOATS | BOOLS,) * masks


MULTIHEAD_ATTENTION = LayerKind(
    name="multihead_attention",
    schema=Schema(dict(num_heads=Field(POSITIVE), dropout=Field(PROBABILITY, 0.0), bias=Field(Bool(), True),
                       add_bias_kv=Field(Bool(), False), add_zero_attn=Field(Bool(), False),
                       batch_first=Field(Bool(), False), attn_mask=Field(Bool(), False),
                       key_padding_mask=Field(Bool(), False), is_causal=Field(Bool(), False),
                       embed_dim=Field(optional(POSITIVE), None))),
    infer=_infer, prefix="attn", inputs=None, positional=("num_heads", "dropout", "bias", "add_bias_kv",
                                                          "add_zero_attn"),
    inferred=(Inferred("embed_dim", _embedding, "embedding features"),),
    params=_params, macs=_macs, module="nn.MultiheadAttention", module_args=_module_args, call=_call,
    dtypes=DTypes(_attending_then_masks, FLOATING),
    label=lambda args, inputs: f"multihead_attention({format_size(args.embed_dim)}, heads={args.num_heads})",
    doc="torch.nn.MultiheadAttention; 1 input: self-attention, 2: query and key=value, 3: query, key, value; "
        "attn_mask=true / key_padding_mask=true: the masks follow as the last inputs",
    recognise=Recognise(
        bind=_bind, results=lambda path: {} if path == (0,) else None,
        attributes=lambda module: {"bias": module.in_proj_bias is not None,
                                   "add_bias_kv": module.bias_k is not None}))


# ---------------------------------------------------------------- scaled_dot_product_attention

def _grouped(query, other, role: str):
    """With enable_gqa, key and value may have fewer heads (dim -3), each shared by a group of query heads."""
    if len(query) < 3 or len(other) < 3:
        raise ShapeError(f"enable_gqa groups heads along dim -3, but the query is {format_shape(query)} and the "
                         f"{role} {format_shape(other)}", arg="enable_gqa", code=codes.E0404,
                         help="lay the inputs out [..., heads, L, E]")
    require(divides(other[-3], query[-3]), lambda: ShapeError(
        f"the {role}'s {format_size(other[-3])} heads must divide the query's {format_size(query[-3])} (dim -3 of "
        f"{format_shape(other)} and {format_shape(query)})", arg="enable_gqa", code=codes.E0302))
    return other[:-3] + (query[-3],) + other[-2:]


def _sdpa_infer(args, inputs):
    if len(inputs) not in (3, 4):
        raise ShapeError(f"`scaled_dot_product_attention` takes query, key, value and an optional attn_mask, but "
                         f"gets {len(inputs)} tensors", code=codes.E0323)
    query, key, value = inputs[:3]
    for role, shape in zip(_ROLES, inputs):
        if len(shape) < 2:
            raise ShapeError(f"`scaled_dot_product_attention` needs [..., L, E] query, key and value (at least 2-D), "
                             f"but the {role} is {format_shape(shape)}", code=codes.E0404)
    if args.is_causal and len(inputs) == 4:
        raise ShapeError("`scaled_dot_product_attention` takes is_causal=true or an attn_mask, not both",
                         arg="is_causal", code=codes.E0307, help="fold the causal mask into attn_mask, or drop it")
    if args.enable_gqa:
        key, value = _grouped(query, key, "key"), _grouped(query, value, "value")
    require(compare(query[-1], key[-1]), lambda: ShapeError(
        f"query and key need the same features (last dim), but are {format_shape(query)} and {format_shape(key)}",
        code=codes.E0413))
    require(compare(key[-2], value[-2]), lambda: ShapeError(
        f"key and value need the same sequence length (dim -2), but are {format_shape(key)} and "
        f"{format_shape(value)}", code=codes.E0413))
    scores = broadcast(query[:-2], key[:-2]) + (query[-2], key[-2])
    check_tensor_size("`scaled_dot_product_attention`'s attention weights", scores)   # torch's math kernel holds them
    if len(inputs) == 4:
        mask = inputs[3]

        def error() -> ShapeError:
            return ShapeError(f"attn_mask {format_shape(mask)} does not broadcast to the attention scores "
                              f"{format_shape(scores)} ([..., L, S])", code=codes.E0403,
                              help="a mask is [L, S], or [N, heads, L, S] with 1 for dims it shares")
        try:
            combined = broadcast(scores, mask)
        except ShapeError:
            raise error() from None
        if len(combined) != len(scores):
            raise error()
        for have, want in zip(combined, scores):
            require(compare(have, want), error)
    return broadcast(scores[:-2], value[:-2]) + (query[-2], value[-1])


def _sdpa_emit(args, names, inputs):
    written = [*names[:3], *(f"attn_mask={mask}" for mask in names[3:])]
    if args.dropout_p:   # F.scaled_dot_product_attention drops out in evaluation too, unless told not to
        written.append(f"dropout_p={args.dropout_p!r} if self.training else 0.0")
    written += [f"{k}={literal(v)}" for k, v in args.changed("is_causal", "scale", "enable_gqa").items()]
    return f"F.scaled_dot_product_attention({', '.join(written)})"


def _sdpa_macs(args, inputs, output):
    scores = numel(output[:-1]) * inputs[1][-2]   # batch × L × S
    return scores * (inputs[0][-1] + output[-1])


SDPA = LayerKind(
    name="scaled_dot_product_attention",
    schema=Schema(dict(dropout_p=Field(PROBABILITY, 0.0), is_causal=Field(Bool(), False),
                       scale=Field(optional(Float()), None), enable_gqa=Field(Bool(), False))),
    infer=_sdpa_infer, prefix="sdpa", inputs=None, positional=("dropout_p", "is_causal", "scale"),
    macs=_sdpa_macs, functional=_sdpa_emit, dtypes=DTypes((FLOATS, FLOATS, FLOATS, FLOATS | BOOLS), FLOATING),
    label=lambda args, inputs: "scaled_dot_product_attention" + ("(causal)" if args.is_causal else ""),
    doc="F.scaled_dot_product_attention(q, k, v[, attn_mask]): softmax(q kᵀ · scale + mask) v over [..., L, E]; "
        "is_causal masks the future; batch dims broadcast",
    recognise=Recognise(("torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=None, "
                         "dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False)",)))

KINDS = (MULTIHEAD_ATTENTION, SDPA)
