"""AST → graph IR: evaluate parameters, instantiate blocks, bind and validate layer arguments.

Names are resolved (and their mistakes reported) once per definition by netdsl.resolve; this module
reports what depends on values: argument types and bounds, arithmetic, repeat counts, block calls.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import codes, memo, registry
from . import syntax as ast
from .arguments import ArgError, Signature, bind, validate
from .diagnostics import Diagnostic, Diagnostics, Note, Severity
from .folding import MAX_INT, MAX_REPEAT, MIN_INT, VALUE_FUNCTIONS, FoldError, Undecidable, fold, negate
from .ir import Assumption, Graph, Input, Node, PyTorchReading, RepeatCopy, ResultValue, result_value
from .kinds import CannotUnpack, LayerKind, flatten, nested, shaped
from .lower_learnables import LearnablesLowering
from .lower_reuse import ReuseLowering
from .lower_structure import StructureLowering
from .program import Program
from .schema import Anything, Bool, Field, Float, Int, Schema, Text, Tuple, format_value
from .scopes import POISON, Binding, Naming, Scope, Tensor, block_prefix
from .sizes import Size, relate, substitute, symbol, symbol_name
from .source import Span
from .suggest import nearest
from .unpacking import call_form, inputs_mismatch, layout, matched, regrouping, results_mismatch

# Limits that keep lowering bounded in time, memory and stack depth: repeats multiply (a `* 10000` inside
# a `* 10000` is 10^8 layers), block calls and repeated stages cost work even when they make no layer,
# and each level of block nesting costs a few Python frames.
MAX_LAYERS = 200_000
MAX_WORK = 1_000_000
MAX_BLOCK_DEPTH = 32
_PARAM_SCHEMA_TYPES = {"int": Int(symbolic=True), "float": Float(), "bool": Bool(), "str": Text(),
                       "tuple": Tuple(Anything())}
_DEFAULTED = object()   # a block parameter's default: an expression lowering evaluates
_SIGNATURES = memo.LRU(256)   # a block's signature, made once for each resolution of its definition


class _NeedsShapes(Exception):
    """Unwinds the lowering of a block whose condition needs its input sizes (see `block_call`)."""

    def __init__(self, scope: Scope):
        self.scope = scope


class _TooMuchWork(Exception):
    """Unwinds lowering once a network exceeds MAX_LAYERS or MAX_WORK; `lower` reports it."""

    def __init__(self, span: Span, what: str):
        self.span, self.what = span, what


Unpacking = tuple[ast.Call, tuple] | None   # the call whose tensors `a, (b, c) = ...` names, and the names


class _Lowerer(LearnablesLowering, StructureLowering, ReuseLowering):
    def __init__(self, program: Program, diagnostics: Diagnostics):
        self.program = program
        self.diagnostics = diagnostics
        self.reports = diagnostics   # where resolution reports, also while a block's lowering is buffered
        self.context: tuple[Note, ...] = ()   # the block calls around a block lowered at check time
        self.sizes: dict[str, int] = {}    # symbols of the network's input shapes fixed by `--input`
        self.deferred: list[Diagnostic] = []   # argument errors the checker reports (see pytorch_reading)
        self.resolutions: dict[int, object] = {}   # id(definition) → its Resolution, once per check
        self.requesting: list[dict] = []   # for each block instance being lowered: the resolutions it asks for
        self.scopes: dict[bool, tuple] = {}   # memo.scopes_key of the program, with the root file or without
        self.alive: tuple | None = None   # memo.alive(program), made once
        self.active: list[str] = []        # blocks being instantiated: recursion detection
        self.layers = 0                    # layers made so far, in blocks and repeats too
        self.work = 0                      # block calls and repeated stages expanded so far
        self.repeats: list[ast.Repeat] = []

    def error(self, error: ArgError | FoldError, span: Span | None = None) -> None:
        if isinstance(error, ArgError):
            self.diagnostics.error(error.code, error.message, error.span, help=error.help, fixes=error.fixes)
        else:
            self.diagnostics.error(error.code, error.message, span, help=error.help)

    def count_work(self, span: Span) -> None:
        self.work += 1
        if self.work > MAX_WORK:
            raise _TooMuchWork(self.repeats[0].span if self.repeats else span,
                               f"{MAX_WORK:,} block calls and repeated stages")

    # ------------------------------------------------------------ definitions

    def instantiate(self, definition: ast.Definition, params: dict[str, Any], deferrable: bool = False,
                    pattern: dict[str, Any] | None = None, replay: tuple[tuple[str, bool], ...] | None = None) -> Graph:
        resolution = self.resolution(definition)
        outer = frozenset().union(*(v.symbols() for v in params.values() if isinstance(v, Size)))
        scope = Scope(definition, Naming(resolution.labels | resolution.learnables), outer=outer,
                      deferrable=deferrable, pattern=pattern or {},
                      replay=None if replay is None else [truth for _, truth in replay])
        for name, param in resolution.params.items():
            scope.env[name] = Binding(params.get(name, POISON), param.name.span, "param")
        for statement in definition.body:
            self.statement(scope, statement)
        return Graph(definition.name.name, definition.kind, dict(params), tuple(scope.inputs), tuple(scope.nodes),
                     scope.output, definition.span, tuple(scope.assumptions), frozenset(scope.defined),
                     decisions=tuple(scope.decisions))

    def signature(self, definition: ast.Definition) -> Signature:
        resolution = self.resolution(definition)
        known = _SIGNATURES.get(id(definition))   # (the definition, its resolution, the signature)
        if known is not memo.MISSING and known[1] is resolution:
            return known[2]
        since = memo.epoch()
        params = resolution.params
        fields = {name: Field(_PARAM_SCHEMA_TYPES[p.type.name], _DEFAULTED) if p.default is not None else
                  Field(_PARAM_SCHEMA_TYPES[p.type.name]) for name, p in params.items()}
        signature = Signature(f"{definition.kind} `{definition.name.name}`", Schema(fields), tuple(params),
                              noun="parameter")
        _SIGNATURES.put(id(definition), (definition, resolution, signature), since)
        return signature

    def evaluate_params(self, definition: ast.Definition, given: dict[str, tuple[Any, Span]],
                        call_span: Span) -> dict[str, Any] | None:
        """Parameter values: given ones, else defaults (evaluated in order, so a default may use the
        parameters before it); each checked against its declared type."""
        resolution = self.resolution(definition)
        if len(resolution.params) != len(definition.params):
            return None   # a malformed parameter list is reported
        scope = Scope(definition, Naming(set()))
        values: dict[str, Any] = {}
        ok = True
        for name, param in resolution.params.items():
            if name in given:
                value, span = given[name]
            else:
                value, span = self.expression(scope, param.default), param.default.span
            if value is POISON:
                ok = False
                continue
            expected = _PARAM_SCHEMA_TYPES[param.type.name]
            if param.type.name == "float" and type(value) is int:
                value = float(value)
            if not expected.accepts_type(value):
                self.diagnostics.error(codes.E0316, f"parameter `{name}` is {param.type.name}, but gets "
                                       f"{format_value(value)}", span,
                                       notes=(Note(f"`{name}` is declared here", param.span),),
                                       help="use `//` for integer division" if isinstance(value, float) else None)
                ok = False
                continue
            values[name] = value
            scope.env[name] = Binding(value, param.name.span, "param")
        return values if ok else None

    # ------------------------------------------------------------ statements

    def statement(self, scope: Scope, statement: ast.Statement) -> None:
        if isinstance(statement, ast.InputStmt):
            for decl in statement.decls:
                self.input_decl(scope, decl)
            for condition in statement.conditions:
                self.size_condition(scope, condition)
        elif isinstance(statement, ast.Assign):
            self.bind_tensor(scope, statement.target, self.expression(scope, statement.value))
        elif isinstance(statement, ast.Unpack):
            for target, value in zip(statement.names, self.unpack(scope, statement)):
                if target.name != ast.DISCARD:
                    self.bind_tensor(scope, target, value)
        elif isinstance(statement, ast.OutputStmt):
            self.set_output(scope, self.tensor_value(self.expression(scope, statement.value), statement.value.span))
        elif isinstance(statement, ast.ChainStmt):
            self.expression(scope, statement.chain)
        elif isinstance(statement, ast.Learnable):
            self.learnable(scope, statement)

    def unpack(self, scope: Scope, statement: ast.Unpack) -> list[Any]:
        """`a, b, c = x -> chunk(3)`: the last call makes one node per name (see LayerKind.unpack);
        `out, (h, c) = x -> lstm(64)`: one node, whose results the names take (see LayerKind.results)."""
        wanted, expr = len(statement.names), statement.value
        last = expr.stages[-1] if isinstance(expr, ast.Chain) else expr
        value = self.expression(scope, expr, (last, statement.targets) if isinstance(last, ast.Call) else None)
        if isinstance(value, tuple) and len(value) == wanted and all(map(_tensors, value)):   # `_` may take a group
            return list(value)
        if value is not POISON:
            kind = registry.lookup(last.func.name) if isinstance(last, ast.Call) else None
            what = f"`{last.func.name}`" if isinstance(last, ast.Call) else "this"
            several = ", ".join(f"`{k}`" for k, v in registry.all_kinds().items() if v.unpack or v.results)
            self.diagnostics.error(codes.E0318, f"{wanted} names are unpacked, but {what} gives one tensor",
                                   last.span, help=f"only {several} give several tensors (`chunk`, `split` and "
                                   "`unbind` when `index=` is not given)" if kind is None or kind.unpack is None
                                   else None)
        return [POISON] * wanted

    def input_decl(self, scope: Scope, decl: ast.InputDecl) -> None:
        shape = None
        if decl.shape is not None:
            dims = []
            for dim in decl.shape.dims:
                if isinstance(dim, ast.Var) and dim.name not in scope.env:
                    fixed = self.sizes.get(dim.name) if scope.definition.kind == "network" else \
                        scope.pattern.get(dim.name)
                    if fixed is None:
                        scope.symbols[dim.name] = scope.pattern_symbol(dim.name)
                    value = symbol(scope.symbols[dim.name]) if fixed is None else fixed
                    scope.env[dim.name] = Binding(value, dim.span, "dim")
                value = self.shape_size(scope, dim)
                if value is POISON:
                    dims = None
                    break
                dims.append(value)
            shape = None if dims is None else tuple(dims)
        if id(decl.name) not in self.resolution(scope.definition).reported:
            failed = decl.shape is not None and shape is None
            scope.env[decl.name.name] = Binding(POISON if failed else Tensor(decl.name.name), decl.name.span, "tensor")
            if not (failed and scope.definition.kind == "network"):   # a block's callers count its inputs
                scope.inputs.append(Input(decl.name.name, shape, decl.span))
            scope.naming.use(decl.name.name)

    def shape_size(self, scope: Scope, dim: ast.Expr) -> Any:
        """One dim of a declared shape (an input's, a parameter's): a positive integer or a symbolic size."""
        value = self.expression(scope, dim)
        if value is not POISON and not (isinstance(value, Size) or type(value) is int and value > 0):
            self.diagnostics.error(codes.E0321, f"a size in a shape must be a positive integer or a symbol, "
                                   f"got {format_value(value)}", dim.span)
            return POISON
        return value

    def size_condition(self, scope: Scope, condition: ast.SizeCondition) -> None:
        """A `where` condition: settled now when it can be (an error when false), else kept on the graph.
        In a network, `H == 224` fixes H as `--input H=224` would."""
        sides = [self.expression(scope, side) for side in (condition.left, condition.right)]
        if any(side is POISON for side in sides):
            return
        for side, expr in zip(sides, (condition.left, condition.right)):
            if not (isinstance(side, Size) or type(side) is int):
                what = "a tensor" if isinstance(side, Tensor) else format_value(side)
                self.diagnostics.error(codes.E0330, f"a `where` condition compares sizes, but `{expr.span.text}` is "
                                       f"{what}", expr.span,
                                       help="compare the symbols of the input shapes and numbers, e.g. `where H % 8 == 0`")
                return
        if condition.op == "==" and scope.definition.kind == "network":
            # `where W == H // 2` defines W; `where H == W` defines W (the name on the left reads first).
            for (name, value), other in ((self.defined_by(scope, condition.right, sides[1]), sides[0]),
                                         (self.defined_by(scope, condition.left, sides[0]), sides[1])):
                if name is not None and not (isinstance(other, Size) and symbol_name(value) in other.symbols()):
                    self.pin(scope, name, other)
                    return
        left, right = sides
        truth = relate(left, condition.op, right)
        if truth is False:
            given = [f"{name} = {value}" for name, value in self.sizes.items() if name in _names_in(condition)]
            why = f"for {', '.join(given)} (`--input`)" if given else "for any sizes"
            self.diagnostics.error(codes.E0421, f"`where {condition.span.text}` does not hold {why}", condition.span,
                                   help="give sizes that satisfy it" if given else "correct the condition")
        elif any(isinstance(side, Size) for side in sides):   # kept when true too: it names the sizes it is about
            scope.assumptions.append(Assumption(left, condition.op, right, condition.span))

    @staticmethod
    def defined_by(scope: Scope, expr: ast.Expr, value: Any) -> tuple[str | None, Any]:
        """(name, symbol) when `expr` is an input size still free to be defined by a `where` equality."""
        binding = scope.env.get(expr.name) if isinstance(expr, ast.Var) else None
        if binding is None or binding.role != "dim" or symbol_name(value) is None:
            return None, None
        return expr.name, value

    def pin(self, scope: Scope, name: str, value: Any) -> None:
        """`where H == 224` or `where W == H` in a network: the size is that value from here on, in the
        inputs declared so far too (as `--input H=224` would make it)."""
        binding = scope.env[name]
        fixed = {symbol_name(binding.value): value}
        scope.defined.add(name)
        scope.env[name] = replace(binding, value=value)
        scope.inputs = [replace(i, shape=tuple(substitute(d, fixed) for d in i.shape) if i.shape else i.shape)
                        for i in scope.inputs]
        scope.assumptions = [replace(a, left=substitute(a.left, fixed), right=substitute(a.right, fixed))
                             for a in scope.assumptions]

    def bind_tensor(self, scope: Scope, name: ast.Ident, value: Any) -> None:
        if id(name) in self.resolution(scope.definition).reported:
            return
        if value is not POISON and not isinstance(value, Tensor):
            self.diagnostics.error(codes.E0315, f"`{name.name}` must be a tensor, but gets {format_value(value)}",
                                   name.span, help="parameters are declared in the definition's header")
            value = POISON
        scope.env[name.name] = Binding(value, name.span, "tensor")
        if isinstance(value, Tensor):  # the user's name for the node: generated code uses it as the variable
            for index in range(len(scope.nodes) - 1, -1, -1):
                node = scope.nodes[index]
                if value.ref in node.values:
                    scope.nodes[index] = _named(node, value.ref, name.name)
                    break

    def set_output(self, scope: Scope, value: Any) -> None:
        if isinstance(value, Tensor) and scope.output is None:
            scope.output = value.ref

    # ------------------------------------------------------------ expressions

    def tensor_value(self, value: Any, span: Span) -> Any:
        if value is POISON or isinstance(value, Tensor):
            return value
        self.diagnostics.error(codes.E0315, f"expected a tensor, but this is the value {format_value(value)}", span)
        return POISON

    def expression(self, scope: Scope, expr: ast.Expr, unpacking: Unpacking = None) -> Any:
        if isinstance(expr, ast.Literal):
            return expr.value
        if isinstance(expr, ast.Var):
            binding = scope.env.get(expr.name)
            return POISON if binding is None else binding.value
        if isinstance(expr, ast.TupleExpr):
            items = tuple(self.expression(scope, item) for item in expr.items)
            return POISON if any(item is POISON for item in items) else items
        if isinstance(expr, ast.Neg):
            return self.arithmetic(scope, "-", None, self.expression(scope, expr.operand), expr)
        if isinstance(expr, ast.BinOp) and expr.op in ("and", "or"):
            return self.boolean(scope, expr)
        if isinstance(expr, ast.BinOp):
            left, right = self.expression(scope, expr.left), self.expression(scope, expr.right)
            return self.arithmetic(scope, expr.op, left, right, expr)
        if isinstance(expr, ast.Call):
            return self.call(scope, expr, [], unpacking)
        if isinstance(expr, ast.Chain):
            return self.chain(scope, expr, unpacking)
        if isinstance(expr, ast.Not):
            truth = self.truth(scope, expr.operand, "not")
            return POISON if truth is None else not truth
        if isinstance(expr, ast.Conditional):
            truth = self.decide(scope, expr.test)
            return POISON if truth is None else self.expression(scope, expr.then if truth else expr.otherwise,
                                                                unpacking)
        if isinstance(expr, ast.Subscript):
            return self.subscript(scope, expr)
        raise TypeError(f"unknown expression {expr!r}")

    def arithmetic(self, scope: Scope, op: str, left: Any, right: Any, expr: ast.Expr) -> Any:
        """left is None for a negation."""
        if left is POISON or right is POISON:
            return POISON
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return self.tensor_arithmetic(scope, op, left, right, expr)
        if op == "@":
            self.diagnostics.error(codes.E0317, f"`@` multiplies tensors, not {format_value(left)} and "
                                   f"{format_value(right)}", expr.span)
            return POISON
        try:
            return negate(right) if left is None else fold(op, left, right)
        except Undecidable as error:
            if scope.deferrable:
                raise _NeedsShapes(scope) from None
            self.undecidable(error, expr)
            return POISON
        except FoldError as error:
            self.error(error, expr.span)
            return POISON

    def tensor_arithmetic(self, scope: Scope, op: str, left: Any, right: Any, expr: ast.Expr) -> Any:
        kind = registry.operator_kind(op)
        if kind is None:
            self.diagnostics.error(codes.E0327, f"`{op}` is not defined on tensors", expr.span,
                                   help="tensors support + - * / with broadcasting, and @ (matmul)")
            return POISON
        negation = isinstance(expr, ast.Neg)   # -x: no left operand (a written `None` is one, and an error)
        operands = (right,) if negation else (left, right)
        tensors = [v for v in operands if isinstance(v, Tensor)]
        scalars = [v for v in operands if not isinstance(v, Tensor)]
        if kind.inputs == 2 and scalars:
            self.diagnostics.error(codes.E0327, f"`{op}` multiplies two tensors, not a tensor and "
                                   f"{format_value(scalars[0])}", expr.span, help="use `*` to scale a tensor by a number")
            return POISON
        positional = []
        if negation:   # -x is 0 - x
            positional = [(0, expr.span), (True, expr.span)]
        elif scalars:
            if type(scalars[0]) not in (int, float):
                self.diagnostics.error(codes.E0317, f"`{op}` combines a tensor with a number, not "
                                       f"{format_value(scalars[0])}", expr.span)
                return POISON
            positional = [(scalars[0], expr.span), (not isinstance(left, Tensor), expr.span)]
        args = self.layer_args(kind, positional, [], expr.span)
        if args is None:
            return POISON
        return self.add_node(scope, kind, args, {}, [t.ref for t in tensors], expr.span, None)

    def chain(self, scope: Scope, chain: ast.Chain, unpacking: Unpacking) -> Any:
        value = self.expression(scope, chain.head)
        if id(chain.head) in self.resolution(scope.definition).reported:
            value = POISON
        elif value is not POISON and not isinstance(value, Tensor):
            self.diagnostics.error(codes.E0315, f"a chain starts from a tensor, not the value {format_value(value)}",
                                   chain.head.span)
            value = POISON
        for stage in chain.stages:
            value = self.stage(scope, stage, value, unpacking)
        return value

    def stage(self, scope: Scope, stage: ast.Stage, value: Any, unpacking: Unpacking) -> Any:
        if isinstance(stage, ast.OutputStage):
            self.set_output(scope, value)
            return value
        if isinstance(stage, ast.Repeat):
            count = self.expression(scope, stage.count)
            if count is POISON:
                return POISON
            if type(count) is not int or not 0 <= count <= MAX_REPEAT:
                self.diagnostics.error(codes.E0320, f"a repeat count must be an integer from 0 to {MAX_REPEAT:,}, "
                                       f"got {format_value(count)}", stage.count.span)
                return POISON
            self.repeats.append(stage)
            enclosing, enclosing_label = scope.repeat, scope.repeat_label
            scope.repeat_runs += enclosing is None
            if stage.label is not None:
                scope.repeat_label = stage.label.name
            try:
                for index in range(count):
                    self.count_work(stage.span)
                    scope.repeat = enclosing or RepeatCopy(stage.span, index, count, scope.repeat_runs)
                    for inner in stage.stages:
                        value = self.stage(scope, inner, value, None)
                    if value is POISON:   # every further copy would report the same mistakes again
                        break
            finally:
                self.repeats.pop()
                scope.repeat, scope.repeat_label = enclosing, enclosing_label
            return value
        if isinstance(stage, ast.IfStage):
            truth = self.decide(scope, stage.test)
            for inner in () if truth is None else stage.then if truth else stage.otherwise:
                value = self.stage(scope, inner, value, None)
            return POISON if truth is None else value
        if isinstance(stage, ast.ForStage):
            return self.loop(scope, stage, value)
        return self.call(scope, stage, [value], unpacking)

    def call(self, scope: Scope, call: ast.Call, piped: list[Any], unpacking: Unpacking = None) -> Any:
        resolution = self.resolution(scope.definition)
        tensors, positional, keywords, failed = list(piped), [], [], False
        tie: ast.Arg | None = None
        tensor_spans = [None] * len(piped)   # where each tensor argument is written (a group: its items')
        for arg in call.args:
            if id(arg.value) in resolution.ties:
                tie = arg
                continue
            value = self.expression(scope, arg.value)
            failed |= value is POISON
            if arg.name is None and _tensors(value) and not positional:
                tensors.append(value)   # a tensor, or a group of them: an LSTM's state `(h0, c0)`
                tensor_spans.append(tuple(item.span for item in arg.value.items) if isinstance(value, tuple)
                                    else arg.span)
            elif isinstance(value, Tensor):
                self.diagnostics.error(codes.E0322, f"tensor `{arg.value.span.text}` is passed where "
                                       f"`{call.func.name}` expects an argument", arg.span,
                                       help="tensor inputs come first: `f(x, y, size)`, or `x -> f(y, size)`")
                failed = True
            elif arg.name is None:
                positional.append((value, arg.span))
            else:
                keywords.append((arg.name.name, arg.name.span, value, arg.span))
        if id(call) in resolution.reported:
            return POISON
        if id(call) in resolution.reuses:
            return self.reuse(scope, call, tensors, bool(positional or keywords or tie), failed, unpacking)
        name = call.func.name
        visible = self.program.visible_from(scope.definition)
        if name in VALUE_FUNCTIONS and name not in visible and call.parens:
            return self.value_function(call, tensors, positional, keywords, failed)
        kind = registry.lookup(name, plugins=name not in visible)
        if kind is None:
            if tie is not None:
                self.diagnostics.error(codes.E0341, f"block `{name}` has no weight that `tie=` can share", tie.span,
                                       help="tie a layer inside the block, or one such as `linear` or `embedding`")
                return POISON
            if failed or POISON in tensors or any(isinstance(t, tuple) for t in tensors):
                return POISON
            return self.block_call(scope, visible[name], call, tensors, positional, keywords)
        # Arguments are checked even after an upstream error: independent mistakes are all reported.
        reading = None if failed else self.pytorch_reading(kind, positional, keywords, call.span)
        args = None if failed else self.layer_args(kind, positional, keywords, call.span, spans := {},
                                                   deferred=reading is not None)
        if reading is not None and args is None:
            reading = replace(reading, errors=tuple(self.deferred))
            self.deferred.clear()
        owner = self.tie_owner(scope, kind, tie) if tie is not None else None
        if (args is None and reading is None) or POISON in tensors or owner is POISON:
            return POISON
        flat, expected = flatten(tuple(tensors)), kind.inputs
        if (not flat and expected != 0) or (expected is not None and len(flat) not in kind.input_counts()):
            wanted = "a tensor input" if expected in (1, None) else "no tensor input" if expected == 0 else \
                f"{expected} tensor inputs"
            optional = f", and optionally {nested(kind.optional_inputs, str)}" if kind.optional_inputs else ""
            self.diagnostics.error(codes.E0323, f"`{name}` needs {wanted}{optional}, but gets {len(flat)}", call.span,
                                   help=f"write `{call_form(kind)}`" if kind.optional_inputs else
                                   f"write `x -> {name}` or `{name}(x)`" if expected == 1 else None)
            return POISON
        grouping = inputs_mismatch(kind, tensors)
        if grouping is not None:
            help, fixes = regrouping(kind, tensors, tensor_spans)
            self.diagnostics.error(codes.E0323, grouping, call.span, help=help, fixes=fixes)
            return POISON
        inputs = [t.ref for t in flat]
        optional = dict(zip(flatten(kind.optional_inputs), flatten(tuple(tensor_spans))[kind.inputs or 0:]))
        spans.update({state: span for state, span in optional.items() if span is not None})
        targets = unpacking[1] if unpacking is not None and unpacking[0] is call else None
        if targets is not None and kind.results:
            problem = results_mismatch(kind, targets)
            if problem is not None:
                self.diagnostics.error(codes.E0318, problem[0], call.span, help=problem[1], fixes=problem[2])
                return POISON
            self.add_node(scope, kind, args, spans, inputs, call.span, call.label, reading)
            values = iter(Tensor(value) for value in scope.nodes[-1].values)
            return tuple(matched(targets, shaped(kind.results, values)))
        if targets is not None and kind.unpack is not None:
            try:
                if any(isinstance(t, ast.TargetGroup) for t in targets):
                    raise CannotUnpack(f"`{name}` gives its pieces side by side: `a, b, c = ...`")
                pieces = kind.unpack(args, len(targets))
            except CannotUnpack as reason:
                self.diagnostics.error(codes.E0318, f"{len(flatten(layout(targets)))} names are unpacked, but "
                                       f"`{name}` gives one tensor", call.span, help=str(reason))
                return POISON
            return tuple(self.add_node(scope, kind, piece, spans, inputs, call.span, None) for piece in pieces)
        return self.add_node(scope, kind, args, spans, inputs, call.span, call.label, reading, tie=owner)

    # ------------------------------------------------------------ sharing

    def tie_owner(self, scope: Scope, kind: LayerKind, tie: ast.Arg) -> str | Any:
        """The node whose weights `tie=label` shares, or POISON after reporting why it cannot."""
        owner = scope.labelled.get(tie.value.name)
        if owner is None:   # the labelled layer did not lower (its error is reported)
            return POISON
        if not kind.tieable:
            tieable = [f"`{k.name}`" for k in registry.all_kinds().values() if k.tieable]
            tieable = ", ".join(tieable[:-1]) + " and " + tieable[-1] if len(tieable) > 1 else tieable[0]
            self.diagnostics.error(codes.E0341, f"`{kind.name}` has no weight that `tie=` can share", tie.span,
                                   help=f"`tie=` shares the weight of {tieable} layers")
            return POISON
        return owner

    def reuse(self, scope: Scope, call: ast.Call, tensors: list[Any], arguments: bool, failed: bool,
              unpacking: Unpacking) -> Any:
        """`b -> enc`: the layer or block call labelled `enc` applied again, as one module (its weights
        counted once); a node that `shares` the first one's module. A recurrent layer's results unpack
        as at its first use (`out, h = b -> enc`), and it may take an initial state (`enc(b, h0)`)."""
        label = call.func.name
        owner = scope.node(scope.labelled[label]) if label in scope.labelled else None
        if arguments:
            self.diagnostics.error(codes.E0232, f"`{label}` is the layer labelled here before: it takes no new "
                                   "arguments", call.span,
                                   notes=(Note(f"`{label}` is defined here", owner.span),) if owner else (),
                                   help=f"write `-> {label}` to apply the same layer (same weights) again, or give "
                                        "a new layer its own name")
            return POISON
        flat = flatten(tuple(tensors))
        if failed or owner is None or POISON in flat:
            return POISON
        kind = registry.lookup(owner.kind) if owner.block is None else None
        counts = (len(owner.block.inputs),) if kind is None else kind.input_counts()
        if not flat or (counts is not None and len(flat) not in counts):
            expected = " or ".join(map(str, counts or ()))
            self.diagnostics.error(codes.E0323, f"`{label}` takes {expected} tensor input{'s' * (expected != '1')}, "
                                   f"but gets {len(flat)}", call.span, notes=(Note(f"`{label}` is defined here",
                                                                                  owner.span),))
            return POISON
        number = 2
        while f"{label}_{number}" in scope.naming.used or f"{label}_{number}" in scope.naming.labels:
            number += 1
        name = f"{label}_{number}"
        scope.naming.use(name)
        results = tuple(ResultValue(r.name, name if r.value == owner.name else result_value(name, r.name))
                        for r in owner.results)   # a recurrent layer's: the same results, under the new name
        scope.nodes.append(Node(name, owner.kind, owner.args, tuple(t.ref for t in flat), call.span,
                                owner.arg_spans, block=owner.block, repeat=scope.repeat, shares=owner.name,
                                results=results))
        targets = unpacking[1] if unpacking is not None and unpacking[0] is call else None
        if targets is None or kind is None or not kind.results:
            return Tensor(name)
        problem = results_mismatch(kind, targets)
        if problem is not None:
            self.diagnostics.error(codes.E0318, problem[0], call.span, help=problem[1], fixes=problem[2])
            return POISON
        return tuple(matched(targets, shaped(kind.results, iter(Tensor(value) for value in scope.nodes[-1].values))))

    def layer_args(self, kind: LayerKind, positional: list, keywords: list, span: Span,
                   spans: dict[str, Span] | None = None, deferred: bool = False):
        """The validated arguments, or None after reporting why (deferred: kept in self.deferred for the
        checker, which reports them unless the call turns out to be in PyTorch's argument order)."""
        signature = kind.signature
        bound = bind(signature, positional, keywords, span)
        if spans is not None:
            spans.update(bound.spans)
        args, errors = (None, bound.errors) if bound.errors else validate(signature, bound.values, bound.spans, span)
        for error in errors:
            if deferred:
                self.deferred.append(Diagnostic(error.code.code, Severity.ERROR, error.message, error.span,
                                                help=error.help, fixes=error.fixes))
            else:
                self.error(error)
        return args

    def pytorch_reading(self, kind: LayerKind, positional: list, keywords: list, span: Span) -> PyTorchReading | None:
        """The call bound in PyTorch's argument order — the size netdsl infers first — when the kind
        infers a size it does not take by position and that order binds (two positionals at least)."""
        if not kind.inferred or kind.inferred[0].field in kind.positional or len(positional) < 2 \
                or (kind.positional and kind.positional[0].startswith("*")):
            return None
        order = (kind.inferred[0].field, *kind.positional)
        signature = Signature(f"`{kind.name}`", kind.schema, order, kind.aliases)
        bound = bind(signature, positional, keywords, span)
        args, errors = (None, bound.errors) if bound.errors else validate(signature, bound.values, bound.spans, span)
        return None if errors else PyTorchReading(args, positional[0][1], len(positional))

    def block_call(self, scope: Scope, definition: ast.Definition, call: ast.Call, tensors: list[Tensor],
                   positional: list, keywords: list) -> Any:
        name = definition.name.name
        self.count_work(call.span)
        if len(self.active) >= MAX_BLOCK_DEPTH:
            self.diagnostics.error(codes.E0213, f"blocks are nested more than {MAX_BLOCK_DEPTH} deep here",
                                   call.func.span, notes=(Note(" → ".join([*self.active, name])),),
                                   help="flatten the hierarchy: call the innermost blocks side by side")
            return POISON
        if name in self.active:
            cycle = " → ".join([*self.active[self.active.index(name):], name])
            self.diagnostics.error(codes.E0208, f"block `{name}` uses itself ({cycle})", call.func.span,
                                   help="a block cannot contain itself, directly or through other blocks")
            return POISON
        signature = self.signature(definition)
        bound = bind(signature, positional, keywords, call.span,
                     defaulted=frozenset(n for n, f in signature.schema.fields.items() if f.default is _DEFAULTED))
        for error in bound.errors:
            self.error(error)
        if bound.errors:
            return POISON
        params = self.evaluate_params(definition, {n: (v, bound.spans[n]) for n, v in bound.values.items()},
                                      call.span)
        if params is None:
            return POISON
        declared = [s for s in definition.body if isinstance(s, ast.InputStmt)]
        input_count = sum(len(s.decls) for s in declared)
        if len(tensors) != input_count:
            self.diagnostics.error(codes.E0323, f"block `{name}` takes {input_count} tensor input"
                                   f"{'s' if input_count != 1 else ''}, but gets {len(tensors)}", call.span,
                                   notes=tuple(Note("inputs are declared here", s.span) for s in declared))
            return POISON
        graph = self.instantiate_call(definition, params)
        node = Node(self.node_name(scope, block_prefix(name), call.label), name, params,
                    tuple(t.ref for t in tensors), call.span, dict(bound.spans), block=graph, repeat=scope.repeat)
        scope.nodes.append(node)
        return Tensor(node.name)

    def instantiate_call(self, definition: ast.Definition, params: dict[str, Any]) -> Graph:
        """A block at a call, lowered or replayed from an earlier check (netdsl.lower_reuse)."""
        key = self.instance_key(definition, params)
        graph = self.replay(key, (MAX_LAYERS, MAX_WORK))
        if graph is not None:
            return graph
        layers, work, deferred, since = self.layers, self.work, len(self.deferred), memo.epoch()
        self.requesting.append(requested := {})
        try:
            graph, diagnostics = self.lower_call(definition, params)
        finally:
            self.requesting.pop()
        for diagnostic in diagnostics:
            self.diagnostics.add(diagnostic)
        if key is not None and len(self.deferred) == deferred:
            self.remember(key, since, graph, requested, diagnostics, layers, work)
        return graph

    def lower_call(self, definition: ast.Definition, params: dict[str, Any]) -> tuple[Graph, tuple[Diagnostic, ...]]:
        """A block at a call, and what lowering it reports. When one of its conditions needs the sizes of
        its input pattern (`if C == out`), which only the checker binds, its lowering is dropped (its
        diagnostics with it) and the graph given has its inputs and a `specialize` that lowers the block
        once they are known."""
        buffered, self.diagnostics = self.diagnostics, Diagnostics()
        self.active.append(definition.name.name)
        try:
            graph = self.instantiate(definition, params, deferrable=True)
        except _NeedsShapes as waiting:
            scope = waiting.scope
            symbols = dict(scope.symbols)
            return Graph(definition.name.name, definition.kind, dict(params), tuple(scope.inputs), (), None,
                         definition.span, tuple(scope.assumptions), frozenset(scope.defined),
                         specialize=lambda arguments, binding, context: self.specialize(
                             definition, arguments, {n: binding[s] for n, s in symbols.items() if s in binding},
                             context)), ()
        finally:
            self.active.pop()
            buffered, self.diagnostics = self.diagnostics, buffered
        return graph, tuple(buffered.items)

    def specialize(self, definition: ast.Definition, params: dict[str, Any], pattern: dict[str, Any],
                   context: tuple[Note, ...]) -> Graph | None:
        """The block lowered with its input pattern's sizes known (called by the checker)."""
        self.active.append(definition.name.name)
        self.context = context
        try:
            return self.instantiate(definition, params, pattern=pattern)
        except _TooMuchWork as error:
            self.diagnostics.error(codes.E0319, f"block `{definition.name.name}` expands to more than {error.what}",
                                   error.span, notes=context)
            return None
        finally:
            self.active.pop()
            self.context = ()

    # ------------------------------------------------------------ nodes

    def node_name(self, scope: Scope, prefix: str, label: ast.Ident | None) -> str:
        if label is not None and scope.loops:   # once per item of a `for`: proj1, proj2, ...
            return scope.naming.fresh(label.name)
        if label is not None and label.name in scope.naming.labels and label.name not in scope.naming.used:
            scope.naming.use(label.name)
            scope.labelled[label.name] = label.name
            return label.name
        return scope.naming.fresh(scope.repeat_label or prefix)

    def add_node(self, scope: Scope, kind: LayerKind, args: Any, arg_spans: dict[str, Span],
                 inputs: list[str], span: Span, label: ast.Ident | None, reading: PyTorchReading | None = None,
                 tie: str | None = None) -> Tensor:
        self.layers += 1
        if self.layers > MAX_LAYERS:
            raise _TooMuchWork(self.repeats[0].span if self.repeats else span, f"{MAX_LAYERS:,} layers")
        name = self.node_name(scope, kind.prefix, label)
        chosen = kind.chosen_result(args if args is not None else reading.args if reading is not None else None)
        results = tuple(ResultValue(r, name if r == chosen else result_value(name, r)) for r in kind.result_names)
        node = Node(name, kind.name, args, tuple(inputs), span, arg_spans, repeat=scope.repeat, reading=reading,
                    results=results, tie=tie)
        scope.nodes.append(node)
        return Tensor(node.name)


def _tensors(value: Any) -> bool:
    """A tensor, or a group of tensors (a tuple, possibly nested, of nothing else)."""
    return isinstance(value, Tensor) or isinstance(value, tuple) and bool(value) and all(map(_tensors, value))


def _named(node: Node, value: str, variable: str) -> Node:
    """node with the user's name for one of its values (the first name given to it stays)."""
    if node.variable is None and value == node.name:
        node = replace(node, variable=variable)
    results = tuple(replace(r, variable=variable) if r.value == value and r.variable is None else r
                    for r in node.results)
    return replace(node, results=results) if results != node.results else node


def _names_in(condition: ast.SizeCondition) -> set[str]:
    names, pending = set(), [condition.left, condition.right]
    while pending:
        expr = pending.pop()
        if isinstance(expr, ast.Var):
            names.add(expr.name)
        elif isinstance(expr, ast.BinOp):
            pending += [expr.left, expr.right]
        elif isinstance(expr, ast.Neg):
            pending.append(expr.operand)
    return names


def lower_block(program: Program, definition: ast.Definition, params: dict[str, Any],
                diagnostics: Diagnostics, decisions: tuple[tuple[str, bool], ...] | None = None,
                pattern: dict[str, Any] | None = None) -> Graph | None:
    """Instantiate a block with the given parameter values (sizes may be symbols: a block's recipe), its
    conditions taking the given outcomes when there are some, and `pattern` fixing input-pattern sizes."""
    lowerer = _Lowerer(program, diagnostics)
    lowerer.active.append(definition.name.name)
    try:
        return lowerer.instantiate(definition, params, pattern=pattern, replay=decisions)
    except _TooMuchWork:
        return None


def lower(program: Program, network: str, overrides: dict[str, Any], diagnostics: Diagnostics,
          sizes: dict[str, int] | None = None) -> Graph | None:
    """Instantiate one network of the program, with `sizes` fixing symbols of its input shapes. Errors
    go to diagnostics; None if it cannot be built."""
    definition = program.definitions[network]
    lowerer = _Lowerer(program, diagnostics)
    lowerer.sizes = dict(sizes or {})
    resolution = lowerer.resolution(definition)
    given = {}
    for name, value in overrides.items():
        if name not in resolution.params:
            suggestion = nearest(name, resolution.params)
            diagnostics.error(codes.E0209, f"`-p {name}`: network `{network}` has no parameter `{name}`",
                              definition.name.span, help=f"did you mean `{suggestion}`?" if suggestion else
                              f"its parameters are: {', '.join(sorted(resolution.params)) or 'none'}")
            return None
        if type(value) is int and not MIN_INT <= value <= MAX_INT:
            diagnostics.error(codes.E0324, f"`-p {name}` is too large for an integer", definition.name.span,
                              help=f"integers go up to {MAX_INT:,} (2**63 - 1)")
            return None
        given[name] = (value, definition.name.span)
    missing = [n for n, p in resolution.params.items() if p.default is None and n not in given]
    for name in missing:
        param = resolution.params[name]
        diagnostics.error(codes.E0311, f"network `{network}` needs a value for parameter `{name}`",
                          definition.name.span, notes=(Note(f"`{name}` is declared here without a default", param.span),),
                          help=f"give it a default, or pass `-p {name}=...`")
    if missing:
        return None
    params = lowerer.evaluate_params(definition, given, definition.name.span)
    if params is None:
        return None
    try:
        return lowerer.instantiate(definition, params)
    except _TooMuchWork as error:
        diagnostics.error(codes.E0319, f"network `{network}` expands to more than {error.what}", error.span,
                          label="counting every repeat and block call expanded",
                          help="repeat counts multiply when repeats or blocks nest: use smaller counts")
        return None

