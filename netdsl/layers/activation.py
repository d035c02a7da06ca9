"""Shape-preserving element-wise layers: activations, softmax, dropout, identity."""

from __future__ import annotations

from .. import codes
from ..kinds import LayerKind, Recognise, Role
from ..schema import INT, PROBABILITY, Choice, Field, Float, Schema, format_value
from ..shapes import ShapeError, format_shape, normalize_dim

# ELU and LeakyReLU convert their scalar to the input's dtype (float32), which torch refuses past this.
FLOAT32 = Float(ge=-3.4028234663852886e38, le=3.4028234663852886e38)


def _same_shape(args, inputs):
    return inputs[0]


def _pointwise(name: str, module: str, prefix: str | None = None, role: Role = Role.NONE, calls: tuple[str, ...] = (),
               **fields) -> LayerKind:
    options = tuple(fields)

    def label(args, inputs):
        extras = args.changed(*options)
        return name + ("(" + ", ".join(f"{k}={format_value(v)}" for k, v in extras.items()) + ")" if extras else "")

    return LayerKind(
        name=name, schema=Schema(fields), infer=_same_shape, prefix=prefix or name, positional=options, module=module,
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


def _softmax_kind(name: str, module: str) -> LayerKind:
    def infer(args, inputs):
        normalize_dim(args.dim, len(inputs[0]))
        return inputs[0]

    return LayerKind(
        name=name, schema=Schema({"dim": Field(INT)}), infer=infer, prefix=name, positional=("dim",), module=module,
        module_args=lambda args, inputs: ((), {"dim": args.dim}), label=lambda args, inputs: f"{name}(dim={args.dim})",
        doc=f"torch.{module}; dim is required (torch's implicit dim is deprecated)", role=Role.SQUASH,
        recognise=Recognise(_torch_function(name)))


KINDS = (
    _pointwise("relu", "nn.ReLU", role=Role.ACTIVATION, calls=_torch_function("relu")),
    _pointwise("leaky_relu", "nn.LeakyReLU", role=Role.ACTIVATION, calls=("torch.nn.functional.leaky_relu",),
               negative_slope=Field(FLOAT32, 0.01)),
    _pointwise("elu", "nn.ELU", role=Role.ACTIVATION, calls=("torch.nn.functional.elu",), alpha=Field(FLOAT32, 1.0)),
    _pointwise("gelu", "nn.GELU", role=Role.ACTIVATION, calls=("torch.nn.functional.gelu",),
               approximate=Field(Choice(("none", "tanh")), "none")),
    _pointwise("silu", "nn.SiLU", role=Role.ACTIVATION, calls=("torch.nn.functional.silu",)),
    _pointwise("sigmoid", "nn.Sigmoid", role=Role.SQUASH, calls=_torch_function("sigmoid")),
    _pointwise("tanh", "nn.Tanh", role=Role.SQUASH, calls=_torch_function("tanh")),
    _pointwise("identity", "nn.Identity", prefix="id"),
    _pointwise("dropout", "nn.Dropout", prefix="drop", role=Role.DROPOUT, p=Field(PROBABILITY, 0.5)),
    LayerKind(name="dropout2d", schema=Schema({"p": Field(PROBABILITY, 0.5)}), infer=_dropout2d_infer, prefix="drop",
              positional=("p",), module="nn.Dropout2d", module_args=lambda args, inputs: ((), args.changed("p")),
              label=lambda args, inputs: f"dropout2d(p={args.p})", doc="torch.nn.Dropout2d", role=Role.DROPOUT),
    _softmax_kind("softmax", "nn.Softmax"),
    _softmax_kind("log_softmax", "nn.LogSoftmax"),
)
