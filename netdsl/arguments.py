"""Binding call arguments to a signature — a layer kind's or a block's — with one set of errors.

`bind` maps positional and keyword arguments onto names (unknown names, duplicates, too many,
missing); `validate` checks the values against the schema (types and bounds, in words).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from . import codes, records
from .codes import Code
from .diagnostics import Fix
from .fixes import respell
from .schema import Schema, SchemaError
from .source import Span
from .suggest import nearest


@records.value
class ArgError:
    code: Code
    message: str
    span: Span
    help: str | None = None
    fixes: tuple[Fix, ...] = ()


@records.value
class Signature:
    """What a call is bound against: a layer kind (`linear`) or a block (`block Up`)."""
    title: str                        # "`linear`", "block `Up`"
    schema: Schema
    positional: tuple[str, ...]       # order for positional use; "*name": all positional values as one tuple
    aliases: dict[str, str] = field(default_factory=dict)
    noun: str = "argument"            # "argument" for layers, "parameter" for blocks


@records.record
class Bound:
    values: dict[str, Any]
    spans: dict[str, Span]
    errors: list[ArgError]


def bind(signature: Signature, positional: list[tuple[Any, Span]], keywords: list[tuple[str, Span, Any, Span]],
         call_span: Span, *, defaulted: frozenset[str] = frozenset()) -> Bound:
    """Name every argument. `defaulted`: names whose default the caller supplies (block parameters)."""
    fields = signature.schema.public()
    bound = Bound({}, {}, [])
    order = signature.positional
    if order and order[0].startswith("*"):
        # A variadic argument such as reshape's sizes: reshape(N, -1) or reshape((N, -1)).
        name = order[0][1:]
        if positional:
            items = positional[0][0] if len(positional) == 1 and isinstance(positional[0][0], tuple) else \
                tuple(v for v, _ in positional)
            bound.values[name], bound.spans[name] = items, positional[0][1].to(positional[-1][1])
    else:
        if len(positional) > len(order):
            extra = positional[len(order)][1]
            accepts = f"at most {len(order)}" if order else "no"
            bound.errors.append(ArgError(
                codes.E0312, f"{signature.title} takes {accepts} positional {signature.noun}s, but {len(positional)} "
                f"were given", extra.to(positional[-1][1]),
                help=f"its positional {signature.noun}s are: {', '.join(order)}" if order else
                f"pass {signature.noun}s by name: {', '.join(fields)}" if fields else
                f"{signature.title} takes no {signature.noun}s"))
        for name, (value, span) in zip(order, positional):
            bound.values[name], bound.spans[name] = value, span
    for written, name_span, value, span in keywords:
        name = signature.aliases.get(written, written)
        if name not in fields:
            suggestion = nearest(written, [*fields, *signature.aliases])
            bound.errors.append(ArgError(
                codes.E0310, f"{signature.title} has no {signature.noun} `{written}`", name_span,
                help=f"did you mean `{suggestion}`?" if suggestion else
                f"its {signature.noun}s are: {', '.join(fields) or 'none'}",
                fixes=respell(name_span, suggestion)))
            continue
        if name in bound.values:
            bound.errors.append(ArgError(codes.E0313, f"{signature.noun} `{name}` of {signature.title} is given twice",
                                         name_span, help=f"remove one of the two values for `{name}`"))
            continue
        bound.values[name], bound.spans[name] = value, span
    missing = [n for n, f in fields.items() if f.required and n not in bound.values and n not in defaulted]
    if missing and not any(e.code is codes.E0310 for e in bound.errors):  # a misspelt name explains the missing one
        listed = ", ".join(f"`{m}`" for m in missing)
        bound.errors.append(ArgError(
            codes.E0311, f"{signature.title} is missing required {signature.noun} {listed}", call_span,
            help=f"for example `{signature.title.split('`')[1]}({', '.join(f'{m}=...' for m in missing)})`"))
    return bound


def validate(signature: Signature, values: dict[str, Any], spans: dict[str, Span], call_span: Span):
    """(the validated Args, []) or (None, one error per invalid value)."""
    try:
        return signature.schema.validate(values), []
    except SchemaError as error:
        return None, [ArgError(codes.E0314, f"{signature.title} {signature.noun} `{name}` {problem.message}",
                               spans.get(name, call_span), help=problem.hint) for name, problem in error.errors]
