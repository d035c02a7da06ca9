"""Random specs for the build-and-run property test (test_build_run.py): every construct of the grammar
(parameters with defaults, inputs with symbolic and integer sizes and `where` clauses, chains, named
layers, repeats, named tensors, unpacking, tensor arithmetic and comparisons, selection by masks, `param`
and `buffer` declarations with initialisers and stages, `if`/`else` and `for` in chains, conditional
values, blocks with parameters and input patterns, `-p` overrides) and every kind of the registry, with
arguments drawn from each kind's argument schema.

The generator steers towards specs that check — it asks the kind's own shape rule and dtype declaration
whether a candidate layer fits the tensor it is applied to, and keeps a misfit now and then — so that most
specs get as far as PyTorch, the oracle. It never decides what is correct: torch does, in the runner. It
tracks each tensor's dtype class as the runner's inputs make it (float32, int64 ids): netdsl itself takes
a network input's class as unknown, so a kind that needs integers or booleans is applied to a tensor
the spec made so (an embedding after argmax, `where` on a comparison), never to an input directly.

Sizes are mostly small, with the edges that broke things before mixed in: 0, -1, 2**31 ± 1, 2**62,
2**63 - 1; floats 1e300, 1e-300, 1e999 (infinity) and -0.0.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

from netdsl import registry
from netdsl.checker import infer_layer
from netdsl.dtypes import BOOL, FLOATING, INTEGER, UNKNOWN, DType
from netdsl.schema import (
    Bool,
    Choice,
    Either,
    Float,
    Int,
    Nothing,
    SchemaError,
    Text,
    Tuple,
)
from netdsl.shapes import ShapeError, check_tensor_size
from netdsl.sizes import Size, SymbolicSizeError, format_size, symbol, symbol_name

HUGE_INTS = [2**31 - 1, 2**31, 2**40, 2**62, 2**63 - 1]
EDGE_FLOATS = [0.0, -0.0, 1e-300, 1e300, math.inf, -1.0, 1e-5]
SYMBOLS = {"N": 2, "L": 5, "S": 3}   # symbolic sizes and the values the runner gives them
# Arguments that restate an inferred size: given now and then (right or wrong), not drawn blindly.
INFERRED = {"in_channels": 1, "in_features": -1, "num_features": 1, "num_channels": 1, "input_size": -1,
            "embed_dim": -1}
KINDS = sorted(registry.all_kinds())


@dataclass
class GeneratedSpec:
    text: str                         # the spec, with symbolic sizes
    concrete: str                     # the same spec with each network symbol a parameter of its runtime value
    overrides: dict = field(default_factory=dict)   # -p values
    index_inputs: tuple[str, ...] = ()               # inputs holding integer ids (for embedding)


# ---------------------------------------------------------------- values

def _bounds(number: Int | Float) -> tuple[float, float]:
    low = number.gt + (1 if isinstance(number, Int) else 0) if number.gt is not None else \
        number.ge if number.ge is not None else -math.inf
    return low, number.le if number.le is not None else math.inf


def spec_literal(value) -> str:
    """A Python value as spec source."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return repr(value)
    if isinstance(value, Size):
        return format_size(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(spec_literal, value)) + ("," if len(value) == 1 else "") + ")"
    raise TypeError(value)


class _Draw:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def integer(self, low: float = -math.inf, high: float = math.inf, small: int = 8) -> int:
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            value = rng.choice(HUGE_INTS)
        elif roll < 0.06:
            value = rng.choice([0, -1, 1, 2])
        else:
            value = rng.randint(1, small)
        if rng.random() < 0.95:  # usually within the schema's bounds
            value = int(min(max(value, low), high))
        return value

    def real(self, low: float = -math.inf, high: float = math.inf) -> float:
        rng = self.rng
        value = rng.choice(EDGE_FLOATS) if rng.random() < 0.1 else round(rng.uniform(0, 2), 3)
        if rng.random() < 0.95:
            value = min(max(value, low), high)
        return value

    def value(self, kind, rank: int = 4):
        """A value of a schema type (netdsl.schema): ints and floats mostly small, sometimes at the edges."""
        if isinstance(kind, Either):
            options = [o for o in kind.options if not isinstance(o, Nothing)]
            if len(options) < len(kind.options) and self.rng.random() < 0.3:
                return None
            return self.value(self.rng.choice(options), rank)
        if isinstance(kind, Choice):
            return self.rng.choice(kind.options)
        if isinstance(kind, Tuple):
            length = kind.length if kind.length is not None else self.rng.randint(1, 3)
            return tuple(self.value(kind.element, rank) for _ in range(length))
        if isinstance(kind, Bool):
            return self.rng.random() < 0.5
        if isinstance(kind, Int):
            low, high = _bounds(kind)
            if math.isinf(low) and math.isinf(high):  # a dim index, usually
                return self.rng.randint(-rank, rank - 1) if rank and self.rng.random() < 0.9 else self.integer()
            return self.integer(low, high)
        if isinstance(kind, Float):
            return self.real(*_bounds(kind))
        if isinstance(kind, Nothing):
            return None
        if isinstance(kind, Text):
            return self.rng.choice(["a", ""])
        return self.integer()   # Anything, or a kind's own type (getitem's index): its rule decides


# ---------------------------------------------------------------- layers

@dataclass
class _Layer:
    kind: str
    args: dict                 # as written in the spec
    shape: tuple | None        # what netdsl's rule predicts (None: the layer does not fit)
    dtype: DType = UNKNOWN     # the class of its output (netdsl.dtypes), as its kind declares


def _predict(kind: registry.LayerKind, args: dict, shapes: tuple, classes: tuple | None = None) -> tuple | None:
    """The output shape netdsl's rule gives, or None when it rejects the layer (its shape rule, or its dtype
    declaration for inputs of `classes`). Anything else it raises is a netdsl bug, and propagates: the
    runner reports it as an internal error."""
    return _verdict(kind, args, shapes, classes)[0]


def _verdict(kind: registry.LayerKind, args: dict, shapes: tuple, classes: tuple | None = None):
    """(output shape or None, output class)."""
    if any(shape is None for shape in shapes):
        return None, UNKNOWN
    try:
        validated, shape = infer_layer(kind, kind.schema.validate(args), shapes)
        check_tensor_size("output", shape)  # as the checker does after every layer
    except (SchemaError, ShapeError, SymbolicSizeError):
        return None, UNKNOWN
    classes = classes if classes is not None else (UNKNOWN,) * len(shapes)
    if kind.dtypes.refused(validated, classes) is not None:
        return None, UNKNOWN
    return tuple(shape), kind.dtypes.result(validated, classes)


def _special_args(draw: _Draw, name: str, shape: tuple) -> dict | None:
    """Arguments whose schema says little: reshape's sizes, permute's dims, unpacked pieces."""
    rng = draw.rng
    if name in ("reshape", "view"):
        known = math.prod(d for d in shape if isinstance(d, int))
        symbols = [d for d in shape if symbol_name(d)]  # a spec writes names
        sizes = [*symbols]
        rest = known
        for factor in (2, 3, 4):
            if rest % factor == 0 and rng.random() < 0.4:
                sizes.append(factor)
                rest //= factor
        sizes.append(-1 if rng.random() < 0.5 else rest)
        rng.shuffle(sizes)
        return {"shape": tuple(sizes)}
    if name == "permute":
        dims = list(range(len(shape)))
        rng.shuffle(dims)
        return {"dims": tuple(d - len(shape) if rng.random() < 0.3 else d for d in dims)}
    return None


def draw_layer(draw: _Draw, name: str, shapes: tuple, fits: bool = True, classes: tuple | None = None) -> _Layer:
    """A layer of kind `name` applied to tensors of `shapes` holding `classes`, with arguments from its schema."""
    kind = registry.lookup(name)
    shape = shapes[0]
    inferred = {i.field for i in kind.inferred}
    pieces = kind.unpack is not None and "index" in kind.schema.fields   # chunk, split, unbind: index drawn below
    for _ in range(12 if fits else 1):
        args = _special_args(draw, name, shape)
        if args is None:
            args = {}
            for field_name, info in kind.schema.fields.items():
                if info.internal or pieces and field_name == "index":
                    continue
                if field_name in inferred:
                    if draw.rng.random() < 0.05 and len(shape) > 1:
                        args[field_name] = shape[INFERRED[field_name]]
                    continue
                if info.required or draw.rng.random() < 0.35:
                    args[field_name] = draw.value(info.type, len(shape))
        if pieces:
            args["index"] = draw.rng.randint(-1, 1)
        predicted, dtype = _verdict(kind, args, shapes, classes)
        if predicted is not None:
            return _Layer(name, args, predicted, dtype)
    return _Layer(name, args, None)


def pieces(name: str, args: dict, shape: tuple) -> int | None:
    """How many tensors a chunk/split/unbind gives (for unpacking), by asking its rule."""
    kind = registry.lookup(name)
    for count in range(1, 9):
        if _predict(kind, {**args, "index": 0, "outputs": count}, (shape,)) is not None:
            return count
    return None


# ---------------------------------------------------------------- specs

class _Network:
    """Builds one network's body statement by statement, tracking each tensor's predicted shape and dtype class."""

    def __init__(self, draw: _Draw, blocks: dict):
        self.draw, self.rng, self.blocks = draw, draw.rng, blocks
        self.lines: list[str] = []
        self.tensors: dict[str, tuple] = {}    # name → predicted shape
        self.classes: dict[str, DType] = {}    # name → what it holds, as the runner's inputs make it
        self.params: dict[str, tuple[str, object]] = {}  # name → (type, default)
        self.overrides: dict = {}
        self.index_inputs: list[str] = []
        self.counter = 0

    def fresh(self, prefix: str = "t") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def add(self, name: str, shape: tuple | None, dtype: DType) -> None:
        self.tensors[name], self.classes[name] = shape, dtype

    def argument_text(self, value, use_params: bool = True) -> str:
        """A value as written: a literal, now and then a parameter, integer arithmetic or a conditional."""
        rng = self.rng
        if type(value) is int and use_params and rng.random() < 0.12 and value >= 2:
            name = f"p{len(self.params) + 1}"
            self.params[name] = ("int", value)
            return name
        if type(value) is int and rng.random() < 0.08 and 2 <= value < 2**62:
            left = rng.randint(1, value - 1)
            return f"({left} + {value - left})" if rng.random() < 0.5 else f"{value} * 1"
        if type(value) is int and use_params and rng.random() < 0.05:
            test, holds = self.test()   # `a if test else b`: only the branch the test picks is the value
            other = spec_literal(rng.choice([value + 1, 2**62, -1]))
            return f"({spec_literal(value)} if {test} else {other})" if holds else \
                f"({other} if {test} else {spec_literal(value)})"
        if type(value) is float and use_params and rng.random() < 0.1:
            name = f"f{len(self.params) + 1}"
            self.params[name] = ("float", value)
            if rng.random() < 0.5:  # through -p: the same value, or one a spec cannot write
                self.overrides[name] = rng.choice([value, value, math.nan, math.inf])
            return name
        return spec_literal(value)

    def int_params(self) -> list[str]:
        return [n for n, (t, _) in self.params.items() if t == "int"]

    def test(self) -> tuple[str, bool]:
        """A test over an int parameter (`p2 >= 3`, `not p1 == 4 or true`) and whether it holds."""
        rng = self.rng
        if not self.int_params() or rng.random() < 0.3:
            self.params[f"p{len(self.params) + 1}"] = ("int", rng.randint(1, 4))
        name = rng.choice(self.int_params())
        value = self.params[name][1]
        op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        other = rng.choice([value, value + 1, value - 1, 2])
        holds = {"==": value == other, "!=": value != other, "<": value < other, "<=": value <= other,
                 ">": value > other, ">=": value >= other}[op]
        text = f"{name} {op} {other}"
        if rng.random() < 0.2:
            text, holds = f"not {text}", not holds
        if rng.random() < 0.2:
            extra = rng.choice([True, False])
            joined = rng.choice(["and", "or"])
            text = f"{text} {joined} {'true' if extra else 'false'}"
            holds = holds and extra if joined == "and" else holds or extra
        return text, holds

    def call_text(self, layer: _Layer) -> str:
        kind = registry.lookup(layer.kind)
        args = dict(layer.args)
        parts = []
        order = kind.positional
        if order and order[0].startswith("*"):
            values = args.pop(order[0][1:])
            parts = [self.argument_text(v, use_params=False) if not isinstance(v, Size) else format_size(v)
                     for v in values]
        else:
            for name in order:  # a prefix of the positional order, written positionally
                if name not in args or self.rng.random() < 0.4:
                    break
                parts.append(self.argument_text(args.pop(name)))
        for name, value in args.items():
            written = next((alias for alias, target in kind.aliases.items() if target == name), name) \
                if self.rng.random() < 0.3 else name
            parts.append(f"{written}={self.argument_text(value)}")
        required = any(info.required for info in kind.schema.fields.values())
        if not parts and not required and self.rng.random() < 0.5:
            return layer.kind
        return f"{layer.kind}({', '.join(parts)})"

    def fitting_layer(self, shape: tuple, dtype: DType) -> _Layer:
        """A layer of some one-input kind that fits shape and dtype; now and then (3 %) one that does not.
        No embedding: its ids must be below num_embeddings, and netdsl checks dtypes, not values (argmax's
        indices into a smaller embedding fail in torch, found by the long run); the ids inputs have one."""
        single = [k for k in KINDS if registry.lookup(k).inputs == 1 and k != "embedding"]
        fits = self.rng.random() < 0.97
        for _ in range(10 if fits else 1):
            layer = draw_layer(self.draw, self.rng.choice(single), (shape,), fits=fits, classes=(dtype,))
            if layer.shape is not None:
                break
        return layer

    def stages(self, shape: tuple, dtype: DType, count: int) -> tuple[list[str], tuple | None, DType]:
        """Layers in a chain, as text, and the shape and class they lead to."""
        text = []
        for _ in range(count):
            if shape is None:
                break
            layer = self.fitting_layer(shape, dtype)
            text.append(self.call_text(layer))
            shape, dtype = layer.shape, layer.dtype
        return text, shape, dtype

    def structure(self, shape: tuple, dtype: DType) -> tuple[str, tuple | None, DType]:
        """`-> if test { stages } else { stages }` (only the chosen branch counts) or `-> for ... { stages }`."""
        rng = self.rng
        if rng.random() < 0.5:
            test, holds = self.test()
            chosen, out, out_dtype = self.stages(shape, dtype, rng.randint(1, 2))
            if rng.random() < 0.4:   # no else: the tensor passes through when the test fails
                return (f"if {test} {{ {' -> '.join(chosen)} }}", *((out, out_dtype) if holds else (shape, dtype)))
            other, other_out, other_dtype = self.stages(shape, dtype, rng.randint(1, 2))
            first, second = (chosen, other) if holds else (other, chosen)
            text = f"if {test} {{ {' -> '.join(first)} }} else {{ {' -> '.join(second)} }}"
            return (text, out, out_dtype) if holds else (text, other_out, other_dtype)
        if rng.random() < 0.5 and shape and isinstance(shape[-1], int) and dtype in (FLOATING, UNKNOWN):
            widths = tuple(rng.randint(1, 8) for _ in range(rng.randint(0, 3)))
            items = spec_literal(widths) if widths else "range(0)"   # `()` is no tuple literal in a spec
            layers = "linear(w)" if rng.random() < 0.5 else "linear(w) -> relu"
            final = shape[:-1] + (widths[-1],) if widths else shape
            return f"for w in {items} {{ {layers} }}", final, FLOATING if widths else dtype
        layer = self.fitting_layer(shape, dtype)   # once per item of range(n): it must keep the shape
        times = rng.randint(0, 3)
        if layer.shape == shape and layer.dtype in (dtype, UNKNOWN):
            return f"for i in range({times}) {{ {self.call_text(layer)} }}", shape, dtype if times == 0 else layer.dtype
        return f"for i in range(1) {{ {self.call_text(layer)} }}", layer.shape, layer.dtype

    def chain(self, head: str, stages: int) -> tuple[str, tuple | None, DType]:
        """`head -> stage -> ...`: layers, named layers, repeats, block calls, `if` and `for`."""
        shape, dtype = self.tensors[head], self.classes[head]
        text = [head]
        for _ in range(stages):
            if shape is None:
                break
            roll = self.rng.random()
            if roll < 0.1 and self.blocks:
                name, block = self.rng.choice(list(self.blocks.items()))
                out = block.predict(shape)
                args = ", ".join(self.argument_text(v) for v in block.arguments(self.rng))
                text.append(f"{name}({args})" if args or self.rng.random() < 0.5 else name)
                shape, dtype = out, (dtype if out is not None else UNKNOWN)
                continue
            if roll < 0.17:
                written, shape, dtype = self.structure(shape, dtype)
                text.append(written)
                continue
            layer = self.fitting_layer(shape, dtype)
            call = self.call_text(layer)
            if roll < 0.25 and layer.shape == shape and layer.shape is not None and layer.dtype is dtype:
                count = self.rng.choice([2, 3, 10])
                call = call if "(" in call else f"{call}()"
                text.append(f"({call}) * {count}" if self.rng.random() < 0.5 else f"{call} * {count}")
            elif roll < 0.33:
                text.append(f"{self.fresh('layer')}: {call}")
            else:
                text.append(call)
            shape, dtype = layer.shape, layer.dtype
        return " -> ".join(text), shape, dtype

    def learnable(self) -> str | None:
        """`param W: [d, m] = init` or a buffer, declared before a line that uses it (`t @ W`, `t + b`)."""
        rng = self.rng
        names = [n for n in self.known() if self.tensors[n] and isinstance(self.tensors[n][-1], int)]
        if not names:
            return None
        head = rng.choice(names)
        d = self.tensors[head][-1]
        noun = "buffer" if rng.random() < 0.3 else "param"
        name = self.fresh("w")
        matrix = rng.random() < 0.5
        sizes = (d, rng.randint(1, 6)) if matrix else rng.choice([(d,), (1, d)])
        inits = ["zeros", "ones", "normal", "normal(std=0.02)", "uniform(-0.1, 0.1)", "constant(0.5)",
                 "trunc_normal(std=0.02)", *(["xavier_uniform", "kaiming_normal(mode='fan_out')"] * (len(sizes) > 1))]
        init = "" if rng.random() < 0.3 else f" = {rng.choice(inits)}"
        if rng.random() < 0.15:
            init = f" = {rng.choice(inits[:3])} -> {rng.choice(['abs', 'exp', 'tril' if len(sizes) > 1 else 'sqrt'])}"
        self.lines.append(f"{noun} {name}: [{', '.join(map(str, sizes))}]{init}")
        self.add(name, sizes, FLOATING)
        if matrix:
            return f"{head} @ {name}", _predict(registry.lookup("matmul"), {}, (self.tensors[head], sizes),
                                                (self.classes[head], FLOATING)), FLOATING
        op = rng.choice(["+", "*", "-"])
        kind = registry.lookup({"+": "add", "*": "mul", "-": "sub"}[op])
        shape, dtype = _verdict(kind, {}, (self.tensors[head], sizes), (self.classes[head], FLOATING))
        return f"{head} {op} {name}", shape, dtype

    def combine(self) -> tuple[str, tuple | None, DType]:
        """Tensor arithmetic, a comparison, a selection by a mask, or a layer of several inputs over existing tensors."""
        rng = self.rng
        names = self.known()
        a, b = rng.choice(names), rng.choice(names)
        shapes, classes = (self.tensors[a], self.tensors[b]), (self.classes[a], self.classes[b])
        masks = [n for n in names if self.classes[n] is BOOL]
        roll = rng.random()
        if roll < 0.3:
            op = rng.choice(["+", "-", "*", "/"])
            kind = registry.lookup({"+": "add", "-": "sub", "*": "mul", "/": "div"}[op])
            if rng.random() < 0.5:
                scalar = self.draw.real() if rng.random() < 0.6 else self.draw.integer()
                shape, dtype = _verdict(kind, {"scalar": scalar}, shapes[:1], classes[:1])
                return f"{a} {op} ({spec_literal(scalar)})", shape, dtype
            shape, dtype = _verdict(kind, {}, shapes, classes)
            return f"{a} {op} {b}", shape, dtype
        if roll < 0.4:
            symbol, name = rng.choice([(">", "gt"), (">=", "ge"), ("<", "lt"), ("<=", "le"), ("==", "eq"), ("!=", "ne")])
            if rng.random() < 0.5:
                return f"{a} {symbol} {b}", *_verdict(registry.lookup(name), {}, shapes, classes)
            threshold = self.draw.real()
            return f"{a} -> {name}({spec_literal(threshold)})", \
                *_verdict(registry.lookup(name), {"scalar": threshold}, shapes[:1], classes[:1])
        if roll < 0.55 and masks:
            mask = rng.choice(masks)
            if rng.random() < 0.5:
                return f"where({mask}, {a}, {b})", *_verdict(registry.lookup("where"), {},
                                                             (self.tensors[mask], *shapes), (BOOL, *classes))
            value = self.draw.real() if rng.random() < 0.7 else self.draw.integer()
            return f"{a} -> masked_fill({mask}, {spec_literal(value)})", \
                *_verdict(registry.lookup("masked_fill"), {"value": value}, (shapes[0], self.tensors[mask]),
                          (classes[0], BOOL))
        if roll < 0.62:
            return f"{a} @ {b}", *_verdict(registry.lookup("matmul"), {}, shapes, classes)
        if roll < 0.88:
            kind = rng.choice(["concat", "cat", "stack"])
            chosen = [a, b] + ([rng.choice(names)] if rng.random() < 0.3 else [])
            layer = draw_layer(self.draw, kind, tuple(self.tensors[n] for n in chosen),
                               classes=tuple(self.classes[n] for n in chosen))
            return f"{kind}({', '.join(chosen)}, {self.call_text(layer)[len(kind) + 1:-1] or 'dim=0'})", \
                layer.shape, layer.dtype
        inputs = (a,) if rng.random() < 0.5 else (a, a)
        layer = draw_layer(self.draw, "multihead_attention", tuple(self.tensors[n] for n in inputs),
                           classes=tuple(self.classes[n] for n in inputs))
        call = self.call_text(layer)
        inner = call[len("multihead_attention") + 1:-1] if "(" in call else "num_heads=1"
        return f"multihead_attention({a}, {inner})", layer.shape, layer.dtype

    def known(self) -> list[str]:
        """The tensors whose shape is predicted (all of them when none is)."""
        return [n for n, s in self.tensors.items() if s is not None] or list(self.tensors)

    def statement(self) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.08:
            drawn = self.learnable()
            if drawn is None:
                return
            expr, shape, dtype = drawn
        elif roll < 0.28 and len(self.tensors) >= 1:
            expr, shape, dtype = self.combine()
            if rng.random() < 0.3:
                wrapper = rng.choice(['relu', 'sigmoid', 'tanh'])
                expr = f"{wrapper}({expr})"
                shape, dtype = _verdict(registry.lookup(wrapper), {}, (shape,), (dtype,))
        elif roll < 0.4:
            head = rng.choice(self.known())
            shape = self.tensors[head]
            if shape is None:
                return
            kind = rng.choice(["chunk", "split", "unbind"])
            layer = draw_layer(self.draw, kind, (shape,))
            layer.args.pop("index", None)
            count = pieces(kind, layer.args, shape)
            if count is None:
                return
            targets = [self.fresh() for _ in range(count)]
            self.lines.append(f"{', '.join(targets)} = {head} -> {self.call_text(layer)}")
            for i, target in enumerate(targets):
                self.add(target, _predict(registry.lookup(kind), {**layer.args, "index": i, "outputs": count}, (shape,)),
                         self.classes[head])
            return
        else:
            expr, shape, dtype = self.chain(rng.choice(self.known()), rng.randint(1, 4))
        name = self.fresh()
        self.lines.append(f"{name} = {expr}")
        self.add(name, shape, dtype)

    def inputs(self) -> list[str]:
        rng = self.rng
        rank = rng.choice([2, 3, 3, 4, 4, 4, 5, 1])
        dims = ["N" if rng.random() < 0.8 else str(rng.randint(1, 4))]
        for position in range(1, rank):
            if rng.random() < 0.1:
                dims.append(rng.choice(["L", "S"]))
            else:
                dims.append(str(max(1, self.draw.integer(1, 2**62, small=12 if position == 1 else 16))))
        self.add("x", tuple(symbol(d) if not d.lstrip("-").isdigit() else int(d) for d in dims), FLOATING)
        lines = [f"input x: [{', '.join(dims)}]" + self.where_clause(dims)]
        if rng.random() < 0.15:  # integer ids, for an embedding (the runner passes them as int64)
            self.index_inputs.append("ids")
            layer = draw_layer(self.draw, "embedding", ((symbol("N"), 7),))
            lines += ["input ids: [N, 7]", f"e0 = ids -> {self.call_text(layer)}"]
            self.add("e0", layer.shape, FLOATING)
            self.classes["ids"] = INTEGER
        return lines

    def where_clause(self, dims: list[str]) -> str:
        """` where L >= 2, S % 3 == 0`: conditions on the input's symbols, mostly true of the sizes the runner
        gives them (SYMBOLS), now and then not (the concrete spec is then rejected), or impossible."""
        rng = self.rng
        symbols = [d for d in dict.fromkeys(dims) if d in SYMBOLS]
        if not symbols or rng.random() > 0.3:
            return ""
        conditions = []
        for name in rng.sample(symbols, rng.randint(1, len(symbols))):
            value = SYMBOLS[name]
            conditions.append(rng.choice([f"{name} >= {rng.randint(1, value)}", f"{name} == {value}",
                                          f"{name} % {rng.choice([1, value])} == 0", f"{name} <= {value * 4}",
                                          f"{name} > {value}", f"{name} != {rng.randint(1, 3)}"]))
        return " where " + ", ".join(conditions)


class _Block:
    """A block with parameters and an input pattern, its body drawn for a sample input shape."""

    def __init__(self, draw: _Draw, name: str, sample: tuple):
        rng = draw.rng
        self.name, self.sample = name, sample
        self.out_size = draw.integer(1, 64, small=8)
        self.uses_param = rng.random() < 0.7
        pattern = ["N", "C", *("HWD"[:max(len(sample) - 2, 0)])][:len(sample)]
        self.pattern = pattern if rng.random() < 0.6 and len(sample) >= 2 else None
        kind = rng.choice(["linear", "conv1d", "conv2d", "conv3d", "relu", "layernorm", "batchnorm2d"])
        layer = draw_layer(draw, kind, (sample,))
        if self.uses_param and "out_channels" in layer.args:
            layer.args["out_channels"] = symbol("out")
        if self.uses_param and "out_features" in layer.args:
            layer.args["out_features"] = symbol("out")
        self.layer = layer
        self.repeat = rng.random() < 0.2

    def text(self) -> str:
        params = f"out: int = {self.out_size}" if self.uses_param else ""
        declared = f"input x: [{', '.join(self.pattern)}]" if self.pattern else "input x"
        args = ", ".join(f"{k}={spec_literal(v)}" for k, v in self.layer.args.items())
        call = f"{self.layer.kind}({args})"
        body = f"({call} -> relu) * 2" if self.repeat else call
        return f"block {self.name}({params}) {{\n    {declared}\n    output x -> {body}\n}}\n"

    def arguments(self, rng: random.Random) -> list:
        return [rng.choice([self.out_size, 4, 8])] if self.uses_param and rng.random() < 0.6 else []

    def predict(self, shape: tuple) -> tuple | None:
        """Not computed: the checker decides; a block call makes the rest of the chain unpredictable."""
        return shape if self.layer.kind in ("relu",) else None


def generate_spec(seed: int, index: int) -> GeneratedSpec:
    """The spec number `index` of the run `seed`: the same pair gives the same spec."""
    rng = random.Random(f"{seed}:{index}")
    draw = _Draw(rng)
    network = _Network(draw, {})
    inputs = network.inputs()
    blocks = {}
    for number in range(rng.choice([0, 0, 1, 2])):
        block = _Block(draw, f"Blk{number + 1}", network.tensors["x"])
        blocks[block.name] = block
    network.blocks = blocks
    for _ in range(rng.randint(1, 6)):
        network.statement()
    last = [n for n in network.tensors if n != "ids"][-1]
    ending = f"    output {last}" if rng.random() < 0.5 else f"    {last} -> output"
    params = ", ".join(f"{n}: {t} = {spec_literal(v)}" for n, (t, v) in network.params.items())
    body = "\n".join(f"    {line}" for line in [*inputs, *network.lines]) + "\n" + ending
    head = "".join(block.text() for block in blocks.values())
    text = f"{head}network Net({params}) {{\n{body}\n}}\n"
    used = [s for s in SYMBOLS if any(re.search(rf"\b{s}\b", line) for line in inputs)]
    concrete_params = ", ".join(filter(None, [params, *(f"{s}: int = {SYMBOLS[s]}" for s in used)]))
    concrete = f"{head}network Net({concrete_params}) {{\n{body}\n}}\n"
    return GeneratedSpec(text, concrete, network.overrides, tuple(network.index_inputs))
