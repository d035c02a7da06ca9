"""`netdsl fmt`: idempotent, meaning-preserving (the checked graph is the same), comments kept, over
every spec in the repository and over fuzzed specs; and the CLI's --check / --diff / in-place modes."""

import os
import re

import pytest
from conftest import ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import SPECS, mutated_specs

import netdsl
from netdsl.diagnostics import CompileError
from netdsl.formatter import format_text
from netdsl.shapes import format_shape
from netdsl.tokens import lex

ALL_SPECS = sorted(ROOT.glob("specs/**/*.net"))
EXAMPLES = int(os.environ.get("NETDSL_FUZZ_EXAMPLES", "700")) // 2
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def graph(checked) -> tuple:
    """What a network means: every node's name, kind, arguments, inputs, shape and parameters (no spans)."""
    nodes = []
    for layer in checked.layers:
        node = layer.node
        args = sorted(node.args.items()) if node.block is not None else node.args
        nodes.append((node.name, node.kind, repr(args), node.inputs, format_shape(layer.shape), layer.params,
                      graph(layer.inner) if layer.inner is not None else None))
    return checked.graph.name, tuple(nodes), format_shape(checked.output_shape)


def meaning(text: str) -> tuple:
    analysis = netdsl.check_text(text, str(ROOT / "specs" / "fuzz.net"))
    return [graph(n) for n in analysis.networks], [(d.code, d.message) for d in analysis.diagnostics.sorted()]


def comments(text: str) -> list[str]:
    return [t.text for t in lex(text) if t.kind == "comment"]


def assert_formats_well(text: str) -> None:
    try:
        formatted = format_text(text)
    except CompileError:
        return  # does not parse: nothing to format (fmt reports the syntax error)
    assert format_text(formatted) == formatted, "formatting twice changes the text"
    assert meaning(formatted) == meaning(text)
    assert comments(formatted) == comments(text)
    assert all(line == line.rstrip() and "\t" not in line for line in formatted.splitlines())


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_formats_idempotently_and_keeps_its_meaning(path):
    text = path.read_text()
    assert_formats_well(text)
    if path.parent.name == "specs":
        assert meaning(format_text(text))[0], "a valid spec checks to networks"


GAPS = [" ", "  ", "\n", "\n        ", "\n\n\n", "  # note\n", "\t"]


@st.composite
def relaid_specs(draw):
    """A spec's tokens joined by random whitespace, line breaks and comments: the same program."""
    tokens = lex(draw(st.sampled_from(SPECS)))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(tokens), max_size=len(tokens)))
    return "".join(t.text + ("\n" if t.kind == "comment" else gap) for t, gap in zip(tokens, gaps))


@fuzz
@given(relaid_specs())
def test_relaid_specs_format_to_the_original_layout_rules(text):
    assert_formats_well(text)


@fuzz
@given(mutated_specs())
def test_mutated_specs_format_well(text):
    assert_formats_well(text)


def test_the_canonical_layout():
    ugly = ("# header\nimport \"lib.net\"\nfrom   \"lib.net\" import  A,B\n"
            "network M(a:int=3,b :float= 0.5) { input x: [N, 4]  x -> linear(2) -> output }\n"
            "# about Q\n\n\nblock Q(c: int,\n        d: int = 2) {   # header\n  input x\n  # own line\n"
            "  y = x->linear( c , bias = false )->relu ->  # after\n     dropout(p=-0.5)\n"
            "  z = - y + y*2 -(y)   # z\n  q,r = z -> chunk( 2 , dim = -1 )\n"
            "  output (q -> relu) @ r -> (linear(c) -> relu) * 2 -> fc: linear(d) -> linear(1000) -> linear(1000)"
            " -> linear(1000) -> relu\n\n}\n")
    assert format_text(ugly) == (
        "# header\nimport \"lib.net\"\nfrom \"lib.net\" import A, B\n\n"
        "network M(a: int = 3, b: float = 0.5) {\n    input x: [N, 4]\n    x -> linear(2) -> output\n}\n"
        "# about Q\n\n"
        "block Q(c: int,\n    d: int = 2) {       # header\n    input x\n    # own line\n"
        "    y = x -> linear(c, bias=false) -> relu    # after\n          -> dropout(p=-0.5)\n"
        "    z = -y + y * 2 - (y)  # z\n    q, r = z -> chunk(2, dim=-1)\n"
        "    output (q -> relu) @ r -> (linear(c) -> relu) * 2 -> fc: linear(d) -> linear(1000)\n"
        "                           -> linear(1000) -> linear(1000) -> relu\n}\n")


def test_line_breaks_are_never_removed():
    """Once newlines end statements (#15), joining lines could join statements: fmt keeps every break."""
    text = "network M() {\n    input x: [N, 4]\n    y = x\n    (y) -> output\n}\n"
    assert re.search(r"y = x\n *\(y\) -> output\n", format_text(text))  # today one statement: `x(y)`
    assert len(re.findall(r"\n", format_text("network M() { input x: [N, 4]\n x -> linear(2,\n 3) -> output }"))) >= 3


def test_fmt_check_diff_and_in_place(tmp_path, capsys):
    spec = tmp_path / "lenet.net"
    original = (ROOT / "specs/lenet.net").read_text()
    spec.write_text(original)
    code, out, err = run_cli(capsys, "fmt", "--check", str(spec))
    assert code == 1 and f"would reformat {spec}" in err and spec.read_text() == original
    code, out, err = run_cli(capsys, "fmt", "--diff", str(spec))
    assert code == 0 and "-    x -> conv2d(6, kernel=5)  -> relu" in out and spec.read_text() == original
    code, out, err = run_cli(capsys, "fmt", str(spec))
    assert code == 0 and out == f"reformatted {spec}\n"
    assert spec.read_text() == format_text(original)
    assert run_cli(capsys, "fmt", "--check", str(spec))[0] == 0


def test_fmt_reports_a_syntax_error(capsys):
    code, _, err = run_cli(capsys, "fmt", "--check", "specs/errors/missing_paren.net")
    assert code == 1 and "error[E0116]" in err
