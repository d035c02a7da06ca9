"""netdsl.records.value behaves as @dataclass(frozen=True) does: the same construction, repr, equality,
hash and refusals, on classes shaped as netdsl's are."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from netdsl.records import plain, value


def shapes(decorate):
    """The same class bodies under `decorate`."""
    @decorate
    class Plain:
        name: str
        size: int = 3

    @decorate
    class Options:
        """Documented."""
        items: list = dataclasses.field(default_factory=list)
        spans: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
        unhashed: int = dataclasses.field(default=0, hash=False)
        derived: int = dataclasses.field(init=False, default=7)
        made: tuple = dataclasses.field(init=False, default_factory=tuple)

    @decorate
    class Posted:
        total: int
        doubled: int = dataclasses.field(init=False, repr=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "doubled", self.total * 2)

    @decorate
    class OwnEquality:
        key: str
        other: int = 0

        def __eq__(self, other) -> bool:
            return isinstance(other, OwnEquality) and self.key == other.key

    @decorate
    class OwnHash:
        key: str

        def __hash__(self) -> int:
            return 42

    return Plain, Options, Posted, OwnEquality, OwnHash


def hashed(made):
    try:
        return hash(made)
    except TypeError as error:   # a list among the compared fields
        return str(error)


def observed(cls, *args, **kwargs):
    made = cls(*args, **kwargs)
    again = cls(*args, **kwargs)
    refused = []
    for action in (lambda: setattr(made, "name", 1), lambda: setattr(made, "fresh", 1), lambda: delattr(made, "key")):
        with pytest.raises(dataclasses.FrozenInstanceError) as error:
            action()
        refused.append(str(error.value))
    return (repr(made), made == again, hashed(made) == hashed(again), hashed(made), {f.name: getattr(made, f.name, None) for f in dataclasses.fields(cls)}, refused,
            str(inspect.signature(cls)), [f.name for f in dataclasses.fields(cls)], cls.__match_args__,
            repr(dataclasses.replace(made)) if all(f.init for f in dataclasses.fields(cls)) else None)


CALLS = [((0, "conv2d"), {}), ((0, "conv2d", 5), {}), ((1,), {}), ((1,), {"items": [1], "spans": {"a": 1}, "unhashed": 4}),
         ((2, 21), {}), ((3, "k"), {}), ((3, "k", 2), {}), ((4, "k"), {})]


@pytest.mark.parametrize(("which", "args", "kwargs"), [(c[0], c[1:], k) for c, k in CALLS])
def test_value_classes_behave_as_frozen_dataclasses(which, args, kwargs):
    ours, theirs = shapes(value)[which], shapes(dataclasses.dataclass(frozen=True))[which]
    assert observed(ours, *args, **kwargs) == observed(theirs, *args, **kwargs)
    assert ours.__doc__ == theirs.__doc__


def test_equality_across_classes_and_own_methods():
    Plain, _, _, OwnEquality, OwnHash = shapes(value)
    assert Plain("a") == Plain("a", 3) and Plain("a") != Plain("a", 4) and Plain("a") != ("a", 3)
    assert OwnEquality("k", 1) == OwnEquality("k", 2)
    assert hash(OwnHash("x")) == 42
    with pytest.raises(TypeError):
        Plain()


def test_plain_classes_behave_as_dataclasses_without_eq_and_repr():
    ours, theirs = shapes(plain)[1:3], shapes(dataclasses.dataclass(eq=False, repr=False))[1:3]
    for mine, reference in zip(ours, theirs):
        assert mine.__doc__ == reference.__doc__
        assert str(inspect.signature(mine)) == str(inspect.signature(reference))
    made, reference = ours[1](4), theirs[1](4)
    assert (made.total, made.doubled) == (reference.total, reference.doubled) == (4, 8)
    assert made != ours[1](4)   # identity
    made.total = 5   # not frozen
    options = ours[0]()
    assert (options.items, options.spans, options.unhashed, options.derived, options.made) == ([], {}, 0, 7, ())


@pytest.mark.parametrize("decorate", [value, plain, dataclasses.dataclass])
def test_a_field_without_a_default_after_one_with_is_refused_with_the_class(decorate):
    with pytest.raises(TypeError, match="non-default argument 'size' follows default argument"):
        @decorate
        class Misordered:
            name: str = "x"
            size: int


def test_a_subclass_instantiated_first_compiles_its_base_init_once():
    @value
    class Base:
        name: str

    class Derived(Base):
        pass

    assert Derived("a").name == "a" and Base("b").name == "b"
    assert Base.__dict__["__init__"] is Derived.__init__   # the compiled function, in the base's place
