"""Machine-applicable fixes: building them at the sites that report a diagnostic, and applying them
(`netdsl check --fix`, and the language server's code actions).

A fix is offered only where applying it is certain to do what its message says; everything else stays
in the diagnostic's `help` text.
"""

from __future__ import annotations

import re

from . import records
from .diagnostics import Diagnostic, Edit, Fix
from .source import Span

# Literals other languages spell differently: `False` is Python's `false`.
_LITERALS = {"true": "true", "false": "false", "none": "None", "null": "None", "nil": "None"}


def respell(span: Span, suggestion: str | None) -> tuple[Fix, ...]:
    """The fix for a 'did you mean `suggestion`?' on the name written at span."""
    if suggestion is None or suggestion == span.text:
        return ()
    return (Fix(f"replace `{span.text}` with `{suggestion}`", (Edit(span, suggestion),)),)


def literal_spelling(name: str) -> str | None:
    """`False` → `false`, `NULL` → `None`: a literal written in another language's spelling."""
    literal = _LITERALS.get(name.lower())
    return literal if literal is not None and literal != name else None


def missing_arrow(span: Span) -> tuple[Fix, ...]:
    """A layer written where a statement starts, after a statement that ends in an expression
    (`linear(5) relu`, or `relu` first on the next line): a `->` is missing before it. Inserted there, it
    continues the statement before, on the same line or as a leading `->` on the next."""
    return (Fix(f"insert `->` before `{span.text}`", (Edit(Span(span.source, span.start, span.start), "-> "),)),)


def inferred_argument(span: Span, name: str, value: object, in_block: bool) -> tuple[Fix, ...]:
    """Fixes for a written size that differs from the inferred one: drop the argument (it is inferred),
    or write the inferred value. span is the argument as written, `name=value` or a bare value. In a
    block, the value may be right for the block's other uses: only dropping it is certain there."""
    keyword = re.match(r"\w+\s*=\s*", span.text)
    value_start = span.start + (keyword.end() if keyword else 0)
    fixes = ()
    if keyword:  # dropping a positional argument would shift the ones after it
        fixes += (Fix(f"drop {name} (it is inferred)", (Edit(_with_separator(span), ""),)),)
    if not in_block:
        fixes += (Fix(f"use {name}={value}", (Edit(Span(span.source, value_start, span.end), str(value)),)),)
    return fixes


def _with_separator(span: Span) -> Span:
    """An argument's span widened to the comma that separates it from its neighbour."""
    text = span.source.text
    before = re.search(r",\s*$", text[:span.start])
    if before:
        return Span(span.source, before.start(), span.end)
    after = re.match(r"\s*,\s*", text[span.end:])
    return Span(span.source, span.start, span.end + (after.end() if after else 0))


# ---------------------------------------------------------------- applying fixes

@records.value
class Applied:
    diagnostic: Diagnostic
    fix: Fix


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (offsets into text)."""
    for edit in sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True):
        text = text[:edit.span.start] + edit.replacement + text[edit.span.end:]
    return text


def choose_fixes(diagnostics: list[Diagnostic], path: str) -> list[Applied]:
    """The first fix of each diagnostic in the file at path whose edits overlap none chosen before."""
    chosen: list[Applied] = []
    taken: list[tuple[int, int]] = []
    for diagnostic in diagnostics:
        if not diagnostic.fixes:
            continue
        fix = diagnostic.fixes[0]
        ranges = [(e.span.start, e.span.end) for e in fix.edits]
        if any(e.span.source.path != path for e in fix.edits):
            continue
        if any(_overlap(r, t) for r in ranges for t in taken):
            continue
        taken += ranges
        chosen.append(Applied(diagnostic, fix))
    return chosen


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # Two insertions at one offset, or an insertion inside a replaced range, conflict too.
    return a[0] < b[1] and b[0] < a[1] or a[0] == b[0]


def fix_file(path: str, analyze, rounds: int = 10) -> list[str]:
    """Apply the fixes of analyze(path)'s diagnostics to the file, re-checking after each round (a fixed
    mistake can uncover the next one). Returns one line per applied fix: where, code and what."""
    from pathlib import Path
    report = []
    for _ in range(rounds):
        analysis = analyze(path)
        chosen = choose_fixes(analysis.diagnostics.sorted(), analysis.source.path)
        if not chosen:
            break
        fixed = apply_edits(analysis.source.text, [e for a in chosen for e in a.fix.edits])
        Path(path).write_text(fixed, encoding="utf-8")
        report += [f"fixed {a.diagnostic.span.location()} [{a.diagnostic.code}]: {a.fix.message}" for a in chosen]
    return report
