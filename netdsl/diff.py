"""CheckedGraphs of two versions of a spec → what changed, layer by layer, for code review.

Layers are matched by structure first, then by name: the two layer sequences of each network (and of
each block call matched in both) are aligned on (kind, arguments), so an inserted layer is one
addition even when it renumbers the generated names after it (conv1 → conv2 is then reported as a
rename: the state_dict key changes). Layers left over are paired when they have the same name and
kind (their arguments changed), then in order within the same gap when they have the same kind.
Whatever is still left was added or removed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from .checker import CheckedGraph, LayerResult
from .initializers import INITIALIZERS
from .program import InputError
from .shapes import format_dim, format_shape
from .sizes import Size, format_size
from .summary import describe, named_results, output_text

DIFF_VERSION = 1


@dataclass(frozen=True)
class Layer:
    """One side of a layer in the diff: what a reviewer compares."""
    path: str                     # "res1.conv2"
    kind: str
    label: str                    # "conv2d(1→6, 5×5)"
    arguments: dict[str, str]     # name → spelling as in a spec
    inputs: tuple[str, ...]
    shape: str
    params: int
    macs: int


def _presence(old, new) -> str | None:
    """"added" or "removed" when one side is missing."""
    return "added" if old is None else "removed" if new is None else None


@dataclass(frozen=True)
class LayerChange:
    old: Layer | None             # None: added
    new: Layer | None             # None: removed
    depth: int

    @property
    def status(self) -> str:
        return _presence(self.old, self.new) or ("renamed" if self.renamed and not self.changes else "changed")

    @property
    def renamed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.path != self.new.path

    @property
    def arguments(self) -> dict[str, tuple[str | None, str | None]]:
        if self.old is None or self.new is None:
            return {}
        names = list(dict.fromkeys([*self.old.arguments, *self.new.arguments]))
        return {n: (self.old.arguments.get(n), self.new.arguments.get(n)) for n in names
                if self.old.arguments.get(n) != self.new.arguments.get(n)}

    @property
    def changes(self) -> bool:
        """Anything besides the name differs."""
        old, new = self.old, self.new
        return bool(self.arguments) or (old.kind, old.inputs, old.shape, old.params, old.macs) != (
            new.kind, new.inputs, new.shape, new.params, new.macs)


@dataclass(frozen=True)
class Totals:
    params: int
    buffers: int
    macs: int
    layers: int
    inputs: dict[str, str]
    output: str


@dataclass(frozen=True)
class NetworkChange:
    old_name: str | None
    new_name: str | None
    old: Totals | None
    new: Totals | None
    layers: list[LayerChange] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.old_name and self.new_name and self.old_name != self.new_name:
            return f"{self.old_name} → {self.new_name}"
        return self.new_name or self.old_name or ""

    @property
    def status(self) -> str:
        changed = self.layers or self.old != self.new or self.old_name != self.new_name
        return _presence(self.old, self.new) or ("changed" if changed else "unchanged")


@dataclass(frozen=True)
class SpecDiff:
    old_label: str
    new_label: str
    networks: list[NetworkChange]

    @property
    def changed(self) -> bool:
        return any(n.status != "unchanged" for n in self.networks)


# ---------------------------------------------------------------- comparing

def _spelling(value: Any) -> str:
    """A value as it is written in a spec: true, 'same', (3, 3); a symbolic size by its name."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "None"
    if isinstance(value, (int, float)):
        return repr(value)
    if type(value) is str:
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_spelling(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return format_dim(value)


def _arguments(layer: LayerResult) -> dict[str, str]:
    """The arguments as the spec writes them (sizes a kind infers are not arguments here: they change
    with the layers before)."""
    args = layer.node.args
    if args is None:
        return {}
    learnable = layer.node.learnable
    if learnable is not None:   # a parameter's initialiser, and its arguments as the spec writes them
        written = INITIALIZERS[learnable.init].arguments(args)
        return {"init": learnable.init, **{name: _spelling(value) for name, value in written.items()}}
    items = args.items() if isinstance(args, dict) else args.public_items()
    return {name: _spelling(value) for name, value in items}


def _key(layer: LayerResult) -> tuple:
    return (layer.node.kind, tuple(_arguments(layer).items()))


def _layer(layer: LayerResult, prefix: str) -> Layer:
    return Layer(prefix + layer.node.name, layer.node.kind, describe(layer), _arguments(layer), layer.node.inputs,
                 output_text(layer.shape, named_results(layer)), layer.params + layer.frozen, layer.macs)


def _pairs(old: list[LayerResult], new: list[LayerResult]) -> dict[int, int]:
    """old index → new index for the layers that are the same layer in both versions."""
    matcher = SequenceMatcher(None, [_key(x) for x in old], [_key(x) for x in new], autojunk=False)
    pairs = {a + k: b + k for a, b, size in matcher.get_matching_blocks() for k in range(size)}
    taken = set(pairs.values())
    by_name = {layer.node.name: j for j, layer in enumerate(new) if j not in taken}
    for i, layer in enumerate(old):
        j = by_name.get(layer.node.name)
        if i not in pairs and j is not None and new[j].node.kind == layer.node.kind:
            pairs[i] = j
            taken.add(j)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        left = [i for i in range(i1, i2) if i not in pairs]
        right = [j for j in range(j1, j2) if j not in taken]
        kinds = SequenceMatcher(None, [old[i].node.kind for i in left], [new[j].node.kind for j in right],
                                autojunk=False)
        for a, b, size in kinds.get_matching_blocks():
            for k in range(size):
                pairs[left[a + k]] = right[b + k]
                taken.add(right[b + k])
    return pairs


def _compare_layers(old: CheckedGraph, new: CheckedGraph, old_prefix: str, new_prefix: str,
                    depth: int) -> list[LayerChange]:
    old_layers, new_layers = list(old.layers), list(new.layers)
    pairs = _pairs(old_layers, new_layers)
    # Where an input came from, in the new version's names: matched layers and inputs in the same place.
    renamed = {a: b for i, j in pairs.items() for a, b in zip(old_layers[i].node.values, new_layers[j].node.values)}
    renamed |= {a.name: b.name for a, b in zip(old.graph.inputs, new.graph.inputs)}
    entries: list[tuple[tuple[float, int], list[LayerChange]]] = []
    anchor = -1.0
    for i, layer in enumerate(old_layers):
        if i in pairs:
            anchor = pairs[i]
            continue
        entries.append(((anchor + 0.5, i), [LayerChange(_layer(layer, old_prefix), None, depth)]))
    reverse = {j: i for i, j in pairs.items()}
    for j, layer in enumerate(new_layers):
        after = _layer(layer, new_prefix)
        if j not in reverse:
            entries.append(((j, 0), [LayerChange(None, after, depth)]))
            continue
        before_result = old_layers[reverse[j]]
        before = _layer(before_result, old_prefix)
        before = replace(before, inputs=tuple(renamed.get(name, name) for name in before.inputs))
        changes = []
        change = LayerChange(before, after, depth)
        if change.renamed or change.changes:
            changes.append(change)
        if before_result.inner is not None and layer.inner is not None:
            changes += _compare_layers(before_result.inner, layer.inner, f"{before.path}.", f"{after.path}.",
                                       depth + 1)
        entries.append(((j, 0), changes))
    entries.sort(key=lambda entry: entry[0])
    return [change for _, changes in entries for change in changes]


def _totals(checked: CheckedGraph) -> Totals:
    return Totals(checked.params + checked.frozen, checked.buffers, checked.macs, len(checked.layers),
                  {name: format_shape(shape) for name, shape in checked.input_shapes.items()},
                  format_shape(checked.output_shape))


def compare(old: list[CheckedGraph], new: list[CheckedGraph], old_label: str, new_label: str) -> SpecDiff:
    """What changed from the networks `old` to `new`, matched by name (a lone network on each side is
    the same network, renamed)."""
    old_by_name = {n.graph.name: n for n in old}
    new_by_name = {n.graph.name: n for n in new}
    matched = [(name, name) for name in old_by_name if name in new_by_name]
    lone_old = [name for name in old_by_name if name not in new_by_name]
    lone_new = [name for name in new_by_name if name not in old_by_name]
    if len(lone_old) == 1 and len(lone_new) == 1:
        matched.append((lone_old.pop(), lone_new.pop()))
    networks = []
    for old_name, new_name in matched:
        a, b = old_by_name[old_name], new_by_name[new_name]
        networks.append(NetworkChange(old_name, new_name, _totals(a), _totals(b), _compare_layers(a, b, "", "", 0)))
    networks += [NetworkChange(name, None, _totals(old_by_name[name]), None) for name in lone_old]
    networks += [NetworkChange(None, name, None, _totals(new_by_name[name])) for name in lone_new]
    order = {name: i for i, name in enumerate(new_by_name)}
    networks.sort(key=lambda n: order.get(n.new_name, len(order)))
    return SpecDiff(old_label, new_label, networks)


# ---------------------------------------------------------------- git

def _git(*args: str, cwd: Path) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("diff --rev needs git, which is not installed") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return result.stdout


def export_revision(path: str, revision: str, into: Path) -> Path:
    """Write the spec's directory (its .net files, where its imports live) as it was at `revision` into
    `into`; the spec's path there."""
    import io
    import tarfile
    spec = Path(path).resolve()
    if not spec.parent.is_dir():
        raise InputError(f"{path}: no such directory")
    prefix = _git("rev-parse", "--show-prefix", cwd=spec.parent).decode().strip()
    top = Path(_git("rev-parse", "--show-toplevel", cwd=spec.parent).decode().strip())
    archive = _git("archive", "--format=tar", f"{revision}:{prefix}", "--", "*.net", cwd=top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if spec.name not in tar.getnames():
            raise InputError(f"{path} does not exist at revision {revision}")
        tar.extractall(into, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return into / spec.name


# ---------------------------------------------------------------- output

def _delta(old, new) -> str:
    """`1,000 → 1,200 (+200, +20.0%)`; counts that are formulas in the symbols (MACs) as formulas."""
    if old == new:
        return f"{new:,}"
    if isinstance(old, Size) or isinstance(new, Size):
        change = new - old
        text = format_size(change)
        signed = text if text.startswith("-") else f"+{text}"
        same = isinstance(old, Size) and isinstance(new, Size) and len(old.terms) == len(new.terms) == 1 \
            and old.terms[0][0] == new.terms[0][0]   # c*N → d*N: a percentage, like numbers
        percent = f", {(new.terms[0][1] - old.terms[0][1]) / old.terms[0][1]:+.1%}" if same else ""
        return f"{format_size(old)} → {format_size(new)} ({signed}{percent})"
    percent = f", {(new - old) / old:+.1%}" if old else ""
    return f"{old:,} → {new:,} ({new - old:+,}{percent})"


def _pair(old: str | None, new: str | None) -> str:
    return f"{old} → {new}" if old != new else f"{new}"


def _details(change: LayerChange) -> list[str]:
    """What a reviewer reads about one layer: the changed arguments, inputs, shape and counts."""
    old, new = change.old, change.new
    if old is None or new is None:
        layer = old or new
        return [f"output {layer.shape}"] + [f"{what} {count:,}" for what, count in
                                            (("params", layer.params), ("MACs", layer.macs)) if not (type(count) is int and count == 0)]
    details = [f"{name} {_pair(a if a is not None else '(unset)', b if b is not None else '(unset)')}"
               for name, (a, b) in change.arguments.items()]
    if old.kind != new.kind:
        details.append(f"kind {old.kind} → {new.kind}")
    if old.inputs != new.inputs:
        details.append(f"inputs ({', '.join(old.inputs)}) → ({', '.join(new.inputs)})")
    if old.shape != new.shape:
        details.append(f"output {old.shape} → {new.shape}")
    if old.params != new.params:
        details.append(f"params {_delta(old.params, new.params)}")
    if old.macs != new.macs:
        details.append(f"MACs {_delta(old.macs, new.macs)}")
    return details


_MARKS = {"added": "+", "removed": "-", "changed": "~", "renamed": ">"}
_COLORS = {"added": "32", "removed": "31", "changed": "33", "renamed": "36"}


def _name(change: LayerChange) -> str:
    return _pair(change.old.path, change.new.path) if change.renamed else (change.new or change.old).path


def _total_lines(network: NetworkChange) -> list[str]:
    old, new = network.old, network.new
    if old is None or new is None:
        totals = old or new
        return [(f"{totals.layers:,} layers, {totals.params:,} parameters, {totals.macs:,} MACs, "
                 f"output {totals.output}")]
    lines = [f"parameters {_delta(old.params, new.params)}", f"MACs {_delta(old.macs, new.macs)}"]
    if old.buffers != new.buffers:
        lines.append(f"buffers {_delta(old.buffers, new.buffers)}")
    lines += [f"input {name} {_pair(old.inputs.get(name), shape)}" for name, shape in new.inputs.items()
              if old.inputs.get(name) != shape]
    lines.append(f"output {_pair(old.output, new.output)}")
    return lines


def format_human(diff: SpecDiff, color: bool = False) -> str:
    def paint(status: str, text: str) -> str:
        return f"\x1b[{_COLORS[status]}m{text}\x1b[0m" if color and status in _COLORS else text
    out = [f"--- {diff.old_label}", f"+++ {diff.new_label}"]
    for network in diff.networks:
        out.append(f"network {network.name}" + ("" if network.status == "changed" else f" ({network.status})"))
        for change in network.layers:
            label = (change.new or change.old).label
            line = f"{'  ' * (change.depth + 1)}{_MARKS[change.status]} {_name(change)}  {label}"
            details = _details(change) if change.status != "renamed" else ["renamed"]
            out.append(paint(change.status, f"{line}: {'; '.join(details)}"))
        out.append("  totals: " + "; ".join(_total_lines(network)))
    if not diff.changed:
        out.append("no differences")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else _cell(text)


def format_markdown(diff: SpecDiff) -> str:
    """For a pull-request comment: a totals line and a table of changed layers per network."""
    out = [f"### netdsl diff: {_code(diff.old_label)} → {_code(diff.new_label)}", ""]
    if not diff.changed:
        return "\n".join([*out, "No differences.", ""])
    for network in diff.networks:
        out.append(f"**{_cell(network.name)}**" + ("" if network.status == "changed" else f" ({network.status})")
                   + ": " + _cell("; ".join(_total_lines(network))))
        out.append("")
        if network.layers:
            out += ["| | layer | kind | change |", "|---|---|---|---|"]
            for change in network.layers:
                details = _details(change) if change.status != "renamed" else ["renamed"]
                name = _pair(_code(change.old.path), _code(change.new.path)) if change.renamed else \
                    _code((change.new or change.old).path)
                out.append(f"| {_MARKS[change.status]} {change.status} | {name} | "
                           f"{_cell((change.new or change.old).label)} | {_cell('; '.join(details))} |")
            out.append("")
    return "\n".join(out)


def _side(layer: Layer | None) -> dict | None:
    return None if layer is None else {"path": layer.path, "kind": layer.kind, "label": layer.label,
                                       "arguments": layer.arguments, "inputs": list(layer.inputs),
                                       "output_shape": layer.shape, "params": layer.params, "macs": layer.macs}


def _totals_dict(totals: Totals | None) -> dict | None:
    return None if totals is None else {"params": totals.params, "buffers": totals.buffers, "macs": totals.macs,
                                        "layers": totals.layers, "inputs": totals.inputs, "output_shape": totals.output}


def diff_dict(diff: SpecDiff) -> dict:
    """The `diff --format json` document."""
    return {"version": DIFF_VERSION, "old": diff.old_label, "new": diff.new_label, "changed": diff.changed,
            "networks": [{"old_name": n.old_name, "new_name": n.new_name, "status": n.status,
                          "old": _totals_dict(n.old), "new": _totals_dict(n.new),
                          "layers": [{"status": c.status, "depth": c.depth, "old": _side(c.old), "new": _side(c.new),
                                      "changed_arguments": {k: {"old": a, "new": b}
                                                            for k, (a, b) in c.arguments.items()}}
                                     for c in n.layers]}
                         for n in diff.networks]}


def format_json(diff: SpecDiff) -> str:
    return json.dumps(diff_dict(diff), indent=2, ensure_ascii=False,
                      default=lambda value: format_size(value) if isinstance(value, Size) else str(value)) + "\n"
