"""Property-based agreement with PyTorch (issues #7, #20): for every registered layer kind, hypothesis draws
arguments and input shapes (agreement_generators.py), and each case is checked by agreement.py against the
independent oracle (oracle.py) on the CPU — shapes, counts, outputs in eval and training mode, gradients.

    pytest tests/test_agreement.py                                    # about 1,500 cases
    NETDSL_AGREEMENT_EXAMPLES=50000 NETDSL_AGREEMENT_SEED=1 \\
        NETDSL_AGREEMENT_REPORT=docs/fidelity/agreement.json pytest tests/test_agreement.py   # the long run

The report counts every case per kind and outcome class, with the seed, versions, date and machine.
"""

from __future__ import annotations

import os
import random

import pytest
from agreement import (
    NO_BACKWARD,
    STATS,
    STRICTER,
    SYMBOLIC_STRICTER,
    TRAINING_ONLY,
    property_test,
)
from agreement_examples import PINNED
from agreement_generators import GENERATORS
from conftest import ROOT, layer_kinds
from oracle import ORACLE
from run_report import reporting
from torch_verdict import HarnessError, rejection

TOTAL = int(os.environ.get("NETDSL_AGREEMENT_EXAMPLES", "1500"))
SEED = int(os.environ.get("NETDSL_AGREEMENT_SEED") or random.randrange(2**32))
PER_KIND = max(10, TOTAL // max(len(GENERATORS), 1))


def test_every_kind_has_an_oracle_entry_a_generator_and_pinned_names(capsys):
    kinds = set(layer_kinds(capsys))
    assert len(kinds) > 60
    assert not kinds - set(ORACLE), f"layer kinds without an oracle entry: {sorted(kinds - set(ORACLE))}"
    assert not kinds - set(GENERATORS), f"layer kinds without a generator: {sorted(kinds - set(GENERATORS))}"
    assert not (set(ORACLE) | set(GENERATORS) | set(PINNED)) - kinds, "entries for kinds that are not registered"


def test_only_pytorchs_own_rejections_count_as_rejections():
    refused = RuntimeError("Dimension out of range (expected to be in range of [-1, 0], but got 2)")
    assert rejection(refused) is refused
    for error in (KeyError("eps"), RuntimeError("a message nobody has read"),
                  TypeError("forward() got an unexpected keyword argument 'p'"), ZeroDivisionError("division by zero")):
        with pytest.raises(HarnessError):
            rejection(error)


def test_every_deliberate_difference_is_documented():
    documented = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    reasons = [entry.reason for entry in STRICTER + TRAINING_ONLY + NO_BACKWARD] + list(SYMBOLIC_STRICTER.values())
    assert [reason for reason in reasons if f"- {reason}\n" not in documented] == []


@pytest.mark.parametrize("name", sorted(set(GENERATORS) & set(ORACLE)))
def test_agreement_with_pytorch(name):
    try:
        property_test(name, PER_KIND, SEED)()
    except BaseException as error:
        error.add_note(f"reproduce with NETDSL_AGREEMENT_SEED={SEED} NETDSL_AGREEMENT_EXAMPLES={TOTAL}")
        raise


_report = reporting("NETDSL_AGREEMENT_REPORT", "agreement", lambda: {
    "command": f"NETDSL_AGREEMENT_EXAMPLES={TOTAL} NETDSL_AGREEMENT_SEED={SEED} pytest tests/test_agreement.py",
    "examples_requested": TOTAL, "examples_per_kind": PER_KIND, "seed": SEED,
    "per_kind": {k: dict(v) for k, v in sorted(STATS.items())}})
