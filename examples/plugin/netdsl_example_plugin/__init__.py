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

from netdsl.plugin import (
    INT,
    POSITIVE,
    Bool,
    Field,
    Inferred,
    LayerKind,
    Recognise,
    Schema,
    fixed_size,
    format_size,
    normalize_dim,
    numel,
    optional,
    register,
)


def _center_infer(args, inputs):
    normalize_dim(args.dim, len(inputs[0]))
    return inputs[0]


register(LayerKind(
    name="center", schema=Schema({"dim": Field(INT, -1)}), infer=_center_infer, prefix="center", positional=("dim",),
    functional=lambda args, names, inputs: f"{names[0]} - {names[0]}.mean(dim={args.dim}, keepdim=True)",
    label=lambda args, inputs: f"center(dim={args.dim})", doc="x - x.mean(dim, keepdim=True) (example plugin)"))


def _dense_count(args, inputs) -> int:
    return args.in_features * args.out_features + (args.out_features if args.bias else 0)


# in_features is read off the input (and checked when a spec writes it), as for the built-in `linear`.
register(LayerKind(
    name="dense",
    schema=Schema(dict(out_features=Field(POSITIVE), bias=Field(Bool(), True), freeze=Field(Bool(), False),
                       in_features=Field(optional(POSITIVE), None))),
    infer=lambda args, inputs: tuple(inputs[0][:-1]) + (args.out_features,), prefix="dense",
    positional=("out_features", "bias", "freeze"),
    inferred=(Inferred("in_features", lambda args, inputs: fixed_size("dense", "input features", inputs[0][-1]),
                       "input features"),),
    params=lambda args, inputs: 0 if args.freeze else _dense_count(args, inputs),
    frozen_params=lambda args, inputs: _dense_count(args, inputs) if args.freeze else 0,
    macs=lambda args, inputs, output: numel(output) * args.in_features,
    module="netdsl_example_plugin.modules.Dense",
    module_args=lambda args, inputs: ((args.in_features, args.out_features), args.changed("bias", "freeze")),
    label=lambda args, inputs: f"dense({format_size(args.in_features)}→{format_size(args.out_features)})",
    doc="a linear layer with its own parameters (example plugin); freeze=true makes them non-trainable",
    # For `netdsl import`: Dense keeps its sizes in its weight, not in attributes named like the arguments.
    recognise=Recognise(attributes=lambda module: {"out_features": module.weight.shape[0],
                                                   "freeze": not module.weight.requires_grad})))
