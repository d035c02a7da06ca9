"""Ops that join or divide tensors: concat (cat), stack, chunk, split, unbind, matmul.

chunk, split and unbind return several tensors in torch. Each IR node stays single-output: every
unpacked name (`a, b = x -> chunk(2)`) is its own node with `index` set (the kind's `unpack` hook),
emitted as `torch.chunk(...)[i]`.
"""

from __future__ import annotations

from .. import codes
from ..dtypes import FLOAT_LAYER
from ..kinds import CannotUnpack, LayerKind, Recognise
from ..schema import INT, POSITIVE, Either, Field, Schema, Tuple, optional
from ..shapes import (
    FIX_THE_SIZES,
    ShapeError,
    broadcast,
    check_int64,
    describe_mismatch,
    fixed_size,
    format_shape,
    mismatch_help,
    normalize_dim,
    numel,
    require,
)
from ..sizes import compare, format_size, simpler


def _same_rank(name: str, inputs) -> int:
    ranks = {len(s) for s in inputs}
    if len(ranks) > 1:
        listed = ", ".join(f"{format_shape(s)} ({len(s)}-D)" for s in inputs)
        raise ShapeError(f"`{name}` needs tensors of the same rank, but gets {listed}", code=codes.E0404,
                         help="unsqueeze, flatten or reshape one side so that the ranks agree")
    return ranks.pop()


def _check_equal_outside(name: str, inputs, skip: int | None, what: str) -> None:
    """Every input must equal the first one except at dim `skip`; name every dim that differs (or, for
    symbolic sizes, require them equal)."""
    first = inputs[0]
    for other in inputs[1:]:
        truths = [(d, x, y, compare(x, y)) for d, (x, y) in enumerate(zip(first, other)) if d != skip]

        def error(first=first, other=other, truths=truths) -> ShapeError:
            diffs = [(d, x, y) for d, x, y, truth in truths if truth is not True]
            other_dim = diffs[0][0] if skip is not None and len(diffs) == 1 and \
                compare(first[skip], other[skip]) is True else None
            return ShapeError(f"`{name}` needs {what}, but {format_shape(first)} and {format_shape(other)} "
                              f"differ: {describe_mismatch(diffs)}", code=codes.E0410,
                              help=f"they differ only in dim {other_dim}: join them along dim={other_dim}?"
                              if other_dim is not None else mismatch_help(len(first), diffs))
        if any(truth is False for *_, truth in truths):
            raise error()
        for *_, truth in truths:
            require(truth, error)


def _concat_infer(args, inputs):
    rank = _same_rank("concat", inputs)
    if not rank:
        raise ShapeError("`concat` cannot join 0-D tensors (torch: zero-dimensional tensor cannot be concatenated)",
                         code=codes.E0404, help="use `stack`, or unsqueeze them first")
    dim = normalize_dim(args.dim, rank)
    _check_equal_outside("concat", inputs, dim, f"equal sizes outside dim {dim}")
    total = 0
    for shape in inputs:
        total = total + shape[dim]
    return tuple(total if d == dim else _simplest(inputs, d) for d in range(rank))


def _simplest(inputs, d: int):
    """Sizes required equal at dim d: the one that reads most simply (they are equal where accepted)."""
    chosen = inputs[0][d]
    for shape in inputs[1:]:
        chosen = simpler(chosen, shape[d])
    return chosen


def _stack_infer(args, inputs):
    _same_rank("stack", inputs)
    _check_equal_outside("stack", inputs, None, "tensors of one shape")
    shape = tuple(_simplest(inputs, d) for d in range(len(inputs[0])))
    dim = normalize_dim(args.dim, len(shape) + 1)
    return shape[:dim] + (len(inputs),) + shape[dim:]


def _joiner(name: str, infer, torch_name: str, doc: str, calls: tuple[str, ...] = ()) -> LayerKind:
    return LayerKind(
        name=name, schema=Schema({"dim": Field(INT, 0)}), infer=infer, prefix="stack" if name == "stack" else "cat",
        positional=("dim",), inputs=None,
        functional=lambda args, names, inputs: f"torch.{torch_name}(({', '.join(names)},), dim={args.dim})",
        label=lambda args, inputs: f"{name}({len(inputs)} tensors, dim={args.dim})", doc=doc,
        recognise=Recognise(calls))


# ---------------------------------------------------------------- several outputs
# Each splitting op says how many pieces a dim of n elements gives and the size of piece i, without
# listing them: n may be 2**62.

# torch makes every piece a tensor (about 3 µs and 0.8 kB each, even when one is taken): a dim of 2**62
# elements split by 1 never finishes. netdsl refuses more pieces than this.
MAX_PIECES = 65_536


def _chunk_pieces(args, n: int) -> tuple[int, callable]:
    """torch.chunk: pieces of ⌈n / chunks⌉; there may be fewer than `chunks` of them."""
    if n == 0:
        return args.chunks, lambda i: 0
    check_int64("`chunk`'s piece size, (size + chunks - 1) // chunks,", n + args.chunks - 1)
    step = -(-n // args.chunks)
    return -(-n // step), lambda i: min(step, n - i * step)


def _split_pieces(args, n: int) -> tuple[int, callable]:
    sections = args.split_size_or_sections
    if isinstance(sections, tuple):
        return len(sections), lambda i: sections[i]
    if n == 0:
        return 1, lambda i: 0
    return -(-n // sections), lambda i: min(sections, n - i * sections)


def _unbind_pieces(args, n: int) -> tuple[int, callable]:
    return n, lambda i: 1


def _check_sections(args, n) -> None:
    sections = getattr(args, "split_size_or_sections", None)
    if isinstance(sections, tuple):
        total = sum(sections)
        require(compare(total, n), lambda: ShapeError(
            f"split sections {sections} add up to {total}, but dim {args.dim} has size {format_size(n)}",
            arg="split_size_or_sections", code=codes.E0412, help=f"make the sections add up to {format_size(n)}"))


def _pieces_infer(name: str, pieces, keeps_dim: bool):
    def piece(shape, dim, size):
        return shape[:dim] + ((size,) if keeps_dim else ()) + shape[dim + 1:]

    def listing(shape, dim, count, size_of) -> str:
        shown = [format_shape(piece(shape, dim, size_of(i))) for i in range(min(count, 4))]
        return "(" + ", ".join(shown) + (", ..." if count > 4 else "") + ")"

    def infer(args, inputs):
        (shape,) = inputs
        if not shape:
            raise ShapeError(f"`{name}` needs a tensor with at least one dim, but receives a scalar []",
                             code=codes.E0404)
        dim = normalize_dim(args.dim, len(shape))
        _check_sections(args, shape[dim])
        n = fixed_size(name, f"elements along dim {args.dim}", shape[dim],
                       f"the number of tensors it gives depends on it: {FIX_THE_SIZES}")
        count, size_of = pieces(args, n)
        if count > MAX_PIECES:
            raise ShapeError(f"`{name}` of {format_shape(shape)} would give {count:,} tensors, more than the "
                             f"{MAX_PIECES:,} netdsl allows (torch creates every one of them)", code=codes.E0412,
                             help="split into fewer, larger pieces")
        if args.index is None:
            raise ShapeError(f"`{name}` returns {_tensors(count)} {listing(shape, dim, count, size_of)}",
                             code=codes.E0415, help=f"unpack them: `{', '.join('abcdefgh'[:min(count, 8)])}"
                             f"{', ...' if count > 8 else ''} = x -> {name}(...)`, or take one with index=")
        if args.outputs is not None and args.outputs != count:
            raise ShapeError(f"{args.outputs} names are unpacked, but `{name}` of {format_shape(shape)} gives "
                             f"{_tensors(count)} {listing(shape, dim, count, size_of)}", code=codes.E0318,
                             help=f"unpack {count:,} names, or change the `{name}` arguments to give "
                             f"{args.outputs} pieces")
        if not -count <= args.index < count:
            raise ShapeError(f"index {args.index} is out of range: `{name}` gives {_tensors(count)}", arg="index",
                             code=codes.E0414)
        return piece(shape, dim, size_of(args.index % count))
    return infer


def _tensors(count: int) -> str:
    return f"{count:,} tensor{'' if count == 1 else 's'}"


def _unpack(name: str):
    def unpack(args, count: int):
        if args.index is not None:
            raise CannotUnpack(f"`{name}(..., index={args.index})` takes one piece: drop index= to unpack them all")
        return tuple(args.replace(index=i, outputs=count) for i in range(count))
    return unpack


def _piece_kind(name: str, first: str | None, first_type, pieces, keeps_dim: bool, doc: str) -> LayerKind:
    fields = {first: Field(first_type)} if first else {}
    fields.update(dim=Field(INT, 0), index=Field(optional(INT), None),
                  outputs=Field(optional(POSITIVE), None, internal=True))

    def emit(args, names, inputs):
        leading = f", {getattr(args, first)}" if first else ""
        return f"torch.{name}({names[0]}{leading}, dim={args.dim})[{args.index}]"

    def label(args, inputs):
        leading = f"{getattr(args, first)}, " if first else ""
        return f"{name}({leading}dim={args.dim})[{args.index}]"

    return LayerKind(name=name, schema=Schema(fields), infer=_pieces_infer(name, pieces, keeps_dim), prefix=name,
                     positional=((first,) if first else ()) + ("dim",), unpack=_unpack(name), functional=emit,
                     label=label, doc=doc, recognise=Recognise(
                         (f"torch.{name}", f"Tensor.{name}"),
                         results=lambda path: {"index": path[0]} if len(path) == 1 else None))


# ---------------------------------------------------------------- matmul

def _matmul_infer(args, inputs):
    a, b = inputs
    if not a or not b:
        raise ShapeError(f"`matmul` needs tensors of at least 1 dim, but gets {format_shape(a)} and "
                         f"{format_shape(b)}", code=codes.E0404)
    # torch.matmul: a 1-D left operand is a row [1, n], a 1-D right one a column [n, 1]; both dims are dropped.
    left, right = (a if len(a) > 1 else (1,) + a), (b if len(b) > 1 else b + (1,))

    def error() -> ShapeError:
        def swapped(shape):
            return format_shape(shape[:-2] + (shape[-1], shape[-2]))
        if len(b) > 1 and compare(right[-1], left[-1]) is True:
            advice = f"transpose the second operand: `-> transpose(-2, -1)` makes it {swapped(b)}"
        elif len(a) > 1 and compare(left[-2], right[-2]) is True:
            advice = f"transpose the first operand: `-> transpose(-2, -1)` makes it {swapped(a)}"
        else:
            advice = "check which dims are multiplied: (..., n, k) @ (..., k, m) → (..., n, m)"
        return ShapeError(f"`matmul` of {format_shape(a)} and {format_shape(b)}: the last dim of the first "
                          f"({format_size(left[-1])}) must equal the {'second-to-last' if len(b) > 1 else 'only'} "
                          f"dim of the second ({format_size(right[-2])})", code=codes.E0411, help=advice)
    require(compare(left[-1], right[-2]), error)
    try:
        batch = broadcast(left[:-2], right[:-2])
    except ShapeError as failure:
        raise ShapeError(f"`matmul` batch dims of {format_shape(a)} and {format_shape(b)} do not broadcast: "
                         + failure.message.split(": ", 1)[1], code=codes.E0403) from None
    return batch + (left[-2],) * (len(a) > 1) + (right[-1],) * (len(b) > 1)


MATMUL = LayerKind(
    name="matmul", schema=Schema({}), infer=_matmul_infer, prefix="matmul", inputs=2, operator="@",
    macs=lambda args, inputs, output: numel(output) * inputs[0][-1],
    functional=lambda args, names, inputs: f"torch.matmul({names[0]}, {names[1]})",
    label=lambda args, inputs: "matmul", doc="torch.matmul (also `a @ b`): batch dims broadcast",
    # torch multiplies integer matrices too, but not an integer by a floating one: floating-point only.
    dtypes=FLOAT_LAYER,
    recognise=Recognise(tuple(f"{f}(input, other)" for f in ("torch.matmul", "Tensor.matmul", "operator.matmul"))))

KINDS = (
    _joiner("concat", _concat_infer, "cat", "torch.cat: sizes add up along dim", ("torch.cat", "torch.concat")),
    _joiner("cat", _concat_infer, "cat", "alias of concat"),
    _joiner("stack", _stack_infer, "stack", "torch.stack: equal shapes, a new dim of size len(inputs)",
            ("torch.stack",)),
    _piece_kind("chunk", "chunks", POSITIVE, _chunk_pieces, True,
                "torch.chunk: `a, b, c = x -> chunk(3, dim=-1)`; pieces of ceil(size / chunks)"),
    _piece_kind("split", "split_size_or_sections", Either((POSITIVE, Tuple(POSITIVE))), _split_pieces, True,
                "torch.split: `a, b = x -> split((64, 32), dim=1)`; a size or a tuple of sizes"),
    _piece_kind("unbind", None, None, _unbind_pieces, False,
                "torch.unbind: one tensor per index along dim, that dim removed"),
    MATMUL,
)
