"""Built-in layer kinds, one module per family. Each family module lists its kinds in `KINDS` (plain
data, no registration on import); netdsl.registry collects them through `builtin_kinds`."""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module

from .. import codes
from ..kinds import Inferred
from ..shapes import Shape, ShapeError, fixed_size, format_shape
from ..sizes import Size, at_least, format_size, maximum, symbol_name

_FAMILIES = ("conv", "pool", "padding", "linear", "norm", "activation", "elementwise", "tensor_ops", "combine",
             "axes", "indexing", "reductions", "creation", "resample", "recurrent", "attention")


def builtin_kinds():
    for family in _FAMILIES:
        yield from import_module(f"{__name__}.{family}").KINDS


def declaring_dtypes(kinds: tuple, declared: dict, default=None) -> tuple:
    """A family's kinds with their dtype declarations (netdsl.dtypes: what their inputs may hold, what their
    output holds), from the family's table; kinds it does not list keep `default`, or their own."""
    return tuple(replace(kind, dtypes=declared.get(kind.name, default or kind.dtypes)) for kind in kinds)


def spatial_input(kind: str, shape: Shape, d: int) -> int:
    """Check a `[N, C, *spatial]` or unbatched `[C, *spatial]` input; return the channel index."""
    if len(shape) not in (d + 1, d + 2):
        axes = ", ".join("DHW"[3 - d:])
        raise ShapeError(f"`{kind}` expects a {d + 1}-D or {d + 2}-D input ([C, {axes}] or [N, C, {axes}]), "
                         f"but receives {len(shape)}-D {format_shape(shape)}", code=codes.E0404)
    return len(shape) - d - 1


def least_rank(kind: str, shape: Shape, rank: int, layout: str) -> None:
    """Check an input of at least `rank` dims; `layout` names them in the message ("[N, C, *spatial]")."""
    if len(shape) < rank:
        raise ShapeError(f"`{kind}` expects {layout} (at least {rank}-D), but receives {len(shape)}-D "
                         f"{format_shape(shape)}", code=codes.E0404)


def channels_of(kind: str, field: str, d: int) -> Inferred:
    """`field` (in_channels, num_features) is the channel dim of a [N, C, *d spatial] input."""
    def read(args, inputs):
        shape = inputs[0]
        return fixed_size(kind, "input channels", shape[spatial_input(kind, shape, d)])
    return Inferred(field, read, "input channels")


def times(values) -> str:
    """(5, 3) → "5×3"; 5 → "5"; a sum in parentheses: (H + 1, 3) → "(H + 1)×3"."""
    if not isinstance(values, tuple):
        return format_size(values)
    return "×".join(f"({text})" if " " in text else text for text in map(format_size, values))


def as_arg(values: tuple) -> str:
    """A tuple written as a spec argument: (1, 1) → "1", (2, 1) → "(2, 1)"."""
    if len(set(values)) == 1:
        return format_size(values[0])
    return "(" + ", ".join(map(format_size, values)) + ")"


def minimum(a, b):
    """min(a, b) of two sizes: one of them when that is provably the smaller, else a + b − max(a, b)."""
    if at_least(b, a) is True:
        return a
    if at_least(a, b) is True:
        return b
    return a + b - maximum(a, b)


def input_sizes(names: tuple[str, ...], inputs: tuple[Shape, ...]) -> dict[str, str]:
    """The symbols that are whole dims of the inputs, as generated code reads them: {"N": "x.size(0)"}."""
    spelled: dict[str, str] = {}
    for name, shape in zip(names, inputs):
        for i, d in enumerate(shape):
            symbol = symbol_name(d)
            if symbol is not None:
                spelled.setdefault(symbol, f"{name}.size({i})")
    return spelled


def python_dim(size, spelled: dict[str, str]) -> str:
    """A size in generated code: its symbols read off the inputs where they are dims of one (`spelled`),
    any other symbol by its own name (`N`), which the code generator must define."""
    if not isinstance(size, Size):
        return str(size)
    return format_size(size, {**{s: s for s in size.symbols()}, **spelled})
