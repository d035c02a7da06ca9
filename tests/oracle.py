"""The independent oracle: for every spec layer kind, how PyTorch computes it, written from PyTorch's
documented API (https://pytorch.org/docs/stable/nn.html) and nothing else.

It never imports netdsl. The only knowledge it shares with the product is the spec's argument names, which
are PyTorch's (README: "Arguments read like PyTorch") except for a few spec-only ones handled here by name
(`returns`, `index`, `scalar`, `scalar_first`). Each entry says:
- which `nn` class or `torch`/`F` function computes the kind, and how the written arguments reach it; an
  argument the spec leaves out is left out here too, so PyTorch's own default applies;
- the sizes the spec infers (in_channels, in_features, input_size, embed_dim, ...), derived here from the
  input shapes; when the spec writes one anyway, PyTorch is given the written value;
- the spec's positional order: PyTorch's, without the inferred sizes (docs/language.md) — except the
  norms, whose written size keeps its place, as in PyTorch — up to the first PyTorch parameter the spec
  does not have.

`make(args, shapes)` returns a `Call`: the module holding the weights (None for stateless ops) and the
forward function. Any exception is PyTorch's verdict; `torch_verdict.py` tells its rejections from bugs here.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import nn

Shape = tuple[int, ...]


@dataclass
class Call:
    module: nn.Module | None                     # its parameters and buffers; None for a stateless op
    forward: Callable[..., torch.Tensor]         # forward(training, *tensors) → the output tensor


@dataclass(frozen=True)
class Op:
    make: Callable[[dict, tuple[Shape, ...]], Call]
    positional: tuple[str, ...] = ()             # "*name": the positional arguments gathered into one tuple
    inferred: dict[str, Callable[[tuple[Shape, ...]], object]] = field(default_factory=dict)
    indices: bool = False                        # the input holds integer ids below num_embeddings
    pieces: bool = False                         # returns several tensors, which a spec unpacks into names
    sizes: str | None = None                     # the argument listing sizes, which may name input symbols
    grouped_state: bool = False                  # inputs after the first are written as one tuple: (h0, c0)
    subscript: bool = False                      # the kind of `x[index]`; an index holding `...` is written so
    masks: tuple[int, ...] = ()                  # the inputs that are boolean masks (where's condition)
    ties: bool = False                           # inputs of a few integer values (as floats), so that equal
                                                 # elements occur: `>` and `>=` differ only there


class PythonRejects(ValueError):
    """The Python a user would write for the spec fails around the PyTorch call: `a, b = torch.chunk(x, 3)`
    unpacks another number of pieces, `torch.chunk(x, 3)[i]` has no piece i, `+` lacks an operand.
    A rejection of the spec, like PyTorch's own."""


def _module(module: nn.Module, pick: Callable = lambda out: out) -> Call:
    def forward(training: bool, *tensors):
        module.train(training)
        return pick(module(*tensors))
    return Call(module, forward)


def _function(fn: Callable[..., torch.Tensor]) -> Call:
    return Call(None, fn)


def _with_inferred(args: dict, shapes, inferred: dict) -> dict:
    """The written arguments, plus every inferred size the spec did not write."""
    return {**{name: size(shapes) for name, size in inferred.items()}, **args}


def _nn(class_name: str, inferred: dict | None = None, positional: tuple[str, ...] = ()) -> Op:
    inferred = inferred or {}

    def make(args, shapes):
        return _module(getattr(nn, class_name)(**_with_inferred(args, shapes, inferred)))
    return Op(make, positional, inferred)


def _channels(d: int) -> Callable[[tuple[Shape, ...]], int]:
    """The channel dim of [N, C, *spatial] or unbatched [C, *spatial] (torch reads C at -(d+1)). An input
    without such a dim gets 1: the module is sized, and PyTorch's forward then rejects the rank."""
    return lambda shapes: shapes[0][-d - 1] if len(shapes[0]) > d else 1


def _dim1(shapes) -> int:
    """num_features / num_channels: dim 1 of [N, C, ...]."""
    return shapes[0][1] if len(shapes[0]) > 1 else 1


def _last(shapes) -> int:
    return shapes[0][-1] if shapes[0] else 1


# ---------------------------------------------------------------- convolution, pooling, linear, norms

def _convolutions() -> dict[str, Op]:
    ops = {}
    for d in (1, 2, 3):
        ops[f"conv{d}d"] = _nn(f"Conv{d}d", {"in_channels": _channels(d)},
                               ("out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
                                "padding_mode"))
        ops[f"conv_transpose{d}d"] = _nn(f"ConvTranspose{d}d", {"in_channels": _channels(d)},
                                         ("out_channels", "kernel_size", "stride", "padding", "output_padding",
                                          "groups", "bias", "dilation", "padding_mode"))
    return ops


def _pools() -> dict[str, Op]:
    ops = {}
    for d in (1, 2, 3):
        # MaxPool's fifth parameter is return_indices, which the spec does not have.
        ops[f"maxpool{d}d"] = _nn(f"MaxPool{d}d", positional=("kernel_size", "stride", "padding", "dilation"))
        ops[f"avgpool{d}d"] = _nn(f"AvgPool{d}d", positional=(
            "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")[:5 + (d > 1)])
        for mode in ("Avg", "Max"):
            ops[f"adaptive_{mode.lower()}_pool{d}d"] = _nn(f"Adaptive{mode}Pool{d}d", positional=("output_size",))
    return ops


def _padding() -> dict[str, Op]:
    """nn.ZeroPad1d ... nn.CircularPad3d: padding, and ConstantPad's value."""
    return {f"{mode.lower()}pad{d}d": _nn(f"{mode}Pad{d}d", positional=("padding", "value")[:1 + (mode == "Constant")])
            for mode in ("Zero", "Constant", "Reflection", "Replication", "Circular") for d in (1, 2, 3)}


def _norms() -> dict[str, Op]:
    # `batchnorm2d(64)`, as PyTorch's habit has it: num_features keeps its place (checked against the input).
    ops = {f"batchnorm{d}d": _nn(f"BatchNorm{d}d", {"num_features": _dim1},
                                 ("num_features", "eps", "momentum", "affine", "track_running_stats")) for d in (1, 2, 3)}
    # normalized_shape defaults to the last dim (README); nn.LayerNorm has no default.
    ops["layernorm"] = _nn("LayerNorm", {"normalized_shape": lambda shapes: tuple(shapes[0][-1:])},
                           ("normalized_shape", "eps", "elementwise_affine", "bias"))
    ops["groupnorm"] = _nn("GroupNorm", {"num_channels": _dim1}, ("num_groups", "num_channels", "eps", "affine"))
    # InstanceNorm takes [N, C, *spatial] or unbatched [C, *spatial]: the channels are at -(d+1).
    ops.update({f"instancenorm{d}d": _nn(f"InstanceNorm{d}d", {"num_features": _channels(d)},
                                         ("num_features", "eps", "momentum", "affine", "track_running_stats"))
                for d in (1, 2, 3)})
    ops["local_response_norm"] = _nn("LocalResponseNorm", positional=("size", "alpha", "beta", "k"))
    return ops


# ---------------------------------------------------------------- element-wise

def _functional(fn: Callable, positional: tuple[str, ...] = (), stochastic: bool = False) -> Op:
    """A stateless torch function taking the input first and the written arguments as keywords;
    stochastic functions (dropout) also take `training`."""
    def make(args, shapes):
        if stochastic:
            return _function(lambda training, x: fn(x, training=training, **args))
        return _function(lambda training, x: fn(x, **args))
    return Op(make, positional)


def _pointwise() -> dict[str, Op]:
    return {
        "relu": _functional(F.relu), "silu": _functional(F.silu), "sigmoid": _functional(torch.sigmoid),
        "tanh": _functional(torch.tanh), "identity": _nn("Identity"),
        "leaky_relu": _functional(F.leaky_relu, ("negative_slope",)),
        "elu": _functional(F.elu, ("alpha",)),
        "gelu": _functional(F.gelu, ("approximate",)),
        "dropout": _functional(F.dropout, ("p",), stochastic=True),
        "dropout2d": _functional(F.dropout2d, ("p",), stochastic=True),
        **{name.lower(): _nn(name) for name in ("ReLU6", "SELU", "Mish", "Hardswish", "Hardsigmoid", "LogSigmoid")},
        "celu": _nn("CELU", positional=("alpha",)), "glu": _nn("GLU", positional=("dim",)),
        "hardtanh": _nn("Hardtanh", positional=("min_val", "max_val")),
        "softplus": _nn("Softplus", positional=("beta", "threshold")),
        "prelu": _nn("PReLU", positional=("num_parameters", "init")),
        "channel_shuffle": _nn("ChannelShuffle", positional=("groups",)),
        **{name: _functional(getattr(torch, name)) for name in ("abs", "exp", "log", "sqrt", "rsqrt")},
        "clamp": _functional(torch.clamp, ("min", "max")),
        "tril": _functional(torch.tril, ("diagonal",)), "triu": _functional(torch.triu, ("diagonal",)),
        "to": Op(lambda args, shapes: _function(lambda training, x: x.to(getattr(torch, args["dtype"]))), ("dtype",)),
        "softmax": _functional(torch.softmax, ("dim",)),
        "log_softmax": _functional(torch.log_softmax, ("dim",)),
    }


_OPERATORS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
              "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
              "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
              "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


def _arithmetic(operator: Callable) -> Op:
    """`a + b` of two tensors, or of a tensor and the spec's `scalar` (on the left with scalar_first)."""
    def make(args, shapes):
        def forward(training, *tensors):
            operands = list(tensors)
            if args.get("scalar") is not None:
                operands.insert(0 if args.get("scalar_first") else 1, args["scalar"])
            if len(operands) != 2:
                raise PythonRejects(f"a binary operator with {len(operands)} operands")
            return operator(*operands)
        return _function(forward)
    return Op(make)


# ---------------------------------------------------------------- shapes and axes

def _method(name: str, variadic: str | None = None, positional: tuple[str, ...] = ()) -> Op:
    """torch.<name>(x, **args); a variadic argument (reshape's sizes, permute's dims) is the tensor method's
    one tuple argument: x.reshape((2, 3))."""
    def make(args, shapes):
        if variadic:
            return _function(lambda training, x: getattr(x, name)(args[variadic]))
        return _function(lambda training, x: getattr(torch, name)(x, **args))
    return Op(make, (f"*{variadic}",) if variadic else positional)


def _squeeze() -> Op:
    def make(args, shapes):
        if args.get("dim") is None:
            return _function(lambda training, x: torch.squeeze(x))
        return _function(lambda training, x: torch.squeeze(x, args["dim"]))
    return Op(make, ("dim",))


def _reduction(fn: Callable, all_dims) -> Op:
    """torch.mean/sum/amax over `dim`; without dim, over every dim (mean and sum take dim=None for that,
    amax takes dim=())."""
    def make(args, shapes):
        dim = args["dim"] if args.get("dim") is not None else all_dims
        return _function(lambda training, x: fn(x, dim=dim, keepdim=args.get("keepdim", False)))
    return Op(make, ("dim", "keepdim"))


def _joiner(fn: Callable) -> Op:
    def make(args, shapes):
        return _function(lambda training, *tensors: fn(tensors, **args))
    return Op(make, ("dim",))


def _pieces(fn: Callable, first: str | None) -> Op:
    """torch.chunk/split/unbind return a tuple; the spec takes piece `index`. A case's `outputs` is the
    number of names the spec unpacks them into (`a, b = x -> chunk(2)`), which Python checks against the
    pieces (`a, b = torch.chunk(x, 2)`)."""
    def make(args, shapes):
        options = {k: v for k, v in args.items() if k not in ("index", "outputs")}

        def forward(training, x):
            pieces = fn(x, **options)
            if args.get("outputs") is not None and args["outputs"] != len(pieces):
                raise PythonRejects(f"{args['outputs']} names for {len(pieces)} pieces")
            if args.get("index") is None or not -len(pieces) <= args["index"] < len(pieces):
                raise PythonRejects(f"no piece {args.get('index')} of {len(pieces)}")
            return pieces[args["index"]]
        return _function(forward)
    return Op(make, ((first,) if first else ()) + ("dim",), pieces=True)


def _prod() -> Op:
    """torch.prod(input, dim, keepdim=False), or torch.prod(input) over every dim, which has no keepdim: keepdim=false
    is that call, keepdim=true is passed on (and refused)."""
    def make(args, shapes):
        if args.get("dim") is None:
            keep = {"keepdim": True} if args.get("keepdim") else {}
            return _function(lambda training, x: torch.prod(x, **keep))
        return _function(lambda training, x: torch.prod(x, **args))
    return Op(make, ("dim", "keepdim"))


def _getitem() -> Op:
    """x[index]: the spec's (start, stop, step) is Python's slice start:stop:step."""
    def make(args, shapes):
        index = tuple(slice(*item) if isinstance(item, tuple) else item for item in args["index"])
        return _function(lambda training, x: x[index])
    return Op(make, ("index",), subscript=True)


def _tensor_ops() -> dict[str, Op]:
    return {
        "flatten": _nn("Flatten", positional=("start_dim", "end_dim")),
        # The sizes may name the input's symbols (`reshape(N, -1)`); the harness binds them first.
        "reshape": replace(_method("reshape", "shape"), sizes="shape"),
        "view": replace(_method("view", "shape"), sizes="shape"),
        **{name: replace(_arithmetic(operator), ties=name in _COMPARISONS) for name, operator in _OPERATORS.items()},
        "concat": _joiner(torch.cat), "cat": _joiner(torch.cat), "stack": _joiner(torch.stack),
        "chunk": _pieces(torch.chunk, "chunks"), "split": _pieces(torch.split, "split_size_or_sections"),
        "unbind": _pieces(torch.unbind, None),
        "matmul": Op(lambda args, shapes: _function(lambda training, a, b: torch.matmul(a, b))),
        "transpose": _method("transpose", positional=("dim0", "dim1")),
        "permute": _method("permute", "dims"),
        "unsqueeze": _method("unsqueeze", positional=("dim",)),
        "squeeze": _squeeze(),
        "select": _method("select", positional=("dim", "index")),
        "mean": _reduction(torch.mean, None), "sum": _reduction(torch.sum, None),
        "max": _reduction(torch.amax, ()),   # README: `max` is torch.amax, the values without the indices
        "prod": _prod(), "getitem": _getitem(),
        "narrow": _method("narrow", positional=("dim", "start", "length")),
        "expand": replace(_method("expand", "sizes"), sizes="sizes"),
        "pad": Op(lambda args, shapes: _function(lambda training, x: F.pad(x, **args)), ("pad", "mode", "value")),
        "amax": _reduction(torch.amax, ()), "amin": _reduction(torch.amin, ()), "min": _reduction(torch.amin, ()),
        # torch.argmax/argmin(input, dim=None, keepdim=False); logsumexp(input, dim, keepdim=False)
        **{name: _functional(getattr(torch, name), ("dim", "keepdim")) for name in ("argmax", "argmin", "logsumexp")},
        # torch.std/var(input, dim=None, *, correction=1, keepdim=False): correction and keepdim are keywords
        **{name: _functional(getattr(torch, name), ("dim",)) for name in ("std", "var")},
    }


# ---------------------------------------------------------------- resampling, embedding, sequences

def _resampling() -> dict[str, Op]:
    resample = ("size", "scale_factor", "mode", "align_corners")
    interpolate = Op(lambda args, shapes: _function(lambda training, x: F.interpolate(x, **args)), resample)
    return {"upsample": _nn("Upsample", positional=resample), "interpolate": interpolate,
            "pixel_shuffle": _nn("PixelShuffle", positional=("upscale_factor",)),
            "pixel_unshuffle": _nn("PixelUnshuffle", positional=("downscale_factor",))}


# torch returns (output, h_n), and (output, (h_n, c_n)) for an LSTM; `returns` names one of them.
_RESULTS = {"output": lambda out: out[0], "hidden": lambda out: out[1], "cell": lambda out: out[1][1]}
_LSTM_RESULTS = {**_RESULTS, "hidden": lambda out: out[1][0]}


def _recurrent(class_name: str) -> Op:
    """forward(input, h_0) — (h_0, c_0) for an LSTM, written `lstm(x, (h0, c0), ...)` — the state optional."""
    inferred = {"input_size": _last}
    results = _LSTM_RESULTS if class_name == "LSTM" else _RESULTS

    def make(args, shapes):
        options = {k: v for k, v in args.items() if k != "returns"}
        module = getattr(nn, class_name)(**_with_inferred(options, shapes, inferred))
        pick = results[args.get("returns", "output")]

        def forward(training, x, *state):
            module.train(training)
            if not state:
                return pick(module(x))
            return pick(module(x, tuple(state) if class_name == "LSTM" else state[0]))
        return Call(module, forward)
    return Op(make, ("hidden_size", "num_layers"), inferred, grouped_state=class_name == "LSTM")


def _roles(items: tuple) -> tuple:
    """query, key, value from one input (self-attention), two (key = value) or three (README)."""
    return {1: lambda: items * 3, 2: lambda: (items[0], items[1], items[1])}.get(len(items), lambda: items)()


_MASKS = ("attn_mask", "key_padding_mask")   # attn_mask=true / key_padding_mask=true: the last inputs are these


def _attention() -> Op:
    """nn.MultiheadAttention's forward(query, key, value, key_padding_mask=, attn_mask=, is_causal=); the spec's
    result is the attention output alone, which need_weights=False asks for (is_causal is then honoured)."""
    inferred = {"embed_dim": _last}

    def make(args, shapes):
        masks = [m for m in _MASKS if args.get(m)]
        roles = len(shapes) - len(masks)
        _, key, value = _roles(tuple(shapes[:roles]))
        sizes = {"kdim": key[-1] if key else 1, "vdim": value[-1] if value else 1}
        options = {k: v for k, v in args.items() if k not in (*_MASKS, "is_causal")}
        module = nn.MultiheadAttention(**_with_inferred(options, shapes, inferred), **sizes)
        causal = {"is_causal": args["is_causal"]} if "is_causal" in args else {}

        def forward(training, *tensors):
            module.train(training)
            given = dict(zip(masks, tensors[roles:]))
            return module(*_roles(tensors[:roles]), **given, **causal, need_weights=False)[0]
        return Call(module, forward)
    return Op(make, ("num_heads", "dropout", "bias", "add_bias_kv", "add_zero_attn"), inferred)


# ---------------------------------------------------------------- selection, creation, cropping

def _dtype(args: dict) -> dict:
    """The spec's dtype="int64" is torch.int64; left out, torch's default applies."""
    return {"dtype": getattr(torch, args["dtype"])} if args.get("dtype") is not None else {}


def _filled(fn: Callable) -> Op:
    """torch.ones/zeros(*size, dtype=None): no tensor input."""
    return Op(lambda args, shapes: _function(lambda training: fn(args["size"], **_dtype(args))), ("*size",))


def _arange() -> Op:
    """torch.arange(end) or torch.arange(start, end, step=1): the spec's single bound (`arange(5)`, written as
    `start`) is torch's single bound, the end; every other combination is passed as written."""
    def make(args, shapes):
        bounds = {k: args[k] for k in ("start", "end", "step") if k in args}
        if set(bounds) == {"start"}:
            return _function(lambda training: torch.arange(bounds["start"], **_dtype(args)))
        return _function(lambda training: torch.arange(**{"start": 0, **bounds}, **_dtype(args)))
    return Op(make, ("start", "end", "step"))


def _center_crop(training: bool, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """netdsl's own op (no torch op computes it): torchvision's documented transforms.functional.center_crop,
    written out here and generalised from (H, W) to every dim from 2 on of [N, C, *spatial]. A crop larger
    than the input pads it with zeros first ((c - s) // 2 before, the rest after). The crop starts at
    floor((s - c) / 2), as netdsl documents it (the larger half of an odd difference cut at the end):
    torchvision's int(round((s - c) / 2.0)) rounds halves to even, so it starts one later when s - c is
    3, 7, 11, ... — a difference netdsl does not follow (docs/testing.md)."""
    if x.dim() != like.dim():
        raise PythonRejects(f"a {like.dim()}-D tensor gives no crop size for each spatial dim of a {x.dim()}-D one")
    for d in range(2, x.dim()):
        size, crop = x.shape[d], like.shape[d]
        if crop > size:
            padding = [0, 0] * (x.dim() - 1 - d) + [(crop - size) // 2, (crop - size + 1) // 2]
            x, size = F.pad(x, padding), crop
        x = x.narrow(d, (size - crop) // 2, crop)
    return x


def _sdpa() -> Op:
    """F.scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
    scale=None, enable_gqa=False); a fourth input is attn_mask. As a layer of a module, dropout_p applies in
    training only (`dropout_p=self.dropout if self.training else 0`, PyTorch's own examples; F.sdpa itself
    drops out whenever dropout_p > 0). torch's CPU kernel dies of a floating-point exception on some
    empty inputs: a call with an empty tensor is first made in another process (_survives)."""
    def make(args, shapes):
        options = {k: args[k] for k in ("is_causal", "scale", "enable_gqa") if k in args}

        def forward(training, *tensors):
            if any(t.numel() == 0 for t in tensors):
                _survives(tuple(t.shape for t in tensors), options)
            return F.scaled_dot_product_attention(
                *tensors, dropout_p=args.get("dropout_p", 0.0) if training else 0.0, **options)
        return _function(forward)
    return Op(make, ("dropout_p", "is_causal", "scale"))


class TorchCrashes(PythonRejects):
    """PyTorch kills the process making the call: it computes nothing, so it rejects the case."""


_PROBE: list[ProcessPoolExecutor] = []   # one process making the calls that may kill it; a new one after a death


def _survives(shapes: tuple, options: dict) -> None:
    """F.scaled_dot_product_attention on zeros of these shapes in another process (spawned: a forked copy of
    a process running torch may hang); raises TorchCrashes if that process dies. Its exceptions are left to
    the caller, which makes the same call."""
    if not _PROBE:
        _PROBE.append(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
    try:
        _PROBE[0].submit(_attend_zeros, shapes, options).result()
    except BrokenProcessPool:
        _PROBE.pop().shutdown()
        raise TorchCrashes("PyTorch kills the process (torch 2.13: SIGFPE, e.g. enable_gqa with a key of 0 heads)") from None


def _attend_zeros(shapes: tuple, options: dict) -> None:
    try:
        F.scaled_dot_product_attention(*(torch.zeros(shape, dtype=torch.float64) for shape in shapes), **options)
    except Exception:  # noqa: BLE001, S110 — only whether the process survives matters here
        pass


def _selection() -> dict[str, Op]:
    return {
        "where": Op(lambda args, shapes: _function(lambda training, condition, a, b: torch.where(condition, a, b)),
                    masks=(0,)),
        "masked_fill": Op(lambda args, shapes: _function(lambda training, x, mask: x.masked_fill(mask, args["value"])),
                          ("value",), masks=(1,)),
        "ones": _filled(torch.ones), "zeros": _filled(torch.zeros), "arange": _arange(),
        "center_crop": Op(lambda args, shapes: _function(_center_crop)),
        "scaled_dot_product_attention": _sdpa(),
    }


ORACLE: dict[str, Op] = {
    **_convolutions(), **_pools(),
    "linear": _nn("Linear", {"in_features": _last}, ("out_features", "bias")),
    **_norms(), **_padding(), **_pointwise(), **_tensor_ops(), **_resampling(),
    "embedding": Op(_nn("Embedding").make, ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                                             "scale_grad_by_freq", "sparse"), indices=True),
    "rnn": _recurrent("RNN"), "lstm": _recurrent("LSTM"), "gru": _recurrent("GRU"),
    "multihead_attention": _attention(), **_selection(),
}
