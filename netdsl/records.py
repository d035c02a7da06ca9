"""`value`: `@dataclass(frozen=True)` with its repr, `==` and hash made of shared code.

`dataclass` compiles each method it generates with `exec` when the class is created — six for a frozen
dataclass — and creating netdsl's classes that way was the largest part of a cold `netdsl check`
(docs/performance.md). A `value` class behaves exactly as the same class under `@dataclass(frozen=True)`:
the same repr, equality and hash (the fields' `repr=`, `compare=` and `hash=` options included, methods
the class defines itself kept), but only `__init__`, `__setattr__` and `__delattr__` are compiled; the
other three are closures over the class's field names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from reprlib import recursive_repr


def value(cls: type) -> type:
    cls = dataclass(frozen=True, repr=False, eq=False)(cls)
    own = dict(cls.__dict__)
    if "__repr__" not in own:
        cls.__repr__ = _repr(tuple(f.name for f in fields(cls) if f.repr))
    if "__eq__" not in own:
        cls.__eq__ = _eq(_values(tuple(f.name for f in fields(cls) if f.compare)))
    # dataclass's rule: a __hash__ of the class's own is kept, unless it is the None that defining __eq__ implies
    if "__hash__" not in own or (own["__hash__"] is None and "__eq__" in own):
        cls.__hash__ = _hash(_values(tuple(f.name for f in fields(cls) if (f.compare if f.hash is None else f.hash))))
    return cls


def _values(names: tuple[str, ...]):
    """obj → the tuple of its attributes `names` (what the generated methods compare and hash)."""
    if not names:
        return lambda obj: ()
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)


def _repr(names: tuple[str, ...]):
    @recursive_repr()
    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in names)})"
    return __repr__


def _eq(values):
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented
    return __eq__


def _hash(values):
    def __hash__(self) -> int:
        return hash(values(self))
    return __hash__
