"""Agreement generators: for every registered layer kind, a hypothesis strategy drawing a `Case` —
arguments as a spec would pass them, and input shapes — for test_agreement.py to check against PyTorch.

Draws stay small (sizes ≤ ~10) so that edge cases are common: kernels larger than the input,
outputs of size 0 or below, groups that do not divide, wrong ranks, unbatched inputs.
`variants` then varies any kind's case alike: arguments written positionally, an inferred size written
out, symbolic dims, zero-size dims.
A kind registered without an entry in GENERATORS fails test_every_kind_has_a_generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st
from oracle import Op


class Symbol(str):
    """A symbolic size in a case's shapes (or in a reshape target): `S3` stands for sizes ≥ 2."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Symbol({str(self)!r})"


@dataclass(frozen=True)
class Case:
    args: dict[str, Any]                       # spec argument names → values
    shapes: tuple[tuple[int | Symbol, ...], ...]
    positional: int = 0                        # how many arguments the spec writes positionally

    def __repr__(self) -> str:  # pasteable into an @example
        extra = f", positional={self.positional}" if self.positional else ""
        return f"Case({self.args!r}, {self.shapes!r}{extra})"


# ---------------------------------------------------------------- building blocks

def size(low: int = 1, high: int = 8) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def sizes(d: int, low: int, high: int) -> st.SearchStrategy:
    """An int or a d-tuple of ints, as kernel_size/stride/padding accept."""
    return st.one_of(size(low, high), st.tuples(*[size(low, high)] * d))


def some(draw, **options: st.SearchStrategy) -> dict[str, Any]:
    """Each optional argument is given about half the time (else its default applies)."""
    return {name: draw(strategy) for name, strategy in options.items() if draw(st.booleans())}


def shape(draw, rank_low: int = 0, rank_high: int = 4, low: int = 1, high: int = 6) -> tuple[int, ...]:
    return tuple(draw(st.lists(size(low, high), min_size=rank_low, max_size=rank_high)))


def image(draw, d: int, channels: int, high: int = 9) -> tuple[int, ...]:
    """[N, C, *spatial] or unbatched [C, *spatial]; now and then a wrong rank."""
    rank = draw(st.sampled_from([d + 2] * 4 + [d + 1] * 2 + [d, d + 3]))
    lead = (channels,) if rank == d + 1 else (draw(size(1, 3)), channels)
    if rank == d:
        lead = ()
    if rank == d + 3:
        lead = (draw(size(1, 2)), draw(size(1, 3)), channels)
    return lead + tuple(draw(st.lists(size(1, high), min_size=d, max_size=d)))


def multiple(draw, factor: int) -> int:
    """Usually a multiple of factor (groups that divide), sometimes any size."""
    return draw(size(1, 3)) * factor if draw(st.integers(0, 3)) else draw(size(1, 6))


PADDING_MODES = st.sampled_from(["zeros", "reflect", "replicate", "circular"])
FLOATS = st.floats(-2, 2, allow_nan=False)


# ---------------------------------------------------------------- generators per family

@st.composite
def conv(draw, d: int, transpose: bool = False) -> Case:
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    padding = sizes(d, 0, 3) if transpose else st.one_of(sizes(d, 0, 3), st.sampled_from(["same", "valid"]))
    args = {"out_channels": multiple(draw, groups), "kernel_size": draw(sizes(d, 1, 5)),
            **some(draw, stride=sizes(d, 1, 3), padding=padding, dilation=sizes(d, 1, 3),
                   bias=st.booleans(), padding_mode=PADDING_MODES)}
    if groups > 1:
        args["groups"] = groups
    if transpose:
        args.update(some(draw, output_padding=sizes(d, 0, 2)))
    return Case(args, (image(draw, d, multiple(draw, groups)),))


@st.composite
def pool(draw, d: int, mode: str) -> Case:
    args = {"kernel_size": draw(sizes(d, 1, 4)),
            **some(draw, stride=st.one_of(st.none(), sizes(d, 1, 3)), padding=sizes(d, 0, 2), ceil_mode=st.booleans())}
    if mode == "max":
        args.update(some(draw, dilation=sizes(d, 1, 3)))
    else:
        args.update(some(draw, count_include_pad=st.booleans()))
        if d > 1:
            args.update(some(draw, divisor_override=st.one_of(st.none(), size(1, 3))))
    return Case(args, (image(draw, d, draw(size(1, 3))),))


@st.composite
def adaptive_pool(draw, d: int) -> Case:
    element = st.one_of(size(1, 5), st.none())
    output_size = draw(st.one_of(element, st.tuples(*[element] * d)))
    return Case({"output_size": output_size}, (image(draw, d, draw(size(1, 3)), high=7),))


@st.composite
def linear(draw) -> Case:
    return Case({"out_features": draw(size(1, 6)), **some(draw, bias=st.booleans())}, (shape(draw, 0, 4),))


@st.composite
def batchnorm(draw, d: int) -> Case:
    args = some(draw, eps=st.floats(1e-6, 1e-1), momentum=st.one_of(st.none(), st.floats(0, 1)),
                affine=st.booleans(), track_running_stats=st.booleans())
    ranks = {1: [2, 3], 2: [4], 3: [5]}[d]
    rank = draw(st.sampled_from(ranks * 3 + list(range(1, 7))))
    return Case(args, (shape(draw, rank, rank, high=4),))


@st.composite
def layernorm(draw) -> Case:
    x = shape(draw, 0, 4)
    trailing = draw(st.integers(0, len(x)))
    normalized = x[len(x) - trailing:] if trailing else ()
    if normalized and draw(st.integers(0, 4)) == 0:   # now and then one that does not match
        normalized = normalized[:-1] + (normalized[-1] + 1,)
    args = some(draw, eps=st.floats(1e-6, 1e-1), elementwise_affine=st.booleans(), bias=st.booleans())
    if normalized:
        args["normalized_shape"] = normalized if len(normalized) > 1 or draw(st.booleans()) else normalized[0]
    return Case(args, (x,))


@st.composite
def groupnorm(draw) -> Case:
    groups = draw(size(1, 4))
    x = shape(draw, 0, 4, high=4)
    if len(x) >= 2:
        x = (x[0], multiple(draw, groups)) + x[2:]
    return Case({"num_groups": groups, **some(draw, eps=st.floats(1e-6, 1e-1), affine=st.booleans())}, (x,))


@st.composite
def pointwise(draw, **options: st.SearchStrategy) -> Case:
    return Case(some(draw, **options), (shape(draw, 0, 5, high=4),))


@st.composite
def with_dim(draw, name: str = "dim") -> Case:
    return Case({name: draw(st.integers(-5, 5))}, (shape(draw, 0, 4),))


@st.composite
def flatten(draw) -> Case:
    return Case(some(draw, start_dim=st.integers(-5, 5), end_dim=st.integers(-5, 5)), (shape(draw, 0, 5, high=4),))


@st.composite
def reshape(draw) -> Case:
    x = shape(draw, 0, 4, high=4)
    total = 1
    for s in x:
        total *= s
    # Usually a factorisation of the element count (with at most one -1), sometimes anything.
    target = []
    rest = total
    for _ in range(draw(st.integers(0, 3))):
        factor = draw(st.sampled_from([f for f in range(1, rest + 1) if rest % f == 0]))
        target.append(factor)
        rest //= factor
    target.append(rest)
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    if draw(st.integers(0, 4)) == 0:
        target = draw(st.lists(st.integers(-2, 6), min_size=0, max_size=4))
    return Case({"shape": tuple(draw(st.permutations(target)))}, (x,))


def broadcastable(draw, a: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that usually broadcasts with a: a suffix of it, some dims replaced by 1 (or by anything)."""
    b = list(a[len(a) - draw(st.integers(0, len(a))):])
    for i in range(len(b)):
        b[i] = draw(st.sampled_from([b[i], b[i], 1, draw(size(1, 4))]))
    lead = shape(draw, 0, 2, high=3)
    return tuple(lead + tuple(b)) if draw(st.booleans()) else tuple(b)


@st.composite
def elementwise(draw) -> Case:
    a = shape(draw, 0, 4, high=4)
    scalar = {"scalar": draw(st.one_of(st.integers(-3, 3), FLOATS)), **some(draw, scalar_first=st.booleans())}
    if not draw(st.integers(0, 9)):   # now and then one operand too few or too many
        return draw(st.sampled_from([Case({}, (a,)), Case(scalar, (a, a)), Case({}, (a, a, a))]))
    if draw(st.booleans()):
        b = broadcastable(draw, a)
        return Case({}, (a, b) if draw(st.booleans()) else (b, a))
    return Case(scalar, (a,))


@st.composite
def prelu(draw) -> Case:
    x = shape(draw, 0, 4)
    channels = x[1] if len(x) > 1 else 1
    count = draw(st.sampled_from([1, channels, channels, draw(size(1, 6))]))
    return Case({"num_parameters": count, **some(draw, init=FLOATS)}, (x,))


@st.composite
def instancenorm(draw, d: int) -> Case:
    args = some(draw, eps=st.floats(1e-6, 1e-1), momentum=st.one_of(st.none(), st.floats(0, 1)),
                affine=st.booleans(), track_running_stats=st.booleans())
    return Case(args, (image(draw, d, draw(size(1, 4)), high=3),))


@st.composite
def local_response_norm(draw) -> Case:
    return Case({"size": draw(size(1, 5)), **some(draw, alpha=st.floats(1e-5, 1), beta=st.floats(0, 1),
                                                  k=st.floats(0.5, 2))}, (shape(draw, 0, 5, high=4),))


@st.composite
def clamp(draw) -> Case:
    bound = st.one_of(st.none(), st.integers(-3, 3), FLOATS)
    return Case(some(draw, min=bound, max=bound), (shape(draw, 0, 4, high=4),))


@st.composite
def selection(draw, value: bool) -> Case:
    """where(condition, a, b) and masked_fill(x, mask, value): shapes that mostly broadcast (the oracle's masks
    are boolean tensors)."""
    a = shape(draw, 0, 4, high=4)
    others = tuple(broadcastable(draw, a) for _ in range(1 if value else 2))
    shapes = tuple(draw(st.permutations((a, *others))))
    return Case({"value": draw(st.one_of(st.integers(-3, 3), FLOATS))} if value else {}, shapes)


@st.composite
def cast(draw) -> Case:
    dtypes = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "bool"]
    return Case({"dtype": draw(st.sampled_from(dtypes))}, (shape(draw, 0, 4),), positional=draw(st.integers(0, 1)))


@st.composite
def triangle(draw) -> Case:
    return Case(some(draw, diagonal=st.integers(-4, 4)), (shape(draw, 0, 4, high=4),))


# ---------------------------------------------------------------- the table

GENERATORS: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    **{f"conv{d}d": (lambda d=d: conv(d)) for d in (1, 2, 3)},
    **{f"conv_transpose{d}d": (lambda d=d: conv(d, transpose=True)) for d in (1, 2, 3)},
    **{f"{mode}pool{d}d": (lambda d=d, mode=mode: pool(d, mode)) for d in (1, 2, 3) for mode in ("max", "avg")},
    **{f"adaptive_{mode}_pool{d}d": (lambda d=d: adaptive_pool(d)) for d in (1, 2, 3) for mode in ("max", "avg")},
    "linear": linear,
    **{f"batchnorm{d}d": (lambda d=d: batchnorm(d)) for d in (1, 2, 3)},
    "layernorm": layernorm,
    "groupnorm": groupnorm,
    **{name: pointwise for name in ("relu", "silu", "sigmoid", "tanh", "identity", "relu6", "hardswish", "mish",
                                    "selu", "hardsigmoid", "logsigmoid", "sqrt", "rsqrt", "exp", "log", "abs")},
    "hardtanh": lambda: pointwise(min_val=FLOATS, max_val=FLOATS),
    "softplus": lambda: pointwise(beta=FLOATS, threshold=FLOATS),
    "celu": lambda: pointwise(alpha=st.one_of(st.just(0.0), FLOATS)),
    "prelu": prelu,
    "glu": with_dim,
    **{f"instancenorm{d}d": (lambda d=d: instancenorm(d)) for d in (1, 2, 3)},
    "local_response_norm": local_response_norm,
    "clamp": clamp,
    "where": lambda: selection(value=False),
    "masked_fill": lambda: selection(value=True),
    "tril": triangle,
    "to": cast,
    "triu": triangle,
    "leaky_relu": lambda: pointwise(negative_slope=FLOATS),
    "elu": lambda: pointwise(alpha=FLOATS),
    "gelu": lambda: pointwise(approximate=st.sampled_from(["none", "tanh"])),
    "dropout": lambda: pointwise(p=st.floats(0, 1)),
    "dropout2d": lambda: pointwise(p=st.floats(0, 1)),
    "softmax": with_dim,
    "log_softmax": with_dim,
    "flatten": flatten,
    "reshape": reshape,
    "view": reshape,
    **{name: elementwise for name in ("add", "sub", "mul", "div", "pow", "gt", "ge", "lt", "le", "eq", "ne")},
}

# The graph kinds (issue #3) keep their generators in their own module.
from agreement_graph_generators import GRAPH_GENERATORS

GENERATORS.update(GRAPH_GENERATORS)


# ---------------------------------------------------------------- variants of any kind's case

def leading(positional: tuple[str, ...], args: dict) -> int:
    """How many of the written arguments can be written positionally: the run of them at the start of the
    positional order (a variadic `*shape` is one, spread)."""
    count = 0
    for name in positional:
        if name.lstrip("*") not in args:
            break
        count += 1
    return count


@st.composite
def symbolic(draw, case: Case, op: Op) -> Case:
    """Some dims of size ≥ 2 become symbols; equal sizes share one (`S3`), so that dims that must agree do.
    An argument of sizes (a reshape target) names the same symbols where it has the same sizes."""
    places = [(i, j) for i, shape in enumerate(case.shapes) for j, size in enumerate(shape)
              if isinstance(size, int) and size >= 2]
    if not places or has_symbols(case):
        return case
    chosen = draw(st.sets(st.sampled_from(places), min_size=1))
    shapes = tuple(tuple(Symbol(f"S{size}") if (i, j) in chosen else size for j, size in enumerate(shape))
                   for i, shape in enumerate(case.shapes))
    symbols = {case.shapes[i][j] for i, j in chosen}
    args = dict(case.args)
    if op.sizes and isinstance(args.get(op.sizes), tuple):
        args[op.sizes] = tuple(Symbol(f"S{s}") if s in symbols else s for s in args[op.sizes])
    return replace(case, shapes=shapes, args=args)


def has_symbols(case: Case) -> bool:
    return any(isinstance(size, Symbol) for shape in case.shapes for size in shape)


@st.composite
def zero_size(draw, case: Case) -> Case:
    places = [(i, j) for i, shape in enumerate(case.shapes) for j in range(len(shape))]
    if not places or has_symbols(case):   # a symbol may also stand in the arguments (a reshape target)
        return case
    i, j = draw(st.sampled_from(places))
    shapes = list(case.shapes)
    shapes[i] = shapes[i][:j] + (0,) + shapes[i][j + 1:]
    return replace(case, shapes=tuple(shapes))


@st.composite
def variants(draw, case: Case, op: Op) -> Case:
    """Now and then an inferred size written out (usually the right one), symbolic or zero-size dims; then
    some leading arguments written positionally."""
    args = dict(case.args)
    unwritten = sorted(set(op.inferred) - set(args))
    if unwritten and not draw(st.integers(0, 7)):
        name = draw(st.sampled_from(unwritten))
        size = op.inferred[name](case.shapes)
        args[name] = size + draw(st.sampled_from([0, 0, 0, 1])) if isinstance(size, int) else size
    case = replace(case, args=args)
    form = draw(st.sampled_from(["plain"] * 14 + ["symbolic"] * 5 + ["zero"]))
    if form == "symbolic":
        case = draw(symbolic(case, op))
    elif form == "zero":
        case = draw(zero_size(case))
    return replace(case, positional=draw(st.integers(0, leading(op.positional, args))))
