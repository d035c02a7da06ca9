"""CheckedGraph → Python source: one nn.Module class per network and per distinct block instantiation.

Everything layer-specific comes from the registry (`module` + `module_args`, `call`, `functional`); this
module only lays code out. The output is meant to pass `ruff check` and `ruff format --check` unchanged,
so the few layouts used here (one line, or a call split at its outer parentheses) follow ruff's rules.

Naming schemes (all deterministic, all through `Namespace`):
- classes: a network keeps its name; a block's first distinct instantiation is named after the block,
  later ones that differ (other parameters or input sizes give other code) `Block2`, `Block3`, ... in order
  of first use; identical instantiations share one class.
- attributes: the node names from lowering (`conv1`, or the user's label), which are the state_dict keys.
- variables: a tensor the user named keeps its name, and the chain computing it reuses that name
  (`y = self.conv1(x)`, `y = self.bn1(y)`); other values are `out` (`out_1`, ... when several are live),
  and an unnamed value whose input dies at it takes over the input's variable.
"""

from __future__ import annotations

import ast as python_ast
import keyword
import re
from collections import Counter
from dataclasses import dataclass

from . import registry
from .block_classes import BlockClass, plan_block_classes
from .checker import CheckedGraph, LayerResult
from .emit import comment, docstring
from .initializers import INITIALIZERS
from .kinds import nested
from .program import Program
from .pysource import (
    INDENT,
    KNOWN_GLOBALS,
    CodegenError,
    Namespace,
    checked_expression,
    legal_attribute,
    legal_class,
    literal,
    statement,
    wrap,
)
from .recipes import block_recipe
from .shapes import Shape, format_shape
from .sizes import Size, format_size, python_size, symbol_name

# ------------------------------------------------------------------ variables

def _variables(checked: CheckedGraph, live: list[LayerResult], namespace: Namespace) -> dict[str, str]:
    """value name → Python variable (see the module docstring for the scheme). A layer with several
    results has a variable for each one that is used."""
    nodes = [layer.node for layer in live]
    uses: dict[str, int] = {checked.graph.output: 1}
    last_use: dict[str, str] = {}
    for node in nodes:
        for name in node.inputs:
            uses[name] = uses.get(name, 0) + 1
            last_use[name] = node.name
    made = [(node, value) for node in nodes for value in node.values if value in uses or not node.results]
    group = {i.name: i.name for i in checked.graph.inputs}
    named = {value: node.variable_of(value) for node, value in made if node.variable_of(value)}
    user = {*group, *named.values()}
    group.update(named)
    producers = {value for _, value in made}
    for node, value in reversed(made):  # a chain computing a named tensor carries that name
        if value == node.name and value in group and node.inputs:
            first = node.inputs[0]
            if first in producers and first not in group and uses.get(first) == 1:
                group[first] = group[value]
    values_made = Counter(node.name for node, _ in made)
    fresh: dict[str, str] = {}
    for node, value in made:
        if value in group:
            continue
        first = node.inputs[0] if node.inputs else None
        inherited = group.get(first)
        if inherited is not None and inherited not in user and last_use.get(first) == node.name \
                and first != checked.graph.output and values_made[node.name] == 1:
            group[value] = inherited
        else:
            group[value] = fresh[value] = f"<out{len(fresh)}>"
    identifiers = {g: namespace.create(g) for g in dict.fromkeys(group[i.name] for i in checked.graph.inputs)}
    made_groups = dict.fromkeys(group[value] for _, value in made)
    for g in made_groups:   # the user's names before `out`s
        if g not in identifiers and not g.startswith("<out"):
            identifiers[g] = namespace.create(g)
    # An `out` variable is reused once its value is dead (read for the last time by the statement that
    # assigns the new one, at the latest), as a person writes `out = h + out`, not `out_2 = h + out_1`.
    position = {node.name: i for i, node in enumerate(nodes)}
    born: dict[str, int] = {}
    dies: dict[str, int] = {}
    for node, value in made:
        g = group[value]
        born.setdefault(g, position[node.name])
        end = len(nodes) if value == checked.graph.output else position[last_use.get(value, node.name)]
        dies[g] = max(dies.get(g, 0), end)
    outs: dict[str, int] = {}   # `out` identifier → when its current value dies
    for g in made_groups:
        if g.startswith("<out"):
            identifier = next((i for i, end in outs.items() if end <= born[g]), None) or namespace.create("out")
            identifiers[g], outs[identifier] = identifier, dies[g]
    return {value: identifiers[g] for value, g in group.items() if g in identifiers}


def _unpacked(kind, layer: LayerResult, expr: str, variables: dict[str, str]) -> tuple[str, str, list]:
    """(the assignment's targets, the expression, the shapes assigned) for a layer with several results:
    `out, (h, c) = self.lstm(x)`, `_` for a result not used, or one result taken by its index path,
    `h = self.lstm(x)[1][0]`."""
    node = layer.node
    used = {result.name: (variables[value], shape) for result, (value, shape) in zip(node.results, layer.values())
            if value in variables}
    if len(used) == 1 and not any(result.variable for result in node.results):   # a chain: `self.gru(x)[1]`
        (name, (variable, shape)), = used.items()
        return variable, expr + "".join(f"[{i}]" for i in kind.result_paths()[name]), [shape]

    def target(item) -> str:
        if not isinstance(item, tuple):
            return used[item.name][0] if item.name in used else "_"
        inner = [target(i) for i in item]
        return "_" if all(t == "_" for t in inner) else f"({', '.join(inner)})"
    return ", ".join(map(target, kind.results)), expr, [shape for _, shape in used.values()]


def _pieces(layers: list[LayerResult]) -> dict[int, tuple[LayerResult, ...]]:
    """id(layer) → the layers one unpacking made (`a, b = x -> chunk(2)`: one call, one node per
    name, consecutive, with the same kind and inputs)."""
    groups: list[list[LayerResult]] = []
    for layer in layers:
        node, last = layer.node, groups[-1][-1].node if groups else None
        if last is not None and node.is_layer and (node.kind, node.inputs, node.span) == (last.kind, last.inputs, last.span) \
                and registry.lookup(node.kind).unpack is not None:
            groups[-1].append(layer)
        else:
            groups.append([layer])
    return {id(layer): tuple(group) for group in groups if len(group) > 1 for layer in group}


# ------------------------------------------------------------------ classes

@dataclass(frozen=True)
class Generated:
    source: str
    classes: dict[str, str]   # network name → class name


class _Fill:
    """How a class writes its sizes: constructor arguments as parameters (`names[i]`, None: the literal)
    and precomputed shape comments, or, by default, every value written out."""

    def __init__(self, generator: _Generator, names=None, comments=None):
        self.generator = generator
        self.names = iter(names) if names is not None else None
        self.comments = iter(comments) if comments is not None else None

    def arg(self, value) -> str:
        name = next(self.names) if self.names is not None else None
        return literal(value) if name is None else name

    def shape(self, shape) -> str | None:
        return next(self.comments) if self.comments is not None else format_shape(shape)

    def block(self, layer: LayerResult) -> tuple[str, dict[str, object]]:
        instance = self.generator.instances[id(layer.inner)]
        return self.generator.class_name(instance.cls), instance.arguments


class _RecipeFill:
    """How a recipe class writes its sizes: as Python expressions over its constructor parameters."""

    def __init__(self, generator: _Generator, names: dict[str, str]):
        self.generator, self.names = generator, names

    def arg(self, value) -> str:
        if isinstance(value, tuple):
            items = [self.arg(v) for v in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(value, Size):
            text = python_size(value, self.names)
            if text is None:
                raise CodegenError(f"size {format_size(value)} uses a symbol the class does not take")
            return text
        return literal(value)

    def shape(self, shape) -> str | None:
        return format_shape(shape)

    def block(self, layer: LayerResult) -> tuple[str, dict[str, object]]:
        instance = self.generator.instances[id(layer.inner)]
        return self.generator.class_name(instance.cls), instance.arguments


class _Generator:
    def __init__(self, checked: list[CheckedGraph], program=None):
        self.imports: set[str] = {"import torch"}          # forward's annotations always use torch
        roots = {_module_import(kind.module)[0] for kind in _kinds(checked) if kind.module}
        self.reserved = {*KNOWN_GLOBALS, *roots}   # the module-level names forward bodies may use
        self.globals = Namespace(self.reserved, legal=legal_class)
        self.imports |= {line for _, line in map(_module_import, (k.module for k in _kinds(checked) if k.module))
                         if line}
        self.classes: list[str] = []
        self.names: dict[int, str] = {}   # id(BlockClass) → class name, once emitted
        # Constructor parameters must not hide a module-level name __init__ may use (a block's class), and
        # are passed as keywords from other classes' bodies, where `__name` would be mangled.
        blocks = {*self.reserved, *(g.graph.name for g in checked), *_block_names(checked)}
        self.instances = plan_block_classes(checked, lambda graph, fill: self.class_source("{}", graph, "", fill),
                                            lambda: Namespace(blocks, legal=legal_class), _doc,
                                            lambda use: block_recipe(program, use) if program else None)

    def network(self, checked: CheckedGraph) -> str:
        name = self.globals.create(checked.graph.name)
        self.classes.append(self.class_source(name, checked, _doc(checked), _Fill(self)))
        return name

    def class_name(self, cls: BlockClass) -> str:
        """The name of a block's class, emitting the class (after the classes it uses) the first time."""
        if id(cls) not in self.names:
            fill = _RecipeFill(self, cls.names) if cls.names is not None else _Fill(self, cls.args, cls.comments)
            body = self.class_source("{}", cls.representative, cls.doc, fill, cls.params)
            name = self.globals.create(cls.block + (str(cls.number) if cls.number > 1 else ""))
            self.names[id(cls)] = name
            self.classes.append(body.replace("{}", name, 1))
        return self.names[id(cls)]

    def class_source(self, name: str, checked: CheckedGraph, doc: str, fill, params=()) -> str:
        pad = INDENT * 2
        attributes = Namespace(legal=legal_attribute)
        init = [*wrap(INDENT, "def __init__(", ["self", *(f"{p}: {a}" for p, a in params)], ") -> None:"),
                f"{pad}super().__init__()"]
        modules: dict[str, str] = {}
        for layer in checked.layers:
            node = layer.node
            if node.shares is not None:   # the module of its first application, called again
                if node.shares in modules:
                    modules[node.name] = modules[node.shares]
                continue
            kind = registry.lookup(node.kind) if node.is_layer else None
            if kind is not None and kind.functional is not None:
                continue
            attribute = modules[node.name] = attributes.create(node.name)
            if node.learnable is not None:
                init += self.learnable(attribute, layer, fill, pad)
                continue
            if layer.inner is not None:
                cls, arguments = fill.block(layer)
                constructor = f"{cls}({', '.join(f'{k}={fill.arg(v)}' for k, v in arguments.items())})"
            else:
                constructor = self.constructor(kind, layer, fill)
            init += statement(pad, f"self.{attribute} = ", constructor)
            init += [f"{pad}self.{attribute}.{weight} = self.{modules[node.tie]}.{weight}" for weight in layer.tied]
        live = [layer for layer in checked.live() if layer.node.learnable is None]
        variables = _variables(checked, live, Namespace(self.reserved))
        variables.update({layer.node.name: f"self.{modules[layer.node.name]}" for layer in checked.layers
                          if layer.node.learnable is not None})
        signature = ["self", *(f"{variables[i.name]}: torch.Tensor" for i in checked.graph.inputs)]
        forward = wrap(INDENT, "def forward(", signature, ") -> torch.Tensor:")
        sources = tuple((variables[i.name], checked.input_shapes[i.name]) for i in checked.graph.inputs)
        sizes, named = self.input_sizes(checked, variables), set()
        body, written = [], set()
        pieces = _pieces(checked.layers)
        for layer in live:
            if id(layer) in written:
                continue
            expr = self.expression(layer, modules, variables, sources, sizes, named)
            group = pieces.get(id(layer), ())
            together = self.together(group, layer, expr, modules, variables, sources, sizes, named)
            if together is not None:
                target, expr, shapes = together
                written |= set(map(id, group))
            elif layer.node.results:
                target, expr, shapes = _unpacked(registry.lookup(layer.node.kind), layer, expr, variables)
            else:
                target, shapes = variables[layer.node.name], [layer.shape]
            shapes_text = "; ".join(c for c in map(fill.shape, shapes) if c)
            body += statement(pad, f"{target} = ", expr, comment(shapes_text) if shapes_text else "")
        computed = {id(layer) for layer in live} | written   # `_` in an unpacking is computed
        unused = [layer.node.name for layer in checked.layers if id(layer) not in computed and layer.node.learnable is None]
        if unused:
            forward.append(pad + comment(f"not computed: the output does not depend on {', '.join(unused)}"))
        forward += [f"{pad}{name} = {sizes[name]}" for name in sorted(named)] + body
        forward.append(f"{pad}return {variables[checked.graph.output]}")
        return "\n".join([f"class {name}(nn.Module):", INDENT + docstring(doc), "", *init, "", *forward])

    def together(self, group: tuple[LayerResult, ...], layer: LayerResult, expr: str, modules: dict[str, str],
                 variables: dict[str, str], sources: tuple, sizes: dict[str, str],
                 named: set[str]) -> tuple[str, str, list] | None:
        """The pieces of one unpacking (`a, b = x -> chunk(2)`; `layer`, whose expression is `expr`, is the
        first one used) as one statement, `a, b = torch.chunk(x, 2)`, when their expressions index one call
        in order, `call[0]`, `call[1]`, ... (`_` for a piece not used); else None."""
        if len(group) < 2 or registry.lookup(layer.node.kind).functional is None:
            return None
        imports, used = set(self.imports), set()
        calls = [expr if piece is layer else self.expression(piece, modules, variables, sources, sizes, used)
                 for piece in group]
        whole = calls[0].removesuffix("[0]")
        call = python_ast.dump(python_ast.parse(whole, mode="eval").body)
        for index, text in enumerate(calls):
            tree = python_ast.parse(text, mode="eval").body
            if not (isinstance(tree, python_ast.Subscript) and python_ast.dump(tree.value) == call
                    and isinstance(tree.slice, python_ast.Constant) and tree.slice.value == index):
                self.imports = imports
                return None
        named |= used
        targets = [variables.get(piece.node.name, "_") for piece in group]
        shapes = [piece.shape for piece in group if piece.node.name in variables]
        return ", ".join(targets), whole, shapes

    def learnable(self, attribute: str, layer: LayerResult, fill, pad: str) -> list[str]:
        """`self.W = nn.Parameter(torch.empty(64, 10))` and its `nn.init` call, or
        `self.register_buffer("mask", torch.tril(torch.ones(8, 8)))`."""
        node = layer.node
        initializer = INITIALIZERS[node.learnable.init]
        sizes = [fill.arg(size) for size in layer.shape]
        written = {name: fill.arg(value) for name, value in initializer.arguments(node.args).items()}
        expr = initializer.create(written, sizes, filled=layer.init is not None)
        if layer.init is not None:   # the stages after the initialiser, as one expression
            values = {"init": expr}
            for stage in layer.init.layers:
                names = tuple(f"({values[name]})" for name in stage.node.inputs)
                values[stage.node.name] = registry.lookup(stage.node.kind).functional(stage.args, names, stage.inputs)
            expr = values[layer.init.graph.output]
        # The sizes and arguments may be constructor parameters of a block's class (or placeholders).
        names = set(re.findall(r"[A-Za-z_]\w*", " ".join([*sizes, *written.values()])))
        expr, used = checked_expression(expr, names, node.name)
        self.imports |= {KNOWN_GLOBALS[n] for n in used}
        target = f"self.{attribute}"
        if node.learnable.buffer:
            lines = statement(pad, "", f"self.register_buffer({literal(attribute)}, {expr})")
        else:
            lines = statement(pad, f"{target} = ", f"nn.Parameter({expr})")
        filling = initializer.fill(written, target) if layer.init is None else None
        return lines + (statement(pad, "", filling) if filling else [])

    def constructor(self, kind: registry.LayerKind, layer: LayerResult, fill: _Fill) -> str:
        positional, keywords = kind.module_args(layer.args, layer.inputs)
        for key in keywords:
            if not key.isidentifier() or keyword.iskeyword(key):
                raise CodegenError(f"layer kind `{kind.name}` passes an invalid keyword {key!r}")
        items = [fill.arg(v) for v in positional] + [f"{k}={fill.arg(v)}" for k, v in keywords.items()]
        self.imports.add("from torch import nn")  # the class statement itself uses nn.Module
        return f"{kind.module}({', '.join(items)})"

    def input_sizes(self, checked: CheckedGraph, variables: dict[str, str]) -> dict[str, str]:
        """The symbols that are dims of forward's inputs, as it reads them ({"N": "x.size(0)"}): a layer may
        name one that is not a dim of its own inputs (`cls -> expand(N, -1, -1)`), then forward defines it."""
        taken = {*variables.values(), *self.reserved, "self"}
        sizes: dict[str, str] = {}
        for tensor in checked.graph.inputs:
            for d, size in enumerate(checked.input_shapes[tensor.name]):
                name = symbol_name(size)
                if name is not None and name.isidentifier() and not keyword.iskeyword(name) and name not in taken:
                    sizes.setdefault(name, f"{variables[tensor.name]}.size({d})")
        return sizes

    def expression(self, layer: LayerResult, modules: dict[str, str], variables: dict[str, str],
                   sources: tuple[tuple[str, Shape], ...], sizes: dict[str, str], named: set[str]) -> str:
        """sources: the class's input variables and shapes, from which a kind with no tensor input
        (`ones(L, L)`) reads its symbolic sizes; sizes: those symbols as variables forward defines when
        used (`N` in `cls -> expand(N, -1, -1)`), collected in named."""
        node = layer.node
        names = tuple(variables[i] for i in node.inputs)
        if layer.inner is not None:
            return f"self.{modules[node.name]}({', '.join(names)})"
        kind = registry.lookup(node.kind)
        if kind.functional is not None:
            shapes = layer.inputs
            if kind.inputs == 0:
                names, shapes = tuple(n for n, _ in sources), tuple(s or () for _, s in sources)
            expr = kind.functional(layer.args, names, shapes)
        elif kind.call is not None:
            expr = kind.call(f"self.{modules[node.name]}", names, layer.args)
        else:   # an LSTM's initial state is one argument: self.lstm(x, (h0, c0))
            return f"self.{modules[node.name]}({nested(kind.grouped(names), str)})"
        expr, used = checked_expression(expr, {*names, "self", *sizes}, kind.name)
        self.imports |= {KNOWN_GLOBALS[n] for n in used}
        named |= {n.id for n in python_ast.walk(python_ast.parse(expr)) if isinstance(n, python_ast.Name)} & set(sizes)
        return expr

    def source(self, header: list[str]) -> str:
        self.imports.add("from torch import nn")
        # isort's order, which ruff checks (I001): the standard library, then the rest; within each,
        # `import a` lines before `from a import b` lines, each sorted by module name.
        stdlib = sorted(line for line in self.imports if line == "import math")
        others = sorted(self.imports - set(stdlib), key=lambda line: (line.startswith("from"), line.lower()))
        imports = "\n\n".join("\n".join(section) for section in (stdlib, others) if section)
        return "\n\n\n".join(["\n".join(header) + "\n\n" + imports, *self.classes]) + "\n"


def _module_import(path: str) -> tuple[str, str | None]:
    """(the name the expression starts with, the import line it needs) for a `module` path."""
    parts = path.split(".")
    if len(parts) < 2 or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise CodegenError(f"module {path!r} is not a dotted Python name such as `nn.Conv2d`")
    if parts[0] in KNOWN_GLOBALS:
        return parts[0], KNOWN_GLOBALS[parts[0]]
    return parts[0], f"import {'.'.join(parts[:-1])}"


def _kinds(checked: list[CheckedGraph]):
    for graph in checked:
        for layer in graph.layers:
            if layer.inner is not None:
                yield from _kinds([layer.inner])
            elif (kind := registry.lookup(layer.node.kind)) is not None:
                yield kind


def _block_names(checked: list[CheckedGraph]):
    for graph in checked:
        for layer in graph.layers:
            if layer.inner is not None:
                yield layer.inner.graph.name
                yield from _block_names([layer.inner])


def _doc(checked: CheckedGraph) -> str:
    graph = checked.graph
    params = ", ".join(f"{k}={literal(v)}" for k, v in checked.parameters.items())
    inputs = ", ".join(f"{name} {format_shape(shape)}" for name, shape in checked.input_shapes.items())
    total = checked.params + checked.frozen
    return (f"{graph.kind.title()} {graph.name}({params}): {inputs} -> {format_shape(checked.output_shape)}, "
            f"{total:,} parameters.")


def generate(networks: list[CheckedGraph], source_path: str, program: Program | None = None) -> Generated:
    """Python source defining one class per network and per block (parametric where the block's recipe,
    lowered again from `program`, fits every use). The networks must have checked without errors."""
    generator = _Generator(networks, program)
    classes = {checked.graph.name: generator.network(checked) for checked in networks}
    header = [comment(f"Generated by netdsl from {source_path}."),
              comment("Edit the spec and run `netdsl build` again rather than editing this file.")]
    return Generated(generator.source(header), classes)
