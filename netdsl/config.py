"""A project's defaults for the command line: the `[tool.netdsl]` table of the nearest pyproject.toml
that has one, found by walking up from the spec's directory (as ruff finds `[tool.ruff]`).
Command-line flags win over it.

    [tool.netdsl]
    select = ["E", "W01"]                 # codes or prefixes to report (default: all)
    ignore = ["W0104"]                    # warnings not to report
    per-file-ignores = { "specs/features/*.net" = ["W0104"] }   # globs relative to this file
    plugins = ["my_layers"]               # modules registering layer kinds (importable from here)
    allow-outside-imports = false
    color = "auto"                        # auto | always | never
"""

from __future__ import annotations

import os
import sys
from dataclasses import field, fields
from functools import cache

from . import records
from .program import InputError
from .suggest import did_you_mean


@records.value
class Settings:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()
    allow_outside_imports: bool = False
    color: str | None = None


def _strings(value, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"`{what}` must be a list of strings")
    return tuple(value)


def _settings(table: dict) -> Settings:
    """Settings from a [tool.netdsl] table (keys written with dashes); ValueError says what is wrong."""
    known = {f.name.replace("_", "-"): f.name for f in fields(Settings)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ValueError(f"unknown key `{key}`" + (f" ({did_you_mean(key, known)})" if did_you_mean(key, known)
                                                       else f"; the keys are {', '.join(known)}"))
        name = known[key]
        if name in ("select", "ignore", "plugins"):
            values[name] = _strings(value, key)
        elif name == "per_file_ignores":
            if not isinstance(value, dict):
                raise ValueError("`per-file-ignores` must be a table of glob = [codes]")
            values[name] = {glob: _strings(codes, f"per-file-ignores.{glob}") for glob, codes in value.items()}
        elif name == "allow_outside_imports":
            if not isinstance(value, bool):
                raise ValueError("`allow-outside-imports` must be true or false")
            values[name] = value
        elif value not in ("auto", "always", "never"):
            raise ValueError("`color` must be \"auto\", \"always\" or \"never\"")
        else:
            values[name] = value
    return Settings(**values)


@records.value
class Config:
    settings: Settings
    path: str | None = None         # the pyproject.toml it was read from; None: no configuration

    @property
    def root(self) -> str:
        """Per-file-ignores globs and plugins are relative to the directory of the configuration."""
        return os.path.dirname(self.path) if self.path else os.getcwd()


DEFAULT = Config(Settings())


def _table(path: str) -> dict | None:
    """The [tool.netdsl] table of a pyproject.toml, or None when it has none."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}") from None
    if "tool.netdsl" not in text and "\n[tool]" not in f"\n{text}":
        return None   # no [tool.netdsl] table (nor a bare [tool] one): no TOML parser to import and run
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}") from None
    table = document.get("tool", {}).get("netdsl")
    if table is not None and not isinstance(table, dict):
        raise InputError(f"{path}: [tool.netdsl] must be a table")
    return table


def load(path: str) -> Config:
    """The configuration in `path` (InputError when it is not valid)."""
    table = _table(path) or {}
    try:
        return Config(_settings(table), path)
    except ValueError as error:
        raise InputError(f"{path}: invalid [tool.netdsl]: {error}") from None


@cache
def _config_in(directory: str) -> Config:
    """The configuration of the nearest pyproject.toml with a [tool.netdsl] table in `directory` (absolute)
    or a directory above it."""
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate) and _table(candidate) is not None:
            return load(candidate)
        parent = os.path.dirname(directory)
        if parent == directory:
            return DEFAULT
        directory = parent


def config_for(spec: str) -> Config:
    """The configuration that applies to a spec path (`-`, standard input: the current directory)."""
    return _config_in(os.getcwd() if spec == "-" else os.path.dirname(os.path.realpath(spec)))
