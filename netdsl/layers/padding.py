"""Padding (F.pad and the nn padding layers: zeropad2d, reflectionpad2d, ...) and centre cropping.

Padding is non-negative: torch's negative padding crops, which a spec writes as a slice, `narrow` or
`center_crop` instead.
"""

from __future__ import annotations

from .. import codes
from ..dtypes import ANY, NUMBERS, NUMERIC, DTypes, first_input, holding
from ..kinds import LayerKind, Recognise
from ..pysource import literal
from ..schema import (
    FLOAT32_OR_INFINITE,
    NON_NEGATIVE,
    Choice,
    Field,
    Schema,
    Tuple,
    one_or_tuple,
    optional,
)
from ..shapes import ShapeError, expand, format_shape, require
from ..sizes import at_least, compare, format_size
from . import as_arg, declaring_dtypes, input_sizes, python_dim

MODES = ("constant", "reflect", "replicate", "circular")
# What each mode needs of the input size: reflect mirrors without repeating the edge, so each side's
# padding must be smaller than the size; circular wraps around at most once.
_LIMIT = {"reflect": (0, "smaller than"), "circular": (1, "at most")}


def _padded(name: str, shape, pad: tuple, mode: str, arg: str):
    """torch.nn.functional.pad's rule: `pad` is (left, right) pairs from the last dim backwards."""
    if len(pad) % 2:
        raise ShapeError(f"`{name}` takes (left, right) pairs, one per padded dim from the last, but gets "
                         f"{len(pad)} values", arg=arg, code=codes.E0314, help="give an even number of values")
    k = len(pad) // 2
    if mode == "constant" and k > len(shape):
        raise ShapeError(f"`{name}` pads {k} dims, but the input {format_shape(shape)} has {len(shape)}", arg=arg,
                         code=codes.E0404)
    if mode != "constant" and (not 1 <= k <= 3 or len(shape) not in (k + 1, k + 2)):
        raise ShapeError(f"`{name}` in mode {mode!r} pads the last 1, 2 or 3 dims of a batched or unbatched input "
                         f"([C, *dims] or [N, C, *dims]); {k} padded dims do not fit the {len(shape)}-D input "
                         f"{format_shape(shape)}", arg=arg, code=codes.E0404,
                         help=f"pad {len(shape) - 2} or {len(shape) - 1} dims, or use mode='constant'")
    out = list(shape)
    for i in range(k):
        dim = len(shape) - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if mode in _LIMIT:
            slack, relation = _LIMIT[mode]
            for side in (left, right):
                require(at_least(shape[dim] + slack - 1, side), lambda side=side, dim=dim, relation=relation: ShapeError(
                    f"mode {mode!r} needs each side's padding ({format_size(side)}) to be {relation} the size of "
                    f"dim {dim}, which is {format_size(shape[dim])} (input {format_shape(shape)})", arg=arg,
                    code=codes.E0406,
                    help="pad less, or use mode 'replicate' or 'constant'"))
        out[dim] = shape[dim] + left + right
    return tuple(out)


def _pad_infer(args, inputs):
    if args.mode != "constant" and args.value is not None and args.value != 0:
        raise ShapeError(f"value fills the padding in mode 'constant' only, not in mode {args.mode!r}", arg="value",
                         code=codes.E0307, help="drop value, or use mode='constant'")
    return _padded("pad", inputs[0], args.pad, args.mode, "pad")


def _pad_emit(args, names, inputs):
    spelled = input_sizes(names, inputs)
    pad = ", ".join(python_dim(p, spelled) for p in args.pad)
    options = "".join(f", {k}={literal(v)}" for k, v in args.changed("mode", "value").items())
    return f"F.pad({names[0]}, ({pad}{',' * (len(args.pad) == 1)}){options})"


_NUMERIC_MODES = ("reflect", "replicate")   # torch has no boolean kernels for these


PAD = LayerKind(
    name="pad", schema=Schema(dict(pad=Field(Tuple(NON_NEGATIVE)), mode=Field(Choice(MODES), "constant"),
                                   value=Field(optional(FLOAT32_OR_INFINITE), None))),
    infer=_pad_infer, prefix="pad", positional=("pad", "mode", "value"), functional=_pad_emit,
    dtypes=DTypes(lambda args, count: ((NUMBERS if args.mode in _NUMERIC_MODES else ANY) & holding(args.value),)),
    label=lambda args, inputs: f"pad({as_arg(args.pad)}" + (f", {args.mode}" if args.mode != "constant" else "") + ")",
    doc="torch.nn.functional.pad: (left, right) pairs from the last dim backwards; modes constant (with value), "
        "reflect, replicate, circular", recognise=Recognise(("torch.nn.functional.pad",)))


def _padding_layer(style: str, module: str, mode: str, d: int) -> LayerKind:
    name = f"{style}pad{d}d"
    fields = dict(padding=Field(one_or_tuple(NON_NEGATIVE, 2 * d)))
    if style == "constant":
        fields["value"] = Field(FLOAT32_OR_INFINITE)

    def infer(args, inputs):
        return _padded(name, inputs[0], expand(args.padding, 2 * d), mode, "padding")

    def module_args(args, inputs):
        return (args.padding, *((args.value,) if style == "constant" else ())), {}

    return LayerKind(
        name=name, schema=Schema(fields), infer=infer, prefix="pad", positional=tuple(fields),
        module=f"nn.{module}Pad{d}d", module_args=module_args,
        label=lambda args, inputs: f"{name}({as_arg(expand(args.padding, 2 * d))})",
        doc=f"torch.nn.{module}Pad{d}d: padding an int, or (left, right{', top, bottom' * (d > 1)}"
            f"{', front, back' * (d > 2)})")


_STYLES = (("zero", "Zero", "constant"), ("constant", "Constant", "constant"), ("reflection", "Reflection", "reflect"),
           ("replication", "Replication", "replicate"), ("circular", "Circular", "circular"))


# ---------------------------------------------------------------- centre crop

def _crop_infer(args, inputs):
    x, like = inputs
    if len(x) != len(like) or len(x) < 3:
        raise ShapeError(f"`center_crop` crops the spatial dims of [N, C, *spatial] to those of a tensor of the same "
                         f"rank, but gets {format_shape(x)} and {format_shape(like)}", code=codes.E0404)
    for d in range(2, len(x)):
        require(at_least(x[d], like[d]), lambda d=d: ShapeError(
            f"`center_crop` cannot crop {format_shape(x)} to the spatial size of {format_shape(like)}: dim {d} is "
            f"{format_size(x[d])}, smaller than {format_size(like[d])}", code=codes.E0406,
            help="crop the larger tensor to the smaller one (the first input is cropped)"))
    return x[:2] + like[2:]


def _crop_emit(args, names, inputs):
    """`x[:, :, 4:-4, 4:-4]`: a slice per spatial dim that shrinks, the larger half cut at the end."""
    x, like = inputs
    spelled = input_sizes(names, inputs)
    items = [":", ":"]
    for a, b in zip(x[2:], like[2:]):
        cut = a - b
        if compare(cut, 0) is True:
            items.append(":")
        elif isinstance(cut, int):
            items.append(f"{cut // 2 or ''}:{-(cut - cut // 2)}")
        else:
            items.append(f"{python_dim(cut // 2, spelled)}:{python_dim(cut // 2 + b, spelled)}")
    while items and items[-1] == ":":
        items.pop()
    return f"{names[0]}[{', '.join(items)}]" if items else names[0]


CENTER_CROP = LayerKind(
    name="center_crop", schema=Schema({}), infer=_crop_infer, prefix="crop", inputs=2, functional=_crop_emit,
    dtypes=DTypes(output=first_input),
    label=lambda args, inputs: f"center_crop({', '.join(map(format_size, inputs[1][2:]))})",
    doc="center_crop(x, like): x's spatial dims (2 on) cropped to like's, centred (the larger half of an odd "
        "difference cut at the end), as U-Net crops its skips")

KINDS = declaring_dtypes((PAD, *(_padding_layer(style, module, mode, d) for style, module, mode in _STYLES
                                for d in (1, 2, 3)), CENTER_CROP),
                         {**{f"{style}pad{d}d": NUMERIC for style in ("reflection", "replication") for d in (1, 2, 3)},
                          # the padding holds the value (torch: "value cannot be converted")
                          **{f"constantpad{d}d": DTypes(lambda args, count: (holding(args.value),)) for d in (1, 2, 3)}})
