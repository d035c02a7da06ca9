"""The `netdsl` command: argument parsing, output streams and exit codes.

Exit codes: 0 success, 1 a spec has errors, 2 usage or I/O error, 3 internal error (a netdsl bug).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .diagnostics import Diagnostic, render_human, render_short
from .pipeline import Analysis, analyze
from .program import InputError, read_source

EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
ISSUES_URL = "https://github.com/netdsl/netdsl/issues"


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


def _use_color(choice: str, stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if choice == "auto":
        return stream.isatty()
    return choice == "always"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--network", help="the network to use when a file has several")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a network parameter (repeatable)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import a Python module that registers layer kinds (repeatable)")
    parser.add_argument("--allow-outside-imports", action="store_true",
                        help="let imports reach outside the spec's directory")
    parser.add_argument("-W", dest="warnings", choices=["error"], help="-W error: treat warnings as errors")
    parser.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                        help="colour diagnostics (default: on a terminal, unless NO_COLOR is set)")


def _diagnostics(analysis: Analysis, options) -> list[Diagnostic]:
    found = analysis.diagnostics.sorted()
    return [d.as_error() for d in found] if options.warnings == "error" else found


def _emit(diagnostics: list[Diagnostic], options) -> None:
    color = _use_color(options.color, sys.stderr)
    for diagnostic in diagnostics:
        text = render_short(diagnostic) if options.format == "short" else render_human(diagnostic, color) + "\n"
        sys.stderr.write(text)


def _load_plugins(options) -> None:
    from .registry import load_plugin
    for module in options.plugin:
        try:
            load_plugin(module)
        except Exception as error:  # noqa: BLE001 — `''`, `.x` and a plugin's own failure are all usage errors
            raise InputError(f"--plugin {module or repr(module)}: cannot import it: {type(error).__name__}: {error}") from None


def _analyze(path: str, options) -> Analysis:
    _load_plugins(options)
    return analyze(read_source(path), options.network, _overrides(options.param),
                   allow_outside_imports=options.allow_outside_imports)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def run_check(options) -> int:
    analyses = [(path, _analyze(path, options)) for path in options.files]
    failed = False
    if options.format == "json":
        from .report import CheckReport, file_model
        files = [file_model(a, _diagnostics(a, options)) for _, a in analyses]
        report = CheckReport(ok=all(f.ok for f in files), files=files)
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return EXIT_OK if report.ok else EXIT_SPEC_ERROR
    errors = warnings = networks = params = 0
    for path, analysis in analyses:
        found = _diagnostics(analysis, options)
        _emit(found, options)
        errors += sum(d.severity.value == "error" for d in found)
        warnings += sum(d.severity.value == "warning" for d in found)
        if options.shapes and not any(d.severity.value == "error" for d in found):
            from .summary import format_shapes
            for checked in analysis.networks:
                sys.stdout.write(format_shapes(checked))
        networks += len(analysis.networks)
        params += sum(n.params for n in analysis.networks)
    failed = errors > 0
    if failed:
        sys.stderr.write(f"error: {_count(errors, 'error')}" + (f", {_count(warnings, 'warning')}" if warnings else "")
                         + f" in {_count(len(analyses), 'file')}\n")
    else:
        tail = f", {_count(warnings, 'warning')}" if warnings else ""
        sys.stdout.write(f"ok: {_count(networks, 'network')}, {_count(params, 'parameter')}{tail}\n")
    return EXIT_SPEC_ERROR if failed else EXIT_OK


def run_render(options) -> int:
    # render imports graphviz: keep it off the `check` path
    from .render import output_format, render, save
    fmt = output_format(options.output, options.image_format)
    analysis = _analyze(options.file, options)
    found = _diagnostics(analysis, options)
    _emit(found, options)
    errors = sum(d.severity.value == "error" for d in found)
    if options.network is None and len(analysis.networks) > 1:
        names = ", ".join(n.graph.name for n in analysis.networks)
        raise InputError(f"{options.file} has several networks ({names}); choose one with -n NAME")
    checked = analysis.network(options.network)
    if checked is None:  # the spec did not get as far as a checked network: nothing to draw
        if not errors:
            raise InputError(f"{options.file} has no network to draw")
        sys.stderr.write(f"error: {_count(errors, 'error')}; nothing to draw\n")
        return EXIT_SPEC_ERROR
    save(render(checked, depth=options.depth, rankdir=options.rankdir), options.output, fmt, _spec_files(analysis))
    if errors:
        sys.stderr.write(f"error: {_count(errors, 'error')}; "
                         f"drew {options.output} with the failing layers in red\n")
        return EXIT_SPEC_ERROR
    return EXIT_OK


def _depth(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a block depth (0, 1, 2, ...), got {text!r}")
    return int(text)


def _spec_files(analysis: Analysis) -> list[str]:
    """The spec and the files it imports: what `-o` must never overwrite."""
    return [analysis.source.path, *(s.path for s in (analysis.program.scopes if analysis.program else ()))]


def _checked(options) -> Analysis | None:
    """The analysis of a spec whose networks (or the one chosen with -n) all check; None after reporting
    its errors."""
    analysis = _analyze(options.file, options)
    found = _diagnostics(analysis, options)
    _emit(found, options)
    errors = sum(d.severity.value == "error" for d in found)
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
    source = generate(analysis.networks, options.file).source
    if options.output:
        write_output(options.output, source.encode("utf-8"), _spec_files(analysis))
    else:
        sys.stdout.write(source)
    return EXIT_OK


def run_summary(options) -> int:
    from .summary import format_summary, summary_dict
    analysis = _checked(options)
    if analysis is None:
        return EXIT_SPEC_ERROR
    networks = analysis.networks
    if options.format == "json":
        import json
        documents = [summary_dict(n, options.batch, options.dtype) for n in networks]
        sys.stdout.write(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, allow_nan=False)
                         + "\n")
    else:
        sys.stdout.write("\n".join(format_summary(n, options.batch, options.dtype) for n in networks))
    return EXIT_OK


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 1 <= int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"expected a positive 64-bit integer, got {text!r}")
    return int(text)


def run_layers(options) -> int:
    from .registry import all_kinds
    for name, kind in sorted(all_kinds().items()):
        fields = ", ".join(kind.args.model_fields)
        sys.stdout.write(f"{name:24} {fields}\n{'':24} {kind.doc}\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netdsl", description="Check, compile and draw PyTorch model specs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="check shapes and report mistakes")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--shapes", action="store_true", help="print every layer with its output shape")
    check.add_argument("--format", choices=["human", "short", "json"], default="human")
    _common(check)
    check.set_defaults(run=run_check)

    render = commands.add_parser("render", help="draw a network as a Graphviz diagram (svg, png, pdf or dot)")
    render.add_argument("file", metavar="FILE")
    render.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="the file to write; its extension (.svg .png .pdf .dot) picks the format")
    render.add_argument("--format", dest="image_format", choices=["svg", "png", "pdf", "dot"],
                        help="the output format, whatever the extension (svg, png and pdf need Graphviz's `dot`)")
    render.add_argument("--depth", type=_depth, metavar="K",
                        help="draw blocks nested deeper than K as single nodes (0: every block is one node)")
    render.add_argument("--rankdir", choices=["TB", "LR"], default="TB",
                        help="layout direction: top to bottom (default) or left to right")
    _common(render)
    render.set_defaults(run=run_render, format="human")  # `format` is that of the diagnostics on stderr

    build = commands.add_parser("build", help="generate a PyTorch module (Python source) from a spec")
    build.add_argument("file", metavar="FILE")
    build.add_argument("-o", "--output", metavar="OUT", help="write the source to OUT (default: stdout)")
    _common(build)
    build.set_defaults(run=run_build, format="human")

    summary = commands.add_parser("summary", help="a layer table with parameters, MACs and memory")
    summary.add_argument("file", metavar="FILE")
    summary.add_argument("--batch", type=_positive, default=1, help="the batch size (default 1)")
    summary.add_argument("--dtype", choices=["float32", "float16", "bfloat16", "float64", "int8"],
                         default="float32", help="the element type for memory sizes (default float32)")
    summary.add_argument("--format", choices=["human", "json"], default="human")
    _common(summary)
    summary.set_defaults(run=run_summary)

    layers = commands.add_parser("layers", help="list the layer kinds and their arguments")
    layers.set_defaults(run=run_layers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        return options.run(options)
    except InputError as error:
        sys.stderr.write(f"netdsl: error: {error}\n")
        return EXIT_USAGE
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
