"""The accepted-sizes analysis agrees with the concrete checker: a size is accepted symbolically exactly
when checking the network with that size passes.

Every spec in specs/ is made symbolic in one spatial dim at a time (its other dims keep their sizes)
and compared on every size from 1 to 512; hypothesis builds random chains of convolutions, pools
(ceil_mode included), transposed convolutions, upsampling and concats and compares them the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netdsl
from netdsl import syntax as ast
from netdsl.accepted import accepted_sizes
from netdsl.checker import check
from netdsl.diagnostics import Diagnostics
from netdsl.lower import lower
from netdsl.parser import parse
from netdsl.program import load_program
from netdsl.source import SourceFile

SIZES = range(1, 513)


_PROGRAMS: dict[str, object] = {}


def _concrete_ok(source: SourceFile, network: str, sizes: dict[str, int]) -> bool:
    """The plain concrete check with the symbol fixed: no accepted-sizes analysis involved."""
    if source.text not in _PROGRAMS:   # parsed once; lowered and checked at every size
        _PROGRAMS.clear()
        _PROGRAMS[source.text] = load_program(source, Diagnostics())
    diagnostics = Diagnostics()
    graph = lower(_PROGRAMS[source.text], network, {}, diagnostics, sizes)
    if graph is not None:
        check(graph, diagnostics)
    return not diagnostics.has_errors


def _symbolic_variants(path: Path):
    """(network, symbolic source text, symbol) for each spatial dim of each network input: the integer
    at dim index ≥ 2 of an input shape replaced by a symbol."""
    text = path.read_text()
    module = parse(SourceFile(str(path), text))
    for definition in module.definitions:
        if definition.kind != "network":
            continue
        for statement in definition.body:
            if not isinstance(statement, ast.InputStmt):
                continue
            for decl in statement.decls:
                dims = decl.shape.dims if decl.shape else ()
                for index, dim in enumerate(dims):
                    if index >= 2 and isinstance(dim, ast.Literal) and type(dim.value) is int:
                        name = f"S{index}"
                        yield (definition.name.name, text[:dim.span.start] + name + text[dim.span.end:], name,
                               dim.value)


SPECS = sorted(p for p in (ROOT / "specs").glob("*.net"))
VARIANTS = [(p, *v) for p in SPECS for v in _symbolic_variants(p)]


@pytest.mark.parametrize("path, network, text, name, original", VARIANTS,
                         ids=[f"{p.stem}-{n}-{s}" for p, n, _, s, _ in VARIANTS])
def test_accepted_sizes_of_every_spec_agree_with_the_concrete_check(path, network, text, name, original):
    source = SourceFile(str(path), text)
    analysis = netdsl.check_text(text, str(path), network)
    weights = [d for d in analysis.diagnostics.sorted() if d.code == "E0405"]
    if weights:   # a layer's weights depend on the size: one network per size, so netdsl asks to fix it
        assert all(name in d.message and "adaptive pooling" in d.help
                   for d in weights)
        return
    assert analysis.ok, analysis.diagnostics.sorted()
    accepted = analysis.accepted[network]
    answer = accepted.answer(name)
    assert answer is not None or name in accepted.free
    allowed = answer.sizes if answer is not None else SIZES   # a free symbol: every size
    assert allowed is not None, "the answer is determined"
    assert original in allowed, "the spec's own size is accepted"
    disagree = [k for k in SIZES if (k in allowed) != _concrete_ok(source, network, {name: k})]
    assert not disagree, f"{accepted.words()} disagrees with the concrete check at {disagree[:10]}"


def test_the_unet_states_what_it_accepts_and_why(capsys):
    from conftest import run_cli
    code, out, _ = run_cli(capsys, "check", "specs/unet.net")
    assert code == 0
    assert out.splitlines()[0] == "UNet accepts H a multiple of 8; W a multiple of 8; any N"
    assert ("H a multiple of 8: `Up` at 22:10, 23:10 and 24:10 and `concat` in `Up` at 12:12; `maxpool2d` at 19:16, "
            "20:16 and 21:20 divide H") in out


# ---------------------------------------------------------------- random chains

@st.composite
def chains(draw):
    """A 1-D network on [N, 4, L]: a main chain of resizing layers, and now and then a concat of a
    tensor with a resized copy of itself."""
    stages = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "pool", "up", "interp", "concat"]))
        if kind == "conv":
            k, s, p = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
            stages.append(f"conv1d(4, {k}, stride={s}, padding={p})")
        elif kind == "pool":
            k = draw(st.integers(1, 4))
            s, p = draw(st.integers(1, 3)), draw(st.integers(0, k // 2))
            ceil = draw(st.booleans())
            stages.append(f"maxpool1d({k}, stride={s}, padding={p}, ceil_mode={'true' if ceil else 'false'})")
        elif kind == "up":
            k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3))
            p, op = draw(st.integers(0, 1)), draw(st.integers(0, s - 1))
            stages.append(f"conv_transpose1d(4, {k}, stride={s}, padding={p}, output_padding={op})")
        elif kind == "interp":
            stages.append(f"upsample(scale_factor={draw(st.sampled_from([2, 3, 0.5, 1.5]))})")
        else:
            inner = draw(st.sampled_from(["maxpool1d(2) -> upsample(scale_factor=2)",
                                          "conv1d(4, 3, stride=2) -> conv_transpose1d(4, 2, stride=2)",
                                          "conv1d(4, 3, padding=1)"]))
            stages.append(("concat", inner))
    lines, current = ["network Chain() {", "    input x: [N, 4, L]"], "x"
    for index, stage in enumerate(stages):
        name = f"t{index}"
        if isinstance(stage, tuple):
            lines.append(f"    s{index} = {current} -> {stage[1]}")
            lines.append(f"    {name} = concat({current}, s{index}, dim=1) -> conv1d(4, 1)")
        else:
            lines.append(f"    {name} = {current} -> {stage}")
        current = name
    lines += [f"    output {current}", "}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=chains())
def test_accepted_sizes_of_random_chains_agree_with_the_concrete_check(text):
    source = SourceFile("chain.net", text)
    diagnostics = Diagnostics()
    program = load_program(source, diagnostics)
    checked = check(lower(program, "Chain", {}, diagnostics), diagnostics)
    if diagnostics.has_errors:   # a definite error: no size may pass
        assert not any(_concrete_ok(source, "Chain", {"L": k}) for k in range(1, 129))
        return
    answer = accepted_sizes(checked).answer("L")
    if answer is None:   # nothing constrains L: every size passes
        assert all(_concrete_ok(source, "Chain", {"L": k}) for k in range(1, 129))
        return
    assert answer.sizes is not None, answer.unknown
    disagree = [k for k in range(1, 257) if (k in answer.sizes) != _concrete_ok(source, "Chain", {"L": k})]
    assert not disagree, f"{answer.words()} disagrees at {disagree[:10]}\n{text}"
