"""Several tensors in one place, for lowering: the names of an unpacking (`out, (h, c) = ...`) matched
against the results a kind declares (netdsl.kinds.Result), and the tensors of a call grouped as the
kind takes them (`lstm(x, (h0, c0), 64)`: LayerKind.optional_inputs)."""

from __future__ import annotations

from typing import Any

from . import syntax as ast
from .diagnostics import Edit, Fix
from .kinds import LayerKind, flatten, nested
from .source import Span


def layout(structure: Any) -> Any:
    """A nesting with its leaves dropped, to compare nestings: (a, (b, c)) → (None, (None, None))."""
    if isinstance(structure, ast.TargetGroup):
        structure = structure.targets
    return tuple(layout(item) for item in structure) if isinstance(structure, tuple) else None


def target_text(targets: tuple) -> str:
    return nested(tuple(t.targets if isinstance(t, ast.TargetGroup) else t for t in targets), _name)


def _name(target) -> str:
    return target.name if isinstance(target, ast.Ident) else target_text(target.targets)


def matched(targets: tuple, values: tuple) -> list | None:
    """The value each name of `targets` takes (flattened as Unpack.names), from values nested as a kind's
    results; `_` also stands for a whole group, as in Python (`out, _ = lstm(...)`). None when the
    nestings differ."""
    if len(targets) != len(values):
        return None
    found = []
    for target, value in zip(targets, values):
        if isinstance(target, ast.TargetGroup):
            inner = matched(target.targets, value) if isinstance(value, tuple) else None
            if inner is None:
                return None
            found += inner
        elif isinstance(value, tuple) and target.name != ast.DISCARD:
            return None
        else:
            found.append(value)
    return found


def results_mismatch(kind: LayerKind, targets: tuple) -> tuple[str, str, tuple[Fix, ...]] | None:
    """(message, help, fixes) when the names of `targets = ...` do not match what the kind returns."""
    if matched(targets, kind.results) is not None:
        return None
    written = [t.name for t in ast.Unpack(targets, None, None).names]
    count = len(kind.result_names)
    returned = f"`{nested(kind.results, lambda r: r.name)}`"
    message = f"{len(written)} names are unpacked, but `{kind.name}` gives {count} tensors: {returned}" \
        if len(written) != count else f"`{target_text(targets)}` is not nested as `{kind.name}` returns its " \
        f"{count} tensors: {returned}"
    # The user's names in order, the results' own names where they run out.
    names = iter(written if len(written) <= count else ())
    meant = nested(kind.results, lambda result: next(names, result.name))
    fixes = ()
    if len(written) == count:   # the same names, nested as they come: a safe edit
        span = Span(targets[0].span.source, targets[0].span.start, targets[-1].span.end)
        fixes = (Fix(f"nest them: `{meant}`", (Edit(span, meant),)),)
    return message, f"write `{meant} = ...` (`_` for a tensor not needed)", fixes


def call_form(kind: LayerKind) -> str:
    """How a call passes its tensors: "lstm(input, (h_0, c_0), ...)"."""
    inputs = ("input",) if kind.inputs == 1 else tuple(f"input{i + 1}" for i in range(kind.inputs or 0))
    return f"{kind.name}({nested((*inputs, *kind.optional_inputs), str)}, ...)"


def inputs_mismatch(kind: LayerKind, tensors: list) -> str | None:
    """Why tensors (Tensor values, tuples of them for a group) are not grouped as the kind takes them."""
    given = layout(tuple(tensors))
    allowed = [layout((None,) * kind.inputs)] if kind.inputs is not None else []
    if kind.optional_inputs:
        allowed.append(layout(((None,) * kind.inputs) + kind.optional_inputs))
    if given in allowed or (kind.inputs is None and all(item is None for item in given)):
        return None
    return f"the tensors given to `{kind.name}` are not grouped as it takes them: `{call_form(kind)}`"


def regrouping(kind: LayerKind, tensors: list, spans: list) -> tuple[str, tuple[Fix, ...]]:
    """(help, fixes) for tensors given one by one where the kind takes a group: `lstm(x, h0, c0)` →
    `lstm(x, (h0, c0))`; a plain help when they are grouped some other way."""
    start = kind.inputs or 0
    given = spans[start:]
    if len(flatten(tuple(tensors))) != start + len(flatten(kind.optional_inputs)) or len(given) != len(
            flatten(kind.optional_inputs)) or not all(isinstance(span, Span) for span in given):
        return f"write `{call_form(kind)}`", ()
    texts = tuple(span.text if isinstance(span, Span) else "" for span in spans)
    grouped = nested(kind.grouped(texts)[start:], str)
    edit = Edit(Span(given[0].source, given[0].start, given[-1].end), grouped)
    return f"write `{grouped}`, as torch takes them", (Fix(f"group them: `{grouped}`", (edit,)),)
