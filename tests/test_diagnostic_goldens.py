"""Golden diagnostics beyond the error corpus (tests/test_error_corpus.py):

- specs/warnings/NAME.net: specs that check (exit 0) with warnings; NAME.stderr is the output;
- specs/errors/options/NAME.args: a `netdsl check` command line (spec and flags such as -p, -n, -W error)
  and NAME.stderr its output;

and a test that every code in the catalogue (netdsl.codes) has at least one golden, and that no
source file names a code outside the catalogue.
"""

import re
import shlex
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from netdsl import codes

WARNINGS = sorted((ROOT / "specs" / "warnings").glob("*.net"))
OPTIONS = sorted((ROOT / "specs" / "errors" / "options").glob("*.args"))
# The default code of ShapeError, for plugin kinds that name none: no built-in kind raises it.
PLUGIN_ONLY = {"E0401"}


@pytest.mark.parametrize("spec", WARNINGS, ids=[p.stem for p in WARNINGS])
def test_warning_goldens(spec: Path, capsys, golden):
    code, out, err = run_cli(capsys, "check", str(spec.relative_to(ROOT)))
    assert code == 0 and "warning[W" in err and out.splitlines()[-1].startswith("ok: ")
    golden(spec.with_suffix(".stderr"), err)


@pytest.mark.parametrize("args", OPTIONS, ids=[p.stem for p in OPTIONS])
def test_option_goldens(args: Path, capsys, golden):
    code, _, err = run_cli(capsys, "check", *shlex.split(args.read_text()))
    assert code == 1 and "error[" in err
    golden(args.with_suffix(".stderr"), err)


def test_every_code_has_a_golden():
    goldens = "".join(p.read_text() for p in (ROOT / "specs").rglob("*.stderr"))
    shown = set(re.findall(r"\[([EW]\d{4})\]", goldens))
    missing = sorted(set(codes.CATALOGUE) - shown - PLUGIN_ONLY)
    assert not missing, f"codes without a golden in specs/**/*.stderr: {missing}"
    assert shown <= set(codes.CATALOGUE), f"goldens show codes the catalogue lacks: {shown - set(codes.CATALOGUE)}"


def test_raising_sites_use_the_catalogue():
    """A code is raised as `codes.E0410`, never as a string a typo could break."""
    for path in (ROOT / "netdsl").rglob("*.py"):
        if path.name not in ("codes.py", "config.py"):  # config.py documents the settings with examples
            assert not re.search(r"[\"'][EW]\d{4}[\"']", path.read_text()), f"{path} names a code as a string"


def test_docs_codes_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "codes.md").read_text() == codes.markdown()


def test_explain_prints_every_code_and_refuses_unknown_ones(capsys):
    for code, entry in codes.CATALOGUE.items():
        status, out, _ = run_cli(capsys, "explain", code.lower())
        assert status == 0 and out.startswith(f"{code}: {entry.title}") and entry.explanation in out
    status, _, err = run_cli(capsys, "explain", "E01040")   # a typo whose nearest code new codes do not change
    assert status == 2 and "unknown code 'E01040'; did you mean E0104?" in err
