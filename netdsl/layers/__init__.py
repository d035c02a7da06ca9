"""Built-in layer kinds, one module per family. Each family module lists its kinds in `KINDS` (plain
data, no registration on import); netdsl.registry collects them through `family_kinds`, a family when
one of its kinds is first looked up (`kind_index` says which)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib import import_module

from .. import codes
from ..kinds import Inferred
from ..shapes import Shape, ShapeError, fixed_size, format_shape
from ..sizes import Size, at_least, format_size, maximum, symbol_name

FAMILIES = ("conv", "pool", "padding", "linear", "norm", "activation", "elementwise", "tensor_ops", "combine",
            "axes", "indexing", "reductions", "creation", "resample", "recurrent", "attention")


def family_kinds(family: str) -> tuple:
    return import_module(f"{__name__}.{family}").KINDS


def kind_index() -> dict[str, tuple[str, str | None]]:
    """Every built-in kind's name → (its family, its operator), in the order of FAMILIES (the first family
    declaring a name has it). It is derived from the families, never written: cached in the temp directory
    under the hash of the families' sources, as Lark caches an analysed grammar, and made again by importing
    every family whenever one of them changes — so adding a kind still touches only its family's module."""
    cache = _index_cache()
    if cache is not None:
        try:
            with open(cache, encoding="utf-8") as stream:
                return _read_index(stream.read())
        except (OSError, ValueError):
            pass
    index: dict[str, tuple[str, str | None]] = {}
    for family in FAMILIES:
        for kind in family_kinds(family):
            index.setdefault(kind.name, (family, kind.operator))
    if cache is not None:
        written = "".join(f"{name}\t{family}\t{operator or ''}\n" for name, (family, operator) in index.items())
        partial = f"{cache}.{os.getpid()}"
        try:
            with open(partial, "w", encoding="utf-8") as stream:
                stream.write(written)
            os.replace(partial, cache)   # whole or not at all, for a check running beside this one
        except OSError:
            pass   # a read-only temp directory: every start imports all families, as before there was a cache
    return index


def _index_cache() -> str | None:
    digest = hashlib.sha256()
    try:
        for module in ("__init__", *FAMILIES):
            with open(os.path.join(os.path.dirname(__file__), f"{module}.py"), "rb") as source:
                digest.update(source.read())
    except OSError:
        return None
    return os.path.join(tempfile.gettempdir(), f".netdsl-kinds-{digest.hexdigest()[:32]}")


def _read_index(text: str) -> dict[str, tuple[str, str | None]]:
    index = {}
    for line in text.splitlines():
        name, family, operator = line.split("\t")
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}")
        index[name] = (family, operator or None)
    if not index:
        raise ValueError("empty kind index")
    return index


def declaring_dtypes(kinds: tuple, declared: dict, default=None) -> tuple:
    """A family's kinds with their dtype declarations (netdsl.dtypes: what their inputs may hold, what their
    output holds), from the family's table; kinds it does not list keep `default`, or their own."""
    return tuple(_with_dtypes(kind, declared.get(kind.name, default or kind.dtypes)) for kind in kinds)


def _with_dtypes(kind, dtypes):
    """`dataclasses.replace(kind, dtypes=dtypes)` for a kind just made (no cached property computed yet),
    without passing its 30 fields through `__init__` again: a sixth of importing a family."""
    copied = object.__new__(type(kind))
    copied.__dict__.update(kind.__dict__, dtypes=dtypes)
    return copied


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
