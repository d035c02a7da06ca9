"""Numeric equivalence for every kind, deterministically: for each registered kind, hand-picked cases that
between them give every argument the kind takes (as `netdsl layers` lists them) a value that changes the
result. netdsl checks and builds each case; its module must compute what the oracle's direct PyTorch call
computes with the same weights — outputs in eval and training mode (dropout seeded alike), gradients and
running statistics (agreement.check_case). An argument netdsl drops or mistranslates fails here even
when the shapes are right."""

from __future__ import annotations

import pytest
from agreement import check_case
from conftest import layer_kinds
from equivalence_cases import EQUIVALENCE


def test_every_argument_of_every_kind_is_exercised(capsys):
    arguments = {name: {a["name"] for a in kind["arguments"]} for name, kind in layer_kinds(capsys).items()}
    assert not set(arguments) ^ set(EQUIVALENCE), f"kinds without cases: {sorted(set(arguments) ^ set(EQUIVALENCE))}"
    unexercised = {name: sorted(names - {a for case in EQUIVALENCE[name] for a in case.args})
                   for name, names in arguments.items()}
    assert not {k: v for k, v in unexercised.items() if v}, f"arguments no case sets: {unexercised}"


@pytest.mark.parametrize(("name", "case"), [(name, case) for name, cases in EQUIVALENCE.items() for case in cases],
                         ids=[f"{name}-{i}" for name, cases in EQUIVALENCE.items() for i in range(len(cases))])
def test_netdsl_computes_what_pytorch_computes(name, case):
    assert check_case(name, case) == "both accept"
