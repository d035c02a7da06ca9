"""Diagnostics of one or more files in each output format a command offers: `human` (rustc-style, for a
person), `short` (one line each, mypy-style), `json`, `github` (workflow commands that GitHub Actions
shows as annotations) and `sarif` (SARIF 2.1.0, for code scanning). Every command that reports
diagnostics (`check`, `fmt --check`, ...) renders them here.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import records
from .diagnostics import Diagnostic, render_human, render_short, span_dict
from .emit import printable

FORMATS = ("human", "short", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/netdsl/netdsl"


@records.value
class FileDiagnostics:
    """The diagnostics found in one file (a diagnostic without a span belongs to the file as a whole)."""
    path: str
    diagnostics: Sequence[Diagnostic]


def is_report(fmt: str) -> bool:
    """Machine-readable formats are the command's output (stdout, so `| grep` works); the human format is
    a message to the person at the terminal (stderr, beside the command's own output)."""
    return fmt != "human"


def render(fmt: str, files: Sequence[FileDiagnostics], *, color: bool = False) -> str:
    """All the files' diagnostics as one text in format `fmt` (one of FORMATS)."""
    if fmt == "human":
        return "".join(render_human(d, color) + "\n" for f in files for d in f.diagnostics)
    if fmt == "short":
        return "".join(render_short(d) for f in files for d in f.diagnostics)
    if fmt == "github":
        return "".join(github_annotation(d, f.path) for f in files for d in f.diagnostics)
    import json   # here: `netdsl check` in the human format does not need it (6 ms to import)
    if fmt == "json":
        return json.dumps(json_document(files), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif_log(files), indent=2) + "\n"
    raise ValueError(f"unknown diagnostic format {fmt!r}")


def _ok(diagnostics: Sequence[Diagnostic]) -> bool:
    return not any(d.severity.value == "error" for d in diagnostics)


def json_document(files: Sequence[FileDiagnostics]) -> dict:
    """`check --format json` without the networks: the same keys, so one reader handles both."""
    from .report import diagnostic_model
    return {"version": 1, "ok": all(_ok(f.diagnostics) for f in files),
            "files": [{"path": f.path, "ok": _ok(f.diagnostics),
                       "diagnostics": [diagnostic_model(d).model_dump() for d in f.diagnostics]} for f in files]}


# ---------------------------------------------------------------- GitHub Actions workflow commands

def _escape_data(text: str) -> str:
    """One line: GitHub's own escapes for line breaks, emit.printable's for any other unprintable character."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _full_message(diagnostic: Diagnostic) -> str:
    lines = [diagnostic.message]
    lines += [f"note: {n.message}" + (f" ({n.span.location()})" if n.span else "") for n in diagnostic.notes]
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    return "\n".join(lines)


def github_annotation(diagnostic: Diagnostic, path: str) -> str:
    """`::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message`, as ruff writes them
    (endColumn is the column after the range)."""
    properties = {"title": f"netdsl ({diagnostic.code})"}
    where = span_dict(diagnostic.span)
    if where is None:
        properties["file"] = path
    else:
        properties |= {"file": where["file"], "line": where["line"], "col": where["column"],
                       "endLine": where["end_line"], "endColumn": where["end_column"]}
    level = "error" if diagnostic.severity.value == "error" else "warning"
    listed = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {listed}::{_escape_data(f'{diagnostic.code} {_full_message(diagnostic)}')}\n"


# ---------------------------------------------------------------- SARIF 2.1.0

def _artifact(path: str) -> dict:
    """Paths below the current directory are relative to %SRCROOT% (the checkout), as code scanning
    expects; others are file URIs."""
    # (pathlib for SARIF only: no part of a check's start-up)
    from pathlib import Path
    from urllib.parse import quote
    if path.startswith("<"):  # <stdin>, <string>
        return {"uri": quote(path)}
    location = Path(path)
    if location.is_absolute():
        try:
            location = location.relative_to(Path.cwd())
        except ValueError:
            return {"uri": location.as_uri()}
    return {"uri": quote(location.as_posix()), "uriBaseId": "%SRCROOT%"}


def _location(span, path: str, message: str | None = None) -> dict:
    where = span_dict(span)
    physical: dict = {"artifactLocation": _artifact(where["file"] if where else path)}
    if where is not None:
        physical["region"] = _region(span)
    location = {"physicalLocation": physical}
    if message:
        location["message"] = {"text": message}
    return location


def _region(span) -> dict:
    where = span_dict(span)
    return {"startLine": where["line"], "startColumn": where["column"],
            "endLine": where["end_line"], "endColumn": where["end_column"]}


def _fix(fix) -> dict:
    """A diagnostic's machine-applicable fix as SARIF replacements, grouped by file."""
    by_file: dict[str, list] = {}
    for edit in fix.edits:
        by_file.setdefault(edit.span.source.path, []).append(
            {"deletedRegion": _region(edit.span), "insertedContent": {"text": edit.replacement}})
    return {"description": {"text": fix.message},
            "artifactChanges": [{"artifactLocation": _artifact(path), "replacements": replacements}
                                for path, replacements in by_file.items()]}


def _rule(code: str) -> dict:
    """A rule per code. (When the code catalogue gives each code a title and an explanation page,
    they belong here as shortDescription and helpUri.)"""
    return {"id": code}


def _result(diagnostic: Diagnostic, path: str, rule_index: int) -> dict:
    result = {"ruleId": diagnostic.code, "ruleIndex": rule_index,
              "level": "error" if diagnostic.severity.value == "error" else "warning",
              "message": {"text": _full_message(diagnostic)},
              "locations": [_location(diagnostic.span, path)]}
    related = [_location(n.span, path, n.message) | {"id": i} for i, n in enumerate(diagnostic.notes) if n.span]
    if related:
        result["relatedLocations"] = related
    if diagnostic.fixes:
        result["fixes"] = [_fix(f) for f in diagnostic.fixes]
    return result


def sarif_log(files: Sequence[FileDiagnostics]) -> dict:
    from pathlib import Path

    from . import __version__
    codes = sorted({d.code for f in files for d in f.diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    results = [_result(d, f.path, index[d.code]) for f in files for d in f.diagnostics]
    driver = {"name": "netdsl", "version": __version__, "informationUri": INFORMATION_URI,
              "rules": [_rule(code) for code in codes]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints",
                      "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
                      "results": results}]}
