"""Property-based agreement with PyTorch (issue #7): for every registered layer kind, the static
verdict (argument validation + shape rule + parameter/buffer counts) must match what PyTorch does.

    pytest tests/test_agreement.py                                   # a few thousand cases
    NETDSL_AGREEMENT_EXAMPLES=100000 pytest tests/test_agreement.py  # the long run (total cases)
    NETDSL_AGREEMENT_REPORT=path.json ...                            # per-kind counts written there

PyTorch runs on `device="meta"` (no memory, no compute). Wherever its verdict differs from netdsl's,
the CPU (the device users run) arbitrates: meta skips some checks that CPU kernels make (e.g.
conv_transpose3d's output_padding < stride), and a few ops fail on meta (no kernel, or .item()).
Arguments that only restate sizes netdsl infers (in_channels, in_features, num_features,
num_channels) are never drawn: they are netdsl's own assertions, with no PyTorch counterpart.
"""

from __future__ import annotations

import json
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
from netdsl.shapes import ShapeError, conv_transpose_output_size, expand

KINDS = registry.all_kinds()
TOTAL = int(os.environ.get("NETDSL_AGREEMENT_EXAMPLES", "3000"))
PER_KIND = max(10, TOTAL // max(len(GENERATORS), 1))
STATS: dict[str, Counter] = defaultdict(Counter)


def _transpose_output(case: Case, d: int) -> tuple:
    defaults = (("kernel_size", 1), ("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1))
    per_dim = zip(case.shapes[0][-d:], *(expand(case.args.get(k, default), d) for k, default in defaults))
    return tuple(conv_transpose_output_size(*values) for values in per_dim)


def _empty_area(case: Case) -> bool:
    scale, spatial = case.args.get("scale_factor"), case.shapes[0][2:]
    return case.args.get("mode") == "area" and scale is not None and "size" not in case.args and any(
        int(s * f) == 0 for s, f in zip(spatial, expand(scale, len(spatial))))


def _mean_shortcut(case: Case, d: int) -> bool:
    x = case.shapes[0]
    return len(x) not in (d + 1, d + 2) and all(
        (s if o is None else o) == 1 for s, o in zip(x[-d:], expand(case.args["output_size"], d)))


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


def _ignored_causal_mask(case: Case) -> bool:
    """multihead_attention with is_causal, an attn_mask of the wrong shape and no key_padding_mask: torch
    then drops the mask unchecked (need_weights=False hands is_causal to SDPA); netdsl checks it."""
    args, shapes = case.args, case.shapes
    if not (args.get("is_causal") and args.get("attn_mask")) or args.get("key_padding_mask"):
        return False
    query, mask = shapes[0], shapes[-1]
    key = shapes[1] if len(shapes) > 2 else query
    batched = len(query) == 3
    seq = 1 if args.get("batch_first") and batched else 0
    if len(query) not in (2, 3) or len(key) <= seq:
        return False
    lq, ls = query[seq], key[seq]
    heads = args["num_heads"] * (query[1 - seq] if batched else 1)
    return len(mask) in (2, 3) and mask not in ((lq, ls), (heads, lq, ls))


# Regions where netdsl is deliberately stricter than PyTorch: netdsl must reject, PyTorch is not asked.
STRICTER: dict[str, tuple[str, Callable[[Case], bool]]] = {
    # Every size is at least 1 (E0420): torch returns empty tensors for these.
    "getitem": ("getitem with a slice that selects nothing", lambda case: 0 in _slice_sizes(case)),
    "arange": ("arange with no elements", lambda case: _arange_length(case) <= 0),
    **{name: (f"{name} with a size of 0", lambda case: 0 in case.args["size"]) for name in ("ones", "zeros")},
    "expand": ("expand to a size of 0", lambda case: 0 in case.args["sizes"]),
    # center_crop is netdsl's own op (its code is a slice, which checks nothing): crop [N, C, *spatial] to
    # a smaller or equal spatial size of a tensor of the same rank.
    "center_crop": ("center_crop of tensors that do not fit", _crop_mismatch),
    "multihead_attention": ("multihead_attention with is_causal and a mask of the wrong shape",
                            _ignored_causal_mask),
    # torch only warns and then drops single elements instead of channels: almost always a mistake.
    "dropout2d": ("dropout2d on input that is not 3-D or 4-D", lambda case: len(case.shapes[0]) not in (3, 4)),
    # torch's CPU kernels return an empty tensor for a transposed 2d/3d convolution whose output size is
    # 0; meta, conv_transpose1d and plain convolutions raise "output size is too small". netdsl raises.
    **{f"conv_transpose{d}d": (f"conv_transpose{d}d with an output size of 0",
                               lambda case, d=d: 0 in _transpose_output(case, d)) for d in (2, 3)},
    # mode="area" is adaptive average pooling, which returns an empty tensor for an output size of 0
    # where every other mode raises; netdsl raises for all modes.
    **{name: (f"{name} in mode 'area' to an empty output", _empty_area) for name in ("interpolate", "upsample")},
    # ATen computes an output size of 1 as a mean over the last d dims and skips the rank check, so any
    # input of d or more dims passes; nn.AdaptiveAvgPool2d/3d document (and netdsl takes) [C, *] or [N, C, *].
    **{f"adaptive_avg_pool{d}d": (f"adaptive_avg_pool{d}d to size 1 on input of the wrong rank",
                                  lambda case, d=d: _mean_shortcut(case, d)) for d in (2, 3)},
}


# Regions where PyTorch's verdict depends on something other than shapes and arguments: skipped.
NOT_STATIC: dict[str, tuple[str, Callable[[Case], bool]]] = {
    # torch raises "expected more than 1 value per channel" in training mode only when running statistics
    # are tracked (eval mode uses them); without them netdsl rejects, and torch raises in both modes.
    **{f"batchnorm{d}d": ("batchnorm over a single value per channel (training mode only)",
                          lambda case: len(case.shapes[0]) > 1 and case.args.get("track_running_stats", True)
                          and math.prod(case.shapes[0]) // case.shapes[0][1] == 1)
       for d in (1, 2, 3)},
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
    for table, outcome in ((STRICTER, "stricter"), (NOT_STATIC, "not static")):
        if name in table and table[name][1](case):
            stats[outcome] += 1
            if table is STRICTER:
                assert isinstance(ours, Exception), f"{name}: {table[name][0]} must be rejected: {case}"
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

def test_every_kind_has_a_generator():
    missing = sorted(set(KINDS) - set(GENERATORS))
    assert not missing, f"layer kinds without an agreement generator in tests/agreement_generators.py: {missing}"


@pytest.mark.parametrize("name", sorted(set(KINDS) & set(GENERATORS)))
def test_agreement_with_pytorch(name):
    @settings(max_examples=PER_KIND, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(st.data())
    def agree(data):
        check_agreement(name, data.draw(GENERATORS[name](), label="case"))
    agree()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    path = os.environ.get("NETDSL_AGREEMENT_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"examples_requested": TOTAL, "kinds": len(STATS),
                       "cases": sum(s["cases"] for s in STATS.values()),
                       "per_kind": {k: dict(v) for k, v in sorted(STATS.items())}}, out, indent=1)
