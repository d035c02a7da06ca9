"""An example netdsl plugin: two layer kinds registered from outside netdsl.

- `center(dim=-1)`: x - x.mean(dim, keepdim=True); stateless, so it is a `functional` kind whose
  forward expression is written straight into the generated code.
- `dense(out_features, bias=true, freeze=false)`: a linear layer with its own weight and bias. Its
  PyTorch class lives in `netdsl_example_plugin.modules`, which the generated code imports: a plugin
  provides a module's source by naming an importable class, exactly as built-ins name `nn.Linear`.

This file imports no torch, so `netdsl check --plugin netdsl_example_plugin` stays fast.
Load it with `--plugin netdsl_example_plugin`, or install this directory (its pyproject.toml declares
the `netdsl.layers` entry point) and netdsl finds it by itself.
"""

from __future__ import annotations

from pydantic import PositiveInt, create_model

from netdsl.registry import Args, LayerKind, changed, register
from netdsl.shapes import ShapeError, Sym, format_shape, normalize_dim


def _center_infer(args, inputs):
    normalize_dim(args.dim, len(inputs[0]))
    return inputs[0]


register(LayerKind(
    name="center", args=create_model("CenterArgs", __base__=Args, dim=(int, -1)), infer=_center_infer,
    prefix="center", positional=("dim",),
    functional=lambda args, names, inputs: f"{names[0]} - {names[0]}.mean(dim={args.dim}, keepdim=True)",
    label=lambda args, inputs: f"center(dim={args.dim})", doc="x - x.mean(dim, keepdim=True) (example plugin)"))


def _dense_infer(args, inputs):
    (shape,) = inputs
    if not shape or isinstance(shape[-1], Sym):
        raise ShapeError(f"`dense` needs a fixed last dim, but receives {format_shape(shape)}", code="E0405")
    return tuple(shape[:-1]) + (args.out_features,)


def _dense_count(args, inputs) -> int:
    return inputs[0][-1] * args.out_features + (args.out_features if args.bias else 0)


register(LayerKind(
    name="dense",
    args=create_model("DenseArgs", __base__=Args, out_features=(PositiveInt, ...), bias=(bool, True),
                      freeze=(bool, False)),
    infer=_dense_infer, prefix="dense", positional=("out_features", "bias", "freeze"),
    params=lambda args, inputs: 0 if args.freeze else _dense_count(args, inputs),
    frozen_params=lambda args, inputs: _dense_count(args, inputs) if args.freeze else 0,
    macs=lambda args, inputs, output: inputs[0][-1] * args.out_features,
    module="netdsl_example_plugin.modules.Dense",
    module_args=lambda args, inputs: ((inputs[0][-1], args.out_features), changed(args, "bias", "freeze")),
    label=lambda args, inputs: f"dense({inputs[0][-1]}→{args.out_features})",
    doc="a linear layer with its own parameters (example plugin); freeze=true makes them non-trainable"))
