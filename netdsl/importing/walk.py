"""A module instance's fx graph → a Body. Each node becomes a step (a registry kind, found through the
kinds' own declarations, or a call of a block), a size (`x.size(0)` → `N`), or a problem that says
what cannot be imported and where. Shapes follow netdsl's own rules over the network's symbolic
sizes (torch would only give numbers), so that a size read off a tensor is written as the spec's `N`.
"""

from __future__ import annotations

import inspect
import math
import operator
from dataclasses import dataclass, field, replace

from .. import registry
from ..kinds import CannotImport, LayerKind, TensorArg
from ..shapes import Shape, ShapeError, format_shape, numel
from ..sizes import Size, SymbolicSizeError
from .learned import initial_values, not_declarable
from .model import PLUGIN_HELP, Body, Learned, Problem, Step
from .recognise import (
    Catalogue,
    bind_call,
    bind_module_call,
    infer,
    module_arguments,
    plain,
    validate,
)
from .sharing import tie_weights
from .tracing import Untraceable, place, source_of, trace
from .unrolled import replica, unrolled

# Tensor methods that do not change a tensor's values.
PASS_THROUGH = frozenset({"contiguous"})
SHARING_HELP = ("a spec applies a layer again by its label, in the module that calls it first: call it from one "
                "module, on one tensor")


@dataclass
class _Several:
    """A call that returns several tensors (an LSTM's (output, (h, c)), torch.chunk's pieces), waiting
    for the index that picks one."""
    kind: LayerKind
    args: dict
    inputs: tuple[str, ...]
    origin: str | None
    weighted: bool
    path: tuple[int, ...] = ()
    picked: dict = field(default_factory=dict)   # index path → the step's output, shared by the copies
    module: int | None = None    # id() of the module whose first call this is
    shares: int | None = None    # for a module called again: the index of its first call's step


class Walk:
    """Walks a model: the root module is the network, every module instance that is not a layer kind
    or a container is a block, walked when its call is met. Problems are collected, not raised."""

    def __init__(self, root, catalogue: Catalogue | None = None):
        self.root = root
        self.catalogue = catalogue or Catalogue()
        self.problems: list[Problem] = []
        self.bodies: list[Body] = []           # in the order they were finished: a block before its caller
        self.called: dict[int, tuple] = {}     # id(module) → (the body, its step's index or None, where) of its first call
        self.covered: set[int] = set()         # modules whose weights some layer holds
        self.read: dict[int, str] = {}         # id(tensor) → the attribute of a parameter or buffer forward reads

    def network(self, shapes: list[Shape]) -> Body | None:
        if unrolled(type(self.root)) is not None:
            self.root = replica(self.root)
        elif self.catalogue.module_kind(self.root) is not None:   # one layer: its forward is the kind's own code
            from torch import nn
            self.root = nn.Sequential(self.root)
        parameters = [p for p in inspect.signature(self.root.forward).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if len(shapes) > len(parameters):
            self.problems.append(Problem(f"{len(shapes)} input shapes are given, but forward takes "
                                         f"{len(parameters)} tensors ({', '.join(p.name for p in parameters)})"))
            return None
        missing = [p.name for p in parameters[len(shapes):] if p.default is p.empty]
        if missing:
            self.problems.append(Problem(f"forward also needs {', '.join(missing)}: give a shape for each input "
                                         f"(--input once per tensor)"))
            return None
        tensors = {p.name: shape for p, shape in zip(parameters, shapes)}
        concrete = {p.name: p.default for p in parameters[len(shapes):]}
        root = self.body(self.root, "", tensors, concrete)
        if root is not None:
            self.problems += tie_weights([b for b in self.bodies if not b.echo], self.read)
        return root

    def body(self, module, path: str, tensors: dict[str, Shape | None], concrete: dict, where: str = "") -> Body | None:
        try:
            graph = trace(module, concrete)
        except Untraceable as error:
            what = f"`{path}`, a {_class_name(module)}," if path else f"the model, a {_class_name(module)},"
            if error.refused:
                self.problems.append(Problem(f"{what[:-1]}: {error.reason}", error.where or where))
                return None
            self.problems.append(Problem(f"{what} cannot be traced by torch.fx: {error.reason}", error.where or where,
                                         "torch.fx needs forward to run the same way for every input: move "
                                         "data-dependent `if`s and loops out of forward, or into a layer kind of "
                                         "its own (netdsl.plugin)"))
            return None
        body = Body(module, path, [])
        env: dict = {}
        sources: list = []   # (step, the node it came from)
        for node in _live(graph):
            try:
                env[node] = self._run(node, env, body, tensors, concrete, sources)
            except _Skip:   # after a problem: a tensor of unknown shape, so that later problems are found too
                env[node] = TensorArg(node.name)
                body.shapes[node.name] = None
        _name_results(sources)
        self.bodies.append(body)
        return body

    # ------------------------------------------------------------------ nodes

    def _run(self, node, env, body: Body, tensors: dict, concrete: dict, sources: list):
        if node.op == "placeholder":
            if node.target in tensors:
                body.inputs.append((node.name, tensors[node.target]))
                body.variables[node.name] = node.target
                body.shapes[node.name] = tensors[node.target]
                return TensorArg(node.name)
            return concrete.get(node.target)
        args, kwargs = _values(node.args, env), _values(node.kwargs, env)
        if node.op == "output":
            return self._output(node, args[0], body)
        if node.op == "get_attr":
            return self._learned(node, body)
        if node.op == "call_module":
            return self._module_call(node, args, kwargs, body, sources)
        if node.target is operator.getitem and isinstance(args[0], _Several):
            return self._pick(node, args[0], args[1], body, sources)
        if any(isinstance(v, _Several) for v in _flat((args, kwargs))):
            return self._fail(node, "uses a call's several results as one tensor", "index the result (`[0]`)")
        if not any(isinstance(v, TensorArg) for v in _flat((args, kwargs))):
            return self._static(node, args, kwargs)
        size = _size_query(node, args, body)
        if size is not _NOT_A_QUERY:
            return size
        if node.op == "call_method" and node.target in PASS_THROUGH:
            return args[0]
        return self._call(node, args, kwargs, body, sources)

    def _output(self, node, value, body: Body):
        if isinstance(value, TensorArg):
            body.output = value.name
        else:
            what = "several tensors" if isinstance(value, (_Several, tuple, dict)) else type(value).__name__
            self._fail(node, f"forward returns {what} rather than one tensor",
                       "a spec's network or block has one output: return one tensor")
        return value

    def _module_call(self, node, args, kwargs, body: Body, sources: list):
        module = body.module.get_submodule(node.target)
        where = _where(node)
        qualified = ".".join(filter(None, (body.path, node.target)))
        if id(module) in self.called:
            return self._again(node, qualified, args, kwargs, body, sources)
        self.called[id(module)] = (body, None, where)
        kind = self.catalogue.module_kind(module)
        if kind is None and type(module).__module__.startswith("torch.") and not any(module.children()):
            return self._fail(node, f"`{qualified}` is a {_class_name(module)}, which no layer kind stands for",
                              PLUGIN_HELP)
        if kind is None:
            return self._block_call(node, module, qualified, args, kwargs, body, sources)
        try:
            tensors, decided = bind_module_call(kind, module, args, kwargs)
            shapes = tuple(body.shapes.get(t.name) for t in tensors)
            known = None if any(s is None for s in shapes) else shapes
            values = module_arguments(kind, module, known, decided)
        except (CannotImport, ShapeError) as error:
            return self._fail(node, f"`{qualified}`, a {_class_name(module)}: {_message(error)}")
        self.covered.update(id(m) for m in module.modules())
        weighted = any(True for _ in module.parameters())
        inputs = tuple(t.name for t in tensors)
        if kind.recognise.results is not None:
            return _Several(kind, dict(values.public_items()), inputs, node.target, weighted, module=id(module))
        result = self._step(node, kind, values, inputs, body, sources, origin=node.target, weighted=weighted)
        self.called[id(module)] = (body, len(body.steps) - 1, where)
        return result

    def _again(self, node, qualified: str, args, kwargs, body: Body, sources: list):
        """A module called a second time: its first step applied again by its label (`b -> enc`), the
        spec's sharing — in the body that calls it first, on one tensor, as at its first call."""
        module = body.module.get_submodule(node.target)
        owner, index, where = self.called[id(module)]
        first = owner.steps[index] if owner is body and index is not None else None
        if first is None:
            return self._fail(node, f"`{qualified}` is called a second time (first at {where}) from another module",
                              SHARING_HELP)
        if first.is_block:
            return self._block_again(node, module, qualified, first, index, args, kwargs, body, sources)
        kind = registry.lookup(first.kind)
        try:
            tensors, decided = bind_module_call(kind, module, args, kwargs)
        except CannotImport as error:
            return self._fail(node, f"`{qualified}`, a {_class_name(module)}: {_message(error)}")
        if len(tensors) != 1 or any(first.args.values.get(name) != value for name, value in decided.items()):
            return self._fail(node, f"`{qualified}` is called again on {len(tensors)} tensors or with other arguments "
                                    f"than at {where}", SHARING_HELP)
        inputs = (tensors[0].name,)
        if kind.recognise.results is not None:
            return _Several(kind, dict(first.args.public_items()), inputs, first.origin, first.weighted, shares=index)
        return self._step(node, kind, first.args, inputs, body, sources, first.origin, first.weighted, index)

    def _block_again(self, node, module, qualified: str, first: Step, index: int, args, kwargs, body: Body,
                     sources: list):
        """A block's module called again. On inputs of other shapes its forward is traced again, so that the
        block's sizes are generalised over both calls (`input x: [N, L, C]`); that trace is no call."""
        try:
            bound = inspect.signature(module.forward).bind(*args, **kwargs)
        except TypeError as error:
            return self._fail(node, f"`{qualified}` is called with arguments its forward does not take: {error}")
        bound.apply_defaults()
        tensors = {n: body.shapes.get(v.name) for n, v in bound.arguments.items() if isinstance(v, TensorArg)}
        rest = {n: v for n, v in bound.arguments.items() if not isinstance(v, TensorArg)}
        before = first.bodies[0]
        if rest != before.arguments or len(tensors) != 1:
            return self._fail(node, f"`{qualified}` is called again on {len(tensors)} tensors or with other arguments "
                                    "than at its first call", SHARING_HELP)
        shape = before.output_shape()
        if list(tensors.values()) != [s for _, s in before.inputs]:
            again = Walk(self.root, self.catalogue)
            retraced = again.body(module, qualified, tensors, rest, _where(node))
            self.problems += again.problems
            if retraced is None or retraced.output is None:
                raise _Skip
            for echo in again.bodies:
                echo.echo = True
            self.bodies += again.bodies
            shape = retraced.output_shape()
        (name,) = (v.name for v in bound.arguments.values() if isinstance(v, TensorArg))
        step = replace(first, inputs=(name,), output=node.name, shares=index, variable=None, assigned=None)
        return self._add(node, step, shape, body, sources)

    def _learned(self, node, body: Body):
        """`self.W`, a parameter or buffer forward reads itself: a `param` or `buffer` of the body, declared
        once however often it is read."""
        known = next((learned for learned in body.learned if learned.target == node.target), None)
        if known is not None:
            return TensorArg(known.value)
        path, _, attribute = node.target.rpartition(".")
        owner = body.module.get_submodule(path)
        tensor = getattr(owner, attribute)
        qualified = ".".join(filter(None, (body.path, node.target)))
        buffer = attribute in owner._buffers
        if attribute not in owner._parameters and not buffer:
            return self._fail(node, f"forward computes a tensor from constants (`{qualified}`), which torch.fx keeps "
                                    "as a constant", "register it as a buffer (`self.register_buffer(...)`) in "
                                    "__init__, or compute it from the input")
        problem = not_declarable(tensor, buffer, attribute in owner._non_persistent_buffers_set)
        if problem:
            return self._fail(node, f"`{qualified}` is {problem}")
        if id(tensor) in self.read:
            return self._fail(node, f"`{qualified}` is also read as `{self.read[id(tensor)]}`: a spec's parameter "
                                    "belongs to one network or block")
        self.read[id(tensor)] = qualified
        learned = Learned(node.target, node.name, buffer, tuple(int(d) for d in tensor.shape), initial_values(tensor))
        body.learned.append(learned)
        body.shapes[node.name] = learned.shape
        return TensorArg(node.name)

    def _block_call(self, node, module, qualified: str, args, kwargs, body: Body, sources: list):
        try:
            bound = inspect.signature(module.forward).bind(*args, **kwargs)
        except TypeError as error:
            return self._fail(node, f"`{qualified}` is called with arguments its forward does not take: {error}")
        bound.apply_defaults()
        tensors, concrete = {}, {}
        for name, value in bound.arguments.items():
            if isinstance(value, TensorArg):
                tensors[name] = body.shapes.get(value.name)
            elif any(isinstance(v, TensorArg) for v in _flat(value)):   # DenseNet's layers take a list
                return self._fail(node, f"`{qualified}` is given `{name}`, several tensors in one argument",
                                  "a block's tensors are separate inputs: pass each as its own argument, or "
                                  "concatenate them before the call")
            elif isinstance(value, Size) or any(isinstance(v, Size) for v in _flat(value)):
                return self._fail(node, f"`{qualified}` is given `{name}` computed from tensor sizes",
                                  "a block's arguments are fixed numbers: compute the size inside it")
            else:
                concrete[name] = value
        child = self.body(module, qualified, tensors, concrete, _where(node))
        if child is None or child.output is None:
            raise _Skip
        child.arguments = concrete
        inputs = tuple(v.name for v in bound.arguments.values() if isinstance(v, TensorArg))
        step = Step(None, None, inputs, node.name, origin=node.target, bodies=[child], weighted=True)
        result = self._add(node, step, child.output_shape(), body, sources)
        self.called[id(module)] = (body, len(body.steps) - 1, _where(node))
        return result

    def _call(self, node, args, kwargs, body: Body, sources: list):
        candidates = self.catalogue.call_kinds(node.op, node.target)
        if not candidates:
            what = "method" if node.op == "call_method" else "function"
            return self._fail(node, f"the {what} `{_callable_name(node)}` is not computed by any layer kind", PLUGIN_HELP)
        for kind, signature in candidates:
            try:
                tensors, values = bind_call(kind, signature, args, kwargs)
                checked = validate(kind, values)
                break
            except CannotImport as error:   # the last kind's reason: the most general kind's
                refusal = f"`{_callable_name(node)}` as `{kind.name}`: {_message(error)}"
        else:
            return self._fail(node, refusal)
        inputs = tuple(t.name for t in tensors)
        if kind.recognise.results is not None:
            return _Several(kind, values, inputs, None, False)
        return self._step(node, kind, checked, inputs, body, sources)

    def _pick(self, node, several: _Several, index, body: Body, sources: list):
        if type(index) is not int:
            return self._fail(node, f"indexes the result of `{several.kind.name}` with {index!r}")
        path = several.path + (index,)
        chosen = several.kind.recognise.results(path)
        if chosen is None:
            return replace(several, path=path)
        if path in several.picked:
            return several.picked[path]
        if several.picked and several.weighted:
            return self._fail(node, f"uses two results of `{several.origin}` ({several.kind.name}): the importer "
                                    "writes one result per layer", "a spec unpacks them as torch does, "
                                    f"`out, (h, c) = x -> {several.kind.name}(...)`: write that line by hand")
        try:
            values = validate(several.kind, {**several.args, **chosen})
        except CannotImport as error:
            return self._fail(node, _message(error))
        if several.shares is not None and values != body.steps[several.shares].args:
            return self._fail(node, f"uses another result of `{several.origin}` than its first call",
                              "a layer applied again by its label gives the result it gives first")
        result = self._step(node, several.kind, values, several.inputs, body, sources, several.origin, several.weighted,
                            several.shares)
        several.picked[path] = result
        if several.module is not None:   # its first call: applied again, it is this step
            self.called[several.module] = (body, len(body.steps) - 1, self.called[several.module][2])
        return result

    def _static(self, node, args, kwargs):
        """Arithmetic on sizes and other plain values (`b * c`, `shape[0]`)."""
        function = node.target if node.op == "call_function" else None
        if function is None or getattr(function, "__module__", None) not in ("_operator", "operator", "builtins", "math"):
            return self._fail(node, f"`{_callable_name(node)}` on plain values is not supported")
        try:
            return plain(function(*args, **kwargs))
        except (TypeError, ValueError, ArithmeticError, IndexError, SymbolicSizeError) as error:
            return self._fail(node, f"`{_callable_name(node)}` on sizes: {error}")

    # ------------------------------------------------------------------ steps

    def _step(self, node, kind: LayerKind, args, inputs, body: Body, sources: list, origin: str | None = None,
              weighted: bool = False, shares: int | None = None):
        shapes = tuple(body.shapes.get(name) for name in inputs)
        shape = None
        if all(s is not None for s in shapes):
            try:
                _, shape = infer(kind, args, shapes)
            except (ShapeError, SymbolicSizeError) as error:
                given = ", ".join(format_shape(s) for s in shapes)
                return self._fail(node, f"`{kind.name}` does not take {given} here: {_message(error)}")
        infinite = [name for name, value in args.public_items() if isinstance(value, float) and not math.isfinite(value)]
        if infinite:
            return self._fail(node, f"`{kind.name}`'s `{infinite[0]}` is {args.values[infinite[0]]}, which a spec "
                                    "cannot write (it has no infinity)", "use a large finite number, as -1e9")
        step = Step(kind.name, args, inputs, node.name, origin=origin, weighted=weighted, shares=shares)
        return self._add(node, step, shape, body, sources)

    def _add(self, node, step: Step, shape: Shape | None, body: Body, sources: list):
        body.steps.append(step)
        body.shapes[step.output] = shape
        sources.append((step, node))
        return TensorArg(step.output)

    def _fail(self, node, message: str, help: str = ""):
        self.problems.append(Problem(message, _where(node), help))
        raise _Skip


class _Skip(Exception):
    """Raised after a problem is recorded: the node's value is unknown."""


_NOT_A_QUERY = object()


def _size_query(node, args, body: Body):
    """x.shape, x.size(), x.size(i), x.dim(), x.ndim, x.numel(): read off the tensor's netdsl shape."""
    tensor = args[0]
    query = node.target if node.op == "call_method" else args[1] if node.target is getattr else None
    if not isinstance(tensor, TensorArg) or query not in ("shape", "size", "dim", "ndim", "numel"):
        return _NOT_A_QUERY
    shape = body.shapes.get(tensor.name)
    if shape is None:
        raise _Skip
    if query == "size" and len(args) > 1:
        return shape[args[1]]
    return {"shape": tuple(shape), "size": tuple(shape), "dim": len(shape), "ndim": len(shape),
            "numel": numel(shape)}[query]


def _live(graph) -> list:
    """The nodes the output depends on, in graph order (fx keeps asserts about concrete arguments)."""
    needed, output = set(), next(n for n in graph.nodes if n.op == "output")
    pending = [output]
    while pending:
        node = pending.pop()
        if node not in needed:
            needed.add(node)
            pending += node.all_input_nodes
    return [n for n in graph.nodes if n in needed]


def _values(value, env):
    """An fx argument with every node replaced by its value (a TensorArg for a tensor)."""
    from torch.fx import Node
    if isinstance(value, Node):
        return env[value]
    if isinstance(value, (list, tuple)):
        return tuple(_values(v, env) for v in value)
    if isinstance(value, dict):
        return {k: _values(v, env) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(_values(value.start, env), _values(value.stop, env), _values(value.step, env))
    return value


def _flat(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _flat(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flat(v)
    else:
        yield value


def _name_results(sources: list) -> None:
    """A step computing what a Python statement assigns (`y = self.body(x)`) takes that variable's name:
    the last step of a run of steps from one statement, or one read by another statement (the statement
    of a loop runs again)."""
    for index, (step, node) in enumerate(sources):
        source = source_of(node)
        if source is None or source.assigns is None:
            continue
        step.assigned = source.assigns
        following = source_of(sources[index + 1][1]) if index + 1 < len(sources) else None
        read_elsewhere = any((s := source_of(user)) is not None and s.statement != source.statement
                             for user in node.users)
        if following is None or following.statement != source.statement or read_elsewhere:
            step.variable = source.assigns


def _where(node) -> str:
    source = source_of(node)
    return source.where if source else ""


def _class_name(module) -> str:
    """`torch.nn.Mish`, or a user's class with the place it is defined: `Gate` (models.py:12)."""
    import torch
    cls = type(module)
    if getattr(torch.nn, cls.__name__, None) is cls:
        return f"`torch.nn.{cls.__name__}`"
    try:
        _, first = inspect.getsourcelines(cls)
        return f"`{cls.__qualname__}` ({place(inspect.getsourcefile(cls), first)})"
    except (OSError, TypeError):   # defined where its source cannot be read
        return f"`{cls.__module__}.{cls.__qualname__}`"


def _callable_name(node) -> str:
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    target = node.target
    module = getattr(target, "__module__", None) or "builtins"
    module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional",
              "torch._C._VariableFunctions": "torch"}.get(module, module)
    name = getattr(target, "__qualname__", getattr(target, "__name__", str(target)))
    return f"{module}.{name.removeprefix('_VariableFunctionsClass.')}"


def _message(error: Exception) -> str:
    return getattr(error, "message", None) or str(error)
