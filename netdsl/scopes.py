"""What lowering keeps while it instantiates a definition: the values names stand for, and the
deterministic names of layers (`conv1`, `conv2`, `fc1`, or the user's label)."""

from __future__ import annotations

from dataclasses import field
from functools import lru_cache
from typing import Any

from . import records
from . import syntax as ast
from .ir import Assumption, Input, Node, RepeatCopy
from .source import Span


@records.value
class Tensor:
    """A tensor value in a spec: the graph value it refers to."""
    ref: str


class _Poison:
    """The value of an expression whose error is already reported: it silences follow-on errors."""

    def __repr__(self) -> str:
        return "POISON"


POISON = _Poison()


@records.record
class Binding:
    value: Any
    span: Span
    role: str  # "param", "dim" or "tensor"


class Naming:
    """Layer names: a user's label is kept; others are a prefix and a counter (`conv1`, `conv2`),
    skipping names a label anywhere in the definition takes."""

    def __init__(self, labels: set[str]):
        self.labels = labels
        self.counters: dict[str, int] = {}
        self.used: set[str] = set()

    def use(self, name: str) -> None:
        self.used.add(name)

    def fresh(self, prefix: str) -> str:
        while True:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            candidate = f"{prefix}{self.counters[prefix]}"
            if candidate not in self.labels and candidate not in self.used:
                self.used.add(candidate)
                return candidate


@records.record
class Scope:
    definition: ast.Definition
    naming: Naming
    env: dict[str, Binding] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)
    output: str | None = None
    repeat: RepeatCopy | None = None   # the copy of a repeat being expanded: recorded on the nodes it makes
    repeat_label: str | None = None    # the name of a named repeat being expanded: its layers' prefix
    repeat_runs: int = 0               # outermost repeats expanded so far (RepeatCopy.run)
    loops: int = 0                     # the `for` stages being expanded: a label inside one is a prefix
    # Symbols of the caller that the block's parameter values use (`ConvBN(C * t)`): the block's own
    # input-pattern symbols of those names are renamed (C → C_1), so that neither captures the other.
    outer: frozenset[str] = frozenset()
    # A block instantiated at a call may wait for its input sizes when a condition needs them (`if C ==
    # out`: lower.py's deferral). `pattern` binds the pattern's names (as written) when it is lowered again;
    # `symbols` is each pattern name's symbol (renamed as above).
    deferrable: bool = False
    pattern: dict[str, object] = field(default_factory=dict)
    symbols: dict[str, str] = field(default_factory=dict)
    decisions: list[tuple[str, bool]] = field(default_factory=list)   # each condition and its outcome, in order
    replay: list[bool] | None = None   # outcomes to take instead of evaluating conditions (a recipe's)
    labelled: dict[str, str] = field(default_factory=dict)   # a layer label → its node (`b -> enc` reuses it)

    def node(self, name: str) -> Node:
        return next(n for n in reversed(self.nodes) if n.name == name)

    def pattern_symbol(self, name: str) -> str:
        if name not in self.outer:
            return name
        number = 1
        while f"{name}_{number}" in self.outer or f"{name}_{number}" in self.env:
            number += 1
        return f"{name}_{number}"


@lru_cache(maxsize=1024)
def block_prefix(name: str) -> str:
    """Residual → residual; SqueezeExcite → squeeze_excite; _Private → private; _3d → block_3d (a layer
    name may not start with `_` (see names.check_python_name) or a digit)."""
    name = name.lstrip("_")
    if not name[:1].isalpha():
        name = "block_" + name if name else "block"
    return "".join(("_" + c.lower()) if c.isupper() and i else c.lower() for i, c in enumerate(name))


# The nodes that may hold a labelled layer or repeat, however deep (a call's arguments may hold a chain).
_HOLDERS = frozenset({ast.Call, ast.Repeat, ast.Chain, ast.BinOp, ast.Neg, ast.TupleExpr, ast.Arg, ast.Assign,
                      ast.Unpack, ast.OutputStmt, ast.ChainStmt, ast.IfStage, ast.ForStage, ast.Conditional, ast.Not,
                      ast.Subscript, ast.Slice})


def labels(body) -> list[ast.Call | ast.Repeat]:
    """Every explicitly named layer or repeat in a definition body, in source order."""
    found: list[ast.Call | ast.Repeat] = []
    pending = list(reversed(body))
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind not in _HOLDERS:
            continue
        if (kind is ast.Call or kind is ast.Repeat) and node.label is not None:
            found.append(node)
        for value in reversed(vars(node).values()):   # the last child first: pending is a stack
            if type(value) is tuple:
                pending += reversed(value)
            else:
                pending.append(value)
    return found
