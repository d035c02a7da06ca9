"""Interim agreement for the layer kinds of #14 that the independent oracle (oracle.py) does not cover yet:
their static verdict (argument validation + shape rule + parameter/buffer counts) against PyTorch run
through the registry's own recipes (torch_recipe.py, meta with the CPU arbitrating), as before #20. This is
NOT independent of the code under test and compares no numbers: moving a kind into oracle.py (with a generator
variant and equivalence cases) removes it from RECIPE_ONLY, which test_agreement.py keeps exact.

    pytest tests/test_agreement_recipes.py      # NETDSL_AGREEMENT_EXAMPLES sets the total, as for test_agreement.py
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest
import torch  # the suite requires torch: CI installs it, a missing torch must fail
from agreement_generators import GENERATORS, Case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_recipe import run_recipe

from netdsl import registry
from netdsl.checker import infer_layer
from netdsl.schema import SchemaError
from netdsl.shapes import ShapeError

KINDS = registry.all_kinds()
RECIPE_ONLY = {"arange", "center_crop", "masked_fill", "ones", "scaled_dot_product_attention", "where", "zeros"}
TOTAL = int(os.environ.get("NETDSL_AGREEMENT_EXAMPLES", "1500"))
PER_KIND = max(10, TOTAL // max(len(GENERATORS), 1))
STATS: dict[str, Counter] = defaultdict(Counter)


def _slice_sizes(case: Case) -> list[int]:
    """The size of each slice of a getitem case, as Python computes it on range(n) (the dims it would index)."""
    rank, index = len(case.shapes[0]), case.args["index"]
    used = sum(type(i) is int or isinstance(i, tuple) for i in index)
    dims, found = iter(range(rank)), []
    for item in index:
        if item is Ellipsis:
            for _ in range(rank - used):
                next(dims, None)
        elif type(item) is int or isinstance(item, tuple):
            d = next(dims, None)
            if isinstance(item, tuple) and d is not None and (item[2] or 1) > 0:
                found.append(len(range(case.shapes[0][d])[slice(*item)]))
    return found


def _crop_mismatch(case: Case) -> bool:
    x, like = case.shapes
    return len(x) != len(like) or len(x) < 3 or any(a < b for a, b in zip(x[2:], like[2:]))


def _arange_length(case: Case) -> float:
    start, end, step = (case.args.get(k, default) for k, default in (("start", 0), ("end", None), ("step", 1)))
    start, end = (0, start) if end is None else (start, end)
    return math.ceil((end - start) / step) if step else 1


# Regions where netdsl is deliberately stricter than PyTorch: netdsl must reject, PyTorch is not asked.
# (The kinds the oracle covers list theirs in agreement.py.)
STRICTER: dict[str, tuple[str, Callable[[Case], bool]]] = {
    # Every size is at least 1 (E0420): torch returns empty tensors for these.
    "getitem": ("getitem with a slice that selects nothing", lambda case: 0 in _slice_sizes(case)),
    "arange": ("arange with no elements", lambda case: _arange_length(case) <= 0),
    **{name: (f"{name} with a size of 0", lambda case: 0 in case.args["size"]) for name in ("ones", "zeros")},
    "expand": ("expand to a size of 0", lambda case: 0 in case.args["sizes"]),
    # center_crop is netdsl's own op (its code is a slice, which checks nothing): crop [N, C, *spatial] to
    # a smaller or equal spatial size of a tensor of the same rank.
    "center_crop": ("center_crop of tensors that do not fit", _crop_mismatch),
    # `a > b`, `x ** 2`: two operands, as Python's operators take (the registry's expression drops a third).
    **{name: (f"{name} of other than two operands", lambda case: len(case.shapes) + (case.args.get("scalar") is not None) != 2)
       for name in ("pow", "gt", "ge", "lt", "le", "eq", "ne")},
}


# ---------------------------------------------------------------- the two verdicts

def netdsl_verdict(kind: registry.LayerKind, case: Case):
    """(validated args or None, (output shape, params, buffers, weights) or the error that rejects the case);
    weights are the shapes of the tensors a kind declares (`LayerKind.weights`, what `tie=` shares)."""
    try:
        args = kind.schema.validate(case.args)
    except SchemaError as error:
        return None, error
    try:
        args, out = infer_layer(kind, args, case.shapes)
    except ShapeError as error:
        return args, error
    # Everything downstream must work on an accepted case: no crash in counts, MACs or labels.
    kind.macs(args, case.shapes, out)
    kind.describe(args, case.shapes)
    weights = {n: tuple(s) for n, s in kind.weights(args, case.shapes).items()} if kind.weights else None
    return args, (tuple(out), kind.params(args, case.shapes), kind.buffers(args, case.shapes), weights)


def torch_verdict(kind: registry.LayerKind, case: Case, args, device: str):
    """(output shape, params, buffers, weights) as PyTorch computes them on device, or the exception it raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out, module = run_recipe(kind, args, case.shapes, device, getattr(torch, case.dtype))
        except Exception as error:  # noqa: BLE001 — any torch error is a rejection
            return error
    if module is None:
        return tuple(out.shape), 0, 0, None
    weights = {n: tuple(p.shape) for n, p in module.named_parameters()} if kind.weights else None
    return (tuple(out.shape), sum(p.numel() for p in module.parameters()),
            sum(b.numel() for b in module.buffers()), weights)


def arbitrated_verdict(kind, case: Case, args, ours):
    theirs = torch_verdict(kind, case, args, "meta")
    if not agrees(ours, theirs):
        STATS[kind.name]["cpu arbitration"] += 1
        theirs = torch_verdict(kind, case, args, "cpu")
    return theirs


def agrees(ours, theirs) -> bool:
    return isinstance(theirs, Exception) if isinstance(ours, Exception) else ours == theirs


def check_agreement(name: str, case: Case) -> None:
    kind = KINDS[name]
    args, ours = netdsl_verdict(kind, case)
    stats = STATS[name]
    stats["cases"] += 1
    if name in STRICTER and STRICTER[name][1](case):
        stats["stricter"] += 1
        assert isinstance(ours, Exception), f"{name}: {STRICTER[name][0]} must be rejected: {case}"
        return
    if isinstance(ours, Exception):
        if args is None:
            stats["invalid arguments"] += 1
            return  # torch's constructor may accept what the schema forbids (e.g. strict types)
        # A module_args that cannot size a module from these shapes (e.g. no channel dim) counts as
        # PyTorch rejecting them; on shapes netdsl accepts, the same failure is reported below.
        theirs = arbitrated_verdict(kind, case, args, ours)
        stats["both reject"] += 1
        assert isinstance(theirs, Exception), (
            f"{name}: netdsl rejects but PyTorch accepts, giving {theirs[0]}\n  case: {case}\n  netdsl: {ours}")
        return
    theirs = arbitrated_verdict(kind, case, args, ours)
    assert not isinstance(theirs, Exception), (
        f"{name}: netdsl accepts (output {list(ours[0])}) but PyTorch raises "
        f"{type(theirs).__name__}: {str(theirs).splitlines()[0] if str(theirs) else ''}\n  case: {case}")
    assert ours == theirs, (
        f"{name}: (shape, params, buffers, weights) netdsl {ours} vs PyTorch {theirs}\n  case: {case}")
    stats["both accept"] += 1


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("name", sorted(RECIPE_ONLY))
def test_agreement_with_pytorch(name):
    @settings(max_examples=PER_KIND, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(st.data())
    def agree(data):
        check_agreement(name, data.draw(GENERATORS[name](), label="case"))
    agree()
