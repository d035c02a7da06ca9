"""Resampling: upsample (nn.Upsample), interpolate (F.interpolate), pixel_shuffle, pixel_unshuffle; and
channel_shuffle, which rearranges channels as pixel_shuffle rearranges them into space."""

from __future__ import annotations

import math

from .. import codes
from ..dtypes import FLOAT_LAYER
from ..kinds import LayerKind, Recognise
from ..pysource import literal
from ..schema import (
    POSITIVE,
    Bool,
    Choice,
    Either,
    Field,
    Float,
    Int,
    Schema,
    Tuple,
    optional,
)
from ..shapes import (
    INT64_MAX,
    ShapeError,
    divides,
    expand,
    format_shape,
    numel,
    require,
)
from ..sizes import at_least, format_size, scale
from . import least_rank

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
# Modes that only work on one rank (torch: "Got 4D input, but linear mode needs 3D input").
_MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_ALIGNING = ("linear", "bilinear", "bicubic", "trilinear")
_SCALE = Either((Int(gt=0), Float(gt=0)))

_RESAMPLE = Schema(dict(size=Field(optional(Either((POSITIVE, Tuple(POSITIVE)))), None),
                        scale_factor=Field(optional(Either((_SCALE, Tuple(_SCALE)))), None),
                        mode=Field(Choice(MODES), "nearest"), align_corners=Field(optional(Bool()), None)))


def _resample_infer(name: str):
    def infer(args, inputs):
        (shape,) = inputs
        if (args.size is None) == (args.scale_factor is None):
            raise ShapeError(f"`{name}` takes exactly one of size and scale_factor", code=codes.E0307,
                             arg="size" if args.size is not None else None,
                             help="e.g. scale_factor=2, or size=(64, 64)")
        wanted = _MODE_RANK.get(args.mode)
        if len(shape) not in (3, 4, 5) or (wanted and len(shape) != wanted):
            expected = f"{wanted}-D" if wanted else "a 3-D, 4-D or 5-D"
            raise ShapeError(f"`{name}` with mode {args.mode!r} expects {expected} input [N, C, ...], but "
                             f"receives {len(shape)}-D {format_shape(shape)}", arg="mode", code=codes.E0404)
        if args.align_corners is not None and args.mode not in _ALIGNING:
            raise ShapeError(f"align_corners only applies to the interpolating modes {', '.join(_ALIGNING)}, "
                             f"not {args.mode!r}", arg="align_corners", code=codes.E0307, help="drop align_corners")
        spatial, d = shape[2:], len(shape) - 2
        for arg in ("size", "scale_factor"):
            value = getattr(args, arg)
            if isinstance(value, tuple) and len(value) != d:
                raise ShapeError(f"{arg} has {len(value)} values, but the input has {d} spatial dims "
                                 f"({format_shape(shape)})", arg=arg, code=codes.E0307)
        if args.size is not None:
            return shape[:2] + expand(args.size, d)
        factors = expand(args.scale_factor, d)
        for f in factors:
            if not math.isfinite(f):
                raise ShapeError(f"scale_factor {f!r} is not a finite number", arg="scale_factor", code=codes.E0314)
        for s, f in zip(spatial, factors):   # torch: ⌊size × scale⌋ in double, stored in int64
            if isinstance(s, int) and not s * f < INT64_MAX + 1:
                raise ShapeError(f"scale_factor {f} makes the size {s} larger than PyTorch's 64-bit sizes hold",
                                 arg="scale_factor", code=codes.E0425)
        out = tuple(scale(s, f) for s, f in zip(spatial, factors))
        for size in out:
            require(at_least(size, 1), lambda: ShapeError(
                f"scale_factor {args.scale_factor} gives an empty output from {format_shape(shape)}",
                arg="scale_factor", code=codes.E0406))
        return shape[:2] + out
    return infer


def _options(args) -> dict:
    return args.changed("size", "scale_factor", "mode", "align_corners")


def _label(name: str):
    def label(args, inputs):
        how = f"×{args.scale_factor}" if args.scale_factor is not None else f"to {args.size}"
        return f"{name}({how}, {args.mode})"
    return label


def _shuffle_infer(name: str, up: bool):
    def infer(args, inputs):
        (shape,) = inputs
        r = args.upscale_factor if up else args.downscale_factor
        arg = "upscale_factor" if up else "downscale_factor"
        if len(shape) < 3:
            raise ShapeError(f"`{name}` expects at least 3 dims [*, C, H, W], but receives {format_shape(shape)}",
                             code=codes.E0404)
        *batch, c, h, w = shape
        if up:
            require(divides(r * r, c), lambda: ShapeError(
                f"`{name}` needs channels divisible by {r}² = {r * r}, but receives {format_size(c)} "
                f"(input {format_shape(shape)})", arg=arg, code=codes.E0302))
            return (*batch, c // (r * r), h * r, w * r)
        for what, size in (("height", h), ("width", w)):
            require(divides(r, size), lambda what=what, size=size: ShapeError(
                f"`{name}` needs the {what} divisible by {r}, but it is {format_size(size)} "
                f"(input {format_shape(shape)})", arg=arg, code=codes.E0302))
        return (*batch, c * r * r, h // r, w // r)
    return infer


def _shuffle_kind(name: str, field: str, up: bool) -> LayerKind:
    module = "nn.PixelShuffle" if up else "nn.PixelUnshuffle"
    return LayerKind(
        name=name, schema=Schema({field: Field(Int(gt=0))}), infer=_shuffle_infer(name, up),
        prefix="shuffle" if up else "unshuffle", positional=(field,), module=module,
        module_args=lambda args, inputs: ((getattr(args, field),), {}),
        label=lambda args, inputs: f"{name}({getattr(args, field)})", doc=f"torch.{module}",
        recognise=Recognise((f"torch.nn.functional.{name}", f"torch.{name}")))


def _channel_shuffle_infer(args, inputs):
    (shape,) = inputs
    least_rank("channel_shuffle", shape, 3, "[N, C, *spatial]")
    require(divides(args.groups, shape[1]), lambda: ShapeError(
        f"`channel_shuffle` needs the channels ({format_size(shape[1])}) divisible by groups={args.groups} "
        f"(input {format_shape(shape)})", arg="groups", code=codes.E0302,
        help="use the groups of the grouped convolution before it"))
    return shape


CHANNEL_SHUFFLE = LayerKind(
    name="channel_shuffle", schema=Schema({"groups": Field(Int(gt=0))}), infer=_channel_shuffle_infer,
    prefix="shuffle", positional=("groups",), module="nn.ChannelShuffle",
    module_args=lambda args, inputs: ((args.groups,), {}), label=lambda args, inputs: f"channel_shuffle({args.groups})",
    doc="torch.nn.ChannelShuffle (ShuffleNet): channels in `groups` groups, interleaved")

KINDS = (
    # every mode computes on floating-point numbers only (torch has no integer kernels for them)
    LayerKind(name="upsample", schema=_RESAMPLE, infer=_resample_infer("upsample"), prefix="upsample", dtypes=FLOAT_LAYER,
              positional=("size", "scale_factor", "mode", "align_corners"),
              macs=lambda args, inputs, output: numel(output), module="nn.Upsample",
              module_args=lambda args, inputs: ((), _options(args)), label=_label("upsample"),
              doc="torch.nn.Upsample: size or scale_factor; modes nearest, linear (3-D), bilinear/bicubic (4-D), "
                  "trilinear (5-D)"),
    LayerKind(name="interpolate", schema=_RESAMPLE, infer=_resample_infer("interpolate"), prefix="interp",
              dtypes=FLOAT_LAYER,
              positional=("size", "scale_factor", "mode", "align_corners"),
              macs=lambda args, inputs, output: numel(output),
              functional=lambda args, names, inputs: f"F.interpolate({names[0]}" + "".join(
                  f", {k}={literal(v)}" for k, v in _options(args).items()) + ")",
              label=_label("interpolate"), doc="torch.nn.functional.interpolate; the same arguments as upsample",
              recognise=Recognise((
                  "torch.nn.functional.interpolate(input, size=None, scale_factor=None, mode='nearest', "
                  "align_corners=None, recompute_scale_factor=None, antialias=False)",))),
    _shuffle_kind("pixel_shuffle", "upscale_factor", True),
    _shuffle_kind("pixel_unshuffle", "downscale_factor", False),
    CHANNEL_SHUFFLE,
)
