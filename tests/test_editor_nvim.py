"""A real editor: headless Neovim's built-in LSP client, configured by editors/nvim/netdsl.lua, talks
to `netdsl lsp`; the diagnostic and a hover with shapes arrive in the editor."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


def test_neovim_shows_the_diagnostic_and_a_hover_with_shapes(tmp_path):
    if shutil.which("nvim") is None:
        pytest.fail("Neovim is needed: `apt-get install -y neovim` (the README's test command does)")
    out = tmp_path / "session.txt"
    command = json.dumps([sys.executable, "-m", "netdsl", "lsp"])
    subprocess.run(["nvim", "--headless", "-u", str(ROOT / "editors/nvim/netdsl.lua"),
                    "--cmd", f"let g:netdsl_command = {command}", "specs/errors/lenet_in_features.net",
                    "-c", f"luafile {ROOT / 'tests/editor/nvim_session.lua'}"],
                   cwd=ROOT, env={**os.environ, "NETDSL_NVIM_OUT": str(out), "XDG_STATE_HOME": str(tmp_path),
                                  "XDG_CACHE_HOME": str(tmp_path)},
                   timeout=60, check=True, capture_output=True)
    lines = out.read_text().splitlines()
    assert lines[0] == ("diagnostic 8:22 E0301 `linear` expects 400 input features, but receives 576 "
                        "(input [N, 576])")
    [hover] = [line for line in lines if line.startswith("hover ")]
    assert "nn.Conv2d(1, 6, kernel_size=5)" in hover
    assert "input `[N, 1, 36, 36]` → output `[N, 6, 32, 32]`" in hover
