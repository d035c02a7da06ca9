"""Ops that move, add or remove dims: transpose, permute, unsqueeze, squeeze, select. (Reductions, which
remove dims too, are in reductions.)"""

from __future__ import annotations

from .. import codes
from ..kinds import CannotImport, LayerKind, Recognise, TensorArg
from ..schema import (
    INT,
    Anything,
    Either,
    Field,
    Nothing,
    Schema,
    Tuple,
    format_value,
)
from ..shapes import ShapeError, format_shape, normalize_dim, require
from ..sizes import Size, at_least, format_size


def _transpose_infer(args, inputs):
    (shape,) = inputs
    a = normalize_dim(args.dim0, len(shape), "dim0")
    b = normalize_dim(args.dim1, len(shape), "dim1")
    if not shape:  # torch transposes a 0-D tensor (dims -1 or 0) into itself
        return shape
    out = list(shape)
    if out:
        out[a], out[b] = shape[b], shape[a]
    return tuple(out)


def _permute_infer(args, inputs):
    (shape,) = inputs
    dims = args.dims
    if any(type(d) is not int for d in dims):
        raise ShapeError(f"permute takes dim indices, got {format_value(dims)}", arg="dims", code=codes.E0306)
    if len(dims) != len(shape):
        raise ShapeError(f"`permute` needs one dim per input dim: {len(dims)} given for {len(shape)}-D "
                         f"{format_shape(shape)}", arg="dims", code=codes.E0402)
    resolved = [normalize_dim(d, len(shape), "dims") for d in dims]
    if len(set(resolved)) != len(resolved):
        raise ShapeError(f"permute dims {format_value(dims)} repeat a dim", arg="dims", code=codes.E0402,
                         help=f"list each of 0 to {len(shape) - 1} once")
    return tuple(shape[d] for d in resolved)


def _unsqueeze_infer(args, inputs):
    (shape,) = inputs
    dim = normalize_dim(args.dim, len(shape) + 1)
    return shape[:dim] + (1,) + shape[dim:]


def resolve_dims(dim, shape, arg: str = "dim", empty_is_all: bool = False) -> tuple[int, ...]:
    """The dims an op acts on (None: all of them; `()` too for reductions, as torch), resolved; torch
    rejects a repeated dim."""
    if dim is None or (empty_is_all and dim == ()):
        return tuple(range(len(shape)))
    written = dim if isinstance(dim, tuple) else (dim,)
    dims = tuple(normalize_dim(d, len(shape), arg) for d in written)
    if len(set(dims)) != len(dims):
        raise ShapeError(f"dim {format_value(dim)} names a dim twice", arg=arg, code=codes.E0402)
    return dims


DIMS_OR_NONE = Either((INT, Tuple(INT), Nothing()))


def _squeeze_infer(args, inputs):
    (shape,) = inputs
    # dim -1 or 0 of a 0-D tensor is accepted by torch, which then has nothing to squeeze
    dims = tuple(d for d in resolve_dims(args.dim, shape) if d < len(shape))
    # Like torch, squeezing a dim whose size is not 1 leaves it in place. A symbolic size would be
    # squeezed away when it is 1, changing the rank: the shape is the one for sizes of at least 2.
    for d in dims:
        if isinstance(shape[d], Size):
            require(at_least(shape[d], 2), lambda d=d: ShapeError(
                f"`squeeze` would also remove dim {d} ({format_size(shape[d])}) when it is 1, changing the rank",
                arg="dim", code=codes.E0419, help="squeeze only the dims you mean, e.g. squeeze(dim=...)"))
    return tuple(s for d, s in enumerate(shape) if not (d in dims and type(s) is int and s == 1))


def _dim_text(args) -> str:
    return "" if args.dim is None else f"dim={format_value(args.dim)}"


def _select_infer(args, inputs):
    (shape,) = inputs
    if not shape:
        raise ShapeError("`select` needs a tensor with at least one dim, but receives a scalar []", code=codes.E0404)
    dim = normalize_dim(args.dim, len(shape))
    size = shape[dim]

    def error() -> ShapeError:
        return ShapeError(f"index {args.index} is out of range for dim {args.dim} of size {format_size(size)} "
                          f"(input {format_shape(shape)})", arg="index", code=codes.E0414)
    require(at_least(size - 1, args.index), error)
    require(at_least(size + args.index, 0), error)
    return shape[:dim] + shape[dim + 1:]


def _bind_index(arguments: dict) -> tuple[tuple[TensorArg, ...], dict]:
    """torch.select(x, dim, index), and `x[i]` or `x[:, i]`: one index along one dim, full slices before it."""
    if "key" not in arguments:
        return (arguments["input"],), {"dim": arguments["dim"], "index": arguments["index"]}
    key = arguments["key"] if isinstance(arguments["key"], tuple) else (arguments["key"],)
    *before, index = key
    if type(index) is not int or any(k != slice(None) for k in before):
        raise CannotImport(f"indexing with [{', '.join(map(_index_text, key))}]: a spec can take one index along one "
                           f"dim (`select(dim, index)`)")
    return (arguments["input"],), {"dim": len(before), "index": index}


def _index_text(key) -> str:
    if isinstance(key, slice):
        return ":".join("" if v is None else str(v) for v in (key.start, key.stop)) + \
            (f":{key.step}" if key.step is not None else "")
    return "..." if key is Ellipsis else str(key)


def methods(name: str) -> tuple[str, ...]:
    """The function as torch spells it and as a tensor method."""
    return f"torch.{name}", f"Tensor.{name}"


KINDS = (
    LayerKind(name="transpose", schema=Schema(dict(dim0=Field(INT), dim1=Field(INT))), infer=_transpose_infer,
              prefix="transpose", positional=("dim0", "dim1"),
              functional=lambda args, names, inputs: f"{names[0]}.transpose({args.dim0}, {args.dim1})",
              label=lambda args, inputs: f"transpose({args.dim0}, {args.dim1})", doc="torch.transpose: swap two dims",
              recognise=Recognise(methods("transpose"))),
    LayerKind(name="permute", schema=Schema({"dims": Field(Tuple(Anything()))}), infer=_permute_infer, prefix="permute",
              positional=("*dims",),
              functional=lambda args, names, inputs: f"{names[0]}.permute({', '.join(map(str, args.dims))})",
              label=lambda args, inputs: f"permute({', '.join(map(str, args.dims))})",
              doc="torch.permute: reorder dims", recognise=Recognise(methods("permute"))),
    LayerKind(name="unsqueeze", schema=Schema({"dim": Field(INT)}), infer=_unsqueeze_infer, prefix="unsqueeze",
              positional=("dim",), functional=lambda args, names, inputs: f"{names[0]}.unsqueeze({args.dim})",
              label=lambda args, inputs: f"unsqueeze({args.dim})", doc="torch.unsqueeze: insert a dim of size 1",
              recognise=Recognise(methods("unsqueeze"))),
    LayerKind(name="squeeze", schema=Schema({"dim": Field(DIMS_OR_NONE, None)}), infer=_squeeze_infer,
              prefix="squeeze", positional=("dim",),
              functional=lambda args, names, inputs: f"{names[0]}.squeeze({'' if args.dim is None else args.dim})",
              label=lambda args, inputs: f"squeeze({_dim_text(args)})", doc="torch.squeeze: drop dims of size 1",
              recognise=Recognise(methods("squeeze"))),
    LayerKind(name="select", schema=Schema(dict(dim=Field(INT), index=Field(INT))), infer=_select_infer,
              prefix="select", positional=("dim", "index"),
              functional=lambda args, names, inputs: f"{names[0]}.select({args.dim}, {args.index})",
              label=lambda args, inputs: f"select({args.dim}, {args.index})",
              doc="torch.select: one index along dim, that dim removed (select(0, -1): the last layer's hidden state)",
              recognise=Recognise((*methods("select"), "operator.getitem(input, key)"), bind=_bind_index)),
)
