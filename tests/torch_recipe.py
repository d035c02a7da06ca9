"""Run a layer kind in PyTorch exactly as the registry describes it: the module built from `module` and
`module_args`, called through `call` (or the `functional` expression). This is the emitted Python the
code generator writes, never spec text, evaluated as generated code would run it."""

from __future__ import annotations

import torch

from netdsl import registry


def resolve(dotted: str):
    """"nn.Conv2d" → torch.nn.Conv2d (names are relative to torch; "torch.nn.X" works too)."""
    target = torch
    for part in dotted.removeprefix("torch.").split("."):
        target = getattr(target, part)
    return target


def run_recipe(kind: registry.LayerKind, args, shapes: tuple, device: str, dtype: torch.dtype = torch.float32):
    """(output tensor, module or None) for zero inputs of the given shapes; torch's exception if it refuses."""
    module = None
    if kind.module is not None:
        positional, keywords = kind.module_args(args, shapes)
        with torch.device(device):
            module = resolve(kind.module)(*positional, **keywords)
    names = tuple(f"x{i}" for i in range(len(shapes)))
    # `self` is the module whose forward the expression is part of (dropout reads self.training).
    scope = {"torch": torch, "F": torch.nn.functional, "m": module, "self": torch.nn.Module(),
             **{n: torch.zeros(s, dtype=dtype, device=device) for n, s in zip(names, shapes)}}
    if kind.functional is not None:
        expression = kind.functional(args, names, shapes)
    elif kind.call is not None:
        expression = kind.call("m", names, args)
    else:
        expression = f"m({', '.join(names)})"
    return eval(expression, scope), module
