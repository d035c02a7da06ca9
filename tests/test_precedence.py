"""Operator precedence and associativity are Python's: random expression trees over numbers and
parameter names, written with the fewest parentheses Python's rules allow (`ast.unparse`), checked by
netdsl, fold to the value computed from the tree itself (never by evaluating text)."""

import ast
import operator

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import netdsl

NAMES = {"a": 7, "b": -4, "C": 5, "K": 3}
SPEC = """network P(a: int, b: int, C: int, K: int) {{
    input x: [N, 4]
    x -> linear({features}) -> output
}}"""
LIMIT = 2**40   # keeps every intermediate value far from int64 overflow (E0326)

ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
              ast.Mod: operator.mod, ast.Pow: operator.pow}
COMPARISONS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
               ast.Gt: operator.gt, ast.GtE: operator.ge}


def _integers(max_leaves: int = 10):
    leaves = st.integers(0, 12).map(ast.Constant) | st.sampled_from(sorted(NAMES)).map(ast.Name)

    def extend(children):
        return st.one_of(
            st.builds(ast.BinOp, children, st.sampled_from(sorted(ARITHMETIC, key=str)).map(lambda op: op()), children),
            st.builds(ast.UnaryOp, st.just(ast.USub()), children),
            st.builds(ast.IfExp, _booleans(children), children, children))
    return st.recursive(leaves, extend, max_leaves=max_leaves)


@st.composite
def _booleans(draw, integers, most: int = 1):
    """Comparisons joined by `and`/`or` in a random shape, any part perhaps under `not`."""
    comparisons = st.builds(lambda left, op, right: ast.Compare(left, [op()], [right]),
                            integers, st.sampled_from(sorted(COMPARISONS, key=str)), integers)

    def tree(leaves: int):
        if leaves == 1:
            node = draw(comparisons)
        else:
            left = draw(st.integers(1, leaves - 1))
            node = ast.BoolOp(draw(st.sampled_from([ast.And, ast.Or]))(), [tree(left), tree(leaves - left)])
        return ast.UnaryOp(ast.Not(), node) if draw(st.integers(0, 7)) == 0 else node
    return tree(draw(st.integers(1, most)))


def value(node):
    """The tree's value by Python's semantics, computed node by node."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return NAMES[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = value(node.operand)
        return not operand if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.IfExp):
        return value(node.body) if value(node.test) else value(node.orelse)
    if isinstance(node, ast.BoolOp):
        left = value(node.values[0])
        if isinstance(node.op, ast.And):
            return value(node.values[1]) if left else left
        return left if left else value(node.values[1])
    if isinstance(node, ast.Compare):
        return COMPARISONS[type(node.ops[0])](value(node.left), value(node.comparators[0]))
    left, right = value(node.left), value(node.right)
    assume(not (isinstance(node.op, (ast.FloorDiv, ast.Mod)) and right == 0))
    assume(not isinstance(node.op, ast.Pow) or 0 <= right <= 3)
    result = ARITHMETIC[type(node.op)](left, right)
    assume(abs(result) < LIMIT)
    return result


def folded(features: str) -> int:
    analysis = netdsl.check_text(SPEC.format(features=features), **NAMES)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    return analysis.network().layers[-1].shape[-1]


@settings(max_examples=200, deadline=None)
@given(tree=_integers())
def test_arithmetic_folds_to_the_value_of_its_tree(tree):
    expected = value(tree)
    text = ast.unparse(tree)
    assert folded(f"1 + ({text}) % 1000") == 1 + expected % 1000, text


@settings(max_examples=200, deadline=None)
@given(tree=_booleans(_integers(max_leaves=3), most=6))
def test_conditions_fold_to_the_value_of_their_tree(tree):
    expected = value(tree)
    text = ast.unparse(tree)
    assert folded(f"1 if {text} else 2") == (1 if expected else 2), text

