"""Resampling: upsample (nn.Upsample), interpolate (F.interpolate), pixel_shuffle, pixel_unshuffle."""

from __future__ import annotations

import math
from typing import Literal, Optional, Union

from pydantic import PositiveFloat, PositiveInt, create_model

from ..emit import literal
from ..registry import Args, LayerKind, changed, register
from ..shapes import INT64_MAX, ShapeError, Sym, expand, format_shape
from . import count, fixed_size

Mode = Literal["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"]
# Modes that only work on one rank (torch: "Got 4D input, but linear mode needs 3D input").
_MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_ALIGNING = ("linear", "bilinear", "bicubic", "trilinear")
_Scale = Union[PositiveInt, PositiveFloat]

_ResampleArgs = create_model(
    "ResampleArgs", __base__=Args, size=(Optional[PositiveInt | tuple[PositiveInt, ...]], None),
    scale_factor=(Optional[_Scale | tuple[_Scale, ...]], None), mode=(Mode, "nearest"),
    align_corners=(Optional[bool], None))


def _scaled(size, scale):
    """torch: floor(size * scale), computed in double and stored in int64."""
    if not math.isfinite(scale) or isinstance(size, int) and not size * scale < INT64_MAX + 1:
        raise ShapeError(f"scale_factor {scale} makes the size {size} larger than PyTorch's 64-bit sizes hold",
                         arg="scale_factor", code="E0414")
    if isinstance(size, Sym):
        return Sym(f"{size}*{scale}" if float(scale).is_integer() else f"floor({size}*{scale})")
    return math.floor(size * scale)


def _resample_infer(name: str):
    def infer(args, inputs):
        (shape,) = inputs
        if (args.size is None) == (args.scale_factor is None):
            raise ShapeError(f"`{name}` takes exactly one of size and scale_factor", code="E0307",
                             arg="size" if args.size is not None else None,
                             help="e.g. scale_factor=2, or size=(64, 64)")
        wanted = _MODE_RANK.get(args.mode)
        if len(shape) not in (3, 4, 5) or (wanted and len(shape) != wanted):
            expected = f"{wanted}-D" if wanted else "a 3-D, 4-D or 5-D"
            raise ShapeError(f"`{name}` with mode {args.mode!r} expects {expected} input [N, C, ...], but "
                             f"receives {len(shape)}-D {format_shape(shape)}", arg="mode", code="E0404")
        if args.align_corners is not None and args.mode not in _ALIGNING:
            raise ShapeError(f"align_corners only applies to the interpolating modes {', '.join(_ALIGNING)}, "
                             f"not {args.mode!r}", arg="align_corners", code="E0307", help="drop align_corners")
        spatial, d = shape[2:], len(shape) - 2
        for arg in ("size", "scale_factor"):
            value = getattr(args, arg)
            if isinstance(value, tuple) and len(value) != d:
                raise ShapeError(f"{arg} has {len(value)} values, but the input has {d} spatial dims "
                                 f"({format_shape(shape)})", arg=arg, code="E0307")
        if args.size is not None:
            return shape[:2] + expand(args.size, d)
        out = tuple(_scaled(s, f) for s, f in zip(spatial, expand(args.scale_factor, d)))
        if any(isinstance(o, int) and o < 1 for o in out):
            raise ShapeError(f"scale_factor {args.scale_factor} gives an empty output from {format_shape(shape)}",
                             arg="scale_factor", code="E0406")
        return shape[:2] + out
    return infer


def _options(args) -> dict:
    return changed(args, "size", "scale_factor", "mode", "align_corners")


def _label(name: str):
    def label(args, inputs):
        how = f"×{args.scale_factor}" if args.scale_factor is not None else f"to {args.size}"
        return f"{name}({how}, {args.mode})"
    return label


register(LayerKind(
    name="upsample", args=_ResampleArgs, infer=_resample_infer("upsample"), prefix="upsample",
    positional=("size", "scale_factor", "mode", "align_corners"), macs=lambda args, inputs, output: count(output),
    module="nn.Upsample", module_args=lambda args, inputs: ((), _options(args)), label=_label("upsample"),
    doc="torch.nn.Upsample: size or scale_factor; modes nearest, linear (3-D), bilinear/bicubic (4-D), trilinear (5-D)"))

register(LayerKind(
    name="interpolate", args=_ResampleArgs, infer=_resample_infer("interpolate"), prefix="interp",
    positional=("size", "scale_factor", "mode", "align_corners"), macs=lambda args, inputs, output: count(output),
    functional=lambda args, names, inputs: f"F.interpolate({names[0]}" + "".join(
        f", {k}={literal(v)}" for k, v in _options(args).items()) + ")",
    label=_label("interpolate"), doc="torch.nn.functional.interpolate; the same arguments as upsample"))


# ---------------------------------------------------------------- pixel shuffle

def _shuffle_infer(name: str, up: bool):
    def infer(args, inputs):
        (shape,) = inputs
        r = args.upscale_factor if up else args.downscale_factor
        arg = "upscale_factor" if up else "downscale_factor"
        if len(shape) < 3:
            raise ShapeError(f"`{name}` expects at least 3 dims [*, C, H, W], but receives {format_shape(shape)}",
                             code="E0404")
        *batch, c, h, w = shape
        if up:
            c = fixed_size(name, "channels", c)
            if c % (r * r):
                raise ShapeError(f"`{name}` needs channels divisible by {r}² = {r * r}, but receives {c} "
                                 f"(input {format_shape(shape)})", arg=arg, code="E0302")
            return (*batch, c // (r * r), _times(h, r), _times(w, r))
        for what, size in (("height", h), ("width", w)):
            if isinstance(size, int) and size % r:
                raise ShapeError(f"`{name}` needs the {what} divisible by {r}, but it is {size} "
                                 f"(input {format_shape(shape)})", arg=arg, code="E0302")
        return (*batch, _times(c, r * r), _over(h, r), _over(w, r))
    return infer


def _times(size, r):
    return Sym(f"{size}*{r}") if isinstance(size, Sym) else size * r


def _over(size, r):
    return Sym(f"{size}/{r}") if isinstance(size, Sym) else size // r


for _name, _field, _up in (("pixel_shuffle", "upscale_factor", True), ("pixel_unshuffle", "downscale_factor", False)):
    register(LayerKind(
        name=_name, args=create_model(f"{_name.title()}Args", __base__=Args, **{_field: (PositiveInt, ...)}),
        infer=_shuffle_infer(_name, _up), prefix="shuffle" if _up else "unshuffle", positional=(_field,),
        module="nn.PixelShuffle" if _up else "nn.PixelUnshuffle",
        module_args=lambda args, inputs, _f=_field: ((getattr(args, _f),), {}),
        label=lambda args, inputs, _n=_name, _f=_field: f"{_n}({getattr(args, _f)})",
        doc=f"torch.nn.{'PixelShuffle' if _up else 'PixelUnshuffle'}"))
