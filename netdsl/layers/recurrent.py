"""rnn, lstm, gru.

torch returns (output, h_n) — (output, (h_n, c_n)) for an LSTM. A node has one output, so the
`returns` argument says which one the layer stands for: "output" (the whole sequence, the default),
"hidden" (h_n: [layers × directions, N, H]) or, for lstm, "cell" (c_n). `select(0, -1)` then takes the
last layer's hidden state. The `call` field turns this into the tuple index in generated code.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import NonNegativeInt, PositiveInt, confloat, create_model

from ..registry import Args, LayerKind, changed, register
from ..shapes import ShapeError, format_shape
from . import fixed_size

_GATES = {"rnn": 1, "gru": 3, "lstm": 4}
# nn.RNN/LSTM/GRU create every layer's weights as Python objects in a loop whose cost grows with the
# square of the stack (torch 2.13: 0.9 s for 1,000 layers, 43 s for 10,000): deeper stacks are refused.
MAX_LAYERS = 1000
# torch computes a recurrent layer one time step after another, for each layer and direction (about
# 0.5 ms a step on a CPU, 20 ms on the meta device): more sequential steps than this are refused.
MAX_STEPS = 2**16
# Where each choice sits in torch's result: LSTM's states come as a pair (h_n, c_n).
_INDEX = {"output": "[0]", "hidden": "[1]"}
_LSTM_INDEX = {"output": "[0]", "hidden": "[1][0]", "cell": "[1][1]"}


def _returns(name: str):
    return Literal["output", "hidden", "cell"] if name == "lstm" else Literal["output", "hidden"]


def _sizes(args) -> tuple[int, int]:
    """(directions, the size of each output feature: proj_size when an LSTM projects, else hidden_size)."""
    return 2 if args.bidirectional else 1, getattr(args, "proj_size", 0) or args.hidden_size


def _recurrent_kind(name: str) -> LayerKind:
    fields = dict(hidden_size=(PositiveInt, ...), num_layers=(PositiveInt, 1))
    if name == "rnn":
        fields["nonlinearity"] = (Literal["tanh", "relu"], "tanh")
    fields.update(bias=(bool, True), batch_first=(bool, False), dropout=(confloat(ge=0.0, le=1.0), 0.0),
                  bidirectional=(bool, False))
    if name == "lstm":
        fields["proj_size"] = (NonNegativeInt, 0)
    fields.update(input_size=(Optional[PositiveInt], None), returns=(_returns(name), "output"))
    options = tuple(k for k in fields if k not in ("hidden_size", "input_size", "returns"))
    gates = _GATES[name]
    index = _LSTM_INDEX if name == "lstm" else _INDEX

    def infer(args, inputs):
        (shape,) = inputs
        if len(shape) not in (2, 3):
            layout = "[N, L, features]" if args.batch_first else "[L, N, features]"
            raise ShapeError(f"`{name}` expects a 2-D [L, features] or 3-D {layout} input, but receives "
                             f"{len(shape)}-D {format_shape(shape)}", code="E0404")
        if args.num_layers > MAX_LAYERS:
            raise ShapeError(f"`{name}` with num_layers={args.num_layers:,} is deeper than the {MAX_LAYERS:,} layers "
                             "PyTorch builds in reasonable time (it creates each layer's weights one by one)",
                             arg="num_layers", code="E0414", help="stack fewer layers")
        features = fixed_size(name, "input features", shape[-1])
        if args.input_size is not None and args.input_size != features:
            raise ShapeError(f"`{name}` expects {args.input_size} input features, but receives {features} "
                             f"(input {format_shape(shape)})", arg="input_size", code="E0301",
                             help=f"drop input_size (it is inferred), or use input_size={features}")
        if getattr(args, "proj_size", 0) >= args.hidden_size:
            raise ShapeError(f"proj_size ({args.proj_size}) must be smaller than hidden_size ({args.hidden_size})",
                             arg="proj_size", code="E0307")
        directions, out = _sizes(args)
        steps = shape[1 if args.batch_first and len(shape) == 3 else 0]
        if isinstance(steps, int) and steps * args.num_layers * directions > MAX_STEPS:
            raise ShapeError(f"`{name}` over {steps:,} time steps, {args.num_layers * directions:,} layers and directions "
                             f"deep, runs {steps * args.num_layers * directions:,} sequential steps, more than the "
                             f"{MAX_STEPS:,} netdsl allows (PyTorch computes them one after another)", code="E0414",
                             help="shorten the sequence" + (" (batch_first=true reads [N, L, features])"
                                                            if args.batch_first else " (the input is [L, N, features])"))
        batch = () if len(shape) == 2 else (shape[0 if args.batch_first else 1],)
        if args.returns == "output":
            return shape[:-1] + (directions * out,)
        states = args.hidden_size if args.returns == "cell" else out
        return (directions * args.num_layers,) + batch + (states,)

    def layer_inputs(args, features: int) -> tuple[tuple[int, int], ...]:
        """(input size, how many layers have it): the first layer reads the input, the others the one
        below. Counted, not listed: num_layers may be huge in a spec that is only checked."""
        directions, out = _sizes(args)
        return (features, 1), (directions * out, args.num_layers - 1)

    def params(args, inputs):
        directions, out = _sizes(args)
        h = args.hidden_size
        total = sum(layers * (gates * h * (size + out) + (2 * gates * h if args.bias else 0)
                              + (h * out if out != h else 0)) for size, layers in layer_inputs(args, inputs[0][-1]))
        return directions * total

    def macs(args, inputs, output):
        directions, out = _sizes(args)
        steps = inputs[0][-2] if isinstance(inputs[0][-2], int) else 1
        per_step = sum(layers * gates * args.hidden_size * (size + out)
                       for size, layers in layer_inputs(args, inputs[0][-1]))
        return steps * directions * per_step

    def label(args, inputs):
        extras = changed(args, "num_layers", "bidirectional", "proj_size" if name == "lstm" else "bias")
        return (f"{name}({inputs[0][-1]}→{args.hidden_size}" + "".join(f", {k}={v}" for k, v in extras.items())
                + f") {args.returns}")

    return register(LayerKind(
        name=name, args=create_model(f"{name.upper()}Args", __base__=Args, **fields), infer=infer, prefix=name,
        positional=("hidden_size", "num_layers"), params=params, macs=macs, module=f"nn.{name.upper()}",
        module_args=lambda args, inputs: ((inputs[0][-1], args.hidden_size), changed(args, *options)),
        call=lambda module, names, args: f"{module}({names[0]}){index[args.returns]}",
        label=label, doc=f"torch.nn.{name.upper()}; input_size is inferred; returns picks output, hidden"
        + (" or cell" if name == "lstm" else "")))


for _name in _GATES:
    _recurrent_kind(_name)
