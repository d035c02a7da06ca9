"""Layer kinds registered from outside: --plugin, the `netdsl.layers` entry point, and the example plugin
(examples/plugin) in check, summary, build and build_module."""

from __future__ import annotations

import sys

import pytest
import torch
from conftest import ROOT, run_cli

import netdsl
from netdsl import registry

PLUGIN_DIR = ROOT / "examples" / "plugin"
SPEC = "examples/plugin/example.net"


@pytest.fixture
def plugin_path(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))


def test_without_the_plugin_its_kinds_are_unknown(capsys, monkeypatch):
    loaded = registry.all_kinds()  # the table filled first: the flags below are not undone after the test
    monkeypatch.setattr(registry, "_KINDS", {k: v for k, v in loaded.items() if k not in ("dense", "center")})
    monkeypatch.setattr(registry, "_plugins_loaded", True)
    code, _, err = run_cli(capsys, "check", SPEC)
    assert code == 1 and "unknown layer or block `center`" in err


def test_check_summary_and_build_with_plugin(plugin_path, capsys, tmp_path):
    code, out, _ = run_cli(capsys, "check", SPEC, "--plugin", "netdsl_example_plugin")
    assert code == 0 and out == "ok: 1 network, 676 parameters\n"    # dense2 (1,056) is frozen
    code, out, _ = run_cli(capsys, "summary", SPEC, "--plugin", "netdsl_example_plugin")
    assert code == 0 and "Parameters:         1,732 (trainable 676, non-trainable 1,056)" in out
    code, out, _ = run_cli(capsys, "build", SPEC, "--plugin", "netdsl_example_plugin")
    assert code == 0 and "import netdsl_example_plugin.modules\n" in out
    assert "self.dense2 = netdsl_example_plugin.modules.Dense(32, 32, freeze=True)" in out
    assert "out = x - x.mean(dim=-1, keepdim=True)  # [N, 16]" in out


def test_build_module_with_plugin_layers(plugin_path):
    registry.load_plugin("netdsl_example_plugin")
    module = netdsl.build_module(SPEC)
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    assert (trainable, frozen) == (676, 1_056)
    x = torch.randn(2, 16)
    assert module(x).shape == (2, 4)
    torch.testing.assert_close(torch.jit.script(module)(x), module(x))


def test_unknown_plugin_is_a_usage_error(capsys):
    code, _, err = run_cli(capsys, "check", SPEC, "--plugin", "no_such_plugin_module")
    assert code == 2 and "--plugin no_such_plugin_module: cannot import it" in err


def test_entry_point_discovery(plugin_path, tmp_path, monkeypatch):
    """An installed plugin declares `[project.entry-points."netdsl.layers"]`; emulate the installed
    metadata with a dist-info directory on sys.path."""
    info = tmp_path / "netdsl_example_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: netdsl-example-plugin\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[netdsl.layers]\nexample = netdsl_example_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = registry.all_kinds()  # the table filled first: the flags below are not undone after the test
    monkeypatch.setattr(registry, "_KINDS", {k: v for k, v in loaded.items() if k not in ("dense", "center")})
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.delitem(sys.modules, "netdsl_example_plugin", raising=False)
    assert registry.lookup("dense") is not None and netdsl.check_file(SPEC).ok


def test_a_plugin_cannot_replace_a_builtin_by_accident():
    kind = registry.lookup("relu")
    with pytest.raises(ValueError, match="layer kind 'relu' is already registered"):
        registry.register(kind)
