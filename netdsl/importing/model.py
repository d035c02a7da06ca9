"""What the importer builds between the traced PyTorch model and the spec text: one `Body` per module
instance that becomes a network or a block, made of `Step`s (one spec layer or block call each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..schema import Args
from ..shapes import Shape

PLUGIN_HELP = ("register a layer kind for it (netdsl.plugin; examples/plugin/ shows one): its `module` (or "
               "`recognise.calls`) tells `netdsl import` what it stands for")


@dataclass(frozen=True)
class Problem:
    """Something the importer cannot express: what, where in the Python source, and what to do."""
    message: str
    where: str = ""
    help: str = ""

    def __str__(self) -> str:
        return (f"{self.where}: " if self.where else "") + self.message + (f"\n  help: {self.help}" if self.help else "")


@dataclass
class Step:
    """One layer (`kind` and `args`) or one block call (`bodies`: the instance it calls, or the
    instances `repeat` copies call in turn)."""
    kind: str | None
    args: Args | None
    inputs: tuple[str, ...]          # value names in the body
    output: str
    origin: str | None = None        # the module's path inside the body's module ("conv1", "body.0")
    bodies: list[Body] = field(default_factory=list)
    variable: str | None = None      # the Python variable the source assigns the result to
    assigned: str | None = None      # the variable the Python statement computing it assigns
    weighted: bool = False           # holds parameters (a chain line breaks before it)
    repeat: int = 1
    values: tuple = ()               # a block call's arguments, once its block is defined
    positions: tuple[int, ...] = ()  # in a definition: the instance steps this step stands for
    shares: int | None = None        # the index of the earlier step whose module this one applies again (`b -> enc`)
    tie: int | None = None           # the index of the earlier layer whose weight this layer's is (`tie=embed`)

    @property
    def is_block(self) -> bool:
        return bool(self.bodies)

    def label(self) -> str | None:
        """The layer name the module's attribute gives it (`conv1`), if any."""
        last = (self.origin or "").rpartition(".")[2]
        return last if last.isidentifier() and self.repeat == 1 else None


@dataclass
class Learned:
    """A parameter or buffer that forward reads itself (`x @ self.W`): a `param` or `buffer` of the body."""
    target: str                  # its attribute path in the body's module: "W", "pos.weight"
    value: str                   # its value name in the body
    buffer: bool
    shape: tuple[int, ...]
    init: str | None             # as the spec writes it (`zeros`, `ones -> tril`); None: not a constant

    def signature(self) -> tuple:
        return self.target, self.buffer, len(self.shape), self.init


@dataclass
class Body:
    """A module instance traced on its own: the root (a network) or a user class's instance (a block)."""
    module: Any
    path: str                                   # from the root: "" or "layer1.0"
    inputs: list[tuple[str, Shape | None]]      # (value name, network-level shape)
    steps: list[Step] = field(default_factory=list)
    output: str | None = None
    shapes: dict[str, Shape | None] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)   # an input's value name → forward's parameter
    learned: list[Learned] = field(default_factory=list)
    arguments: dict = field(default_factory=dict)             # forward's other arguments, as its call gives them
    echo: bool = False       # a block traced again for a call on other shapes: sizes only, no call of its own
    definition: Any = None                      # its netdsl.importing.blocks.Definition, once grouped

    @property
    def class_name(self) -> str:
        return type(self.module).__name__

    def output_shape(self) -> Shape | None:
        return self.shapes.get(self.output) if self.output is not None else None
