"""Temporary check (deleted in the next commit): the flat expression grammar against the grammar and
tree → AST walk of b27a8eb, read from git, never stored in the repo. Compares the AST with every span,
or the syntax diagnostic, on every .net file of the repo, on generated expressions in 15 contexts, on
depth-limit cases, and on random token edits of all of them.

    python tests/old_parser_check.py [seed] [expressions] [edits per text]
"""

import ast
import collections
import dataclasses
import glob
import importlib.util
import random
import re
import subprocess
import sys
import tempfile

from lark import Lark

import netdsl
from netdsl import parser as new
from netdsl.diagnostics import CompileError
from netdsl.scanning import SharedScanLexer
from netdsl.source import SourceFile, Span

OLD = "b27a8eb"
ROOT = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()


def _old_parser():
    source = subprocess.run(["git", "show", f"{OLD}:netdsl/parser.py"], capture_output=True, text=True, check=True, cwd=ROOT)
    grammar = subprocess.run(["git", "show", f"{OLD}:grammars/netdsl.lark"], capture_output=True, text=True, check=True, cwd=ROOT)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as file:
        file.write(source.stdout)
    spec = importlib.util.spec_from_file_location("netdsl._old_parser", file.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lark = Lark(grammar.stdout, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                postlex=module.LineBreaks(), _plugins={"ContextualLexer": SharedScanLexer})
    module.lark_parser = lambda strict=False: lark
    return module


old = _old_parser()


def dump(value):
    if isinstance(value, Span):
        return ("span", value.start, value.end)
    if isinstance(value, tuple):
        return tuple(dump(item) for item in value)
    if isinstance(value, netdsl.syntax.Node):
        return (type(value).__name__,) + tuple(dump(getattr(value, name)) for name in value.__match_args__)
    return value


def result(module, text):
    try:
        return dump(module.parse(SourceFile("t.net", text)))
    except CompileError as error:
        return ("ERROR", error.diagnostic)


EXPECTED = re.compile(r"expected (.*?)(?=, found|$)")


def only_expected_differs(before, after) -> bool:
    """Both the same syntax error but for the list of expected tokens in the message."""
    if before[0] != "ERROR" or after[0] != "ERROR":
        return False
    one, other = before[1], after[1]
    return (EXPECTED.sub("expected …", one.message) == EXPECTED.sub("expected …", other.message)
            and repr(dataclasses.replace(one, message="")) == repr(dataclasses.replace(other, message="")))


TOKEN = re.compile(r"\s+|#[^\n]*|\"[^\"\n]*\"|'[^'\n]*'|\d+\.\d*|\d+|\w+|->|\*\*|//|==|!=|<=|>=|\.\.\.|.")
EXTRA = ["(", ")", "[", "]", ",", "->", "+", "-", "*", "**", "/", "//", "%", "@", "<", "==", "and", "or", "not",
         "if", "else", "for", "in", "x", "1", "2.5", ":", "=", "{", "}", "\n", "...", "None", "true", "'s'",
         "output", "input", "relu", "linear(3)", " ", "where", ";", "$"]


def edits(text, rng, count):
    pieces = [m.group() for m in TOKEN.finditer(text)]
    for _ in range(count):
        edited = list(pieces)
        for _ in range(rng.choice([1, 1, 1, 2])):
            i = rng.randrange(len(edited))
            kind = rng.random()
            if kind < 0.35:
                del edited[i]
            elif kind < 0.7:
                edited.insert(i, rng.choice(EXTRA) + rng.choice(["", " "]))
            else:
                edited[i] = rng.choice(EXTRA)
        yield "".join(edited)


BINARY = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.MatMult, ast.Pow]
COMPARE = [ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE]


def leaf(rng):
    k = rng.random()
    if k < 0.4:
        return ast.Name(rng.choice(["a", "b", "N", "x", "true", "false", "None"]))
    if k < 0.7:
        return ast.Constant(rng.randint(0, 99))
    if k < 0.8:
        return ast.Constant(rng.choice([0.5, 2.0, 1e3]))
    if k < 0.9:
        return ast.Constant(rng.choice(["s", "same"]))
    keywords = [ast.keyword("k", leaf(rng))] if rng.random() < .3 else []
    return ast.Call(ast.Name(rng.choice(["f", "range", "max"])), [leaf(rng)], keywords)


def expression(rng, depth, arith_only=False):
    if depth <= 0 or rng.random() < 0.2:
        return leaf(rng)
    k = rng.random()
    if arith_only or k < 0.45:
        if rng.random() < 0.2:
            return ast.UnaryOp(ast.USub(), expression(rng, depth - 1, arith_only))
        if rng.random() < 0.1:
            return ast.Subscript(expression(rng, depth - 1, arith_only), index(rng, depth - 1))
        return ast.BinOp(expression(rng, depth - 1, arith_only), rng.choice(BINARY)(), expression(rng, depth - 1, arith_only))
    if k < 0.6:
        return ast.Compare(expression(rng, depth - 1), [rng.choice(COMPARE)()], [expression(rng, depth - 1)])
    if k < 0.72:
        return ast.BoolOp(rng.choice([ast.And, ast.Or])(), [expression(rng, depth - 1), expression(rng, depth - 1)])
    if k < 0.8:
        return ast.UnaryOp(ast.Not(), expression(rng, depth - 1))
    if k < 0.87:
        return ast.IfExp(expression(rng, depth - 1), expression(rng, depth - 1), expression(rng, depth - 1))
    if k < 0.93:
        return ast.Tuple([expression(rng, depth - 1) for _ in range(rng.randint(2, 3))])
    return ast.Subscript(expression(rng, depth - 1), index(rng, depth - 1))


def index(rng, depth):
    items = []
    for _ in range(rng.randint(1, 3)):
        k = rng.random()
        if k < 0.5:
            items.append(expression(rng, depth))
        elif k < 0.8:
            part = lambda chance: expression(rng, depth) if rng.random() < chance else None
            items.append(ast.Slice(part(.5), part(.5), part(.3)))
        else:
            items.append(ast.Constant(...))
    return ast.Tuple(items) if len(items) > 1 else items[0]


CONTEXTS = [
    "network A() {{ input x: [N, 4]\n x -> f({e}) -> output\n}}",
    "network A() {{ input x: [N, 4]\n y = {e}\n output y\n}}",
    "network A() {{ input x: [N, 4]\n output {e}\n}}",
    "network A() {{ input x: [N, 4]\n x -> f(k={e}, 2) -> output\n}}",
    "network A() {{ input x: [N, 4]\n x -> if {e} {{ relu }} else {{ tanh }} -> output\n}}",
    "network A() {{ input x: [N, 4]\n x -> for i in {e} {{ relu }} -> output\n}}",
    "network A() {{ input x: [N, 4]\n x -> g[{e}] -> output\n}}",
    "network A(p: int = {e}) {{ input x: [N, 4]\n x -> relu -> output\n}}",
    "network A() {{ input x: [N, 4]\n y = x -> relu\n z = y[{e}, 1:{e}]\n output z\n}}",
]
ARITH_CONTEXTS = [
    "network A() {{ input x: [N, {e}]\n x -> relu -> output\n}}",
    "network A() {{ input x: [N, H] where H % {e} == 0, {e} >= 3\n x -> relu -> output\n}}",
    "network A() {{ input x: [N, 4]\n x -> (relu -> tanh) * {e} -> output\n}}",
    "network A() {{ input x: [N, 4]\n x -> relu() * {e} -> output\n}}",
    "network A() {{ input x: [N, 4]\n {e} -> relu -> output\n}}",
    "network A() {{ input x: [N, 4]\n param w: [{e}, 4] = {e} -> relu\n x -> relu -> output\n}}",
]
DEEP = ([" + ".join(["1"] * n) for n in (250, 251, 252, 253, 300, 5000)] + ["-" * n + "4" for n in (249, 250, 251, 10000)]
        + [" ** ".join(["2"] * n) for n in (250, 251, 300)] + ["not " * n + "a" for n in (249, 250, 251, 300)]
        + ["a[" * 120 + "0" + "]" * 120, "(" * 300 + "1 + 2" + ")" * 300, " and ".join(["a < b"] * 200),
           "f(" * 130 + "1" + ")" * 130, "-(" * 130 + "1" + ")" * 130])


def texts(rng, count):
    for path in sorted(glob.glob(f"{ROOT}/**/*.net", recursive=True)):
        if "/.venv/" not in path and "/build/" not in path:
            yield open(path, encoding="utf-8", errors="replace").read()
    for deep in DEEP:
        yield CONTEXTS[0].format(e=deep)
    for _ in range(count):
        arith_only = rng.random() < 0.4
        text = ast.unparse(expression(rng, rng.randint(1, 6), arith_only))
        if rng.random() < 0.3:
            text = f"({text})"
        yield rng.choice(ARITH_CONTEXTS if arith_only else CONTEXTS).format(e=text)


def main():
    seed, count, per_text = (int(a) for a in (sys.argv[1:] + ["0", "3000", "3"][len(sys.argv) - 1:]))
    rng, compared, differ, lists = random.Random(seed), 0, 0, collections.Counter()
    for text in texts(rng, count):
        for variant in [text, *(edits(text, rng, per_text) if len(text) < 20000 else ())]:
            compared += 1
            before, after = result(old, variant), result(new, variant)
            if before == after:
                continue
            if only_expected_differs(before, after):
                lists[EXPECTED.search(before[1].message)[1], EXPECTED.search(after[1].message)[1]] += 1
            else:
                differ += 1
                print("DIFFERS:", repr(variant)[:300], "\n  old:", str(before)[:400], "\n  new:", str(after)[:400])
    for (one, other), times in lists.most_common():
        print(f"{times:5} times the expected tokens {one} became {other}")
    print(f"{compared} texts: {sum(lists.values())} differ only in the expected-token list, {differ} otherwise")


if __name__ == "__main__":
    main()
