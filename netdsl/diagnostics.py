"""The one diagnostic type, the sink that collects them, and their renderers.

Every code comes from the catalogue in netdsl.codes (E01xx syntax, E02xx names and structure, E03xx
arguments, E04xx shapes, W01xx warnings).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .codes import Code, Severity
from .source import Span


@dataclass(frozen=True)
class Note:
    message: str
    span: Span | None = None


@dataclass(frozen=True)
class Edit:
    """Replace the text of `span` with `replacement` (an empty span inserts)."""
    span: Span
    replacement: str


@dataclass(frozen=True)
class Fix:
    """A machine-applicable fix (rustc's `applicability = "machine-applicable"`): applying its edits is
    certain to do what `message` says. Editors offer it as a code action; `check --fix` applies it."""
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
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


@dataclass
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


def _caret_columns(line: str, start_col: int, length: int) -> tuple[str, int, int]:
    """Expand tabs and return (expanded line, caret start, caret width) in display columns."""
    prefix = line[: start_col - 1].expandtabs(4)
    marked = line[start_col - 1 : start_col - 1 + length].expandtabs(4)
    return line.expandtabs(4), len(prefix), max(1, len(marked))


_MAX_SHOWN = 100  # columns of source shown; longer lines are cut to a window around the span


def _window(shown: str, start: int, count: int) -> tuple[str, int, int]:
    """Cut a long line to the part around the carets, marking the cuts with '…'."""
    if len(shown) <= _MAX_SHOWN:
        return shown, start, count
    left = max(0, min(start - 20, len(shown) - _MAX_SHOWN))
    right = left + _MAX_SHOWN
    prefix, suffix = ("…" if left else ""), ("…" if right < len(shown) else "")
    count = max(1, min(count, right - start))
    return prefix + shown[left:right] + suffix, start - left + len(prefix), count


def _snippet(span: Span, marker: str, label: str, width: int, paint: _Painter, style: str) -> list[str]:
    line_no, col = span.line_col
    line = span.source.line_text(line_no)
    end_line, _ = span.source.line_col(max(span.start, span.end - 1))
    length = (span.end - span.start) if end_line == line_no else len(line) - col + 1
    shown, start, count = _window(*_caret_columns(line, col, length))
    bar = paint("gutter", "|")
    carets = paint(style, " " * start + marker * count + (f" {label}" if label else ""))
    return [
        f"{' ' * width}{paint('gutter', '-->')} {span.source.path}:{line_no}:{col}",
        f"{' ' * (width + 1)}{bar}",
        f"{paint('gutter', str(line_no).rjust(width))} {bar} {shown}",
        f"{' ' * (width + 1)}{bar} {carets}".rstrip(),
    ]


def render_human(diagnostic: Diagnostic, color: bool = False) -> str:
    """rustc-style: header, location, source line with carets, notes, help."""
    paint = _Painter(color)
    sev = diagnostic.severity.value
    out = [paint(sev, f"{sev}[{diagnostic.code}]") + paint("bold", f": {diagnostic.message}")]
    spans = [s for s in [diagnostic.span, *(n.span for n in diagnostic.notes)] if s is not None]
    width = max([len(str(s.line_col[0])) for s in spans], default=1) + 1
    if diagnostic.span is not None:
        out += _snippet(diagnostic.span, "^", diagnostic.label, width, paint, sev)
    for note in diagnostic.notes:
        if note.span is None:
            out.append(f"{' ' * (width + 1)}{paint('gutter', '=')} {paint('note', 'note')}: {note.message}")
        else:
            out.append(paint("note", "note") + f": {note.message}")
            out += _snippet(note.span, "-", "", width, paint, "gutter")
    if diagnostic.help:
        out.append(f"{' ' * (width + 1)}{paint('gutter', '=')} {paint('help', 'help')}: {diagnostic.help}")
    return "\n".join(out) + "\n"


def render_short(diagnostic: Diagnostic) -> str:
    """One line, mypy-style: file:line:col: error[E0402]: message."""
    where = f"{diagnostic.span.location()}: " if diagnostic.span else ""
    return f"{where}{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}\n"


def span_dict(span: Span | None) -> dict | None:
    if span is None:
        return None
    line, col = span.line_col
    end_line, end_col = span.source.line_col(span.end)
    return {"file": span.source.path, "start": span.start, "end": span.end,
            "line": line, "column": col, "end_line": end_line, "end_column": end_col}
