"""netdsl against PyTorch on one case: the case is written as a one-layer spec, netdsl checks it (its
verdict: the output shape, parameter and buffer counts, or its diagnostics) and builds it; the oracle
(oracle.py) runs the same layer in PyTorch on the CPU. Both accept with the same shape, counts, outputs,
gradients and state, or both reject, or netdsl rejects where it is deliberately stricter, for a reason
listed below. Every case asks PyTorch, whatever netdsl says.

A case with symbolic dims is checked symbolically by netdsl and then at several concrete values (each a
full concrete case): where netdsl accepts the symbolic case, its symbolic shape evaluated at a value is the
shape netdsl and PyTorch give at that value.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from agreement_examples import PINNED
from agreement_generators import GENERATORS, Case, Symbol, has_symbols, variants
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from oracle import ORACLE, Op
from torch_verdict import Trace, assert_same, counts, exercise, inputs, rejection

import netdsl
from netdsl import registry
from netdsl.checker import infer_layer
from netdsl.shapes import expand
from netdsl.sizes import substitute

STATS: dict[str, Counter] = defaultdict(Counter)


# ---------------------------------------------------------------- the case as a spec

def spec_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, (int, float, Symbol)):
        return str(value) if not isinstance(value, float) else repr(value)
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, tuple):
        return "(" + ", ".join(map(spec_value, value)) + ("," if len(value) == 1 else "") + ")"
    raise TypeError(f"cannot write {value!r} in a spec")


def _subscript_item(item) -> str:
    """An index item as Python writes it between brackets: (start, stop, step) is start:stop:step."""
    if item is Ellipsis:
        return "..."
    if isinstance(item, tuple):
        return ":".join("" if bound is None else spec_value(bound) for bound in item)
    return spec_value(item)


def spec_text(name: str, case: Case) -> str:
    """`network T() { input x0: [...], ...  output name(x0, ..., positional..., key=value...) }`; a case
    with `outputs` unpacks the pieces into that many names and outputs the one at `index`."""
    if ORACLE[name].subscript and Ellipsis in case.args["index"]:   # `...` is written between brackets only
        index = ", ".join(map(_subscript_item, case.args["index"]))
        return f"network T() {{\n    input x0: [{', '.join(map(str, case.shapes[0]))}]\n    output x0[{index}]\n}}\n"
    order, args = ORACLE[name].positional, dict(case.args)
    unpacked = args.pop("outputs", None)
    index = args.pop("index", None) if unpacked is not None else None
    written = [f"x{i}" for i in range(len(case.shapes))]
    if ORACLE[name].grouped_state and len(written) > 2:
        written = [written[0], "(" + ", ".join(written[1:]) + ")"]
    for argument in order[:case.positional]:
        value = args[argument.lstrip("*")]
        written += map(spec_value, value) if argument.startswith("*") else [spec_value(value)]
    by_position = {argument.lstrip("*") for argument in order[:case.positional]}
    written += [f"{k}={spec_value(v)}" for k, v in args.items() if k not in by_position]
    declared = ", ".join(f"x{i}: [{', '.join(map(str, shape))}]" for i, shape in enumerate(case.shapes))
    declared = f"    input {declared}\n" if case.shapes else ""   # ones, zeros, arange take no tensor
    call = f"{name}({', '.join(written)})"
    if unpacked is None:
        return f"network T() {{\n{declared}    output {call}\n}}\n"
    names = [f"p{i}" for i in range(unpacked)]
    picked = names[index] if index is not None and -unpacked <= index < unpacked else f"p{index}"   # else undefined
    return f"network T() {{\n{declared}    {', '.join(names)} = {call}\n    output {picked}\n}}\n"


# ---------------------------------------------------------------- netdsl's verdict

@dataclass(frozen=True)
class Accepted:
    shape: tuple
    counts: tuple[int, int, int]          # trainable parameters, frozen parameters, buffer elements


@dataclass(frozen=True)
class Rejected:
    codes: tuple[str, ...]
    messages: tuple[str, ...]

    def __str__(self) -> str:
        return "; ".join(f"{c}: {m}" for c, m in zip(self.codes, self.messages))


def netdsl_verdict(text: str) -> Accepted | Rejected:
    analysis = netdsl.check_text(text)
    errors = [d for d in analysis.diagnostics.sorted() if d.severity.value == "error"]
    if errors:
        return Rejected(tuple(d.code for d in errors), tuple(d.message for d in errors))
    network = analysis.network()
    return Accepted(tuple(network.output_shape), (network.params, network.frozen, network.buffers))


# ---------------------------------------------------------------- where netdsl is deliberately stricter

def _empty_area(case: Case) -> bool:
    scale, spatial = case.args.get("scale_factor"), case.shapes[0][2:]
    return case.args.get("mode") == "area" and scale is not None and "size" not in case.args and any(
        int(s * f) == 0 for s, f in zip(spatial, expand(scale, len(spatial))))


def _mean_shortcut(case: Case, d: int) -> bool:
    x = case.shapes[0]
    return len(x) not in (d + 1, d + 2) and all(
        (s if o is None else o) == 1 for s, o in zip(x[-d:], expand(case.args["output_size"], d)))


def _ignored_causal_mask(case: Case) -> bool:
    """multihead_attention with is_causal, an attn_mask of the wrong shape and no key_padding_mask: torch then
    drops the mask unchecked (need_weights=False hands is_causal to scaled_dot_product_attention)."""
    args, shapes = case.args, case.shapes
    if not (args.get("is_causal") and args.get("attn_mask")) or args.get("key_padding_mask"):
        return False
    query, mask = shapes[0], shapes[-1]
    key = shapes[1] if len(shapes) > 2 else query
    batched = len(query) == 3
    seq = 1 if args.get("batch_first") and batched else 0
    if len(query) not in (2, 3) or len(key) <= seq:
        return False
    heads = args["num_heads"] * (query[1 - seq] if batched else 1)
    return len(mask) in (2, 3) and mask not in ((query[seq], key[seq]), (heads, query[seq], key[seq]))


def _has_channel_state(name: str, case: Case) -> bool:
    """A norm layer's weights or running statistics: PyTorch's defaults, which InstanceNorm has off."""
    default = not name.startswith("instancenorm")
    return case.args.get("affine", default) or (name != "groupnorm" and case.args.get("track_running_stats", default))


@dataclass(frozen=True)
class Stricter:
    reason: str
    applies: Callable[[str, Case, Rejected], bool]


def _kinds(names, when: Callable[[Case], bool]) -> Callable[[str, Case, Rejected], bool]:
    return lambda name, case, ours: name in names and when(case)


def _code(code: str) -> Callable[[str, Case, Rejected], bool]:
    return lambda name, case, ours: code in ours.codes


# Each entry: netdsl rejects, PyTorch accepts (or only warns), and the reason netdsl does so on purpose.
STRICTER = [
    Stricter("dropout2d on input that is not 3-D or 4-D (torch only warns, then drops single elements)",
             _kinds({"dropout2d"}, lambda case: len(case.shapes[0]) not in (3, 4))),
    # mode="area" is adaptive average pooling, which returns an empty tensor for an output size of 0.
    Stricter("interpolate/upsample in mode 'area' to an empty output (torch returns an empty tensor)",
             _kinds({"interpolate", "upsample"}, _empty_area)),
    # ATen computes an output size of 1 as a mean over the last d dims and skips the rank check.
    Stricter("adaptive_avg_pool2d/3d to size 1 on input of the wrong rank (ATen's mean shortcut skips the "
             "rank check that nn.AdaptiveAvgPool2d/3d document)",
             lambda name, case, ours: name in ("adaptive_avg_pool2d", "adaptive_avg_pool3d")
             and _mean_shortcut(case, int(name[-2]))),
    # Sizes in a spec are positive: a zero-size dim is almost always a mistake, so it cannot be declared.
    Stricter("a zero-size input dim (torch runs many layers on empty tensors; a spec's sizes are positive)",
             lambda name, case, ours: "E0321" in ours.codes and any(0 in shape for shape in case.shapes)),
    Stricter("getitem with `...` more than once (torch takes it; NumPy, whose indexing torch follows, refuses it)",
             _kinds({"getitem"}, lambda case: case.args["index"].count(Ellipsis) > 1)),
    Stricter("a getitem slice that selects nothing (torch returns an empty tensor; a spec's sizes are positive)",
             lambda name, case, ours: name == "getitem" and "E0420" in ours.codes),
    Stricter("narrow to length 0 (torch returns an empty tensor; a spec's sizes are positive)",
             _kinds({"narrow"}, lambda case: case.args.get("length") == 0)),
    Stricter("ones/zeros with a size of 0 (torch returns an empty tensor; a spec's sizes are positive)",
             _kinds({"ones", "zeros"}, lambda case: 0 in case.args["size"])),
    Stricter("an arange with no elements (torch returns an empty tensor; a spec's sizes are positive)",
             lambda name, case, ours: name == "arange" and "E0420" in ours.codes),
    Stricter("center_crop to a larger size (torchvision's center_crop pads with zeros first; netdsl's only crops)",
             lambda name, case, ours: name == "center_crop" and "E0406" in ours.codes),
    Stricter("center_crop of tensors without spatial dims (fewer than 3: there is nothing to crop)",
             _kinds({"center_crop"}, lambda case: len(case.shapes[0]) < 3 and len(case.shapes[1]) == len(case.shapes[0]))),
    Stricter("more positional arguments than the kind takes: the rest must be named (torch takes more)",
             lambda name, case, ours: "E0312" in ours.codes),
    Stricter("multihead_attention with is_causal and an attn_mask of the wrong shape (torch drops the mask "
             "unchecked: is_causal is a hint)", _kinds({"multihead_attention"}, _ignored_causal_mask)),
    Stricter("a number torch converts to the float32 module's dtype beyond float32's range, or a celu alpha whose inverse is (the oracle runs in float64, where torch takes them)",
             lambda name, case, ours: "E0314" in ours.codes and any("3.4028234663852886e+38" in m or "divides by alpha"
                                                                   in m for m in ours.messages)),
    Stricter("a reshape to a 0-D tensor: `()` is not a value a spec can write",
             _kinds({"reshape", "view"}, lambda case: case.args.get("shape") == ())),
    # Without weights or running statistics torch never compares num_features/num_channels with the input.
    Stricter("a written num_features/num_channels that differs from the input's channels, on a norm layer without "
             "per-channel state (torch does not compare them)",
             lambda name, case, ours: "E0301" in ours.codes and not _has_channel_state(name, case)),
]


def stricter_reason(name: str, case: Case, ours: Rejected) -> str | None:
    return next((entry.reason for entry in STRICTER if entry.applies(name, case, ours)), None)


# netdsl accepts, PyTorch's forward in eval mode runs, but training fails: netdsl checks what holds in
# both modes (the module is valid for inference).
TRAINING_ONLY = [
    Stricter("batchnorm over a single value per channel: torch raises in training mode only",
             lambda name, case, ours: name.startswith("batchnorm") and len(case.shapes[0]) > 1
             and math.prod(case.shapes[0]) // max(case.shapes[0][1], 1) == 1),
    Stricter("instancenorm with running statistics over a single spatial element: torch raises in training mode only",
             lambda name, case, ours: name.startswith("instancenorm") and len(case.shapes[0]) > int(name[-2])
             and math.prod(case.shapes[0][-int(name[-2]):]) == 1),
    Stricter("embedding with sparse gradients and scale_grad_by_freq, or of a 0-D input: torch's backward raises",
             lambda name, case, ours: name == "embedding" and case.args.get("sparse")
             and (case.args.get("scale_grad_by_freq") or not case.shapes[0])),
]


# Numeric equivalence compares outputs, gradients and state; where PyTorch itself cannot be run, less.
def _window_in_padding(case: Case, d: int) -> bool:
    """A dilated max-pooling window whose elements all fall in the padding: torch returns -inf with an index
    outside the input, and its backward then writes outside the gradient's memory (heap corruption)."""
    x, args = case.shapes[0], case.args
    kernel, dilation, padding = (expand(args.get(k, default), d) for k, default in
                                 (("kernel_size", 1), ("dilation", 1), ("padding", 0)))
    stride = expand(args.get("stride") or args["kernel_size"], d)
    for size, k, dl, p, s in zip(x[-d:], kernel, dilation, padding, stride):
        starts = range(-p, size + p, s)   # every window torch may compute (ceil_mode included), and more
        if any(all(not 0 <= start + j * dl < size for j in range(k)) for start in starts):
            return True
    return False


NO_BACKWARD = [
    Stricter("a dilated max-pooling window entirely in the padding: torch's backward corrupts memory (forward "
             "is compared, gives -inf)", lambda name, case, ours: name.startswith("maxpool")
             and len(case.shapes[0]) >= int(name[-2]) and _window_in_padding(case, int(name[-2]))),
]


# ---------------------------------------------------------------- one concrete case

def run_oracle(op: Op, args: dict, shapes, tensors, weights: dict | None,
               backward: bool) -> tuple[Trace, tuple[int, int, int] | None]:
    """The oracle's trace (with netdsl's weights loaded when given) and PyTorch's counts; a constructor
    that refuses the arguments is PyTorch rejecting the case in both modes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call = op.make(args, shapes)
    except Exception as error:  # noqa: BLE001 — classified by rejection()
        refused = rejection(error)
        return Trace({"eval": refused, "train": refused}), None
    if call.module is not None:
        call.module.double()
    if weights is not None:
        theirs = call.module.state_dict() if call.module is not None else {}
        assert {k: v.shape for k, v in theirs.items()} == {k: v.shape for k, v in weights.items()}, (
            f"netdsl's module holds {sorted(weights)}, PyTorch's {sorted(theirs)}")
        if call.module is not None:
            call.module.load_state_dict(weights)
    sizes = counts(call.module)
    return exercise(call.forward, call.module, tensors, strip=False, backward=backward), sizes


def declared_weights(name: str, case: Case) -> dict[str, tuple] | None:
    """The shapes of the tensors a kind declares (`LayerKind.weights`: what `tie=` shares), for a case netdsl
    accepts; None for a kind that declares none."""
    kind = registry.lookup(name)
    if kind.weights is None:
        return None
    args, _ = infer_layer(kind, kind.schema.validate(case.args), case.shapes)
    return {weight: tuple(shape) for weight, shape in kind.weights(args, case.shapes).items()}


def check_concrete(name: str, case: Case) -> tuple[str, Accepted | Rejected]:
    """The outcome class of one concrete case, and netdsl's verdict; AssertionError on a disagreement."""
    op, text = ORACLE[name], spec_text(name, case)
    ours = netdsl_verdict(text)
    tensors = inputs(op, case.args, case.shapes)
    where = f"{name}: {case}\n{text}"
    skip = next((e.reason for e in NO_BACKWARD if e.applies(name, case, Rejected((), ()))), None)
    if skip:
        STATS[name][f"no backward: {skip}"] += 1
    if isinstance(ours, Rejected):
        theirs, _ = run_oracle(op, case.args, case.shapes, tensors, None, backward=not skip)
        if not any(theirs.accepted(mode) for mode in theirs.outputs):
            return "both reject (arguments)" if all(c.startswith("E031") for c in ours.codes) else "both reject", ours
        reason = stricter_reason(name, case, ours)
        accepted = next(theirs.outputs[m] for m in theirs.outputs if theirs.accepted(m))
        assert reason, f"netdsl rejects but PyTorch accepts, giving {tuple(accepted.shape)}\n  netdsl: {ours}\n  {where}"
        return f"stricter: {reason}", ours
    assert stricter_reason(name, case, Rejected((), ())) is None, f"netdsl accepts a case it must reject: {where}"
    network = netdsl.build_module(text).double()
    weights = {k.split(".", 1)[1]: v.clone() for k, v in network.state_dict().items()}   # before training mode
    mine = exercise(lambda training, *xs: network.train(training)(*xs), network, tensors, strip=True,
                    backward=not skip)
    theirs, sizes = run_oracle(op, case.args, case.shapes, tensors, weights, backward=not skip)
    assert sizes is not None and theirs.accepted("eval"), (
        f"netdsl accepts (output {list(ours.shape)}) but PyTorch raises {theirs.outputs['eval']!r}\n  {where}")
    shape = tuple(theirs.outputs["eval"].shape)
    assert (ours.shape, ours.counts) == (shape, sizes), (
        f"(shape, counts) netdsl {ours.shape, ours.counts} vs PyTorch {shape, sizes}\n  {where}")
    declared = declared_weights(name, case)
    # the built module's parameters: by name and shape, those of the oracle's module (loaded above)
    parameters = {k.split(".", 1)[1]: tuple(p.shape) for k, p in network.named_parameters()}
    assert declared is None or declared == parameters, (
        f"declared weights {declared} vs PyTorch's parameters {parameters}\n  {where}")
    outcome = "both accept"
    if not theirs.accepted("train") or "backward" in theirs.outputs:
        reason = next((e.reason for e in TRAINING_ONLY if e.applies(name, case, Rejected((), ()))), None)
        failure = theirs.outputs.get("backward", theirs.outputs["train"])
        assert reason, f"PyTorch raises in training mode only: {failure!r}\n  {where}"
        outcome = f"training mode only: {reason}"
    assert_same(mine, theirs, where)
    return outcome, ours


# ---------------------------------------------------------------- symbolic dims

def evaluate(dim, binding: dict[str, int]) -> int:
    """A dim of netdsl's shape at concrete symbol values."""
    return substitute(dim, binding)


def bindings(case: Case) -> list[dict[str, int]]:
    """Each symbol `S<v>` at v (the drawn size), v + 1 and 2v + 1."""
    symbols = {d for shape in case.shapes for d in shape if isinstance(d, Symbol)}
    base = {s: int(s[1:]) for s in symbols}
    return [{s: v for s, v in base.items()}, {s: v + 1 for s, v in base.items()}, {s: 2 * v + 1 for s, v in base.items()}]


def bind(value, binding: dict[str, int]):
    if isinstance(value, Symbol):
        return binding[value]
    if isinstance(value, tuple):
        return tuple(bind(v, binding) for v in value)
    if isinstance(value, Case):
        return replace(value, args={k: bind(v, binding) for k, v in value.args.items()}, shapes=bind(value.shapes, binding))
    return value


# netdsl rejects a symbolic case that PyTorch runs at some values, on purpose (by diagnostic code).
_UNDECIDED = ("sizes that must be equal are a symbol and a number, or two symbols: netdsl does not assume them "
              "equal (an undecided comparison, see issue #12)")
SYMBOLIC_STRICTER = {
    "E0405": "a size the layer's weights depend on (channels, features) must be a number, not a symbol",
    "E0407": "a reshape of symbolic sizes into numbers: the element counts are not shown to be equal",
    **{code: _UNDECIDED for code in ("E0301", "E0403", "E0410", "E0411", "E0413")},
    "E0328": "a symbolic size that must divide another (heads with enable_gqa): whether it does depends on its value",
}


def check_symbolic(name: str, case: Case) -> str:
    ours = netdsl_verdict(spec_text(name, case))
    values = []
    for binding in bindings(case):
        outcome, verdict = check_concrete(name, bind(case, binding))
        STATS[name][f"symbolic value: {outcome}"] += 1
        values.append((binding, verdict))
    accepted = [(binding, verdict) for binding, verdict in values if isinstance(verdict, Accepted)]
    if isinstance(ours, Accepted):
        for binding, verdict in accepted:
            at = tuple(evaluate(d, binding) for d in ours.shape)
            assert (at, ours.counts) == (verdict.shape, verdict.counts), (
                f"{name}: symbolic shape {ours.shape} at {binding} is {at}, but netdsl and PyTorch give "
                f"{verdict.shape} (counts {ours.counts} vs {verdict.counts})\n  {case}\n{spec_text(name, case)}")
        return "symbolic: accepted" if len(accepted) == len(values) else "symbolic: accepted, rejected at some values"
    if not accepted:
        return "symbolic: rejected at every value"
    reason = next((SYMBOLIC_STRICTER[c] for c in ours.codes if c in SYMBOLIC_STRICTER), None)
    assert reason, (f"{name}: netdsl rejects the symbolic case ({ours}) but accepts it at {accepted[0][0]}\n"
                    f"  {case}\n{spec_text(name, case)}")
    return f"symbolic stricter: {reason}"


def check_case(name: str, case: Case) -> str:
    """Check one drawn case; count and return its outcome class."""
    outcome = check_symbolic(name, case) if has_symbols(case) else check_concrete(name, case)[0]
    STATS[name]["cases"] += 1
    STATS[name][outcome] += 1
    return outcome


def property_test(name: str, examples: int, seed_value: int, shrink: bool = True,
                  pinned: bool = True) -> Callable[[], None]:
    """The hypothesis test of one kind: its pinned examples (bugs found by earlier runs), then drawn cases."""
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, phases=phases,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(case=GENERATORS[name]().flatmap(lambda drawn: variants(drawn, ORACLE[name])))
    def agree(case):
        check_case(name, case)
    for case in PINNED.get(name, ()) if pinned else ():
        agree = example(case=case)(agree)
    return agree
