"""CheckedGraph → warnings about specs that check but are probably not what was meant (W0103-W0106).

A separate stage over the checked graph, run only when a spec has no errors: lowering and checking
say what is wrong; this says what is suspicious. Every rule is conservative — a warning that fires on
sensible specs teaches users to ignore warnings (and `-W error` would reject those specs).
"""

from __future__ import annotations

from . import codes, memo, registry
from .checker import CheckedGraph, LayerResult, pytorch_habit
from .diagnostics import Diagnostics, Note
from .kinds import Role
from .shapes import format_shape


_LINTED = memo.LRU(512)   # a clean block instance's key (CheckedGraph.key) → its warnings


def _kind(layer: LayerResult | None):
    return None if layer is None or layer.node.block is not None else registry.lookup(layer.node.kind)


def _role(layer: LayerResult | None) -> Role:
    """The registry's role of a layer; Role.NONE for blocks and plain layers."""
    kind = _kind(layer)
    return kind.role if kind else Role.NONE


def lint(checked: CheckedGraph, diagnostics: Diagnostics) -> None:
    """Warn about a network and, once each, about the block instantiations it uses."""
    _Linter(diagnostics).graph(checked, is_network=True)


class _Linter:
    def __init__(self, diagnostics: Diagnostics):
        self.diagnostics = diagnostics

    def graph(self, checked: CheckedGraph, is_network: bool = False) -> None:
        layers = {layer.node.name: layer for layer in checked.layers}
        consumers: dict[str, list[LayerResult]] = {}
        for layer in checked.layers:
            for name in dict.fromkeys(layer.node.inputs):
                consumers.setdefault(name, []).append(layer)
        self.dead_branches(checked, layers, consumers)
        if is_network:
            self.activation_before_output(checked, layers)
        for layer in checked.layers:
            if layer.inner is not None:
                self.block(layer.inner)
            if layer.node.reading is not None and layer.args is not None:
                self.pytorch_order(layer)
            if _role(layer) is Role.LINEAR:
                self.linear_over_width(layer, layers)
            producer = layers.get(layer.node.inputs[0]) if len(layer.node.inputs) == 1 else None
            if producer is not None:
                self.repeated_activation(producer, layer)
            if _role(layer) is Role.FLATTEN and _kind(producer) is not None and _kind(producer).window is not None:
                self.pooling_to_one(producer, layer)

    def block(self, inner: CheckedGraph) -> None:
        """A block instance's warnings: those of an instance checked alike before (the same key) are reused."""
        warnings = _LINTED.get(inner.key) if inner.key is not None else memo.MISSING
        if warnings is memo.MISSING:
            since = memo.epoch()
            outer, self.diagnostics = self.diagnostics, Diagnostics()
            try:
                self.graph(inner)
            finally:
                outer, self.diagnostics = self.diagnostics, outer
            warnings = tuple(outer.items)
            if inner.key is not None:
                _LINTED.put(inner.key, warnings, since)
        for warning in warnings:
            self.diagnostics.add(warning)

    def dead_branches(self, checked: CheckedGraph, layers: dict[str, LayerResult],
                      consumers: dict[str, list[LayerResult]]) -> None:
        """W0103: a named tensor used only by layers that never reach the output. The unused value at
        the end of the branch is W0101/W0102 (from lowering); unnamed values never leave their
        statement, so a branch longer than one statement always passes a named one. Only the first
        named tensor of each branch is reported."""
        live = {layer.node.name for layer in checked.live()} | {i.name for i in checked.graph.inputs}
        downstream: set[str] = set()  # dead values below a reported one
        for layer in checked.layers:  # in topological order
            node = layer.node
            if node.name in live:
                continue
            if any(i in downstream for i in node.inputs):
                downstream.update(node.values)
                continue
            for value in node.values:   # each result of a layer that gives several
                variable = node.variable_of(value)
                if not variable or value not in consumers:
                    continue
                downstream.add(value)
                self.diagnostics.warning(
                    codes.W0103, f"`{variable}` only feeds layers whose results are never used", node.span,
                    notes=tuple(Note(f"the branch ends at `{s.node.variable or s.node.kind}`, which nothing uses",
                                     s.node.span) for s in _sinks(value, consumers)[:3]),
                    help="connect the branch to the output, or remove it")

    def pytorch_order(self, layer: LayerResult) -> None:
        """W0108: a valid call that reads like PyTorch's order and puts a channel-like number (16 or
        more) where netdsl's second positional argument, a small one such as a kernel, goes."""
        kind, node = _kind(layer), layer.node
        second = node.args.values[kind.positional[1]]
        if type(second) is not int or second < 16:
            return
        habit = pytorch_habit(kind, node, layer.inputs)
        if habit is not None:
            message, meant, fixes = habit
            self.diagnostics.warning(codes.W0108, message.replace("is in PyTorch's", "reads like PyTorch's"),
                                     node.span, help=f"write `{meant}`, or write `{kind.positional[1]}=` by keyword "
                                     "if netdsl's reading is meant", fixes=fixes)

    def linear_over_width(self, layer: LayerResult, layers: dict[str, LayerResult]) -> None:
        """W0109: `linear` on a convolution's [N, C, *spatial] output works on the last spatial dim."""
        if layer.inputs is None or len(layer.inputs[0]) < 3 or len(layer.node.inputs) != 1:
            return
        origin = layers.get(layer.node.inputs[0])
        while origin is not None and _role(origin) not in (Role.CONV, Role.POOL) and len(origin.node.inputs) == 1 \
                and origin.inputs is not None and origin.inputs[0] == origin.shape:
            origin = layers.get(origin.node.inputs[0])   # through shape-preserving layers (relu, batchnorm)
        if origin is None or _role(origin) not in (Role.CONV, Role.POOL):
            return
        shape = format_shape(layer.inputs[0])
        self.diagnostics.warning(
            codes.W0109, f"`linear` works on the last dim of {shape}, the width of `{origin.node.kind}`'s output, "
            "not on its channels", layer.node.span, notes=(Note(f"`{origin.node.kind}` gives {shape}", origin.node.span),),
            help="flatten first (`-> flatten -> linear(...)`), pool (`-> adaptive_avg_pool2d(1) -> flatten`), or "
                 "move the channels last (`-> permute(0, 2, 3, 1)`) for a per-pixel linear layer")

    def activation_before_output(self, checked: CheckedGraph, layers: dict[str, LayerResult]) -> None:
        """W0104: relu/dropout as the very last layer after a linear classifier."""
        last = layers.get(checked.graph.output)
        # Clipping activations and dropout, not sigmoid/tanh/softmax: those are deliberate output layers.
        if _role(last) not in (Role.ACTIVATION, Role.DROPOUT) or len(last.node.inputs) != 1:
            return
        classifier = layers.get(last.node.inputs[0])
        if _role(classifier) is not Role.LINEAR:
            return
        effect = "randomly zeroes outputs while training" if _role(last) is Role.DROPOUT else "clips the outputs"
        self.diagnostics.warning(
            codes.W0104, f"`{last.node.kind}` after the last `linear` of network `{checked.graph.name}` {effect}",
            last.node.span, notes=(Note("the classifier is here", classifier.node.span),),
            help=f"end the network with the `linear` (losses such as cross_entropy take raw logits), "
                 f"or move `{last.node.kind}` before it")

    def repeated_activation(self, producer: LayerResult, layer: LayerResult) -> None:
        """W0105: `relu -> relu`: the second one does nothing (or squashes a second time)."""
        if _role(layer) in (Role.ACTIVATION, Role.SQUASH) and producer.node.kind == layer.node.kind:
            self.diagnostics.warning(
                codes.W0105, f"`{layer.node.kind}` is applied twice in a row", layer.node.span,
                notes=(Note("the first one is here", producer.node.span),), help="remove one of them")

    def pooling_to_one(self, pool: LayerResult, flatten: LayerResult) -> None:
        """W0106: a pooling before flatten whose single window misses part of the input."""
        kernel, _, padding, dilation = _kind(pool).window(pool.args)
        d, before, after = len(kernel), pool.inputs[0], pool.shape
        missed = []
        for size, out, k, p, dil in zip(before[-d:], after[-d:], kernel, padding, dilation):
            if not all(type(v) is int for v in (size, out, k, p, dil)) or out != 1:
                continue
            read = (k - 1) * dil + 1 - p  # input positions the only window covers
            if read < size:
                missed.append((size, max(read, 0)))
        if missed:
            size, read = missed[0]
            self.diagnostics.warning(
                codes.W0106, f"`{pool.node.kind}` reduces {format_shape(before)} to {format_shape(after)} before "
                f"`flatten`, but its one window reads only {read} of {size} positions",
                pool.node.span, notes=(Note("flattened here", flatten.node.span),),
                help=f"for global pooling use adaptive_{'avg' if 'avg' in pool.node.kind else 'max'}_pool{d}d(1), "
                     "or a kernel as large as the input")


def _sinks(name: str, consumers: dict[str, list[LayerResult]]) -> list[LayerResult]:
    """The layers downstream of name that nothing consumes, in source order."""
    found, seen, pending = [], {name}, [name]
    while pending:
        for layer in consumers.get(pending.pop(), ()):
            if layer.node.name not in seen:
                seen.add(layer.node.name)
                consumed = [value for value in layer.node.values if value in consumers]
                if consumed:
                    pending += consumed
                else:
                    found.append(layer)
    return sorted(found, key=lambda layer: layer.node.span.start)
