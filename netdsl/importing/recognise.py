"""Which layer kind a traced PyTorch module or call is, and with which arguments — read through each
kind's declaration (`LayerKind.module` and `LayerKind.recognise`), never from a table of our own.

A module's arguments are read off its attributes and then checked the way PyTorch would see them: the
module the kind would build from those arguments (on the meta device) must have the same
configuration and the same parameter shapes as the original. The same check leaves out every
argument whose default builds the same module (`maxpool2d(2)` rather than `maxpool2d(2, stride=2)`).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from .. import registry
from ..checker import infer_layer
from ..kinds import CannotImport, LayerKind, TensorArg
from ..schema import Args, Bool, SchemaError, format_value
from ..shapes import Shape, ShapeError, collecting, stop_collecting

# Arguments that never change what a call computes: whether it overwrites its input, where its warnings point.
NEUTRAL = frozenset({"inplace", "_stacklevel"})
# torch's keyword arguments that mean "as the input" when None (F.softmax's dtype), whatever the kind declares.
UNSET = frozenset({"dtype", "out"})


@dataclass(frozen=True)
class Signature:
    """A Python parameter list: `input, start_dim=0, end_dim=-1` or `input, *shape`."""
    names: tuple[str, ...]
    defaults: dict[str, Any]
    varargs: str | None = None

    @staticmethod
    def parse(text: str) -> Signature:
        arguments = ast.parse(f"def f({text}): pass").body[0].args
        names = tuple(a.arg for a in arguments.args)
        values = [ast.literal_eval(d) for d in arguments.defaults]
        defaults = dict(zip(names[len(names) - len(values):], values))
        return Signature(names, defaults, arguments.vararg.arg if arguments.vararg else None)

    def bind(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        """The arguments by name, defaults filled in (a varargs tuple given as one sequence is that sequence)."""
        bound = dict(zip(self.names, args))
        if self.varargs is not None:
            rest = tuple(args[len(self.names):])
            bound[self.varargs] = rest[0] if len(rest) == 1 and isinstance(rest[0], tuple) else rest
        elif len(args) > len(self.names):
            raise CannotImport(f"takes at most {len(self.names)} positional arguments, got {len(args)}")
        for name, value in kwargs.items():
            if name not in self.names and name != self.varargs:
                bound[name] = value   # reported below as an argument the kind does not have
            elif name in bound:
                raise CannotImport(f"`{name}` is given twice")
            else:
                bound[name] = value
        missing = [n for n in self.names if n not in bound and n not in self.defaults]
        if missing:
            raise CannotImport(f"`{missing[0]}` is not given")
        return {**{n: v for n, v in self.defaults.items() if n not in bound}, **bound}


def _derived_signature(kind: LayerKind) -> Signature:
    """`input` and the kind's positional arguments with the schema's defaults: torch.transpose(input,
    dim0, dim1) for `transpose`, Tensor.view(input, *shape) for `view`."""
    fields = kind.schema.fields
    names = tuple(p for p in kind.positional if not p.startswith("*"))
    varargs = next((p[1:] for p in kind.positional if p.startswith("*")), None)
    return Signature(("input", *names), {n: fields[n].default for n in names if not fields[n].required}, varargs)


def resolve(dotted: str):
    """The object a dotted name stands for: `torch.nn.functional.relu`, `nn.Conv2d` (torch's `nn`),
    `pkg.modules.Dense` (a plugin's class)."""
    parts = dotted.split(".")
    if parts[0] in ("nn", "F"):
        parts = ["torch", "nn", *(["functional"] if parts[0] == "F" else []), *parts[1:]]
    for split in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            value = getattr(value, part)
        return value
    raise ImportError(dotted)


class Catalogue:
    """The registry seen from PyTorch: module classes and call targets, each with its kind."""

    def __init__(self):
        self.modules: list[tuple[type, LayerKind]] = []
        self.calls: dict[tuple[str, Any], list[tuple[LayerKind, Signature]]] = {}
        for kind in registry.all_kinds().values():
            if kind.module is not None:
                try:
                    self.modules.append((resolve(kind.module), kind))
                except (ImportError, AttributeError):   # a plugin whose classes are not importable here
                    pass
            for call in kind.recognise.calls:
                name, _, parameters = call.partition("(")
                signature = Signature.parse(parameters[:-1]) if parameters else _derived_signature(kind)
                owner, _, method = name.partition(".")
                key = ("call_method", method) if owner == "Tensor" else ("call_function", _target(name))
                if key[1] is not None:   # in registry order: the first kind whose binding takes a call wins
                    self.calls.setdefault(key, []).append((kind, signature))

    def module_kind(self, module) -> LayerKind | None:
        """The kind of a module: its class is the kind's `module`, or a subclass that keeps its forward."""
        for cls, kind in self.modules:
            if type(module) is cls:
                return kind
        for cls, kind in self.modules:
            if isinstance(module, cls) and type(module).forward is cls.forward:
                return kind
        return None

    def call_kinds(self, op: str, target) -> list[tuple[LayerKind, Signature]]:
        """The kinds that claim a call (`x[i]` is `select`, `x[:, :4]` `getitem`), in the order to try them."""
        try:
            return self.calls.get((op, target), [])
        except TypeError:   # an unhashable target
            return []


def _target(name: str):
    try:
        return resolve(name)
    except (ImportError, AttributeError):
        return None


# ------------------------------------------------------------------ binding

def bind_call(kind: LayerKind, signature: Signature, args: tuple, kwargs: dict) -> tuple[tuple[TensorArg, ...], dict]:
    """A call's tensors and the kind's arguments (not validated yet)."""
    bound = signature.bind(args, kwargs)
    return _split(kind, bound, signature.defaults)


def bind_module_call(kind: LayerKind, module, args: tuple, kwargs: dict) -> tuple[tuple[TensorArg, ...], dict]:
    """The tensors a module is called with (bound to its forward's signature), and arguments the call
    decides (a `bind` hook's); other forward arguments must keep their defaults."""
    try:
        bound = inspect.signature(module.forward).bind(*args, **kwargs)
    except TypeError as error:
        raise CannotImport(str(error)) from None
    bound.apply_defaults()
    defaults = {n: p.default for n, p in inspect.signature(module.forward).parameters.items() if p.default is not p.empty}
    return _split(kind, dict(bound.arguments), defaults, module_call=True)


def _split(kind: LayerKind, bound: dict, defaults: dict, module_call: bool = False):
    if kind.recognise.bind is not None:
        tensors, values = kind.recognise.bind(bound)
        return tuple(tensors), values
    tensors, values = [], {}
    for name, value in bound.items():
        if isinstance(value, TensorArg) or (isinstance(value, tuple) and value and
                                            all(isinstance(v, TensorArg) for v in value)):
            tensors += [value] if isinstance(value, TensorArg) else list(value)
        elif name in kind.schema.fields and not module_call:
            values[name] = value
        elif name in NEUTRAL or (name in UNSET and value is None) or (name in defaults and _same(value, defaults[name])):
            continue
        else:
            raise CannotImport(f"`{name}={format_value(value)}` has no equivalent in `{kind.name}`")
    return tuple(tensors), values


# ------------------------------------------------------------------ module arguments

def module_arguments(kind: LayerKind, module, inputs: tuple[Shape, ...] | None, extra: dict) -> Args:
    """The arguments that make `kind` build `module` again, only those that differ from the defaults;
    `extra` holds what the call decided (e.g. which result an LSTM layer stands for). When the input
    shapes are known the result is checked by building the module again (CannotImport if it differs)."""
    values = {**_read_attributes(kind, module), **extra}
    args = validate(kind, values)
    if inputs is None:
        return args
    wanted = configuration(module)
    built = _rebuilt(kind, args, inputs)
    if built != wanted:
        raise CannotImport(_difference(kind, wanted, built))
    for name in list(values):
        if name in extra or kind.schema.fields[name].required or _same(values[name], kind.schema.defaults[name]):
            continue
        trial = {k: v for k, v in values.items() if k != name}
        try:
            if _rebuilt(kind, validate(kind, trial), inputs) == wanted:
                values = trial
        except (CannotImport, ShapeError):
            pass
    return validate(kind, values)


def validate(kind: LayerKind, values: dict) -> Args:
    missing = [n for n, f in kind.schema.fields.items() if f.required and n not in values]
    if missing:
        raise CannotImport(f"`{kind.name}` needs {', '.join(f'`{n}`' for n in missing)}, which the module does not "
                           f"hold under that name (a kind says where with `recognise.attributes`)")
    try:
        return kind.schema.validate(values)
    except SchemaError as error:
        raise CannotImport("; ".join(f"argument `{name}` {problem.message}" for name, problem in error.errors)) from None


def _read_attributes(kind: LayerKind, module) -> dict:
    import torch
    inferred = {i.field for i in kind.inferred}
    values = {}
    for name, field in kind.schema.public().items():
        if name in inferred or not hasattr(module, name):
            continue
        value = plain(getattr(module, name))
        if isinstance(field.type, Bool) and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None   # `bias`: a parameter, or None
        values[name] = _one_or_tuple(field.type, value)
    if kind.recognise.attributes is not None:
        values.update(kind.recognise.attributes(module))
    return values


def _one_or_tuple(type_, value):
    """(3, 3) → 3 where the argument takes either, as a person writes it."""
    if isinstance(value, tuple) and value and len(set(value)) == 1 and type_.accepts_type(value[0]):
        return value[0]
    return value


def plain(value):
    """torch.Size and lists as tuples, the way a spec writes them."""
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    return value


def infer(kind: LayerKind, args: Args, inputs: tuple[Shape, ...]) -> tuple[Args, Shape]:
    """netdsl's shape rule (the checker's), with conditions on symbolic sizes left to `netdsl check`."""
    token = collecting([])
    try:
        return infer_layer(kind, args, inputs)
    finally:
        stop_collecting(token)


def _rebuilt(kind: LayerKind, args: Args, inputs: tuple[Shape, ...]):
    import torch
    filled, _ = infer(kind, args, inputs)
    positional, keywords = kind.module_args(filled, inputs)
    try:
        with torch.device("meta"):
            return configuration(resolve(kind.module)(*positional, **keywords))
    except Exception as error:   # torch rejects the arguments: they do not describe the module
        raise CannotImport(f"`{kind.module}` cannot be built from the arguments read: {error}") from None


def configuration(module) -> tuple:
    """What a module computes with: its public settings, its parameters' shapes (and whether they are
    trained) and its buffers' shapes."""
    settings = {name: _Setting(plain(value)) for name, value in vars(module).items()
                if not name.startswith("_") and name not in ("training", *NEUTRAL)}
    tensors = tuple((name, tuple(t.shape), t.requires_grad) for name, t in (*module.named_parameters(),
                                                                             *module.named_buffers()))
    return settings, tensors


class _Setting:
    """A setting compared as torch uses it: 2 and (2, 2) are the same kernel size."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other) -> bool:
        a, b = self.value, other.value
        if isinstance(a, tuple) != isinstance(b, tuple):
            single, many = (b, a) if isinstance(a, tuple) else (a, b)
            return all(_same(v, single) for v in many)
        try:
            return bool(a == b) and type(a) is type(b)
        except Exception:   # a tensor or another value without a plain equality
            return a is b

    def __repr__(self) -> str:
        return format_value(self.value) if isinstance(self.value, (bool, int, float, str, tuple)) else repr(self.value)


def _difference(kind: LayerKind, wanted: tuple, built: tuple) -> str:
    settings = [f"{name} is {wanted[0][name]!r} (`{kind.name}` gives {built[0].get(name, 'nothing')!r})"
                for name in wanted[0] if wanted[0][name] != built[0].get(name, _Setting(object()))]
    if wanted[1] != built[1]:
        settings.append(f"its parameters are {_shapes(wanted[1])} (`{kind.name}` gives {_shapes(built[1])})")
    return f"`{kind.name}` cannot express this module: " + "; ".join(settings)


def _shapes(tensors: tuple) -> str:
    return ", ".join(f"{name} {list(shape)}" + ("" if trained else " (frozen)")
                     for name, shape, trained in tensors) or "none"


def _same(a, b) -> bool:
    """Equality that tells True from 1 and 1.0 from 1."""
    return type(a) is type(b) and a == b

