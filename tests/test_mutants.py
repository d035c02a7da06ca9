"""The mutation check (issue #20): the agreement and equivalence tests run against deliberately broken layer
kinds (tests/mutants.py), and every mutant must be caught. The normal run tries a few mutants; all of them:

    NETDSL_MUTANTS=all NETDSL_MUTATION_REPORT=docs/fidelity/mutants.json pytest tests/test_mutants.py

Each mutant is hunted with, in order, the kind's equivalence cases (test_equivalence.py), its pinned
agreement examples, then NETDSL_MUTANT_EXAMPLES drawn agreement cases (200); the report says which caught it.
"""

from __future__ import annotations

import os
import time

import pytest
from agreement import check_case, property_test
from agreement_examples import PINNED
from mutants import MUTANTS, QUICK, Mutant, applied
from run_report import write_report
from test_equivalence import EQUIVALENCE

SELECTED = MUTANTS if os.environ.get("NETDSL_MUTANTS") == "all" else [m for m in MUTANTS if m.name in QUICK]
EXAMPLES = int(os.environ.get("NETDSL_MUTANT_EXAMPLES", "200"))
SEED = 20_240_613
CAUGHT: dict[str, dict] = {}


def hunt(mutant: Mutant) -> dict | None:
    """The first check that fails with the mutant applied, and how; None if every check passes."""
    checks = [("equivalence case", case, "both accept") for case in EQUIVALENCE.get(mutant.kind, ())]
    checks += [("pinned example", case, None) for case in PINNED.get(mutant.kind, ())]
    with applied(mutant):
        for stage, case, expected in checks:
            try:
                outcome = check_case(mutant.kind, case)
            except Exception as error:  # noqa: BLE001 — any failure of the check catches the mutant
                return {"by": stage, "case": repr(case), "failure": f"{type(error).__name__}: {error}"[:300]}
            if expected and outcome != expected:
                return {"by": stage, "case": repr(case), "failure": f"outcome {outcome!r}, not {expected!r}"}
        try:
            property_test(mutant.kind, EXAMPLES, SEED, shrink=False)()
        except Exception as error:  # noqa: BLE001
            return {"by": f"agreement property test ({EXAMPLES} cases, seed {SEED})",
                    "failure": f"{type(error).__name__}: {error}"[:300]}
    return None


@pytest.mark.parametrize("mutant", SELECTED, ids=[m.name for m in SELECTED])
def test_mutant_is_caught(mutant):
    caught = hunt(mutant)
    CAUGHT[mutant.name] = {"kind": mutant.kind, "bug": mutant.bug, "caught": caught is not None, **(caught or {})}
    assert caught, f"mutant {mutant.name} ({mutant.kind} {mutant.bug}) passes every agreement and equivalence check"


@pytest.fixture(scope="module", autouse=True)
def _report():
    started = time.time()
    yield
    path = os.environ.get("NETDSL_MUTATION_REPORT")
    if path:
        write_report(path, "mutants", {
            "command": f"NETDSL_MUTANTS={os.environ.get('NETDSL_MUTANTS', 'quick')} NETDSL_MUTANT_EXAMPLES={EXAMPLES} "
                       "pytest tests/test_mutants.py",
            "seed": SEED, "seconds": round(time.time() - started), "mutants": len(CAUGHT),
            "caught": sum(m["caught"] for m in CAUGHT.values()), "results": CAUGHT})
