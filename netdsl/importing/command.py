"""`netdsl import TARGET --input SHAPE [-o FILE]`: what the command prints and writes."""

from __future__ import annotations

import linecache
import sys

from ..program import InputError
from . import ImportFailed, import_model
from .model import Problem
from .targets import load_target, parse_shape


def run_import(options) -> bool:
    """Import the target and write its spec (to options.output, or stdout); False when it cannot be
    imported, after listing every reason on stderr. Nothing is written then."""
    shapes = [parse_shape(text) for text in options.shapes]
    try:
        model, name = load_target(options.target)
    except InputError:
        raise
    except Exception as error:   # the user's module or factory failed: their traceback, not ours
        raise InputError(f"cannot load {options.target}: {type(error).__name__}: {error}") from None
    try:
        imported = import_model(model, *shapes, name=options.name or name, source=options.target)
    except ImportFailed as failure:
        for problem in failure.problems:
            sys.stderr.write(render(problem, "error"))
        count = len(failure.problems)
        sys.stderr.write(f"error: {options.target} cannot be imported ({count} problem{'s' * (count > 1)}); "
                         f"nothing was written\n")
        return False
    for warning in imported.warnings:
        sys.stderr.write(render(warning, "warning"))
    for note in imported.notes:
        sys.stderr.write(render(note, "note"))
    if options.output:
        from ..output import write_output
        write_output(options.output, imported.text.encode("utf-8"))
        sys.stderr.write(f"wrote {options.output}: network `{imported.network}`, checked by netdsl\n")
    else:
        sys.stdout.write(imported.text)
    return True


def render(problem: Problem, severity: str) -> str:
    """Like netdsl's diagnostics: the message, the Python line it is about, and what to do."""
    lines = [f"{severity}: {problem.message}"]
    path, _, number = problem.where.rpartition(":")
    code = linecache.getline(path, int(number)).rstrip() if number.isdigit() else ""
    if problem.where:
        lines.append(f"  --> {problem.where}")
    if code:
        gutter = " " * len(number)
        lines += [f" {gutter} |", f" {number} | {code}", f" {gutter} |"]
    if problem.help:
        lines.append(f"   = help: {problem.help}")
    return "\n".join(lines) + "\n\n"
