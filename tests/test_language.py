"""The language: grammar, syntax errors in words, expressions, names, and the packaged grammar."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import netdsl
from netdsl import syntax as ast
from netdsl.diagnostics import CompileError
from netdsl.parser import grammar_path, lark_parser, parse
from netdsl.sizes import symbol
from netdsl.source import SourceFile


def test_grammar_has_no_conflicts_in_strict_mode():
    lark_parser(strict=True)  # raises on shift/reduce conflicts and regex collisions


def syntax_error(text: str):
    with pytest.raises(CompileError) as error:
        parse(SourceFile("t.net", text))
    return error.value.diagnostic


@pytest.mark.parametrize("text, message", [
    ("network A() {\n input x: [N, 3]\n x -> linear(3) -> \n}\n", "expected a layer or block name after '->', found '}'"),
    ("network A() {\n x -> conv2d(6, 5 -> relu\n}", "`conv2d(` is not closed"),
    ("network A() {\n x -> linear(6 5) -> relu\n}", "`,` is missing between `6` and `5`"),
    ("network A() {\n x -> relu", "network `A` is not closed at the end of the file"),
    ("network A() { x -> $ }", "unexpected character '$'"),
    ("network A() { input x: [N, 3 }", "`[` is not closed"),
    ("network A() {\n output\n}", "`output` needs its value on the same line"),
])
def test_syntax_errors_speak_in_words(text, message):
    diagnostic = syntax_error(text)
    assert message in diagnostic.message
    assert not re.search(r"\b(RPAR|LPAR|RBRACE|LSQB|RSQB|COMMA|NAME|ARROW|_NL|\$END|__ANON)", diagnostic.message)


def test_end_of_file_points_at_the_last_character():
    diagnostic = syntax_error("network A() {\n x -> relu   \n\n")
    assert diagnostic.span.line_col == (2, 10) and diagnostic.code == "E0103"


def statements(text: str) -> list:
    return list(parse(SourceFile("t.net", text)).definitions[0].body)


def test_a_statement_starting_with_a_parenthesis_is_a_new_statement():
    spec = """network A() {
        input a: [N, 8]
        input b: [N, 8]
        y = a -> relu
        (a + b) -> linear(8) -> output
    }"""
    assign, chain = statements(spec)[2:]
    assert isinstance(assign.value, ast.Chain) and [s.func.name for s in assign.value.stages] == ["relu"]
    assert isinstance(chain, ast.ChainStmt) and isinstance(chain.chain.head, ast.BinOp)
    analysis = netdsl.check_text(spec)
    assert analysis.ok and analysis.network().output_shape == (symbol("N"), 8)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_line_break_continues_a_statement_only_where_it_cannot_end(newline):
    spec = newline.join([
        "network A(c: int = 4) {",
        "    input x: [N, 8]",
        "    h = x                          # a leading `->` continues",
        "",
        "        # a comment line between the two halves",
        "        -> linear(c *",            # inside brackets, and after a trailing operator
        "                  2)",
        "        -> relu",
        "    s = h +",                      # a trailing operator continues
        "        h",
        "      * 2",                        # so does a leading one
        "    p, q =",                       # and a trailing `=`
        "        s -> chunk(2, dim=-1)",
        "    output p + q",
        "}", ""])
    assert [type(s).__name__ for s in statements(spec)] == ["InputStmt", "Assign", "Assign", "Unpack", "OutputStmt"]
    assert shapes(spec)[-1] == (symbol("N"), 4)


def test_a_comment_line_never_continues_a_statement():
    spec = "network A() {\n    input x: [N, 3]\n    y = x -> relu\n    # -> not code\n    # - nor this\n    y -> output\n}"
    assert [type(s).__name__ for s in statements(spec)] == ["InputStmt", "Assign", "ChainStmt"]


def test_statements_share_a_line_when_the_second_starts_with_a_name():
    spec = "network A() { input x: [N, 4]  h = x -> linear(2)  output h }"
    assert [type(s).__name__ for s in statements(spec)] == ["InputStmt", "Assign", "OutputStmt"]


def shapes(text: str, **params) -> list:
    analysis = netdsl.check_text(text, **params)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    return [layer.shape for layer in analysis.network().layers]


def test_arithmetic_on_parameters():
    spec = """network A(c: int = 64, r: int = 16) {
        input x: [N, 16 * 5 * 5]
        x -> linear(c // r) -> linear((c + 1) % 7 * 3) -> linear(-(-3)) -> output
    }"""
    assert [s[-1] for s in shapes(spec)] == [4, 6, 3]


def test_literals_tuples_strings_bools_floats_and_comments():
    spec = """# leading comment
    network A() {  # trailing comment
        input x: [N, 3, 16, 16]
        x -> conv2d(8, (5, 3), padding=(2, 1), bias=false, padding_mode='reflect')
          -> leaky_relu(0.2) -> dropout(p=.5) -> output
    }"""
    assert shapes(spec)[0] == (symbol("N"), 8, 16, 16)


def test_chains_may_span_lines_and_name_intermediates():
    spec = """network A() {
        input x: [N, 8]
        h = x
            -> linear(4)
            -> relu
        out = h -> linear(2)
        output out
    }"""
    assert shapes(spec)[-1] == (symbol("N"), 2)


def test_layer_names_are_deterministic_and_user_names_are_kept():
    analysis = netdsl.check_text("""network A() {
        input x: [N, 8]
        x -> linear(8) -> relu -> head: linear(4) -> relu -> linear(2) -> output
    }""")
    assert [layer.node.name for layer in analysis.network().layers] == ["fc1", "relu1", "head", "relu2", "fc2"]


def test_a_named_repeat_names_its_copies_and_they_build():
    spec = """block B(C: int) { input x: [N, C]  x -> linear(C) -> relu -> output }
    network A() { input x: [N, 8]  x -> blocks: B(8) * 2 -> head: linear(2) -> output }"""
    analysis = netdsl.check_text(spec)
    assert [layer.node.name for layer in analysis.network().layers] == ["blocks1", "blocks2", "head"]
    import torch
    module = netdsl.build_module(spec)
    assert list(module.state_dict()) == [f"{name}.{p}" for name in ("blocks1.fc1", "blocks2.fc1", "head")
                                         for p in ("weight", "bias")]
    assert module(torch.zeros(3, 8)).shape == (3, 2)


def test_a_repeat_name_is_a_layer_name():
    analysis = netdsl.check_text("""block B(C: int) { input x: [N, C]  x -> linear(C) -> output }
    network A() { input x: [N, 8]  x -> head: B(8) * 2 -> head: linear(2) -> output }""")
    assert [d.code for d in analysis.diagnostics.items] == ["E0203"]


def test_several_networks_in_one_file_are_all_checked():
    analysis = netdsl.check_text("network A() { input x: [N, 4]  x -> linear(2) -> output }\n"
                                 "network B() { input x: [N, 4]  x -> linear(3) -> output }\n")
    assert [n.graph.name for n in analysis.networks] == ["A", "B"]


def test_float_parameters_accept_integers_and_overrides_are_typed():
    spec = "network A(p: float = 1, n: int = 3) { input x: [N, 4]  x -> dropout(p / 2) -> linear(n) -> output }"
    assert netdsl.check_text(spec).ok
    assert netdsl.check_text(spec, n=5).network().output_shape == (symbol("N"), 5)
    assert not netdsl.check_text(spec, n=2.5).ok


def test_python_keywords_cannot_name_layers():
    analysis = netdsl.check_text("network A() { input x: [N, 4]  x -> class: linear(2) -> output }")
    assert [d.code for d in analysis.diagnostics.items] == ["E0204"]


def test_grammar_ships_in_the_wheel(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(Path(grammar_path()).parent.parent)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("netdsl-*.whl"))
    assert "netdsl/grammars/netdsl.lark" in zipfile.ZipFile(wheel).namelist()


def test_an_imported_block_resolves_names_in_its_own_file(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "blocks.net").write_text(
        "block Inner(c: int) { input x\n x -> linear(c) -> relu -> output }\n"
        "block Outer(c: int) { input x\n x -> Inner(c) -> Inner(c) -> output }\n")
    (tmp_path / "main.net").write_text('from "lib/blocks.net" import Outer\n'
                                       "network M() { input x: [N, 8]\n x -> Outer(4) -> output }\n")
    analysis = netdsl.check_file(tmp_path / "main.net")
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    assert analysis.network().params == (8 * 4 + 4) + (4 * 4 + 4)


def test_python_api_generates_source_and_diagrams_without_torch():
    code = ("import sys, netdsl\n"
            "source = netdsl.generate_source('specs/lenet.net', classes=3)\n"
            "assert 'nn.Linear(84, 3)' in source and source.count('class ') == 1\n"
            "dot = netdsl.diagram('specs/lenet.net', rankdir='LR').source\n"
            "assert 'rankdir=LR' in dot and 'conv2d(1→6, 5×5)' in dot\n"
            "assert callable(netdsl.diagram) and 'torch' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(grammar_path()).parent.parent, check=False)
    assert result.returncode == 0, result.stderr
