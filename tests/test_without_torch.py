"""`pip install netdsl` without torch gives check, summary, render, diff and source generation: the wheel
is installed with its declared dependencies (from the package index) into a fresh virtual environment
that has no torch, and the commands and the torch-free test modules run there."""

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import ROOT

# Test modules that import nothing from torch, run again in the environment without it.
TORCH_FREE = ["test_cli.py", "test_diff.py", "test_summary.py", "test_shapes.py", "test_error_corpus.py"]


def run(*args, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    # Nothing of the outer environment's: its virtual environment has torch.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False,
                            env={**env, "NO_COLOR": "1"})
    if check:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def environment(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh environment's bin/, a directory holding copies of specs/, tests/ and docs/ but not the
    package source, so that everything imports the installed wheel)."""
    base = tmp_path_factory.mktemp("without-torch")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", base / "dist", ROOT,
        cwd=base)
    (wheel,) = (base / "dist").glob("netdsl-*.whl")
    venv.create(base / "env", with_pip=True, clear=True)
    python = base / "env" / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", wheel, "pytest>=8", "jsonschema>=4", cwd=base)
    work = base / "work"
    for folder in ("specs", "tests", "docs", "examples"):
        shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return base / "env" / "bin", work


def test_the_environment_has_no_torch(environment):
    bin_dir, work = environment
    result = run(bin_dir / "python", "-c", "import torch", cwd=work, check=False)
    assert result.returncode == 1 and "No module named 'torch'" in result.stderr
    installed = run(bin_dir / "python", "-m", "pip", "list", "--format", "json", cwd=work).stdout
    assert "torch" not in {package["name"].lower() for package in json.loads(installed)}


def test_the_torch_free_commands_work(environment):
    bin_dir, work = environment
    netdsl = bin_dir / "netdsl"
    assert run(netdsl, "check", "specs/", "--format", "sarif", cwd=work, check=False).returncode == 1
    assert run(netdsl, "check", "specs/lenet.net", "specs/resnet18.net", cwd=work).stdout.startswith("ok: 2 networks")
    assert "Parameters:         61,706" in run(netdsl, "summary", "specs/lenet.net", cwd=work).stdout
    assert run(netdsl, "render", "specs/unet.net", "-o", "-", "--format", "dot", cwd=work).stdout.startswith("digraph")
    run(netdsl, "build", "specs/resnet18.net", "-o", work / "resnet18.py", cwd=work)
    compile((work / "resnet18.py").read_text(), "resnet18.py", "exec")
    assert "~ stage2.conv1" in run(netdsl, "diff", "tests/diff/old.net", "tests/diff/new.net", cwd=work).stdout
    assert "conv2d" in run(netdsl, "layers", "conv2d", cwd=work).stdout
    api = ("import netdsl\n"
           "assert 'class LeNet' in netdsl.generate_source('specs/lenet.net')\n"
           "assert netdsl.diagram('specs/lenet.net').source.startswith('digraph')\n"
           "try:\n    netdsl.build_module('specs/lenet.net')\nexcept ImportError as error:\n    print(error)\n")
    assert "build_module needs PyTorch" in run(bin_dir / "python", "-c", api, cwd=work).stdout


def test_the_torch_free_tests_pass(environment):
    bin_dir, work = environment
    result = run(bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 *(f"tests/{name}" for name in TORCH_FREE), cwd=work, check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_torch_free_list_imports_no_torch():
    for name in TORCH_FREE:
        assert not re.search(r"^\s*(import|from)\s+torch", (ROOT / "tests" / name).read_text(), re.MULTILINE), name
