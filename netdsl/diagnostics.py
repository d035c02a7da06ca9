"""The one diagnostic type, the sink that collects them, and their renderers.

Every code comes from the catalogue in netdsl.codes (E01xx syntax, E02xx names and structure, E03xx
arguments, E04xx shapes, W01xx warnings).
"""

from __future__ import annotations

import unicodedata
from dataclasses import field, replace

from . import records
from .codes import Code, Severity
from .emit import printable
from .source import Span


@records.value
class Note:
    message: str
    span: Span | None = None


@records.value
class Edit:
    """Replace the text of `span` with `replacement` (an empty span inserts)."""
    span: Span
    replacement: str


@records.value
class Fix:
    """A machine-applicable fix (rustc's `applicability = "machine-applicable"`): applying its edits is
    certain to do what `message` says. Editors offer it as a code action; `check --fix` applies it."""
    message: str
    edits: tuple[Edit, ...]


@records.value
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None
    label: str = ""
    notes: tuple[Note, ...] = ()
    help: str | None = None
    fixes: tuple[Fix, ...] = ()

    def as_error(self) -> Diagnostic:
        return replace(self, severity=Severity.ERROR)


class CompileError(Exception):
    """Raised by a stage that cannot go on; carries the diagnostic to report."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@records.record
class Diagnostics:
    """The sink every stage reports into: collect, don't raise."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: Code, message: str, span: Span | None, *, label: str = "",
              notes: tuple[Note, ...] = (), help: str | None = None, fixes: tuple[Fix, ...] = ()) -> None:
        self.items.append(Diagnostic(code.code, Severity.ERROR, message, span, label, notes, help, fixes))

    def warning(self, code: Code, message: str, span: Span | None, *, label: str = "",
                notes: tuple[Note, ...] = (), help: str | None = None, fixes: tuple[Fix, ...] = ()) -> None:
        self.items.append(Diagnostic(code.code, Severity.WARNING, message, span, label, notes, help, fixes))

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """Diagnostics in source order, one per cause: a mistake inside a block that several calls
        make in the same words is reported once, with every call among its notes."""
        def key(d: Diagnostic) -> tuple[str, int]:
            return (d.span.source.path, d.span.start) if d.span else ("", -1)
        causes: dict[tuple, Diagnostic] = {}
        for d in self.items:
            where = (d.span.source.path, d.span.start, d.span.end) if d.span else None
            cause = (d.code, where, d.message)
            first = causes.get(cause)
            if first is None:
                causes[cause] = d
            else:
                causes[cause] = replace(first, notes=first.notes + tuple(n for n in d.notes if n not in first.notes))
        return sorted(causes.values(), key=key)


# ---------------------------------------------------------------- rendering

_STYLES = {"error": "1;31", "warning": "1;33", "note": "1;32", "help": "1;36", "gutter": "1;34", "bold": "1"}


class _Painter:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if self.color and text else text


_MAX_SHOWN = 100  # columns of source shown; longer lines are cut to a window around the span
_TAB = 4


def _cells(text: str) -> list[tuple[str, int]]:
    """Each character of text as the terminal shows it, with its width in columns: tabs expanded (stops
    every 4 columns from the start of text), what is not printable escaped (`\\x1b`: an ANSI escape in a
    spec is shown, not obeyed), East Asian wide characters and emoji 2 columns, combining marks 0."""
    if text.isascii() and text.isprintable():  # the common case, without a Unicode lookup per character
        return [(char, 1) for char in text]
    cells, column = [], 0
    for char in text:
        if char == "\t":
            shown = " " * (_TAB - column % _TAB)
            width = len(shown)
        elif not char.isprintable():
            shown = printable(char)
            width = len(shown)
        else:
            shown = char
            width = 0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        cells.append((shown, width))
        column += width
    return cells


def _window(cells: list[tuple[str, int]], start: int, count: int, cut_left: bool, cut_right: bool) -> tuple[str, int, int]:
    """The line as shown (cut to about _MAX_SHOWN columns around the carets, the cuts marked '…'), the
    column where the carets start, and how many there are. start and count are display columns."""
    total = sum(width for _, width in cells)
    left, right = 0, total
    if total > _MAX_SHOWN or cut_left or cut_right:
        left = max(0, min(start - 20, total - _MAX_SHOWN))
        right = left + _MAX_SHOWN
    shown, column = [], 0
    for text, width in cells:
        if column >= left and column + width <= right:
            shown.append(text)
        column += width
    prefix = "…" if left or cut_left else ""
    suffix = "…" if right < total or cut_right else ""
    return prefix + "".join(shown) + suffix, start - left + len(prefix), max(1, min(count, right - start))


def _snippet(span: Span, marker: str, label: str, width: int, paint: _Painter, style: str) -> list[str]:
    line_no, col = span.line_col
    source = span.source
    first, last = source.line_bounds(line_no)
    start = min(span.start, last)
    end = min(max(span.end, span.start), last)   # a span over several lines is marked to the end of its first
    # Only the part of the line that can be shown is read: 30,000 diagnostics on a 240 KB line stay linear.
    low, high = max(first, start - _MAX_SHOWN), min(last, end + _MAX_SHOWN)
    cells = _cells(source.text[low:high])
    before = sum(w for _, w in cells[:start - low])
    marked = sum(w for _, w in cells[start - low:end - low])
    shown, caret, count = _window(cells, before, max(1, marked), low > first, high < last)
    bar = paint("gutter", "|")
    carets = paint(style, " " * caret + marker * count + (f" {printable(label)}" if label else ""))
    return [
        f"{' ' * width}{paint('gutter', '-->')} {printable(source.path)}:{line_no}:{col}",
        f"{' ' * (width + 1)}{bar}",
        f"{paint('gutter', str(line_no).rjust(width))} {bar} {shown}",
        f"{' ' * (width + 1)}{bar} {carets}".rstrip(),
    ]


def render_human(diagnostic: Diagnostic, color: bool = False) -> str:
    """rustc-style: header, location, source line with carets, notes, help."""
    paint = _Painter(color)
    sev = diagnostic.severity.value
    out = [paint(sev, f"{sev}[{diagnostic.code}]") + paint("bold", f": {printable(diagnostic.message)}")]
    spans = [s for s in [diagnostic.span, *(n.span for n in diagnostic.notes)] if s is not None]
    width = max([len(str(s.line_col[0])) for s in spans], default=1) + 1
    if diagnostic.span is not None:
        out += _snippet(diagnostic.span, "^", diagnostic.label, width, paint, sev)
    for note in diagnostic.notes:
        if note.span is None:
            out.append(f"{' ' * (width + 1)}{paint('gutter', '=')} {paint('note', 'note')}: {printable(note.message)}")
        else:
            out.append(paint("note", "note") + f": {printable(note.message)}")
            out += _snippet(note.span, "-", "", width, paint, "gutter")
    if diagnostic.help:
        out.append(f"{' ' * (width + 1)}{paint('gutter', '=')} {paint('help', 'help')}: {printable(diagnostic.help)}")
    return "\n".join(out) + "\n"


def render_short(diagnostic: Diagnostic) -> str:
    """One line, mypy-style: file:line:col: error[E0402]: message."""
    where = f"{printable(diagnostic.span.location())}: " if diagnostic.span else ""
    return f"{where}{diagnostic.severity.value}[{diagnostic.code}]: {printable(diagnostic.message)}\n"


def span_dict(span: Span | None) -> dict | None:
    if span is None:
        return None
    line, col = span.line_col
    end_line, end_col = span.source.line_col(span.end)
    return {"file": span.source.path, "start": span.start, "end": span.end,
            "line": line, "column": col, "end_line": end_line, "end_column": end_col}
