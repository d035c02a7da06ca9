"""`netdsl import` on models as people write them (tests/common_models.py): parameters and buffers read
in forward, modules applied twice, tied weights, nn.TransformerEncoder/Decoder/Transformer. Each spec
checks and builds a module with the original's parameter count, state_dict keys and shapes, and its
outputs once it holds the original's weights (test_importer.assert_round_trip)."""

import inspect

import common_models as models
import pytest
import torch
from conftest import run_cli
from test_importer import assert_round_trip
from torch import nn

from netdsl.importing import ImportFailed, import_model


def tokens(*shape) -> torch.Tensor:
    return torch.randint(0, 100, shape)


# name → (the model, input shapes for the importer, example inputs, lines the spec holds)
MODELS = {
    "tutorial_layers": (models.TutorialNet, ["[N, 20]"], lambda: [torch.randn(3, 20)],
                        ["block MyLinear(size: int) {", ("param W: [F, size]   # the model's initialisation is not "
                         "written: the default, normal"), "param b: [size] = zeros", "y = x @ W",
                         "output y + b -> relu", "x -> l1: MyLinear(64)"]),
    "stacked_custom_layers": (models.StackedLinears, ["[N, 8]"], lambda: [torch.randn(3, 8)],
                              ["param W: [8, size]", "x -> MyLinear(8) * 3\n      -> out: MyLinear(2) -> output"]),
    "constants": (models.Scaled, ["[N, 8]"], lambda: [torch.randn(3, 8)],
                  ["param scale: [8] = constant(0.5)", "buffer shift: [8] = ones", "y = fc * scale"]),
    "cnn": (models.TutorialCNN, ["[N, 3, 32, 32]"], lambda: [torch.randn(2, 3, 32, 32)], ["view(N, -1)"]),
    "gru": (models.GRUClassifier, ["[N, 20]"], lambda: [tokens(2, 20)], ["gru: gru(64, batch_first=true)"]),
    "lstm": (models.LSTMClassifier, ["[N, 20]"], lambda: [tokens(2, 20)], ["select(0, -1)"]),
    "siamese": (models.Siamese, ["[N, 16]", "[N, 16]"], lambda: [torch.randn(3, 16), torch.randn(3, 16)],
                ["y = a -> enc_0: linear(32) -> enc_1: relu", "y1 = b -> enc_0 -> enc_1", "-> enc_2\n"]),
    "siamese_towers": (models.SiameseTowers, ["[N, 16]", "[N, 16]"], lambda: [torch.randn(3, 16), torch.randn(3, 16)],
                       ["norm1 = a -> tower: Tower() -> norm: layernorm", "norm2 = b -> tower -> norm"]),
    "question_answer": (models.QuestionAnswer, ["[N, 7]", "[N, 5]"], lambda: [tokens(2, 7), tokens(2, 5)],
                        ["rnn2 = answer -> embed\n", "-> rnn\n"]),
    "two_lengths": (models.TowersOnTwoLengths, ["[N, 7, 16]", "[N, 5, 16]"],
                    lambda: [torch.randn(2, 7, 16), torch.randn(2, 5, 16)], ["tower1 = a -> tower: MeanTower()",
                                                                             "tower2 = b -> tower"]),
    "tied_lm": (models.TiedLM, ["[N, 12]"], lambda: [tokens(2, 12)],
                ["param pos: [12, 32] = zeros", "head: linear(100, bias=false, tie=embed)"]),
    "gated_mlp": (models.GatedMLP, ["[N, 32]"], lambda: [torch.randn(3, 32)], ["w2 = x -> w2: linear(64)"]),
    "unet": (models.SmallUNet, ["[N, 3, 16, 16]"], lambda: [torch.randn(2, 3, 16, 16)], ["u = b -> up: conv_transpose2d(16, 2, stride=2) -> concat(a, dim=1)"]),
    "interpolate": (models.Upsampler, ["[N, 3, 8, 8]"], lambda: [torch.randn(2, 3, 8, 8)],
                    ["interpolate(scale_factor=2"]),
    "transformer_tutorial": (models.TransformerTutorial, ["[10, N]"], lambda: [tokens(10, 2)],
                             [("buffer pe: [50, 1, 32]   # its values are not written: zeros here; load the model's "
                              "state_dict"), "y = pe[:10]", "-> TransformerEncoderLayer() * 2"]),
    "layer_scale": (models.LayerScaleNet, ["[N, 3, 8, 8]"], lambda: [torch.randn(2, 3, 8, 8)],
                    ["param gamma: [8, 1, 1] = constant(0.0001", "-> Residual() * 2"]),
    "seq2seq": (models.Seq2Seq, ["[N, 7, 32]", "[N, 5, 32]"], lambda: [torch.randn(2, 7, 32), torch.randn(2, 5, 32)],
                ["block TransformerDecoderLayer() {", "-> norm: layernorm"]),
    "autoencoder": (models.Autoencoder, ["[N, 784]"], lambda: [torch.randn(2, 784)], ["view(-1, 1, 28, 28)"]),
    "causal_attention": (models.CausalSelfAttention, ["[N, 8, 32]"], lambda: [torch.randn(2, 8, 32)],
                         ["buffer bias: [1, 1, 8, 8] = ones -> tril", "bias[:, :, :8, :8]", "masked_fill("]),
    # a view whose sizes are not the sizes of its own input (the block's class reads them off its input)
    "shufflenet": (models.ShuffleNet, ["[N, 3, 64, 64]"], lambda: [torch.randn(2, 3, 64, 64)],
                   ["-> transpose(1, 2) -> view(N, "]),
}


@pytest.mark.parametrize("name", MODELS)
def test_common_models_round_trip(name):
    factory, shapes, inputs, lines = MODELS[name]
    torch.manual_seed(0)
    original = factory().eval()
    imported = import_model(original, *shapes)
    for line in lines:
        assert line in imported.text, imported.text
    assert_round_trip(original, imported, *inputs())


def test_a_block_called_with_a_list_of_tensors_is_refused_saying_so():
    with pytest.raises(ImportFailed) as refused:
        import_model(models.DenseBlock(), "[N, 4, 8, 8]")
    problem = refused.value.problems[0]
    assert "`layers.0` is given `features`, several tensors in one argument" in str(problem)
    assert "pass each as its own argument, or concatenate them before the call" in str(problem)


def test_what_a_spec_cannot_know_is_said_in_the_report():
    imported = import_model(models.TutorialNet(), "[N, 20]")
    assert [n.message for n in imported.notes] == [
        f"parameter `{layer}.W`: how the model initialises it is not known; the spec gives it the default "
        "initialiser, `normal`" for layer in ("l1", "l2")]
    assert not imported.warnings
    imported = import_model(models.TransformerTutorial().eval(), "[10, N]")
    assert [w.message for w in imported.warnings] == [
        ("buffer `pos_encoder.pe`: its values cannot be written in a spec; the spec declares it `zeros`, and the "
        "model's values come with its state_dict (`built.load_state_dict(imported.state_dict(model))`)")]


def test_exact_initial_values_are_written():
    class Masks(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("lower", torch.tril(torch.ones(4, 4)))
            self.register_buffer("upper", torch.triu(torch.ones(2, 4, 4)))
            self.register_buffer("zero", torch.zeros(4))
            self.offset = nn.Parameter(torch.full((4,), -2.5))

        def forward(self, x):
            return x * self.lower + x * self.upper + self.zero + self.offset

    original = Masks()
    text = import_model(original, "[N, 2, 4, 4]").text
    for line in ("buffer lower: [4, 4] = ones -> tril", "buffer upper: [2, 4, 4] = ones -> triu",
                 "buffer zero: [4] = zeros", "param offset: [4] = constant(-2.5)"):
        assert line in text
    import netdsl
    built = netdsl.build_module(text)   # the spec alone, without the model's state_dict
    x = torch.randn(3, 2, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(built(x), original(x))


def test_a_weight_read_directly_and_an_unread_parameter():
    class Reads(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)   # never called: forward reads its weight
            self.unused = nn.Parameter(torch.zeros(3))

        def forward(self, x):
            return x @ self.emb.weight

    original = Reads()
    imported = import_model(original, "[N, 10]")
    assert "param emb_weight: [10, 4]" in imported.text and imported.keys == {"emb.weight": "emb_weight"}
    assert [w.message for w in imported.warnings] == [("`unused` is never read by forward: its 3 values are not in "
                                                      "the spec")]


def problems(model, *shapes) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        import_model(model, *shapes)
    return [p.message for p in failure.value.problems]


def test_tensors_a_spec_cannot_declare_are_located_problems():
    class Held(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.register_buffer("index", torch.arange(4))

        def forward(self, x):
            return self.fc(x) + self.fc.weight.sum() + self.index + torch.tensor([1.0, 2.0, 3.0, 4.0])

    found = problems(Held(), "[N, 4]")
    assert len(found) == 3, found
    assert found[0] == "`index` is a torch.int64 tensor: a spec's parameters and buffers are floating point"
    assert found[1].startswith("forward computes a tensor from constants (`_tensor_constant0`)")
    assert found[2] == "`fc.weight`, read by forward, is also a weight of the layer `fc`"


def test_sharing_that_a_spec_cannot_write_is_a_located_problem():
    class Inner(nn.Module):
        def __init__(self, shared):
            super().__init__()
            self.shared = shared

        def forward(self, x):
            return self.shared(x)

    class AcrossBlocks(nn.Module):   # one module called from two blocks: a label is seen in one body
        def __init__(self):
            super().__init__()
            shared = nn.Linear(4, 4)
            self.a, self.b = Inner(shared), Inner(shared)

        def forward(self, x):
            return self.b(self.a(x))

    (message,) = problems(AcrossBlocks(), "[N, 4]")
    assert message.startswith("`b.shared` is called a second time (first at ") and "from another module" in message

    class TiedConvolutions(nn.Module):   # tie= shares linear and embedding weights only
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1)
            self.c2.weight = self.c1.weight

        def forward(self, x):
            return self.c2(self.c1(x))

    (message,) = problems(TiedConvolutions(), "[N, 4, 8, 8]")
    assert message == "`c2.weight` is `c1.weight`: two layers hold one tensor"


def test_a_layer_applied_again_fits_its_weights_or_is_refused():
    class TwoWidths(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 8)

        def forward(self, x):
            return self.fc(self.fc(x))   # applied to its own output: a repeat in torch, one label in the spec

    original = TwoWidths().eval()
    imported = import_model(original, "[N, 8]")
    assert "x -> fc: linear(8)\n      -> fc -> output" in imported.text
    assert_round_trip(original, imported, torch.randn(2, 8))


def test_transformer_containers_refuse_masks():
    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

        def forward(self, x, mask):
            return self.encoder(x, src_key_padding_mask=mask)

    with pytest.raises(ImportFailed) as failure:
        import_model(Masked(), "[N, 5, 16]", "[N, 5]")
    (problem,) = failure.value.problems
    assert problem.message.endswith(": nn.TransformerEncoder is called with `src_key_padding_mask`: the importer "
                                    "writes its layers without masks (torch checks a mask's values to choose its path)")
    _, first = inspect.getsourcelines(Masked.forward)
    assert problem.where == f"tests/test_import_common.py:{first + 1}"


def test_a_transformer_decoder_and_encoder_as_the_model():
    layer = nn.TransformerDecoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    original = nn.TransformerDecoder(layer, 2).eval()
    imported = import_model(original, "[N, 5, 16]", "[N, 7, 16]")
    assert_round_trip(original, imported, torch.randn(2, 5, 16), torch.randn(2, 7, 16))
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True, norm_first=True)
    original = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(16), enable_nested_tensor=False).eval()
    imported = import_model(original, "[N, 5, 16]")
    assert "TransformerEncoderLayer() * 3 -> norm: layernorm -> output" in imported.text
    assert_round_trip(original, imported, torch.randn(2, 5, 16))


def test_the_command_prints_notes_and_warnings(capsys):
    code, stdout, err = run_cli(capsys, "import", "tests/common_models.py:TransformerTutorial", "--input", "[10, N]")
    assert code == 0 and "buffer pe: [50, 1, 32]   # its values are not written" in stdout
    assert "warning: buffer `pos_encoder.pe`: its values cannot be written in a spec" in err
    code, stdout, err = run_cli(capsys, "import", "tests/common_models.py:TutorialNet", "--input", "[N, 20]")
    assert code == 0 and err.count("note: parameter `l") == 2 and "warning" not in err
