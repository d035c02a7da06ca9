"""Built-in layer kinds, one module per family. Each module registers its kinds on import."""

from __future__ import annotations

import math

from ..shapes import Shape, ShapeError, Sym, format_shape

_FAMILIES = ("conv", "pool", "linear", "norm", "activation", "tensor_ops", "combine", "axes", "resample",
             "recurrent", "attention")


def load_all() -> None:
    from importlib import import_module
    for family in _FAMILIES:
        import_module(f"{__name__}.{family}")


def spatial_input(kind: str, shape: Shape, d: int) -> int:
    """Check a `[N, C, *spatial]` or unbatched `[C, *spatial]` input; return the channel index."""
    if len(shape) not in (d + 1, d + 2):
        axes = ", ".join("DHW"[3 - d:])
        raise ShapeError(f"`{kind}` expects a {d + 1}-D or {d + 2}-D input ([C, {axes}] or [N, C, {axes}]), "
                         f"but receives {len(shape)}-D {format_shape(shape)}", code="E0404")
    return len(shape) - d - 1


def fixed_size(kind: str, what: str, size) -> int:
    """A size the layer's weights depend on must be a number, not a symbol."""
    if isinstance(size, Sym):
        raise ShapeError(f"`{kind}` needs a fixed number of {what}, but the input has symbolic size `{size}`",
                         help=f"give the input a fixed {what} count", code="E0405")
    return size


def count(shape: Shape) -> int:
    """Element count with symbolic dims taken as 1: MACs are per sample."""
    return math.prod(d if isinstance(d, int) else 1 for d in shape)


def times(values) -> str:
    """(5, 3) → "5×3"; 5 → "5"."""
    return "×".join(str(v) for v in values) if isinstance(values, tuple) else str(values)


def as_arg(values: tuple) -> str:
    """A tuple written as a spec argument: (1, 1) → "1", (2, 1) → "(2, 1)"."""
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"
