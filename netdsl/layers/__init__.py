"""Built-in layer kinds, one module per family. Each family module lists its kinds in `KINDS` (plain
data, no registration on import); netdsl.registry collects them through `builtin_kinds`."""

from __future__ import annotations

from importlib import import_module

from .. import codes
from ..kinds import Inferred
from ..shapes import Shape, ShapeError, fixed_size, format_shape
from ..sizes import format_size

_FAMILIES = ("conv", "pool", "linear", "norm", "activation", "tensor_ops", "combine", "axes", "resample",
             "recurrent", "attention")


def builtin_kinds():
    for family in _FAMILIES:
        yield from import_module(f"{__name__}.{family}").KINDS


def spatial_input(kind: str, shape: Shape, d: int) -> int:
    """Check a `[N, C, *spatial]` or unbatched `[C, *spatial]` input; return the channel index."""
    if len(shape) not in (d + 1, d + 2):
        axes = ", ".join("DHW"[3 - d:])
        raise ShapeError(f"`{kind}` expects a {d + 1}-D or {d + 2}-D input ([C, {axes}] or [N, C, {axes}]), "
                         f"but receives {len(shape)}-D {format_shape(shape)}", code=codes.E0404)
    return len(shape) - d - 1


def channels_of(kind: str, field: str, d: int) -> Inferred:
    """`field` (in_channels, num_features) is the channel dim of a [N, C, *d spatial] input."""
    def read(args, inputs):
        shape = inputs[0]
        return fixed_size(kind, "input channels", shape[spatial_input(kind, shape, d)])
    return Inferred(field, read, "input channels")


def times(values) -> str:
    """(5, 3) → "5×3"; 5 → "5"."""
    return "×".join(format_size(v) for v in values) if isinstance(values, tuple) else format_size(values)


def as_arg(values: tuple) -> str:
    """A tuple written as a spec argument: (1, 1) → "1", (2, 1) → "(2, 1)"."""
    if len(set(values)) == 1:
        return format_size(values[0])
    return "(" + ", ".join(map(format_size, values)) + ")"
