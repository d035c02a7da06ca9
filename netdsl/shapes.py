"""Shapes, shape errors and PyTorch's output-size formulas, written once for concrete and symbolic
sizes (netdsl.sizes). No torch.

A rule states what must hold with `require(truth, error)`: a condition that is false raises the
error; one that holds for some sizes only (a symbolic input) becomes a requirement on the input
sizes, which the checker collects (netdsl.accepted says for which sizes they hold).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextvars import ContextVar

from . import codes, records
from .codes import Code
from .sizes import (
    Condition,
    Dim,
    Size,
    SymbolicSizeError,
    broadcasts,
    ceildiv,
    compare,
    equal_dims,
    format_size,
    maximum,
    simpler,
    symbol_name,
)

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
                 notes: tuple[str, ...] = (), code: Code = codes.E0401, inferred: object = None):
        super().__init__(message)
        self.message, self.arg, self.help, self.notes, self.code = message, arg, help, notes, code
        self.inferred = inferred   # for a written size that differs from the inferred one: the right value


def check_int64(what: str, *values) -> None:
    """Raise when a size computation overflows int64, as ATen's would (silently, giving garbage)."""
    if any(isinstance(v, int) and not -INT64_MAX - 1 <= v <= INT64_MAX for v in values):
        raise ShapeError(f"{what} overflows the 64-bit integers PyTorch computes sizes in", code=codes.E0425,
                         help="use smaller sizes, strides, padding or dilation")


def check_window(kind: str, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> None:
    """Raise when a convolution or pooling window is beyond what torch computes: ATen's pooling kernels take
    kernel, stride, padding and dilation as C ints, and its CPU convolution checks the padded window
    (2 × padding + dilation × (kernel − 1)) in 32-bit arithmetic; max_pool1d also loops over its window."""
    for arg, values in (("kernel_size", kernel), ("stride", stride), ("padding", padding), ("dilation", dilation)):
        largest = max((v for v in values if isinstance(v, int)), default=0)   # a block's symbolic sizes: at its calls
        if largest > INT32_MAX:
            raise ShapeError(f"`{kind}` {arg} {largest:,} is more than {INT32_MAX:,}, the most PyTorch's "
                             "kernels take", arg=arg, code=codes.E0425)
    windows = [2 * p + dl * (k - 1) + 1 for k, p, dl in zip(kernel, padding, dilation)]
    widest = max((w for w in windows if isinstance(w, int)), default=0)
    if widest > INT32_MAX:
        raise ShapeError(f"`{kind}` window with its padding spans {widest:,} elements, more than the {INT32_MAX:,} "
                         "PyTorch computes sizes in (32-bit integers)", arg="padding", code=codes.E0425,
                         help="use a smaller kernel, dilation or padding")


def check_tensor_size(what: str, shape: Shape) -> None:
    """Raise when a tensor would have more elements than PyTorch can hold (symbolic dims count as 1)."""
    elements = math.prod(d for d in shape if isinstance(d, int))
    if elements > MAX_ELEMENTS:
        raise ShapeError(f"{what} {format_shape(shape)} has {elements:,} elements, more than the {MAX_ELEMENTS:,} "
                         "a PyTorch tensor can hold", code=codes.E0425,
                         help="PyTorch sizes a tensor's storage in bytes as a 64-bit integer")


@records.value
class Requirement:
    """A condition on the input sizes that a rule needs (`H - 2 >= 1`), and the error when it fails."""
    condition: Condition
    error: Callable[[], ShapeError]


_collected: ContextVar[list[Requirement] | None] = ContextVar("requirements", default=None)
# Checking a block's parametric recipe (code generation): sizes that weights depend on may be symbols.
_symbolic_weights: ContextVar[bool] = ContextVar("symbolic_weights", default=False)


def require(truth, error: Callable[[], ShapeError]) -> None:
    """truth is True, False or an undecided Condition (netdsl.sizes.compare, at_least)."""
    if truth is True:
        return
    pending = _collected.get() if truth is not False else None
    if pending is None:
        raise error()
    pending.append(Requirement(truth, error))


def collecting(requirements: list[Requirement]):
    """Collect the requirements of the rules run until reset(token): `token = collecting(found)`."""
    return _collected.set(requirements)


def stop_collecting(token) -> None:
    _collected.reset(token)


def allowing_symbolic_weights(allowed: bool):
    return _symbolic_weights.set(allowed)


def reset_symbolic_weights(token) -> None:
    _symbolic_weights.reset(token)


def symbolic_weights_allowed() -> bool:
    return _symbolic_weights.get()


FIX_THE_SIZES = "fix the sizes (a `where` clause on the input, or `--input`)"


def fixed_size(kind: str, what: str, size: Dim, why: str = f"its weights depend on it: {FIX_THE_SIZES}, or make "
               "it independent of them (e.g. adaptive pooling to a fixed size before `flatten`)") -> Dim:
    """A size the layer's weights (or what `why` says) depend on must be a number, not a symbol of the input."""
    if isinstance(size, Size) and not _symbolic_weights.get():
        name = symbol_name(size)
        what_it_is = f"the input size {name}" if name else \
            f"{format_size(size)}, which depends on the input sizes {', '.join(sorted(size.symbols()))}"
        raise ShapeError(f"`{kind}` needs a fixed number of {what}, but it is {what_it_is}", code=codes.E0405,
                         help=why)
    return size


def format_dim(dim) -> str:
    return format_size(dim)


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "[?]"
    return "[" + ", ".join(format_size(d) for d in shape) + "]"


def numel(shape: Shape) -> Dim:
    """Element count: an int, or a size formula when a dim is symbolic."""
    total: Dim = 1
    for d in shape:
        total = total * d
    return total


def expand(value, n: int) -> tuple:
    """PyTorch's _ntuple: an int (or 1-tuple) is repeated n times."""
    if isinstance(value, tuple):
        return value * n if len(value) == 1 else value
    return (value,) * n


def normalize_dim(dim: int, rank: int, arg: str = "dim") -> int:
    """Resolve a possibly negative dim index against rank, as torch does (a 0-D tensor takes 0 and -1)."""
    if not -max(rank, 1) <= dim < max(rank, 1):
        low, high = -max(rank, 1), max(rank, 1) - 1
        raise ShapeError(f"dimension {dim} is out of range for a {rank}-D tensor (expected {low} to {high})",
                         arg=arg, code=codes.E0402)
    return dim % rank if rank else 0


def conv_output_size(size: Dim, kernel: int, stride: int, padding: int, dilation: int) -> Dim:
    """torch.nn.Conv*d: ⌊(L + 2p − d(k−1) − 1) / s⌋ + 1."""
    check_int64("the convolution output size", 2 * padding, dilation * (kernel - 1))
    if isinstance(size, int):
        check_int64("the convolution output size", size + 2 * padding)
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_output_size(size: Dim, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> Dim:
    """ATen's pooling_output_shape, ceil_mode included: the last window must start inside the input or
    its left padding, so a window that would start in the right padding is dropped. Symbolically the
    correction is the indicator [(-n) mod s ≥ d(k−1) + 1 − p] with n = L + 2p − d(k−1) − 1 (SIZES.md)."""
    span = dilation * (kernel - 1)
    n = size + 2 * padding - span - 1
    if not ceil_mode:
        return n // stride + 1
    out = ceildiv(n, stride) + 1
    if isinstance(size, int):
        return out - 1 if (out - 1) * stride >= size + padding else out
    threshold = span + 1 - padding
    if threshold <= 0:
        return out - 1
    if threshold > stride - 1:
        return out
    return out - ((-n) % stride + stride - threshold) // stride


def conv_transpose_output_size(size: Dim, kernel: int, stride: int, padding: int, output_padding: int,
                               dilation: int) -> Dim:
    """torch.nn.ConvTranspose*d: (L − 1)s − 2p + d(k−1) + output_padding + 1."""
    check_int64("the transposed convolution output size", 2 * padding, dilation * (kernel - 1))
    if isinstance(size, int):
        steps = (size - 1) * stride
        check_int64("the transposed convolution output size", steps, steps - 2 * padding,
                    steps - 2 * padding + dilation * (kernel - 1),
                    steps - 2 * padding + dilation * (kernel - 1) + output_padding + 1)
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def describe_mismatch(diffs: list[tuple[int, Dim, Dim]]) -> str:
    """[(2, 32, 16), (3, 32, 16)] → "dim 2 is 32 vs 16 and dim 3 is 32 vs 16"."""
    parts = [f"dim {d} is {format_size(x)} vs {format_size(y)}" for d, x, y in diffs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def mismatch_help(rank: int, diffs: list[tuple[int, Dim, Dim]]) -> str | None:
    """A likely cause when two tensors meet with different sizes: in [N, C, *spatial] tensors a channel
    mismatch wants a projection, and spatial sizes off by one factor mean one side was downsampled."""
    if rank < 3:
        return None
    dims = {d for d, _, _ in diffs}
    if dims == {1}:
        return "the channel counts differ: project one side to match, e.g. with a 1×1 convolution"
    concrete = [(x, y) for d, x, y in diffs if d != 1 and isinstance(x, int) and isinstance(y, int) and min(x, y) > 0]
    ratios = {max(x, y) / min(x, y) for x, y in concrete}
    ratio = int(ratios.pop()) if len(ratios) == 1 and next(iter(ratios)).is_integer() else None
    if 1 in dims:
        stride = f"stride {ratio}" if ratio else "a matching stride"
        return f"channels and spatial size both differ: project the shortcut, e.g. with a 1×1 convolution with {stride}"
    if concrete and len(concrete) == len([d for d in dims if d != 1]) and all(abs(x - y) == 1 for x, y in concrete):
        return ("the spatial sizes differ by 1: an odd size halved (rounding down) and doubled again, or a "
                "transposed convolution that needs output_padding=1; sizes that stay even at every downsampling "
                "avoid the first")
    if ratio and ratio > 1:
        return (f"the spatial sizes differ by a factor of {ratio}: was one tensor taken after a pooling or "
                "strided layer and the other before it?")
    return None


def broadcast(a: Shape, b: Shape) -> Shape:
    """torch broadcasting: align from the right; sizes must match or one of them be 1.
    Raises ShapeError naming every dim that disagrees, indexed in the (longer) result; for symbolic
    sizes, requires what must hold (equal, or one of them 1)."""
    rank = max(len(a), len(b))
    out, diffs, undecided = [], [], []
    for i in range(1, rank + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        truth = broadcasts(x, y)
        if truth is False:
            diffs.insert(0, (rank - i, x, y))
        elif truth is not True:
            undecided.append(truth)
        # Where one side is 1 the other is the result; an int k beside a symbol is the result (the symbol
        # must be 1 or k); two different symbols give the larger.
        if type(y) is int and y == 1 or compare(x, y) is True:
            out.append(simpler(x, y) if not (type(y) is int and y == 1) else x)
        elif type(x) is int and x == 1:
            out.append(y)
        else:
            out.append(y if isinstance(y, int) else x if isinstance(x, int) else maximum(x, y))

    def error() -> ShapeError:
        found = diffs or [(d, x, y) for d, (x, y) in enumerate(zip(_pad(a, rank), _pad(b, rank)))
                          if broadcasts(x, y) is not True]
        short = min(a, b, key=len)
        aligned = (f"the shorter shape lines up with the last dims of the longer one; to line it up with the "
                   f"first ones, reshape it to {format_shape(short + (1,) * (rank - len(short)))}"
                   if len(a) != len(b) else None)
        return ShapeError(f"shapes {format_shape(a)} and {format_shape(b)} do not broadcast: "
                          f"{describe_mismatch(found)}", code=codes.E0403,
                          help=aligned or mismatch_help(rank, found) or "aligned from the right, sizes must be equal or 1")
    if diffs:
        raise error()
    for condition in undecided:
        require(condition, error)
    return tuple(reversed(out))


def _pad(shape: Shape, rank: int) -> Shape:
    return (1,) * (rank - len(shape)) + tuple(shape)


def divides(divisor: Dim, value: Dim):
    """Whether divisor divides value: True, False, or the Condition on the sizes."""
    if isinstance(divisor, int):
        return value % divisor == 0 if isinstance(value, int) else compare(value % divisor, 0)
    if equal_dims(divisor, value) or _symbolic_weights.get():   # a recipe is checked per use with numbers
        return True
    raise SymbolicSizeError(f"whether {format_size(divisor)} divides {format_size(value)} depends on the sizes")
