"""Element-wise layers: activations (prelu with its weights), softmax, dropout, identity; glu halves a dim."""

from __future__ import annotations

from .. import codes
from ..dtypes import ANY, FLOAT_LAYER, FLOAT_RESULT, FLOATS, NUMBERS, NUMERIC, SAME, DTypes, holding
from ..kinds import LayerKind, Recognise, Role
# Activations convert their constants to the input's dtype (float32): schema.FLOAT32.
from ..schema import FLOAT32, FLOAT32_MAX, FLOAT32_OR_INFINITE, INT, POSITIVE, PROBABILITY, Choice, Field, Schema, format_value
from ..shapes import ShapeError, divides, fixed_size, format_shape, normalize_dim, require
from ..sizes import compare, format_size
from . import declaring_dtypes



def _same_shape(args, inputs):
    return inputs[0]


def _pointwise(name: str, module: str, prefix: str | None = None, role: Role = Role.NONE, infer=_same_shape,
               calls: tuple[str, ...] = (),
               **fields) -> LayerKind:
    options = tuple(fields)

    def label(args, inputs):
        extras = args.changed(*options)
        return name + ("(" + ", ".join(f"{k}={format_value(v)}" for k, v in extras.items()) + ")" if extras else "")

    return LayerKind(
        name=name, schema=Schema(fields), infer=infer, prefix=prefix or name, positional=options, module=module,
        module_args=lambda args, inputs: ((), args.changed(*options)), label=label, doc=f"torch.{module}", role=role,
        recognise=Recognise(calls))


def _dropout2d_infer(args, inputs):
    (shape,) = inputs
    if len(shape) not in (3, 4):
        # torch only warns here and then drops whole elements, not channels: almost always a mistake.
        raise ShapeError(f"`dropout2d` expects a 3-D or 4-D input ([C, H, W] or [N, C, H, W]), but receives "
                         f"{len(shape)}-D {format_shape(shape)}", code=codes.E0404,
                         help="use `dropout` for inputs that are not images")
    return shape


def _torch_function(name: str) -> tuple[str, ...]:
    """The function as torch, torch.nn.functional and a tensor method spell it."""
    return f"torch.{name}", f"torch.nn.functional.{name}", f"Tensor.{name}"


def _functional(name: str) -> tuple[str, ...]:
    return (f"torch.nn.functional.{name}",)


def _softmax_kind(name: str, module: str) -> LayerKind:
    def infer(args, inputs):
        normalize_dim(args.dim, len(inputs[0]))
        return inputs[0]

    return LayerKind(
        name=name, schema=Schema({"dim": Field(INT)}), infer=infer, prefix=name, positional=("dim",), module=module,
        module_args=lambda args, inputs: ((), {"dim": args.dim}), label=lambda args, inputs: f"{name}(dim={args.dim})",
        doc=f"torch.{module}; dim is required (torch's implicit dim is deprecated)", role=Role.SQUASH,
        recognise=Recognise(_torch_function(name)))


def _hardtanh_infer(args, inputs):
    if not args.max_val > args.min_val:
        raise ShapeError(f"`hardtanh` needs max_val ({args.max_val}) greater than min_val ({args.min_val})",
                         arg="max_val", code=codes.E0307, help="swap them, or use distinct bounds")
    return inputs[0]


def _celu_infer(args, inputs):
    # torch divides by alpha in float32: 1 / alpha must be a float32 too ("cannot be converted", found by the long run)
    if abs(args.alpha) < 1 / FLOAT32_MAX:
        raise ShapeError(f"`celu` divides by alpha, so alpha cannot be {'0' if args.alpha == 0 else 'so close to 0'}",
                         arg="alpha", code=codes.E0314,
                         help=f"use an alpha of at least {1 / FLOAT32_MAX:.3g} in size (1.0 by default)")
    return inputs[0]


def _glu_infer(args, inputs):
    (shape,) = inputs
    if not shape:
        raise ShapeError("`glu` halves a dim, but receives a scalar []", code=codes.E0404)
    dim = normalize_dim(args.dim, len(shape))
    require(divides(2, shape[dim]), lambda: ShapeError(
        f"`glu` halves dim {args.dim}, whose size {format_size(shape[dim])} is odd (input {format_shape(shape)})",
        arg="dim", code=codes.E0302, help="glu splits the dim into two equal halves: use a dim of even size"))
    return shape[:dim] + (shape[dim] // 2,) + shape[dim + 1:]


def _prelu_infer(args, inputs):
    (shape,) = inputs
    n = args.num_parameters
    if compare(n, 1) is True:
        return shape
    if not shape:
        raise ShapeError(f"`prelu` with {format_size(n)} parameters needs a channel dim, but receives a scalar []",
                         arg="num_parameters", code=codes.E0404)
    # torch pairs the weights with dim 1; a 1-D input counts as one channel.
    channels = fixed_size("prelu", "channels", shape[1]) if len(shape) >= 2 else 1
    where = "dim 1" if len(shape) >= 2 else "a 1-D input has one"
    require(compare(n, channels), lambda: ShapeError(
        f"`prelu` has {format_size(n)} parameters, one per channel, but the input {format_shape(shape)} has "
        f"{format_size(channels)} channels ({where})", arg="num_parameters", code=codes.E0301,
        inferred=format_size(channels),
        help=f"use num_parameters={format_size(channels)} (one per channel) or 1 (shared)"))
    return shape


PRELU = LayerKind(
    name="prelu", schema=Schema(dict(num_parameters=Field(POSITIVE, 1), init=Field(FLOAT32, 0.25))),
    infer=_prelu_infer, prefix="prelu", positional=("num_parameters", "init"),
    params=lambda args, inputs: args.num_parameters,
    module="nn.PReLU", module_args=lambda args, inputs: ((), args.changed("num_parameters", "init")),
    label=lambda args, inputs: f"prelu({format_size(args.num_parameters)})" if args.num_parameters != 1 else "prelu",
    doc="torch.nn.PReLU: a learnt negative slope, shared (num_parameters=1) or one per channel (dim 1)",
    role=Role.ACTIVATION)

# hardtanh clips integers too, converting its bounds to the input's dtype: an integer tensor holds them or not.
_HARDTANH = DTypes(lambda args, count: (NUMBERS & holding(args.min_val) & holding(args.max_val),))
# Dropout with p=0 returns its input, whatever it holds.
_DROPOUT = DTypes(lambda args, count: (ANY if args.p == 0 else FLOATS,))

KINDS = declaring_dtypes((
    _pointwise("relu", "nn.ReLU", role=Role.ACTIVATION, calls=_torch_function("relu")),
    _pointwise("leaky_relu", "nn.LeakyReLU", role=Role.ACTIVATION, calls=("torch.nn.functional.leaky_relu",),
               negative_slope=Field(FLOAT32, 0.01)),
    _pointwise("elu", "nn.ELU", role=Role.ACTIVATION, calls=("torch.nn.functional.elu",), alpha=Field(FLOAT32, 1.0)),
    _pointwise("gelu", "nn.GELU", role=Role.ACTIVATION, calls=("torch.nn.functional.gelu",),
               approximate=Field(Choice(("none", "tanh")), "none")),
    _pointwise("silu", "nn.SiLU", role=Role.ACTIVATION, calls=("torch.nn.functional.silu",)),
    _pointwise("relu6", "nn.ReLU6", role=Role.ACTIVATION, calls=_functional("relu6")),
    _pointwise("hardtanh", "nn.Hardtanh", role=Role.ACTIVATION, infer=_hardtanh_infer, calls=_functional("hardtanh"),
               min_val=Field(FLOAT32_OR_INFINITE, -1.0), max_val=Field(FLOAT32_OR_INFINITE, 1.0)),
    _pointwise("hardswish", "nn.Hardswish", role=Role.ACTIVATION, calls=_functional("hardswish")),
    _pointwise("mish", "nn.Mish", role=Role.ACTIVATION, calls=_functional("mish")),
    _pointwise("softplus", "nn.Softplus", role=Role.ACTIVATION, calls=_functional("softplus"),
               beta=Field(FLOAT32, 1.0), threshold=Field(FLOAT32, 20.0)),
    _pointwise("selu", "nn.SELU", role=Role.ACTIVATION, calls=_torch_function("selu")[:2]),
    _pointwise("celu", "nn.CELU", role=Role.ACTIVATION, infer=_celu_infer, calls=_torch_function("celu")[:2],
               alpha=Field(FLOAT32, 1.0)),
    PRELU,
    _pointwise("glu", "nn.GLU", infer=_glu_infer, calls=_functional("glu"), dim=Field(INT, -1)),
    _pointwise("sigmoid", "nn.Sigmoid", role=Role.SQUASH, calls=_torch_function("sigmoid")),
    _pointwise("hardsigmoid", "nn.Hardsigmoid", role=Role.SQUASH, calls=_functional("hardsigmoid")),
    _pointwise("logsigmoid", "nn.LogSigmoid", role=Role.SQUASH, calls=_functional("logsigmoid")),
    _pointwise("tanh", "nn.Tanh", role=Role.SQUASH, calls=_torch_function("tanh")),
    _pointwise("identity", "nn.Identity", prefix="id"),
    _pointwise("dropout", "nn.Dropout", prefix="drop", role=Role.DROPOUT, p=Field(PROBABILITY, 0.5)),
    LayerKind(name="dropout2d", schema=Schema({"p": Field(PROBABILITY, 0.5)}), infer=_dropout2d_infer, prefix="drop",
              positional=("p",), module="nn.Dropout2d", module_args=lambda args, inputs: ((), args.changed("p")),
              label=lambda args, inputs: f"dropout2d(p={args.p})", doc="torch.nn.Dropout2d", role=Role.DROPOUT),
    _softmax_kind("softmax", "nn.Softmax"),
    _softmax_kind("log_softmax", "nn.LogSoftmax"),
    # Most compute on floating-point numbers only; these clip integers as well, or give floating-point numbers
    # from any; dropout scales by 1 / (1 - p) in training, which only a floating-point tensor holds.
), {"relu": NUMERIC, "relu6": NUMERIC, "hardtanh": _HARDTANH, "identity": SAME, "sigmoid": FLOAT_RESULT,
    "tanh": FLOAT_RESULT, "dropout": _DROPOUT, "dropout2d": _DROPOUT}, default=FLOAT_LAYER)
