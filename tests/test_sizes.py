"""The size algebra: canonical forms (equal expressions compare equal), three-way comparisons, printing
that round-trips, and agreement with integer arithmetic at random concrete sizes."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdsl.sizes import (
    Condition,
    Size,
    SymbolicSizeError,
    at_least,
    ceildiv,
    compare,
    evaluate,
    exact_quotient,
    format_size,
    scale,
    substitute,
    symbol,
)

# ---------------------------------------------------------------- reading printed sizes back


def parse_size(text: str):
    """The size a printed size stands for: `16*(H//4)*(W//4)`, `H % 2`, `(H + 1)//2 - 1`.
    Parsed with Python's own expression grammar (`ast`), never evaluated; only integers, names
    and + - * // % are accepted."""
    tree = ast.parse(text, mode="eval").body
    return _from_tree(tree)


def _from_tree(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name):
        return symbol(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_from_tree(node.operand)
    if isinstance(node, ast.BinOp):
        left, right = _from_tree(node.left), _from_tree(node.right)
        operators = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                     ast.Mult: lambda: left * right, ast.FloorDiv: lambda: _int_divide(left, right, lambda a, b: a // b),
                     ast.Mod: lambda: _int_divide(left, right, lambda a, b: a % b)}
        if type(node.op) in operators:
            return operators[type(node.op)]()
    raise ValueError(f"not a size expression: {ast.dump(node)}")


def _int_divide(left, right, operation):
    if not isinstance(right, int) or right <= 0:
        raise ValueError("sizes are divided by positive integers only")
    return operation(left, right)


H, W, N, L, C = (symbol(name) for name in "HWNLC")


@pytest.mark.parametrize("left, right", [
    (N * L * 64, N * (L * 64)),
    (2 * (H // 2) + H % 2, H),
    ((H // 2) // 2, H // 4),
    ((H - 2) // 2 + 1, H // 2),
    ((2 * H + 4) // 4, (H + 2) // 2),
    (ceildiv(H, 2), (H + 1) // 2),
    (scale(H, 2.0), 2 * H),
    (scale(H, 1.5), H + H // 2),
    (C * H * W - H * W * C, 0),
])
def test_equal_expressions_have_one_canonical_form(left, right):
    assert left == right and hash(left) == hash(right)
    assert compare(left, right) is True


def test_comparisons_have_three_outcomes():
    assert compare(H, H - 1) is False            # different for every size
    assert compare(2 * H + 1, 2 * H) is False
    undecided = compare(2 * (H // 2), H)         # equal for even H only
    assert isinstance(undecided, Condition) and str(undecided) == "2*(H//2) == H"
    assert undecided.holds({"H": 6}) and not undecided.holds({"H": 7})
    assert at_least(H, 1) is True and at_least(H // 2, 0) is True and at_least(-H, 0) is False
    assert isinstance(at_least(H - 2, 1), Condition)


def test_a_symbolic_size_has_no_truth_value_or_order():
    with pytest.raises(SymbolicSizeError):
        bool(H - 1)
    with pytest.raises(SymbolicSizeError):
        _ = H < W
    with pytest.raises(SymbolicSizeError):
        _ = H // W
    with pytest.raises(SymbolicSizeError):
        _ = 10 // H


def test_sizes_print_in_python_notation_with_correct_precedence():
    assert format_size(16 * (H // 4) * (W // 4)) == "16*(H//4)*(W//4)"
    assert format_size((H - 3) // 2 + 1) == "(H - 1)//2"
    assert format_size(H % 2) == "H % 2" and format_size(3 * (H % 2)) == "3*(H % 2)"
    assert format_size(C * H * W + H * W) == "C*H*W + H*W"
    assert format_size(N * L * 64) == "64*L*N"
    flattened = 32 * (((H - 2) // 2 - 2) // 2) * (((W - 2) // 2 - 2) // 2)   # two conv3 + pool2 stages
    assert format_size(flattened) == "32*((H + 2)//4 - 2)*((W + 2)//4 - 2)"   # not its 4-term expansion
    assert format_size(-3 * (H + 1) * (W + 2)) == "-3*(H + 1)*(W + 2)"
    assert format_size((H + 1) * (W + 2), {"H": "h", "W": "w"}) == "(h + 1) * (w + 2)"


def test_strings_never_become_symbols():
    for text in ("H\nimport os", "H + 1", "", "1H", "__import__('os')"):
        with pytest.raises(ValueError):
            symbol(text)


def test_exact_quotients():
    assert exact_quotient(64 * L * N, N) == 64 * L
    assert exact_quotient(C * H * W, H * W) == C
    assert exact_quotient(6 * H, 3) == 2 * H
    assert exact_quotient(H + 1, H) is None and exact_quotient(3 * H, 2) is None


# ---------------------------------------------------------------- random expressions

def _expressions(depth: int = 3):
    leaves = st.sampled_from([H, W, N]) | st.integers(-5, 20)

    def extend(children):
        return st.one_of(
            st.tuples(children, children).map(lambda p: p[0] + p[1]),
            st.tuples(children, children).map(lambda p: p[0] - p[1]),
            st.tuples(children, st.integers(-3, 4)).map(lambda p: p[0] * p[1]),
            st.tuples(children, children).map(lambda p: p[0] * p[1]),
            st.tuples(children, st.integers(1, 6)).map(lambda p: p[0] // p[1]),
            st.tuples(children, st.integers(1, 6)).map(lambda p: p[0] % p[1]),
        )
    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(expression=_expressions(), h=st.integers(1, 60), w=st.integers(1, 60), n=st.integers(1, 9))
def test_canonical_form_evaluates_like_integer_arithmetic(expression, h, w, n):
    """Whatever normalisation did, the value at concrete sizes is Python's integer arithmetic on
    the same expression: evaluated through substitution and through the printed form."""
    binding = {"H": h, "W": w, "N": n}
    value = evaluate(expression, binding)
    assert value == substitute(expression, binding)
    printed = format_size(expression)
    assert evaluate(parse_size(printed), binding) == value
    assert parse_size(printed) == expression   # printing round-trips to the same canonical form


@settings(max_examples=200, deadline=None)
@given(expression=_expressions(), h=st.integers(1, 60))
def test_comparisons_never_contradict_concrete_values(expression, h):
    binding = {"H": h, "W": h + 1, "N": 2}
    value = evaluate(expression, binding)
    for truth, holds in ((compare(expression, 0), value == 0), (at_least(expression, 0), value >= 0)):
        if truth is True or truth is False:
            assert truth == holds
        else:
            assert truth.holds(binding) == holds


def test_integers_stay_integers():
    assert isinstance(H - H, int) and isinstance((2 * H) // 2 - H, int)
    assert not isinstance(H + 0, int) and isinstance(H + 0, Size)
