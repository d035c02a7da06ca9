"""The code generator: golden modules, ruff-clean and deterministic output, and safe names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from spec_modules import SPECS

from netdsl import check_text
from netdsl.codegen import Namespace, generate, literal

RUFF = Path(sys.executable).parent / "ruff"


def _ruff_clean(directory: Path) -> None:
    """`ruff check` (default rules) and `ruff format --check` both pass on every file in directory."""
    for command in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        result = subprocess.run([str(RUFF), *command, str(directory)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def _generate(text: str) -> str:
    analysis = check_text(text)
    assert analysis.ok, analysis.diagnostics.items
    return generate(analysis.networks, "<test>").source


@pytest.mark.parametrize("name", ["lenet", "resnet_tiny"])
def test_golden_modules(name, capsys, golden):
    code, out, err = run_cli(capsys, "build", f"specs/{name}.net")
    assert (code, err) == (0, "")
    golden(ROOT / "tests" / "cases" / f"{name}.py", out)


def test_the_golden_lenet_computes_what_a_hand_written_lenet_computes(tmp_path):
    """The golden file is netdsl's own output; PyTorch says whether it is right."""
    import torch
    from reference_models import lenet
    from spec_modules import import_source, with_weights_of
    golden = import_source((ROOT / "tests" / "cases" / "lenet.py").read_text(encoding="utf-8"), tmp_path, "golden_lenet")
    twin = lenet().eval()
    module = with_weights_of(golden.LeNet().eval(), twin)
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(module(x), twin(x), rtol=0, atol=0)


def test_every_spec_generates_ruff_clean_deterministic_code(tmp_path, capsys):
    for spec in SPECS:
        first = run_cli(capsys, "build", str(spec.relative_to(ROOT)))
        second = run_cli(capsys, "build", str(spec.relative_to(ROOT)))
        assert first[0] == 0 and first == second, spec.name
        (tmp_path / f"{spec.stem}.py").write_text(first[1], encoding="utf-8")
    _ruff_clean(tmp_path)


def test_output_file_is_written_atomically(tmp_path, capsys):
    target = tmp_path / "model.py"
    target.write_text("old", encoding="utf-8")
    assert run_cli(capsys, "build", "specs/lenet.net", "-o", str(target)) == (0, "", "")
    assert target.read_text(encoding="utf-8") == (ROOT / "tests" / "cases" / "lenet.py").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_spec_errors_give_diagnostics_and_no_code(capsys):
    code, out, err = run_cli(capsys, "build", "specs/errors/" + sorted(p.name for p in (ROOT / "specs" / "errors")
                                                                        .glob("*.net"))[0])
    assert code == 1 and out == "" and "error[E" in err


def test_names_that_python_reserves_are_renamed(tmp_path):
    source = _generate("""
        block Mix(n: int) { input torch, nn: [N, n]  list = torch + nn  output list -> relu }
        network print(n: int = 4) {
            input self: [N, 4]
            out = self -> linear(n)
            l = Mix(out, self -> linear(n), n)
            output l -> linear(2) -> relu
        }""")
    assert "class print_1(nn.Module):" in source
    assert "def forward(self, torch_1: torch.Tensor, nn_1: torch.Tensor) -> torch.Tensor:" in source
    assert "list_1 = torch_1 + nn_1" in source and "l_1 = self.mix1(out, out_1)" in source
    (tmp_path / "reserved.py").write_text(source, encoding="utf-8")
    _ruff_clean(tmp_path)
    namespace: dict = {}
    exec(compile(source, "reserved.py", "exec"), namespace)  # the test runs the generated source, not spec text
    import torch
    assert namespace["print_1"]()(torch.randn(3, 4)).shape == (3, 2)


def test_a_dead_out_variable_is_reused():
    source = _generate("""
        network Pre(d: int = 8) {
            input x: [N, d]
            h = x + (x -> layernorm -> linear(d))
            output h + (h -> layernorm -> linear(4 * d) -> gelu -> linear(d))
        }""")
    forward = source[source.index("def forward"):].splitlines()[1:]
    assert [line.split(" = ")[0].strip() for line in forward[:-1]] == ["out", "out", "h", *["out"] * 5]
    assert forward[-2].strip().startswith("out = h + out") and forward[-1].strip() == "return out"
    namespace: dict = {}
    exec(compile(source, "pre.py", "exec"), namespace)  # the test runs the generated source, not spec text
    import torch
    module = namespace["Pre"]()
    x = torch.randn(3, 8)
    h = x + module.fc1(module.ln1(x))
    expected = h + module.fc3(torch.nn.functional.gelu(module.fc2(module.ln2(h))))
    assert torch.equal(module(x), expected)


def test_an_unpacking_is_one_statement():
    source = _generate("""
        network Pieces() {
            input x: [N, 9, 3]
            _, b, c = x -> split(1, dim=2)
            p, q, r = x -> unbind(2)
            output concat(c, b, p -> unsqueeze(2), dim=2)
        }""")
    forward = [line.split("  #")[0].strip() for line in source[source.index("def forward"):].splitlines()[1:3]]
    assert forward == ["_, b, c = torch.split(x, 1, dim=2)", "p, _, _ = torch.unbind(x, dim=2)"]
    assert "not computed" not in source   # the pieces written `_` are computed with the others
    namespace: dict = {}
    exec(compile(source, "pieces.py", "exec"), namespace)  # the test runs the generated source, not spec text
    import torch
    x = torch.randn(2, 9, 3)
    _, b, c = x.split(1, dim=2)
    assert torch.equal(namespace["Pieces"]()(x), torch.cat((c, b, x.unbind(2)[0].unsqueeze(2)), dim=2))


def test_long_lines_are_laid_out_as_ruff_formats_them(tmp_path):
    # Layouts covered: a call split at its parentheses (arguments on one line, or one per line), and a
    # right-hand side parenthesized whole. Names long enough to need nested splits are not supported.
    long = "a_rather_long_tensor_name"
    source = _generate(f"""
        network Wide() {{
            input {long}: [N, 3, 16, 16]
            {long}_after_convolution = {long} -> conv2d(8, (3, 5), stride=(1, 2), padding=(1, 2), dilation=1,
                                                groups=1, bias=false, padding_mode="reflect")
            {long}_reshaped_for_the_next_stage_of_the_network = {long}_after_convolution -> reshape(N, 8, 16, 8)
            output {long}_reshaped_for_the_next_stage_of_the_network -> reshape(N, 8, 128)
        }}""")
    assert 'padding_mode="reflect"' in source
    (tmp_path / "wide.py").write_text(source, encoding="utf-8")
    _ruff_clean(tmp_path)


def test_unused_layers_keep_their_parameters_but_are_not_computed():
    source = _generate("network M() { input x: [N, 4]  h = x -> linear(3)  x -> linear(2) -> output }")
    assert "self.fc1 = nn.Linear(4, 3)" in source and "h =" not in source
    assert "# not computed: the output does not depend on fc1" in source


def test_namespace_is_deterministic_and_rejects_python_names():
    names = Namespace({"torch"})
    assert [names.create(n) for n in ("x", "x", "torch", "class", "list", "1st", "a-b", "l")] == \
        ["x", "x_1", "torch_1", "class_1", "list_1", "_1st", "a_b", "l_1"]


def test_literals_are_quoted_like_ruff_format():
    assert literal("reflect") == '"reflect"' and literal("it's") == '"it\'s"' and literal('say "hi"') == "'say \"hi\"'"
    assert literal((3,)) == "(3,)" and literal((1, 2)) == "(1, 2)" and literal(1e-5) == "1e-05"
    assert literal(float("inf")) == 'float("inf")' and literal(None) == "None" and literal(True) == "True"


def test_a_block_is_one_class_whose_constructor_takes_the_sizes_that_vary(capsys):
    for spec, blocks in (("unet", ("DoubleConv", "Up")), ("resnet18", ("BasicBlock", "DownBlock"))):
        code, out, err = run_cli(capsys, "build", f"specs/{spec}.net")
        assert (code, err) == (0, "")
        assert [out.count(f"class {block}(") for block in blocks] == [1, 1], spec
        assert "DoubleConv2" not in out and "Up2" not in out
    code, out, err = run_cli(capsys, "build", "specs/unet.net")
    assert "def __init__(self, out: int, C: int) -> None:" in out
    assert "self.conv1 = nn.Conv2d(C, out, kernel_size=3, padding=1, bias=False)" in out
    # Up's DoubleConv reads the concat of its two inputs: S + out channels, an expression of Up's sizes
    assert "self.double_conv1 = DoubleConv(out=out, C=S + out)" in out and "self.up1 = Up(out=256, C=512, S=256)" in out
    assert "out = self.conv1(x)  # [N, out, H, W]" in out  # sizes that vary are named in comments too
    assert '"""Block DoubleConv(out): x [N, C, H, W] -> [N, out, H, W]."""' in out


def test_block_parameters_take_safe_names_and_unnameable_sizes_give_numbered_classes(tmp_path):
    source = _generate("""
        block Proj(list: int) { input x: [N, C]  output x -> linear(list) -> relu }
        block Head(out: int) { input x  output x -> linear(out) }
        network M() {
            input x: [N, 4]
            a = x -> Proj(8) -> Proj(6)
            output a -> Head(3) -> Head(2)
        }""")
    assert source.count("class Proj(") == 1 and "def __init__(self, list_1: int, C: int) -> None:" in source
    assert "nn.Linear(C, list_1)" in source and "Proj(list_1=8, C=4)" in source and "Proj(list_1=6, C=8)" in source
    # Head's input size (6, then 3) is neither its parameter nor a symbol of a declared input shape.
    assert "class Head(" in source and "class Head2(" in source and "self.fc1 = nn.Linear(6, 3)" in source
    (tmp_path / "named.py").write_text(source, encoding="utf-8")
    _ruff_clean(tmp_path)
    namespace: dict = {}
    exec(compile(source, "named.py", "exec"), namespace)
    import torch
    assert namespace["M"]()(torch.randn(5, 4)).shape == (5, 2)
