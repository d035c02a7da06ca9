"""Shape-preserving element-wise layers: activations, softmax, dropout, identity."""

from __future__ import annotations

from typing import Literal

from pydantic import confloat, create_model

from ..registry import Args, LayerKind, changed, register
from ..shapes import ShapeError, format_shape, normalize_dim

Probability = confloat(ge=0.0, le=1.0)
# ELU and LeakyReLU convert their scalar to the input's dtype (float32), which torch refuses past this.
Float32 = confloat(ge=-3.4028234663852886e38, le=3.4028234663852886e38)


def _same_shape(args, inputs):
    return inputs[0]


def _pointwise(name: str, module: str, prefix: str | None = None, role: str = "", **fields) -> LayerKind:
    arg_model = create_model(f"{module.split('.')[-1]}Args", __base__=Args, **fields)
    options = tuple(fields)

    def label(args, inputs):
        extras = changed(args, *options)
        return name + ("(" + ", ".join(f"{k}={v}" for k, v in extras.items()) + ")" if extras else "")

    return register(LayerKind(
        name=name, args=arg_model, infer=_same_shape, prefix=prefix or name, positional=options, module=module,
        module_args=lambda args, inputs: ((), changed(args, *options)), label=label, doc=f"torch.{module}",
        role=role))


_pointwise("relu", "nn.ReLU", role="activation")
_pointwise("leaky_relu", "nn.LeakyReLU", role="activation", negative_slope=(Float32, 0.01))
_pointwise("elu", "nn.ELU", role="activation", alpha=(Float32, 1.0))
_pointwise("gelu", "nn.GELU", role="activation", approximate=(Literal["none", "tanh"], "none"))
_pointwise("silu", "nn.SiLU", role="activation")
_pointwise("sigmoid", "nn.Sigmoid", role="squash")
_pointwise("tanh", "nn.Tanh", role="squash")
_pointwise("identity", "nn.Identity", prefix="id")
_pointwise("dropout", "nn.Dropout", prefix="drop", role="dropout", p=(Probability, 0.5))


def _dropout2d_infer(args, inputs):
    (shape,) = inputs
    if len(shape) not in (3, 4):
        # torch only warns here and then drops whole elements, not channels: almost always a mistake.
        raise ShapeError(f"`dropout2d` expects a 3-D or 4-D input ([C, H, W] or [N, C, H, W]), but receives "
                         f"{len(shape)}-D {format_shape(shape)}", code="E0404",
                         help="use `dropout` for inputs that are not images")
    return shape


register(LayerKind(
    name="dropout2d", args=create_model("Dropout2dArgs", __base__=Args, p=(Probability, 0.5)),
    infer=_dropout2d_infer, prefix="drop", positional=("p",), module="nn.Dropout2d",
    module_args=lambda args, inputs: ((), changed(args, "p")),
    label=lambda args, inputs: f"dropout2d(p={args.p})", doc="torch.nn.Dropout2d", role="dropout"))


def _softmax_kind(name: str, module: str) -> LayerKind:
    def infer(args, inputs):
        normalize_dim(args.dim, len(inputs[0]))
        return inputs[0]

    return register(LayerKind(
        name=name, args=create_model(f"{module[3:]}Args", __base__=Args, dim=(int, ...)), infer=infer,
        prefix=name, positional=("dim",), module=module,
        module_args=lambda args, inputs: ((), {"dim": args.dim}),
        label=lambda args, inputs: f"{name}(dim={args.dim})",
        doc=f"torch.{module}; dim is required (torch's implicit dim is deprecated)", role="squash"))


_softmax_kind("softmax", "nn.Softmax")
_softmax_kind("log_softmax", "nn.LogSoftmax")
