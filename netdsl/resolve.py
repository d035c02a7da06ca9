"""Name resolution: the checks that belong to a definition, run once per definition (Jinja's
idtracking). Undefined and duplicate names, unknown layers and blocks, names Python cannot take,
outputs, and unused tensors are properties of the text, whatever the parameter values; lowering then
instantiates the definition without reporting them again (it skips what `Resolution.reported` lists).
"""

from __future__ import annotations

from dataclasses import field, replace

from . import codes, records, registry
from . import syntax as ast
from .diagnostics import Diagnostics, Edit, Fix, Note
from .fixes import literal_spelling, missing_arrow, respell
from .folding import VALUE_FUNCTIONS
from .names import check_python_name
from .program import Program
from .scopes import labels
from .source import Span
from .suggest import nearest
from .syntax import LINE_BREAK_RULE

PARAM_TYPES = ("int", "float", "bool", "str", "tuple")


@records.record
class Resolution:
    """What resolution found wrong in one definition: the AST nodes whose errors are reported."""
    reported: set[int] = field(default_factory=set)   # id() of Var, Call, Param and Ident nodes
    params: dict[str, ast.Param] = field(default_factory=dict)   # the well-formed parameters
    labels: set[str] = field(default_factory=set)     # the layer names written in the body (well formed)
    learnables: set[str] = field(default_factory=set)  # the parameters and buffers declared (attributes too)
    reuses: set[int] = field(default_factory=set)     # id() of calls that apply a labelled layer again
    ties: set[int] = field(default_factory=set)       # id() of `tie=label` values naming a labelled layer


@records.record
class _Name:
    role: str       # "param", "dim" or "tensor"
    span: Span
    used: bool = False
    noun: str = "tensor"   # for a tensor: "tensor", or "parameter" / "buffer" for a declared one
    unpacked: bool = False  # one of several names an unpacking binds: `_` can take its place


class _Resolver:
    def __init__(self, program: Program, definition: ast.Definition, diagnostics: Diagnostics):
        self.program, self.definition, self.diagnostics = program, definition, diagnostics
        self.visible = program.visible_from(definition)
        self.names: dict[str, _Name] = {}
        self.result = Resolution()
        self.outputs: list[Span] = []
        self.later = _later_definitions(definition)
        self.unknown: dict[str, int] = {}   # an unknown layer name → the index of its error in diagnostics.items
        self.layers: dict[str, Span] = {}   # the layer labels met so far: a later use applies that layer again
        self.repeating = 0                  # inside how many repeats: a label there names one layer per copy

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
            if entry.role == "tensor" and not entry.used and entry.unpacked:
                self.diagnostics.warning(codes.W0101, f"{entry.noun} `{name}` is never used", entry.span,
                                         help="use it, or write `_` in its place",
                                         fixes=(Fix(f"replace `{name}` with `_`", (Edit(entry.span, "_"),)),))
            elif entry.role == "tensor" and not entry.used:
                self.diagnostics.warning(codes.W0101, f"{entry.noun} `{name}` is never used", entry.span,
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
        what = {"param": "a parameter", "dim": "a size symbol", "tensor": "a tensor",
                "loop": "a loop variable"}[previous.role]
        self.diagnostics.error(codes.E0203, f"`{ident.name}` is already defined as {what}", ident.span,
                               notes=(Note(f"`{ident.name}` is first defined here", previous.span),),
                               help="choose another name: names are defined once")

    def define(self, ident: ast.Ident, noun: str = "tensor") -> bool:
        """A tensor name: checked once, here."""
        if ident.name in self.names:
            self.duplicate(ident, self.names[ident.name])
            self.result.reported.add(id(ident))
            return False
        problem = check_python_name(ident.name)
        if problem:
            self.diagnostics.error(codes.E0204, f"{problem} and cannot name a {noun}", ident.span,
                                   help=f"rename it, e.g. `{ident.name.strip('_') or 'tensor'}_out`")
            self.result.reported.add(id(ident))
            self.names[ident.name] = _Name("tensor", ident.span, used=True, noun=noun)   # its uses: no more errors
            return False
        self.names[ident.name] = _Name("tensor", ident.span, noun=noun)
        return True

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
            for condition in statement.conditions:
                self.expression(condition.left)
                self.expression(condition.right)
        elif isinstance(statement, ast.Assign):
            self.expression(statement.value)
            self.define(statement.target)
        elif isinstance(statement, ast.Unpack):
            self.expression(statement.value)
            for target in statement.bound:
                if self.define(target):
                    self.names[target.name].unpacked = True
        elif isinstance(statement, ast.OutputStmt):
            self.expression(statement.value)
            self.output(statement.span)
        elif isinstance(statement, ast.Learnable):
            self.learnable(statement)
        elif isinstance(statement, ast.ChainStmt):
            if not self.starts_with_layer(statement) and not self.arguments_after_break(statement):
                self.expression(statement.chain.head)
            self.stages(statement.chain.stages, last=True)
            if not isinstance(statement.chain.stages[-1], ast.OutputStage):
                self.diagnostics.warning(codes.W0102, "the result of this chain is never used", statement.span,
                                         help="assign it (`h = x -> ...`) or end it with `-> output`")

    def learnable(self, decl: ast.Learnable) -> None:
        """`param W: [C, out] = normal(0, 0.02)`: its sizes and initialiser, then its name (a tensor in the
        body and an attribute of the module, so no layer may have it as its label)."""
        for dim in decl.shape.dims if decl.shape is not None else ():
            self.expression(dim)
        noun = decl.keyword if decl.keyword == "buffer" else "parameter"
        complete = self.initializer(decl, noun)
        self.stages(decl.stages, last=False)
        if decl.shape is None:
            self.diagnostics.error(codes.E0231, f"{noun} `{decl.name.name}` needs a shape", decl.name.span,
                                   help=f"write `{decl.keyword} {decl.name.name}: [sizes] = ...`")
            complete = False
        if not complete:
            self.result.reported.add(id(decl))
        if decl.name.name in self.result.labels:
            label = next(c.label for c in labels(self.definition.body) if c.label.name == decl.name.name)
            self.diagnostics.error(codes.E0203, f"`{decl.name.name}` is already the name of a layer", decl.name.span,
                                   notes=(Note(f"layer `{decl.name.name}` is named here", label.span),),
                                   help=f"a {noun} and a layer are both attributes of the module: rename one")
            self.result.reported.add(id(decl.name))
        elif self.define(decl.name, noun):
            self.result.learnables.add(decl.name.name)
        elif decl.name.name not in self.names:   # an invalid name, reported: its uses are not errors too
            self.names[decl.name.name] = _Name("tensor", decl.name.span, used=True, noun=noun)

    def initializer(self, decl: ast.Learnable, noun: str) -> bool:
        """Whether the declaration's initialiser is a known one or left out (its arguments are resolved as values)."""
        init = decl.init
        if init is None:   # the default (initializers.default)
            return True
        if isinstance(init, ast.Var) or isinstance(init, ast.Call) and init.label is None:
            ident = init.func if isinstance(init, ast.Call) else ast.Ident(init.name, init.span)
            for arg in init.args if isinstance(init, ast.Call) else ():
                self.expression(arg.value)
            # (imported for a param or buffer only: no part of most checks)
            from .initializers import INITIALIZERS
            if ident.name in INITIALIZERS:
                return True
            suggestion = nearest(ident.name, INITIALIZERS)
            self.diagnostics.error(codes.E0230, f"unknown initialiser `{ident.name}`", ident.span,
                                   help=f"did you mean `{suggestion}`?" if suggestion else
                                   f"the initialisers are {', '.join(f'`{i}`' for i in INITIALIZERS)}",
                                   fixes=respell(ident.span, suggestion))
            return False
        self.diagnostics.error(codes.E0231, f"the initialiser of {noun} `{decl.name.name}` is not a name or a call",
                               init.span, help="write an initialiser such as `zeros` or `normal(0, 0.02)`, then "
                                               "`->` and stages to apply to it")
        return False

    def starts_with_layer(self, statement: ast.ChainStmt) -> bool:
        """`relu -> output` as a statement, typically after `x -> conv2d(16, 3)` on the same line or the
        line before: the `->` that would have continued that statement is missing (E0114)."""
        head = statement.chain.head
        name = head.name if isinstance(head, ast.Var) else head.func.name if isinstance(head, ast.Call) and \
            all(self.constant(arg.value) for arg in head.args) else None
        if name is None or name in self.names or not (registry.lookup(name, plugins=False) or name in self.visible):
            return False
        self.result.reported.add(id(head))
        span = head.span if isinstance(head, ast.Var) else head.func.span
        before = self.statement_before(statement)
        if before is None or isinstance(before, ast.InputStmt):
            self.diagnostics.error(codes.E0114, f"`{name}` is a layer, not a tensor: a chain starts from a tensor",
                                   span, help=f"write `x -> {name}`, where `x` is a tensor")
            return True
        line, before_line = span.line_col[0], before.span.source.line_col(before.span.end)[0]
        notes = () if line == before_line else (
            Note(f"the line break after line {before_line} ends the statement there: {LINE_BREAK_RULE}"),)
        self.diagnostics.error(codes.E0114, f"`->` is missing before `{name}`", span,
                               label=f"`{name}` is a layer, not a tensor", notes=notes,
                               help=f"write `-> {name}` to continue the chain of line {before_line}",
                               fixes=missing_arrow(span))
        return True

    def arguments_after_break(self, statement: ast.ChainStmt) -> bool:
        """`y = x -> conv2d` and, on the next line, `(16, 3) -> relu`: the line break ended the statement
        before what were meant as the layer's arguments (E0117)."""
        before = self.statement_before(statement)
        value = before.chain if isinstance(before, ast.ChainStmt) else getattr(before, "value", None)
        layer = value.stages[-1] if isinstance(value, ast.Chain) else None
        if not isinstance(layer, ast.Call) or layer.parens or not statement.span.text.startswith("(") \
                or not self.constant(statement.chain.head):
            return False
        self.result.reported |= {id(layer), id(statement.chain.head)}
        text, start, end = layer.span.source.text, statement.span.start, statement.chain.head.span.end
        while text.count("(", start, end) > text.count(")", start, end):   # `(16)`: the head is `16`
            end = text.index(")", end) + 1
        name, arguments = layer.func.name, text[start:end]
        join = Edit(Span(layer.span.source, layer.span.end, start), "")
        self.diagnostics.error(codes.E0117, f"the line break after `{name}` ends its statement: the `(` on the next "
                               "line starts a new one", Span(layer.span.source, start, end),
                               label="a new statement starts here",
                               notes=(Note(LINE_BREAK_RULE),
                                      Note(f"the statement ends here, after `{name}`", layer.span)),
                               help=f"to call `{name}` with these arguments, put `(` right after `{name}`",
                               fixes=(Fix(f"join `{arguments}` to `{name}`", (join,)),))
        return True

    def statement_before(self, statement: ast.Statement) -> ast.Statement | None:
        body = self.definition.body
        index = next(i for i, s in enumerate(body) if s is statement)
        return body[index - 1] if index else None

    def constant(self, expr: ast.Expr) -> bool:
        """Whether expr names no tensor: `linear(10)` or `conv2d(c, (3, 3))` as opposed to `relu(x)`."""
        if isinstance(expr, ast.Var):
            return expr.name in self.names and self.names[expr.name].role != "tensor"
        if isinstance(expr, (ast.TupleExpr, ast.Neg, ast.BinOp)):
            parts = expr.items if isinstance(expr, ast.TupleExpr) else (expr.operand,) if isinstance(expr, ast.Neg) \
                else (expr.left, expr.right)
            return all(self.constant(part) for part in parts)
        return isinstance(expr, ast.Literal)

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
            elif isinstance(node, (ast.Not, ast.Conditional, ast.Subscript, ast.Slice)):
                pending += reversed(_parts(node))

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
                self.repeating += 1
                self.stages(stage.stages, last=False)
                self.repeating -= 1
            elif isinstance(stage, ast.IfStage):
                self.expression(stage.test)
                self.stages(stage.then, last=False)
                self.stages(stage.otherwise, last=False)
            elif isinstance(stage, ast.ForStage):
                self.loop(stage)
            else:
                self.call(stage)

    def loop(self, stage: ast.ForStage) -> None:
        """`for t, c in table { ... }`: the names are defined inside the braces only."""
        self.expression(stage.iterable)
        defined = []
        for target in stage.targets:
            if target.name in self.names:
                self.duplicate(target, self.names[target.name])
            else:
                self.names[target.name] = _Name("loop", target.span, used=True)
                defined.append(target.name)
        self.repeating += 1   # a label inside names one layer per item (proj1, proj2): none to share
        self.stages(stage.stages, last=False)
        self.repeating -= 1
        for name in defined:
            del self.names[name]

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
            self.diagnostics.error(codes.E0119, f"`{var.name}` is written `{literal}` in a spec", var.span,
                                   help="the literals are `true`, `false` and `None`", fixes=respell(var.span, literal))
            return
        suggestion = nearest(var.name, self.names)
        self.diagnostics.error(codes.E0201, f"undefined name `{var.name}`", var.span,
                               help=f"did you mean `{suggestion}`?" if suggestion else None,
                               fixes=respell(var.span, suggestion))

    def call(self, call: ast.Call) -> None:
        for arg in call.args:
            if arg.name is not None and arg.name.name == "tie" and isinstance(arg.value, ast.Var) \
                    and arg.value.name not in self.names:
                self.tie_target(arg.value)
            else:
                self.expression(arg.value)
        name = call.func.name
        if call.label is not None and id(call.label) not in self.result.reported:
            if not self.repeating:
                self.layers.setdefault(call.label.name, call.label.span)
        elif name in self.layers:   # `b -> enc`: the layer labelled `enc` applied again
            self.result.reuses.add(id(call))
            return
        if name in VALUE_FUNCTIONS and name not in self.visible and call.parens:
            return
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
            if name in self.unknown:
                self.also_used(self.unknown[name], call.func.span)
                return
            self.unknown[name] = len(self.diagnostics.items)
            if any(r.label.name == name for r in labels(self.definition.body)):   # a repeat's, or one inside a repeat
                self.diagnostics.error(codes.E0202, f"`{name}` names a layer in each copy of a repeat, not one layer "
                                       "to apply again", call.func.span, help="label a layer outside a repeat to "
                                       "share it (`enc: Block(64)`), or repeat it again with a name of its own")
                return
            blocks = (n for n, d in self.visible.items() if d.kind == "block")
            suggestion = nearest(name, [*registry.all_kinds(), *blocks, "output"])
            self.diagnostics.error(codes.E0202, f"unknown layer or block `{name}`", call.func.span,
                                   help=f"did you mean `{suggestion}`?" if suggestion else
                                   "see `netdsl layers` for the available layers",
                                   fixes=respell(call.func.span, suggestion))

    def tie_target(self, var: ast.Var) -> None:
        """`tie=embed`: the label of a layer defined before."""
        if var.name in self.layers:
            self.result.ties.add(id(var))
            return
        self.result.reported.add(id(var))
        later = next((c.label.span for c in labels(self.definition.body) if c.label.name == var.name), None)
        if later is not None:
            self.diagnostics.error(codes.E0214, f"layer `{var.name}` is tied to before it is defined", var.span,
                                   notes=(Note(f"`{var.name}` is defined here", later),),
                                   help="tie a layer to one defined above it")
            return
        suggestion = nearest(var.name, self.layers)
        self.diagnostics.error(codes.E0201, f"no layer is named `{var.name}`", var.span,
                               help=f"did you mean `{suggestion}`?" if suggestion else
                               "`tie=` takes the name of a layer defined above (`embed: embedding(...)`)",
                               fixes=respell(var.span, suggestion))

    def also_used(self, index: int, span: Span) -> None:
        """A later use of an unknown layer name: one error per misspelling, the other uses as its notes,
        and its fix respells them all."""
        first = self.diagnostics.items[index]
        fixes = tuple(Fix(f.message, (*f.edits, Edit(span, f.edits[0].replacement))) for f in first.fixes)
        self.diagnostics.items[index] = replace(first, notes=(*first.notes, Note(f"`{span.text}` is also used here",
                                                                                 span)), fixes=fixes)


def _parts(node) -> list:
    """The sub-expressions of a Not, Conditional, Subscript or Slice, in source order."""
    if isinstance(node, ast.Not):
        return [node.operand]
    if isinstance(node, ast.Conditional):
        return [node.then, node.test, node.otherwise]
    if isinstance(node, ast.Subscript):
        return [node.value, *node.items]
    return [part for part in (node.start, node.stop, node.step) if part is not None]


def _later_definitions(definition: ast.Definition) -> dict[str, Span]:
    """Where each tensor name of the body is assigned (its first assignment)."""
    found: dict[str, Span] = {}
    for statement in definition.body:
        targets = (statement.target,) if isinstance(statement, ast.Assign) else \
            statement.bound if isinstance(statement, ast.Unpack) else \
            (statement.name,) if isinstance(statement, ast.Learnable) else ()
        for target in targets:
            found.setdefault(target.name, target.span)
    return found


def resolve(program: Program, definition: ast.Definition, diagnostics: Diagnostics) -> Resolution:
    """Report what is wrong with a definition's names, once."""
    return _Resolver(program, definition, diagnostics).run()
