"""batchnorm1d/2d/3d, instancenorm1d/2d/3d, layernorm, groupnorm, local_response_norm."""

from __future__ import annotations

import math

from .. import codes
from ..dtypes import FLOAT_LAYER
from ..kinds import Inferred, LayerKind
from ..schema import POSITIVE, Bool, Either, Field, Float, Int, Schema, Tuple, format_value, optional
from ..shapes import ShapeError, check_tensor_size, divides, fixed_size, format_shape, numel, require
from ..sizes import at_least, compare, format_size
from . import channels_of, declaring_dtypes, least_rank

_NORM_FIELDS = dict(eps=Field(Float(gt=0), 1e-5), momentum=Field(optional(Float()), 0.1), affine=Field(Bool(), True),
                    track_running_stats=Field(Bool(), True))


def _channels(kind: str, field: str, ranks: tuple[int, ...] | None) -> Inferred:
    """`field` is dim 1 of an input of one of `ranks` (any rank ≥ 2 when None)."""
    def read(args, inputs):
        shape = inputs[0]
        if ranks is not None and len(shape) not in ranks:
            expected = " or ".join(f"{r}-D" for r in ranks)
            raise ShapeError(f"`{kind}` expects a {expected} input, but receives {len(shape)}-D {format_shape(shape)}",
                             code=codes.E0404)
        if ranks is None and len(shape) < 2:
            raise ShapeError(f"`{kind}` expects an input of at least 2 dims [N, C, ...], but receives "
                             f"{format_shape(shape)}", code=codes.E0404)
        return fixed_size(kind, "channels", shape[1])
    return Inferred(field, read, "features (channels)" if field == "num_features" else "channels")


def _batchnorm_kind(d: int) -> LayerKind:
    name = f"batchnorm{d}d"

    fields = dict(num_features=Field(optional(POSITIVE), None), **_NORM_FIELDS)

    def infer(args, inputs):
        (shape,) = inputs
        if not args.track_running_stats:   # torch then normalizes with the batch's own statistics, in eval mode too
            require(at_least(numel(tuple(s for i, s in enumerate(shape) if i != 1)), 2), lambda: ShapeError(
                f"`{name}` without running statistics over {format_shape(shape)} normalizes single values (torch "
                f"raises: expected more than 1 value per channel)", arg="track_running_stats", code=codes.E0308,
                help="use a larger batch, or track_running_stats=true"))
        return shape

    return LayerKind(
        name=name, schema=Schema(fields), infer=infer, prefix="bn",
        positional=tuple(fields), inferred=(_channels(name, "num_features", {1: (2, 3), 2: (4,), 3: (5,)}[d]),),
        params=lambda args, inputs: 2 * args.num_features if args.affine else 0,
        buffers=lambda args, inputs: 2 * args.num_features + 1 if args.track_running_stats else 0,
        macs=lambda args, inputs, output: numel(output),
        module=f"nn.BatchNorm{d}d",
        module_args=lambda args, inputs: ((args.num_features,), args.changed(*tuple(fields)[1:])),
        label=lambda args, inputs: f"{name}({format_size(args.num_features)})",
        doc=f"torch.nn.BatchNorm{d}d; num_features is inferred")


def _instancenorm_kind(d: int) -> LayerKind:
    name = f"instancenorm{d}d"
    fields = dict(num_features=Field(optional(POSITIVE), None),
                  **{**_NORM_FIELDS, "affine": Field(Bool(), False), "track_running_stats": Field(Bool(), False)})

    def infer(args, inputs):
        (shape,) = inputs
        spatial = shape[len(shape) - d:]
        # torch raises whenever it normalizes with the input's statistics: always without running statistics
        # (with them, in training only: the module is valid for inference, as batchnorm's).
        if not args.track_running_stats:
            require(at_least(numel(spatial), 2), lambda: ShapeError(
                f"`{name}` normalizes each channel over its {format_shape(spatial)} spatial elements: a single "
                f"value (input {format_shape(shape)}; torch raises: expected more than 1 spatial element)",
                code=codes.E0308,
                help="normalize before the spatial size shrinks to 1, or use layernorm"))
        return shape

    return LayerKind(
        name=name, schema=Schema(fields), infer=infer, prefix="inorm", positional=tuple(fields),
        inferred=(channels_of(name, "num_features", d),),
        params=lambda args, inputs: 2 * args.num_features if args.affine else 0,
        buffers=lambda args, inputs: 2 * args.num_features + 1 if args.track_running_stats else 0,
        macs=lambda args, inputs, output: numel(output), module=f"nn.InstanceNorm{d}d",
        module_args=lambda args, inputs: ((args.num_features,), args.changed(*tuple(fields)[1:])),
        label=lambda args, inputs: f"{name}({format_size(args.num_features)})",
        doc=f"torch.nn.InstanceNorm{d}d (affine and track_running_stats false by default, as torch); num_features "
            "is inferred")


def _normalized_shape(args, shape) -> tuple:
    if args.normalized_shape is None:
        return tuple(shape[-1:])
    return args.normalized_shape if isinstance(args.normalized_shape, tuple) else (args.normalized_shape,)


def _layernorm_infer(args, inputs):
    (shape,) = inputs
    normalized = _normalized_shape(args, shape)
    if not normalized:
        raise ShapeError(f"`layernorm` needs at least one dim to normalize over, but normalized_shape is empty "
                         f"(input {format_shape(shape)})", arg="normalized_shape", code=codes.E0404)
    mismatch = lambda: ShapeError(
        f"`layernorm` normalizes over trailing dims {format_shape(normalized)}, but the input is "
        f"{format_shape(shape)}", arg="normalized_shape", code=codes.E0301,
        help=f"drop normalized_shape to normalize over the last dim ({format_size(shape[-1]) if shape else '?'})")
    if len(shape) < len(normalized):
        raise mismatch()
    for have, want in zip(shape[len(shape) - len(normalized):], normalized):
        require(compare(have, want), mismatch)
    for size in normalized:
        fixed_size("layernorm", "features", size)
    return shape


def _layernorm_params(args, inputs):
    size = math.prod(_normalized_shape(args, inputs[0]))
    return (size if args.elementwise_affine else 0) + (size if args.elementwise_affine and args.bias else 0)


LAYERNORM = LayerKind(
    name="layernorm",
    schema=Schema(dict(normalized_shape=Field(optional(Either((POSITIVE, Tuple(POSITIVE)))), None),
                       eps=Field(Float(gt=0), 1e-5), elementwise_affine=Field(Bool(), True), bias=Field(Bool(), True))),
    infer=_layernorm_infer, prefix="ln", positional=("normalized_shape", "eps", "elementwise_affine", "bias"),
    params=_layernorm_params, macs=lambda args, inputs, output: numel(output), module="nn.LayerNorm",
    module_args=lambda args, inputs: ((_normalized_shape(args, inputs[0]),),
                                      args.changed("eps", "elementwise_affine", "bias")),
    label=lambda args, inputs: f"layernorm({', '.join(map(format_size, _normalized_shape(args, inputs[0])))})",
    doc="torch.nn.LayerNorm; normalized_shape defaults to the last dim")


def _groupnorm_infer(args, inputs):
    (shape,) = inputs
    channels = args.num_channels
    require(divides(args.num_groups, channels), lambda: ShapeError(
        f"num_groups={format_size(args.num_groups)} must divide the channels ({format_size(channels)})",
        arg="num_groups", code=codes.E0302, help="choose num_groups dividing the channel count"))
    per_group = numel((shape[0], channels // args.num_groups, *shape[2:]))
    require(at_least(per_group, 2), lambda: ShapeError(
        f"`groupnorm` with num_groups={args.num_groups} over {format_shape(shape)} normalizes single values "
        f"(torch raises: expected more than 1 value per group)", arg="num_groups", code=codes.E0308,
        help="use fewer groups or a larger input"))
    return shape


GROUPNORM = LayerKind(
    name="groupnorm",
    schema=Schema(dict(num_groups=Field(POSITIVE), num_channels=Field(optional(POSITIVE), None),
                       eps=Field(Float(gt=0), 1e-5), affine=Field(Bool(), True))),
    infer=_groupnorm_infer, prefix="gn", positional=("num_groups", "num_channels", "eps", "affine"),
    inferred=(_channels("groupnorm", "num_channels", None),),
    params=lambda args, inputs: 2 * args.num_channels if args.affine else 0,
    macs=lambda args, inputs, output: numel(output), module="nn.GroupNorm",
    module_args=lambda args, inputs: ((args.num_groups, args.num_channels), args.changed("eps", "affine")),
    label=lambda args, inputs: f"groupnorm({format_size(args.num_groups)}, {format_size(args.num_channels)})",
    doc="torch.nn.GroupNorm; num_channels is inferred")


def _lrn_infer(args, inputs):
    shape = inputs[0]
    least_rank("local_response_norm", shape, 3, "[N, C, *spatial] to normalize across channels")
    # torch pads the channels by size - 1 in a tensor of its own: [N, 1, C + size - 1, *spatial]
    check_tensor_size("`local_response_norm`'s padded input", (shape[0], 1, shape[1] + args.size - 1, *shape[2:]))
    return shape


LOCAL_RESPONSE_NORM = LayerKind(
    name="local_response_norm",
    # size is the kernel of an average pooling over the channels: 32-bit in ATen, as every pooling kernel
    schema=Schema(dict(size=Field(Int(gt=0, le=2**31 - 1)), alpha=Field(Float(), 1e-4), beta=Field(Float(), 0.75),
                       k=Field(Float(), 1.0))),
    infer=_lrn_infer, prefix="lrn", positional=("size", "alpha", "beta", "k"),
    macs=lambda args, inputs, output: numel(output) * args.size, module="nn.LocalResponseNorm",
    module_args=lambda args, inputs: ((args.size,), args.changed("alpha", "beta", "k")),
    # torch views a 5-D or larger input, which fails on a transposed one: forward passes it contiguous
    call=lambda module, names, args: f"{module}({names[0]}.contiguous())",
    label=lambda args, inputs: f"local_response_norm({args.size}" + "".join(
        f", {k}={format_value(v)}" for k, v in args.changed("alpha", "beta", "k").items()) + ")",
    doc="torch.nn.LocalResponseNorm (AlexNet): each value divided by the activity of `size` neighbouring channels")

KINDS = declaring_dtypes((*(_batchnorm_kind(d) for d in (1, 2, 3)), *(_instancenorm_kind(d) for d in (1, 2, 3)),
                          LAYERNORM, GROUPNORM, LOCAL_RESPONSE_NORM),
                         {}, default=FLOAT_LAYER)   # local_response_norm averages: not int32 (see pool.py)
