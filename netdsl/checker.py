"""Graph IR → CheckedGraph: the shape, parameter count and MACs of every node.

For each layer the checker binds the block's size symbols in its arguments (validating them again
once they are numbers), reads the sizes a kind infers from its input (comparing them with written
ones, for every kind alike), runs the kind's rule, and keeps the requirements the rule puts on
symbolic input sizes.
"""

from __future__ import annotations

from dataclasses import field, replace

from . import codes, memo, records, registry
from .diagnostics import Diagnostics, Edit, Fix, Note
from .dtypes import CAST, FLOATING, UNKNOWN, DType, requirement
from .fixes import inferred_argument
from .ir import Assumption, Graph, Node
from .kinds import LayerKind, flatten
from .schema import Args, SchemaError, format_value
from .shapes import (
    MAX_ELEMENTS,
    Requirement,
    Shape,
    ShapeError,
    allowing_symbolic_weights,
    check_tensor_size,
    collecting,
    format_shape,
    numel,
    require,
    reset_symbolic_weights,
    stop_collecting,
)
from .sizes import (
    Size,
    SymbolicSizeError,
    allowing_symbolic_division,
    compare,
    format_size,
    relate,
    reset_symbolic_division,
    substitute,
    symbol_name,
)
from .source import Span


@records.value
class LayerResult:
    node: Node
    inputs: tuple[Shape, ...] | None   # None when an input is unknown (after an earlier error)
    shape: Shape | None                # None when this node (or its input) has an error
    params: int = 0                    # trainable parameters, nested blocks included
    frozen: int = 0                    # parameters created with requires_grad=False (not in params)
    buffers: int = 0                   # e.g. batchnorm running statistics
    macs: int | Size = 0               # multiply-accumulates for one forward pass: a formula when sizes are symbolic
    inner: CheckedGraph | None = None  # the checked block, for block calls
    error: str | None = None           # the message of the error at this node
    args: object = None                # node.args with block symbols bound and inferred sizes filled in
    init: CheckedGraph | None = None   # a parameter's or buffer's stages after its initialiser
    tied: tuple[str, ...] = ()         # weights shared with node.tie's layer (not counted here)
    results: tuple[Shape, ...] = ()    # a kind with several results: each one's shape, as node.results
    dtype: DType = UNKNOWN             # the class of the numbers its values hold (netdsl.dtypes)

    def values(self) -> tuple[tuple[str, Shape | None], ...]:
        """(value, shape) for each value of the node: its own, or each of its results'."""
        if not self.node.results:
            return ((self.node.name, self.shape),)
        shapes = self.results or (None,) * len(self.node.results)
        return tuple(zip(self.node.values, shapes))


@records.value
class Constraint:
    """A requirement on the network's input sizes, where it arises, and the block calls around it."""
    requirement: Requirement
    node: Node
    context: tuple[Note, ...]


@records.value
class CheckedGraph:
    graph: Graph
    input_shapes: dict[str, Shape | None]
    layers: tuple[LayerResult, ...]
    output_shape: Shape | None
    constraints: tuple[Constraint, ...] = ()   # of this graph and the blocks it calls
    arguments: dict | None = None              # a block's parameter values, bound (None: graph.params)
    output_dtype: DType = UNKNOWN
    # A clean block instance: what its checking depended on (see _instance_key). Later stages may reuse
    # what they derived from an instance with the same key (lint).
    key: tuple | None = field(default=None, compare=False, repr=False)

    @property
    def parameters(self) -> dict:
        """The parameter values this instance was checked with (a block's, with the caller's sizes bound)."""
        return self.graph.params if self.arguments is None else self.arguments

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def frozen(self) -> int:
        return sum(layer.frozen for layer in self.layers)

    @property
    def buffers(self) -> int:
        return sum(layer.buffers for layer in self.layers)

    @property
    def macs(self) -> int | Size:
        total = 0
        for layer in self.layers:
            total = total + layer.macs
        return total

    def live(self) -> list[LayerResult]:
        """The layers the output depends on, in order (code generation skips the others; lint warns)."""
        needed = {self.graph.output}
        live = set()
        for layer in reversed(self.layers):
            if not needed.isdisjoint(layer.node.values):
                needed.update(layer.node.inputs)
                live.add(layer.node.name)
        return [layer for layer in self.layers if layer.node.name in live]


def _bind_args(args: Args, binding: dict[str, object]) -> Args:
    """Replace the block's size symbols (N, H, C, ...) inside argument values."""
    if not binding:
        return args
    updates = {}
    for name, value in args.values.items():
        if isinstance(value, (Size, tuple)):
            bound = substitute(value, binding)
            if bound is not value and bound != value:
                updates[name] = bound
    return args.replace(**updates) if updates else args


# A value's dtype class and the node that decided it (over layers that keep their input's class); None
# for a network input.
Made = tuple[DType, Node | None]


class _Checker:
    def __init__(self, diagnostics: Diagnostics, counting: bool = True):
        self.diagnostics = diagnostics
        self.origins: dict[str, tuple] = {}   # a block's inputs: where the caller's tensors came from (source())
        self.counting = counting   # parameters and MACs: not for a block's recipe, whose sizes are symbols
        # An unpacking (`a, b = x -> chunk(2)`) is a node per piece, failing alike: its error is said once.
        self.reported: set[tuple] = set()

    def graph(self, graph: Graph, input_shapes: dict[str, Shape | None], binding: dict[str, object],
              context: tuple[Note, ...], arguments: dict | None = None,
              input_dtypes: dict[str, Made] | None = None) -> CheckedGraph:
        shapes: dict[str, Shape | None] = dict(input_shapes)
        made: dict[str, Made] = {name: (input_dtypes or {}).get(name, (UNKNOWN, None)) for name in input_shapes}
        results, constraints = [], []
        checked: dict[str, LayerResult] = {}   # for shared layers and tied weights: the layer they name
        for node in graph.nodes:
            inputs = tuple(shapes.get(name) for name in node.inputs)
            if any(shape is None for shape in inputs):
                result = LayerResult(node, None, None)
            else:
                found: list[Requirement] = []
                token = collecting(found)
                try:
                    result = self.node(node, inputs, binding, context, shapes, graph, made)
                    if node.shares is not None or node.tie is not None:
                        result = self.sharing(result, checked, context)
                    if result.shape is not None:
                        result = self.dtype(result, made, context)
                finally:
                    stop_collecting(token)
                constraints += [Constraint(r, node, context) for r in found]
                if result.inner is not None:
                    constraints += result.inner.constraints
            shapes.update(result.values())
            made.update((value, (result.dtype, _dtype_origin(result, made))) for value in node.values)
            checked[node.name] = result
            results.append(result)
        output = shapes.get(graph.output) if graph.output is not None else None
        dtype = made.get(graph.output, (UNKNOWN, None))[0]
        return CheckedGraph(graph, dict(input_shapes), tuple(results), output, tuple(constraints), arguments, dtype)

    def dtype(self, result: LayerResult, made: dict[str, Made], context: tuple[Note, ...]) -> LayerResult:
        """The class of the layer's output, after checking that its kind takes its inputs' classes (E0426)."""
        node = result.node
        if node.learnable is not None:
            return replace(result, dtype=FLOATING)
        if node.block is not None:
            return replace(result, dtype=result.inner.output_dtype)
        declared = registry.lookup(node.kind).dtypes
        inputs = tuple(made[name][0] for name in node.inputs)
        refused = declared.refused(result.args, inputs)
        if refused is None:
            return replace(result, dtype=declared.result(result.args, inputs))
        dtype, maker = made[node.inputs[refused]]
        accepted = declared.required(result.args, refused, len(inputs))
        which = "its input" if len(node.inputs) == 1 else f"its input {refused + 1} (`{node.inputs[refused]}`)"
        source = f" from `{maker.kind}`" if maker is not None else ""
        message = f"`{node.kind}` needs {requirement(accepted)}, but {which} is {dtype.describe()}{source}"
        cast = CAST[next(d for d in CAST if d in accepted)]
        notes = (Note(f"`{maker.kind}` gives {dtype.describe()}", maker.span),) if maker is not None else ()
        self.diagnostics.error(codes.E0426, message, node.span, notes=(*notes, *context),
                               help=f"convert it first, with `-> to('{cast}')`", fixes=_cast_fix(node, cast))
        return replace(result, shape=None, results=(), error=message)

    def node(self, node: Node, inputs: tuple[Shape, ...], binding: dict[str, object], context: tuple[Note, ...],
             shapes: dict[str, Shape | None], graph: Graph, made: dict[str, Made]) -> LayerResult:
        if node.block is not None:
            return self.block_call(node, inputs, context, shapes, graph, binding, made)
        if node.learnable is not None:
            return self.learnable(node, binding, context)
        kind = registry.lookup(node.kind)
        if node.reading is not None and binding:   # in a block: its reading with this call's values
            node = replace(node, reading=replace(node.reading, args=_bind_args(node.reading.args, binding)))
        if node.args is None:
            if node.reading is not None:
                self.pytorch_order(kind, node, inputs, context)
            return LayerResult(node, inputs, None, error="invalid arguments" if node.reading else None)
        try:
            args = self.bound_args(kind, node, inputs, binding, context)
            if args is None:
                return LayerResult(node, inputs, None, error="invalid arguments")
            args, shape = infer_layer(kind, args, inputs)
            results = tuple(result.shape(args, inputs) for result in flatten(kind.results))
            for produced in (shape, *results):
                check_tensor_size(f"`{node.kind}` output", produced)
            if not self.counting:
                return LayerResult(node, inputs, shape, args=args, results=results)
            params, frozen, buffers = (kind.params(args, inputs), kind.frozen_params(args, inputs),
                                       kind.buffers(args, inputs))
            macs = kind.macs(args, inputs, shape)
            total = params + frozen + buffers
            if isinstance(total, int) and total > MAX_ELEMENTS:
                raise ShapeError(f"`{node.kind}` has {total:,} parameters and buffers, more than the "
                                 f"{MAX_ELEMENTS:,} elements a PyTorch tensor can hold", code=codes.E0425)
        except ShapeError as error:
            # netdsl's reading fails on the input: PyTorch's order may fit it
            if not self.habit(kind, node, inputs, context, f" ({error.message})"):
                self.report(error, node, context, shapes, graph)
            return LayerResult(node, inputs, None, error=error.message)
        except SymbolicSizeError as error:
            message = f"`{node.kind}` cannot be checked for symbolic sizes: {error}"
            self.diagnostics.error(codes.E0328, message, node.span, notes=context,
                                   help="give the sizes it needs as numbers (fix the input's symbols, or pass them "
                                        "as block arguments)")
            return LayerResult(node, inputs, None, error=message)
        for count, what in ((params, "parameters"), (buffers, "buffers")):
            if not isinstance(count, int):
                message = f"`{node.kind}` has a number of {what} that depends on the input sizes: {format_size(count)}"
                self.diagnostics.error(codes.E0405, message, node.span, notes=context,
                                       help="give the sizes its weights depend on as numbers")
                return LayerResult(node, inputs, None, error=message)
        return LayerResult(node, inputs, shape, params=params, buffers=buffers, macs=macs, args=args, frozen=frozen,
                           results=results)

    def learnable(self, node: Node, binding: dict[str, object], context: tuple[Note, ...]) -> LayerResult:
        """A parameter's or buffer's shape with the block's symbols bound: numbers, since the module's
        tensors cannot depend on the input's sizes (except in a block's recipe)."""
        learnable = node.learnable
        shape = tuple(substitute(d, binding) for d in learnable.shape)
        noun = "buffer" if learnable.buffer else "parameter"
        symbolic = [d for d in shape if isinstance(d, Size)]
        if symbolic and self.counting:
            names = ", ".join(sorted(set().union(*(d.symbols() for d in symbolic))))
            message = (f"{noun} `{node.name}` is {format_shape(shape)}: its size depends on the input size "
                       f"{names}")
            self.diagnostics.error(codes.E0405, message, node.span, notes=context,
                                   help="a module's tensors cannot depend on the input's size: use numbers or the "
                                        "block's parameters (or fix the size with `--input`)")
            return LayerResult(node, (), None, error=message)
        init = None
        if learnable.stages is not None:
            init = self.graph(learnable.stages, {"init": shape}, binding, context)
            if init.output_shape is None:
                return LayerResult(node, (), None, error="its initialiser's stages do not check")
            if init.output_shape != shape:
                message = (f"the stages after the initialiser turn {noun} `{node.name}` from {format_shape(shape)} "
                           f"into {format_shape(init.output_shape)}")
                self.diagnostics.error(codes.E0342, message, node.span, notes=context,
                                       help=f"declare `{node.name}` with the shape the stages give, or keep the shape")
                return LayerResult(node, (), None, error=message)
        count = numel(shape) if not symbolic else 0
        return LayerResult(node, (), shape, params=0 if learnable.buffer else count,
                           buffers=count if learnable.buffer else 0, args=node.args, init=init)

    def sharing(self, result: LayerResult, checked: dict[str, LayerResult], context: tuple[Note, ...]) -> LayerResult:
        """A layer applied again (node.shares) is one module: it must fit its first application's weights,
        which are counted there. A tied layer (node.tie) uses that layer's weight of the same name and shape."""
        node = result.node
        owner = checked.get(node.shares or node.tie)
        if result.shape is None or owner is None or owner.args is None:
            return result
        if node.shares is not None:
            difference = _construction_difference(owner, result)
            if difference is not None:
                message = (f"`{owner.node.name}` is applied to {format_shape(result.inputs[0])} here, but is built for "
                           f"{format_shape(owner.inputs[0])}: {difference}") if result.inputs and owner.inputs else \
                    f"`{owner.node.name}` cannot be shared here: {difference}"
                self.diagnostics.error(codes.E0430, message, node.span, notes=(
                    Note(f"`{owner.node.name}` is built here, for {format_shape(owner.inputs[0])}", owner.node.span),
                    *context), help="a shared layer has one set of weights: apply it to inputs of the same size, "
                                    "or give this use a layer of its own")
                return replace(result, shape=None, error=message)
            return replace(result, params=0, frozen=0, buffers=0)
        return self.tied(result, owner, context)

    def tied(self, result: LayerResult, owner: LayerResult, context: tuple[Note, ...]) -> LayerResult:
        node = result.node
        kind = registry.lookup(node.kind)
        owner_kind = registry.lookup(owner.node.kind) if owner.node.is_layer else None
        theirs = owner_kind.weights(owner.args, owner.inputs) if owner_kind and owner_kind.weights else {}
        mine = kind.weights(result.args, result.inputs)
        shared = [name for name in kind.tieable if name in theirs]
        if not shared:
            what = f"block `{owner.node.kind}`" if owner.node.block is not None else f"`{owner.node.kind}`"
            message = f"{what} `{owner.node.name}` has no {' or '.join(f'`{w}`' for w in kind.tieable)} to tie to"
            self.diagnostics.error(codes.E0341, message, node.arg_spans.get("tie", node.span),
                                   notes=(Note(f"`{owner.node.name}` is defined here", owner.node.span), *context),
                                   help="tie to a layer with a weight of the same name, such as `embedding` or "
                                        "`linear`")
            return replace(result, shape=None, error=message)
        for name in shared:
            if mine[name] != theirs[name]:
                message = (f"`{kind.name}`'s {name} {format_shape(mine[name])} cannot be tied to `{owner.node.name}`'s "
                           f"{name} {format_shape(theirs[name])}")
                differ = [f"dim {i} is {format_size(a)} vs {format_size(b)}"
                          for i, (a, b) in enumerate(zip(mine[name], theirs[name])) if a != b]
                self.diagnostics.error(codes.E0431, message, node.span, notes=(
                    Note(f"`{owner.node.name}` is `{owner.node.kind}` with {name} {format_shape(theirs[name])}",
                         owner.node.span), *context),
                    help=f"one tensor serves both layers, so the shapes must agree ({', '.join(differ) or 'ranks differ'})")
                return replace(result, shape=None, error=message)
        return replace(result, params=result.params - sum(numel(mine[name]) for name in shared), tied=tuple(shared))

    def pytorch_order(self, kind: LayerKind, node: Node, inputs: tuple[Shape, ...], context) -> None:
        """Arguments that are invalid in netdsl's order: a PyTorch habit (E0329) when the first one is the
        size netdsl infers and PyTorch's order fits the input, else the errors of netdsl's reading."""
        problem = f" ({node.reading.errors[0].message})" if node.reading.errors else ""
        if not self.habit(kind, node, inputs, context, problem):
            for error in node.reading.errors:
                self.diagnostics.add(replace(error, notes=(*error.notes, *context)))

    def habit(self, kind: LayerKind, node: Node, inputs: tuple[Shape, ...], context, problem: str) -> bool:
        """Report E0329 (with netdsl's own problem appended) when the call reads in PyTorch's order."""
        habit = pytorch_habit(kind, node, inputs) if node.reading is not None else None
        if habit is None:
            return False
        message, meant, fixes = habit
        self.diagnostics.error(codes.E0329, message + problem, node.span, notes=context, help=f"write `{meant}`",
                               fixes=fixes)
        return True

    def bound_args(self, kind: LayerKind, node: Node, inputs: tuple[Shape, ...], binding: dict[str, object],
                   context: tuple[Note, ...]) -> Args | None:
        """The node's arguments with the block's symbols bound, validated again when that changed them
        (invalid ones may be a PyTorch habit that only this call's values show, E0329)."""
        args = _bind_args(node.args, binding)
        if args is node.args:
            return args
        try:
            return kind.schema.validate({n: v for n, v in args.values.items() if n in args.schema.fields})
        except SchemaError as error:
            name, problem = error.errors[0]
            if self.habit(kind, node, inputs, context, f" (`{kind.name}` argument `{name}` {problem.message})"):
                return None
            for name, problem in error.errors:
                written = format_size(node.args.values[name]) if not isinstance(node.args.values[name], tuple) \
                    else str(node.args.values[name])
                self.diagnostics.error(codes.E0314, f"`{kind.name}` argument `{name}` {problem.message} "
                                       f"(`{written}` here)", node.arg_spans.get(name, node.span), notes=context)
            return None

    def block_call(self, node: Node, inputs: tuple[Shape, ...], context: tuple[Note, ...],
                   shapes: dict[str, Shape | None], graph: Graph, outer: dict[str, object],
                   made: dict[str, Made]) -> LayerResult:
        block = node.block
        call_note = Note(f"in block `{block.name}` called here", node.span)
        # Parameters given as the caller's sizes (`ConvBN(C * t)`) are bound here: the block's own
        # symbols of those names were renamed when it was lowered (scopes.Scope.pattern_symbol).
        arguments = {name: substitute(value, outer) for name, value in node.args.items()}
        binding: dict[str, object] = {name: outer[name] for value in node.args.values() if isinstance(value, Size)
                                      for name in value.symbols() if name in outer}
        for declared, actual in zip(block.inputs, inputs):
            problem = _match(declared.shape, actual, binding)
            if problem:
                self.diagnostics.error(codes.E0408, f"block `{block.name}` expects input `{declared.name}` to be "
                                       f"{format_shape(declared.shape)}, but gets {format_shape(actual)}: {problem}",
                                       node.span, notes=(Note(f"`{declared.name}` is declared here", declared.span),
                                                         *context))
                return LayerResult(node, inputs, None, error=problem)
        for assumption in block.assumptions:
            problem = _unmet(block, assumption, binding)
            if problem:
                self.diagnostics.error(codes.E0423, problem, node.span,
                                       notes=(Note("the `where` clause is here", assumption.span), *context),
                                       help="pass sizes that satisfy it, or relax the block's `where` clause")
                return LayerResult(node, inputs, None, error=problem)
        if block.specialize is not None:   # its structure depends on these sizes (`if C == out`)
            block = block.specialize(arguments, binding, (call_note, *context))
            if block is None:
                return LayerResult(node, inputs, None, error="the block could not be lowered")
            node = replace(node, block=block)
        key = _instance_key(block, inputs, binding, arguments, tuple(made[name][0] for name in node.inputs),
                            self.counting)
        entry = _CHECKED.get(key) if key is not None else memo.MISSING
        if entry is not memo.MISSING:
            _, inner, (params, buffers, macs, frozen) = entry
            return LayerResult(node, inputs, inner.output_shape, params=params, buffers=buffers, macs=macs,
                               inner=_fresh(inner), args=arguments, frozen=frozen)
        else:
            outer, before, since = self.origins, len(self.diagnostics.items), memo.epoch()
            self.origins = {declared.name: self.source(name, shapes, graph)
                            for declared, name in zip(block.inputs, node.inputs)}
            try:
                inner = self.graph(block, {i.name: s for i, s in zip(block.inputs, inputs)}, binding,
                                   (call_note, *context), arguments,
                                   {i.name: made[name] for i, name in zip(block.inputs, node.inputs)})
            finally:
                self.origins = outer
            if key is not None and len(self.diagnostics.items) == before and _clean(inner):
                inner = replace(inner, key=key)
                _CHECKED.put(key, (block, inner, (inner.params, inner.buffers, inner.macs, inner.frozen)), since)
        return LayerResult(node, inputs, inner.output_shape, params=inner.params, buffers=inner.buffers,
                           macs=inner.macs, inner=inner, args=arguments, frozen=inner.frozen)

    def origin(self, name: str, shapes: dict[str, Shape | None], graph: Graph, merge: bool) -> Note:
        """Where the tensor `name` got its shape: the layer that made it (over shape-preserving layers),
        and for a block's input the tensor the caller passed and where that came from."""
        subject, shape, maker, span = self.source(name, shapes, graph)
        if subject is not None:   # "`u` is [..] (from `conv2d`)", "input `skip`, `e3` in the call, is [..] (...)"
            return Note(f"{subject} is {shape}" + (f" (from `{maker.kind}`)" if maker is not None else ""), span)
        if merge or len(maker.inputs) != 1:
            return Note(f"`{maker.kind}` produces {shape}", span)
        return Note(f"`{maker.kind}` turns {format_shape(shapes.get(maker.inputs[0]))} into {shape}", span)

    def source(self, name: str, shapes: dict[str, Shape | None], graph: Graph):
        """(how to name the tensor or None, its shape, the node that made it, where): a block's input is
        followed to the tensor its caller passed."""
        shape = format_shape(shapes[name])
        producer = graph.producer(name)
        if producer is None:
            outer = self.origins.get(name)
            if outer is None:
                return f"input `{name}`", shape, None, next(i for i in graph.inputs if i.name == name).span
            subject, _, maker, span = outer
            passed = (f"the caller's {subject}" if subject.startswith("input") else f"{subject} in the call") \
                if subject is not None else f"the output of `{maker.kind}` in the call"
            return f"input `{name}`, {passed},", shape, maker, span
        if producer.learnable is not None:   # "parameter `W` is [64, 10]", at its declaration
            return f"{producer.kind} `{name}`", shape, None, producer.span
        origin = _shape_origin(producer, shapes, graph) if producer.name == name else producer
        variable = producer.variable_of(name) or origin.variable
        return (f"`{variable}`" if variable else None), shape, origin, origin.span

    def report(self, error: ShapeError, node: Node, context: tuple[Note, ...], shapes: dict[str, Shape | None],
               graph: Graph) -> None:
        """Point at the argument at fault, and say where each input tensor came from."""
        span = node.arg_spans.get(error.arg, node.span) if error.arg else node.span
        notes = [Note(n) for n in error.notes]
        merge = len(set(node.inputs)) > 1
        for name in dict.fromkeys(node.inputs):
            notes.append(self.origin(name, shapes, graph, merge))
        fixes = inferred_argument(span, error.arg, error.inferred, bool(context)) \
            if error.inferred is not None and error.arg in node.arg_spans else ()
        said = (error.code, span, error.message, node.inputs, tuple(note.span for note in context))
        if said in self.reported:
            return
        self.reported.add(said)
        self.diagnostics.error(error.code, error.message, span, notes=(*notes, *context), help=error.help,
                               fixes=fixes)


# A block instance checked before in this process (netdsl.memo): (its graph, kept alive, the checked graph,
# its params, buffers, MACs and frozen parameters).
_CHECKED = memo.LRU(512)


def _instance_key(block: Graph, inputs: tuple[Shape, ...], binding: dict, arguments: dict, dtypes: tuple,
                  counting: bool) -> tuple | None:
    """What checking a block instance depends on, once it is clean: the lowered block (an immutable graph
    of the lowering cache, named by id and kept alive by the entry), its inputs' shapes and classes, the
    sizes and arguments bound, and the checking mode. The call's context (notes, where the inputs come
    from) only shows in diagnostics and constraints, which a clean instance has none of."""
    key = (id(block), memo.value_key(inputs), memo.value_key(binding), memo.value_key(arguments), dtypes, counting,
           memo.modes())
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _clean(checked: CheckedGraph) -> bool:
    """No error anywhere in it and nothing required of the caller's sizes."""
    return not checked.constraints and checked.output_shape is not None and all(
        layer.error is None and layer.shape is not None and (layer.inner is None or _clean(layer.inner))
        and (layer.init is None or _clean(layer.init)) for layer in checked.layers)


def _fresh(checked: CheckedGraph) -> CheckedGraph:
    """A copy of a cached checked block, its nested blocks copied too: code generation tells block calls
    apart by the identity of their checked graphs."""
    layers = tuple(replace(layer, inner=_fresh(layer.inner) if layer.inner is not None else None,
                           init=_fresh(layer.init) if layer.init is not None else None)
                   if layer.inner is not None or layer.init is not None else layer for layer in checked.layers)
    return replace(checked, layers=layers)


def _dtype_origin(result: LayerResult, made: dict[str, Made]) -> Node | None:
    """The node that decided a layer's output class: an input's maker when the layer keeps that class
    (relu after argmax: argmax), else the layer itself."""
    node = result.node
    if node.is_layer:
        for name in node.inputs:
            dtype, maker = made[name]
            if dtype is result.dtype and dtype is not UNKNOWN:
                return maker
    return node


def _cast_fix(node: Node, cast: str) -> tuple[Fix, ...]:
    """Insert the cast before a layer of one input written in a chain (`x -> argmax(1) -> to(...) -> relu`)."""
    before = node.span.source.text[:node.span.start].rstrip(" \t")
    if len(node.inputs) != 1 or not before.endswith("->"):
        return ()
    return (Fix(f"convert with to('{cast}')", (Edit(Span(node.span.source, node.span.start, node.span.start),
                                                    f"to('{cast}') -> "),)),)


def _construction_difference(owner: LayerResult, use: LayerResult) -> str | None:
    """How a shared layer's module would differ if it were built for this use's inputs (a constructor
    argument, or a parameter's shape, in the block), or None when it is the same module."""
    if owner.inner is not None and use.inner is not None:
        for a, b in zip(owner.inner.layers, use.inner.layers):
            if a.args is None or b.args is None:
                continue
            difference = _construction_difference(a, b)
            if difference is not None:
                return f"`{a.node.name}` in `{owner.node.kind}`: {difference}"
        return None
    if owner.node.learnable is not None:
        return None if owner.shape == use.shape else f"{format_shape(owner.shape)} vs {format_shape(use.shape)}"
    kind = registry.lookup(owner.node.kind)
    if kind is None or kind.module_args is None:
        return None
    for name, value in owner.args.items():
        other = use.args.values.get(name)
        if compare(value, other) is not True if isinstance(value, (int, Size)) and isinstance(other, (int, Size)) \
                else value != other:
            return f"{name} {format_value(other)} vs {format_value(value)}"
    return None


def pytorch_habit(kind: LayerKind, node: Node, inputs: tuple[Shape, ...]):
    """(message, the call probably meant, fixes) when node's call reads in PyTorch's argument order: its
    first positional argument is the size netdsl infers from the input, and that order fits; else None."""
    reading = node.reading
    field = kind.inferred[0].field
    try:
        expected = kind.inferred[0].read(reading.args, inputs)
        if compare(reading.args.values[field], expected) is not True:
            return None
        infer_layer(kind, reading.args.replace(**{field: None}), inputs)
    except (ShapeError, SymbolicSizeError):
        return None
    text, start = node.span.text, node.span.start
    removal = argument_span(reading.first)
    meant = text[:removal.start - start] + text[removal.end - start:]
    written = [reading.args.values[name] for name in (field, *kind.positional)[:reading.count]]
    reads = ", ".join(f"{name}={format_value(value)}" for name, value in zip(kind.positional, written))
    message = (f"`{text}` is in PyTorch's argument order, but netdsl infers {field} ({format_size(expected)}) from "
               f"the input: it reads {reads}")
    return message, meant, (Fix(f"drop the inferred {field}", (Edit(removal, ""),)),)


def argument_span(span: Span) -> Span:
    """An argument's span widened to the comma that separates it from the next (or previous) one."""
    text = span.source.text
    end = span.end
    while end < len(text) and text[end] in " \t":
        end += 1
    if end < len(text) and text[end] == ",":
        end += 1
        while end < len(text) and text[end] in " \t":
            end += 1
        return Span(span.source, span.start, end)
    start = span.start
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return Span(span.source, start - 1 if start > 0 and text[start - 1] == "," else span.start, span.end)


def infer_layer(kind: LayerKind, args: Args, inputs: tuple[Shape, ...]) -> tuple[Args, Shape]:
    """What the checker does for one layer: fill in the sizes the kind reads off its inputs (a written
    one must agree: E0301), then run the kind's rule."""
    for inferred in kind.inferred:
        actual = inferred.read(args, inputs)
        written = args.values.get(inferred.field)
        if written is not None and compare(written, actual) is not True:
            raise ShapeError(
                f"`{kind.name}` expects {format_size(written)} {inferred.what}, but receives {format_size(actual)} "
                f"(input {format_shape(inputs[inferred.source])})", arg=inferred.field, code=codes.E0301,
                help=f"drop {inferred.field} (it is inferred), or use {inferred.field}={format_size(actual)}",
                inferred=format_size(actual))
        args = args.replace(**{inferred.field: actual})
    return args, kind.infer(args, inputs)


def _shape_origin(producer: Node, shapes: dict[str, Shape | None], graph: Graph) -> Node:
    """Walk back over shape-preserving layers (relu, softmax, dropout, ...) to the one that made the shape,
    which may join several tensors (the matmul before a softmax)."""
    while len(producer.inputs) == 1 and shapes.get(producer.name) == shapes.get(producer.inputs[0]):
        earlier = graph.producer(producer.inputs[0])
        if earlier is None or producer.inputs[0] != earlier.name:   # another result of a layer: made there
            break
        producer = earlier
    return producer


def _match(pattern: Shape | None, actual: Shape, binding: dict[str, object]) -> str | None:
    """Match a block's declared input shape against the actual one, binding its symbols."""
    if pattern is None:
        return None
    if len(pattern) != len(actual):
        return f"rank {len(actual)} instead of {len(pattern)}"
    for index, (want, have) in enumerate(zip(pattern, actual)):
        name = symbol_name(want)
        if name is not None and name not in binding:
            binding[name] = have
            continue
        expected = binding[name] if name is not None else substitute(want, binding)
        problem = (f"dim {index} is {format_size(have)}, but `{name}` is already {format_size(expected)}"
                   if name is not None else f"dim {index} is {format_size(have)}, not {format_size(expected)}")
        truth = compare(expected, have)
        if truth is False:
            return problem
        require(truth, lambda problem=problem: ShapeError(
            f"the block input {format_shape(pattern)} does not match {format_shape(actual)}: {problem}",
            code=codes.E0408))
    return None


def _unmet(block: Graph, assumption: Assumption, binding: dict[str, object]) -> str | None:
    """Why a call breaks the block's `where` condition for every size (None when it may hold: then the
    condition is collected as a requirement on the caller's sizes)."""
    left, right = substitute(assumption.left, binding), substitute(assumption.right, binding)
    message = f"block `{block.name}` needs `{assumption.span.text}` (its `where` clause)"
    try:
        require(relate(left, assumption.op, right), lambda: ShapeError(message, code=codes.E0423))
    except ShapeError:
        names = sorted(set().union(*(v.symbols() for v in (assumption.left, assumption.right) if isinstance(v, Size))))
        here = ", ".join(f"{name} = {format_size(binding[name])}" for name in names if name in binding)
        return f"{message}, but here {here}" if here else message
    return None


def check_recipe(graph: Graph, input_shapes: dict[str, Shape]) -> CheckedGraph | None:
    """Check a block lowered with symbols for its parameters and input sizes (code generation's
    recipe): sizes that weights depend on may be symbols, nothing is counted, and what holds only for
    some sizes is left to the uses, which are checked with numbers. None when it does not check."""
    diagnostics = Diagnostics()
    weights, division = allowing_symbolic_weights(True), allowing_symbolic_division(True)
    try:
        checked = _Checker(diagnostics, counting=False).graph(graph, input_shapes, {}, ())
    except SymbolicSizeError:
        return None
    finally:
        reset_symbolic_division(division)
        reset_symbolic_weights(weights)
    return None if diagnostics.has_errors else checked


def check(graph: Graph, diagnostics: Diagnostics) -> CheckedGraph:
    """Infer every shape of a lowered network. Errors go to diagnostics; shapes after them are None."""
    checker = _Checker(diagnostics)
    shapes = {}
    for declared in graph.inputs:
        shape = declared.shape
        if shape is None:
            diagnostics.error(codes.E0409, f"network input `{declared.name}` needs a shape", declared.span,
                              help=f"declare it as `input {declared.name}: [N, ...]`")
        else:
            try:
                check_tensor_size(f"input `{declared.name}`", shape)
            except ShapeError as error:
                diagnostics.error(error.code, error.message, declared.span, help=error.help)
                shape = None
        shapes[declared.name] = shape
    return checker.graph(graph, shapes, {}, ())
