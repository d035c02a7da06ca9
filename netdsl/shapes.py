"""Dims, shapes and PyTorch's output-size formulas: plain integer arithmetic, no torch."""

from __future__ import annotations

import math
from typing import Union


class Sym(str):
    """A symbolic size such as `N` or `H`; its text is its name (or a derived expression)."""

    __slots__ = ()


Dim = Union[int, Sym]
Shape = tuple  # tuple[Dim, ...]

# What PyTorch can compute (README "Robustness"): ATen does its size arithmetic in int64; it sizes a
# tensor's storage as elements × element size in int64 bytes (netdsl allows 8-byte elements, so that
# float64 and int64 tensors fit too); its pooling kernels take their windows as C ints.
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
MAX_ELEMENTS = 2**60 - 1


class ShapeError(Exception):
    """Raised by layer rules. `arg` names the argument at fault so the checker can point at it."""

    def __init__(self, message: str, *, arg: str | None = None, help: str | None = None,
                 notes: tuple[str, ...] = (), code: str = "E0401"):
        super().__init__(message)
        self.message, self.arg, self.help, self.notes, self.code = message, arg, help, notes, code


def check_int64(what: str, *values) -> None:
    """Raise when a size computation overflows int64, as ATen's would (silently, giving garbage)."""
    if any(isinstance(v, int) and not -INT64_MAX - 1 <= v <= INT64_MAX for v in values):
        raise ShapeError(f"{what} overflows the 64-bit integers PyTorch computes sizes in", code="E0414",
                         help="use smaller sizes, strides, padding or dilation")


def check_window(kind: str, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> None:
    """Raise when a convolution or pooling window is beyond what torch computes: ATen's pooling kernels take
    kernel, stride, padding and dilation as C ints, and its CPU convolution checks the padded window
    (2 × padding + dilation × (kernel − 1)) in 32-bit arithmetic; max_pool1d also loops over its window."""
    for arg, values in (("kernel_size", kernel), ("stride", stride), ("padding", padding), ("dilation", dilation)):
        if max(values) > INT32_MAX:
            raise ShapeError(f"`{kind}` {arg} {max(values):,} is more than {INT32_MAX:,}, the most PyTorch's "
                             "kernels take", arg=arg, code="E0414")
    widest = max(2 * p + dl * (k - 1) + 1 for k, p, dl in zip(kernel, padding, dilation))
    if widest > INT32_MAX:
        raise ShapeError(f"`{kind}` window with its padding spans {widest:,} elements, more than the {INT32_MAX:,} "
                         "PyTorch computes sizes in (32-bit integers)", arg="padding", code="E0414",
                         help="use a smaller kernel, dilation or padding")


def check_tensor_size(what: str, shape: Shape) -> None:
    """Raise when a tensor would have more elements than PyTorch can hold (symbolic dims count as 1)."""
    elements = math.prod(d for d in shape if isinstance(d, int))
    if elements > MAX_ELEMENTS:
        raise ShapeError(f"{what} {format_shape(shape)} has {elements:,} elements, more than the {MAX_ELEMENTS:,} "
                         "a PyTorch tensor can hold", code="E0414",
                         help="PyTorch sizes a tensor's storage in bytes as a 64-bit integer")


def format_dim(dim: Dim) -> str:
    return str(dim)


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "[?]"
    return "[" + ", ".join(format_dim(d) for d in shape) + "]"


def is_known(dim: Dim) -> bool:
    return isinstance(dim, int)


def numel(shape: Shape) -> int | None:
    """Element count, or None when a dim is symbolic."""
    if not all(isinstance(d, int) for d in shape):
        return None
    return math.prod(shape)


def expand(value, n: int) -> tuple:
    """PyTorch's _ntuple: an int (or 1-tuple) is repeated n times."""
    if isinstance(value, tuple):
        return value * n if len(value) == 1 else value
    return (value,) * n


def normalize_dim(dim: int, rank: int, arg: str = "dim") -> int:
    """Resolve a possibly negative dim index against rank, as torch does."""
    if not -max(rank, 1) <= dim < max(rank, 1):
        low, high = -max(rank, 1), max(rank, 1) - 1
        raise ShapeError(f"dimension {dim} is out of range for a {rank}-D tensor (expected {low} to {high})",
                         arg=arg, code="E0402")
    return dim % rank if rank else 0


def _symbolic(size: Sym, offset: int, stride: int, ceil: bool = False) -> Sym:
    inner = f"{size}{offset:+d}" if offset else str(size)
    if stride == 1:
        return Sym(f"{size}{offset + 1:+d}" if offset + 1 else str(size))
    rounding = "ceil" if ceil else "floor"
    return Sym(f"{rounding}(({inner})/{stride})+1")


def conv_output_size(size: Dim, kernel: int, stride: int, padding: int, dilation: int) -> Dim:
    """torch.nn.Conv*d: floor((L + 2p - d(k-1) - 1) / s) + 1."""
    offset = 2 * padding - dilation * (kernel - 1) - 1
    check_int64("the convolution output size", 2 * padding, dilation * (kernel - 1))
    if isinstance(size, Sym):
        return _symbolic(size, offset, stride)
    check_int64("the convolution output size", size + 2 * padding)
    return (size + offset) // stride + 1


def pool_output_size(size: Dim, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> Dim:
    """ATen's pooling_output_shape, ceil_mode included: the last window must start inside the
    input or its left padding, so a window that would start in the right padding is dropped."""
    offset = 2 * padding - dilation * (kernel - 1) - 1
    if isinstance(size, Sym):
        return _symbolic(size, offset, stride, ceil_mode)
    numerator = size + offset + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def conv_transpose_output_size(size: Dim, kernel: int, stride: int, padding: int, output_padding: int,
                               dilation: int) -> Dim:
    """torch.nn.ConvTranspose*d: (L - 1)s - 2p + d(k-1) + output_padding + 1."""
    if isinstance(size, Sym):
        check_int64("the transposed convolution output size", 2 * padding, dilation * (kernel - 1))
        return Sym(f"({size}-1)*{stride}{-2 * padding + dilation * (kernel - 1) + output_padding + 1:+d}")
    steps = (size - 1) * stride
    check_int64("the transposed convolution output size", steps, 2 * padding, dilation * (kernel - 1),
                steps - 2 * padding, steps - 2 * padding + dilation * (kernel - 1),
                steps - 2 * padding + dilation * (kernel - 1) + output_padding + 1)
    return steps - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def describe_mismatch(diffs: list[tuple[int, Dim, Dim]]) -> str:
    """[(2, 32, 16), (3, 32, 16)] → "dim 2 is 32 vs 16 and dim 3 is 32 vs 16"."""
    parts = [f"dim {d} is {x} vs {y}" for d, x, y in diffs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def mismatch_help(rank: int, diffs: list[tuple[int, Dim, Dim]]) -> str | None:
    """A likely cause when two tensors meet with different sizes: in [N, C, *spatial] tensors a channel
    mismatch wants a projection, and spatial sizes off by one factor mean one side was downsampled."""
    if rank < 3:
        return None
    dims = {d for d, _, _ in diffs}
    if dims == {1}:
        return "the channel counts differ: project one side to match, e.g. with a 1×1 convolution"
    ratios = {max(x, y) / min(x, y) for d, x, y in diffs if d != 1 and isinstance(x, int) and isinstance(y, int)}
    ratio = int(ratios.pop()) if len(ratios) == 1 and next(iter(ratios)).is_integer() else None
    if 1 in dims:
        stride = f"stride {ratio}" if ratio else "a matching stride"
        return f"channels and spatial size both differ: project the shortcut, e.g. with a 1×1 convolution with {stride}"
    if all(isinstance(x, int) and isinstance(y, int) and abs(x - y) == 1 for d, x, y in diffs if d != 1):
        return ("the spatial sizes differ by 1: an odd size was halved (rounding down) and doubled again; "
                "use input sizes that stay even at every downsampling")
    if ratio and ratio > 1:
        return (f"the spatial sizes differ by a factor of {ratio}: was one tensor taken after a pooling or "
                "strided layer and the other before it?")
    return None


def broadcast(a: Shape, b: Shape) -> Shape:
    """torch broadcasting: align from the right; sizes must match or one of them be 1.
    Raises ShapeError naming every dim that disagrees, indexed in the (longer) result."""
    rank = max(len(a), len(b))
    out, diffs = [], []
    for i in range(1, rank + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            diffs.insert(0, (rank - i, x, y))
    if diffs:
        short = min(a, b, key=len)
        aligned = (f"the shorter shape lines up with the last dims of the longer one; to line it up with the "
                   f"first ones, reshape it to {format_shape(short + (1,) * (rank - len(short)))}"
                   if len(a) != len(b) else None)
        raise ShapeError(f"shapes {format_shape(a)} and {format_shape(b)} do not broadcast: "
                         f"{describe_mismatch(diffs)}", code="E0403",
                         help=aligned or mismatch_help(rank, diffs) or "aligned from the right, sizes must be equal or 1")
    return tuple(reversed(out))
