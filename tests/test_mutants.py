"""The mutation check (issue #20): the agreement and equivalence tests run against deliberately broken layer
kinds (tests/mutants.py), and every mutant must be caught. The normal run tries a few mutants and stops at
the first check that catches each; the full run tries them all, with every check:

    NETDSL_MUTANTS=all NETDSL_MUTATION_REPORT=docs/fidelity/mutants.json pytest tests/test_mutants.py

The checks: the kind's equivalence cases (test_equivalence.py), its pinned agreement examples, and
NETDSL_MUTANT_EXAMPLES (200) drawn agreement cases without the pinned ones; the report says which caught it.
"""

from __future__ import annotations

import os

import pytest
from agreement import check_case, property_test
from agreement_examples import PINNED
from mutants import MUTANTS, QUICK, Mutant, applied
from run_report import reporting
from equivalence_cases import EQUIVALENCE

FULL = os.environ.get("NETDSL_MUTANTS") == "all"
SELECTED = MUTANTS if FULL else [m for m in MUTANTS if m.name in QUICK]
EXAMPLES = int(os.environ.get("NETDSL_MUTANT_EXAMPLES", "200"))
SEED = 20_240_613
RESULTS: dict[str, dict] = {}


def _failure(check) -> str | None:
    try:
        check()
    except Exception as error:  # noqa: BLE001 — any failure of a check catches the mutant
        return f"{type(error).__name__}: {error}"[:300]
    return None


def _cases(kind: str, cases, expected: str | None):
    def check():
        for case in cases:
            outcome = check_case(kind, case)
            assert expected is None or outcome == expected, f"{case}: outcome {outcome!r}, not {expected!r}"
    return check


def hunt(mutant: Mutant, every_check: bool) -> dict[str, str | None]:
    """check → how it failed with the mutant applied (None: it passed); stops at the first failure unless
    every_check."""
    checks = {
        "equivalence cases": _cases(mutant.kind, EQUIVALENCE.get(mutant.kind, ()), "both accept"),
        "pinned examples": _cases(mutant.kind, PINNED.get(mutant.kind, ()), None),
        f"{EXAMPLES} drawn cases": property_test(mutant.kind, EXAMPLES, SEED, shrink=False, pinned=False),
    }
    found = {}
    with applied(mutant):
        for name, check in checks.items():
            found[name] = _failure(check)
            if found[name] and not every_check:
                break
    return found


@pytest.mark.parametrize("mutant", SELECTED, ids=[m.name for m in SELECTED])
def test_mutant_is_caught(mutant):
    found = hunt(mutant, every_check=FULL)
    RESULTS[mutant.name] = {"kind": mutant.kind, "bug": mutant.bug, "caught": any(found.values()), "checks": found}
    assert any(found.values()), f"mutant {mutant.name} ({mutant.kind} {mutant.bug}) passes every check"


_report = reporting("NETDSL_MUTATION_REPORT", "mutants", lambda: {
    "command": f"NETDSL_MUTANTS={'all' if FULL else 'quick'} NETDSL_MUTANT_EXAMPLES={EXAMPLES} pytest tests/test_mutants.py",
    "seed": SEED, "mutants": len(RESULTS), "caught": sum(r["caught"] for r in RESULTS.values()), "results": RESULTS})
