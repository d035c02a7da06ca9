"""Definitions → spec text, laid out as a person writes it (and as `netdsl fmt` keeps it): data flows
along chains (`x -> conv1: conv2d(6, 5) -> relu`), a tensor gets a name only where it is used twice or
joins another, chains break before each layer with weights, and module attributes become layer names.

`places` maps the offset of every layer and block call in the text to the step it stands for, so that
the checked spec can be matched with the original model (netdsl.importing.keys)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import registry
from ..kinds import nested
from ..names import check_python_name
from ..schema import Float, format_value
from ..shapes import format_shape
from ..sizes import Size
from ..tokens import lex
from .blocks import Definition
from .model import Step

WIDTH = 100
INDENT = "    "


@dataclass
class Written:
    text: str
    places: dict[int, tuple[Definition, int]] = field(default_factory=dict)   # offset → (definition, step)
    learned: dict[int, list[str]] = field(default_factory=dict)   # id(definition) → its parameters' and buffers' names


def write(network: Definition, blocks: list[Definition], header: list[str]) -> Written:
    written = Written("".join(f"# {line}\n" for line in header))
    reserved = {*registry.all_kinds(), *(b.name for b in blocks), network.name}
    for definition in (*blocks, network):
        _DefinitionWriter(definition, written, reserved).write()
    return written


def spec_name(name: str) -> bool:
    """Whether a spec may use `name` for a tensor or a layer: one identifier token of the grammar that
    can also be a Python attribute."""
    tokens = lex(name)
    return (name.isascii() and name.isidentifier() and check_python_name(name) is None
            and [t.kind for t in tokens] == ["name"])


class _DefinitionWriter:
    def __init__(self, definition: Definition, written: Written, reserved: set[str]):
        self.definition, self.written = definition, written
        self.body = definition.instances[0]
        symbols = {str(name) for pattern in definition.patterns for dim in pattern or ()
                   for name in (dim.symbols() if isinstance(dim, Size) else {dim} if isinstance(dim, str) else ())}
        self.taken = {*reserved, *definition.params, *symbols}
        self.names: dict[str, str] = {}
        self.labels: set[str] = set()
        self.given: dict[int, str] = {}      # id(step) → its label, once written
        self.at = {position: step for step in definition.steps for position in step.positions}
        # steps applied again or tied to by their label: they need one
        self.named = {s.shares for s in definition.steps} | {s.tie for s in definition.steps}
        for step in definition.steps:   # their labels first, so that no tensor takes one (`tie=embed`)
            if self.named & set(step.positions):
                self._label(step)
        self.uses = {self.body.output: 1}
        for step in definition.steps:
            for name in step.inputs:
                self.uses[name] = self.uses.get(name, 0) + 1

    def write(self) -> None:
        definition = self.definition
        params = ", ".join(f"{p}: int" for p in definition.params)
        self._line(f"\n{definition.kind} {definition.name}({params}) {{")
        inputs = []
        for (value, _), pattern in zip(self.body.inputs, definition.patterns):
            name = self._tensor(value, self.body.variables.get(value), "x")
            if pattern is not None:
                name += ": " + (format_shape(pattern) if definition.kind == "network" else f"[{', '.join(pattern)}]")
            inputs.append(name)
        self._line(f"{INDENT}input {', '.join(inputs)}")
        self._learned()
        steps, output_written = definition.steps, False
        start = 0
        while start < len(steps):
            end = start + 1
            while end < len(steps) and self._pipes(steps[end - 1], steps[end]):
                end += 1
            output_written |= self._statement(steps[start:end])
            start = end
        if not output_written:
            self._line(f"{INDENT}output {self.names[self.body.output]}")
        self._line("}")

    def _learned(self) -> None:
        """`param W: [C, out]`, `buffer mask: [8, 8] = ones -> tril`: what forward reads itself, with its
        initial values where they are exact; elsewhere the default, and a comment that says so."""
        names = self.written.learned.setdefault(id(self.definition), [])
        for learned, shape in zip(self.body.learned, self.definition.learned):
            name = self._tensor(learned.value, learned.target.replace(".", "_"), "w")
            self.labels.add(name)
            names.append(name)
            line = f"{INDENT}{'buffer' if learned.buffer else 'param'} {name}: {format_shape(shape)}"
            if learned.init is not None:
                line += f" = {learned.init}"
            elif learned.buffer:
                line += "   # its values are not written: zeros here; load the model's state_dict"
            else:
                line += "   # the model's initialisation is not written: the default, normal"
            self._line(line)

    # ------------------------------------------------------------------ statements

    def _pipes(self, previous: Step, step: Step) -> bool:
        """Whether step continues previous's chain: it takes previous's tensor first, nothing else does,
        and the Python source did not give that tensor a name of its own (`scores = ...`) that the next
        statement does not assign again (`y = ...; y = f(y)` is one chain)."""
        value = previous.output
        return (self.uses.get(value) == 1 and value != self.body.output and step.inputs[:1] == (value,)
                and value not in step.inputs[1:] and not _is_operator(step)
                and previous.variable in (None, step.assigned))

    def _statement(self, chain: list[Step]) -> bool:
        """Write one chain; True when it is the definition's output."""
        head_step = chain[0]
        if _is_operator(head_step) or (len(head_step.inputs) > 1 and self._label(head_step, reserve=False) is None):
            head, stages = (head_step, self._call(head_step, piped=False)), chain[1:]
        else:
            head, stages = (None, self.names[head_step.inputs[0]]), chain
        result = chain[-1].output
        is_output = result == self.body.output and self.uses[result] == 1
        if is_output:
            prefix = "output " if _is_operator(head_step) else ""
        else:
            last = chain[-1]
            prefix = f"{self._tensor(result, last.variable, last.label() if last.weighted else None, 'y')} = "
        pieces = [head, *((s, self._call(s, piped=True)) for s in stages)]
        if is_output and not prefix:
            pieces.append((None, "output"))
        self._chain(INDENT + prefix, pieces)
        return is_output

    def _chain(self, prefix: str, pieces: list) -> None:
        """Lay a chain out: a line breaks before a block call or a layer with weights and sizes of its own
        (a convolution, not its batchnorm) when it holds one already, and where it would grow past WIDTH;
        continuation lines start with `->` under the first `->`."""
        indent = " " * (len(prefix) + len(pieces[0][1]) + 1)
        lines: list[list] = [[]]
        width, heavy_on_line = len(prefix), False
        for index, (step, text) in enumerate(pieces):
            heavy = step is not None and _starts_line(step)
            if index > 1 and ((heavy and heavy_on_line) or width + 4 + len(text) > WIDTH):
                lines.append([])
                width, heavy_on_line = len(indent) - 4, False
            lines[-1].append((step, text))
            width += len(text) + (4 if index > 0 else 0)
            heavy_on_line |= heavy
        positions = {id(step): index for index, step in enumerate(self.definition.steps)}
        for number, line in enumerate(lines):
            text = prefix if number == 0 else indent
            for index, (step, piece) in enumerate(line):
                if number > 0 or index > 0:
                    text += "-> " if index == 0 else " -> "
                if step is not None:
                    self.written.places[len(self.written.text) + len(text) + _call_start(piece)] = \
                        (self.definition, positions[id(step)])
                text += piece
            self._line(text)

    def _call(self, step: Step, piped: bool) -> str:
        """A stage (`conv1: conv2d(6, 5)`, the piped tensor left out) or a head (`concat(u, skip, dim=1)`,
        `x + y`, `2.0 * x`)."""
        tensors = [self.names[name] for name in (step.inputs[1:] if piped else step.inputs)]
        if _is_operator(step):
            kind = registry.lookup(step.kind)
            if kind.operator == "[]":   # `x[:, :4]`
                return f"{tensors[0]}{kind.label(step.args, ())}"
            operands = list(tensors)
            if step.args.values.get("scalar") is not None:
                operands.insert(0 if step.args.scalar_first else 1, format_value(step.args.scalar))
            return f"{operands[0]} {kind.operator} {operands[1]}"
        if step.shares is not None:
            return self.given[id(self.at[step.shares])]
        label = self._label(step) if piped or len(step.inputs) == 1 else None
        if step.is_block:
            name, arguments = step.bodies[0].definition.name, [*tensors, *map(format_value, step.values)]
            call = f"{name}({', '.join(arguments)})" + (f" * {step.repeat}" if step.repeat > 1 else "")
        else:
            # An LSTM's initial state is one argument, as in torch: `lstm(x, (h0, c0), 64)`.
            grouped = registry.lookup(step.kind).grouped(tuple(step.inputs[:1] if piped else ()) + tuple(tensors))
            arguments = [nested((item,), str) for item in grouped[1 if piped else 0:]] + _arguments(step)
            if step.tie is not None:
                arguments.append(f"tie={self.given[id(self.at[step.tie])]}")
            call = step.kind + (f"({', '.join(arguments)})" if arguments else "")
        return f"{label}: {call}" if label else call

    def _label(self, step: Step, reserve: bool = True) -> str | None:
        if id(step) in self.given:
            return self.given[id(step)]
        label = step.label()
        needed = bool(self.named & set(step.positions))   # applied again or tied to: it must have a label
        if needed:
            base = label if label is not None and spec_name(label) else (step.origin or "").replace(".", "_")
            base = base if spec_name(base) else step.bodies[0].definition.name.lower() if step.is_block else step.kind
            label = next(name for name in (base, *(f"{base}{n}" for n in range(1, 1000)))
                         if name not in self.labels and (name == step.label() or name not in self.taken))
        elif label is None or label in self.labels or not spec_name(label):
            return None
        if reserve:
            self.labels.add(label)
            self.given[id(step)] = label
            if needed:   # no tensor takes its name: `b -> enc` reads it as the label
                self.taken.add(label)
        return label

    def _tensor(self, value: str, *candidates: str | None) -> str:
        """The spec name of a value: the first candidate (the Python variable it was assigned to, the
        layer computing it, ...) that is free, or numbered."""
        for base in filter(None, candidates):
            if not spec_name(base):
                continue
            for candidate in (base, *(f"{base}{n}" for n in range(1, 1000))):
                if candidate not in self.taken:
                    self.taken.add(candidate)
                    self.names[value] = candidate
                    return candidate
        raise AssertionError(f"no name left for {value}")

    def _line(self, text: str) -> None:
        self.written.text += text + "\n"


def _arguments(step: Step) -> list[str]:
    """The arguments as a person writes them: required ones (or a kind's only leading option, as in
    `dropout(0.5)`) positionally, the others by keyword, defaults left out."""
    kind = registry.lookup(step.kind)
    written = step.args.changed(*kind.schema.public())
    fields = kind.schema.fields
    variadic = next((p[1:] for p in kind.positional if p.startswith("*")), None)
    if variadic is not None:
        return [format_value(v) for v in written.pop(variadic, ())] + [f"{k}={format_value(v)}" for k, v in written.items()]
    positional = []
    # A kind without required arguments takes its first option positionally when it is a number, as in
    # dropout(0.5) and leaky_relu(0.2); a dim reads better by name (concat(a, b, dim=1)).
    leading_option = not any(fields[p].required for p in kind.positional)
    for index, name in enumerate(kind.positional):
        if name not in written or not (fields[name].required or (index == 0 and leading_option and
                                                                  isinstance(fields[name].type, Float))):
            break
        positional.append(format_value(written.pop(name)))
    return positional + [f"{k}={format_value(v)}" for k, v in written.items()]


def _starts_line(step: Step) -> bool:
    """A block call, or a layer with weights and a size to give (conv2d(64, 3), linear(10)): the
    layers a chain is read by; a batchnorm or an activation follows them on their line."""
    if step.is_block:
        return True
    return step.weighted and any(f.required for f in registry.lookup(step.kind).schema.fields.values())


def _is_operator(step: Step) -> bool:
    return not step.is_block and registry.lookup(step.kind).operator is not None


def _call_start(piece: str) -> int:
    """Where the layer call starts in a stage's text: after its `label: `."""
    label, sep, _ = piece.partition(": ")
    return len(label) + len(sep) if sep and label.isidentifier() else 0
