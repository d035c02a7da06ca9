"""Weights that two layers hold (`self.head.weight = self.embed.weight`): the spec's `tie=` on the
later layer where both kinds declare that weight tieable and both layers are in one definition; a
problem elsewhere (two convolutions, layers of two blocks, a weight forward also reads itself)."""

from __future__ import annotations

from .. import registry
from .model import Body, Problem, Step

TIE_HELP = ("a spec shares a weight with `tie=label` between the `weight`s of two layers of one definition whose "
            "kinds allow it (linear, embedding)")


def tie_weights(bodies: list[Body], read: dict[int, str]) -> list[Problem]:
    """Sets `Step.tie` on each layer that holds an earlier layer's weight; the problems where a spec cannot
    say it. `read`: id() of each tensor forward reads itself → its attribute."""
    problems: list[Problem] = []
    held: dict[int, tuple] = {}   # id(tensor) → (body, step index, its name in the module)
    for body in bodies:
        for index, step in enumerate(body.steps):
            if step.is_block or step.shares is not None or step.origin is None:
                continue
            module = body.module.get_submodule(step.origin)
            for name, tensor in (*module.named_parameters(), *module.named_buffers()):
                if id(tensor) in read:
                    problems.append(Problem(f"`{read[id(tensor)]}`, read by forward, is also a weight of the layer "
                                            f"`{_qualified(body, step)}`",
                                            help="a spec's parameter and a layer's weight are two tensors"))
                first = held.setdefault(id(tensor), (body, index, name))
                if first != (body, index, name) and not _tie(first, (body, index, name)):
                    owner, position, held_as = first
                    problems.append(Problem(f"`{_qualified(body, step)}.{name}` is "
                                            f"`{_qualified(owner, owner.steps[position])}.{held_as}`: two layers hold "
                                            "one tensor", help=TIE_HELP))
    return problems


def _tie(first: tuple, second: tuple) -> bool:
    """Ties the second layer to the first, if a spec can say it."""
    (body, index, name), (other, later, other_name) = first, second
    step, tied = body.steps[index], other.steps[later]
    if (body is other and name == other_name and tied.tie in (None, index)
            and all(name in registry.lookup(s.kind).tieable for s in (step, tied))):
        tied.tie = index
        return True
    return False


def _qualified(body: Body, step: Step) -> str:
    return ".".join(filter(None, (body.path, step.origin)))
