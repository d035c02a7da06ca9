"""`netdsl import`: PyTorch models → specs, with PyTorch as the oracle. For every model the tests have a
hand-written twin of, and for the tutorial models of the language tour: the spec is a golden file
(specs/imported/), it checks, and the module netdsl builds from it has the same parameter count,
state_dict keys that map one to one onto the original's (with the same shapes, in the original's
order) and the same outputs on the same weights. What cannot be imported is listed with its place."""

import os

import import_models as models
import pytest
import reference_models as reference
import test_graph_specs as twins
import torch
from conftest import ROOT, run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

import netdsl
from netdsl.importing import ImportFailed, import_model

GOLDEN = ROOT / "specs" / "imported"


def encoder_layer() -> nn.Module:
    return nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.0, batch_first=True)


def encoder() -> nn.Module:
    """specs/attention.net's Encoder, two layers, as nn.TransformerEncoder (which torch.fx cannot trace)
    stacks them, with a final norm."""
    return nn.TransformerEncoder(encoder_layer(), 2, norm=nn.LayerNorm(256), enable_nested_tensor=False)


# golden name → (network name, where the model is defined, the model, the input shape given to the importer,
# an example input's shape)
MODELS = {
    "lenet": ("LeNet", "tests/reference_models.py:lenet", reference.lenet, "[N, 1, 32, 32]", (2, 1, 32, 32)),
    "alexnet": ("AlexNet", "tests/reference_models.py:alexnet", reference.alexnet, "[N, 3, 224, 224]",
                (1, 3, 224, 224)),
    # adaptive pooling lets the built module run on a smaller image than the spec's
    "vgg16": ("VGG16", "tests/reference_models.py:vgg16", reference.vgg16, "[N, 3, 224, 224]", (1, 3, 64, 64)),
    "resnet18": ("ResNet18", "tests/reference_models.py:resnet18", reference.resnet18, "[N, 3, 224, 224]",
                 (2, 3, 64, 64)),
    "unet": ("UNet", "tests/test_graph_specs.py:UNet", twins.UNet, "[N, 1, H, W]", (2, 1, 64, 64)),
    "encoder_layer": ("EncoderLayer", "torch.nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.0, batch_first=True)",
                      encoder_layer, "[N, 10, 256]", (2, 10, 256)),
    "encoder": ("Encoder", "tests/test_importer.py:encoder", encoder, "[N, 10, 256]", (2, 10, 256)),
    "lstm_classifier": ("LSTMClassifier", "tests/test_graph_specs.py:LSTMClassifier", twins.LSTMClassifier, "[N, 50]",
                        "tokens"),
    "self_attention": ("SelfAttention", "tests/test_graph_specs.py:SelfAttention", twins.SelfAttention,
                       "[N, 10, 256]", (2, 10, 256)),
    "mlp": ("MLP", "tests/import_models.py:MLP", models.MLP, "[N, 784]", (2, 784)),
    "se_block": ("SEBlock", "tests/import_models.py:SqueezeExcite(64)", lambda: models.SqueezeExcite(64),
                 "[N, 64, 32, 32]", (2, 64, 32, 32)),
    "residual": ("ResidualBlock", "tests/import_models.py:Residual(64)", lambda: models.Residual(64),
                 "[N, 64, 56, 56]", (2, 64, 56, 56)),
    "resnet_tiny": ("ResNetTiny", "tests/import_models.py:ResNetTiny", models.ResNetTiny, "[N, 3, 32, 32]",
                    (2, 3, 32, 32)),
    "net": ("Net", "tests/import_models.py:Net", models.Net, "[N, 3, 32, 32]", (2, 3, 32, 32)),
}

def count(module: nn.Module, trained: bool | None = None) -> int:
    return sum(p.numel() for p in module.parameters() if trained is None or p.requires_grad == trained)


def example(shape) -> torch.Tensor:
    return torch.randint(0, 10000, (2, 50)) if shape == "tokens" else torch.randn(shape)


def assert_round_trip(original: nn.Module, imported, *inputs: torch.Tensor) -> None:
    """The spec builds a module with the original's parameters, one state_dict key for each of the
    original's (same shapes), and the same outputs once it holds the original's weights."""
    analysis = netdsl.check_text(imported.text)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    built = netdsl.build_module(imported.text).eval()
    network = analysis.network()
    assert count(built) == count(original) == network.params + network.frozen
    assert count(built, trained=True) == count(original, trained=True) == network.params
    theirs, ours = original.state_dict(), built.state_dict()
    assert sorted(imported.keys) == sorted(theirs)
    assert sorted(imported.keys.values()) == sorted(ours)
    assert [t.shape for t in theirs.values()] == [ours[imported.keys[k]].shape for k in theirs]
    built.load_state_dict(imported.state_dict(original))
    with torch.no_grad():
        torch.testing.assert_close(built(*inputs), original(*inputs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_round_trip(name, golden):
    network, source, factory, shape, sample = MODELS[name]
    torch.manual_seed(0)
    original = factory().eval()
    imported = import_model(original, shape, name=network, source=source)
    golden(GOLDEN / f"{name}.net", imported.text)
    assert imported.network == network and not imported.warnings
    assert_round_trip(original, imported, example(sample))


def test_block_sizes_become_input_pattern_symbols_and_repeats():
    text = import_model(models.ResNetTiny(), "[N, 3, 32, 32]").text
    assert "block ExcitedResidual() {\n    input x: [N, C, H, W]" in text
    assert "conv1: conv2d(C, 3, padding=1, bias=false)" in text and "fc1: linear(C//4)" in text
    assert "-> ExcitedResidual() * 2" in text and "-> stage2: ExcitedResidual()" in text


def test_block_sizes_that_nothing_names_become_block_parameters():
    class Stage(nn.Module):   # the output width is not a size of the input: a parameter
        def __init__(self, c_in, c_out):
            super().__init__()
            self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)

        def forward(self, x):
            return torch.relu(self.conv(x))

    original = nn.Sequential(Stage(3, 8), Stage(8, 24))
    imported = import_model(original.eval(), "[N, 3, 16, 16]", name="Stages")
    assert "block Stage(out_channels: int) {" in imported.text
    assert "conv: conv2d(out_channels, 3, padding=1)" in imported.text
    assert "Stage(8)" in imported.text and "Stage(24)" in imported.text
    assert_round_trip(original.eval(), imported, torch.randn(2, 3, 16, 16))


def test_the_readme_shows_the_real_example():
    import inspect
    import re
    readme = (ROOT / "README.md").read_text()
    for cls in (models.Residual, models.Net):
        assert re.sub(r'    """.*"""\n\n', "", inspect.getsource(cls)) in readme
    assert (GOLDEN / "net.net").read_text() in readme


def test_a_model_that_is_one_layer():
    original = nn.LSTM(8, 16, batch_first=True).eval()
    with pytest.raises(ImportFailed, match="forward returns several tensors"):
        import_model(original, "[N, 5, 8]")
    original = nn.Conv2d(3, 8, 3).eval()
    imported = import_model(original, "[N, 3, 16, 16]")
    assert "x -> conv2d(8, 3) -> output" in imported.text and imported.keys == {"weight": "conv1.weight",
                                                                                  "bias": "conv1.bias"}
    assert_round_trip(original, imported, torch.randn(2, 3, 16, 16))


def test_from_module_takes_shapes_tuples_and_example_tensors():
    model = models.MLP().eval()
    text = netdsl.from_module(model, "[N, 784]")
    assert netdsl.from_module(model, ("N", 784)) == text
    assert "input x: [3, 784]" in netdsl.from_module(model, torch.zeros(3, 784))


def test_the_command_writes_a_spec_that_checks(tmp_path, capsys):
    out = tmp_path / "lenet.net"
    code, stdout, err = run_cli(capsys, "import", "tests/reference_models.py:lenet", "--input", "[N, 1, 32, 32]",
                                "-o", str(out))
    assert code == 0, err
    assert out.read_text() == import_model(reference.lenet(), "[N, 1, 32, 32]", name="lenet",
                                           source="tests/reference_models.py:lenet").text
    code, stdout, _ = run_cli(capsys, "check", str(out))
    assert code == 0 and "ok: 1 network, 61,706 parameters" in stdout


def test_targets_are_files_or_modules_and_shapes_are_checked(capsys):
    code, stdout, err = run_cli(capsys, "import", "tests.import_models:MLP", "--input", "[N, 784]")
    assert code == 0 and stdout == (GOLDEN / "mlp.net").read_text().replace("tests/import_models.py:MLP",
                                                                            "tests.import_models:MLP")
    for argv, message in ((["tests/import_models.py:MLP", "--input", "784"], "expects a shape in brackets"),
                          (["tests/import_models.py:MLP", "--input", "[N, 0]"], "sizes are positive"),
                          (["tests/import_models.py:Nothing", "--input", "[N, 784]"], "has no `Nothing`"),
                          (["tests/import_models.py:Residual", "--input", "[N, 8, 4, 4]"], "needs arguments (channels)"),
                          (["no/such/file.py:f", "--input", "[N]"], "no such file")):
        code, _, err = run_cli(capsys, "import", *argv)
        assert code == 2 and message in err, err


def test_what_cannot_be_imported_is_listed_and_nothing_is_written(tmp_path, capsys, golden):
    out = tmp_path / "model.net"
    code, stdout, err = run_cli(capsys, "import", "tests/import_models.py:Unsupported", "--input", "[N, 8]",
                                "-o", str(out))
    assert code == 1 and stdout == "" and not out.exists()
    golden(ROOT / "tests" / "cases" / "import_unsupported.stderr", err)


def test_weights_forward_never_uses_are_a_warning():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 4)
            self.aux = nn.Linear(8, 2)   # e.g. an auxiliary head used only in training code elsewhere

        def forward(self, x):
            return self.fc(x)

    imported = import_model(Unused(), "[N, 8]")
    assert [w.message for w in imported.warnings] == \
        ["`aux` (Linear) is never called by forward: its 18 weights are not in the spec"]


def test_untraceable_control_flow_gives_fxs_reason_and_line():
    with pytest.raises(ImportFailed) as failure:
        import_model(models.Gate(), "[N, 8]")
    (problem,) = failure.value.problems
    assert problem.message.startswith("the model, a `Gate` (tests/import_models.py:102), cannot be traced by "
                                      "torch.fx: ")
    assert "symbolically traced variables cannot be used as inputs to control flow" in problem.message
    assert problem.where == "tests/import_models.py:108"


def test_attention_masks_become_the_kinds_last_inputs():
    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(16, 2, batch_first=True)

        def forward(self, x, mask):
            return self.attn(x, x, x, key_padding_mask=mask)[0]

    original = Masked().eval()
    imported = import_model(original, "[N, 5, 16]", "[N, 5]")
    assert "key_padding_mask=true" in imported.text
    built = netdsl.build_module(imported.text).eval()
    built.load_state_dict(imported.state_dict(original))
    x, mask = torch.randn(2, 5, 16), torch.tensor([[False] * 4 + [True], [False] * 5])
    with torch.no_grad():
        torch.testing.assert_close(built(x, mask), original(x, mask))


def test_a_plugin_kind_is_imported_through_its_own_declaration(monkeypatch):
    """examples/plugin's `dense` names its class and, in `recognise.attributes`, where its sizes are."""
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "plugin"))
    from netdsl import registry
    registry.load_plugin("netdsl_example_plugin")
    from netdsl_example_plugin.modules import Dense
    original = nn.Sequential(Dense(16, 32), nn.ReLU(), Dense(32, 32, freeze=True), nn.Linear(32, 4)).eval()
    imported = import_model(original, "[N, 16]")
    assert "x -> dense(32) -> relu\n      -> dense(32, freeze=true)\n      -> linear(4) -> output" in imported.text
    assert_round_trip(original, imported, torch.randn(2, 16))


# ------------------------------------------------------------------ property: random nn.Sequential

EXAMPLES = int(os.environ.get("NETDSL_IMPORT_EXAMPLES", "25"))


@st.composite
def spatial_layer(draw, d: int, channels: int, size: int) -> tuple[nn.Module, int]:
    """A layer over [N, C, *d spatial dims of `size`] and the channels it gives."""
    out = draw(st.integers(1, 6))
    kernel = draw(st.integers(1, 3))
    conv, norm = getattr(nn, f"Conv{d}d"), getattr(nn, f"BatchNorm{d}d")
    choices = [
        lambda: (conv(channels, out, kernel, stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1)),
                      dilation=draw(st.integers(1, 2)), bias=draw(st.booleans()),
                      padding_mode=draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))), out),
        lambda: (conv(channels, channels * 2, kernel, padding="same", groups=channels), channels * 2),
        lambda: (getattr(nn, f"ConvTranspose{d}d")(channels, out, kernel, stride=2, output_padding=1), out),
        lambda: (norm(channels, eps=draw(st.sampled_from([1e-5, 1e-3])), momentum=draw(st.sampled_from([0.1, None])),
                      affine=draw(st.booleans()), track_running_stats=draw(st.booleans())), channels),
        lambda: (nn.GroupNorm(draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0])), channels,
                              affine=draw(st.booleans())), channels),
        lambda: (nn.LayerNorm(size), channels),
        lambda: (getattr(nn, f"MaxPool{d}d")(kernel, stride=draw(st.sampled_from([None, 1, 2])),
                                             padding=draw(st.integers(0, kernel // 2)), ceil_mode=draw(st.booleans())),
                 channels),
        lambda: (getattr(nn, f"AvgPool{d}d")(kernel, stride=draw(st.sampled_from([None, 1])),
                                             count_include_pad=draw(st.booleans())), channels),
        lambda: (getattr(nn, f"Adaptive{draw(st.sampled_from(['Avg', 'Max']))}Pool{d}d")(draw(st.integers(1, 3))),
                 channels),
        lambda: (nn.Upsample(scale_factor=2, mode=draw(st.sampled_from(["nearest", "nearest-exact"]))), channels),
        *pointwise(draw, channels),
    ]
    if d == 2:
        choices += [lambda: (nn.Dropout2d(draw(st.sampled_from([0.0, 0.3]))), channels),
                    lambda: (nn.PixelUnshuffle(2), channels * 4) if size % 2 == 0 else (nn.Identity(), channels),
                    lambda: (nn.PixelShuffle(2), channels // 4) if channels % 4 == 0 else (nn.Tanh(), channels)]
    return draw(st.sampled_from(choices))()


def pointwise(draw, size: int) -> list:
    return [lambda: (nn.ReLU(inplace=draw(st.booleans())), size), lambda: (nn.LeakyReLU(0.2), size),
            lambda: (nn.ELU(), size), lambda: (nn.GELU(approximate=draw(st.sampled_from(["none", "tanh"]))), size),
            lambda: (nn.SiLU(), size), lambda: (nn.Sigmoid(), size), lambda: (nn.Tanh(), size),
            lambda: (nn.Identity(), size), lambda: (nn.Dropout(draw(st.sampled_from([0.1, 0.5]))), size)]


@st.composite
def dense_layer(draw, features: int) -> tuple[nn.Module, int]:
    """A layer over [N, F] and the features it gives."""
    out = draw(st.integers(1, 12))
    return draw(st.sampled_from([
        lambda: (nn.Linear(features, out, bias=draw(st.booleans())), out),
        lambda: (nn.LayerNorm(features, eps=draw(st.sampled_from([1e-5, 1e-6]))), features),
        lambda: (nn.BatchNorm1d(features), features),
        lambda: (nn.Softmax(dim=-1), features), lambda: (nn.LogSoftmax(dim=1), features),
        *pointwise(draw, features)]))()


@st.composite
def sequential(draw):
    """An nn.Sequential of 1-D, 2-D or 3-D layers, a flatten, then dense layers; with its input's shape."""
    d = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 4)), *(draw(st.integers(4, 7) if d == 3 else st.integers(6, 12)),) * d)
    layers = []
    for _ in range(draw(st.integers(0, 4))):
        model = nn.Sequential(*layers).eval()
        try:
            with torch.no_grad():
                now = model(torch.zeros(2, *shape)).shape[1:]
        except RuntimeError:   # the input shrank to nothing: not a model anyone writes
            assume(False)
        layer, _ = draw(spatial_layer(d, now[0], now[-1]))
        layers.append(layer)
    layers.append(nn.Flatten())
    try:
        with torch.no_grad():
            features = nn.Sequential(*layers).eval()(torch.zeros(2, *shape)).shape[1]
    except RuntimeError:
        assume(False)
    for _ in range(draw(st.integers(0, 3))):
        layer, features = draw(dense_layer(features))
        layers.append(layer)
    return nn.Sequential(*layers).eval(), shape


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])
@given(sequential())
def test_random_sequential_models_round_trip(drawn):
    model, shape = drawn
    imported = import_model(model, ("N", *shape))
    assert_round_trip(model, imported, torch.randn(2, *shape))
