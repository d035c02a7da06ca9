"""The VS Code extension's TextMate grammar, tokenised by the engine VS Code uses (vscode-textmate +
vscode-oniguruma, editors/vscode/test/tokenize.js) over every spec in specs/, against netdsl's own lexer:
comments, numbers, strings, keywords, arrows, layer and block names and shapes get their scopes."""

import json
import subprocess
from functools import cache
from itertools import pairwise

import pytest
from conftest import ROOT

from netdsl import registry
from netdsl.initializers import INITIALIZERS
from netdsl.tokens import lex

EXTENSION = ROOT / "editors" / "vscode"
SPECS = sorted(ROOT.glob("specs/**/*.net"))


@cache
def tokenised() -> dict[str, dict[tuple[int, int], list[str]]]:
    """file → (line, column) → the scopes of the TextMate token starting there."""
    if not (EXTENSION / "node_modules" / "vscode-textmate").is_dir():
        pytest.fail("run `npm ci` in editors/vscode (the README's test command does)")
    result = subprocess.run(["node", "test/tokenize.js", *map(str, SPECS)], cwd=EXTENSION, capture_output=True,
                            text=True, check=True)
    return {file: {(line, column): scopes for line, column, _, scopes in tokens}
            for file, tokens in json.loads(result.stdout).items()}


def expected_scope(tokens, index: int, blocks: set[str]) -> str | None:
    token = tokens[index]
    before = tokens[index - 1].text if index else ""
    after = tokens[index + 1].text if index + 1 < len(tokens) else ""
    if token.kind == "comment":
        return "comment.line"
    if token.kind == "number":
        return "constant.numeric"
    if token.kind == "string":
        return "string.quoted"
    if token.text in ("network", "block"):
        return "storage.type"
    if token.text in ("input", "output", "param", "buffer") or token.text == "where" and token.kind == "keyword":
        return "keyword.other"
    if token.kind == "name" and before == "=" and token.text in INITIALIZERS and in_learnable(tokens, index):
        return "support.function.initializer"
    if token.text in ("true", "false", "None"):
        return "constant.language"
    if token.text == "->":
        return "keyword.operator.arrow"
    if token.kind == "name" and before in ("network", "block"):
        return "entity.name.type"
    if token.kind == "name" and before == "->" and after == ":":   # `-> lstm: lstm(256)`: a layer's name
        return "variable.other.label"
    if token.kind == "name" and token.text in blocks and (after == "(" or before == "->"):
        return "entity.name.function.block"
    if token.kind == "name" and registry.lookup(token.text, plugins=False) and (after == "(" or before == "->") \
            and token.text not in blocks:
        return "support.function.layer"
    return None


def in_learnable(tokens, index: int) -> bool:
    """Whether the token is on a line that declares a parameter or buffer."""
    start = index
    while start > 0 and tokens[start].newlines == 0:
        start -= 1
    return tokens[start].text in ("param", "buffer")


def in_shape(tokens, index: int) -> bool:
    depth = 0
    for earlier in range(index - 1, -1, -1):
        text = tokens[earlier].text
        if text == "]":
            depth += 1
        elif text == "[":
            if depth == 0:
                return earlier > 0 and tokens[earlier - 1].text == ":"
            depth -= 1
    return False


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_token_of_every_spec_gets_its_scope(spec):
    scopes = tokenised()[str(spec)]
    text = spec.read_text()
    tokens = lex(text)
    blocks = {t.text for a, t in pairwise(tokens) if a.text == "block" and t.kind == "name"}
    checked = 0
    for index, token in enumerate(tokens):
        line = text.count("\n", 0, token.start)
        column = token.start - (text.rfind("\n", 0, token.start) + 1)
        want = expected_scope(tokens, index, blocks)
        if want is None and token.kind != "name":
            continue  # punctuation shares a token with the spaces around it
        found = scopes.get((line, column))
        assert found is not None, f"{spec}:{line + 1}:{column + 1}: no TextMate token starts at {token.text!r}"
        if want is not None:
            assert found[-1].startswith(want), f"{spec}:{line + 1}: {token.text!r} is {found[-1]}, not {want}"
            checked += 1
        if token.kind == "name" and in_shape(tokens, index):
            assert "meta.shape.netdsl" in found, f"{spec}:{line + 1}: {token.text!r} is not inside a shape"
        if token.kind != "comment":  # a `#` inside a string is no comment
            assert not any(s.startswith("comment") for s in found), f"{spec}:{line + 1}: {token.text!r} is a comment"
    assert checked > 0
