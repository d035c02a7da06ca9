"""Binding call arguments to a layer kind's schema, and pydantic errors in words."""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic import ValidationError

from .registry import LayerKind, nearest
from .shapes import Sym
from .source import Span

_NUMBER_WORDS = {int: "integer", float: "number", str: "string", bool: "bool"}
_BOUND_WORDS = {"greater_than": "greater than", "greater_than_equal": "greater than or equal to",
                "less_than": "less than", "less_than_equal": "less than or equal to"}


@dataclass(frozen=True)
class ArgError:
    code: str
    message: str
    span: Span
    help: str | None = None


def _bound_words(metadata) -> str:
    for item in metadata:
        for attr, words in (("gt", "greater than"), ("ge", "at least"), ("lt", "less than"), ("le", "at most")):
            if getattr(item, attr, None) is not None:
                return f"{words} {getattr(item, attr)}"
    return ""


def describe_type(annotation, plural: bool = False) -> str:
    """Words for a type annotation: 'a positive integer or a tuple of 2 positive integers'."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        base, *metadata = args
        bounds = {"greater than 0": "positive", "at least 0": "non-negative"}.get(_bound_words(metadata), "")
        noun = _NUMBER_WORDS.get(base, "value") + ("s" if plural else "")
        if bounds:
            return f"{bounds} {noun}" if plural else f"a {bounds} {noun}"
        limits = " ".join(filter(None, (_bound_words([m]) for m in metadata)))
        return (noun if plural else f"an {noun}" if noun[0] in "aeiou" else f"a {noun}") + (f" {limits}" if limits else "")
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if origin is typing.Union:
        return " or ".join(describe_type(a, plural) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a tuple of {describe_type(args[0], plural=True)}"
        return f"a tuple of {len(args)} {describe_type(args[0], plural=True)}"
    if annotation is type(None):
        return "None"
    if annotation is bool:
        return "true or false"
    if annotation in _NUMBER_WORDS:
        noun = _NUMBER_WORDS[annotation]
        return noun + "s" if plural else f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
    return "a value"


def format_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and not isinstance(value, Sym):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def bind(kind: LayerKind, positional: list[tuple[object, Span]], keywords: list[tuple[str, Span, object, Span]],
         call_span: Span) -> tuple[object | None, dict[str, Span], list[ArgError]]:
    """Map positional and keyword arguments onto kind.args and validate them.
    Returns (the args model or None, the span of each argument, errors)."""
    fields = kind.args.model_fields
    values: dict[str, object] = {}
    spans: dict[str, Span] = {}
    errors: list[ArgError] = []
    order = kind.positional
    if order and order[0].startswith("*"):
        # A variadic argument such as reshape's sizes: reshape(N, -1) or reshape((N, -1)).
        name = order[0][1:]
        if positional:
            items = positional[0][0] if len(positional) == 1 and isinstance(positional[0][0], tuple) else \
                tuple(v for v, _ in positional)
            values[name], spans[name] = items, positional[0][1].to(positional[-1][1])
    else:
        if len(positional) > len(order):
            extra = positional[len(order)][1]
            accepts = f"at most {len(order)}" if order else "no"
            errors.append(ArgError("E0312", f"`{kind.name}` takes {accepts} positional arguments, but "
                                   f"{len(positional)} were given", extra.to(positional[-1][1]),
                                   help=f"its positional arguments are: {', '.join(order)}" if order else
                                   f"pass arguments by name: {', '.join(fields)}" if fields else
                                   f"`{kind.name}` takes no arguments"))
        for name, (value, span) in zip(order, positional):
            values[name], spans[name] = value, span
    for written, name_span, value, span in keywords:
        name = kind.aliases.get(written, written)
        if name not in fields:
            suggestion = nearest(written, [*fields, *kind.aliases])
            errors.append(ArgError("E0310", f"`{kind.name}` has no argument `{written}`", name_span,
                                   help=f"did you mean `{suggestion}`?" if suggestion else
                                   f"its arguments are: {', '.join(fields) or 'none'}"))
            continue
        if name in values:
            errors.append(ArgError("E0313", f"argument `{name}` of `{kind.name}` is given twice", name_span,
                                   help=f"remove one of the two values for `{name}`"))
            continue
        values[name], spans[name] = value, span
    missing = [n for n, f in fields.items() if f.is_required() and n not in values]
    if missing and not any(e.code == "E0310" for e in errors):  # a misspelt name explains the missing one
        errors.append(ArgError("E0311", f"`{kind.name}` is missing required argument "
                               f"{', '.join(f'`{m}`' for m in missing)}", call_span,
                               help=f"for example `{kind.name}({', '.join(f'{m}=...' for m in missing)})`"))
    if errors:
        return None, spans, errors
    try:
        return kind.args.model_validate(values), spans, []
    except ValidationError as error:
        reported = set()
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            if name in reported or name not in fields:
                continue
            reported.add(name)
            value = values.get(name)
            bound = _BOUND_WORDS.get(item["type"])
            if bound and isinstance(value, (int, float)) and not isinstance(value, bool):
                limit = next(iter(item["ctx"].values()))
                message = f"`{kind.name}` argument `{name}` must be {bound} {limit}, got {format_value(value)}"
            else:
                expected = describe_type(fields[name].annotation)
                message = f"`{kind.name}` argument `{name}` expects {expected}, got {format_value(value)}"
            hint = "use `//` for integer division" if isinstance(value, float) and "integer" in message else None
            errors.append(ArgError("E0314", message, spans.get(name, call_span), help=hint))
        return None, spans, errors
