"""Shared by the torch tests: every spec's networks, random inputs of their declared shapes, and the
generated source imported as a real file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from conftest import ROOT

from netdsl import check_file
from netdsl.codegen import generate
from netdsl.sizes import substitute

BATCH = 2
SPECS = sorted((ROOT / "specs").glob("*.net"))


def networks() -> list[tuple[Path, str]]:
    """(spec, network name) for every network of every spec in specs/ (more appear over time)."""
    found = []
    for spec in SPECS:
        analysis = check_file(spec)
        assert analysis.ok, f"{spec.name} does not check"
        found += [(spec, n.graph.name) for n in analysis.networks]
    return found


def checked(spec: Path, network: str):
    analysis = check_file(spec.relative_to(ROOT), network)
    return analysis.network(network)


def import_source(source: str, directory: Path, name: str):
    """Write generated source to a file and import it, as a user pasting the output would."""
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emitted_module(spec: Path, network: str, directory: Path) -> torch.nn.Module:
    graph = checked(spec, network)
    generated = generate([graph], str(spec.relative_to(ROOT)))
    module = import_source(generated.source, directory, f"generated_{spec.stem}_{network}".lower())
    return getattr(module, generated.classes[network])()


def _index_limit(graph, name: str) -> int | None:
    """Inputs read by an embedding hold indices: the smallest num_embeddings among their readers."""
    limits = [layer.args.num_embeddings for layer in graph.layers
              if name in layer.node.inputs and hasattr(layer.args, "num_embeddings")]
    return min(limits, default=None)


def binding(spec: Path, network: str, at_least: int = 16) -> dict[str, int]:
    """Sizes for the input symbols: the batch symbol (each input's leading dim) → BATCH, every other
    symbol → the smallest size the network accepts from `at_least` on."""
    analysis = check_file(spec.relative_to(ROOT), network)
    graph, accepted = analysis.network(network), analysis.accepted[network]
    sizes = {}
    for shape in graph.input_shapes.values():
        for index, dim in enumerate(shape):
            for name in sorted(dim.symbols()) if not isinstance(dim, int) else ():
                if index == 0:
                    sizes[name] = BATCH
                    continue
                answer = accepted.answer(name)
                allowed = answer.sizes if answer is not None and answer.sizes is not None else range(1, 1 << 20)
                sizes.setdefault(name, next(k for k in range(at_least, at_least + 4096) if k in allowed))
    return sizes


def random_inputs(graph, sizes: dict[str, int], seed: int = 0) -> list[torch.Tensor]:
    """One tensor per network input at `sizes`; integer indices for embedding inputs."""
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for name, shape in graph.input_shapes.items():
        size = substitute(shape, sizes)
        limit = _index_limit(graph, name)
        tensors.append(torch.randint(0, limit, size, generator=generator) if limit
                       else torch.randn(size, generator=generator))
    return tensors


def expected_shape(graph, sizes: dict[str, int]) -> tuple:
    """The static output shape at `sizes` (exact: every symbol is given a size)."""
    return substitute(graph.output_shape, sizes)
