"""Run a layer kind in PyTorch exactly as the registry describes it: the module built from `module` and
`module_args`, called through `call` (or the `functional` expression). This is the emitted Python the
code generator writes, never spec text, evaluated as generated code would run it."""

from __future__ import annotations

import torch

from netdsl import registry
from netdsl.kinds import nested


def resolve(dotted: str):
    """"nn.Conv2d" → torch.nn.Conv2d (names are relative to torch; "torch.nn.X" works too)."""
    target = torch
    for part in dotted.removeprefix("torch.").split("."):
        target = getattr(target, part)
    return target


def run_recipe(kind: registry.LayerKind, args, shapes: tuple, device: str, dtype: torch.dtype = torch.float32):
    """(output tensor, module or None) for zero inputs of the given shapes; torch's exception if it refuses.
    For a kind with several results, the output is the one a chain continues with (see `results`)."""
    value, module = run_call(kind, args, shapes, device, dtype)
    if kind.results:
        value = results(kind, value)[kind.chosen_result(args)]
    return value, module


def results(kind: registry.LayerKind, value) -> dict:
    """Each result of a kind that gives several, by name, taken from torch's return value by its path."""
    found = {}
    for name, path in kind.result_paths().items():
        found[name] = value
        for index in path:
            found[name] = found[name][index]
    return found


def run_call(kind: registry.LayerKind, args, shapes: tuple, device: str, dtype: torch.dtype = torch.float32):
    """(what the call returns, module or None): a tensor, or a kind's several results nested as torch gives them."""
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
        expression = f"m({nested(kind.grouped(names), str)})"
    return eval(expression, scope), module
