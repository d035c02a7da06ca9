"""linear and embedding."""

from __future__ import annotations

from .. import codes
from ..dtypes import FLOAT_LAYER, FLOATING, INTEGERS, DTypes
from ..kinds import Inferred, LayerKind, Role
from ..schema import INT, POSITIVE, Bool, Field, Float, Schema, optional
from ..shapes import ShapeError, fixed_size, numel, require
from ..sizes import at_least, format_size


def _features(args, inputs):
    shape = inputs[0]
    if not shape:
        raise ShapeError("`linear` needs an input with at least one dim, but receives a scalar []", code=codes.E0404)
    return fixed_size("linear", "input features", shape[-1])


LINEAR = LayerKind(
    name="linear",
    schema=Schema(dict(out_features=Field(POSITIVE), bias=Field(Bool(), True),
                       in_features=Field(optional(POSITIVE), None))),
    infer=lambda args, inputs: tuple(inputs[0][:-1]) + (args.out_features,), prefix="fc",
    positional=("out_features", "bias"), inferred=(Inferred("in_features", _features, "input features"),),
    params=lambda args, inputs: args.in_features * args.out_features + (args.out_features if args.bias else 0),
    macs=lambda args, inputs, output: numel(output) * args.in_features,
    module="nn.Linear",
    module_args=lambda args, inputs: ((args.in_features, args.out_features), args.changed("bias")),
    label=lambda args, inputs: f"linear({format_size(args.in_features)}→{format_size(args.out_features)})",
    doc="torch.nn.Linear over the last dim; in_features is inferred", role=Role.LINEAR, dtypes=FLOAT_LAYER,
    weights=lambda args, inputs: {"weight": (args.out_features, args.in_features),
                                  **({"bias": (args.out_features,)} if args.bias else {})},
    tieable=("weight",))


def _embedding_infer(args, inputs):
    (shape,) = inputs
    if args.padding_idx is not None:
        n = args.num_embeddings
        require(at_least(n - 1, args.padding_idx) is True and at_least(args.padding_idx, -n) is True,
                lambda: ShapeError(f"padding_idx {args.padding_idx} must be within the {format_size(n)} embeddings "
                                   f"(from {format_size(-n)} to {format_size(n - 1)})", arg="padding_idx",
                                   code=codes.E0307))
    return tuple(shape) + (args.embedding_dim,)


EMBEDDING = LayerKind(
    name="embedding",
    schema=Schema(dict(num_embeddings=Field(POSITIVE), embedding_dim=Field(POSITIVE),
                       padding_idx=Field(optional(INT), None), max_norm=Field(optional(Float()), None),
                       norm_type=Field(Float(), 2.0), scale_grad_by_freq=Field(Bool(), False),
                       sparse=Field(Bool(), False))),
    infer=_embedding_infer, prefix="embed", positional=("num_embeddings", "embedding_dim", "padding_idx"),
    params=lambda args, inputs: args.num_embeddings * args.embedding_dim,
    module="nn.Embedding",
    module_args=lambda args, inputs: ((args.num_embeddings, args.embedding_dim), args.changed(
        "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse")),
    label=lambda args, inputs: f"embedding({format_size(args.num_embeddings)}, {format_size(args.embedding_dim)})",
    doc="torch.nn.Embedding: an input of integer indices [*] gives [*, embedding_dim]",
    dtypes=DTypes(INTEGERS, FLOATING),
    weights=lambda args, inputs: {"weight": (args.num_embeddings, args.embedding_dim)}, tieable=("weight",))

KINDS = (LINEAR, EMBEDDING)
