"""Which name refers to what: every occurrence of a block, network, parameter, size symbol or tensor in
a program's files, tied to the place that defines it. Go-to-definition, find-references, the outline
and hover all read this one index."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass

from .. import syntax as ast
from ..diagnostics import CompileError
from ..parser import parse
from ..program import Program
from ..source import Span


@dataclass(frozen=True)
class Symbol:
    kind: str                       # "network", "block", "param", "dim", "tensor", "layer" (a label) or "loop"
    name: str
    span: Span                      # the defining name
    owner: ast.Definition | None    # the definition a param, dim or tensor belongs to

    @property
    def key(self) -> tuple:
        return self.kind, self.name, self.span.source.path, self.span.start


@dataclass(frozen=True)
class Occurrence:
    span: Span
    symbol: Symbol


def definition_symbol(definition: ast.Definition) -> Symbol:
    return Symbol(definition.kind, definition.name.name, definition.name.span, None)


class Index:
    def __init__(self, program: Program):
        self.program = program
        self.occurrences: list[Occurrence] = []
        for source, visible in program.scopes.items():
            for definition in dict.fromkeys(visible.values()):
                if definition.span.source == source:
                    self._definition(definition, visible)
        self._imports(program)

    # -------------------------------------------------------- queries

    def at(self, path: str, offset: int) -> Occurrence | None:
        """The name at offset (the cursor may sit right after it)."""
        found = [o for o in self.occurrences if o.span.source.path == path and o.span.start <= offset <= o.span.end]
        return min(found, key=lambda o: o.span.end - o.span.start, default=None)

    def references(self, symbol: Symbol) -> list[Span]:
        return [o.span for o in self.occurrences if o.symbol.key == symbol.key]

    def symbols_of(self, owner: ast.Definition) -> list[Symbol]:
        """The params, size symbols and tensors a definition defines, in source order."""
        seen = {}
        for o in self.occurrences:
            if o.symbol.owner is owner and o.span == o.symbol.span:
                seen.setdefault(o.symbol.key, o.symbol)
        return list(seen.values())

    # -------------------------------------------------------- building

    def _add(self, span: Span, symbol: Symbol) -> None:
        self.occurrences.append(Occurrence(span, symbol))

    def _imports(self, program: Program) -> None:
        try:
            module = parse(program.source)
        except CompileError:  # it parsed when the program was loaded; a failure here only loses these names
            return
        for item in module.imports:
            for name in item.names or ():
                definition = program.definitions.get(name.name)
                if definition is not None:
                    self._add(name.span, definition_symbol(definition))

    def _definition(self, definition: ast.Definition, visible: dict[str, ast.Definition]) -> None:
        self._add(definition.name.span, definition_symbol(definition))
        local: dict[str, Symbol] = {}
        for param in definition.params:
            if param.default is not None:
                self._expression(param.default, local, visible, definition)
            symbol = Symbol("param", param.name.name, param.name.span, definition)
            local.setdefault(param.name.name, symbol)
            self._add(param.name.span, symbol)
        for statement in definition.body:
            if isinstance(statement, ast.InputStmt):
                for decl in statement.decls:
                    self._bind(decl.name, "tensor", local, definition)
                    for dim in decl.shape.dims if decl.shape else ():
                        if isinstance(dim, ast.Var) and dim.name not in local:
                            local[dim.name] = Symbol("dim", dim.name, dim.span, definition)
                        self._expression(dim, local, visible, definition)
            elif isinstance(statement, (ast.Assign, ast.Unpack)):
                self._expression(statement.value, local, visible, definition)
                targets = (statement.target,) if isinstance(statement, ast.Assign) else statement.bound
                for target in targets:
                    self._bind(target, "tensor", local, definition)
            elif isinstance(statement, ast.Learnable):   # `param W: [C, out] = ...`: a tensor of the body
                self._expression(statement, local, visible, definition)
                self._bind(statement.name, "tensor", local, definition)
            else:
                self._expression(statement, local, visible, definition)

    def _bind(self, name: ast.Ident, kind: str, local: dict[str, Symbol], owner: ast.Definition) -> None:
        symbol = local.setdefault(name.name, Symbol(kind, name.name, name.span, owner))
        self._add(name.span, symbol)

    def _expression(self, node, local: dict[str, Symbol], visible: dict[str, ast.Definition],
                    owner: ast.Definition) -> None:
        """Every name used below node. Iterative: expressions may nest hundreds of levels deep."""
        stack = [node]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Var):
                if node.name in local:
                    self._add(node.span, local[node.name])
                continue
            if isinstance(node, ast.ForStage):   # its names, used between its braces
                for target in node.targets:
                    local[target.name] = Symbol("loop", target.name, target.span, owner)
                    self._add(target.span, local[target.name])
            if isinstance(node, (ast.Call, ast.Repeat)) and node.label is not None:   # `enc: Encoder(64)`, `blocks: B() * 2`
                self._bind(node.label, "layer", local, owner)
            elif isinstance(node, ast.Call) and node.func.name in local and local[node.func.name].kind == "layer":
                self._add(node.func.span, local[node.func.name])
            if isinstance(node, ast.Call):
                called = visible.get(node.func.name)
                if called is not None:
                    self._add(node.func.span, definition_symbol(called))
                    params = {p.name.name: p for p in called.params}
                    for arg in node.args:
                        if arg.name is not None and arg.name.name in params:
                            param = params[arg.name.name]
                            self._add(arg.name.span, Symbol("param", param.name.name, param.name.span, called))
            for item in fields(node):
                value = getattr(node, item.name)
                stack.extend(child for child in (value if isinstance(value, tuple) else (value,))
                             if is_dataclass(child) and not isinstance(child, (Span, ast.Ident)))
