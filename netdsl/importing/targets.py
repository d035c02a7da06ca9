"""What `netdsl import` is given on its command line: the model (`path/to/file.py:name` or
`package.module:name`) and the input shapes (`[N, 3, 224, 224]`)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from ..program import InputError
from ..shapes import Shape
from ..sizes import symbol


def parse_shape(text: str) -> Shape:
    """`[N, 3, 224, 224]` → (N, 3, 224, 224): positive integers and symbols."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise InputError(f"--input expects a shape in brackets such as [N, 3, 224, 224], got {text!r}")
    dims = tuple(parse_dim(item, text) for item in filter(None, (part.strip() for part in body[1:-1].split(","))))
    if not dims:
        raise InputError(f"--input {text!r} has no dims")
    return dims


def parse_dim(item: str, shape: str = ""):
    """A positive integer, or a symbol (an identifier: `N`, `H`)."""
    if item.isdigit():
        if int(item) < 1:
            raise InputError(f"--input {shape or item!r}: sizes are positive, got {item}")
        return int(item)
    if item.isidentifier() and item.isascii():
        return symbol(item)
    raise InputError(f"--input {shape or item!r}: {item!r} is neither a positive integer nor a symbol")


def load_target(text: str):
    """(the nn.Module, a name for the network) from `file.py:factory_or_class` or `package.module:name`:
    a callable returning a module, or a class constructed without arguments. The file's directory (or
    the current one, for a package) is put on sys.path so that the model's own imports work."""
    import torch
    location, sep, name = text.rpartition(":")
    if not sep or not location or not name.isidentifier():
        raise InputError(f"expected TARGET as path/to/file.py:name or package.module:name, got {text!r}")
    module = _load_file(Path(location)) if location.endswith(".py") else _load_package(location)
    factory = getattr(module, name, None)
    if factory is None:
        raise InputError(f"{location} has no `{name}`")
    if isinstance(factory, torch.nn.Module):
        return factory, name
    if not callable(factory):
        raise InputError(f"`{name}` in {location} is neither an nn.Module nor a callable returning one")
    required = [p.name for p in _parameters(factory) if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if required:
        raise InputError(f"`{name}` needs arguments ({', '.join(required)}): give a factory that needs none")
    model = factory()
    if not isinstance(model, torch.nn.Module):
        raise InputError(f"`{name}()` returned {type(model).__name__}, not an nn.Module")
    return model, name


def _parameters(factory) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):   # a builtin without a signature: let the call decide
        return []


def _load_file(path: Path):
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    directory = str(path.resolve().parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(f"netdsl_import_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses and pickling look classes up through sys.modules
    spec.loader.exec_module(module)
    return module


def _load_package(dotted: str):
    if not all(part.isidentifier() for part in dotted.split(".")):
        raise InputError(f"{dotted!r} is neither a .py file nor a dotted module name")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as error:
        raise InputError(f"cannot import {dotted}: {error}") from None
