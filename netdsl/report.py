"""The `--format json` result of `netdsl check`, as pydantic models (its JSON schema is docs/check-schema.json)."""

from __future__ import annotations

from typing import Any, Union

from pydantic import BaseModel, ConfigDict

from .diagnostics import Diagnostic, span_dict
from .pipeline import Analysis
from .summary import Row, rows

Dim = Union[int, str]


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
    macs: int


class NetworkModel(_Model):
    name: str
    parameters: dict[str, Any]
    inputs: dict[str, list[Dim] | None]
    output_shape: list[Dim] | None
    layers: list[LayerModel]
    total_params: int
    total_buffers: int
    total_macs: int


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
    if isinstance(value, str):
        return str(value)
    return value


def _shape(shape) -> list[Dim] | None:
    return None if shape is None else [_plain(d) for d in shape]


def _arguments(checked, row: Row) -> dict[str, Any]:
    graph = checked.graph
    for part in row.path.split(".")[:-1]:
        graph = graph.node(part).block
    args = graph.node(row.name).args
    if args is None:
        return {}
    items = args.items() if isinstance(args, dict) else ((k, getattr(args, k)) for k in type(args).model_fields)
    return {k: _plain(v) for k, v in items}


def diagnostic_model(d: Diagnostic) -> DiagnosticModel:
    return DiagnosticModel(code=d.code, severity=d.severity.value, message=d.message, span=span_dict(d.span),
                           label=d.label, notes=[NoteModel(message=n.message, span=span_dict(n.span)) for n in d.notes],
                           help=d.help)


def file_model(analysis: Analysis, diagnostics: list[Diagnostic]) -> FileModel:
    networks = []
    for checked in analysis.networks:
        layers = [LayerModel(path=r.path, name=r.name, depth=r.depth, kind=r.kind, arguments=_arguments(checked, r),
                             output_shape=_shape(r.shape), params=r.params, buffers=r.buffers, macs=r.macs)
                  for r in rows(checked)]
        networks.append(NetworkModel(
            name=checked.graph.name, parameters={k: _plain(v) for k, v in checked.graph.params.items()},
            inputs={k: _shape(v) for k, v in checked.input_shapes.items()}, output_shape=_shape(checked.output_shape),
            layers=layers, total_params=checked.params, total_buffers=checked.buffers, total_macs=checked.macs))
    ok = not any(d.severity.value == "error" for d in diagnostics)
    return FileModel(path=analysis.source.path, ok=ok, networks=networks,
                     diagnostics=[diagnostic_model(d) for d in diagnostics])
