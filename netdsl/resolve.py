"""Name resolution: the checks that belong to a definition, run once per definition (Jinja's
idtracking). Undefined and duplicate names, unknown layers and blocks, names Python cannot take,
outputs, and unused tensors are properties of the text, whatever the parameter values; lowering then
instantiates the definition without reporting them again (it skips what `Resolution.reported` lists).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import codes, registry
from . import syntax as ast
from .diagnostics import Diagnostics, Note
from .fixes import literal_spelling, missing_arrow, respell
from .names import check_python_name
from .program import Program
from .scopes import labels
from .source import Span
from .suggest import nearest

PARAM_TYPES = ("int", "float", "bool", "str")


@dataclass
class Resolution:
    """What resolution found wrong in one definition: the AST nodes whose errors are reported."""
    reported: set[int] = field(default_factory=set)   # id() of Var, Call, Param and Ident nodes
    params: dict[str, ast.Param] = field(default_factory=dict)   # the well-formed parameters
    labels: set[str] = field(default_factory=set)     # the layer names written in the body (well formed)


@dataclass
class _Name:
    role: str       # "param", "dim" or "tensor"
    span: Span
    used: bool = False


class _Resolver:
    def __init__(self, program: Program, definition: ast.Definition, diagnostics: Diagnostics):
        self.program, self.definition, self.diagnostics = program, definition, diagnostics
        self.visible = program.visible_from(definition)
        self.names: dict[str, _Name] = {}
        self.result = Resolution()
        self.outputs: list[Span] = []
        self.later = _later_definitions(definition)

    def run(self) -> Resolution:
        for param in self.definition.params:
            self.param(param)
        for label in self._duplicate_labels():
            self.result.reported.add(id(label))
        for statement in self.definition.body:
            self.statement(statement)
        if not self.outputs:
            kind = self.definition.kind
            self.diagnostics.error(codes.E0205, f"{kind} `{self.definition.name.name}` has no output",
                                   self.definition.name.span,
                                   help="end a chain with `-> output`, or add `output <tensor>`")
        for name, entry in self.names.items():
            if entry.role == "tensor" and not entry.used:
                self.diagnostics.warning(codes.W0101, f"tensor `{name}` is never used", entry.span,
                                         help=f"use it, or remove the statement that defines `{name}`")
        return self.result

    # ------------------------------------------------------------ definitions

    def param(self, param: ast.Param) -> None:
        name = param.name.name
        if param.default is not None:
            self.expression(param.default)
        if name in self.names:
            self.diagnostics.error(codes.E0203, f"parameter `{name}` is declared twice", param.name.span,
                                   notes=(Note(f"`{name}` is first declared here", self.names[name].span),),
                                   help="rename one of them")
            self.result.reported.add(id(param))
            return
        self.names[name] = _Name("param", param.name.span, used=True)
        if param.type.name not in PARAM_TYPES:
            suggestion = nearest(param.type.name, PARAM_TYPES)
            self.diagnostics.error(codes.E0207, f"unknown parameter type `{param.type.name}`", param.type.span,
                                   help=f"did you mean `{suggestion}`?" if suggestion else "use int, float, bool or str",
                                   fixes=respell(param.type.span, suggestion))
            self.result.reported.add(id(param))
            return
        self.result.params[name] = param

    def _duplicate_labels(self) -> list[ast.Ident]:
        seen: dict[str, ast.Ident] = {}
        bad = []
        for call in labels(self.definition.body):
            label = call.label
            problem = check_python_name(label.name)
            if problem:
                self.diagnostics.error(codes.E0204, f"{problem} and cannot name a layer", label.span,
                                       help=f"rename it, e.g. `{label.name.strip('_') or 'layer'}_layer`")
                bad.append(label)
            elif label.name in seen:
                self.diagnostics.error(codes.E0203, f"layer name `{label.name}` is used twice", label.span,
                                       notes=(Note(f"`{label.name}` is first used here", seen[label.name].span),),
                                       help="layer names become attribute names and must be unique")
                bad.append(label)
            else:
                seen[label.name] = label
        self.result.labels = set(seen)
        return bad

    def duplicate(self, ident: ast.Ident, previous: _Name) -> None:
        what = {"param": "a parameter", "dim": "a size symbol", "tensor": "a tensor"}[previous.role]
        self.diagnostics.error(codes.E0203, f"`{ident.name}` is already defined as {what}", ident.span,
                               notes=(Note(f"`{ident.name}` is first defined here", previous.span),),
                               help="choose another name: names are defined once")

    def define(self, ident: ast.Ident) -> None:
        """A tensor name: checked once, here."""
        if ident.name in self.names:
            self.duplicate(ident, self.names[ident.name])
            self.result.reported.add(id(ident))
            return
        problem = check_python_name(ident.name)
        if problem:
            self.diagnostics.error(codes.E0204, f"{problem} and cannot name a tensor", ident.span,
                                   help=f"rename it, e.g. `{ident.name.strip('_') or 'tensor'}_out`")
            self.result.reported.add(id(ident))
            return
        self.names[ident.name] = _Name("tensor", ident.span)

    # ------------------------------------------------------------ statements

    def statement(self, statement: ast.Statement) -> None:
        if isinstance(statement, ast.InputStmt):
            for decl in statement.decls:
                for dim in decl.shape.dims if decl.shape is not None else ():
                    if isinstance(dim, ast.Var) and dim.name not in self.names:
                        self.names[dim.name] = _Name("dim", dim.span, used=True)
                    else:
                        self.expression(dim)
                self.define(decl.name)
        elif isinstance(statement, ast.Assign):
            self.expression(statement.value)
            self.define(statement.target)
        elif isinstance(statement, ast.Unpack):
            self.expression(statement.value)
            for target in statement.targets:
                self.define(target)
        elif isinstance(statement, ast.OutputStmt):
            self.expression(statement.value)
            self.output(statement.span)
        elif isinstance(statement, ast.ChainStmt):
            self.chain(statement.chain)
            if not isinstance(statement.chain.stages[-1], ast.OutputStage):
                self.diagnostics.warning(codes.W0102, "the result of this chain is never used", statement.span,
                                         help="assign it (`h = x -> ...`) or end it with `-> output`")

    def output(self, span: Span) -> None:
        if self.outputs:
            self.diagnostics.error(codes.E0206, f"`{self.definition.name.name}` has more than one output", span,
                                   notes=(Note("the first output is here", self.outputs[0]),))
        self.outputs.append(span)

    # ------------------------------------------------------------ expressions

    def expression(self, expr: ast.Expr) -> None:
        pending = [expr]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Var):
                self.variable(node)
            elif isinstance(node, ast.Call):
                self.call(node)
            elif isinstance(node, ast.Chain):
                self.chain(node)
            elif isinstance(node, ast.BinOp):
                pending += (node.right, node.left)
            elif isinstance(node, ast.Neg):
                pending.append(node.operand)
            elif isinstance(node, ast.TupleExpr):
                pending += reversed(node.items)

    def chain(self, chain: ast.Chain) -> None:
        self.expression(chain.head)
        self.stages(chain.stages, last=True)

    def stages(self, stages, last: bool) -> None:
        for index, stage in enumerate(stages):
            final = last and index == len(stages) - 1
            if isinstance(stage, ast.OutputStage):
                if not final:
                    self.diagnostics.error(codes.E0106, "`output` must be the last stage of a chain", stage.span,
                                           help="move `-> output` to the end of the chain")
                self.output(stage.span)
            elif isinstance(stage, ast.Repeat):
                self.expression(stage.count)
                self.stages(stage.stages, last=False)
            else:
                self.call(stage)

    def variable(self, var: ast.Var) -> None:
        entry = self.names.get(var.name)
        if entry is not None:
            entry.used = True
            return
        self.result.reported.add(id(var))
        later = self.later.get(var.name)
        if later is not None and later.start > var.span.start:
            self.diagnostics.error(codes.E0214, f"`{var.name}` is used before it is defined", var.span,
                                   notes=(Note(f"`{var.name}` is defined here", later),),
                                   help="move the definition above its first use")
            return
        literal = literal_spelling(var.name)
        if literal is not None:
            self.diagnostics.error(codes.E0201, f"undefined name `{var.name}`", var.span,
                                   help=f"did you mean `{literal}`? (true, false and None are the literals)",
                                   fixes=respell(var.span, literal))
            return
        arrow = missing_arrow(var.span)
        if arrow and (registry.lookup(var.name, plugins=False) or var.name in self.visible):
            self.diagnostics.error(codes.E0201, f"undefined name `{var.name}`", var.span,
                                   help=f"`{var.name}` is a layer: is a `->` missing before it?", fixes=arrow)
            return
        suggestion = nearest(var.name, self.names)
        self.diagnostics.error(codes.E0201, f"undefined name `{var.name}`", var.span,
                               help=f"did you mean `{suggestion}`?" if suggestion else None,
                               fixes=respell(var.span, suggestion))

    def call(self, call: ast.Call) -> None:
        for arg in call.args:
            self.expression(arg.value)
        name = call.func.name
        entry = self.names.get(name)
        if entry is not None and entry.role == "tensor" and not call.parens:
            entry.used = True
            self.diagnostics.error(codes.E0216, f"`{name}` is a tensor, not a layer", call.func.span,
                                   help="a chain stage is a layer or block; combine tensors with + - * /")
            self.result.reported.add(id(call))
            return
        # A block of this file shadows plugin kinds (not built-ins): no plugin scan for its name.
        kind = registry.lookup(name, plugins=name not in self.visible)
        definition = self.visible.get(name) if kind is None else None
        if definition is not None and definition.kind != "block":
            self.diagnostics.error(codes.E0217, f"`{name}` is a network; only blocks can be used as layers",
                                   call.func.span, help=f"declare it with `block {name}(...)`")
            self.result.reported.add(id(call))
        elif kind is None and definition is None:
            self.result.reported.add(id(call))
            if nearest(name, self.program.unresolved):
                return   # a failed (perhaps misspelt) import of it is already reported
            suggestion = nearest(name, [*registry.all_kinds(), *(n for n, d in self.visible.items() if d.kind == "block")])
            self.diagnostics.error(codes.E0202, f"unknown layer or block `{name}`", call.func.span,
                                   help=f"did you mean `{suggestion}`?" if suggestion else
                                   "see `netdsl layers` for the available layers",
                                   fixes=respell(call.func.span, suggestion))


def _later_definitions(definition: ast.Definition) -> dict[str, Span]:
    """Where each tensor name of the body is assigned (its first assignment)."""
    found: dict[str, Span] = {}
    for statement in definition.body:
        targets = (statement.target,) if isinstance(statement, ast.Assign) else \
            statement.targets if isinstance(statement, ast.Unpack) else ()
        for target in targets:
            found.setdefault(target.name, target.span)
    return found


def resolve(program: Program, definition: ast.Definition, diagnostics: Diagnostics) -> Resolution:
    """Report what is wrong with a definition's names, once."""
    return _Resolver(program, definition, diagnostics).run()
