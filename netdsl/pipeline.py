"""The stages run in order for one spec: load → lower → check. Every command starts here."""

from __future__ import annotations

import gc
from dataclasses import field
from typing import TYPE_CHECKING

from . import codes, records
from .accepted import (
    Accepted,
    accepted_sizes,
    explain_counterexample,
    explain_rejection,
    rejected_sizes,
    report_accepted,
)
from .checker import CheckedGraph, check
from .diagnostics import Diagnostics, Severity
from .lint import lint
from .lower import lower
from .program import Program, load_program
from .source import SourceFile
from .suggest import nearest

if TYPE_CHECKING:
    from pathlib import Path


@records.record
class Analysis:
    source: SourceFile
    program: Program | None
    networks: list[CheckedGraph] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    accepted: dict[str, Accepted] = field(default_factory=dict)   # network → the input sizes it accepts

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors

    def network(self, name: str | None = None) -> CheckedGraph | None:
        return next((n for n in self.networks if name is None or n.graph.name == name), None)


def analyze(source: SourceFile, network: str | None = None, overrides: dict[str, object] | None = None, *,
            allow_outside_imports: bool = False, sizes: dict[str, int] | None = None,
            base_dir: str | Path | None = None) -> Analysis:
    """Parse, lower and check every network in source (or only `network`). `sizes` fixes symbols of
    the networks' input shapes (`--input H=256`); they must be sizes the network accepts. Imports
    resolve against base_dir (see program.load_program)."""
    # Every stage allocates many small, acyclic, long-lived objects: the cyclic garbage collector only
    # rescans them (about a third of the time on a 10,000-layer spec; docs/benchmarks.md).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(source, network, overrides, allow_outside_imports, sizes or {}, base_dir)
    finally:
        if gc_was_enabled:
            gc.enable()


def _errors_at(program: Program, name: str, given: dict[str, object], sizes: dict[str, int]):
    """The network checked with some input sizes fixed: (the checked graph, its errors, all diagnostics)."""
    scratch = Diagnostics()
    concrete = check(lower(program, name, given, scratch, sizes), scratch)
    return concrete, [d for d in scratch.items if d.severity is Severity.ERROR], scratch


def _analyze(source: SourceFile, network: str | None, overrides: dict[str, object] | None,
             allow_outside_imports: bool, sizes: dict[str, int], base_dir: str | Path | None) -> Analysis:
    overrides = overrides or {}
    diagnostics = Diagnostics()
    program = load_program(source, diagnostics, allow_outside_imports=allow_outside_imports, base_dir=base_dir)
    analysis = Analysis(source, program, diagnostics=diagnostics)
    if program is None:
        return analysis
    names = list(program.networks)
    if network is not None:
        if network not in names:
            suggestion = nearest(network, names)
            diagnostics.error(codes.E0212, f"`{source.path}` has no network `{network}`", None,
                              help=f"did you mean `{suggestion}`?" if suggestion else
                              f"its networks are: {', '.join(names) or 'none'}")
            return analysis
        names = [network]
    declared = {p.name.name for n in names for p in program.definitions[n].params}
    unknown = [k for k in overrides if k not in declared]
    for name in unknown:
        suggestion = nearest(name, declared)
        diagnostics.error(codes.E0209, f"`-p {name}`: no network in `{source.path}` has a parameter `{name}`", None,
                          help=f"did you mean `{suggestion}`?" if suggestion else
                          f"parameters: {', '.join(sorted(declared)) or 'none'}")
    if unknown:
        return analysis
    for name in names:
        params = {p.name.name for p in program.definitions[name].params}
        given = {k: v for k, v in overrides.items() if k in params}
        # A structure that depends on the sizes `--input` fixes (an `if` on them) is lowered with them.
        fixed = sizes if sizes and _structure_needs(program, name, given) else None
        graph = lower(program, name, given, diagnostics, fixed)
        if graph is None:
            continue
        before = len(diagnostics.items)
        checked = check(graph, diagnostics)
        accepted = accepted_sizes(checked)
        analysis.accepted[name] = accepted
        report_accepted(checked, accepted, diagnostics)
        clean = not any(d.severity is Severity.ERROR for d in diagnostics.items[before:])
        if sizes and not fixed and not clean and rejected_sizes(checked, accepted, sizes, Diagnostics()) is not None:
            # The symbols fail on their own (a linear layer after `flatten` needs fixed sizes): what the user
            # asked about is the network at the sizes given, so that is what is checked and reported.
            checked, _, scratch = _errors_at(program, name, given, sizes)
            diagnostics.items[before:] = scratch.items
            del analysis.accepted[name]   # the symbolic network's, which fails
            analysis.networks.append(checked)
            continue
        for part in accepted.declared if clean else ():
            if part.counterexample and not set(part.counterexample) & set(sizes):
                errors = _errors_at(program, name, given, part.counterexample)[1]
                explain_counterexample(checked, part, accepted, errors, diagnostics)
        rejected = rejected_sizes(checked, accepted, sizes, diagnostics) if sizes and not fixed else None
        if rejected is not None and clean:
            concrete, errors, scratch = _errors_at(program, name, given, sizes)
            if rejected:
                explain_rejection(checked, rejected, sizes, errors, diagnostics)
            else:
                diagnostics.items += scratch.items
                checked = concrete
        analysis.networks.append(checked)
    if diagnostics.has_errors:  # after an error, warnings about what is left would be noise
        diagnostics.items = [d for d in diagnostics.items if d.severity is Severity.ERROR]
    else:
        for checked in analysis.networks:
            lint(checked, diagnostics)
    return analysis


def _structure_needs(program: Program, network: str, given: dict) -> bool:
    """Whether a condition of the network cannot be decided while its input sizes are symbols (E0350)."""
    scratch = Diagnostics()
    graph = lower(program, network, given, scratch)
    if graph is not None:
        check(graph, scratch)
    return any(d.code == codes.E0350.code for d in scratch.items)
