"""rnn, lstm, gru, from one table of variants.

torch returns (output, h_n) — (output, (h_n, c_n)) for an LSTM — from one call; the kinds declare these
as results (netdsl.kinds.Result): `out, h = x -> gru(64)`, `out, (h, c) = x -> lstm(64)`. A chain
continues with the result `returns` names: "output" (the whole sequence, the default), "hidden" (h_n:
[layers × directions, N, H]) or, for lstm, "cell" (c_n); `select(0, -1)` then takes the last layer's
hidden state. The initial state is an optional further input, as torch takes it: `gru(x, h0, 64)`,
`lstm(x, (h0, c0), 64)`, or piped, `x -> gru(h0, 64)`.
"""

from __future__ import annotations

from dataclasses import replace

from .. import codes, records
from ..dtypes import FLOAT_LAYER
from ..kinds import Inferred, LayerKind, Recognise, Result, result_paths
from ..schema import (
    NON_NEGATIVE,
    POSITIVE,
    PROBABILITY,
    Bool,
    Choice,
    Field,
    Schema,
    optional,
)
from ..shapes import ShapeError, fixed_size, format_shape, numel, require
from ..sizes import at_least, compare, format_size

# nn.RNN/LSTM/GRU create every layer's weights as Python objects in a loop whose cost grows with the
# square of the stack (torch 2.13: 0.9 s for 1,000 layers, 43 s for 10,000): deeper stacks are refused.
MAX_LAYERS = 1000
# torch computes a recurrent layer one time step after another, for each layer and direction (about
# 0.5 ms a step on a CPU, 20 ms on the meta device): more sequential steps than this are refused.
MAX_STEPS = 2**16


@records.value
class Variant:
    module: str
    gates: int                             # weight blocks per layer: 1 (rnn), 3 (gru), 4 (lstm)
    state: tuple                           # the initial state, as torch's forward takes it (hx)
    extra: dict[str, Field]                # arguments only this variant has


VARIANTS = {
    "rnn": Variant("nn.RNN", 1, ("h_0",), {"nonlinearity": Field(Choice(("tanh", "relu")), "tanh")}),
    "gru": Variant("nn.GRU", 3, ("h_0",), {}),
    "lstm": Variant("nn.LSTM", 4, (("h_0", "c_0"),), {"proj_size": Field(NON_NEGATIVE, 0)}),
}


def _sizes(args) -> tuple[int, int]:
    """(directions, the size of each output feature: proj_size when an LSTM projects, else hidden_size)."""
    return 2 if args.bidirectional else 1, args.values.get("proj_size", 0) or args.hidden_size


def _batch(args, shape) -> tuple:
    """The input's batch dim, as a 1-tuple; () for an unbatched [L, features] input."""
    return () if len(shape) == 2 else (shape[0 if args.batch_first else 1],)


def _output(args, inputs):
    directions, out = _sizes(args)
    return inputs[0][:-1] + (directions * out,)


def _hidden(args, inputs):
    """h_n, and the h_0 a call may give: one state per layer and direction, never batch-first."""
    directions, out = _sizes(args)
    return (directions * args.num_layers,) + _batch(args, inputs[0]) + (out,)


def _cell(args, inputs):
    directions, _ = _sizes(args)
    return (directions * args.num_layers,) + _batch(args, inputs[0]) + (args.hidden_size,)


_RESULTS = {"output": Result("output", _output), "hidden": Result("hidden", _hidden), "cell": Result("cell", _cell)}
_STATES = {"h_0": _hidden, "c_0": _cell}


def _check_state(name: str, state: str, expected, actual, args, source) -> None:
    """An initial state must have exactly the shape of the state torch returns (its check_hidden_size)."""
    directions, out = _sizes(args)
    batched = len(expected) == 3
    layout = "[num_layers × directions, N, features]" if batched else "[num_layers × directions, features]"
    message = (f"`{name}` expects its initial state {state} to be {format_shape(expected)}, but it is "
               f"{format_shape(actual)}")
    layers = (f"num_layers={args.num_layers}, bidirectional={'true' if args.bidirectional else 'false'}: "
              f"{args.num_layers} layer{'s' if args.num_layers != 1 else ''} × {directions} direction"
              f"{'s' if directions != 1 else ''} = {directions * args.num_layers} states")
    features = "hidden_size" if state == "c_0" or out == args.hidden_size else "proj_size"
    explained = {0: layers, len(expected) - 1: f"{state}'s last dim is {features} ({format_size(expected[-1])})"}
    if batched:
        explained[1] = f"dim 1 is the batch: {format_size(expected[1])}, as in the input {format_shape(source)}"
    if len(actual) != len(expected):
        raise ShapeError(f"{message}: {'a batched 3-D' if batched else 'an unbatched 2-D'} input needs a "
                         f"{len(expected)}-D {state}", arg=state, code=codes.E0424,
                         notes=(f"torch's state is {layout}",))
    def matches(shape) -> bool:
        return all(compare(a, b) is True for a, b in zip(actual, shape))

    def differs(shape) -> bool:   # at every size (not only at some, which the requirements below handle)
        return any(compare(a, b) is False for a, b in zip(actual, shape))

    # Swapped only where that tells it apart: with as many states as batch rows both orders are right.
    if batched and args.batch_first and matches((expected[1], expected[0], expected[2])) and differs(expected):
        raise ShapeError(f"{message}: the batch comes second in {state}, even with batch_first=true", arg=state,
                         code=codes.E0424, notes=(f"torch's state is {layout} whatever batch_first says", layers),
                         help=f"declare {state} as {format_shape(expected)}, or swap its first two dims "
                              "(`-> transpose(0, 1)`)")
    for index, (want, have) in enumerate(zip(expected, actual)):
        require(compare(want, have), lambda index=index, have=have: ShapeError(
            f"{message}: dim {index} is {format_size(have)}", arg=state, code=codes.E0424,
            notes=(explained[index],),
            help=f"give {state} one state per layer and direction ({format_size(want)}), or change num_layers or "
                 "bidirectional" if index == 0 else None))


def _recurrent_kind(name: str, variant: Variant) -> LayerKind:
    fields = dict(hidden_size=Field(POSITIVE), num_layers=Field(POSITIVE, 1), **{
        k: f for k, f in variant.extra.items() if k != "proj_size"})
    fields.update(bias=Field(Bool(), True), batch_first=Field(Bool(), False), dropout=Field(PROBABILITY, 0.0),
                  bidirectional=Field(Bool(), False), **{k: f for k, f in variant.extra.items() if k == "proj_size"})
    results = ("output", "hidden", "cell") if name == "lstm" else ("output", "hidden")
    fields.update(input_size=Field(optional(POSITIVE), None), returns=Field(Choice(results), "output"))
    options = tuple(k for k in fields if k not in ("hidden_size", "input_size", "returns"))
    states = tuple(s for group in variant.state for s in (group if isinstance(group, tuple) else (group,)))

    def features(args, inputs):
        shape = inputs[0]
        if len(shape) not in (2, 3):
            layout = "[N, L, features]" if args.batch_first else "[L, N, features]"
            raise ShapeError(f"`{name}` expects a 2-D [L, features] or 3-D {layout} input, but receives "
                             f"{len(shape)}-D {format_shape(shape)}", code=codes.E0404)
        return fixed_size(name, "input features", shape[-1])

    def infer(args, inputs):
        if "proj_size" in args.values:
            require(at_least(args.hidden_size - 1, args.proj_size), lambda: ShapeError(
                f"proj_size ({format_size(args.proj_size)}) must be smaller than hidden_size "
                f"({format_size(args.hidden_size)})", arg="proj_size", code=codes.E0307))
        if isinstance(args.num_layers, int) and args.num_layers > MAX_LAYERS:
            raise ShapeError(f"`{name}` with num_layers={args.num_layers:,} is deeper than the {MAX_LAYERS:,} layers "
                             "PyTorch builds in reasonable time (it creates each layer's weights one by one)",
                             arg="num_layers", code=codes.E0425, help="stack fewer layers")
        shape, (directions, _) = inputs[0], _sizes(args)
        steps = shape[1 if args.batch_first and len(shape) == 3 else 0]
        if isinstance(steps, int) and isinstance(args.num_layers, int) and steps * args.num_layers * directions > MAX_STEPS:
            raise ShapeError(f"`{name}` over {steps:,} time steps, {args.num_layers * directions:,} layers and directions "
                             f"deep, runs {steps * args.num_layers * directions:,} sequential steps, more than the "
                             f"{MAX_STEPS:,} netdsl allows (PyTorch computes them one after another)", code=codes.E0425,
                             help="shorten the sequence" + (" (batch_first=true reads [N, L, features])"
                                                            if args.batch_first else " (the input is [L, N, features])"))
        for state, shape in zip(states, inputs[1:]):
            _check_state(name, state, _STATES[state](args, inputs), shape, args, inputs[0])
        return _RESULTS[args.returns].shape(args, inputs)

    def layer_inputs(args) -> tuple[tuple[int, int], ...]:
        """(input size, how many layers have it): the first layer reads the input, the others the one
        below. Counted, not listed: num_layers may be huge in a spec that is only checked."""
        directions, out = _sizes(args)
        return (args.input_size, 1), (directions * out, args.num_layers - 1)

    def params(args, inputs):
        directions, out = _sizes(args)
        h, gates = args.hidden_size, variant.gates
        total = 0
        for size, layers in layer_inputs(args):
            per_layer = gates * h * (size + out) + (2 * gates * h if args.bias else 0)
            if "proj_size" in args.values and args.proj_size:
                per_layer = per_layer + h * out
            total = total + layers * per_layer
        return directions * total

    def macs(args, inputs, output):
        directions, out = _sizes(args)
        steps = numel(inputs[0][:-1])   # every time step of every sequence in the batch
        per_step = 0
        for size, layers in layer_inputs(args):
            per_step = per_step + layers * variant.gates * args.hidden_size * (size + out)
        return steps * directions * per_step

    def label(args, inputs):
        extras = args.changed("num_layers", "bidirectional", "proj_size" if "proj_size" in args.values else "bias")
        return (f"{name}({format_size(args.input_size)}→{format_size(args.hidden_size)}"
                + "".join(f", {k}={v}" for k, v in extras.items()) + ")")

    structure = (_RESULTS["output"], (_RESULTS["hidden"], _RESULTS["cell"])) if name == "lstm" else \
        (_RESULTS["output"], _RESULTS["hidden"])
    # torch's index path of each result → the `returns` that makes the layer stand for it (import).
    paths = {path: {"returns": result} for result, path in result_paths(structure).items()}
    return LayerKind(
        name=name, schema=Schema(fields), infer=infer, prefix=name, positional=("hidden_size", "num_layers"),
        inferred=(Inferred("input_size", features, "input features"),), params=params, macs=macs,
        module=variant.module, module_args=lambda args, inputs: ((args.input_size, args.hidden_size),
                                                                 args.changed(*options)),
        results=structure, result_argument="returns", optional_inputs=variant.state, label=label,
        doc=f"torch.{variant.module}; input_size is inferred; gives {', '.join(results)} "
        f"(`out, {'(h, c)' if name == 'lstm' else 'h'} = x -> {name}(...)`); a chain continues with the one "
        f"returns picks; the initial state {'(h_0, c_0)' if name == 'lstm' else 'h_0'} is an optional input",
        recognise=Recognise(results=paths.get))


KINDS = tuple(replace(_recurrent_kind(name, variant), dtypes=FLOAT_LAYER) for name, variant in VARIANTS.items())
