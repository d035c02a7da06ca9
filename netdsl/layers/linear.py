"""linear and embedding."""

from __future__ import annotations

from typing import Optional

from pydantic import PositiveInt, create_model

from ..registry import Args, LayerKind, changed, register
from ..shapes import ShapeError, format_shape
from . import count, fixed_size


def _linear_infer(args, inputs):
    (shape,) = inputs
    if not shape:
        raise ShapeError("`linear` needs an input with at least one dim, but receives a scalar []", code="E0404")
    features = fixed_size("linear", "input features", shape[-1])
    if args.in_features is not None and args.in_features != features:
        raise ShapeError(f"`linear` expects {args.in_features} input features, but receives {features} "
                         f"(input {format_shape(shape)})", arg="in_features", code="E0301",
                         help=f"drop in_features (it is inferred), or use in_features={features}", inferred=features)
    return tuple(shape[:-1]) + (args.out_features,)


register(LayerKind(
    name="linear",
    args=create_model("LinearArgs", __base__=Args, out_features=(PositiveInt, ...), bias=(bool, True),
                      in_features=(Optional[PositiveInt], None)),
    infer=_linear_infer, prefix="fc", positional=("out_features", "bias"),
    params=lambda args, inputs: inputs[0][-1] * args.out_features + (args.out_features if args.bias else 0),
    macs=lambda args, inputs, output: count(output) * inputs[0][-1],
    module="nn.Linear",
    module_args=lambda args, inputs: ((inputs[0][-1], args.out_features), changed(args, "bias")),
    label=lambda args, inputs: f"linear({inputs[0][-1]}→{args.out_features})",
    doc="torch.nn.Linear over the last dim; in_features is inferred", role="linear"))


# ---------------------------------------------------------------- embedding

def _embedding_infer(args, inputs):
    # Shapes carry no dtype: the input is taken to hold integer indices below num_embeddings.
    (shape,) = inputs
    if args.padding_idx is not None and not -args.num_embeddings <= args.padding_idx < args.num_embeddings:
        raise ShapeError(f"padding_idx {args.padding_idx} must be within the {args.num_embeddings} embeddings "
                         f"(from {-args.num_embeddings} to {args.num_embeddings - 1})", arg="padding_idx", code="E0307")
    return tuple(shape) + (args.embedding_dim,)


register(LayerKind(
    name="embedding",
    args=create_model("EmbeddingArgs", __base__=Args, num_embeddings=(PositiveInt, ...),
                      embedding_dim=(PositiveInt, ...), padding_idx=(Optional[int], None),
                      max_norm=(Optional[float], None), norm_type=(float, 2.0), scale_grad_by_freq=(bool, False),
                      sparse=(bool, False)),
    infer=_embedding_infer, prefix="embed", positional=("num_embeddings", "embedding_dim", "padding_idx"),
    params=lambda args, inputs: args.num_embeddings * args.embedding_dim,
    module="nn.Embedding",
    module_args=lambda args, inputs: ((args.num_embeddings, args.embedding_dim), changed(
        args, "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse")),
    label=lambda args, inputs: f"embedding({args.num_embeddings}, {args.embedding_dim})",
    doc="torch.nn.Embedding: an input of integer indices [*] gives [*, embedding_dim]"))
