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

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .program import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True,
                              alias_generator=lambda name: name.replace("_", "-"))

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = {}
    plugins: tuple[str, ...] = ()
    allow_outside_imports: bool = False
    color: Literal["auto", "always", "never"] | None = None


@dataclass(frozen=True)
class Config:
    settings: Settings
    path: Path | None = None        # the pyproject.toml it was read from; None: no configuration

    @property
    def root(self) -> Path:
        """Per-file-ignores globs and plugins are relative to the directory of the configuration."""
        return self.path.parent if self.path else Path.cwd()


DEFAULT = Config(Settings.model_construct())  # no validation to build at start-up


def _table(path: Path) -> dict | None:
    """The [tool.netdsl] table of a pyproject.toml, or None when it has none."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid TOML: {error}") from None
    table = document.get("tool", {}).get("netdsl")
    if table is not None and not isinstance(table, dict):
        raise InputError(f"{path}: [tool.netdsl] must be a table")
    return table


def load(path: Path) -> Config:
    """The configuration in `path` (InputError when it is not valid)."""
    table = _table(path) or {}
    try:
        return Config(Settings.model_validate(table), path)
    except ValidationError as error:
        problems = "; ".join(f"`{'.'.join(map(str, e['loc']))}`: {e['msg'].lower()}" for e in error.errors())
        raise InputError(f"{path}: invalid [tool.netdsl]: {problems}") from None


@cache
def _config_in(directory: Path) -> Config:
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _table(candidate) is not None:
            return load(candidate)
    return DEFAULT


def config_for(spec: str) -> Config:
    """The configuration that applies to a spec path (`-`, standard input: the current directory)."""
    directory = Path.cwd() if spec == "-" else Path(spec).resolve().parent
    return _config_in(directory)
