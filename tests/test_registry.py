"""The registry loads a built-in family when one of its kinds is first looked up, through an index of the
families derived from their sources and cached in the temp directory (netdsl.layers.kind_index)."""

from __future__ import annotations

import subprocess
import sys
import tempfile

from conftest import ROOT

from netdsl.layers import FAMILIES, family_kinds, kind_index


def declared() -> dict[str, tuple[str, str | None]]:
    index: dict[str, tuple[str, str | None]] = {}
    for family in FAMILIES:
        for kind in family_kinds(family):
            index.setdefault(kind.name, (family, kind.operator))
    return index


def test_the_index_is_what_the_families_declare():
    assert kind_index() == declared()
    assert kind_index() == declared()   # the second read comes from the cache the first one wrote


def test_a_damaged_or_missing_cache_is_made_again(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert kind_index() == declared()
    cache, = tmp_path.glob(".netdsl-kinds-*")
    for damage in ("conv2d\tconv\n" * 2 + "broken line\n", "conv2d\tno_such_family\t\n", ""):
        cache.write_text(damage, encoding="utf-8")
        assert kind_index() == declared()
        assert cache.read_text(encoding="utf-8").count("\n") == len(declared())


def test_a_lookup_imports_only_the_family_of_its_kind():
    kind_index()   # the cache exists, as after any earlier run
    code = ("import sys\nfrom netdsl import registry\n"
            "assert registry.lookup('conv2d').name == 'conv2d' and registry.operator_kind('+').name == 'add'\n"
            "assert registry.lookup('no_such_kind', plugins=False) is None\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('netdsl.layers.'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.split() == ["netdsl.layers.conv", "netdsl.layers.tensor_ops"]
