"""The `netdsl` command: argument parsing, output streams and exit codes.

Exit codes: 0 success, 1 a spec has errors, 2 usage or I/O error, 3 internal error (a netdsl bug).
With several files every file is checked and the status is the worst of theirs.

Streams (as ruff and mypy): what a command produces goes to standard output — generated source,
tables, JSON, `-o -` diagrams, diffs, and diagnostics in the machine formats (short, json, github,
sarif) — so that it can be piped. Messages for the person at the terminal go to standard error:
human-format diagnostics (beside `build`'s source or `check --shapes`' listing on stdout), error
tallies, and I/O and usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import __version__
from .config import DEFAULT, Config, config_for
from .diagnostics import Diagnostic
from .pipeline import Analysis, analyze
from .program import InputError, decode_source, read_source
from .source import SourceFile

EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
ISSUES_URL = "https://github.com/netdsl/netdsl/issues"
STDIN = "-"


def parse_override(text: str) -> Any:
    """A `-p name=value` value: true/false, an integer, a number, or else a string."""
    value = text.strip()
    if value in ("true", "false"):
        return value == "true"
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    return value


def _overrides(pairs: list[str]) -> dict[str, Any]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip().isidentifier():
            raise InputError(f"-p expects name=value, got {pair!r}")
        overrides[name.strip()] = parse_override(value)
    return overrides


def _sizes(items: list[str]) -> dict[str, int]:
    """`--input H=256,W=256`: symbols of the input shapes and their sizes."""
    sizes = {}
    for pair in (p for item in items for p in item.split(",") if p.strip()):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip().isidentifier() or not value.strip().isdigit() or int(value) < 1:
            raise InputError(f"--input expects NAME=SIZE with a positive integer size, got {pair!r}")
        sizes[name.strip()] = int(value)
    return sizes


# ---------------------------------------------------------------- files, configuration, colour

def read_spec(path: str) -> SourceFile:
    """A spec file, or standard input for `-`."""
    if path == STDIN:
        return decode_source(sys.stdin.buffer.read(), "<stdin>")
    return read_source(path)


def spec_paths(argument: str) -> list[str]:
    """The specs an argument names: a directory's *.net files (recursively, hidden directories skipped),
    or else the argument itself."""
    if argument == STDIN or not os.path.isdir(argument):
        return [argument]
    # (pathlib only here and in commands other than check: no part of a check's start-up)
    from pathlib import Path
    root = Path(argument)
    found = sorted(str(p) for p in root.rglob("*.net")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
    if not found:
        raise InputError(f"{argument}: a directory with no .net files")
    return found


def _config(path: str, options) -> Config:
    return DEFAULT if options.isolated else config_for(path)


def use_color(choice: str | None, stream, config: Config = DEFAULT) -> bool:
    """--color always/never wins; then NO_COLOR, then FORCE_COLOR (no-color.org); then the project's
    `color` setting; else colour on a terminal."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if config.settings.color in ("always", "never"):
        return config.settings.color == "always"
    return stream.isatty()


def _selection(options, config: Config):
    from .selection import Selection, parse_patterns
    settings, origin = config.settings, f"{config.path} [tool.netdsl]"
    if options.select is not None:
        select = parse_patterns(options.select, "--select")
    else:
        select = None if settings.select is None else parse_patterns(settings.select, f"{origin} select")
    if options.ignore is not None:
        ignore = parse_patterns(options.ignore, "--ignore", ignoring=True)
    else:
        ignore = parse_patterns(settings.ignore, f"{origin} ignore", ignoring=True)
    per_file = tuple((glob, parse_patterns(codes, f"{origin} per-file-ignores", ignoring=True))
                     for glob, codes in settings.per_file_ignores.items())
    return Selection(select, ignore, per_file, config.root)


def _load_plugins(options, config: Config) -> None:
    from .registry import load_plugin
    wanted = [(module, "--plugin") for module in options.plugin]
    wanted += [(module, f"{config.path}: plugin") for module in config.settings.plugins]
    if config.settings.plugins and str(config.root) not in sys.path:
        sys.path.append(str(config.root))  # a project's plugins are importable from its directory
    for module, origin in wanted:
        try:
            load_plugin(module)
        except Exception as error:  # noqa: BLE001 — `''`, `.x` and a plugin's own failure are all usage errors
            raise InputError(f"{origin} {module or repr(module)}: cannot import it: {type(error).__name__}: {error}") from None


def _analyze(path: str, options) -> tuple[Analysis, list[Diagnostic], Config]:
    """Check one spec with the command line's options and its project's configuration; the diagnostics
    to report (suppressions and --select/--ignore applied, -W error honoured)."""
    from .selection import apply, checked_spans
    config = _config(path, options)
    _load_plugins(options, config)
    allow = options.allow_outside_imports or config.settings.allow_outside_imports
    analysis = analyze(read_spec(path), options.network, _overrides(options.param), allow_outside_imports=allow,
                       sizes=_sizes(options.sizes))
    # An unused suppression is only certain when every network was checked with its own parameters.
    complete = analysis.ok and options.network is None and not options.param
    commented = "netdsl:" in analysis.source.text  # (walking a huge network's blocks only when needed)
    found = apply(analysis.diagnostics.sorted(), analysis.source, _selection(options, config),
                  checked_spans(analysis.networks) if complete and commented else ())
    return analysis, [d.as_error() for d in found] if options.warnings == "error" else found, config


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _errors(diagnostics: list[Diagnostic]) -> int:
    return sum(d.severity.value == "error" for d in diagnostics)


def _emit(diagnostics: list[Diagnostic], options, config: Config) -> None:
    """Diagnostics of a command whose output is something else (build, render, summary): on stderr."""
    from .diagnostics import render_human
    color = use_color(options.color, sys.stderr, config)
    sys.stderr.write("".join(render_human(d, color) + "\n" for d in diagnostics))


# ---------------------------------------------------------------- commands

def run_check(options) -> int:
    from .formats import FileDiagnostics, render
    if options.fix:
        from .fixes import fix_file
        for path in options.files:
            for line in fix_file(path, lambda p: _analyze(p, options)[0]):
                sys.stdout.write(line + "\n")
    checked, unreadable = [], 0
    for path in _each_spec(options.files):
        try:
            if isinstance(path, InputError):
                raise path
            checked.append(_check_file(path, options))
        except InputError as error:
            _input_error(error)
            unreadable += 1
    errors = sum(_errors(found) for _, found in checked)
    if options.format == "json":
        from .report import CheckReport, file_model
        files = [file_model(analysis, found) for analysis, found in checked]
        sys.stdout.write(CheckReport(ok=not errors, files=files).model_dump_json(indent=2) + "\n")
    elif options.format == "sarif":
        sys.stdout.write(render("sarif", [FileDiagnostics(a.source.path, found) for a, found in checked]))
    elif options.format in ("human", "short"):
        _tally(checked, errors, unreadable)
    return max(EXIT_USAGE if unreadable else EXIT_OK, EXIT_SPEC_ERROR if errors else EXIT_OK)


def _each_spec(arguments: list[str]):
    """The specs the arguments name, in order, or the InputError of an argument that names none."""
    for argument in arguments:
        try:
            yield from spec_paths(argument)
        except InputError as error:
            yield error


def _check_file(path: str, options) -> tuple[Analysis, list[Diagnostic]]:
    """Check one spec; line formats are written as each file is done, whole documents at the end."""
    from .formats import FileDiagnostics, is_report, render
    analysis, found, config = _analyze(path, options)
    if options.format not in ("json", "sarif"):
        stream = sys.stdout if is_report(options.format) else sys.stderr
        stream.write(render(options.format, [FileDiagnostics(analysis.source.path, found)],
                            color=use_color(options.color, stream, config)))
    if options.shapes and options.format in ("human", "short") and not _errors(found):
        from .summary import format_shapes
        sys.stdout.write("".join(format_shapes(n) for n in analysis.networks))
    if options.format in ("human", "short") and not _errors(found):
        from .accepted import format_accepted
        for network in analysis.networks:
            accepted = analysis.accepted.get(network.graph.name)
            if accepted is not None and accepted.restricted:
                sys.stdout.write(format_accepted(network, accepted))
    return analysis, found


def _input_error(error: InputError) -> int:
    sys.stderr.write(f"netdsl: error: {error}\n")
    return EXIT_USAGE


def _tally(checked: list[tuple[Analysis, list[Diagnostic]]], errors: int, unreadable: int) -> None:
    warnings = sum(len(found) for _, found in checked) - errors
    tail = f", {_count(warnings, 'warning')}" if warnings else ""
    unread = f"{_count(unreadable, 'file')} could not be read" if unreadable else ""
    if errors:
        sys.stderr.write(f"error: {_count(errors, 'error')}{tail} in {_count(len(checked), 'file')}"
                         + (f"; {unread}" if unread else "") + "\n")
        return
    if checked:
        networks = sum(len(a.networks) for a, _ in checked)
        params = sum(n.params for a, _ in checked for n in a.networks)
        sys.stdout.write(f"ok: {_count(networks, 'network')}, {_count(params, 'parameter')}{tail}\n")
    if unread and checked:  # (alone, each file's own line says it all)
        sys.stderr.write(f"error: {unread}\n")


def _render_target(options) -> tuple[str, str]:
    """(where to write, format): -o's path or `-`, else the spec's own name with the format's extension."""
    from pathlib import Path

    from .render import output_format
    if options.output == STDIN:
        return STDIN, options.image_format or "svg"
    if options.output:
        return options.output, output_format(options.output, options.image_format)
    if options.file == STDIN:
        raise InputError("a spec read from standard input has no name to draw beside: "
                         "give -o FILE, or -o - to write to standard output")
    fmt = options.image_format or "svg"
    return str(Path(options.file).with_suffix(f".{fmt}")), fmt


def run_render(options) -> int:
    # render imports graphviz: keep it off the `check` path
    from .output import write_output
    from .render import draw
    output, fmt = _render_target(options)
    analysis, found, config = _analyze(options.file, options)
    _emit(found, options, config)
    errors = _errors(found)
    if options.network is None and len(analysis.networks) > 1:
        names = ", ".join(n.graph.name for n in analysis.networks)
        raise InputError(f"{options.file} has several networks ({names}); choose one with -n NAME")
    checked = analysis.network(options.network)
    if checked is None:  # the spec did not get as far as a checked network: nothing to draw
        if not errors:
            raise InputError(f"{options.file} has no network to draw")
        sys.stderr.write(f"error: {_count(errors, 'error')}; nothing to draw\n")
        return EXIT_SPEC_ERROR
    data = draw(checked, fmt, depth=options.depth, rankdir=options.rankdir, collapse_repeats=options.collapse_repeats,
                dpi=options.dpi, diagnostics=found)
    if output == STDIN:
        sys.stdout.buffer.write(data)
    else:
        write_output(output, data, _spec_files(analysis))
    if errors:
        sys.stderr.write(f"error: {_count(errors, 'error')}; "
                         f"drew {output} with the failing layers in red\n")
        return EXIT_SPEC_ERROR
    if not options.output:
        sys.stderr.write(f"netdsl: wrote {output}\n")
    return EXIT_OK


def _depth(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a block depth (0, 1, 2, ...), got {text!r}")
    return int(text)


def _spec_files(analysis: Analysis) -> list[str]:
    """The spec and the files it imports: what `-o` must never overwrite."""
    return [analysis.source.path, *(s.path for s in (analysis.program.scopes if analysis.program else ()))]


def _checked(options) -> Analysis | None:
    """The spec's analysis with its checked networks (or the one chosen with -n); None after reporting
    its errors."""
    analysis, found, config = _analyze(options.file, options)
    _emit(found, options, config)
    errors = _errors(found)
    if errors:
        sys.stderr.write(f"error: {_count(errors, 'error')}\n")
        return None
    if not analysis.networks:
        raise InputError(f"{options.file} has no network")
    return analysis


def run_build(options) -> int:
    from .codegen import generate
    from .output import write_output
    analysis = _checked(options)
    if analysis is None:
        return EXIT_SPEC_ERROR
    source = generate(analysis.networks, analysis_path(options.file), analysis.program).source
    if options.output and options.output != STDIN:
        write_output(options.output, source.encode("utf-8"), _spec_files(analysis))
    else:
        sys.stdout.write(source)
    return EXIT_OK


def analysis_path(path: str) -> str:
    """The name a spec goes by in generated code and reports."""
    return "<stdin>" if path == STDIN else path


SUMMARY_VERSION = 1


def run_summary(options) -> int:
    from .summary import SummaryError, format_summary, summary_dict
    analysis = _checked(options)
    if analysis is None:
        return EXIT_SPEC_ERROR
    networks = analysis.networks
    try:
        if options.format == "json":
            import json
            document = {"version": SUMMARY_VERSION, "file": analysis_path(options.file),
                        "networks": [summary_dict(n, options.batch, options.dtype) for n in networks]}
            sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
        else:
            sys.stdout.write("\n".join(format_summary(n, options.batch, options.dtype) for n in networks))
    except SummaryError as error:
        raise InputError(str(error)) from None
    return EXIT_OK


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 1 <= int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"expected a positive 64-bit integer, got {text!r}")
    return int(text)


def run_layers(options) -> int:
    from .layer_reference import describe, format_kind
    from .registry import all_kinds
    from .suggest import nearest
    kinds = all_kinds()
    for name in options.kinds:
        if name not in kinds:
            suggestion = nearest(name, kinds)
            raise InputError(f"no layer kind `{name}`" + (f"; did you mean `{suggestion}`?" if suggestion else
                                                          " (netdsl layers lists them all)"))
    chosen = [kinds[name] for name in (options.kinds or sorted(kinds))]
    if options.format == "json":
        import json
        sys.stdout.write(json.dumps({"version": 1, "layers": [describe(k) for k in chosen]}, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(format_kind(k) for k in chosen))
    return EXIT_OK


def run_diff(options) -> int:
    from .diff import compare, format_human, format_json, format_markdown
    if options.rev is not None:
        if options.new is not None:
            raise InputError("diff: give either two files, or one file and --rev")
        old_label, new_label = f"{options.old}@{options.rev}", options.old
        old = _analyze_revision(options.old, options.rev, options)
        new_path = options.old
    else:
        if options.new is None:
            raise InputError("diff: give two files (OLD NEW), or one file and --rev REV")
        old_label, new_label, new_path = options.old, options.new, options.new
        old = _analyze(options.old, options)
    new = _analyze(new_path, options)
    failed = False
    for analysis, found, config in (old, new):
        _emit(found, options, config)
        failed = failed or bool(_errors(found))
    if failed:
        sys.stderr.write("error: cannot compare specs with errors\n")
        return EXIT_SPEC_ERROR
    difference = compare(old[0].networks, new[0].networks, old_label, new_label)
    if options.format == "json":
        sys.stdout.write(format_json(difference))
    elif options.format == "markdown":
        sys.stdout.write(format_markdown(difference))
    else:
        sys.stdout.write(format_human(difference, color=use_color(options.color, sys.stdout, new[2])))
    return EXIT_SPEC_ERROR if options.exit_code and difference.changed else EXIT_OK


def _analyze_revision(path: str, revision: str, options):
    """The spec as it was at a git revision: its directory (where its imports live) is exported from
    git into a temporary directory and checked there."""
    import tempfile
    from pathlib import Path

    from .diff import export_revision
    with tempfile.TemporaryDirectory(prefix="netdsl-diff-") as directory:
        copy = export_revision(path, revision, Path(directory))
        return _analyze(str(copy), options)


def run_explain(options) -> int:
    from . import codes
    from .suggest import nearest
    if options.all:
        sys.stdout.write(codes.markdown())
        return EXIT_OK
    if options.code is None:
        raise InputError("explain needs a code such as E0410, or --all")
    entry = codes.lookup(options.code)
    if entry is None:
        close = nearest(options.code.strip().upper(), codes.CATALOGUE)
        raise InputError(f"unknown code {options.code!r}" + (f"; did you mean {close}?" if close else
                         "; codes look like E0410 or W0101 (`netdsl explain --all` lists them)"))
    sys.stdout.write(codes.explain(entry))
    return EXIT_OK


def run_fmt(options) -> int:
    from .diagnostics import CompileError
    from .formatter import format_file
    changed = failed = 0
    for path in options.files:
        try:
            before, after = format_file(path, write=not (options.check or options.diff))
        except CompileError as error:
            _emit([error.diagnostic], options, _config(path, options))
            failed += 1
            continue
        if before == after:
            continue
        changed += 1
        if options.diff:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                                       path, f"{path} (formatted)"))
        if options.check:
            sys.stderr.write(f"would reformat {path}\n")
        elif not options.diff:
            sys.stdout.write(f"reformatted {path}\n")
    return EXIT_SPEC_ERROR if failed or (options.check and changed) else EXIT_OK


def run_lsp(options) -> int:
    from .lsp.server import serve
    serve()
    return EXIT_OK


def run_completion(options) -> int:
    from .completion import script
    sys.stdout.write(script(options.shell, build_parser()))
    return EXIT_OK


# ---------------------------------------------------------------- the parser

def _spec_argument(action: argparse.Action) -> argparse.Action:
    action.complete = "spec"  # read by netdsl/completion.py: complete .net files and directories
    return action


def _file_argument(action: argparse.Action) -> argparse.Action:
    action.complete = "file"
    return action


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--network", help="the network to use when a file has several")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a network parameter (repeatable)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import a Python module that registers layer kinds (repeatable)")
    parser.add_argument("--allow-outside-imports", action="store_true",
                        help="let imports reach outside the spec's directory")
    parser.add_argument("--input", dest="sizes", action="append", default=[], metavar="NAME=SIZE[,...]",
                        help="fix symbols of the input shapes, e.g. --input H=256,W=256 (repeatable)")
    parser.add_argument("-W", dest="warnings", choices=["error"], help="-W error: treat warnings as errors")
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="report only warnings with these codes or prefixes (W01,W0104; errors are always "
                             "reported); overrides `select` in pyproject.toml")
    parser.add_argument("--ignore", action="append", metavar="CODES",
                        help="do not report warnings with these codes or prefixes; overrides `ignore` in "
                             "pyproject.toml")
    parser.add_argument("--isolated", action="store_true", help="ignore [tool.netdsl] in pyproject.toml files")
    parser.add_argument("--color", choices=["auto", "always", "never"],
                        help="colour diagnostics (default: on a terminal, unless NO_COLOR is set; "
                             "FORCE_COLOR forces it)")


def _import_command(commands) -> None:
    """`netdsl import`: an existing PyTorch model → a spec (netdsl.importing; needs torch)."""
    parser = commands.add_parser("import", help="write the spec of an existing PyTorch nn.Module (needs torch)")
    parser.add_argument("target", metavar="TARGET",
                        help="path/to/file.py:name or package.module:name: an nn.Module, a class constructed "
                             "without arguments, or a function returning a module")
    parser.add_argument("--input", dest="shapes", action="append", required=True, metavar="SHAPE",
                        help="the shape of forward's input, e.g. '[N, 3, 224, 224]' (once per input)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the spec to FILE (default: stdout); nothing is written when the import fails")
    parser.add_argument("--name", help="the network's name (default: TARGET's name)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import a Python module that registers layer kinds (repeatable)")

    def run(options) -> int:
        from .importing.command import run_import
        _load_plugins(options, DEFAULT)
        return EXIT_OK if run_import(options) else EXIT_SPEC_ERROR
    parser.set_defaults(run=run, format="human")


def _check_command(commands) -> None:
    check = commands.add_parser("check", help="check shapes and report mistakes")
    _spec_argument(check.add_argument("files", nargs="+", metavar="FILE",
                                      help="specs, directories (searched for *.net) or - for standard input"))
    check.add_argument("--shapes", action="store_true", help="print every layer with its output shape")
    check.add_argument("--format", choices=["human", "short", "json", "github", "sarif"], default="human",
                       help="human (default, on stderr), or on stdout: short (file:line:col lines), json, "
                            "github (GitHub Actions annotations), sarif (SARIF 2.1.0, for code scanning)")
    check.add_argument("--fix", action="store_true", help="apply the fixes diagnostics offer, then check again")
    _common(check)
    check.set_defaults(run=run_check)


def _render_command(commands) -> None:
    render = commands.add_parser("render", help="draw a network: an image, Mermaid, or an interactive HTML page")
    _spec_argument(render.add_argument("file", metavar="FILE", help="the spec, or - for standard input"))
    _file_argument(render.add_argument(
        "-o", "--output", metavar="OUT",
        help="the file to write, - for standard output; its extension (.svg .png .pdf .dot .mmd .md .html) picks "
             "the format (default: the spec's name with the format's extension, beside it)"))
    render.add_argument("--format", dest="image_format", choices=["svg", "png", "pdf", "dot", "mermaid", "html"],
                        help="the output format, whatever the extension (default svg; svg, png and pdf need "
                             "Graphviz's `dot`)")
    render.add_argument("--depth", type=_depth, metavar="K",
                        help="draw blocks nested deeper than K as single nodes (0: every block is one node); "
                             "the HTML page starts so and opens them on a click")
    render.add_argument("--collapse-repeats", action=argparse.BooleanOptionalAction, default=None,
                        help="draw each repeat `(...) * n` as one node \"× n\" (default: only from depth K on)")
    render.add_argument("--rankdir", choices=["TB", "LR"], default="TB",
                        help="layout direction: top to bottom (default) or left to right")
    render.add_argument("--dpi", type=_positive, default=144, help="PNG resolution (default 144)")
    _common(render)
    render.set_defaults(run=run_render)


def _build_command(commands) -> None:
    build = commands.add_parser("build", help="generate a PyTorch module (Python source) from a spec")
    _spec_argument(build.add_argument("file", metavar="FILE", help="the spec, or - for standard input"))
    _file_argument(build.add_argument("-o", "--output", metavar="OUT",
                                      help="write the source to OUT (default, or -: standard output)"))
    _common(build)
    build.set_defaults(run=run_build)


def _summary_command(commands) -> None:
    summary = commands.add_parser("summary", help="a layer table with parameters, MACs and memory")
    _spec_argument(summary.add_argument("file", metavar="FILE", help="the spec, or - for standard input"))
    summary.add_argument("--batch", type=_positive,
                         help="the batch size, for inputs whose leading dim is a symbol (default 1)")
    summary.add_argument("--dtype", choices=["float32", "float16", "bfloat16", "float64", "int8"],
                         default="float32", help="the element type for memory sizes (default float32)")
    summary.add_argument("--format", choices=["human", "json"], default="human")
    _common(summary)
    summary.set_defaults(run=run_summary)


def _diff_command(commands) -> None:
    diff = commands.add_parser("diff", help="what changed between two versions of a spec, layer by layer")
    _spec_argument(diff.add_argument("old", metavar="OLD", help="the old spec (or the spec, with --rev)"))
    _spec_argument(diff.add_argument("new", metavar="NEW", nargs="?", help="the new spec"))
    diff.add_argument("--rev", metavar="REV", help="compare OLD as it was at git revision REV with the file now")
    diff.add_argument("--format", choices=["human", "json", "markdown"], default="human",
                      help="human (default), json, or markdown (for a pull-request comment)")
    diff.add_argument("--exit-code", action="store_true", help="exit with 1 when the specs differ (as git diff)")
    _common(diff)
    diff.set_defaults(run=run_diff)


def _layers_command(commands) -> None:
    layers = commands.add_parser("layers", help="list the layer kinds and their arguments")
    layers.add_argument("kinds", nargs="*", metavar="KIND", help="only these kinds")
    layers.add_argument("--format", choices=["human", "json"], default="human")
    layers.set_defaults(run=run_layers)


def _fmt_command(commands) -> None:
    fmt = commands.add_parser("fmt", help="lay specs out in the canonical format (in place)")
    _spec_argument(fmt.add_argument("files", nargs="+", metavar="FILE"))
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    fmt.add_argument("--diff", action="store_true", help="change nothing; print what would change as a diff")
    fmt.add_argument("--color", choices=["auto", "always", "never"])
    fmt.add_argument("--isolated", action="store_true", help="ignore [tool.netdsl] in pyproject.toml files")
    fmt.set_defaults(run=run_fmt)


def _lsp_command(commands) -> None:
    lsp = commands.add_parser("lsp", help="run the language server (LSP over stdin/stdout) for editors")
    lsp.set_defaults(run=run_lsp)


def _explain_command(commands) -> None:
    explain = commands.add_parser("explain", help="explain a diagnostic code, with an example and its fix")
    explain.add_argument("code", nargs="?", metavar="CODE")
    explain.add_argument("--all", action="store_true", help="every code, as Markdown (docs/codes.md)")
    explain.set_defaults(run=run_explain)


def _completion_command(commands) -> None:
    completion = commands.add_parser("completion", help="print a shell completion script (bash, zsh or fish)")
    completion.add_argument("shell", choices=["bash", "zsh", "fish"])
    completion.set_defaults(run=run_completion)


# Each subcommand's parser, in the order `netdsl --help` lists them.
COMMANDS = {"check": _check_command, "render": _render_command, "build": _build_command,
            "summary": _summary_command, "diff": _diff_command, "layers": _layers_command, "fmt": _fmt_command,
            "lsp": _lsp_command, "explain": _explain_command, "completion": _completion_command,
            "import": _import_command}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; given `command`, with only that subcommand's parser: all that parsing
    its command line consults (argparse never looks at another subcommand's), and a cold `netdsl check`
    does not pay for building the other ten."""
    parser = argparse.ArgumentParser(prog="netdsl", description="Check, compile and draw PyTorch model specs.")
    parser.add_argument("--version", action="version", version=f"netdsl {__version__}")
    # prog: the subcommands' usage prefix, which argparse would otherwise find by formatting a usage line
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", prog=parser.prog)
    for name, add in COMMANDS.items():
        if command in (None, name):
            add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Only a command line that starts with a command's name is parsed by that command's parser alone:
    # `netdsl --help`, `netdsl -h check`, a mistyped or missing command all get the whole parser.
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    options = parser.parse_args(argv)
    try:
        return options.run(options)
    except InputError as error:
        return _input_error(error)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except RecursionError:
        sys.stderr.write("netdsl: error: the spec is nested too deeply to process\n")
        return EXIT_SPEC_ERROR
    except Exception as error:  # a bug in netdsl, never the user's fault
        sys.stderr.write(f"netdsl: internal error: {type(error).__name__}: {error}\n"
                         f"This is a bug in netdsl; please report it at {ISSUES_URL} with the spec that caused it.\n")
        if os.environ.get("NETDSL_DEBUG"):
            raise
        return EXIT_INTERNAL
