"""max/avg pooling 1d/2d/3d and their adaptive forms."""

from __future__ import annotations

import math

from .. import codes
from ..dtypes import FLOAT_LAYER, NUMERIC
from ..kinds import LayerKind, Recognise, Role
from ..schema import (
    NON_NEGATIVE,
    POSITIVE,
    Bool,
    Either,
    Field,
    Schema,
    Tuple,
    one_or_tuple,
    optional,
)
from ..shapes import (
    INT32_MAX,
    ShapeError,
    check_window,
    expand,
    format_shape,
    numel,
    pool_output_size,
    require,
)
from ..sizes import at_least
from . import as_arg, declaring_dtypes, spatial_input, times


def _pool_kind(d: int, mode: str) -> LayerKind:
    name = f"{mode}pool{d}d"
    size = one_or_tuple(POSITIVE, d)
    fields = dict(kernel_size=Field(size), stride=Field(optional(size), None),
                  padding=Field(one_or_tuple(NON_NEGATIVE, d), 0))
    if mode == "max":
        fields.update(dilation=Field(size, 1), ceil_mode=Field(Bool(), False))
    else:
        fields.update(ceil_mode=Field(Bool(), False), count_include_pad=Field(Bool(), True))
        if d > 1:
            fields["divisor_override"] = Field(optional(POSITIVE), None)
    options = tuple(fields)[1:]
    # F.max_pool2d also takes return_indices (a tuple result), which must stay False.
    parameters = ", ".join(["input", "kernel_size", *(f"{k}={f.default!r}" for k, f in fields.items() if k in options),
                            *(["return_indices=False"] if mode == "max" else [])])

    def window(args):
        kernel = expand(args.kernel_size, d)
        stride = expand(args.stride, d) if args.stride is not None else kernel
        dilation = expand(args.dilation if mode == "max" else 1, d)
        return kernel, stride, expand(args.padding, d), dilation

    def infer(args, inputs):
        (shape,) = inputs
        index = spatial_input(name, shape, d)
        kernel, stride, padding, dilation = window(args)
        check_window(name, kernel, stride, padding, dilation)
        for p, k in zip(padding, kernel):
            require(at_least(k // 2, p), lambda: ShapeError(
                f"padding {as_arg(padding)} is more than half the kernel size {as_arg(kernel)}", arg="padding",
                code=codes.E0305, help=f"use padding at most {as_arg(tuple(k // 2 for k in kernel))}"))
        spatial = shape[index + 1:]
        if mode == "avg" and d == 3:
            for s, k in zip(spatial, kernel):   # ATen's avg_pool3d (unlike every other pool) checks before padding
                require(at_least(s, k), lambda: ShapeError(
                    f"`{name}` needs each spatial size of the input {format_shape(shape)} to be at least the kernel "
                    f"size {times(kernel)}, before padding", arg="kernel_size", code=codes.E0406,
                    help="use a smaller kernel or a larger input"))
        out = tuple(pool_output_size(*v, args.ceil_mode) for v in zip(spatial, kernel, stride, padding, dilation))
        if name == "maxpool1d" and any(isinstance(o, int) and o > INT32_MAX for o in out):
            # ATen's max_pool1d checks its output length as a 32-bit integer: 2**31 wraps to a negative size.
            raise ShapeError(f"`maxpool1d` output length {times(out)} is more than {INT32_MAX:,}, which PyTorch's "
                             "max_pool1d cannot compute", arg="kernel_size", code=codes.E0425,
                             help="pool a shorter input, or with a larger stride")
        for o in out:
            require(at_least(o, 1), lambda: ShapeError(
                f"output would be empty: a {times(kernel)} window does not fit the input {format_shape(shape)} "
                f"(output size {times(out)})", arg="kernel_size", code=codes.E0406,
                help="use a smaller kernel, padding, or ceil_mode=true; or pool earlier less often"))
        return shape[:index + 1] + out

    def macs(args, inputs, output):
        # One operation per window element (a compare or an add) for each output element.
        return numel(output) * math.prod(expand(args.kernel_size, d))

    def label(args, inputs):
        extras = args.changed("stride", "padding", "dilation" if mode == "max" else "count_include_pad", "ceil_mode")
        return f"{name}({times(args.kernel_size)}" + "".join(f", {k} {times(v)}" for k, v in extras.items()) + ")"

    # torch's order; MaxPool's fifth parameter is return_indices, which a spec does not have: name ceil_mode.
    positional = tuple(fields)[:4] if mode == "max" else tuple(fields)
    return LayerKind(name=name, schema=Schema(fields), infer=infer, prefix="pool", macs=macs,
                     positional=positional, aliases={"kernel": "kernel_size"}, window=window,
                     module=f"nn.{mode.title()}Pool{d}d",
                     module_args=lambda args, inputs: ((args.kernel_size,), args.changed(*options)), label=label,
                     doc=f"torch.nn.{mode.title()}Pool{d}d; stride defaults to the kernel size", role=Role.POOL,
                     recognise=Recognise((f"torch.nn.functional.{mode}_pool{d}d({parameters})",)))


def _adaptive_kind(d: int, mode: str) -> LayerKind:
    name = f"adaptive_{mode}_pool{d}d"
    # torch takes None (keep the input size) only as an element of a 2d/3d tuple, never alone.
    element = optional(POSITIVE) if d > 1 else POSITIVE

    def infer(args, inputs):
        (shape,) = inputs
        index = spatial_input(name, shape, d)
        spatial = shape[index + 1:]
        for s in spatial:
            require(at_least(s, 1), lambda: ShapeError(
                f"`{name}` needs non-empty spatial dims, but receives {format_shape(shape)}", code=codes.E0406))
        wanted = expand(args.output_size, d)
        return shape[:index + 1] + tuple(s if w is None else w for s, w in zip(spatial, wanted))

    def macs(args, inputs, output):
        # Each input element is read once per output window covering it; ≈ one op per input element.
        return numel(inputs[0])

    return LayerKind(name=name, schema=Schema({"output_size": Field(Either((POSITIVE, Tuple(element, d))))}),
                     infer=infer, prefix="pool", macs=macs, positional=("output_size",),
                     module=f"nn.Adaptive{mode.title()}Pool{d}d",
                     module_args=lambda args, inputs: ((args.output_size,), {}),
                     label=lambda args, inputs: f"{name}({times(args.output_size)})",
                     doc=f"torch.nn.Adaptive{mode.title()}Pool{d}d",
                     recognise=Recognise((f"torch.nn.functional.{name}(input, output_size"
                                          + (", return_indices=False)" if mode == "max" else ")"),)))


# Pooling takes floating-point numbers; 2-D/3-D max pooling takes integers too. (Averaging takes int64 but not
# int32, which the class does not tell apart: floating-point only, found by the long run.)
KINDS = declaring_dtypes(tuple(make(d, mode) for d in (1, 2, 3) for mode in ("max", "avg")
                               for make in (_pool_kind, _adaptive_kind)),
                         {name: NUMERIC for name in ("maxpool2d", "maxpool3d")}, default=FLOAT_LAYER)
