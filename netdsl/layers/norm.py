"""batchnorm1d/2d/3d, layernorm, groupnorm."""

from __future__ import annotations

import math
from typing import Optional

from pydantic import PositiveFloat, PositiveInt, create_model

from ..registry import Args, LayerKind, changed, register
from ..shapes import ShapeError, format_shape
from . import count, fixed_size


def _checked_count(kind: str, arg: str, written, actual: int, what: str) -> None:
    if written is not None and written != actual:
        raise ShapeError(f"`{kind}` expects {written} {what}, but receives {actual}", arg=arg, code="E0301",
                         help=f"drop {arg} (it is inferred), or use {arg}={actual}")


def _batchnorm_kind(d: int) -> LayerKind:
    name = f"batchnorm{d}d"
    ranks = {1: (2, 3), 2: (4,), 3: (5,)}[d]
    fields = dict(num_features=(Optional[PositiveInt], None), eps=(PositiveFloat, 1e-5),
                  momentum=(Optional[float], 0.1), affine=(bool, True), track_running_stats=(bool, True))
    arg_model = create_model(f"BatchNorm{d}dArgs", __base__=Args, **fields)

    def infer(args, inputs):
        (shape,) = inputs
        if len(shape) not in ranks:
            expected = " or ".join(f"{r}-D" for r in ranks)
            raise ShapeError(f"`{name}` expects a {expected} input, but receives {len(shape)}-D {format_shape(shape)}",
                             code="E0404")
        channels = fixed_size(name, "channels", shape[1])
        _checked_count(name, "num_features", args.num_features, channels, "features (channels)")
        others = (shape[0], *shape[2:])
        if not args.track_running_stats and all(isinstance(s, int) for s in others) and math.prod(others) == 1:
            # Without running statistics eval mode normalizes with the batch's own, as training does.
            raise ShapeError(f"`{name}` with track_running_stats=false over {format_shape(shape)} normalizes one "
                             "value per channel (torch raises: expected more than 1 value per channel), in eval "
                             "mode too", arg="track_running_stats", code="E0302",
                             help="use a larger batch, or track_running_stats=true")
        return shape

    return register(LayerKind(
        name=name, args=arg_model, infer=infer, prefix="bn", positional=tuple(fields),
        params=lambda args, inputs: 2 * inputs[0][1] if args.affine else 0,
        buffers=lambda args, inputs: 2 * inputs[0][1] + 1 if args.track_running_stats else 0,
        macs=lambda args, inputs, output: count(output),
        module=f"nn.BatchNorm{d}d",
        module_args=lambda args, inputs: ((inputs[0][1],), changed(args, *tuple(fields)[1:])),
        label=lambda args, inputs: f"{name}({inputs[0][1]})", doc=f"torch.nn.BatchNorm{d}d; num_features is inferred"))


for _d in (1, 2, 3):
    _batchnorm_kind(_d)


def _normalized_shape(args, shape) -> tuple:
    if args.normalized_shape is None:
        return tuple(shape[-1:])
    return args.normalized_shape if isinstance(args.normalized_shape, tuple) else (args.normalized_shape,)


def _layernorm_infer(args, inputs):
    (shape,) = inputs
    normalized = _normalized_shape(args, shape)
    if not normalized:
        raise ShapeError(f"`layernorm` needs at least one dim to normalize over, but normalized_shape is empty "
                         f"(input {format_shape(shape)})", arg="normalized_shape", code="E0404")
    if len(shape) < len(normalized) or tuple(shape[len(shape) - len(normalized):]) != normalized:
        raise ShapeError(f"`layernorm` normalizes over trailing dims {format_shape(normalized)}, but the input is "
                         f"{format_shape(shape)}", arg="normalized_shape", code="E0301",
                         help=f"drop normalized_shape to normalize over the last dim ({shape[-1] if shape else '?'})")
    for size in normalized:
        fixed_size("layernorm", "features", size)
    return shape


def _layernorm_params(args, inputs):
    size = math.prod(_normalized_shape(args, inputs[0]))
    return (size if args.elementwise_affine else 0) + (size if args.elementwise_affine and args.bias else 0)


register(LayerKind(
    name="layernorm",
    args=create_model("LayerNormArgs", __base__=Args,
                      normalized_shape=(Optional[PositiveInt | tuple[PositiveInt, ...]], None),
                      eps=(PositiveFloat, 1e-5), elementwise_affine=(bool, True), bias=(bool, True)),
    infer=_layernorm_infer, prefix="ln", positional=("normalized_shape", "eps", "elementwise_affine", "bias"),
    params=_layernorm_params, macs=lambda args, inputs, output: count(output), module="nn.LayerNorm",
    module_args=lambda args, inputs: ((_normalized_shape(args, inputs[0]),),
                                      changed(args, "eps", "elementwise_affine", "bias")),
    label=lambda args, inputs: f"layernorm({', '.join(map(str, _normalized_shape(args, inputs[0])))})",
    doc="torch.nn.LayerNorm; normalized_shape defaults to the last dim"))


def _groupnorm_infer(args, inputs):
    (shape,) = inputs
    if len(shape) < 2:
        raise ShapeError(f"`groupnorm` expects an input of at least 2 dims [N, C, ...], but receives "
                         f"{format_shape(shape)}", code="E0404")
    channels = fixed_size("groupnorm", "channels", shape[1])
    _checked_count("groupnorm", "num_channels", args.num_channels, channels, "channels")
    if channels % args.num_groups:
        raise ShapeError(f"num_groups={args.num_groups} must divide the channels ({channels})", arg="num_groups",
                         code="E0302", help="choose num_groups dividing the channel count")
    per_group = [shape[0], channels // args.num_groups, *shape[2:]]
    if all(isinstance(s, int) for s in per_group) and math.prod(per_group) == 1:
        raise ShapeError(f"`groupnorm` with num_groups={args.num_groups} over {format_shape(shape)} normalizes "
                         f"single values (torch raises: expected more than 1 value per group)", arg="num_groups",
                         code="E0302", help="use fewer groups or a larger input")
    return shape


register(LayerKind(
    name="groupnorm",
    args=create_model("GroupNormArgs", __base__=Args, num_groups=(PositiveInt, ...),
                      num_channels=(Optional[PositiveInt], None), eps=(PositiveFloat, 1e-5), affine=(bool, True)),
    infer=_groupnorm_infer, prefix="gn", positional=("num_groups", "num_channels", "eps", "affine"),
    params=lambda args, inputs: 2 * inputs[0][1] if args.affine else 0,
    macs=lambda args, inputs, output: count(output), module="nn.GroupNorm",
    module_args=lambda args, inputs: ((args.num_groups, inputs[0][1]), changed(args, "eps", "affine")),
    label=lambda args, inputs: f"groupnorm({args.num_groups}, {inputs[0][1]})",
    doc="torch.nn.GroupNorm; num_channels is inferred"))
