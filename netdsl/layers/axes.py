"""Ops that move, add or remove dims: transpose, permute, unsqueeze, squeeze, select, mean/sum/max."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import create_model

from ..registry import Args, LayerKind, register
from ..shapes import ShapeError, format_shape, normalize_dim
from . import count


def _transpose_infer(args, inputs):
    (shape,) = inputs
    a = normalize_dim(args.dim0, len(shape), "dim0")
    b = normalize_dim(args.dim1, len(shape), "dim1")
    if not shape:  # torch transposes a 0-D tensor (dims -1 or 0) into itself
        return shape
    out = list(shape)
    out[a], out[b] = shape[b], shape[a]
    return tuple(out)


register(LayerKind(
    name="transpose", args=create_model("TransposeArgs", __base__=Args, dim0=(int, ...), dim1=(int, ...)),
    infer=_transpose_infer, prefix="transpose", positional=("dim0", "dim1"),
    functional=lambda args, names, inputs: f"{names[0]}.transpose({args.dim0}, {args.dim1})",
    label=lambda args, inputs: f"transpose({args.dim0}, {args.dim1})", doc="torch.transpose: swap two dims"))


def _permute_infer(args, inputs):
    (shape,) = inputs
    dims = args.dims
    if any(not isinstance(d, int) or isinstance(d, bool) for d in dims):
        raise ShapeError(f"permute takes dim indices, got {dims}", arg="dims", code="E0306")
    if len(dims) != len(shape):
        raise ShapeError(f"`permute` needs one dim per input dim: {len(dims)} given for {len(shape)}-D "
                         f"{format_shape(shape)}", arg="dims", code="E0402")
    resolved = [normalize_dim(d, len(shape), "dims") for d in dims]
    if len(set(resolved)) != len(resolved):
        raise ShapeError(f"permute dims {dims} repeat a dim", arg="dims", code="E0402",
                         help=f"list each of 0 to {len(shape) - 1} once")
    return tuple(shape[d] for d in resolved)


register(LayerKind(
    name="permute", args=create_model("PermuteArgs", __base__=Args, dims=(tuple[Any, ...], ...)),
    infer=_permute_infer, prefix="permute", positional=("*dims",),
    functional=lambda args, names, inputs: f"{names[0]}.permute({', '.join(map(str, args.dims))})",
    label=lambda args, inputs: f"permute({', '.join(map(str, args.dims))})", doc="torch.permute: reorder dims"))


def _unsqueeze_infer(args, inputs):
    (shape,) = inputs
    dim = normalize_dim(args.dim, len(shape) + 1)
    return shape[:dim] + (1,) + shape[dim:]


register(LayerKind(
    name="unsqueeze", args=create_model("UnsqueezeArgs", __base__=Args, dim=(int, ...)), infer=_unsqueeze_infer,
    prefix="unsqueeze", positional=("dim",),
    functional=lambda args, names, inputs: f"{names[0]}.unsqueeze({args.dim})",
    label=lambda args, inputs: f"unsqueeze({args.dim})", doc="torch.unsqueeze: insert a dim of size 1"))


def _dims(args, shape, arg: str = "dim") -> tuple[int, ...]:
    """The dims an op acts on (None: all of them), resolved; torch rejects a repeated dim."""
    if args.dim is None:
        return tuple(range(len(shape)))
    written = args.dim if isinstance(args.dim, tuple) else (args.dim,)
    dims = tuple(normalize_dim(d, len(shape), arg) for d in written)
    if len(set(dims)) != len(dims):
        raise ShapeError(f"dim {args.dim} names a dim twice", arg=arg, code="E0402")
    return dims


_DimsOrNone = Optional[int | tuple[int, ...]]


def _squeeze_infer(args, inputs):
    (shape,) = inputs
    dims = _dims(args, shape)
    # Like torch, squeezing a dim whose size is not 1 leaves it in place; a symbol is never known to be 1.
    return tuple(s for d, s in enumerate(shape) if not (d in dims and s == 1))


def _dim_text(args) -> str:
    return "" if args.dim is None else f"dim={args.dim}"


register(LayerKind(
    name="squeeze", args=create_model("SqueezeArgs", __base__=Args, dim=(_DimsOrNone, None)), infer=_squeeze_infer,
    prefix="squeeze", positional=("dim",),
    functional=lambda args, names, inputs: f"{names[0]}.squeeze({'' if args.dim is None else args.dim})",
    label=lambda args, inputs: f"squeeze({_dim_text(args)})", doc="torch.squeeze: drop dims of size 1"))


def _select_infer(args, inputs):
    (shape,) = inputs
    if not shape:
        raise ShapeError("`select` cannot be applied to a 0-D tensor []", code="E0404")
    dim = normalize_dim(args.dim, len(shape))
    size = shape[dim]
    if isinstance(size, int) and not -size <= args.index < size:
        raise ShapeError(f"index {args.index} is out of range for dim {args.dim} of size {size} "
                         f"(input {format_shape(shape)})", arg="index", code="E0402")
    return shape[:dim] + shape[dim + 1:]


register(LayerKind(
    name="select", args=create_model("SelectArgs", __base__=Args, dim=(int, ...), index=(int, ...)),
    infer=_select_infer, prefix="select", positional=("dim", "index"),
    functional=lambda args, names, inputs: f"{names[0]}.select({args.dim}, {args.index})",
    label=lambda args, inputs: f"select({args.dim}, {args.index})",
    doc="torch.select: one index along dim, that dim removed (select(0, -1): the last layer's hidden state)"))


# ---------------------------------------------------------------- reductions

def _reduce_infer(args, inputs):
    (shape,) = inputs
    dims = _dims(args, shape)
    if args.keepdim:
        return tuple(1 if d in dims else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in dims)


def _reduction(name: str, torch_name: str) -> None:
    def emit(args, names, inputs):
        dims = args.dim
        if dims is None and args.keepdim:
            dims = tuple(range(len(inputs[0])))  # torch.amax/mean need explicit dims to keep them
        return f"torch.{torch_name}({names[0]}" + ("" if dims is None else f", dim={dims}") + \
            (", keepdim=True" if args.keepdim else "") + ")"

    register(LayerKind(
        name=name, args=create_model(f"{name.title()}Args", __base__=Args, dim=(_DimsOrNone, None),
                                     keepdim=(bool, False)),
        infer=_reduce_infer, prefix=name, positional=("dim", "keepdim"), functional=emit,
        macs=lambda args, inputs, output: count(inputs[0]),
        label=lambda args, inputs: f"{name}({', '.join(filter(None, (_dim_text(args), 'keepdim' * args.keepdim)))})",
        doc=f"torch.{torch_name} over dim (an int, a tuple, or all dims when omitted)"))


_reduction("mean", "mean")
_reduction("sum", "sum")
# torch.max(x, dim) returns (values, indices); amax returns the values alone, over one or several dims.
_reduction("max", "amax")
