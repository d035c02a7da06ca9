"""Every broken spec in specs/errors/ gives exactly its golden diagnostics (specs/errors/NAME.stderr)."""

from pathlib import Path

import pytest
from conftest import ROOT, run_cli

BROKEN = sorted((ROOT / "specs" / "errors").glob("*.net"))


@pytest.mark.parametrize("spec", BROKEN, ids=[p.stem for p in BROKEN])
def test_golden_diagnostics(spec: Path, capsys, golden):
    code, out, err = run_cli(capsys, "check", str(spec.relative_to(ROOT)))
    assert code == 1, f"{spec.name} should fail to check"
    assert "error[E" in err
    golden(spec.with_suffix(".stderr"), err)


def test_corpus_is_large_enough():
    assert len(BROKEN) >= 15
