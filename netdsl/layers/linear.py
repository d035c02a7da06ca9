"""linear (and, with the graph issue, embedding)."""

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
                         help=f"drop in_features (it is inferred), or use in_features={features}")
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
    doc="torch.nn.Linear over the last dim; in_features is inferred"))
