"""Deliberately broken layer kinds, for the mutation check (test_mutants.py): each mutant replaces one
registered kind by a copy with one plausible bug — in its shape rule, its constructor arguments, its
defaults, its counts or its emitted code. The agreement and equivalence tests must catch every one.

This is the one test module that knows the registry's internals (LayerKind's fields, the argument
Schema, `register`); when they change, only this file changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from netdsl import registry
from netdsl.schema import Schema


@dataclass(frozen=True)
class Mutant:
    name: str
    kind: str
    bug: str
    mutate: Callable[[registry.LayerKind], registry.LayerKind]


@contextmanager
def applied(mutant: Mutant) -> Iterator[None]:
    """The registry with mutant.kind replaced by its broken copy, restored afterwards."""
    original = registry.lookup(mutant.kind)
    registry.register(mutant.mutate(original), replace=True)
    try:
        yield
    finally:
        registry.register(original, replace=True)


def _with(kind, field: str, wrap: Callable) -> registry.LayerKind:
    return replace(kind, **{field: wrap(getattr(kind, field))})


def _args(changes: dict):
    """Call the kind's function with some arguments overridden."""
    return lambda function: lambda args, *rest: function(args.replace(**changes), *rest)


def _plus_one(name: str):
    """Call the kind's function with one argument one larger."""
    return lambda function: lambda args, *rest: function(args.replace(**{name: getattr(args, name) + 1}), *rest)


def _without(*names: str):
    """module_args that leave out the named keyword arguments."""
    def wrap(module_args):
        def mutated(args, inputs):
            positional, keywords = module_args(args, inputs)
            return positional, {k: v for k, v in keywords.items() if k not in names}
        return mutated
    return wrap


def _swapped(a: str, b: str):
    """module_args that pass a's value as b and b's as a (each taken from the arguments, default or not)."""
    def wrap(module_args):
        def mutated(args, inputs):
            positional, keywords = module_args(args, inputs)
            return positional, {**keywords, a: getattr(args, b), b: getattr(args, a)}
        return mutated
    return wrap


def _default(name: str, value):
    def mutate(kind):
        fields = dict(kind.schema.fields)
        fields[name] = replace(fields[name], default=value)
        return replace(kind, schema=Schema(fields))
    return mutate


def _transpose_without_output_padding_check(kind):
    """The shape rule of output_padding 0, plus output_padding: no `output_padding < stride` check."""
    def infer(args, inputs):
        shape = kind.infer(args.replace(output_padding=0), inputs)
        extra = args.output_padding if isinstance(args.output_padding, tuple) else (args.output_padding,) * 3
        return shape[:-3] + tuple(s + e for s, e in zip(shape[-3:], extra))
    return replace(kind, infer=infer)


def _pool_off_by_one(kind):
    """floor((L + 2p - d(k-1)) / s) + 1: the formula without its -1, i.e. the rule for a length one longer."""
    def infer(args, inputs):
        (shape,) = inputs
        longer = shape[:-1] + (shape[-1] + 1,) if shape and isinstance(shape[-1], int) else shape
        return kind.infer(args, (longer,))
    return replace(kind, infer=infer)


def _max_ignores_keepdim(kind):
    return replace(kind, infer=_args({"keepdim": False})(kind.infer),
                   functional=_args({"keepdim": False})(kind.functional))


def _emitted(old: str, new: str):
    """functional whose emitted expression has old replaced by new."""
    return lambda functional: lambda args, names, inputs: functional(args, names, inputs).replace(old, new)


def _operands(order: tuple[int, ...]):
    """functional given its input names in another order."""
    return lambda functional: lambda args, names, inputs: functional(args, tuple(names[i] for i in order), inputs)


def _call_index(old: str, new: str):
    return lambda call: lambda module, names, args: call(module, names, args).replace(old, new)


MUTANTS = [
    Mutant("max-keepdim", "max", "ignores keepdim in its shape rule and in the emitted torch.amax",
           _max_ignores_keepdim),
    Mutant("leaky_relu-slope", "leaky_relu", "drops negative_slope from nn.LeakyReLU",
           lambda kind: _with(kind, "module_args", _without("negative_slope"))),
    Mutant("gelu-approximate", "gelu", "drops approximate from nn.GELU",
           lambda kind: _with(kind, "module_args", _without("approximate"))),
    Mutant("conv_transpose3d-output_padding", "conv_transpose3d", "has no output_padding < stride check",
           _transpose_without_output_padding_check),
    Mutant("flatten-default", "flatten", "a wrong default: start_dim=0 (nn.Flatten's is 1)",
           _default("start_dim", 0)),
    Mutant("linear-default", "linear", "a wrong default: bias=false (nn.Linear's is True)",
           _default("bias", False)),
    Mutant("conv2d-swapped", "conv2d", "passes stride as dilation and dilation as stride",
           lambda kind: _with(kind, "module_args", _swapped("stride", "dilation"))),
    Mutant("conv2d-positional", "conv2d", "a swapped pair in its positional order (kernel_size, out_channels)",
           lambda kind: replace(kind, positional=("kernel_size", "out_channels") + kind.positional[2:])),
    Mutant("maxpool1d-off-by-one", "maxpool1d", "an off-by-one in the output-size formula", _pool_off_by_one),
    Mutant("conv1d-bias", "conv1d", "drops bias from nn.Conv1d (bias=false builds one anyway)",
           lambda kind: _with(kind, "module_args", _without("bias"))),
    Mutant("conv1d-params", "conv1d", "counts parameters as if groups were 1",
           lambda kind: _with(kind, "params", _args({"groups": 1}))),
    Mutant("batchnorm2d-buffers", "batchnorm2d", "counts 2 buffer elements per channel (not 2C + 1)",
           lambda kind: _with(kind, "buffers", lambda buffers: lambda args, inputs: buffers(args, inputs) - 1)),
    # Bugs that change no shape and no count: only the numbers tell.
    Mutant("batchnorm2d-momentum", "batchnorm2d", "drops momentum (the running statistics move at 0.1)",
           lambda kind: _with(kind, "module_args", _without("momentum"))),
    Mutant("elu-alpha", "elu", "drops alpha from nn.ELU", lambda kind: _with(kind, "module_args", _without("alpha"))),
    Mutant("dropout-p", "dropout", "drops p from nn.Dropout", lambda kind: _with(kind, "module_args", _without("p"))),
    Mutant("embedding-scale_grad", "embedding", "drops scale_grad_by_freq (only the gradients differ)",
           lambda kind: _with(kind, "module_args", _without("scale_grad_by_freq"))),
    Mutant("lstm-cell", "lstm", "returns h_n where the spec asks for c_n",
           lambda kind: _with(kind, "call", _call_index("[1][1]", "[1][0]"))),
    Mutant("gru-dropout", "gru", "drops dropout between layers (training mode only)",
           lambda kind: _with(kind, "module_args", _without("dropout"))),
    # The kinds of #14: emitted expressions rather than nn modules.
    Mutant("ge-as-gt", "ge", "emits `a > b` (differs only where elements are equal)",
           lambda kind: _with(kind, "functional", _emitted(" >= ", " > "))),
    Mutant("narrow-start", "narrow", "an off-by-one in the emitted start: x.narrow(dim, start + 1, length)",
           lambda kind: _with(kind, "functional", _plus_one("start"))),
    Mutant("tril-default", "tril", "a wrong default: diagonal=1 (torch.tril's is 0)", _default("diagonal", 1)),
    Mutant("masked_fill-value", "masked_fill", "fills 0 whatever the value",
           lambda kind: _with(kind, "functional", _args({"value": 0}))),
    Mutant("where-swapped", "where", "emits torch.where(condition, b, a)",
           lambda kind: _with(kind, "functional", _operands((0, 2, 1)))),
    Mutant("ones-dtype", "ones", "drops dtype (always float32)",
           lambda kind: _with(kind, "functional", _args({"dtype": None}))),
    Mutant("sdpa-scale", "scaled_dot_product_attention", "drops scale (always 1/sqrt(E))",
           lambda kind: _with(kind, "functional", _args({"scale": None}))),
]

# The mutants of the normal test run: quick to catch, one of each sort of bug.
QUICK = ("max-keepdim", "gelu-approximate", "conv_transpose3d-output_padding", "conv1d-bias", "ge-as-gt")
