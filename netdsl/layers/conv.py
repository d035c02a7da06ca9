"""conv1d/2d/3d and conv_transpose1d/2d/3d."""

from __future__ import annotations

import math
from typing import Literal, Optional, Union

from pydantic import NonNegativeInt, PositiveInt, create_model

from ..registry import Args, LayerKind, changed, register
from ..shapes import (
    ShapeError,
    check_window,
    conv_output_size,
    conv_transpose_output_size,
    expand,
    format_shape,
)
from . import as_arg, count, fixed_size, spatial_input, times

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]


def _sizes(d: int, element) -> object:
    return Union[element, tuple[(element,) * d]]


def _conv_args(d: int, transpose: bool) -> type[Args]:
    size = _sizes(d, PositiveInt)
    fields = dict(
        out_channels=(PositiveInt, ...),
        kernel_size=(size, ...),
        stride=(size, 1),
        padding=(_sizes(d, NonNegativeInt) if transpose else Union[_sizes(d, NonNegativeInt), Literal["same", "valid"]], 0),
    )
    if transpose:
        fields["output_padding"] = (_sizes(d, NonNegativeInt), 0)
    # torch.nn.ConvTranspose*d raises for any padding_mode but "zeros".
    fields.update(groups=(PositiveInt, 1), bias=(bool, True), dilation=(size, 1),
                  padding_mode=(Literal["zeros"] if transpose else PaddingMode, "zeros"),
                  in_channels=(Optional[PositiveInt], None))
    name = f"ConvTranspose{d}dArgs" if transpose else f"Conv{d}dArgs"
    return create_model(name, __base__=Args, **fields)


def _groups_help(channels: int, out_channels: int) -> str:
    common = math.gcd(channels, out_channels)
    # The largest divisors, found from the small ones: counting down from a common factor of 2**40 would hang.
    small = [g for g in range(1, min(common, 1000) + 1) if common % g == 0]
    choices = [str(g) for g in sorted({common // g for g in small}, reverse=True)]
    return f"groups must divide both {channels} and {out_channels}: use groups={' or '.join(choices[:3])}"


def _channels(name: str, d: int, args, shape) -> tuple[int, int]:
    """(channel index, input channels), checking in_channels and groups."""
    index = spatial_input(name, shape, d)
    channels = fixed_size(name, "input channels", shape[index])
    if args.in_channels is not None and args.in_channels != channels:
        raise ShapeError(f"`{name}` expects {args.in_channels} input channels, but receives {channels} "
                         f"(input {format_shape(shape)})", arg="in_channels", code="E0301",
                         help=f"drop in_channels (it is inferred), or use in_channels={channels}")
    for what, value in (("input channels", channels), ("out_channels", args.out_channels)):
        if value % args.groups:
            raise ShapeError(f"groups={args.groups} must divide the {what} ({value})", arg="groups",
                             code="E0302", help=_groups_help(channels, args.out_channels))
    return index, channels


def _check_padding_mode(name: str, args, spatial, kernel, dilation) -> None:
    """reflect padding must be smaller than the input, circular at most its size (torch's F.pad)."""
    limit = {"reflect": 0, "circular": 1}.get(args.padding_mode)
    if limit is None or args.padding == "valid":
        return
    if args.padding == "same":   # torch pads dilation*(kernel-1) in total, the larger half on the right
        widest = tuple(dl * (k - 1) - dl * (k - 1) // 2 for k, dl in zip(kernel, dilation))
    else:
        widest = expand(args.padding, len(spatial))
    for size, pad in zip(spatial, widest):
        if isinstance(size, int) and pad >= size + limit:
            relation = "smaller than" if limit == 0 else "at most"
            raise ShapeError(f"padding_mode={args.padding_mode!r} needs the padding ({pad}) to be {relation} the "
                             f"input size ({size})", arg="padding", code="E0406",
                             help="use less padding, a larger input, or padding_mode='zeros' or 'replicate'")


def _conv_kind(d: int) -> LayerKind:
    name = f"conv{d}d"
    arg_model = _conv_args(d, transpose=False)

    def infer(args, inputs):
        (shape,) = inputs
        index, _ = _channels(name, d, args, shape)
        kernel, stride, dilation = expand(args.kernel_size, d), expand(args.stride, d), expand(args.dilation, d)
        spatial = shape[index + 1:]
        _check_padding_mode(name, args, spatial, kernel, dilation)
        padding = (0,) * d if args.padding == "valid" else tuple(-(-dl * (k - 1) // 2) for k, dl in zip(
            kernel, dilation)) if args.padding == "same" else expand(args.padding, d)
        check_window(name, kernel, stride, padding, dilation)
        if args.padding == "same":
            if any(s != 1 for s in stride):
                raise ShapeError("padding='same' is not supported for strided convolutions", arg="padding",
                                 code="E0303", help="use stride=1, or an explicit padding such as padding="
                                 f"{as_arg(tuple(k // 2 for k in kernel))}")
            return shape[:index] + (args.out_channels,) + spatial
        padded = tuple(s + 2 * p if isinstance(s, int) else s for s, p in zip(spatial, padding))
        effective = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))
        if any(isinstance(p, int) and e > p for p, e in zip(padded, effective)):
            dilated = " with dilation" if any(dl > 1 for dl in dilation) else ""
            raise ShapeError(f"kernel size {times(effective)}{dilated} is larger than the padded input "
                             f"{times(padded)} (input {format_shape(shape)})", arg="kernel_size", code="E0406",
                             help="use a smaller kernel, more padding, or a larger input")
        out = tuple(conv_output_size(s, k, st, p, dl) for s, k, st, p, dl in zip(spatial, kernel, stride, padding, dilation))
        return shape[:index] + (args.out_channels,) + out

    def params(args, inputs):
        (shape,) = inputs
        channels = shape[-d - 1]
        weight = args.out_channels * (channels // args.groups) * math.prod(expand(args.kernel_size, d))
        return weight + (args.out_channels if args.bias else 0)

    def macs(args, inputs, output):
        channels = inputs[0][-d - 1]
        return count(output) * (channels // args.groups) * math.prod(expand(args.kernel_size, d))

    def module_args(args, inputs):
        channels = inputs[0][-d - 1]
        return (channels, args.out_channels), {"kernel_size": args.kernel_size, **changed(
            args, "stride", "padding", "dilation", "groups", "bias", "padding_mode")}

    def label(args, inputs):
        text = f"{name}({inputs[0][-d - 1]}→{args.out_channels}, {times(expand(args.kernel_size, d))}"
        extras = changed(args, "stride", "padding", "dilation", "groups")
        return text + "".join(f", {k} {times(v) if not isinstance(v, str) else v}" for k, v in extras.items()) + ")"

    return LayerKind(name=name, args=arg_model, infer=infer, prefix="conv", params=params, macs=macs,
                     positional=("out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                                 "bias", "padding_mode"),
                     aliases={"kernel": "kernel_size"}, module=f"nn.Conv{d}d", module_args=module_args,
                     label=label, doc=f"torch.nn.Conv{d}d; in_channels is inferred")


def _conv_transpose_kind(d: int) -> LayerKind:
    name = f"conv_transpose{d}d"

    def infer(args, inputs):
        (shape,) = inputs
        index, _ = _channels(name, d, args, shape)
        kernel, stride, dilation = expand(args.kernel_size, d), expand(args.stride, d), expand(args.dilation, d)
        padding, output_padding = expand(args.padding, d), expand(args.output_padding, d)
        check_window(name, kernel, stride, padding, dilation)
        for op, s, dl in zip(output_padding, stride, dilation):
            if op >= s and op >= dl:
                raise ShapeError(f"output_padding {op} must be smaller than either stride ({s}) or dilation ({dl})",
                                 arg="output_padding", code="E0304", help=f"use output_padding < {max(s, dl)}")
        out = tuple(conv_transpose_output_size(*v) for v in zip(shape[index + 1:], kernel, stride, padding,
                                                                 output_padding, dilation))
        if any(isinstance(o, int) and o < 1 for o in out):
            raise ShapeError(f"output would be empty: {format_shape(shape)} gives spatial size {times(out)}",
                             arg="padding", code="E0406", help="use less padding")
        return shape[:index] + (args.out_channels,) + out

    def params(args, inputs):
        channels = inputs[0][-d - 1]
        weight = channels * (args.out_channels // args.groups) * math.prod(expand(args.kernel_size, d))
        return weight + (args.out_channels if args.bias else 0)

    def macs(args, inputs, output):
        return count(inputs[0]) * (args.out_channels // args.groups) * math.prod(expand(args.kernel_size, d))

    def module_args(args, inputs):
        return (inputs[0][-d - 1], args.out_channels), {"kernel_size": args.kernel_size, **changed(
            args, "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode")}

    def label(args, inputs):
        extras = changed(args, "stride", "padding", "output_padding", "dilation", "groups")
        return (f"{name}({inputs[0][-d - 1]}→{args.out_channels}, {times(expand(args.kernel_size, d))}"
                + "".join(f", {k} {times(v)}" for k, v in extras.items()) + ")")

    return LayerKind(name=name, args=_conv_args(d, transpose=True), infer=infer, prefix="up", params=params,
                     macs=macs, positional=("out_channels", "kernel_size", "stride", "padding", "output_padding",
                                            "groups", "bias", "dilation", "padding_mode"),
                     aliases={"kernel": "kernel_size"}, module=f"nn.ConvTranspose{d}d", module_args=module_args,
                     label=label, doc=f"torch.nn.ConvTranspose{d}d; in_channels is inferred")


for _d in (1, 2, 3):
    register(_conv_kind(_d))
    register(_conv_transpose_kind(_d))
