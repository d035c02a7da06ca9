"""Reductions over dims: mean, sum, prod, max/min (the values: torch.amax/amin), std, var, logsumexp,
argmax/argmin (the indices)."""

from __future__ import annotations

from .. import codes
from ..dtypes import COUNTING, FLOAT_LAYER, FLOAT_RESULT, INDICES
from ..kinds import LayerKind, Recognise
from ..pysource import literal
from ..schema import INT, Bool, Either, Field, Float, Nothing, Schema, Tuple, format_value
from ..shapes import ShapeError, numel
from . import declaring_dtypes
from .axes import DIMS_OR_NONE, methods, resolve_dims

_ONE_DIM_OR_NONE = Either((INT, Nothing()))


def _reduce_infer(args, inputs):
    (shape,) = inputs
    dims = resolve_dims(args.dim, shape, empty_is_all=True)
    if args.keepdim:
        return tuple(1 if d in dims else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in dims)


def _logsumexp_infer(args, inputs):
    # torch reduces dim=() to one value, like sum, but then cannot write it without keepdim.
    if args.dim == () and inputs[0] and not args.keepdim:
        raise ShapeError("`logsumexp` needs the dims to reduce, but dim=() names none", arg="dim", code=codes.E0402,
                         help="name them, e.g. dim=-1")
    return _reduce_infer(args, inputs)


def _prod_infer(args, inputs):
    if args.dim is None and args.keepdim:
        raise ShapeError("`prod` with keepdim=true needs a dim (torch.prod reduces one dim, or all of them to a "
                         "scalar)", arg="keepdim", code=codes.E0307, help="give dim=, or drop keepdim")
    return _reduce_infer(args, inputs)


def _dim_text(args) -> str:
    return "" if args.dim is None else f"dim={format_value(args.dim)}"


def _reduction(name: str, torch_name: str, doc: str, dims_type=DIMS_OR_NONE, infer=_reduce_infer,
               dim_required: bool = False, calls: tuple[str, ...] = (), **extra: Field) -> LayerKind:
    """extra: arguments between dim and keepdim (std's correction); calls: where torch's parameter list is
    not the kind's positional arguments (`netdsl import`, kinds.Recognise)."""
    options = tuple(extra)

    def emit(args, names, inputs):
        dims = args.dim
        if dims is None and args.keepdim and torch_name in ("mean", "sum"):
            # torch.mean/sum need explicit dims to keep them; the others take keepdim alone, and std/var's
            # gradient then differs where the correction leaves no degrees of freedom (as torch's own call)
            dims = tuple(range(len(inputs[0])))
        written = [names[0]] + ([] if dims is None else [f"dim={dims}"]) + \
            [f"{k}={literal(v)}" for k, v in args.changed(*options).items()] + \
            (["keepdim=True"] if args.keepdim else [])
        return f"torch.{torch_name}({', '.join(written)})"

    def label(args, inputs):
        written = [_dim_text(args), *(f"{k}={format_value(v)}" for k, v in args.changed(*options).items()),
                   "keepdim" * args.keepdim]
        return f"{name}({', '.join(filter(None, written))})"

    fields = dict(dim=Field(dims_type) if dim_required else Field(dims_type, None), **extra, keepdim=Field(Bool(), False))
    return LayerKind(
        name=name, schema=Schema(fields), infer=infer, prefix=name, positional=("dim", *options, "keepdim"),
        functional=emit, macs=lambda args, inputs, output: numel(inputs[0]), label=label, doc=doc,
        recognise=Recognise(calls or methods(torch_name)))


def _over(torch_name: str, what: str = "") -> str:
    return f"torch.{torch_name}{what} over dim (an int, a tuple, or all dims when omitted)"


def _keyword_correction(name: str) -> tuple[str, ...]:
    """torch.std(x, dim, *, correction=1, keepdim=False): a third positional argument would be `unbiased`."""
    return tuple(f"{call}(input, dim=None)" for call in methods(name))


_CORRECTION = Field(Either((INT, Float())), 1)

KINDS = declaring_dtypes((
    _reduction("mean", "mean", _over("mean")),
    _reduction("sum", "sum", _over("sum")),
    _reduction("prod", "prod", "torch.prod over one dim, or all dims when omitted", dims_type=_ONE_DIM_OR_NONE,
               infer=_prod_infer),
    # torch.max(x, dim) returns (values, indices); amax returns the values alone, over one or several dims.
    _reduction("max", "amax", _over("amax", " (the values; argmax gives the indices)")),
    _reduction("min", "amin", _over("amin", " (the values; argmin gives the indices)")),
    _reduction("amax", "amax", _over("amax")),
    _reduction("amin", "amin", _over("amin")),
    _reduction("std", "std", _over("std", " with correction=1 (Bessel's), as torch"), correction=_CORRECTION,
               calls=_keyword_correction("std")),
    _reduction("var", "var", _over("var", " with correction=1 (Bessel's), as torch"), correction=_CORRECTION,
               calls=_keyword_correction("var")),
    _reduction("logsumexp", "logsumexp", "torch.logsumexp over dim (an int or a tuple; required)",
               dims_type=Either((INT, Tuple(INT))), infer=_logsumexp_infer, dim_required=True),
    _reduction("argmax", "argmax", "torch.argmax: the index of the largest value along dim (over the flattened "
               "tensor when omitted)", dims_type=_ONE_DIM_OR_NONE),
    _reduction("argmin", "argmin", "torch.argmin: the index of the smallest value along dim (over the flattened "
               "tensor when omitted)", dims_type=_ONE_DIM_OR_NONE),
    # max/min keep the input's class; mean, std and var need floating-point numbers (torch: "could not infer
    # output dtype"), logsumexp gives them from any; sum and prod count booleans as integers.
), {"mean": FLOAT_LAYER, "std": FLOAT_LAYER, "var": FLOAT_LAYER, "logsumexp": FLOAT_RESULT, "sum": COUNTING,
    "prod": COUNTING, "argmax": INDICES, "argmin": INDICES})
