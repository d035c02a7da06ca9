"""Which state_dict key of the spec's module holds each of the original's: the checked spec's layers
are matched with the steps they were written from (by their place in the text), and each step with
the module it came from."""

from __future__ import annotations

from ..checker import CheckedGraph
from .model import Body
from .writer import Written


def state_dict_keys(checked: CheckedGraph, root: Body, written: Written) -> dict[str, str]:
    """original key → the key `netdsl.build_module` gives the same tensor."""
    keys: dict[str, str] = {}
    _match(checked, root, "", written, keys)
    return keys


def _match(checked: CheckedGraph, body: Body, prefix: str, written: Written, keys: dict[str, str]) -> None:
    copies: dict[int, int] = {}   # a repeated call's place → the copies met so far
    for layer in checked.layers:
        start = layer.node.span.start
        place = written.places.get(start)
        if place is None:
            continue
        definition, index = place
        copy = copies.get(start, 0)
        copies[start] = copy + 1
        step = body.steps[definition.steps[index].positions[copy]]
        if step.shares is not None:   # its module's keys are those of its first application
            continue
        name = prefix + layer.node.name
        if layer.inner is not None:
            _match(layer.inner, step.bodies[0], name + ".", written, keys)
        elif step.origin is not None:
            original = ".".join(filter(None, (body.path, step.origin)))
            for key in body.module.get_submodule(step.origin).state_dict():
                keys[f"{original}.{key}"] = f"{name}.{key}"
    for learned, name in zip(body.learned, written.learned.get(id(body.definition), ())):
        keys[".".join(filter(None, (body.path, learned.target)))] = prefix + name
