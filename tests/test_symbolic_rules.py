"""Every registered kind's shape rule on symbolic sizes agrees with the same rule on concrete sizes.

For each kind, hypothesis draws a case (arguments and input shapes, from the agreement generators) and
makes some input dims symbols. The symbolic answer — a definite error, or an output shape and the
requirements the rule puts on the symbols — evaluated at the drawn sizes must be the concrete answer:
the same output shape when the requirements hold there, a rejection when the concrete rule rejects.
A rule may refuse a symbol where it needs a number (E0405: weights depend on it; E0328: the size
arithmetic has no symbolic form); those draws say nothing and are discarded.
"""

from __future__ import annotations

import pytest
from agreement_generators import GENERATORS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from netdsl import codes, registry
from netdsl.checker import infer_layer
from netdsl.schema import SchemaError
from netdsl.shapes import ShapeError, collecting, stop_collecting
from netdsl.sizes import SymbolicSizeError, substitute, symbol

NEEDS_A_NUMBER = {codes.E0405, codes.E0328}
# Where netdsl is deliberately stricter on symbols than torch is on one size, and why.
DELIBERATELY_STRICTER = {
    codes.E0419: "squeeze removes a symbolic dim only at size 1, so the rank would depend on the size",
}


def _run(kind, args, shapes):
    """("error", code) or ("shape", shape, requirements)."""
    found = []
    token = collecting(found)
    try:
        _, shape = infer_layer(kind, args, shapes)
    except ShapeError as error:
        return ("error", error.code)
    finally:
        stop_collecting(token)
    return ("shape", tuple(shape), found)


@pytest.mark.parametrize("name", sorted(GENERATORS))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_symbolic_rule_agrees_with_the_concrete_rule(name, data):
    kind = registry.lookup(name)
    case = data.draw(GENERATORS[name](), label="case")
    try:
        args = kind.schema.validate(case.args)
    except SchemaError:
        assume(False)
    binding, symbolic_shapes = {}, []
    for i, shape in enumerate(case.shapes):
        dims = []
        for j, size in enumerate(shape):
            if size >= 1 and data.draw(st.booleans(), label=f"symbolic {i}.{j}"):
                binding[f"S{i}_{j}"] = size
                dims.append(symbol(f"S{i}_{j}"))
            else:
                dims.append(size)
        symbolic_shapes.append(tuple(dims))
    concrete = _run(kind, args, case.shapes)
    try:
        symbolic = _run(kind, args, tuple(symbolic_shapes))
    except SymbolicSizeError:
        assume(False)
    if symbolic[0] == "error":
        assume(symbolic[1] not in NEEDS_A_NUMBER)
        assert concrete[0] == "error", f"symbolic rejects ({symbolic[1]}) what the concrete rule accepts"
        return
    _, shape, requirements = symbolic
    failing = [r for r in requirements if not r.condition.holds(binding)]
    if concrete[0] == "error":
        assert failing, f"the concrete rule rejects ({concrete[1]}); the symbolic requirements all hold"
    elif failing:
        stricter = {r.error().code for r in failing}
        assert stricter <= set(DELIBERATELY_STRICTER), f"a symbolic requirement fails where the concrete rule accepts"
    else:
        assert substitute(shape, binding) == concrete[1]
