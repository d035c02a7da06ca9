"""max/avg pooling 1d/2d/3d and their adaptive forms."""

from __future__ import annotations

import math
from typing import Optional, Union

from pydantic import NonNegativeInt, PositiveInt, create_model

from ..registry import Args, LayerKind, changed, register
from ..shapes import INT32_MAX, ShapeError, check_window, expand, format_shape, pool_output_size
from . import as_arg, count, spatial_input, times


def _sizes(d: int, element) -> object:
    return Union[element, tuple[(element,) * d]]


def _pool_kind(d: int, mode: str) -> LayerKind:
    name = f"{mode}pool{d}d"
    size = _sizes(d, PositiveInt)
    fields = dict(kernel_size=(size, ...), stride=(Optional[size], None), padding=(_sizes(d, NonNegativeInt), 0))
    if mode == "max":
        fields.update(dilation=(size, 1), ceil_mode=(bool, False))
    else:
        fields.update(ceil_mode=(bool, False), count_include_pad=(bool, True))
        if d > 1:
            fields["divisor_override"] = (Optional[PositiveInt], None)
    arg_model = create_model(f"{mode.title()}Pool{d}dArgs", __base__=Args, **fields)
    options = tuple(fields)[1:]

    def windows(args):
        kernel = expand(args.kernel_size, d)
        stride = expand(args.stride, d) if args.stride is not None else kernel
        dilation = expand(getattr(args, "dilation", 1), d)
        return kernel, stride, expand(args.padding, d), dilation

    def infer(args, inputs):
        (shape,) = inputs
        index = spatial_input(name, shape, d)
        kernel, stride, padding, dilation = windows(args)
        check_window(name, kernel, stride, padding, dilation)
        if any(p > k // 2 for p, k in zip(padding, kernel)):
            raise ShapeError(f"padding {as_arg(padding)} is more than half the kernel size {as_arg(kernel)}",
                             arg="padding", code="E0305",
                             help=f"use padding at most {as_arg(tuple(k // 2 for k in kernel))}")
        spatial = shape[index + 1:]
        if mode == "avg" and d == 3 and any(isinstance(s, int) and s < k for s, k in zip(spatial, kernel)):
            # ATen's avg_pool3d (unlike every other pool) checks the input before padding.
            raise ShapeError(f"`{name}` needs each spatial size of the input {format_shape(shape)} to be at least "
                             f"the kernel size {times(kernel)}, before padding", arg="kernel_size", code="E0406",
                             help="use a smaller kernel or a larger input")
        out = tuple(pool_output_size(*v, args.ceil_mode) for v in zip(spatial, kernel, stride, padding, dilation))
        if name == "maxpool1d" and any(isinstance(o, int) and o > INT32_MAX for o in out):
            # ATen's max_pool1d checks its output length as a 32-bit integer: 2**31 wraps to a negative size.
            raise ShapeError(f"`maxpool1d` output length {times(out)} is more than {INT32_MAX:,}, which PyTorch's "
                             "max_pool1d cannot compute", arg="kernel_size", code="E0414",
                             help="pool a shorter input, or with a larger stride")
        if any(isinstance(o, int) and o < 1 for o in out):
            raise ShapeError(f"output would be empty: a {times(kernel)} window does not fit the input "
                             f"{format_shape(shape)} (output size {times(out)})", arg="kernel_size", code="E0406",
                             help="use a smaller kernel, padding, or ceil_mode=true; or pool earlier less often")
        return shape[:index + 1] + out

    def macs(args, inputs, output):
        # One operation per window element (a compare or an add) for each output element.
        return count(output) * math.prod(expand(args.kernel_size, d))

    def module_args(args, inputs):
        return (args.kernel_size,), changed(args, *options)

    def label(args, inputs):
        extras = changed(args, "stride", "padding", "dilation" if mode == "max" else "count_include_pad", "ceil_mode")
        return f"{name}({times(args.kernel_size)}" + "".join(f", {k} {times(v)}" for k, v in extras.items()) + ")"

    return LayerKind(name=name, args=arg_model, infer=infer, prefix="pool", macs=macs,
                     positional=tuple(fields), aliases={"kernel": "kernel_size"},
                     module=f"nn.{mode.title()}Pool{d}d", module_args=module_args, label=label,
                     doc=f"torch.nn.{mode.title()}Pool{d}d; stride defaults to the kernel size",
                     role="pool", spatial_dims=d)


def _adaptive_kind(d: int, mode: str) -> LayerKind:
    name = f"adaptive_{mode}_pool{d}d"
    # torch takes None (keep the input size) only as an element of a 2d/3d tuple, never alone.
    element = Optional[PositiveInt] if d > 1 else PositiveInt
    arg_model = create_model(f"Adaptive{mode.title()}Pool{d}dArgs", __base__=Args,
                             output_size=(Union[PositiveInt, tuple[(element,) * d]], ...))

    def infer(args, inputs):
        (shape,) = inputs
        index = spatial_input(name, shape, d)
        spatial = shape[index + 1:]
        if any(s == 0 for s in spatial):
            raise ShapeError(f"`{name}` needs non-empty spatial dims, but receives {format_shape(shape)}", code="E0406")
        wanted = expand(args.output_size, d)
        return shape[:index + 1] + tuple(s if w is None else w for s, w in zip(spatial, wanted))

    def macs(args, inputs, output):
        # Each input element is read once per output window covering it; ≈ one op per input element.
        return count(inputs[0])

    return LayerKind(name=name, args=arg_model, infer=infer, prefix="pool", macs=macs, positional=("output_size",),
                     module=f"nn.Adaptive{mode.title()}Pool{d}d",
                     module_args=lambda args, inputs: ((args.output_size,), {}),
                     label=lambda args, inputs: f"{name}({times(args.output_size)})",
                     doc=f"torch.nn.Adaptive{mode.title()}Pool{d}d")


for _d in (1, 2, 3):
    for _mode in ("max", "avg"):
        register(_pool_kind(_d, _mode))
        register(_adaptive_kind(_d, _mode))
