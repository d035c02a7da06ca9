"""Syntax errors point at the cause, say it in words and, where the repair is certain, carry a fix that
makes the spec check. Each class of mistake is tried where it is made (line and column), and its fix is
applied to the text and checked again."""

from pathlib import Path

import pytest
from conftest import ROOT

import netdsl
from netdsl.diagnostics import Diagnostic, Fix

HEADER = "network Net() {\n    input x: [N, 3, 32, 32]\n"


def first_error(text: str) -> Diagnostic:
    analysis = netdsl.check_text(text, "t.net")
    return next(d for d in analysis.diagnostics.sorted() if d.severity.value == "error")


def applied(text: str, fix: Fix) -> str:
    for edit in sorted(fix.edits, key=lambda e: e.span.start, reverse=True):
        text = text[:edit.span.start] + edit.replacement + text[edit.span.end:]
    return text


# (spec, code, (line, column) of the error, words the message holds, the spec with the fix applied)
FIXED = [
    pytest.param("netwrok Net() {\n    input x: [N, 8]\n    x -> relu -> output\n}\n", "E0109", (1, 1),
                 "unknown keyword `netwrok`", "network Net() {", id="misspelt network"),
    pytest.param("blcok B() {\n    input x\n    output x -> relu\n}\n", "E0109", (1, 1), "unknown keyword `blcok`",
                 "block B() {", id="misspelt block"),
    pytest.param("network Net() {\n    inupt x: [N, 8]\n    x -> relu -> output\n}\n", "E0109", (2, 5),
                 "unknown keyword `inupt`", "    input x: [N, 8]", id="misspelt input"),
    pytest.param(HEADER + "    ouput x -> relu\n}\n", "E0109", (3, 5), "unknown keyword `ouput`",
                 "    output x -> relu", id="misspelt output"),
    pytest.param(HEADER + "    y = x -> relu\n    ouput(y)\n}\n", "E0109", (4, 5), "unknown keyword `ouput`",
                 "    output(y)", id="misspelt output before a parenthesis"),
    pytest.param(HEADER + "    x -> conv2d(16, 3)) -> output\n}\n", "E0116", (3, 23), "unmatched `)`",
                 "    x -> conv2d(16, 3) -> output", id="unmatched )"),
    pytest.param(HEADER + "    x -> relu -> output\n}\n}\n", "E0116", (5, 1), "unmatched `}`",
                 "    x -> relu -> output\n}\n", id="unmatched }"),
    pytest.param(HEADER + "    x -> conv2d(16, 3] -> output\n}\n", "E0116", (3, 22), "`]` where `)` is expected",
                 "    x -> conv2d(16, 3) -> output", id="mismatched bracket"),
    pytest.param(HEADER + "    x => relu -> output\n}\n", "E0108", (3, 7), "`=>` is not netdsl's arrow",
                 "    x -> relu -> output", id="=> at a statement's start"),
    pytest.param(HEADER + "    y = x -> relu => relu\n    output y\n}\n", "E0108", (3, 19), "`=>`",
                 "    y = x -> relu -> relu", id="=> in an expression"),
    pytest.param(HEADER + "    x → relu -> output\n}\n", "E0108", (3, 7), "`→`", "    x -> relu -> output",
                 id="unicode arrow"),
    pytest.param(HEADER + "    return x -> relu\n}\n", "E0110", (3, 5), "no `return`", "    output x -> relu",
                 id="return"),
    pytest.param("network Net(classes = 10) {\n    input x: [N, 8]\n    x -> linear(classes) -> output\n}\n",
                 "E0111", (1, 21), "`classes` has no type", "network Net(classes: int = 10) {", id="= for :"),
    pytest.param("network Net(p: 0.5) {\n    input x: [N, 8]\n    x -> dropout(p) -> output\n}\n", "E0111",
                 (1, 16), "has a default but no type", "network Net(p: float = 0.5) {", id="value for type"),
    pytest.param("network Net {\n    input x: [N, 8]\n    x -> relu -> output\n}\n", "E0111", (1, 9),
                 "needs a parameter list", "network Net() {", id="no parameter list"),
    pytest.param(HEADER + "    x -> conv2d(16,, 3) -> output\n}\n", "E0112", (3, 20), "two commas",
                 "    x -> conv2d(16, 3) -> output", id="double comma"),
    pytest.param(HEADER + "    x -> conv2d(, 16, 3) -> output\n}\n", "E0112", (3, 17), "right after `(`",
                 "    x -> conv2d( 16, 3) -> output", id="comma after ("),
    pytest.param(HEADER + "    y = x -> relu, output y\n}\n", "E0112", (3, 18), "separated by line breaks",
                 "    y = x -> relu\n    output y", id="comma between statements"),
    pytest.param(HEADER + "    x -> relu -> output;\n}\n", "E0112", (3, 24), "`;`", "    x -> relu -> output",
                 id="semicolon"),
    pytest.param(HEADER + "    x -> conv2d(16, 3, bias=) -> output\n}\n", "E0113", (3, 24),
                 "argument `bias` has no value", "    x -> conv2d(16, 3) -> output", id="argument without value"),
    pytest.param(HEADER + "    x -> conv2d(16, bias=, kernel_size=3) -> output\n}\n", "E0113", (3, 21),
                 "`bias` has no value", "    x -> conv2d(16, kernel_size=3) -> output", id="empty argument between"),
    pytest.param(HEADER + "    x -> conv2d(16, 3, padding='same) -> output\n}\n", "E0107", (3, 32),
                 "unterminated string", "    x -> conv2d(16, 3, padding='same') -> output", id="unterminated string"),
    pytest.param("block Dense() {\n    input x\n    output x -> relu\n}\n" + HEADER.replace("Net", "M")
                 + "    x -> Dense * 6 -> output\n}\n", "E0115", (7, 10), "needs its parentheses: `Dense() * 6`",
                 "    x -> Dense() * 6 -> output", id="repeat without parentheses"),
    pytest.param(HEADER + "    (x + x) conv2d(8, 3) -> output\n}\n", "E0114", (3, 13),
                 "`->` is missing between `(x + x)` and `conv2d`", "    (x + x) -> conv2d(8, 3) -> output",
                 id="missing -> after a parenthesis"),
    pytest.param(HEADER + "    y = x -> conv2d(8, 3)\n        relu\n    output y\n}\n", "E0114", (4, 9),
                 "`->` is missing before `relu`", "        -> relu", id="missing -> on its own line"),
    pytest.param(HEADER + "    x -> conv2d(8, 3) relu -> output\n}\n", "E0114", (3, 23),
                 "`->` is missing before `relu`", "    x -> conv2d(8, 3) -> relu -> output", id="missing -> same line"),
    pytest.param(HEADER + "    y = x -> conv2d(8, 3)\n    relu -> output\n}\n", "E0114", (4, 5),
                 "`->` is missing before `relu`", "    -> relu -> output", id="missing -> next line"),
    pytest.param(HEADER + "    x -> conv2d(8, 3) maxpool2d(2) -> output\n}\n", "E0114", (3, 23),
                 "`->` is missing before `maxpool2d`", "    x -> conv2d(8, 3) -> maxpool2d(2) -> output",
                 id="missing -> before a call"),
    pytest.param(HEADER + "    x -> conv2d(8, 3, bias=False) -> output\n}\n", "E0119", (3, 28),
                 "`False` is written `false`", "    x -> conv2d(8, 3, bias=false) -> output", id="False"),
    pytest.param(HEADER + "    x -> conv2d(8, 3, bias=True) -> output\n}\n", "E0119", (3, 28),
                 "`True` is written `true`", "    x -> conv2d(8, 3, bias=true) -> output", id="True"),
    pytest.param(HEADER + "    x -> avgpool2d(2, divisor_override=none) -> output\n}\n", "E0119", (3, 40),
                 "`none` is written `None`", "    x -> avgpool2d(2, divisor_override=None) -> output", id="none"),
    pytest.param("network Net() {\n    input x: [N 3 32 32]\n    x -> relu -> output\n}\n", "E0118", (2, 17),
                 "`,` is missing between `N` and `3`", "    input x: [N, 3, 32, 32]", id="missing commas"),
    pytest.param(HEADER + "    y = x -> conv2d\n        (16, 3) -> relu\n    output y\n}\n", "E0117", (4, 9),
                 "the line break after `conv2d` ends its statement", "    y = x -> conv2d(16, 3) -> relu",
                 id="arguments after a line break"),
    pytest.param(HEADER + "    output\n        x\n}\n", "E0117", (3, 11), "`output` needs its value on the same line",
                 "    output x", id="output alone on its line"),
    pytest.param(HEADER + "    x -> output\n\nnetwork Other() {\n    input x: [N, 8]\n    x -> relu -> output\n}\n",
                 "E0103", (3, 15), "network `Net` is not closed before network `Other`", "    x -> output\n}",
                 id="unclosed before the next network"),
    pytest.param(HEADER + "    x -> relu -> output\n", "E0103", (3, 23), "network `Net` is not closed at the end",
                 "    x -> relu -> output\n}", id="unclosed at the end"),
]


@pytest.mark.parametrize("text, code, where, words, fixed_line", FIXED)
def test_a_syntax_mistake_is_named_where_it_is_made_with_its_fix(text, code, where, words, fixed_line):
    diagnostic = first_error(text)
    assert (diagnostic.code, diagnostic.span.line_col) == (code, where), diagnostic
    assert words in diagnostic.message
    assert diagnostic.help or diagnostic.fixes
    if fixed_line is None:
        assert not diagnostic.fixes
        return
    fixed = applied(text, diagnostic.fixes[0])
    assert fixed_line in fixed.splitlines() or fixed_line in fixed
    analysis = netdsl.check_text(fixed, "t.net")
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]


# Mistakes whose repair is not certain: the words and the place, and no machine fix.
EXPLAINED = [
    pytest.param("def Block(c):\n    return c\n", "E0110", (1, 1), "no `def`", id="def"),
    pytest.param("class Net(nn.Module):\n    pass\n", "E0110", (1, 1), "no `class`", id="class"),
    pytest.param("import torch\n" + HEADER + "    x -> relu -> output\n}\n", "E0110", (1, 8),
                 "quoted path to a .net file", id="import a module"),
    pytest.param("from torch import nn\n", "E0110", (1, 6), "quoted path", id="from a module"),
    pytest.param(HEADER + "    y = x -> lambda t: t * 2\n    output y\n}\n", "E0110", (3, 14), "no `lambda`",
                 id="lambda"),
    pytest.param("network Net():\n    input x: [N, 8]\n", "E0110", (1, 14), "braces", id="colon for a body"),
    pytest.param(HEADER + "    x -> conv2d(16, 3 -> relu\n      -> output\n}\n", "E0116", (3, 16),
                 "`conv2d(` is not closed", id="unclosed parenthesis"),
    pytest.param("network Net() {\n    input x: [N, 3\n    x -> relu -> output\n}\n", "E0116", (2, 14),
                 "`[` is not closed", id="unclosed bracket"),
    pytest.param(HEADER + "    y = x -> conv2d\n        (16, 3)\n    output y\n}\n", "E0117", (4, 16),
                 "the statement ends at this line break", id="arguments on the next line"),
    pytest.param(HEADER + "    relu -> output\n}\n", "E0114", (3, 5), "`relu` is a layer, not a tensor",
                 id="a layer first in a body"),
]


@pytest.mark.parametrize("text, code, where, words", EXPLAINED)
def test_a_syntax_mistake_without_a_certain_repair_is_explained(text, code, where, words):
    diagnostic = first_error(text)
    assert (diagnostic.code, diagnostic.span.line_col) == (code, where), diagnostic
    assert words in diagnostic.message and diagnostic.help and not diagnostic.fixes


def test_unclosed_brace_points_at_the_opening_brace_and_where_the_closing_one_goes():
    block = "block B() {\n    input x\n    output x -> relu\n\n"
    diagnostic = first_error(block + HEADER + "    x -> B() -> output\n}\n")
    assert [note.span.line_col for note in diagnostic.notes] == [(1, 11), (5, 1)]
    assert "add `}` on a line after line 3" in diagnostic.help


def test_a_missing_parenthesis_is_suggested_only_when_one_is_missing():
    closed = first_error(HEADER + "    x -> conv2d(16 3) -> output\n}\n")
    assert closed.code == "E0118" and "missing?" not in (closed.help or "")
    unclosed = first_error(HEADER + "    x -> conv2d(16, 3 -> relu -> output\n}\n")
    assert unclosed.code == "E0116"
    assert unclosed.help == "is a `)` missing? perhaps `x -> conv2d(16, 3) -> relu -> output`"
    assert unclosed.notes[0].span.line_col == (4, 1)   # where the parser noticed


def test_the_line_break_rule_is_explained_where_it_ended_a_statement_too_early():
    diagnostic = first_error(HEADER + "    y = x -> conv2d\n        (16, 3)\n    output y\n}\n")
    assert any("a line break ends a statement" in note.message for note in diagnostic.notes)
    assert any("put `(` right after `conv2d`" in note.message and note.span.line_col == (4, 9)
               for note in diagnostic.notes)


def test_a_misspelt_block_used_three_times_is_one_error_with_the_other_uses_as_notes():
    analysis = netdsl.check_text("block Residual(c: int) {\n    input x\n    output x -> relu\n}\n"
                                 + HEADER + "    x -> Residaul(3) -> Residaul(3)\n      -> Residaul(3) -> output\n}\n")
    errors = [d for d in analysis.diagnostics.sorted() if d.severity.value == "error"]
    assert [d.code for d in errors] == ["E0202"] and "did you mean `Residual`?" in errors[0].help
    assert [note.span.line_col for note in errors[0].notes] == [(7, 25), (8, 10)]


def test_a_misspelt_name_in_a_block_used_twice_is_reported_once():
    analysis = netdsl.check_text("block B() {\n    input x\n    output x -> rleu\n}\n"
                                 + HEADER + "    x -> B() -> B() -> output\n}\n")
    errors = [d for d in analysis.diagnostics.sorted() if d.severity.value == "error"]
    assert [(d.code, d.span.line_col, d.notes) for d in errors] == [("E0202", (3, 17), ())]


BROKEN = sorted((ROOT / "specs" / "errors").glob("*.net"))


@pytest.mark.parametrize("spec", BROKEN, ids=[p.stem for p in BROKEN])
def test_every_fix_in_the_error_corpus_removes_its_error(spec: Path):
    text = spec.read_text()
    for diagnostic in netdsl.check_text(text, "t.net").diagnostics.sorted():
        for fix in diagnostic.fixes:
            after = netdsl.check_text(applied(text, fix), "t.net").diagnostics.sorted()
            assert not any(d.code == diagnostic.code and d.span and d.span.line_col == diagnostic.span.line_col
                           for d in after), (fix.message, [d.message for d in after])
