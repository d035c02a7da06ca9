"""Ops that join or divide tensors: concat (cat), stack, chunk, split, unbind, matmul.

chunk, split and unbind return several tensors in torch. Each IR node stays single-output: every
unpacked name (`a, b = x -> chunk(2)`) is its own node with `index` set, emitted as `torch.chunk(...)[i]`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional, Union

from pydantic import PositiveInt, create_model

from ..registry import Args, LayerKind, register
from ..shapes import (
    ShapeError,
    Sym,
    broadcast,
    check_int64,
    describe_mismatch,
    format_shape,
    mismatch_help,
    normalize_dim,
)
from . import fixed_size


def _total(sizes) -> int | Sym:
    """Sum of sizes along the concatenated dim; symbolic when any size is (H+H, C+64)."""
    number = sum(s for s in sizes if isinstance(s, int))
    symbols = [str(s) for s in sizes if isinstance(s, Sym)]
    return Sym("+".join(symbols + ([str(number)] if number else []))) if symbols else number


def _same_rank(name: str, inputs) -> int:
    ranks = {len(s) for s in inputs}
    if len(ranks) > 1:
        listed = ", ".join(f"{format_shape(s)} ({len(s)}-D)" for s in inputs)
        raise ShapeError(f"`{name}` needs tensors of the same rank, but gets {listed}", code="E0404",
                         help="unsqueeze, flatten or reshape one side so that the ranks agree")
    return ranks.pop()


def _check_equal_outside(name: str, inputs, skip: int | None, what: str) -> None:
    """Every input must equal the first one except at dim `skip`; name every dim that differs."""
    first = inputs[0]
    for other in inputs[1:]:
        diffs = [(d, x, y) for d, (x, y) in enumerate(zip(first, other)) if d != skip and x != y]
        if diffs:
            raise ShapeError(f"`{name}` needs {what}, but {format_shape(first)} and {format_shape(other)} "
                             f"differ: {describe_mismatch(diffs)}", code="E0410",
                             help=mismatch_help(len(first), diffs))


def _concat_infer(args, inputs):
    rank = _same_rank("concat", inputs)
    if not rank:
        raise ShapeError("`concat` cannot join 0-D tensors (torch: zero-dimensional tensor cannot be concatenated)",
                         code="E0404", help="use `stack`, or unsqueeze them first")
    dim = normalize_dim(args.dim, rank)
    _check_equal_outside("concat", inputs, dim, f"equal sizes outside dim {dim}")
    return inputs[0][:dim] + (_total([s[dim] for s in inputs]),) + inputs[0][dim + 1:]


def _stack_infer(args, inputs):
    _same_rank("stack", inputs)
    _check_equal_outside("stack", inputs, None, "tensors of one shape")
    shape = inputs[0]
    dim = normalize_dim(args.dim, len(shape) + 1)
    return shape[:dim] + (len(inputs),) + shape[dim:]


def _joiner(torch_name: str):
    def emit(args, names, inputs):
        return f"torch.{torch_name}(({', '.join(names)},), dim={args.dim})"
    return emit


_DimArgs = create_model("DimArgs", __base__=Args, dim=(int, 0))
for _name, _infer, _doc in (("concat", _concat_infer, "torch.cat: sizes add up along dim"),
                            ("cat", _concat_infer, "alias of concat"),
                            ("stack", _stack_infer, "torch.stack: equal shapes, a new dim of size len(inputs)")):
    register(LayerKind(
        name=_name, args=_DimArgs, infer=_infer, prefix="cat" if _name != "stack" else "stack",
        positional=("dim",), inputs=None, functional=_joiner("stack" if _name == "stack" else "cat"),
        label=lambda args, inputs, _n=_name: f"{_n}({len(inputs)} tensors, dim={args.dim})", doc=_doc))


# ---------------------------------------------------------------- several outputs

# torch makes every piece a tensor (about 3 µs and 0.8 kB each, even when one is taken): a dim of 2**62
# elements split by 1 never finishes. netdsl refuses more pieces than this.
MAX_PIECES = 65_536


class _EqualPieces(Sequence):
    """`count` pieces of `step` elements, the last one holding what is left of n: computed on access,
    never listed (a dim may have 2**62 elements)."""

    def __init__(self, n: int, step: int, count: int):
        self.n, self.step, self.count = n, step, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        return min(self.step, self.n - range(self.count)[index] * self.step)


def _chunk_sizes(args, n: int) -> Sequence[int]:
    """torch.chunk: pieces of ceil(n / chunks); there may be fewer than `chunks` of them."""
    check_int64("`chunk`'s piece size, (size + chunks - 1) // chunks,", n + args.chunks - 1)
    step = -(-n // args.chunks)
    return _EqualPieces(n, step, -(-n // step)) if n else _EqualPieces(0, 0, args.chunks)


def _split_sizes(args, n: int) -> Sequence[int]:
    if isinstance(args.split_size_or_sections, tuple):
        if sum(args.split_size_or_sections) != n:
            raise ShapeError(f"split sections {args.split_size_or_sections} add up to "
                             f"{sum(args.split_size_or_sections)}, but dim {args.dim} has size {n}",
                             arg="split_size_or_sections", code="E0412",
                             help=f"make the sections add up to {n}")
        return args.split_size_or_sections
    step = args.split_size_or_sections
    return _EqualPieces(n, step, -(-n // step)) if n else _EqualPieces(0, step, 1)


def _unbind_sizes(args, n: int) -> Sequence[int]:
    return _EqualPieces(n, 1, n)


def _pieces_infer(name: str, sizes, keeps_dim: bool):
    def infer(args, inputs):
        (shape,) = inputs
        if not shape:
            raise ShapeError(f"`{name}` needs a tensor of at least 1 dim, but receives a 0-D tensor []", code="E0404")
        dim = normalize_dim(args.dim, len(shape))
        n = fixed_size(name, f"elements along dim {args.dim}", shape[dim])
        pieces = sizes(args, n)
        if len(pieces) > MAX_PIECES:
            raise ShapeError(f"`{name}` of {format_shape(shape)} would give {len(pieces):,} tensors, more than the "
                             f"{MAX_PIECES:,} netdsl allows (torch creates every one of them)", code="E0412",
                             help="split into fewer, larger pieces")
        if args.index is None:
            raise ShapeError(f"`{name}` returns {len(pieces)} tensors {_piece_list(shape, dim, pieces, keeps_dim)}",
                             code="E0412", help=f"unpack them: `{', '.join('abcdefgh'[:min(len(pieces), 8)])}"
                             f"{', ...' if len(pieces) > 8 else ''} = x -> {name}(...)`, or take one with index=")
        if args.outputs is not None and args.outputs != len(pieces):
            raise ShapeError(f"{args.outputs} names are unpacked, but `{name}` of {format_shape(shape)} gives "
                             f"{len(pieces)} tensors {_piece_list(shape, dim, pieces, keeps_dim)}", code="E0412",
                             help=f"unpack {len(pieces)} names, or change the `{name}` arguments to give "
                             f"{args.outputs} pieces")
        if not -len(pieces) <= args.index < len(pieces):
            raise ShapeError(f"index {args.index} is out of range: `{name}` gives {len(pieces)} tensors",
                             arg="index", code="E0402")
        return _piece(shape, dim, pieces[args.index], keeps_dim)
    return infer


def _piece(shape, dim: int, size: int, keeps_dim: bool):
    return shape[:dim] + ((size,) if keeps_dim else ()) + shape[dim + 1:]


def _piece_list(shape, dim, pieces, keeps_dim) -> str:
    shown = [format_shape(_piece(shape, dim, p, keeps_dim)) for p in pieces[:4]]
    return "(" + ", ".join(shown) + (", ..." if len(pieces) > 4 else "") + ")"


def _piece_kind(name: str, first: str | None, first_type, sizes, keeps_dim: bool, torch_call: str, doc: str):
    fields = {first: (first_type, ...)} if first else {}
    fields.update(dim=(int, 0), index=(Optional[int], None), outputs=(Optional[PositiveInt], None))
    positional = ((first,) if first else ()) + ("dim",)

    def emit(args, names, inputs):
        leading = f", {getattr(args, first)}" if first else ""
        return f"torch.{torch_call}({names[0]}{leading}, dim={args.dim})[{args.index}]"

    def label(args, inputs):
        leading = f"{getattr(args, first)}, " if first else ""
        return f"{name}({leading}dim={args.dim})[{args.index}]"

    register(LayerKind(
        name=name, args=create_model(f"{name.title()}Args", __base__=Args, **fields),
        infer=_pieces_infer(name, sizes, keeps_dim), prefix=name, positional=positional, multi_output=True,
        functional=emit, label=label, doc=doc))


_piece_kind("chunk", "chunks", PositiveInt, _chunk_sizes, True, "chunk",
            "torch.chunk: `a, b, c = x -> chunk(3, dim=-1)`; pieces of ceil(size / chunks)")
_piece_kind("split", "split_size_or_sections", Union[PositiveInt, tuple[PositiveInt, ...]], _split_sizes, True,
            "split", "torch.split: `a, b = x -> split((64, 32), dim=1)`; a size or a tuple of sizes")
_piece_kind("unbind", None, None, _unbind_sizes, False, "unbind",
            "torch.unbind: one tensor per index along dim, that dim removed")


# ---------------------------------------------------------------- matmul

def _matmul_infer(args, inputs):
    a, b = inputs
    if not a or not b:
        raise ShapeError(f"`matmul` needs tensors of at least 1 dim, but gets {format_shape(a)} and "
                         f"{format_shape(b)}", code="E0404")
    # torch.matmul: a 1-D left operand is a row [1, n], a 1-D right one a column [n, 1]; both dims are dropped.
    left, right = (a if len(a) > 1 else (1,) + a), (b if len(b) > 1 else b + (1,))
    if left[-1] != right[-2]:
        transposed = " -> transpose(-2, -1)" if len(b) > 1 and right[-1] == left[-1] else ""
        raise ShapeError(f"`matmul` of {format_shape(a)} and {format_shape(b)}: the last dim of the first "
                         f"({left[-1]}) must equal the {'second-to-last' if len(b) > 1 else 'only'} dim of the "
                         f"second ({right[-2]})", code="E0411",
                         help=f"transpose the second operand (`k{transposed}`)" if transposed else
                         "check which dims are multiplied: (..., n, k) @ (..., k, m) → (..., n, m)")
    try:
        batch = broadcast(left[:-2], right[:-2])
    except ShapeError as error:
        raise ShapeError(f"`matmul` batch dims of {format_shape(a)} and {format_shape(b)} do not broadcast: "
                         + error.message.split(": ", 1)[1], code="E0403") from None
    return batch + (left[-2],) * (len(a) > 1) + (right[-1],) * (len(b) > 1)


def _matmul_macs(args, inputs, output):
    a = inputs[0]
    return math.prod(d for d in output if isinstance(d, int)) * (a[-1] if isinstance(a[-1], int) else 1)


register(LayerKind(
    name="matmul", args=create_model("MatmulArgs", __base__=Args), infer=_matmul_infer, prefix="matmul", inputs=2,
    macs=_matmul_macs, functional=lambda args, names, inputs: f"torch.matmul({names[0]}, {names[1]})",
    label=lambda args, inputs: "matmul", doc="torch.matmul (also `a @ b`): batch dims broadcast"))
