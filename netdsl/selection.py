"""Which diagnostics are reported: `--select` / `--ignore` and per-file ignores by code or prefix (`W01`,
`W0104`, `ALL`), and `# netdsl: ignore[W0104]` comments on the offending line.

Only warnings can be silenced: an error means the spec cannot be built, so ignoring one would only hide
why. A suppression comment that suppresses nothing is itself reported (W0901), so that stale comments
do not pile up; it carries a fix that removes it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import field
from fnmatch import fnmatchcase

from . import codes, records
from .checker import CheckedGraph
from .diagnostics import Diagnostic, Edit, Fix, Severity
from .program import InputError, path_text
from .source import SourceFile, Span

UNUSED_SUPPRESSION = codes.W0901.code
_PATTERN = re.compile(r"ALL|[EW][0-9]{0,4}")
_COMMENT = re.compile(r"#\s*netdsl:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?")


def parse_patterns(values: Iterable[str], origin: str, *, ignoring: bool = False) -> tuple[str, ...]:
    """Codes or prefixes from a flag (comma-separated) or a setting; InputError names `origin`."""
    patterns = tuple(p.strip().upper() for value in values for p in value.split(",") if p.strip())
    for pattern in patterns:
        if not _PATTERN.fullmatch(pattern):
            raise InputError(f"{origin}: {pattern!r} is not a diagnostic code or prefix (e.g. W0104, W01, W)")
        if ignoring and (pattern == "ALL" or pattern.startswith("E")):
            raise InputError(f"{origin}: {pattern} would ignore errors; only warnings can be ignored")
    return patterns


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in patterns)


@records.value
class Selection:
    select: tuple[str, ...] | None = None          # None: every code
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (glob, patterns)
    root: str = field(default_factory=os.getcwd)   # per-file globs are relative to it

    def reports(self, diagnostic: Diagnostic, path: str) -> bool:
        if diagnostic.severity is Severity.ERROR:
            return True
        code = diagnostic.code
        if self.select is not None and not _matches(code, self.select):
            return False
        if _matches(code, self.ignore):
            return False
        relative = _relative(path, self.root)
        return not any(fnmatchcase(relative, glob) and _matches(code, patterns)
                       for glob, patterns in self.per_file_ignores)


def _relative(path: str, root: str) -> str:
    """`path` relative to `root` when it lies below it (both resolved), else as written; `/`-separated."""
    resolved, base = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath((resolved, base)) == base:
        return os.path.relpath(resolved, base).replace(os.sep, "/")
    return path_text(path).replace(os.sep, "/")


# ---------------------------------------------------------------- suppression comments

@records.value
class Suppression:
    line: int
    comment: Span                          # the whole comment
    codes: tuple[tuple[str, Span], ...]    # each code written in the brackets, with its span


def suppressions(source: SourceFile) -> list[Suppression]:
    """The `# netdsl: ignore[...]` comments of a file, found with the grammar's own lexer (so that a
    string holding the same text is not one). A file that does not lex has none."""
    if "netdsl:" not in source.text:
        return []
    from lark.exceptions import LarkError

    from .parser import lark_parser
    found = []
    try:
        comments = [t for t in lark_parser().lex(source.text, dont_ignore=True) if t.type == "COMMENT"]
    except LarkError:
        return []
    for token in comments:
        match = _COMMENT.search(token.value)
        if match is None:
            continue
        start = token.start_pos
        codes = []
        if match["codes"] is not None:
            for code in re.finditer(r"[^,\s]+", match["codes"]):
                offset = start + match.start("codes") + code.start()
                codes.append((code[0], Span(source, offset, offset + len(code[0]))))
        found.append(Suppression(token.line, Span(source, start, start + len(token.value)), tuple(codes)))
    return found


def _removal(suppression: Suppression, unused: list[tuple[str, Span]]) -> Fix:
    """Remove the unused codes, or the whole comment (and the spaces before it) when none is left."""
    source, comment = suppression.comment.source, suppression.comment
    if len(unused) == len(suppression.codes):
        start = comment.start
        while start > 0 and source.text[start - 1] in " \t":
            start -= 1
        return Fix("remove the suppression comment", (Edit(Span(source, start, comment.end), ""),))
    edits = []
    for _, span in unused:
        end = span.end
        while end < comment.end and source.text[end] in ", \t":
            end += 1
        if end == comment.end or source.text[end] == "]":  # the last code: take the comma before it
            start = span.start
            while source.text[start - 1] in ", \t":
                start -= 1
            edits.append(Edit(Span(source, start, span.end), ""))
        else:
            edits.append(Edit(Span(source, span.start, end), ""))
    return Fix("remove the unused codes", tuple(edits))


def _unused(suppression: Suppression, used: set[str]) -> Diagnostic | None:
    if not suppression.codes:
        return Diagnostic(UNUSED_SUPPRESSION, Severity.WARNING, "`# netdsl: ignore` needs the codes it suppresses",
                          suppression.comment, help="name them, e.g. `# netdsl: ignore[W0104]`",
                          fixes=(_removal(suppression, []),))
    unused = [(code, span) for code, span in suppression.codes if code not in used]
    if not unused:
        return None
    names = ", ".join(f"`{code}`" for code, _ in unused)
    if any(code.startswith("E") for code, _ in unused):
        message = f"unused suppression: {names}: errors cannot be suppressed, only fixed"
    else:
        message = f"unused suppression: line {suppression.line} has no {names} warning"
    whole = len(unused) == len(suppression.codes)
    return Diagnostic(UNUSED_SUPPRESSION, Severity.WARNING, message, unused[0][1].to(unused[-1][1]),
                      help="remove the comment" if whole else f"remove {names} from the comment",
                      fixes=(_removal(suppression, unused),))


def checked_spans(networks: Iterable[CheckedGraph]) -> list[Span]:
    """The definitions (networks and every block they call) whose warnings were all looked for."""
    spans, pending = [], list(networks)
    while pending:
        checked = pending.pop()
        spans.append(checked.graph.span)
        pending += [layer.inner for layer in checked.layers if layer.inner is not None]
    return spans


def _order(diagnostic: Diagnostic) -> tuple[str, int]:
    return (diagnostic.span.source.path, diagnostic.span.start) if diagnostic.span else ("", -1)


def apply(diagnostics: Sequence[Diagnostic], root: SourceFile, selection: Selection,
          verified: Sequence[Span] = ()) -> list[Diagnostic]:
    """The diagnostics to report for the spec `root`: warnings suppressed by a comment on their line
    dropped (comments in imported files count too), unused suppressions reported, then the selection
    applied. Only comments in `root` inside a `verified` span — a definition whose every warning was
    looked for — can be unused: elsewhere a warning may depend on parameters not checked this time."""
    comments: dict[tuple[SourceFile, int], Suppression] = {}
    sources = {d.span.source: d.span.source for d in diagnostics if d.span}
    sources[root] = root
    for source in sources.values():
        for suppression in suppressions(source):
            comments[source, suppression.line] = suppression
    used: dict[tuple[SourceFile, int], set[str]] = {}
    kept = []
    for diagnostic in diagnostics:
        key = (diagnostic.span.source, diagnostic.span.line_col[0]) if diagnostic.span else None
        suppression = comments.get(key)
        if (suppression is not None and diagnostic.severity is Severity.WARNING
                and diagnostic.code in (code for code, _ in suppression.codes)):
            used.setdefault(key, set()).add(diagnostic.code)
        else:
            kept.append(diagnostic)
    for (source, line), suppression in comments.items():
        start = suppression.comment.start
        if source == root and any(s.source == root and s.start <= start < s.end for s in verified):
            unused = _unused(suppression, used.get((source, line), set()))
            kept += [unused] if unused else []
    kept.sort(key=_order)
    return [d for d in kept if selection.reports(d, d.span.source.path if d.span else root.path)]
