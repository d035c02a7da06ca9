"""rnn, lstm, gru, from one table of variants.

torch returns (output, h_n) — (output, (h_n, c_n)) for an LSTM. A node has one output, so the
`returns` argument says which one the layer stands for: "output" (the whole sequence, the default),
"hidden" (h_n: [layers × directions, N, H]) or, for lstm, "cell" (c_n). `select(0, -1)` then takes the
last layer's hidden state. The `call` field turns this into the tuple index in generated code.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import codes
from ..kinds import CannotUnpack, Inferred, LayerKind, Recognise
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
from ..sizes import at_least, format_size

# nn.RNN/LSTM/GRU create every layer's weights as Python objects in a loop whose cost grows with the
# square of the stack (torch 2.13: 0.9 s for 1,000 layers, 43 s for 10,000): deeper stacks are refused.
MAX_LAYERS = 1000
# torch computes a recurrent layer one time step after another, for each layer and direction (about
# 0.5 ms a step on a CPU, 20 ms on the meta device): more sequential steps than this are refused.
MAX_STEPS = 2**16


@dataclass(frozen=True)
class Variant:
    module: str
    gates: int                             # weight blocks per layer: 1 (rnn), 3 (gru), 4 (lstm)
    results: dict[str, str]                # `returns` choice → where it sits in torch's result
    extra: dict[str, Field]                # arguments only this variant has


VARIANTS = {
    "rnn": Variant("nn.RNN", 1, {"output": "[0]", "hidden": "[1]"},
                   {"nonlinearity": Field(Choice(("tanh", "relu")), "tanh")}),
    "gru": Variant("nn.GRU", 3, {"output": "[0]", "hidden": "[1]"}, {}),
    "lstm": Variant("nn.LSTM", 4, {"output": "[0]", "hidden": "[1][0]", "cell": "[1][1]"},
                    {"proj_size": Field(NON_NEGATIVE, 0)}),
}


def _sizes(args) -> tuple[int, int]:
    """(directions, the size of each output feature: proj_size when an LSTM projects, else hidden_size)."""
    return 2 if args.bidirectional else 1, args.values.get("proj_size", 0) or args.hidden_size


def _recurrent_kind(name: str, variant: Variant) -> LayerKind:
    fields = dict(hidden_size=Field(POSITIVE), num_layers=Field(POSITIVE, 1), **{
        k: f for k, f in variant.extra.items() if k != "proj_size"})
    fields.update(bias=Field(Bool(), True), batch_first=Field(Bool(), False), dropout=Field(PROBABILITY, 0.0),
                  bidirectional=Field(Bool(), False), **{k: f for k, f in variant.extra.items() if k == "proj_size"})
    fields.update(input_size=Field(optional(POSITIVE), None),
                  returns=Field(Choice(tuple(variant.results)), "output"))
    options = tuple(k for k in fields if k not in ("hidden_size", "input_size", "returns"))

    def features(args, inputs):
        shape = inputs[0]
        if len(shape) not in (2, 3):
            layout = "[N, L, features]" if args.batch_first else "[L, N, features]"
            raise ShapeError(f"`{name}` expects a 2-D [L, features] or 3-D {layout} input, but receives "
                             f"{len(shape)}-D {format_shape(shape)}", code=codes.E0404)
        return fixed_size(name, "input features", shape[-1])

    def infer(args, inputs):
        (shape,) = inputs
        if "proj_size" in args.values:
            require(at_least(args.hidden_size - 1, args.proj_size), lambda: ShapeError(
                f"proj_size ({format_size(args.proj_size)}) must be smaller than hidden_size "
                f"({format_size(args.hidden_size)})", arg="proj_size", code=codes.E0307))
        if isinstance(args.num_layers, int) and args.num_layers > MAX_LAYERS:
            raise ShapeError(f"`{name}` with num_layers={args.num_layers:,} is deeper than the {MAX_LAYERS:,} layers "
                             "PyTorch builds in reasonable time (it creates each layer's weights one by one)",
                             arg="num_layers", code=codes.E0424, help="stack fewer layers")
        directions, out = _sizes(args)
        steps = shape[1 if args.batch_first and len(shape) == 3 else 0]
        if isinstance(steps, int) and isinstance(args.num_layers, int) and steps * args.num_layers * directions > MAX_STEPS:
            raise ShapeError(f"`{name}` over {steps:,} time steps, {args.num_layers * directions:,} layers and directions "
                             f"deep, runs {steps * args.num_layers * directions:,} sequential steps, more than the "
                             f"{MAX_STEPS:,} netdsl allows (PyTorch computes them one after another)", code=codes.E0424,
                             help="shorten the sequence" + (" (batch_first=true reads [N, L, features])"
                                                            if args.batch_first else " (the input is [L, N, features])"))
        batch = () if len(shape) == 2 else (shape[0 if args.batch_first else 1],)
        if args.returns == "output":
            return shape[:-1] + (directions * out,)
        states = args.hidden_size if args.returns == "cell" else out
        return (directions * args.num_layers,) + batch + (states,)

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
                + "".join(f", {k}={v}" for k, v in extras.items()) + f") {args.returns}")

    # "[1][0]" → the index path (1, 0) into torch's (output, (h_n, c_n)).
    paths = {tuple(int(i) for i in where.strip("[]").split("][")): choice for choice, where in variant.results.items()}

    def unpack(args, count: int):
        choices = " or ".join(f'returns="{c}"' for c in variant.results)
        raise CannotUnpack(f"`{name}` stands for one of torch's results: choose it with {choices}")

    return LayerKind(
        name=name, schema=Schema(fields), infer=infer, prefix=name, positional=("hidden_size", "num_layers"),
        inferred=(Inferred("input_size", features, "input features"),), params=params, macs=macs,
        module=variant.module, module_args=lambda args, inputs: ((args.input_size, args.hidden_size),
                                                                 args.changed(*options)),
        call=lambda module, names, args: f"{module}({names[0]}){variant.results[args.returns]}", unpack=unpack,
        label=label, doc=f"torch.{variant.module}; input_size is inferred; returns picks "
        + " or ".join(variant.results),
        recognise=Recognise(results=lambda path: {"returns": paths[path]} if path in paths else None))


KINDS = tuple(_recurrent_kind(name, variant) for name, variant in VARIANTS.items())
