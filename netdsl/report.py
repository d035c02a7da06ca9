"""The `--format json` result of `netdsl check`, as pydantic models (its JSON schema is docs/check-schema.json)."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field

from .accepted import Accepted
from .diagnostics import Diagnostic, span_dict
from .pipeline import Analysis
from .sizes import Size, format_size
from .summary import Row, rows

# A size is an integer, or a formula in the input's symbols in Python notation ("16*(H//4)*(W//4)").
Dim = Union[int, str]
Count = Annotated[int | str, Field(description="an integer, or a formula in the input's size symbols")]


class _Model(BaseModel):
    # JSON has no infinity or NaN: a float argument that is one is written "Infinity", "-Infinity", "NaN".
    model_config = ConfigDict(ser_json_inf_nan="strings")


class SpanModel(_Model):
    file: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int


class NoteModel(_Model):
    message: str
    span: SpanModel | None


class DiagnosticModel(_Model):
    code: str
    severity: str
    message: str
    span: SpanModel | None
    label: str
    notes: list[NoteModel]
    help: str | None


class LayerModel(_Model):
    path: str
    name: str
    depth: int
    kind: str
    arguments: dict[str, Any]
    output_shape: list[Dim] | None
    params: int
    buffers: int
    macs: Count
    results: dict[str, list[Dim] | None] | None = Field(
        None, exclude_if=lambda value: value is None, description="a layer whose one call gives several tensors (an LSTM's output, hidden and cell): "
                          "each one's shape, in the order torch returns them; output_shape is the one a chain "
                          "continues with")


class ReasonModel(_Model):
    layer: str
    where: str = Field(description="line:column of the layer, and the block calls it is reached through")
    needs: str


class AcceptedSizeModel(_Model):
    """The sizes a network accepts for one symbol of its input shapes: every x ≥ start with
    x mod modulus in residues (all residues when residues is null), and the sizes in `extra` below."""
    symbol: str
    determined: bool
    statement: str
    smallest: int | None
    start: int | None
    modulus: int | None
    residues: list[int] | None
    extra: list[int]
    tied: list[str] = Field(description="symbols that must equal this one")
    reasons: list[ReasonModel]
    unknown: str | None = Field(description="why the sizes could not be determined")


class WhereModel(_Model):
    """Part of a network's `where` clause: the sizes it allows for some symbols (several when it makes
    them equal), and whether the network accepts every one of them."""
    symbols: list[str]
    conditions: list[str]
    allows: str | None = Field(description="the allowed sizes in words; null when the clause could not be solved")
    proved: bool | None = Field(description="the network accepts every allowed size; null when undetermined")
    counterexample: dict[str, int] | None = Field(description="the smallest allowed sizes it does not accept")


class NetworkModel(_Model):
    name: str
    parameters: dict[str, Any]
    inputs: dict[str, list[Dim] | None]
    output_shape: list[Dim] | None
    layers: list[LayerModel]
    complete: bool = Field(description="false when a layer did not check: the totals are then null")
    total_params: int | None
    total_buffers: int | None
    total_macs: Count | None
    accepted_sizes: list[AcceptedSizeModel]
    where: list[WhereModel]


class FileModel(_Model):
    path: str
    ok: bool
    networks: list[NetworkModel]
    diagnostics: list[DiagnosticModel]


class CheckReport(_Model):
    version: int = 1
    ok: bool
    files: list[FileModel]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Size):
        return format_size(value)
    return value


def _shape(shape) -> list[Dim] | None:
    return None if shape is None else [_plain(d) for d in shape]


def _arguments(row: Row) -> dict[str, Any]:
    """The layer's arguments as PyTorch gets them (inferred sizes filled in), or as written when the
    layer did not check; a block call's parameters."""
    args = row.layer.args if row.layer.args is not None else row.layer.node.args
    if args is None:
        return {}
    items = args.items() if isinstance(args, dict) else args.public_items()
    return {k: _plain(v) for k, v in items}


def _where(accepted: Accepted | None) -> list[WhereModel]:
    return [WhereModel(symbols=list(part.symbols), conditions=[c.span.text for c in part.conditions],
                       allows=part.sizes.words(part.symbols[0]) if part.sizes is not None else None,
                       proved=part.proved,
                       counterexample=part.counterexample)
            for part in (accepted.declared if accepted else ())]


def _accepted(accepted: Accepted | None) -> list[AcceptedSizeModel]:
    models = []
    for answer in accepted.answers if accepted else ():
        sizes = answer.sizes
        models.append(AcceptedSizeModel(
            symbol=answer.symbol, determined=sizes is not None,
            statement=answer.words() if sizes is not None else answer.unknown,
            smallest=sizes.smallest() if sizes else None, start=sizes.start if sizes else None,
            modulus=sizes.modulus if sizes else None,
            residues=list(sizes.residues) if sizes and sizes.residues is not None else None,
            extra=list(sizes.extra) if sizes else [], tied=list(answer.tied),
            reasons=[ReasonModel(layer=r.layer, where=r.where, needs=r.needs) for r in answer.reasons],
            unknown=answer.unknown))
    return models


def diagnostic_model(d: Diagnostic) -> DiagnosticModel:
    return DiagnosticModel(code=d.code, severity=d.severity.value, message=d.message, span=span_dict(d.span),
                           label=d.label, notes=[NoteModel(message=n.message, span=span_dict(n.span)) for n in d.notes],
                           help=d.help)


def file_model(analysis: Analysis, diagnostics: list[Diagnostic]) -> FileModel:
    networks = []
    for checked in analysis.networks:
        complete = checked.output_shape is not None and all(r.layer.shape is not None for r in rows(checked))
        layers = [LayerModel(path=r.path, name=r.name, depth=r.depth, kind=r.kind, arguments=_arguments(r),
                             output_shape=_shape(r.shape), params=r.params, buffers=r.buffers, macs=_plain(r.macs),
                             results={name: _shape(s) for name, s in r.results} if r.results else None)
                  for r in rows(checked)]
        networks.append(NetworkModel(
            name=checked.graph.name, parameters={k: _plain(v) for k, v in checked.graph.params.items()},
            inputs={k: _shape(v) for k, v in checked.input_shapes.items()}, output_shape=_shape(checked.output_shape),
            layers=layers, complete=complete, total_params=checked.params if complete else None,
            total_buffers=checked.buffers if complete else None, total_macs=_plain(checked.macs) if complete else None,
            accepted_sizes=_accepted(analysis.accepted.get(checked.graph.name)),
            where=_where(analysis.accepted.get(checked.graph.name))))
    ok = not any(d.severity.value == "error" for d in diagnostics)
    return FileModel(path=analysis.source.path, ok=ok, networks=networks,
                     diagnostics=[diagnostic_model(d) for d in diagnostics])
