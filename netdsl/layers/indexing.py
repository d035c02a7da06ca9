"""Indexing and slicing (getitem: `x[:, 0]`, `x[..., 1:-1]`), narrow, and expand.

netdsl rejects a slice or narrow that selects nothing (torch returns an empty tensor): a dim of size 0
is almost always a mistake, and every size in netdsl is at least 1 (E0420).
"""

from __future__ import annotations

from .. import codes
from ..kinds import CannotImport, LayerKind, Recognise, TensorArg
from ..schema import (
    INT,
    POSITIVE,
    Anything,
    Field,
    Int,
    Invalid,
    Schema,
    Tuple,
    Type,
    format_value,
)
from ..shapes import ShapeError, format_shape, normalize_dim, require
from ..sizes import (
    Size,
    SymbolicSizeError,
    at_least,
    broadcasts,
    compare,
    format_size,
    maximum,
    simpler,
)
from . import input_sizes, least_rank, minimum, python_dim
from .axes import methods

# ---------------------------------------------------------------- getitem


class Index(Type):
    """The index of `x[...]`: a tuple with one item per position between the brackets, each
    - an int (or a size): select that position of the dim, which is removed (`x[:, 0]`);
    - a slice, written as the tuple (start, stop, step) with None for an omitted part: `1:-1` is
      (1, -1, None), `::2` is (None, None, 2), `:` is (None, None, None);
    - None: a new dim of size 1 (`x[:, None]`);
    - Ellipsis (`...`): as many `:` as the dims not indexed otherwise (at most one).
    So `x[..., 1:-1]` is (Ellipsis, (1, -1, None)) and `x[0]` is (0,). Steps are positive, as torch's."""

    def accepts_type(self, value) -> bool:
        return isinstance(value, tuple) and all(_item_kind(v) is not None for v in value)

    def validate(self, value):
        if not self.accepts_type(value):
            raise Invalid(f"expects {self.describe()}, got {format_value(value)}")
        if sum(v is Ellipsis for v in value) > 1:
            raise Invalid(f"may use `...` once, but [{index_text(value)}] uses it more than once")
        for item in value:
            step = item[2] if isinstance(item, tuple) else None
            if isinstance(step, int) and step <= 0:
                raise Invalid(f"takes positive slice steps (as torch), got {format_size(step)} in "
                              f"[{index_text(value)}]", hint="flip the tensor instead: x -> flip(dim)")
        return value

    def describe(self, plural: bool = False) -> str:
        return "indices (ints, slices, None or ...)" if plural else "an index (ints, slices, None or ...)"

    def notation(self) -> str:
        return "(int | (start, stop, step) | None | ..., ...)"


def _bound(value) -> bool:
    return value is None or type(value) is int or isinstance(value, Size)


def _item_kind(item) -> str | None:
    if type(item) is int or isinstance(item, Size):
        return "select"
    if item is None:
        return "new"
    if item is Ellipsis:
        return "ellipsis"
    if isinstance(item, tuple) and len(item) == 3 and all(map(_bound, item)):
        return "slice"
    return None


def index_text(index: tuple, spelled: dict[str, str] | None = None) -> str:
    """The index as Python writes it between brackets: `:, 0`, `..., 1:-1`, `None`, `::2`."""
    def bound(value) -> str:
        return "" if value is None else python_dim(value, spelled) if spelled is not None else format_size(value)

    def item_text(item) -> str:
        kind = _item_kind(item)
        if kind == "slice":
            start, stop, step = item
            return f"{bound(start)}:{bound(stop)}" + (f":{bound(step)}" if step is not None else "")
        return {"new": "None", "ellipsis": "..."}.get(kind) or bound(item)
    return ", ".join(map(item_text, index)) if index else "()"


def _non_negative(value, what: str) -> bool:
    """Whether an index or bound counts from the start (else from the end); a symbolic one must say."""
    truth = at_least(value, 0)
    if truth is True or truth is False:
        return truth
    raise SymbolicSizeError(f"whether {what} {format_size(value)} counts from the start or from the end "
                            "depends on the sizes")


def _slice_size(size, item, shape, dim: int):
    """torch's slice: negative bounds count from the end, bounds past either end are clamped; netdsl
    requires at least one element."""
    start, stop, step = item
    step = 1 if step is None else step

    def resolve(bound, default):
        if bound is None:
            return default
        if _non_negative(bound, "the slice bound"):
            return minimum(bound, size)
        return maximum(size + bound, 0)
    first, end = resolve(start, 0), resolve(stop, size)
    require(at_least(end - first, 1), lambda: ShapeError(
        f"the slice {index_text((item,))} of dim {dim} (size {format_size(size)}, input {format_shape(shape)}) "
        f"selects nothing", arg="index", code=codes.E0420,
        help="check the bounds: negative ones count from the end of the dim"))
    return (end - first + step - 1) // step


def _select(size, index, shape, dim: int) -> None:
    def error() -> ShapeError:
        return ShapeError(f"index {format_size(index)} is out of range for dim {dim} of size {format_size(size)} "
                          f"(input {format_shape(shape)})", arg="index", code=codes.E0414,
                          help=f"use an index from {format_size(-size)} to {format_size(size - 1)}")
    if _non_negative(index, "the index"):
        require(at_least(size - 1, index), error)
    else:
        require(at_least(size + index, 0), error)


def _getitem_infer(args, inputs):
    (shape,) = inputs
    index = args.index
    used = sum(_item_kind(item) in ("select", "slice") for item in index)
    if used > len(shape):
        raise ShapeError(f"[{index_text(index)}] indexes {used} dims, but the input {format_shape(shape)} has "
                         f"{len(shape)}", arg="index", code=codes.E0402,
                         help="drop indices, or use `...` for the dims you do not index")
    out, dim = [], 0
    for item in index:
        kind = _item_kind(item)
        if kind == "new":
            out.append(1)
        elif kind == "ellipsis":
            rest = len(shape) - used
            out += shape[dim:dim + rest]
            dim += rest
        elif kind == "select":
            _select(shape[dim], item, shape, dim)
            dim += 1
        else:
            out.append(_slice_size(shape[dim], item, shape, dim))
            dim += 1
    return tuple(out) + tuple(shape[dim:])


def _bind_getitem(arguments: dict):
    """`x[:, :4]` as traced: Python's slices become the (start, stop, step) triples of `index`."""
    key = arguments["key"] if isinstance(arguments["key"], tuple) else (arguments["key"],)
    if any(isinstance(k, TensorArg) for k in key):
        raise CannotImport("indexing with a tensor (`x[mask]`, `x[indices]`): a spec indexes with ints, slices, "
                           "None and `...`")
    return (arguments["input"],), {"index": tuple((k.start, k.stop, k.step) if isinstance(k, slice) else k
                                                  for k in key)}


GETITEM = LayerKind(
    name="getitem", schema=Schema({"index": Field(Index())}), infer=_getitem_infer, prefix="getitem",
    positional=("index",), operator="[]",
    functional=lambda args, names, inputs: f"{names[0]}[{index_text(args.index, input_sizes(names, inputs))}]",
    label=lambda args, inputs: f"[{index_text(args.index)}]",
    doc="x[index] with Python's syntax: ints, slices start:stop:step (negative bounds from the end), None, ...",
    # after `select`, which takes the one-index case: `h[-1]` is `select(0, -1)`
    recognise=Recognise(("operator.getitem(input, key)",), bind=_bind_getitem))


# ---------------------------------------------------------------- narrow

def _narrow_infer(args, inputs):
    (shape,) = inputs
    least_rank("narrow", shape, 1, "a tensor with a dim to narrow")
    dim = normalize_dim(args.dim, len(shape))
    size = shape[dim]
    start = args.start if _non_negative(args.start, "the start") else size + args.start
    require(at_least(start, 0), lambda: ShapeError(
        f"start {format_size(args.start)} is out of range for dim {args.dim} of size {format_size(size)} (input "
        f"{format_shape(shape)})", arg="start", code=codes.E0414,
        help=f"use a start from {format_size(-size)} to {format_size(size - 1)}"))
    require(at_least(size, start + args.length), lambda: ShapeError(
        f"start {format_size(args.start)} + length {format_size(args.length)} exceeds dim {args.dim} of size "
        f"{format_size(size)} (input {format_shape(shape)})", arg="length", code=codes.E0414,
        help="use a shorter length or an earlier start"))
    return shape[:dim] + (args.length,) + shape[dim + 1:]


def _narrow_emit(args, names, inputs):
    spelled = input_sizes(names, inputs)
    return f"{names[0]}.narrow({args.dim}, {python_dim(args.start, spelled)}, {python_dim(args.length, spelled)})"


NARROW = LayerKind(
    name="narrow", schema=Schema(dict(dim=Field(INT), start=Field(Int(symbolic=True)), length=Field(POSITIVE))),
    infer=_narrow_infer, prefix="narrow", positional=("dim", "start", "length"), functional=_narrow_emit,
    label=lambda args, inputs: f"narrow({args.dim}, {format_size(args.start)}, {format_size(args.length)})",
    doc="torch.narrow: `length` elements of dim from `start` (negative: from the end)",
    recognise=Recognise(methods("narrow")))


# ---------------------------------------------------------------- expand

def _is_keep(size) -> bool:
    return type(size) is int and size == -1


def _expands(have, want):
    """Whether a dim of size `have` expands to `want`: it must be 1 or equal (True, False or a Condition)."""
    if type(have) is int and have == 1:
        return True
    truth = compare(have, want)
    if isinstance(have, int) or truth is True or truth is False:
        return truth
    if isinstance(want, int):   # have is 1 or want; with want ≠ 1 that is torch's broadcasting rule
        return compare(have, 1) if want == 1 else broadcasts(have, want)
    raise SymbolicSizeError(f"whether a dim of size {format_size(have)} expands to {format_size(want)} depends "
                            "on the sizes")


def _expand_infer(args, inputs):
    (shape,) = inputs
    sizes = args.sizes
    for size in sizes:
        if not (isinstance(size, Size) or type(size) is int and (size >= 1 or size == -1)):
            raise ShapeError(f"expand sizes are positive integers, symbols or -1 (keep the dim); got "
                             f"{format_value(size)}", arg="sizes", code=codes.E0306)
    new = len(sizes) - len(shape)
    if new < 0 or not sizes:
        raise ShapeError(f"`expand` needs a size for each of the {len(shape)} dims of {format_shape(shape)} (and at "
                         f"least one), but gets {len(sizes)}", arg="sizes", code=codes.E0306,
                         help="use -1 for the dims to keep; expand can only add dims in front")
    if any(map(_is_keep, sizes[:new])):
        raise ShapeError(f"-1 keeps an existing dim, but `expand({', '.join(map(format_size, sizes))})` puts it on "
                         f"a new leading dim of {format_shape(shape)}", arg="sizes", code=codes.E0306,
                         help="give new leading dims their size")
    out = list(sizes[:new])
    for d, (have, want) in enumerate(zip(shape, sizes[new:])):
        if _is_keep(want):
            out.append(have)
            continue
        require(_expands(have, want), lambda d=d, have=have, want=want: ShapeError(
            f"`expand` can only enlarge dims of size 1, but dim {d} of {format_shape(shape)} is {format_size(have)} "
            f"and the size asked is {format_size(want)}", arg="sizes", code=codes.E0403,
            help=f"use -1 (or {format_size(have)}) to keep dim {d}"))
        out.append(simpler(want, have) if compare(have, want) is True else want)
    return tuple(out)


def _expand_emit(args, names, inputs):
    """Kept dims are -1, as a person writes them; other sizes are read off the input where they are its dims."""
    (shape,) = inputs
    spelled = input_sizes(names, inputs)
    new = len(args.sizes) - len(shape)
    written = [python_dim(size, spelled) if d < new or compare(shape[d - new], size) is not True else "-1"
               for d, size in enumerate(args.sizes)]
    return f"{names[0]}.expand({', '.join(written)})"


EXPAND = LayerKind(
    name="expand", schema=Schema({"sizes": Field(Tuple(Anything()))}), infer=_expand_infer, prefix="expand",
    positional=("*sizes",), functional=_expand_emit,
    label=lambda args, inputs: f"expand({', '.join(map(format_size, args.sizes))})",
    doc="torch.Tensor.expand: dims of size 1 enlarged, new dims in front, -1 keeps a dim (no copy)",
    recognise=Recognise(("Tensor.expand",)))

KINDS = (GETITEM, NARROW, EXPAND)
