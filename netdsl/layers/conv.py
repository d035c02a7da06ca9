"""conv1d/2d/3d and conv_transpose1d/2d/3d."""

from __future__ import annotations

import math

from .. import codes
from ..dtypes import FLOAT_LAYER
from ..kinds import LayerKind, Role
from ..schema import (
    NON_NEGATIVE,
    POSITIVE,
    Bool,
    Choice,
    Either,
    Field,
    Schema,
    Tuple,
    one_or_tuple,
    optional,
)
from ..shapes import (
    ShapeError,
    check_window,
    conv_output_size,
    conv_transpose_output_size,
    divides,
    expand,
    format_shape,
    numel,
    require,
)
from ..sizes import at_least, format_size
from . import as_arg, channels_of, declaring_dtypes, times

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _schema(d: int, transpose: bool) -> Schema:
    size, offsets = one_or_tuple(POSITIVE, d), one_or_tuple(NON_NEGATIVE, d)
    fields = dict(out_channels=Field(POSITIVE), kernel_size=Field(size), stride=Field(size, 1),
                  padding=Field(offsets if transpose else
                                Either((NON_NEGATIVE, Tuple(NON_NEGATIVE, d), Choice(("same", "valid")))), 0))
    if transpose:
        fields["output_padding"] = Field(offsets, 0)
    # torch.nn.ConvTranspose*d raises for any padding_mode but "zeros".
    fields.update(groups=Field(POSITIVE, 1), bias=Field(Bool(), True), dilation=Field(size, 1),
                  padding_mode=Field(Choice(("zeros",) if transpose else PADDING_MODES), "zeros"),
                  in_channels=Field(optional(POSITIVE), None))
    return Schema(fields)


def _groups_help(channels, out_channels, groups) -> str:
    """The nearest groups that divide both counts; a depthwise intent (groups = out_channels) stays
    depthwise: groups = in_channels, when that divides out_channels."""
    if not all(isinstance(v, int) for v in (channels, out_channels, groups)):
        return "groups must divide both channel counts"
    if groups == out_channels and out_channels % channels == 0:
        return f"for a depthwise convolution use groups={channels} (one group per input channel)"
    common = math.gcd(channels, out_channels)
    # The nearest divisors, found from the small ones and their cofactors: a common factor may be 2**40.
    small = [g for g in range(1, min(common, 1024) + 1) if common % g == 0]
    choices = sorted({*small, *(common // g for g in small)}, key=lambda g: (abs(g - groups), -g))
    return f"groups must divide both {channels} and {out_channels}: use groups={' or '.join(map(str, choices[:3]))}"


def _check_groups(args) -> None:
    for what, value in (("input channels", args.in_channels), ("out_channels", args.out_channels)):
        require(divides(args.groups, value), lambda what=what, value=value: ShapeError(
            f"groups={format_size(args.groups)} must divide the {what} ({format_size(value)})", arg="groups",
            code=codes.E0302, help=_groups_help(args.in_channels, args.out_channels, args.groups)))


def _check_padding_mode(args, spatial, kernel, dilation) -> None:
    """reflect padding must be smaller than the input, circular at most its size (torch's F.pad)."""
    limit = {"reflect": 0, "circular": 1}.get(args.padding_mode)
    if limit is None or args.padding == "valid":
        return
    if args.padding == "same":   # torch pads dilation*(kernel-1) in total, the larger half on the right
        widest = tuple(dl * (k - 1) - dl * (k - 1) // 2 for k, dl in zip(kernel, dilation))
    else:
        widest = expand(args.padding, len(spatial))
    relation = "smaller than" if limit == 0 else "at most"
    for size, pad in zip(spatial, widest):
        require(at_least(size + limit - 1, pad), lambda size=size, pad=pad: ShapeError(
            f"padding_mode={args.padding_mode!r} needs the padding ({format_size(pad)}) to be {relation} the "
            f"input size ({format_size(size)})", arg="padding", code=codes.E0406,
            help="use less padding, a larger input, or padding_mode='zeros' or 'replicate'"))


def _conv_kind(d: int) -> LayerKind:
    name = f"conv{d}d"

    def infer(args, inputs):
        (shape,) = inputs
        _check_groups(args)
        index = len(shape) - d - 1
        kernel, stride, dilation = expand(args.kernel_size, d), expand(args.stride, d), expand(args.dilation, d)
        spatial = shape[index + 1:]
        _check_padding_mode(args, spatial, kernel, dilation)
        padding = (0,) * d if args.padding == "valid" else tuple(-(-dl * (k - 1) // 2) for k, dl in zip(
            kernel, dilation)) if args.padding == "same" else expand(args.padding, d)
        check_window(name, kernel, stride, padding, dilation)
        if args.padding == "same":
            if any(s != 1 for s in stride):
                raise ShapeError("padding='same' is not supported for strided convolutions", arg="padding",
                                 code=codes.E0303, help="use stride=1, or an explicit padding such as padding="
                                 f"{as_arg(tuple(k // 2 for k in kernel))}")
            return shape[:index] + (args.out_channels,) + spatial
        padded = tuple(s + 2 * p for s, p in zip(spatial, padding))
        effective = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))
        for size, window in zip(padded, effective):
            require(at_least(size, window), lambda: ShapeError(
                f"kernel size {times(effective)}{' with dilation' * any(dl != 1 for dl in dilation)} is larger "
                f"than the padded input {times(padded)} (input {format_shape(shape)})", arg="kernel_size",
                code=codes.E0406, help="use a smaller kernel, more padding, or a larger input"))
        out = tuple(conv_output_size(*v) for v in zip(spatial, kernel, stride, padding, dilation))
        return shape[:index] + (args.out_channels,) + out

    def params(args, inputs):
        weight = args.out_channels * (args.in_channels // args.groups) * math.prod(expand(args.kernel_size, d))
        return weight + (args.out_channels if args.bias else 0)

    def macs(args, inputs, output):
        return numel(output) * (args.in_channels // args.groups) * math.prod(expand(args.kernel_size, d))

    def module_args(args, inputs):
        return (args.in_channels, args.out_channels), {"kernel_size": args.kernel_size, **args.changed(
            "stride", "padding", "dilation", "groups", "bias", "padding_mode")}

    def label(args, inputs):
        text = f"{name}({format_size(args.in_channels)}→{format_size(args.out_channels)}, " \
               f"{times(expand(args.kernel_size, d))}"
        extras = args.changed("stride", "padding", "dilation", "groups")
        return text + "".join(f", {k} {times(v) if not isinstance(v, str) else v}" for k, v in extras.items()) + ")"

    return LayerKind(name=name, schema=_schema(d, transpose=False), infer=infer, prefix="conv", params=params,
                     macs=macs, positional=("out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                                            "bias", "padding_mode"),
                     aliases={"kernel": "kernel_size"}, inferred=(channels_of(name, "in_channels", d),),
                     module=f"nn.Conv{d}d", module_args=module_args, label=label, role=Role.CONV,
                     doc=f"torch.nn.Conv{d}d; in_channels is inferred")


def _conv_transpose_kind(d: int) -> LayerKind:
    name = f"conv_transpose{d}d"

    def infer(args, inputs):
        (shape,) = inputs
        _check_groups(args)
        index = len(shape) - d - 1
        kernel, stride, dilation = expand(args.kernel_size, d), expand(args.stride, d), expand(args.dilation, d)
        padding, output_padding = expand(args.padding, d), expand(args.output_padding, d)
        check_window(name, kernel, stride, padding, dilation)
        for op, s, dl in zip(output_padding, stride, dilation):
            require(not (at_least(op, s) is True and at_least(op, dl) is True), lambda op=op, s=s, dl=dl: ShapeError(
                f"output_padding {format_size(op)} must be smaller than either stride ({format_size(s)}) or "
                f"dilation ({format_size(dl)})", arg="output_padding", code=codes.E0304,
                help=f"use output_padding < {format_size(s) if at_least(s, dl) is True else format_size(dl)}"))
        out = tuple(conv_transpose_output_size(*v) for v in zip(shape[index + 1:], kernel, stride, padding,
                                                                 output_padding, dilation))
        for size in out:
            require(at_least(size, 1), lambda: ShapeError(
                f"output would be empty: {format_shape(shape)} gives spatial size {times(out)}", arg="padding",
                code=codes.E0406, help="use less padding"))
        return shape[:index] + (args.out_channels,) + out

    def params(args, inputs):
        weight = args.in_channels * (args.out_channels // args.groups) * math.prod(expand(args.kernel_size, d))
        return weight + (args.out_channels if args.bias else 0)

    def macs(args, inputs, output):
        return numel(inputs[0]) * (args.out_channels // args.groups) * math.prod(expand(args.kernel_size, d))

    def module_args(args, inputs):
        return (args.in_channels, args.out_channels), {"kernel_size": args.kernel_size, **args.changed(
            "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode")}

    def label(args, inputs):
        extras = args.changed("stride", "padding", "output_padding", "dilation", "groups")
        return (f"{name}({format_size(args.in_channels)}→{format_size(args.out_channels)}, "
                f"{times(expand(args.kernel_size, d))}" + "".join(f", {k} {times(v)}" for k, v in extras.items()) + ")")

    return LayerKind(name=name, schema=_schema(d, transpose=True), infer=infer, prefix="up", params=params,
                     macs=macs, positional=("out_channels", "kernel_size", "stride", "padding", "output_padding",
                                            "groups", "bias", "dilation", "padding_mode"),
                     aliases={"kernel": "kernel_size"}, inferred=(channels_of(name, "in_channels", d),),
                     module=f"nn.ConvTranspose{d}d", module_args=module_args, label=label, role=Role.CONV,
                     doc=f"torch.nn.ConvTranspose{d}d; in_channels is inferred")


KINDS = declaring_dtypes((*(_conv_kind(d) for d in (1, 2, 3)), *(_conv_transpose_kind(d) for d in (1, 2, 3))), {},
                         default=FLOAT_LAYER)
