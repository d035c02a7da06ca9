"""Golden diagnostics beyond the error corpus (tests/test_error_corpus.py):

- specs/warnings/NAME.net: specs that check (exit 0) with warnings; NAME.stderr is the output;
- specs/errors/options/NAME.args: a `netdsl check` command line (spec and flags such as -p, -n, -W error)
  and NAME.stderr its output;

and a test that every diagnostic code netdsl can emit has at least one golden.
"""

import re
import shlex
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

WARNINGS = sorted((ROOT / "specs" / "warnings").glob("*.net"))
OPTIONS = sorted((ROOT / "specs" / "errors" / "options").glob("*.args"))
# The default code of ShapeError, for plugin kinds that name none: no built-in kind raises it.
PLUGIN_ONLY = {"E0401"}


@pytest.mark.parametrize("spec", WARNINGS, ids=[p.stem for p in WARNINGS])
def test_warning_goldens(spec: Path, capsys, golden):
    code, out, err = run_cli(capsys, "check", str(spec.relative_to(ROOT)))
    assert code == 0 and "warning[W" in err and out.startswith("ok: ")
    golden(spec.with_suffix(".stderr"), err)


@pytest.mark.parametrize("args", OPTIONS, ids=[p.stem for p in OPTIONS])
def test_option_goldens(args: Path, capsys, golden):
    code, _, err = run_cli(capsys, "check", *shlex.split(args.read_text()))
    assert code == 1 and "error[" in err
    golden(args.with_suffix(".stderr"), err)


def emitted_codes() -> set[str]:
    source = "".join(p.read_text() for p in (ROOT / "netdsl").rglob("*.py"))
    return set(re.findall(r"\"([EW]\d{4})\"", source))


def test_every_code_has_a_golden():
    goldens = "".join(p.read_text() for p in (ROOT / "specs").rglob("*.stderr"))
    shown = set(re.findall(r"\[([EW]\d{4})\]", goldens))
    missing = sorted(emitted_codes() - shown - PLUGIN_ONLY)
    assert not missing, f"codes without a golden in specs/**/*.stderr: {missing}"
    assert PLUGIN_ONLY <= emitted_codes()
