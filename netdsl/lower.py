"""AST → graph IR: name resolution, parameter evaluation, block instantiation, argument validation."""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass, field, replace
from typing import Any

from . import registry
from . import syntax as ast
from .arguments import bind, format_value
from .diagnostics import Diagnostics, Note
from .ir import Graph, Input, Node
from .names import check_python_name
from .program import Program
from .shapes import Sym
from .source import Span

PARAM_TYPES = {"int": int, "float": float, "bool": bool, "str": str}
MAX_REPEAT = 10_000
# Limits that keep lowering bounded in time, memory and stack depth: repeats multiply (a `* 10000` inside
# a `* 10000` is 10^8 layers), blocks called from blocks multiply too (2^24 calls of an empty block nested
# 24 deep), and each level of block nesting costs a few Python frames. MAX_LAYERS counts expanded work:
# every layer, block call and tensor operation lowered, failed ones included.
MAX_LAYERS = 200_000
MAX_BLOCK_DEPTH = 32
MAX_INT = 2**63 - 1  # sizes are int64 in torch
MIN_INT = -(2**63)


class _TooManyLayers(Exception):
    """Unwinds lowering once a network's expanded work exceeds MAX_LAYERS; `lower` reports it."""

    def __init__(self, span: Span):
        self.span = span


@dataclass(frozen=True)
class Tensor:
    """A tensor value in a spec: the graph value it refers to."""
    ref: str


class _Poison:
    """The value of an expression that already produced an error: it silences follow-on errors."""


POISON = _Poison()


@dataclass
class _Binding:
    value: Any
    span: Span
    role: str  # "param", "dim" or "tensor"
    used: bool = False


@dataclass
class _Scope:
    definition: ast.Definition
    env: dict[str, _Binding] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)    # names the user gives layers anywhere in the body
    named: set[str] = field(default_factory=set)    # values named so far: inputs and nodes
    output: str | None = None
    output_span: Span | None = None


class _Lowerer:
    def __init__(self, program: Program, diagnostics: Diagnostics):
        self.program = program
        self.diagnostics = diagnostics
        self.active: list[str] = []  # blocks being instantiated: recursion detection
        self.unpacking: tuple[ast.Call, int] | None = None  # the call whose tensors `a, b = ...` names
        self.work = 0  # layers, block calls and tensor operations lowered so far: bounded by MAX_LAYERS
        self.missing_output: set[int] = set()  # id() of the definitions already reported without an output
        self.label_names: dict[int, frozenset[str]] = {}  # id(definition) → its explicit layer names
        self.repeats: list[ast.Repeat] = []  # the repeats being expanded, outermost first

    # ------------------------------------------------------------ definitions

    def instantiate(self, definition: ast.Definition, params: dict[str, Any]) -> Graph:
        scope = _Scope(definition)
        for param in definition.params:
            scope.env[param.name.name] = _Binding(params.get(param.name.name, POISON), param.name.span, "param",
                                                  used=True)
        scope.taken = self.labels(definition)
        for statement in definition.body:
            self.statement(scope, statement)
        if scope.output is None and scope.output_span is None and id(definition) not in self.missing_output \
                and not _has_errors_inside(self.diagnostics, definition):
            self.missing_output.add(id(definition))  # a block called 10,000 times is reported (and scanned) once
            self.diagnostics.error("E0205", f"{definition.kind} `{definition.name.name}` has no output",
                                   definition.name.span,
                                   help="end a chain with `-> output`, or add `output <tensor>`")
        for name, binding in scope.env.items():
            if binding.role == "tensor" and not binding.used:
                self.diagnostics.warning("W0101", f"tensor `{name}` is never used", binding.span,
                                         help=f"use it, or remove the statement that defines `{name}`")
        return Graph(definition.name.name, definition.kind, {k: v for k, v in params.items()},
                     tuple(scope.inputs), tuple(scope.nodes), scope.output, definition.span)

    def labels(self, definition: ast.Definition) -> set[str]:
        """The names a definition gives layers explicitly: computed once per definition, not per call."""
        if id(definition) not in self.label_names:
            self.label_names[id(definition)] = frozenset(s.label.name for s in _labels(definition.body))
        return set(self.label_names[id(definition)])

    def evaluate_params(self, definition: ast.Definition, given: dict[str, tuple[Any, Span]],
                        call_span: Span | None) -> dict[str, Any] | None:
        """Parameter values from the call (or -p overrides), else defaults; type-checked."""
        values: dict[str, Any] = {}
        scope = _Scope(definition)
        ok = True
        for param in definition.params:
            name, type_name = param.name.name, param.type.name
            first = next(p for p in definition.params if p.name.name == name)
            if first is not param:
                self.diagnostics.error("E0203", f"parameter `{name}` is declared twice", param.name.span,
                                       notes=(Note(f"`{name}` is first declared here", first.name.span),),
                                       help="rename one of them")
                ok = False
                continue
            expected = PARAM_TYPES.get(type_name)
            if expected is None:
                suggestion = registry.nearest(type_name, PARAM_TYPES)
                self.diagnostics.error("E0207", f"unknown parameter type `{type_name}`", param.type.span,
                                       help=f"did you mean `{suggestion}`?" if suggestion else "use int, float, bool or str")
                ok = False
                continue
            if name in given:
                value, span = given[name]
            elif param.default is not None:
                value, span = self.expression(scope, param.default), param.default.span
            else:
                where = call_span or definition.name.span
                self.diagnostics.error("E0311", f"{definition.kind} `{definition.name.name}` needs a value for "
                                       f"parameter `{name}`", where,
                                       notes=(Note(f"`{name}` is declared here without a default", param.span),),
                                       help=f"pass `{name}=...`" + (" or `-p {name}=...`" if definition.kind == "network" else ""))
                ok = False
                continue
            if value is POISON:
                ok = False
                continue
            if expected is float and type(value) is int:
                value = float(value)
            if type(value) is not expected:
                self.diagnostics.error("E0316", f"parameter `{name}` is {type_name}, but gets {format_value(value)}",
                                       span, notes=(Note(f"`{name}` is declared here", param.span),),
                                       help="use `//` for integer division" if isinstance(value, float) else None)
                ok = False
                continue
            values[name] = value
            scope.env[name] = _Binding(value, param.name.span, "param", used=True)
        return values if ok else None

    # ------------------------------------------------------------ statements

    def statement(self, scope: _Scope, statement: ast.Statement) -> None:
        if isinstance(statement, ast.InputStmt):
            for decl in statement.decls:
                self.input_decl(scope, decl)
        elif isinstance(statement, ast.Assign):
            value = self.expression(scope, statement.value)
            self.bind_name(scope, statement.target, value)
        elif isinstance(statement, ast.Unpack):
            for target, value in zip(statement.targets, self.unpack(scope, statement)):
                if self.bind_name(scope, target, value) and value is POISON:
                    scope.env[target.name].used = True  # the failed unpack is the one diagnostic
        elif isinstance(statement, ast.OutputStmt):
            value = self.tensor_value(scope, self.expression(scope, statement.value), statement.value.span)
            self.set_output(scope, value, statement.span)
        elif isinstance(statement, ast.ChainStmt):
            value = self.expression(scope, statement.chain)
            ends_in_output = isinstance(statement.chain.stages[-1], ast.OutputStage)
            if not ends_in_output and value is not POISON:
                self.diagnostics.warning("W0102", "the result of this chain is never used", statement.span,
                                         help="assign it (`h = x -> ...`) or end it with `-> output`")

    def unpack(self, scope: _Scope, statement: ast.Unpack) -> list[Any]:
        """`a, b, c = x -> chunk(3)`: the last call makes one node per name (see LayerKind.multi_output)."""
        wanted, expr = len(statement.targets), statement.value
        last = expr.stages[-1] if isinstance(expr, ast.Chain) else expr
        kind = registry.lookup(last.func.name) if isinstance(last, ast.Call) else None
        self.unpacking = (last, wanted) if kind is not None and kind.multi_output else None
        try:
            value = self.expression(scope, expr)
        finally:
            self.unpacking = None
        if isinstance(value, tuple) and all(isinstance(v, Tensor) for v in value):
            return list(value)
        if value is not POISON:
            several = ", ".join(f"`{k}`" for k, v in registry.all_kinds().items() if v.multi_output)
            what = f"`{last.func.name}`" if isinstance(last, ast.Call) else "this"
            if kind is not None and "returns" in kind.args.model_fields:  # rnn, lstm, gru
                choices = " or ".join(f'returns="{c}"' for c in typing.get_args(kind.args.model_fields["returns"].annotation))
                help = f"`{kind.name}` stands for one of torch's results: choose it with {choices}"
            else:
                help = f"only {several} give several tensors (when `index=` is not given)"
            self.diagnostics.error("E0318", f"{wanted} names are unpacked, but {what} gives one tensor", last.span,
                                   help=help)
        return [POISON] * wanted

    def input_decl(self, scope: _Scope, decl: ast.InputDecl) -> None:
        shape = None
        if decl.shape is not None:
            dims = []
            for dim in decl.shape.dims:
                if isinstance(dim, ast.Var) and dim.name not in scope.env:
                    scope.env[dim.name] = _Binding(Sym(dim.name), dim.span, "dim", used=True)
                value = self.expression(scope, dim)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0 or isinstance(value, Sym):
                    dims.append(value)
                    continue
                if value is not POISON:
                    self.diagnostics.error("E0314", f"a size in a shape must be a positive integer or a symbol, "
                                           f"got {format_value(value)}", dim.span)
                self.bind_name(scope, decl.name, POISON)  # uses of the input are not reported again
                return
            shape = tuple(dims)
        if self.bind_name(scope, decl.name, Tensor(decl.name.name)):
            scope.inputs.append(Input(decl.name.name, shape, decl.span))
            scope.named.add(decl.name.name)

    def bind_name(self, scope: _Scope, name: ast.Ident, value: Any) -> bool:
        previous = scope.env.get(name.name)
        if previous is not None:
            what = {"param": "a parameter", "dim": "a size symbol", "tensor": "a tensor"}[previous.role]
            self.diagnostics.error("E0203", f"`{name.name}` is already defined as {what}", name.span,
                                   notes=(Note(f"`{name.name}` is first defined here", previous.span),),
                                   help="choose another name: names are defined once")
            return False
        if isinstance(value, Tensor):
            problem = check_python_name(name.name)
            if problem:
                self.diagnostics.error("E0204", f"{problem} and cannot name a tensor", name.span,
                                       help=f"rename it, e.g. `{name.name.strip('_')}_out`")
                scope.env[name.name] = _Binding(POISON, name.span, "tensor", used=True)  # its uses: no more errors
                return False
        elif value is not POISON:
            self.diagnostics.error("E0315", f"`{name.name}` must be a tensor, but gets {format_value(value)}",
                                   name.span, help="parameters are declared in the definition's header")
            return False
        scope.env[name.name] = _Binding(value, name.span, "tensor")
        # Record the user's name on the node that produced the tensor: generated code uses it as the variable.
        for index in range(len(scope.nodes) - 1, -1, -1) if isinstance(value, Tensor) else ():
            node = scope.nodes[index]
            if node.name == value.ref:
                if node.variable is None:
                    scope.nodes[index] = replace(node, variable=name.name)
                break
        return True

    def set_output(self, scope: _Scope, value: Any, span: Span) -> None:
        if scope.output is not None:
            self.diagnostics.error("E0206", f"`{scope.definition.name.name}` has more than one output", span,
                                   notes=(Note("the first output is here", scope.output_span),))
            return
        if isinstance(value, Tensor):
            scope.output, scope.output_span = value.ref, span
        elif value is POISON:
            scope.output_span = span  # an output was written; the error that poisoned it is reported

    # ------------------------------------------------------------ expressions

    def tensor_value(self, scope: _Scope, value: Any, span: Span) -> Any:
        if value is POISON or isinstance(value, Tensor):
            return value
        self.diagnostics.error("E0315", f"expected a tensor, but this is the value {format_value(value)}", span)
        return POISON

    def expression(self, scope: _Scope, expr: ast.Expr) -> Any:
        if isinstance(expr, ast.Literal):
            return expr.value
        if isinstance(expr, ast.Var):
            return self.variable(scope, expr)
        if isinstance(expr, ast.TupleExpr):
            items = tuple(self.expression(scope, item) for item in expr.items)
            return POISON if POISON in items else items
        if isinstance(expr, ast.Neg):
            return self.arithmetic(scope, "-", 0, self.expression(scope, expr.operand), expr)
        if isinstance(expr, ast.BinOp):
            left, right = self.expression(scope, expr.left), self.expression(scope, expr.right)
            return self.arithmetic(scope, expr.op, left, right, expr)
        if isinstance(expr, ast.Call):
            return self.call(scope, expr, [])
        if isinstance(expr, ast.Chain):
            return self.chain(scope, expr)
        raise TypeError(f"unknown expression {expr!r}")

    def variable(self, scope: _Scope, expr: ast.Var) -> Any:
        binding = scope.env.get(expr.name)
        if binding is None:
            later = _defined_later(scope.definition, expr)
            suggestion = registry.nearest(expr.name, scope.env)
            if later is not None:
                self.diagnostics.error("E0201", f"`{expr.name}` is used before it is defined", expr.span,
                                       notes=(Note(f"`{expr.name}` is defined here", later),),
                                       help="move the definition above its first use")
            else:
                self.diagnostics.error("E0201", f"undefined name `{expr.name}`", expr.span,
                                       help=f"did you mean `{suggestion}`?" if suggestion else None)
            return POISON
        binding.used = True
        return binding.value

    def arithmetic(self, scope: _Scope, op: str, left: Any, right: Any, expr: ast.Expr) -> Any:
        if left is POISON or right is POISON:
            return POISON
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return self.tensor_arithmetic(scope, op, left, right, expr)
        if op == "@":
            self.diagnostics.error("E0317", f"`@` multiplies tensors, not {format_value(left)} and "
                                   f"{format_value(right)}", expr.span)
            return POISON
        if isinstance(left, Sym) or isinstance(right, Sym):
            return self.size_arithmetic(op, left, right, expr)
        numbers = (int, float)
        if not (isinstance(left, numbers) and isinstance(right, numbers)) or isinstance(left, bool) \
                or isinstance(right, bool):
            self.diagnostics.error("E0317", f"`{op}` needs numbers, but gets {format_value(left)} and "
                                   f"{format_value(right)}", expr.span)
            return POISON
        if op in ("/", "//", "%") and right == 0:
            self.diagnostics.error("E0317", "division by zero", expr.span)
            return POISON
        result = {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                  "/": lambda: left / right, "//": lambda: left // right, "%": lambda: left % right}[op]()
        if isinstance(result, int) and not MIN_INT <= result <= MAX_INT:
            self.diagnostics.error("E0317", f"`{op}` overflows: the result has {len(str(abs(result)))} digits",
                                   expr.span, help=f"integers go up to {MAX_INT:,} (2**63 - 1)")
            return POISON
        return result

    def size_arithmetic(self, op: str, left: Any, right: Any, expr: ast.Expr) -> Any:
        """A symbolic size from sizes and integers only: spec text (a string) never becomes a size."""
        if not all(isinstance(v, Sym) or type(v) is int for v in (left, right)):
            self.diagnostics.error("E0317", f"`{op}` on a symbolic size needs an integer or another size, but gets "
                                   f"{format_value(left)} and {format_value(right)}", expr.span)
            return POISON
        if op not in ("+", "-", "*", "//"):
            self.diagnostics.error("E0317", f"`{op}` is not defined on symbolic sizes ({format_value(left)} and "
                                   f"{format_value(right)})", expr.span,
                                   help="sizes combine with + - * and //" + (": use `//`" if op == "/" else ""))
            return POISON
        return Sym(f"{left}{op}{right}")

    def tensor_arithmetic(self, scope: _Scope, op: str, left: Any, right: Any, expr: ast.Expr) -> Any:
        kind = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul"}.get(op)
        if kind is None:
            self.diagnostics.error("E0317", f"`{op}` is not defined on tensors", expr.span,
                                   help="tensors support + - * / with broadcasting, and @ (matmul)")
            return POISON
        tensors = [v for v in (left, right) if isinstance(v, Tensor)]
        scalars = [v for v in (left, right) if not isinstance(v, Tensor)]
        if kind == "matmul" and scalars:
            self.diagnostics.error("E0317", f"`@` multiplies two tensors, not a tensor and {format_value(scalars[0])}",
                                   expr.span, help="use `*` to scale a tensor by a number")
            return POISON
        if scalars and (not isinstance(scalars[0], (int, float)) or isinstance(scalars[0], bool)):
            self.diagnostics.error("E0317", f"`{op}` combines a tensor with a number, not {format_value(scalars[0])}",
                                   expr.span)
            return POISON
        args = {"scalar": scalars[0], "scalar_first": not isinstance(left, Tensor)} if scalars else {}
        if isinstance(expr, ast.Neg):
            args = {"scalar": 0, "scalar_first": True}
        self.count_work(expr.span)
        return self.add_node(scope, registry.lookup(kind), registry.lookup(kind).args.model_validate(args), {},
                             [t.ref for t in tensors], expr.span, None)

    def chain(self, scope: _Scope, chain: ast.Chain) -> Any:
        value = self.expression(scope, chain.head)
        for stage in chain.stages:
            value = self.stage(scope, stage, value, chain)
        return value

    def stage(self, scope: _Scope, stage: ast.Stage, value: Any, chain: ast.Chain) -> Any:
        if isinstance(stage, ast.OutputStage):
            if stage is not chain.stages[-1]:
                self.diagnostics.error("E0102", "`output` must be the last stage of a chain", stage.span)
            else:
                self.set_output(scope, self.tensor_value(scope, value, chain.head.span), stage.span)
            return value
        if isinstance(stage, ast.Repeat):
            count = self.expression(scope, stage.count)
            if count is POISON:
                return POISON
            if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_REPEAT:
                self.diagnostics.error("E0314", f"a repeat count must be an integer from 1 to {MAX_REPEAT:,}, "
                                       f"got {format_value(count)}", stage.count.span)
                return POISON
            self.repeats.append(stage)
            try:
                for _ in range(count):
                    for inner in stage.stages:
                        value = self.stage(scope, inner, value, chain)
                    if value is POISON:  # every further copy would report the same mistakes again
                        break
            finally:
                self.repeats.pop()
            return value
        if value is not POISON and not isinstance(value, Tensor):
            self.diagnostics.error("E0315", f"a chain starts from a tensor, not the value {format_value(value)}",
                                   chain.head.span)
            value = POISON
        return self.call(scope, stage, [value])

    def call(self, scope: _Scope, call: ast.Call, piped: list[Any]) -> Any:
        self.count_work(call.span)
        name = call.func.name
        binding = scope.env.get(name)
        if binding is not None and binding.role == "tensor" and not call.parens:
            self.diagnostics.error("E0202", f"`{name}` is a tensor, not a layer", call.func.span,
                                   help="a chain stage is a layer or block; combine tensors with + - * /")
            return POISON
        visible = self.program.visible_from(scope.definition)
        # A block of this file shadows plugin kinds (not built-ins): no plugin scan for its name.
        kind = registry.lookup(name, plugins=name not in visible)
        definition = visible.get(name) if kind is None else None
        if kind is None and definition is None and registry.nearest(name, self.program.unresolved):
            return POISON  # a failed (perhaps misspelt) import of it is already reported
        if kind is None and definition is None:
            known = [*registry.all_kinds(), *visible]
            suggestion = registry.nearest(name, known)
            self.diagnostics.error("E0202", f"unknown layer or block `{name}`", call.func.span,
                                   help=f"did you mean `{suggestion}`?" if suggestion else
                                   "see `netdsl layers` for the available layers")
            return POISON
        tensors, positional, keywords, failed = list(piped), [], [], False
        for arg in call.args:
            value = self.expression(scope, arg.value)
            failed |= value is POISON
            if arg.name is None and isinstance(value, Tensor) and not positional:
                tensors.append(value)
            elif isinstance(value, Tensor):
                self.diagnostics.error("E0315", f"tensor `{arg.value.span.text}` is passed where `{name}` expects "
                                       "an argument", arg.span,
                                       help="tensor inputs come first: `f(x, y, size)`, or `x -> f(y, size)`")
                failed = True
            elif arg.name is None:
                positional.append((value, arg.span))
            else:
                keywords.append((arg.name.name, arg.name.span, value, arg.span))
        if definition is not None:
            if failed or POISON in tensors:
                return POISON
            return self.block_call(scope, definition, call, tensors, positional, keywords)
        if failed:  # an argument already has an error; binding it would only repeat it
            return POISON
        # Arguments are checked even after an upstream error: independent mistakes are all reported.
        args, arg_spans, errors = bind(kind, positional, keywords, call.span)
        for error in errors:
            self.diagnostics.error(error.code, error.message, error.span, help=error.help)
        if args is None or POISON in tensors:
            return POISON
        expected = kind.inputs
        if not tensors or (expected is not None and len(tensors) != expected):
            wanted = "a tensor input" if expected in (1, None) else f"{expected} tensor inputs"
            self.diagnostics.error("E0315", f"`{name}` needs {wanted}, but gets {len(tensors)}", call.span,
                                   help=f"write `x -> {name}` or `{name}(x)`" if expected == 1 else None)
            return POISON
        inputs = [t.ref for t in tensors]
        if kind.multi_output and self.unpacking and self.unpacking[0] is call and args.index is None:
            pieces = self.unpacking[1]
            return tuple(self.add_node(scope, kind, args.model_copy(update={"index": i, "outputs": pieces}),
                                       arg_spans, inputs, call.span, None) for i in range(pieces))
        return self.add_node(scope, kind, args, arg_spans, inputs, call.span, call.label)

    def block_call(self, scope: _Scope, definition: ast.Definition, call: ast.Call, tensors: list[Tensor],
                   positional: list, keywords: list) -> Any:
        name = definition.name.name
        if definition.kind != "block":
            self.diagnostics.error("E0202", f"`{name}` is a network; only blocks can be used as layers",
                                   call.func.span, help=f"declare it with `block {name}(...)`")
            return POISON
        if len(self.active) >= MAX_BLOCK_DEPTH:
            self.diagnostics.error("E0213", f"blocks are nested more than {MAX_BLOCK_DEPTH} deep here",
                                   call.func.span, notes=(Note(" → ".join([*self.active, name])),),
                                   help="flatten the hierarchy: call the innermost blocks side by side")
            return POISON
        if name in self.active:
            cycle = " → ".join([*self.active[self.active.index(name):], name])
            self.diagnostics.error("E0208", f"block `{name}` uses itself ({cycle})", call.func.span,
                                   help="a block cannot contain itself, directly or through other blocks")
            return POISON
        given = self.block_arguments(definition, call, positional, keywords)
        if given is None:
            return POISON
        params = self.evaluate_params(definition, given, call.span)
        if params is None:
            return POISON
        declared = [s for s in definition.body if isinstance(s, ast.InputStmt)]
        input_count = sum(len(s.decls) for s in declared)
        if len(tensors) != input_count:
            self.diagnostics.error("E0315", f"block `{name}` takes {input_count} tensor input"
                                   f"{'s' if input_count != 1 else ''}, but gets {len(tensors)}", call.span,
                                   notes=tuple(Note("inputs are declared here", s.span) for s in declared))
            return POISON
        self.active.append(name)
        try:
            graph = self.instantiate(definition, params)
        finally:
            self.active.pop()
        node_name = self.node_name(scope, _block_prefix(name), call.label)
        node = Node(node_name, name, params, tuple(t.ref for t in tensors), call.span,
                    {n: s for n, (_, s) in given.items()}, block=graph)
        scope.nodes.append(node)
        return Tensor(node.name)

    def block_arguments(self, definition: ast.Definition, call: ast.Call, positional: list,
                        keywords: list) -> dict[str, tuple[Any, Span]] | None:
        names = [p.name.name for p in definition.params]
        given: dict[str, tuple[Any, Span]] = {}
        ok = True
        if len(positional) > len(names):
            self.diagnostics.error("E0312", f"block `{definition.name.name}` takes {len(names)} arguments, but "
                                   f"{len(positional)} were given", positional[len(names)][1])
            ok = False
        for param_name, (value, span) in zip(names, positional):
            given[param_name] = (value, span)
        for written, name_span, value, span in keywords:
            if written not in names:
                suggestion = registry.nearest(written, names)
                self.diagnostics.error("E0310", f"block `{definition.name.name}` has no parameter `{written}`",
                                       name_span, help=f"did you mean `{suggestion}`?" if suggestion else
                                       f"its parameters are: {', '.join(names) or 'none'}")
                ok = False
            elif written in given:
                self.diagnostics.error("E0313", f"parameter `{written}` is given twice", name_span)
                ok = False
            else:
                given[written] = (value, span)
        return given if ok else None

    # ------------------------------------------------------------ nodes and names

    def node_name(self, scope: _Scope, prefix: str, label: ast.Ident | None) -> str:
        if label is not None:
            problem = check_python_name(label.name)
            if problem:
                self.diagnostics.error("E0204", f"{problem} and cannot name a layer", label.span,
                                       help=f"rename it, e.g. `{label.name.strip('_')}_layer`")
            elif label.name not in scope.named:
                scope.named.add(label.name)
                return label.name
            else:
                self.diagnostics.error("E0203", f"layer name `{label.name}` is used twice", label.span,
                                       help="layer names become attribute names and must be unique")
        while True:
            scope.counters[prefix] = scope.counters.get(prefix, 0) + 1
            candidate = f"{prefix}{scope.counters[prefix]}"
            if candidate not in scope.taken and candidate not in scope.named:
                scope.named.add(candidate)
                return candidate

    def count_work(self, span: Span) -> None:
        self.work += 1
        if self.work > MAX_LAYERS:
            raise _TooManyLayers(self.repeats[0].span if self.repeats else span)

    def add_node(self, scope: _Scope, kind: registry.LayerKind, args: Any, arg_spans: dict[str, Span],
                 inputs: list[str], span: Span, label: ast.Ident | None) -> Tensor:
        node = Node(self.node_name(scope, kind.prefix, label), kind.name, args, tuple(inputs), span, arg_spans)
        scope.nodes.append(node)
        return Tensor(node.name)


@functools.cache
def _block_prefix(name: str) -> str:
    """Residual → residual; SqueezeExcite → squeeze_excite; _Private → private; _3d → block_3d (a layer
    name may not start with `_` (see check_python_name) or a digit)."""
    name = name.lstrip("_")
    name = name if name[:1].isalpha() else "block_" + name
    return "".join(("_" + c.lower()) if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _labels(body) -> list[ast.Call]:
    """Every explicitly named layer in a definition body."""
    found: list[ast.Call] = []

    def walk(node) -> None:
        if isinstance(node, ast.Call) and node.label is not None:
            found.append(node)
        if isinstance(node, (ast.Call, ast.Repeat, ast.Chain, ast.BinOp, ast.Neg, ast.TupleExpr, ast.Arg,
                             ast.Assign, ast.Unpack, ast.OutputStmt, ast.ChainStmt)):
            for value in vars(node).values():
                for child in value if isinstance(value, tuple) else (value,):
                    walk(child)
    for statement in body:
        walk(statement)
    return found


def _defined_later(definition: ast.Definition, use: ast.Var) -> Span | None:
    for statement in definition.body:
        targets = (statement.target,) if isinstance(statement, ast.Assign) else \
            statement.targets if isinstance(statement, ast.Unpack) else ()
        for target in targets:
            if target.name == use.name and statement.span.start > use.span.start:
                return target.span
    return None


def _has_errors_inside(diagnostics: Diagnostics, definition: ast.Definition) -> bool:
    span = definition.span
    return any(d.severity.value == "error" and d.span is not None and d.span.source is span.source
               and span.start <= d.span.start < span.end for d in diagnostics.items)


def lower(program: Program, network: str, overrides: dict[str, Any], diagnostics: Diagnostics) -> Graph | None:
    """Instantiate one network of the program. Errors go to diagnostics; None if it cannot be built."""
    definition = program.definitions[network]
    lowerer = _Lowerer(program, diagnostics)
    given = {}
    declared = {p.name.name for p in definition.params}
    for name, value in overrides.items():
        if name not in declared:
            suggestion = registry.nearest(name, declared)
            diagnostics.error("E0209", f"`-p {name}`: network `{network}` has no parameter `{name}`",
                              definition.name.span, help=f"did you mean `{suggestion}`?" if suggestion else
                              f"its parameters are: {', '.join(sorted(declared)) or 'none'}")
            return None
        if isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            diagnostics.error("E0316", f"`-p {name}` is too large for an integer", definition.name.span,
                              help=f"integers go up to {MAX_INT:,} (2**63 - 1)")
            return None
        given[name] = (value, definition.name.span)
    params = lowerer.evaluate_params(definition, given, None)
    if params is None:
        return None
    try:
        return lowerer.instantiate(definition, params)
    except _TooManyLayers as error:
        diagnostics.error("E0319", f"network `{network}` expands to more than {MAX_LAYERS:,} layers and block calls",
                          error.span, label="counting every repeat and block call expanded",
                          help="repeat counts multiply when repeats or blocks nest: use smaller counts")
        return None
