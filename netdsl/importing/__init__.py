"""`netdsl import`: an existing PyTorch nn.Module → a readable spec (needs torch, imported on use).

    text = netdsl.from_module(model, "[N, 3, 224, 224]")

The model is traced with torch.fx one module instance at a time (tracing.py, walk.py); every node is
matched with a layer kind through the kinds' own declarations (recognise.py); instances become blocks
(blocks.py); the spec is written (writer.py) and checked with netdsl before it is returned, with the
map from the model's state_dict keys to the spec's (keys.py). What cannot be imported is listed, all
of it, in an ImportFailed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Problem

__all__ = ["ImportFailed", "Imported", "Problem", "from_module", "import_model"]


class ImportFailed(Exception):
    """The model cannot be written as a spec: every reason, each with its place in the Python source."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass
class Imported:
    text: str                                  # the spec
    network: str                               # its network's name
    keys: dict[str, str] = field(default_factory=dict)   # the model's state_dict keys → the built spec's
    warnings: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)    # what the spec writes differently, on purpose

    def state_dict(self, original) -> dict:
        """The model's weights under the spec's keys: `built.load_state_dict(imported.state_dict(model))`."""
        weights = original.state_dict()
        return {spec: weights[key] for key, spec in self.keys.items()}


def from_module(module, *example_inputs_or_shapes, name: str | None = None) -> str:
    """The spec of `module` (an nn.Module) for inputs of the given shapes: `"[N, 3, 224, 224]"`, a tuple
    (`("N", 3, 224, 224)`), or an example tensor. Raises ImportFailed listing what cannot be imported."""
    return import_model(module, *example_inputs_or_shapes, name=name).text


def import_model(module, *inputs, name: str | None = None, source: str | None = None) -> Imported:
    """from_module's spec, with the state_dict key map and warnings. `source` names the model in the
    spec's header comment (`models.py:resnet18`)."""
    from ..pipeline import analyze
    from ..source import SourceFile
    from .blocks import define
    from .keys import state_dict_keys
    from .walk import Walk
    from .writer import write

    if not inputs:
        raise ValueError("give the shape of each input: from_module(model, '[N, 3, 224, 224]')")
    walk = Walk(module)
    root = walk.network([_shape(i) for i in inputs])
    if walk.problems or root is None:
        raise ImportFailed(walk.problems)
    problems: list[Problem] = []
    network, blocks = define(walk.bodies, root, _network_name(name or type(module).__name__), problems)
    if problems:
        raise ImportFailed(problems)
    header = [f"Imported from {source or type(module).__qualname__} by `netdsl import`."]
    written = write(network, blocks, header)
    analysis = analyze(SourceFile("<imported>", written.text))
    errors = [d for d in analysis.diagnostics.sorted() if d.severity.value == "error"]
    if errors:
        listing = "; ".join(f"{d.message} (line {written.text.count(chr(10), 0, d.span.start) + 1})" if d.span
                            else d.message for d in errors)
        raise ImportFailed([Problem(f"the spec written from this model does not check: {listing}",
                                    help="this is a limit of `netdsl import`; please report it with the model")])
    keys = state_dict_keys(analysis.network(), root, written)
    if walk.root is not module:   # a single layer, imported inside a container (its keys are "0.weight", ...)
        keys = {key.removeprefix("0."): spec for key, spec in keys.items()}
    unwritten = [(body, learned) for body in walk.bodies if not body.echo for learned in body.learned
                 if learned.init is None]
    warnings = [_unwritten(body, learned) for body, learned in unwritten if learned.buffer]
    notes = [_unwritten(body, learned) for body, learned in unwritten if not learned.buffer]
    unused = _unused(module, walk.covered, {id(body.module) for body in walk.bodies}, walk.read)
    return Imported(written.text, network.name, keys, unused + warnings, notes)


def _shape(value) -> tuple:
    from .targets import parse_dim, parse_shape
    if isinstance(value, str):
        return parse_shape(value)
    if hasattr(value, "shape") and not isinstance(value, (tuple, list)):   # an example tensor
        return tuple(int(d) for d in value.shape)
    return tuple(parse_dim(d) if isinstance(d, str) else d for d in value)


def _network_name(name: str) -> str:
    """A class or factory name as a network name: `resnet18` → `Resnet18`, `lenet_5` → `Lenet5`."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", name) if w]
    text = "".join(w[:1].upper() + w[1:] for w in words) or "Imported"
    return text if text[0].isalpha() else f"Net{text}"


def _unwritten(body, learned) -> Problem:
    """A parameter or buffer whose values are not one constant or a mask: the spec declares it with the
    default initialiser (the spec says so in a comment)."""
    name = ".".join(filter(None, (body.path, learned.target)))
    if learned.buffer:
        return Problem(f"buffer `{name}`: its values cannot be written in a spec; the spec declares it `zeros`, and "
                       "the model's values come with its state_dict (`built.load_state_dict(imported.state_dict(model))`)")
    return Problem(f"parameter `{name}`: how the model initialises it is not known; the spec gives it the default "
                   "initialiser, `normal`")


def _unused(module, layers: set[int], walked: set[int], read: dict[int, str]) -> list[Problem]:
    """Weights that forward never uses: the spec has no place for them. A layer's module uses all its
    tensors; a module walked as the network or a block, only those forward reads (`self.W`)."""
    found = []
    for path, child in module.named_modules():
        if id(child) in layers:
            continue
        unread = [(name, t) for name, t in (*child.named_parameters(recurse=False), *child.named_buffers(recurse=False))
                  if id(t) not in read]
        if id(child) in walked:
            found += [Problem(f"`{'.'.join(filter(None, (path, name)))}` is never read by forward: its {t.numel():,} "
                              f"values are not in the spec") for name, t in unread]
        elif unread:
            own = sum(t.numel() for _, t in unread)
            found.append(Problem(f"`{path}` ({type(child).__name__}) is never called by forward: its {own:,} "
                                 f"weights are not in the spec"))
    return found
