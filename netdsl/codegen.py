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

import ast
import builtins
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

from . import registry
from .block_classes import BlockClass, plan_block_classes
from .checker import CheckedGraph, LayerResult
from .emit import CodegenError, comment, docstring, literal
from .names import check_python_name
from .shapes import format_shape

LINE_WIDTH = 88  # ruff's default line length
_INDENT = "    "
# Module-level names an emitted expression may use, and the import that provides each.
_KNOWN_GLOBALS = {"torch": "import torch", "F": "import torch.nn.functional as F", "nn": "from torch import nn",
                  "math": "import math"}
# Names ruff rejects as variables (E741), besides keywords and builtins.
_AMBIGUOUS = frozenset({"l", "O", "I"})


class Namespace:
    """Hands out unique identifiers: an illegal or taken candidate gets `_1`, `_2`, ... (torch.fx style)."""

    def __init__(self, reserved=(), legal=None):
        self._used = set(reserved)
        self._legal = legal or _legal_variable

    def create(self, candidate: str) -> str:
        base = re.sub(r"\W", "_", candidate) or "_"
        if base[0].isdigit():
            base = "_" + base
        if not self._legal(f"{base}_1"):  # no suffix helps: an attribute or class may not start with `_`
            base = base.lstrip("_") or "value"
            if not self._legal(f"{base}_1"):
                raise CodegenError(f"no legal Python name can be made from {candidate!r}")
        name, number = base, 0
        while name in self._used or not self._legal(name):
            number += 1
            name = f"{base}_{number}"
        self._used.add(name)
        return name


def _legal_variable(name: str) -> bool:
    return (name.isidentifier() and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
            and not hasattr(builtins, name) and name not in _AMBIGUOUS and name != "self")


def _legal_class(name: str) -> bool:
    # `__Name` inside another class's body is mangled to `_Other__Name`: the class would not be found,
    # and a constructor keyword `__name=` would not reach its parameter.
    return _legal_variable(name) and not name.startswith("__")


def _legal_attribute(name: str) -> bool:
    return name.isidentifier() and check_python_name(name) is None


# ------------------------------------------------------------------ literals and layout

def _wrap(pad: str, opening: str, items: list[str], closing: str, explode: bool = True, reserve: int = 0) -> list[str]:
    """`opening item, item closing` on one line, else items on one indented line, else one per line."""
    joined = ", ".join(items)
    if len(pad + opening + joined + closing) + reserve <= LINE_WIDTH or not items:
        return [pad + opening + joined + closing]
    inner = pad + _INDENT
    if len(inner + joined) <= LINE_WIDTH or not explode:
        return [pad + opening, inner + joined, pad + closing]
    lines = [pad + opening]
    for item in items:  # an item too long for its own line is split in turn, as ruff does
        split = _statement(inner, "", item, reserve=1)
        lines += [*split[:-1], split[-1] + ","]
    return lines + [pad + closing]


def _statement(pad: str, head: str, expr: str, note: str = "", reserve: int = 0) -> list[str]:
    """`head + expr` (head: "out = ", "return ") laid out as ruff format would, with a trailing comment
    (`note`, a line from `emit.comment`) that moves above the statement when it does not fit beside it."""
    line = pad + head + expr
    if note and len(line) + 2 + len(note) <= LINE_WIDTH:
        return [f"{line}  {note}"]
    above = [pad + note] if note else []
    if len(line) + reserve <= LINE_WIDTH:  # reserve: room for a trailing comma
        return above + [line]
    tree = ast.parse(expr, mode="eval").body
    opening = pad + head + (ast.get_source_segment(expr, tree.func) + "(" if isinstance(tree, ast.Call) else "")
    # ruff's preference: split the call's own parentheses if its opening fits, else parenthesize the
    # whole right-hand side if that fits on one line, else split the call anyway.
    fits_parenthesized = len(pad + _INDENT + expr) <= LINE_WIDTH and head
    nested = isinstance(tree, ast.Call) and head and len(pad + _INDENT + opening.lstrip()[len(head):]) <= LINE_WIDTH
    if isinstance(tree, ast.Call) and (len(opening) <= LINE_WIDTH or not (fits_parenthesized or nested)):
        parts = sorted([*tree.args, *tree.keywords], key=lambda n: (n.lineno, n.col_offset))
        callee = ast.get_source_segment(expr, tree.func)
        return above + _wrap(pad, f"{head}{callee}(", [ast.get_source_segment(expr, p) for p in parts], ")",
                             reserve=reserve)
    if fits_parenthesized or not head:
        return above + _wrap(pad, f"{head}(", [expr], ")", explode=False)
    return above + [f"{pad}{head}(", *_statement(pad + _INDENT, "", expr), f"{pad})"]


def _checked_expression(expr: str, allowed: set[str], who: str) -> tuple[str, set[str]]:
    """Parse an expression a layer kind produced; return it in canonical spelling (ast.unparse, with
    strings quoted as ruff quotes them: a kind's `(a, b,)` would otherwise be exploded by ruff format)
    and the module-level names it uses."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as error:
        raise CodegenError(f"layer kind `{who}` produced invalid Python {expr!r}: {error.msg}") from None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    unknown = names - allowed - set(_KNOWN_GLOBALS) - {"float"}  # float("inf"): see emit.literal
    if unknown:
        raise CodegenError(f"layer kind `{who}` uses undefined names {sorted(unknown)} in {expr!r}")
    text, parts, last = ast.unparse(tree), [], 0
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING and token.string[0] in "'\"":
            parts += [text[last:token.start[1]], literal(ast.literal_eval(token.string))]
            last = token.end[1]
    return "".join(parts) + text[last:], names & set(_KNOWN_GLOBALS)


# ------------------------------------------------------------------ variables

def _live(checked: CheckedGraph) -> list[LayerResult]:
    """The layers the output depends on, in order. Unused layers keep their module (and parameters)."""
    needed = {checked.graph.output}
    for layer in reversed(checked.layers):
        if layer.node.name in needed:
            needed.update(layer.node.inputs)
    return [layer for layer in checked.layers if layer.node.name in needed]


def _variables(checked: CheckedGraph, live: list[LayerResult], namespace: Namespace) -> dict[str, str]:
    """value name → Python variable (see the module docstring for the scheme)."""
    nodes = [layer.node for layer in live]
    uses: dict[str, int] = {checked.graph.output: 1}
    last_use: dict[str, str] = {}
    for node in nodes:
        for name in node.inputs:
            uses[name] = uses.get(name, 0) + 1
            last_use[name] = node.name
    group = {i.name: i.name for i in checked.graph.inputs}
    user = {*group, *(n.variable for n in nodes if n.variable)}
    group.update({n.name: n.variable for n in nodes if n.variable})
    producers = {n.name for n in nodes}
    for node in reversed(nodes):  # a chain computing a named tensor carries that name
        if node.name in group and node.inputs:
            first = node.inputs[0]
            if first in producers and first not in group and uses.get(first) == 1:
                group[first] = group[node.name]
    fresh: dict[str, str] = {}
    for node in nodes:
        if node.name in group:
            continue
        first = node.inputs[0] if node.inputs else None
        inherited = group.get(first)
        if inherited is not None and inherited not in user and last_use.get(first) == node.name \
                and first != checked.graph.output:
            group[node.name] = inherited
        else:
            group[node.name] = fresh[node.name] = f"<out{len(fresh)}>"
    identifiers = {g: namespace.create(g) for g in dict.fromkeys(group[i.name] for i in checked.graph.inputs)}
    for g in dict.fromkeys(group[n.name] for n in nodes):
        if g not in identifiers:
            identifiers[g] = namespace.create("out" if g.startswith("<out") else g)
    return {value: identifiers[g] for value, g in group.items() if g in identifiers}


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


class _Generator:
    def __init__(self, checked: list[CheckedGraph]):
        self.imports: set[str] = {"import torch"}          # forward's annotations always use torch
        roots = {_module_import(kind.module)[0] for kind in _kinds(checked) if kind.module}
        self.reserved = {*_KNOWN_GLOBALS, *roots}   # the module-level names forward bodies may use
        self.globals = Namespace(self.reserved, legal=_legal_class)
        self.imports |= {line for _, line in map(_module_import, (k.module for k in _kinds(checked) if k.module))
                         if line}
        self.classes: list[str] = []
        self.names: dict[int, str] = {}   # id(BlockClass) → class name, once emitted
        # Constructor parameters must not hide a module-level name __init__ may use (a block's class), and
        # are passed as keywords from other classes' bodies, where `__name` would be mangled.
        blocks = {*self.reserved, *(g.graph.name for g in checked), *_block_names(checked)}
        self.instances = plan_block_classes(checked, lambda graph, fill: self.class_source("{}", graph, "", fill),
                                            lambda: Namespace(blocks, legal=_legal_class), _doc)

    def network(self, checked: CheckedGraph) -> str:
        name = self.globals.create(checked.graph.name)
        self.classes.append(self.class_source(name, checked, _doc(checked), _Fill(self)))
        return name

    def class_name(self, cls: BlockClass) -> str:
        """The name of a block's class, emitting the class (after the classes it uses) the first time."""
        if id(cls) not in self.names:
            body = self.class_source("{}", cls.representative, cls.doc, _Fill(self, cls.args, cls.comments),
                                     cls.params)
            name = self.globals.create(cls.block + (str(cls.number) if cls.number > 1 else ""))
            self.names[id(cls)] = name
            self.classes.append(body.replace("{}", name, 1))
        return self.names[id(cls)]

    def class_source(self, name: str, checked: CheckedGraph, doc: str, fill, params=()) -> str:
        pad = _INDENT * 2
        attributes = Namespace(legal=_legal_attribute)
        init = [*_wrap(_INDENT, "def __init__(", ["self", *(f"{p}: {a}" for p, a in params)], ") -> None:"),
                f"{pad}super().__init__()"]
        modules: dict[str, str] = {}
        for layer in checked.layers:
            kind = registry.lookup(layer.node.kind) if layer.inner is None else None
            if kind is not None and kind.functional is not None:
                continue
            attribute = modules[layer.node.name] = attributes.create(layer.node.name)
            if layer.inner is not None:
                cls, arguments = fill.block(layer)
                constructor = f"{cls}({', '.join(f'{k}={fill.arg(v)}' for k, v in arguments.items())})"
            else:
                constructor = self.constructor(kind, layer, fill)
            init += _statement(pad, f"self.{attribute} = ", constructor)
        live = _live(checked)
        variables = _variables(checked, live, Namespace(self.reserved))
        signature = ["self", *(f"{variables[i.name]}: torch.Tensor" for i in checked.graph.inputs)]
        forward = _wrap(_INDENT, "def forward(", signature, ") -> torch.Tensor:")
        computed = {id(layer) for layer in live}
        unused = [layer.node.name for layer in checked.layers if id(layer) not in computed]
        if unused:
            forward.append(pad + comment(f"not computed: the output does not depend on {', '.join(unused)}"))
        for layer in live:
            expr = self.expression(layer, modules, variables)
            shape = fill.shape(layer.shape)
            forward += _statement(pad, f"{variables[layer.node.name]} = ", expr, comment(shape) if shape else "")
        forward.append(f"{pad}return {variables[checked.graph.output]}")
        return "\n".join([f"class {name}(nn.Module):", _INDENT + docstring(doc), "", *init, "", *forward])

    def constructor(self, kind: registry.LayerKind, layer: LayerResult, fill: _Fill) -> str:
        positional, keywords = kind.module_args(layer.args, layer.inputs)
        for key in keywords:
            if not key.isidentifier() or keyword.iskeyword(key):
                raise CodegenError(f"layer kind `{kind.name}` passes an invalid keyword {key!r}")
        items = [fill.arg(v) for v in positional] + [f"{k}={fill.arg(v)}" for k, v in keywords.items()]
        self.imports.add("from torch import nn")  # the class statement itself uses nn.Module
        return f"{kind.module}({', '.join(items)})"

    def expression(self, layer: LayerResult, modules: dict[str, str], variables: dict[str, str]) -> str:
        node = layer.node
        names = tuple(variables[i] for i in node.inputs)
        if layer.inner is not None:
            return f"self.{modules[node.name]}({', '.join(names)})"
        kind = registry.lookup(node.kind)
        if kind.functional is not None:
            expr = kind.functional(layer.args, names, layer.inputs)
        elif kind.call is not None:
            expr = kind.call(f"self.{modules[node.name]}", names, layer.args)
        else:
            return f"self.{modules[node.name]}({', '.join(names)})"
        expr, used = _checked_expression(expr, {*names, "self"}, kind.name)
        self.imports |= {_KNOWN_GLOBALS[n] for n in used}
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
    if parts[0] in _KNOWN_GLOBALS:
        return parts[0], _KNOWN_GLOBALS[parts[0]]
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
    params = ", ".join(f"{k}={literal(v)}" for k, v in graph.params.items())
    inputs = ", ".join(f"{name} {format_shape(shape)}" for name, shape in checked.input_shapes.items())
    total = checked.params + checked.frozen
    return (f"{graph.kind.title()} {graph.name}({params}): {inputs} -> {format_shape(checked.output_shape)}, "
            f"{total:,} parameters.")


def generate(networks: list[CheckedGraph], source_path: str) -> Generated:
    """Python source defining one class per network (and per distinct block instantiation it uses).
    The networks must have checked without errors."""
    generator = _Generator(networks)
    classes = {checked.graph.name: generator.network(checked) for checked in networks}
    header = [comment(f"Generated by netdsl from {source_path}."),
              comment("Edit the spec and run `netdsl build` again rather than editing this file.")]
    return Generated(generator.source(header), classes)
