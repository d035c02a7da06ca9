"""`value`, `record` and `plain`: `@dataclass(frozen=True)`, `@dataclass` and `@dataclass(eq=False, repr=False)`,
made with one compiled method instead of up to six.

`dataclass` compiles each method it generates with `exec` when the class is created — six for a frozen
dataclass — and creating netdsl's classes that way was the largest part of a cold `netdsl check`
(docs/performance.md). A `value` class behaves as the same class under `@dataclass(frozen=True)` does:
the same `__init__` (defaults, `default_factory`, `init=False`, `__post_init__`), repr, equality and hash
(the fields' `repr=`, `compare=` and `hash=` options included, methods the class defines itself kept),
and assigning or deleting an attribute raises `dataclasses.FrozenInstanceError`. Only `__init__` is
compiled, when it is first used; the other methods are closures over the class's field names. A
`record` is the same, mutable and unhashable; a `plain` class has only `__init__`. (Not supported: `InitVar` and `kw_only` fields, which netdsl does not use.)
"""

from __future__ import annotations

import inspect
from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from operator import attrgetter
from reprlib import recursive_repr


def plain(cls: type) -> type:
    """`@dataclass(eq=False, repr=False)`: only `__init__` (instances compare by identity; the repr is the
    class's own)."""
    return _initialised(cls, frozen=False)


def _initialised(cls: type, frozen: bool) -> type:
    documented = bool(cls.__doc__)
    cls.__doc__ = cls.__doc__ or "-"   # dataclass would describe the class by an __init__ it has not got yet
    # Fields, dataclasses.fields/replace and __match_args__ as dataclass makes them, no method compiled.
    cls = dataclass(init=False, repr=False, eq=False)(cls)
    declared = fields(cls)
    if any(f.kw_only is True for f in declared):
        raise TypeError(f"{cls.__name__}: netdsl.records classes have no keyword-only fields")
    _check_order(declared)
    if "__init__" not in cls.__dict__:
        cls.__init__ = _CompiledOnUse(cls, declared, frozen)
    if not documented:
        cls.__doc__ = _description(cls, declared)
    return cls


def _check_order(declared: tuple) -> None:
    """dataclass's error for a field without a default after one with, raised with the class (its
    __init__ is compiled only when first used)."""
    defaulted = False
    for f in (f for f in declared if f.init):
        if f.default is MISSING and f.default_factory is MISSING and defaulted:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        defaulted = defaulted or f.default is not MISSING or f.default_factory is not MISSING


def record(cls: type) -> type:
    """`@dataclass`: mutable, with the repr and `==` of its fields (and so no hash)."""
    return _compared(cls, frozen=False)


def value(cls: type) -> type:
    """`@dataclass(frozen=True)`."""
    return _compared(cls, frozen=True)


def _compared(cls: type, frozen: bool) -> type:
    own = dict(cls.__dict__)
    cls = _initialised(cls, frozen)
    declared = fields(cls)
    names = frozenset(f.name for f in declared)
    if frozen and "__setattr__" not in own:
        cls.__setattr__ = _refuse(cls, names, "assign to", "__setattr__")
    if frozen and "__delattr__" not in own:
        cls.__delattr__ = _refuse(cls, names, "delete", "__delattr__")
    if "__repr__" not in own:
        cls.__repr__ = _repr(tuple(f.name for f in declared if f.repr))
    if "__eq__" not in own:
        cls.__eq__ = _eq(_values(tuple(f.name for f in declared if f.compare)))
    # dataclass's rule: a __hash__ of the class's own is kept, unless it is the None that defining __eq__
    # implies; a frozen class hashes its fields, a mutable one has none
    if "__hash__" not in own or (own["__hash__"] is None and "__eq__" in own):
        cls.__hash__ = (_hash(_values(tuple(f.name for f in declared if (f.compare if f.hash is None else f.hash))))
                        if frozen else None)
    return cls


class _Factory:
    """The default of a parameter whose field has a default_factory."""
    def __repr__(self) -> str:
        return "<factory>"   # as dataclass's signatures show it


_FACTORY = _Factory()


class _CompiledOnUse:
    """A class's `__init__` until it is first looked up — to make an instance, or by inspect.signature —
    when it compiles the real one and puts it in its place: a cold check instantiates about half of the
    classes it imports, and compiling `__init__` is about half of what creating a class costs."""

    def __init__(self, cls: type, declared: tuple, frozen: bool):
        self.made = cls, declared, frozen

    def __get__(self, instance: object, owner: type | None = None):
        cls = self.made[0]
        cls.__init__ = init = _init(*self.made)
        return init if instance is None else init.__get__(instance, owner)


def _init(cls: type, declared: tuple, frozen: bool) -> object:
    """The __init__ dataclass generates, compiled from the same source: a frozen class's sets its fields
    with object.__setattr__."""
    scope = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    params, body = ["self"], []

    def assign(name: str, value: str) -> None:
        body.append(f"_set(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")

    for f in declared:
        if f.default_factory is not MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            if f.init:
                params.append(f"{f.name}=_FACTORY")
                assign(f.name, f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}")
            else:
                assign(f.name, f"_factory_{f.name}()")
        elif f.init:
            if f.default is not MISSING:
                scope[f"_default_{f.name}"] = f.default
                params.append(f"{f.name}=_default_{f.name}")
            else:
                params.append(f.name)
            assign(f.name, f.name)
        # else: init=False with a plain default or none: the class attribute (or nothing) is the value
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    exec(source, scope)   # noqa: S102 — field names only (identifiers), never spec text
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {**{f.name: f.type for f in declared if f.init}, "return": None}
    return init


def _description(cls: type, declared: tuple) -> str:
    """dataclass's docstring for an undocumented class: its name and its __init__'s signature, as
    inspect.signature writes it (written here directly: inspect.signature was a tenth of creating a class)."""
    params = []
    for f in (f for f in declared if f.init):
        default = (" = <factory>" if f.default_factory is not MISSING else
                   "" if f.default is MISSING else f" = {f.default!r}")
        params.append(f"{f.name}: {inspect.formatannotation(f.type)}{default}")
    return f"{cls.__name__}({', '.join(params)})"


def _refuse(cls: type, names: frozenset[str], verb: str, method: str):
    """A frozen dataclass's __setattr__ or __delattr__: refuses its fields, and any name on the class itself."""
    def refuse(self, name, *assigned):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot {verb} field {name!r}")
        getattr(super(cls, self), method)(name, *assigned)
    refuse.__name__ = method
    return refuse


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
