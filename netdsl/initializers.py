"""Initialisers of parameters and buffers (`param W: [in, out] = kaiming_uniform(a=0.2)`): the one table
of them, read by resolution (names), lowering (arguments and dims) and code generation (the PyTorch
call that makes the tensor: `torch.zeros(...)`, or `torch.empty(...)` filled by a `torch.nn.init`
function, as a person writes it)."""

from __future__ import annotations

from functools import cached_property

from . import records
from .arguments import Signature
from .schema import Args, Choice, Field, Float, Schema, format_value

# torch.nn.init.calculate_gain's nonlinearities (kaiming's `nonlinearity`).
NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                  "sigmoid", "tanh", "relu", "leaky_relu", "selu")


@records.value
class Initializer:
    name: str                       # as a spec writes it: `normal`
    schema: Schema
    positional: tuple[str, ...] = ()
    factory: str | None = None      # a torch function that makes the tensor filled: `torch.zeros`
    function: str | None = None     # else a torch.nn.init function filling `torch.empty(...)`: `normal_`
    plain: str | None = None        # the torch function it is with torch's default arguments: `torch.randn`
    min_dims: int = 0               # xavier and kaiming compute fan in and fan out from dims 0 and 1
    doc: str = ""

    @cached_property
    def signature(self) -> Signature:
        return Signature(f"initialiser `{self.name}`", self.schema, self.positional)

    def arguments(self, args: Args) -> dict:
        """The arguments generated code writes: those that differ from torch's defaults."""
        return args.changed(*self.schema.fields)

    def create(self, written: dict[str, str], sizes: list[str], filled: bool) -> str:
        """The expression making the tensor, given the Python text of `arguments` and of each size:
        `torch.zeros(64, 10)`; for an nn.init initialiser the empty tensor (filled: False; `fill` fills it
        on the next line) or the tensor filled in place (`nn.init.normal_(torch.empty(8, 8), std=0.02)`)."""
        if self.factory == "torch.full":
            shape = f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"
            return f"torch.full({shape}, {written['val']})"
        factory = self.plain if self.plain is not None and not written else self.factory
        if factory is not None:
            return f"{factory}({', '.join(sizes) or '()'})"
        empty = f"torch.empty({', '.join(sizes) or '()'})"
        return self.fill(written, empty) if filled else empty

    def fill(self, written: dict[str, str], target: str) -> str | None:
        """The call that initialises `target` in place (`nn.init.normal_(self.W, std=0.02)`), or None when
        `create` makes the tensor filled."""
        if self.function is None or self.plain is not None and not written:
            return None
        return f"nn.init.{self.function}({target}{''.join(f', {k}={v}' for k, v in written.items())})"

    def describe(self, args: Args) -> str:
        """`normal(std=0.02)`, `zeros`: as a spec writes it, defaults left out."""
        changed = self.arguments(args)
        if not changed:
            return self.name
        return f"{self.name}({', '.join(f'{k}={format_value(v)}' for k, v in changed.items())})"


def _numbers(**defaults: float) -> Schema:
    return Schema({name: Field(Float(), default) for name, default in defaults.items()})


_KAIMING = Schema(dict(a=Field(Float(), 0.0), mode=Field(Choice(("fan_in", "fan_out")), "fan_in"),
                       nonlinearity=Field(Choice(NONLINEARITIES), "leaky_relu")))

INITIALIZERS: dict[str, Initializer] = {i.name: i for i in (
    Initializer("zeros", Schema({}), factory="torch.zeros", doc="every element 0 (torch.zeros)"),
    Initializer("ones", Schema({}), factory="torch.ones", doc="every element 1 (torch.ones)"),
    Initializer("constant", Schema(dict(val=Field(Float()))), ("val",), factory="torch.full",
                doc="every element val (torch.full)"),
    Initializer("normal", Schema(dict(mean=Field(Float(), 0.0), std=Field(Float(ge=0.0), 1.0))), ("mean", "std"),
                function="normal_", plain="torch.randn", doc="nn.init.normal_(mean=0, std=1); torch.randn"),
    Initializer("uniform", _numbers(a=0.0, b=1.0), ("a", "b"), function="uniform_", plain="torch.rand",
                doc="nn.init.uniform_ on [a, b), a=0, b=1; torch.rand"),
    Initializer("trunc_normal", Schema(dict(mean=Field(Float(), 0.0), std=Field(Float(ge=0.0), 1.0),
                                            a=Field(Float(), -2.0), b=Field(Float(), 2.0))),
                ("mean", "std", "a", "b"), function="trunc_normal_",
                doc="nn.init.trunc_normal_(mean=0, std=1, a=-2, b=2): normal, redrawn outside [a, b]"),
    Initializer("xavier_uniform", _numbers(gain=1.0), ("gain",), function="xavier_uniform_", min_dims=2,
                doc="nn.init.xavier_uniform_(gain=1): Glorot, from fan in and fan out"),
    Initializer("xavier_normal", _numbers(gain=1.0), ("gain",), function="xavier_normal_", min_dims=2,
                doc="nn.init.xavier_normal_(gain=1)"),
    Initializer("kaiming_uniform", _KAIMING, ("a", "mode", "nonlinearity"), function="kaiming_uniform_", min_dims=2,
                doc="nn.init.kaiming_uniform_(a=0, mode='fan_in', nonlinearity='leaky_relu'): He"),
    Initializer("kaiming_normal", _KAIMING, ("a", "mode", "nonlinearity"), function="kaiming_normal_", min_dims=2,
                doc="nn.init.kaiming_normal_(a=0, mode='fan_in', nonlinearity='leaky_relu')"),
)}


def default(buffer: bool) -> Initializer:
    """The initialiser of a declaration that names none: `param W: [C, out]` is `torch.randn(C, out)`, as
    PyTorch's tutorials write a custom layer's weight; `buffer count: [1]` starts at zeros."""
    return INITIALIZERS["zeros" if buffer else "normal"]
