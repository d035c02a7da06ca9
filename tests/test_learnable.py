"""Parameters, buffers and shared weights (specs/custom_layers.net, sharing.net, vit.net) against modules
written by hand in plain PyTorch: the same parameter count (parameters(), which counts a tied tensor
once), the same state_dict keys and shapes in the same order, and the same outputs on the same weights."""

from __future__ import annotations

import pytest
import torch
from conftest import ROOT
from spec_modules import checked, emitted_module
from torch import nn

import netdsl


class MyLinear(nn.Module):
    def __init__(self, in_units: int, units: int) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.randn(in_units, units))
        self.b = nn.Parameter(torch.zeros(units))

    def forward(self, x):
        return x @ self.W + self.b


class MyLayerNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.gamma, self.beta, self.eps = nn.Parameter(torch.ones(dim)), nn.Parameter(torch.zeros(dim)), eps

    def forward(self, x):
        mean, std = x.mean(dim=-1, keepdim=True), x.std(dim=-1, keepdim=True)
        return self.gamma * (x - mean) / (std + self.eps) + self.beta


class TutorialMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = MyLinear(20, 64)
        self.norm = MyLayerNorm(64)
        self.head = MyLinear(64, 10)

    def forward(self, x):
        h = self.hidden(x)
        h = h * torch.sigmoid(h)        # Swish
        h = self.norm(h)
        h = h - h.mean()                # CenteredLayer
        return self.head(h)


class Encoder(nn.Module):
    def __init__(self, dim: int, in_features: int) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(in_features, dim), nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Siamese(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("temperature", torch.full((1,), 0.07))
        self.encoder = Encoder(32, 64)
        self.norm = nn.LayerNorm(32)

    def forward(self, a, b):
        ea, eb = self.norm(self.encoder(a)), self.norm(self.encoder(b))
        return (ea * eb).sum(dim=1) / self.temperature


class TiedLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pos = nn.Parameter(nn.init.trunc_normal_(torch.empty(16, 64), std=0.02))
        self.embed = nn.Embedding(1000, 64)
        self.ln1 = nn.LayerNorm(64)
        self.head = nn.Linear(64, 1000, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        return self.head(self.ln1(self.embed(tokens) + self.pos))


class EncoderBlock(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.ln1, self.attn1 = nn.LayerNorm(dim), nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln2, self.fc1, self.fc2 = nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        h = self.ln1(x)
        a = x + self.attn1(h, h, h, need_weights=False)[0]
        return a + self.fc2(nn.functional.gelu(self.fc1(self.ln2(a))))


class ViT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cls = nn.Parameter(torch.zeros(1, 1, 64))
        self.pos = nn.Parameter(nn.init.trunc_normal_(torch.empty(1, 65, 64), std=0.02))
        self.conv1 = nn.Conv2d(3, 64, 4, stride=4)
        self.encoder_block1, self.encoder_block2 = EncoderBlock(64, 4, 128), EncoderBlock(64, 4, 128)
        self.ln1, self.head = nn.LayerNorm(64), nn.Linear(64, 10)

    def forward(self, x):
        patches = self.conv1(x).flatten(2).transpose(1, 2)
        tokens = torch.cat((self.cls.expand(x.shape[0], -1, -1), patches), dim=1) + self.pos
        return self.head(self.ln1(self.encoder_block2(self.encoder_block1(tokens)))[:, 0])


def _inputs(name: str) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    if name == "TiedLM":
        return (torch.randint(0, 1000, (3, 16), generator=generator),)
    if name == "ViT":
        return (torch.randn(3, 3, 32, 32, generator=generator),)
    if name == "Siamese":
        return torch.randn(3, 64, generator=generator), torch.randn(3, 64, generator=generator)
    return (torch.randn(3, 20, generator=generator),)


TWINS = [("custom_layers.net", TutorialMLP), ("sharing.net", Siamese), ("sharing.net", TiedLM), ("vit.net", ViT)]


@pytest.mark.parametrize(("spec", "twin"), TWINS, ids=[twin.__name__ for _, twin in TWINS])
def test_specs_equal_their_hand_written_twins(spec, twin, tmp_path):
    path = ROOT / "specs" / spec
    graph = checked(path, twin.__name__)
    reference = twin().eval()
    count = sum(p.numel() for p in reference.parameters())
    assert graph.params == count
    assert graph.buffers == sum(b.numel() for b in reference.buffers())
    for generated in (emitted_module(path, twin.__name__, tmp_path), netdsl.build_module(path, twin.__name__)):
        generated.eval()
        assert sum(p.numel() for p in generated.parameters()) == count
        state, expected = generated.state_dict(), reference.state_dict()
        assert [(k, v.shape) for k, v in state.items()] == [(k, v.shape) for k, v in expected.items()]
        generated.load_state_dict(expected)
        with torch.no_grad():
            torch.testing.assert_close(generated(*_inputs(twin.__name__)), reference(*_inputs(twin.__name__)))


def test_tied_weight_is_one_tensor_that_trains_once(tmp_path):
    model = emitted_module(ROOT / "specs" / "sharing.net", "TiedLM", tmp_path)
    assert model.head.weight is model.embed.weight
    model(*_inputs("TiedLM")).sum().backward()
    assert model.embed.weight.grad is not None and model.head.weight.grad is model.embed.weight.grad


def test_a_shared_block_is_one_module_called_twice(tmp_path):
    model = emitted_module(ROOT / "specs" / "sharing.net", "Siamese", tmp_path)
    calls = []
    model.encoder.register_forward_hook(lambda module, args, result: calls.append(args[0].shape))
    model(*_inputs("Siamese"))
    assert calls == [(3, 64), (3, 64)]
    assert [name for name, _ in model.named_children()] == ["encoder", "norm"]


INITIALISERS = [
    ("", lambda t: t.copy_(torch.randn(t.shape))),   # a parameter's default: torch.randn
    ("= zeros", nn.init.zeros_),
    ("= ones", nn.init.ones_),
    ("= constant(0.5)", lambda t: nn.init.constant_(t, 0.5)),
    ("= normal(1, 0.02)", lambda t: nn.init.normal_(t, 1.0, 0.02)),
    ("= uniform", lambda t: t.copy_(torch.rand(t.shape))),
    ("= uniform(-0.1, 0.1)", lambda t: nn.init.uniform_(t, -0.1, 0.1)),
    ("= trunc_normal(std=0.02, a=-0.04, b=0.04)", lambda t: nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04)),
    ("= xavier_uniform", nn.init.xavier_uniform_),
    ("= xavier_normal(gain=2)", lambda t: nn.init.xavier_normal_(t, gain=2.0)),
    ("= kaiming_uniform(a=0.1)", lambda t: nn.init.kaiming_uniform_(t, a=0.1)),
    ("= kaiming_normal(mode='fan_out', nonlinearity='relu')",
     lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")),
]


@pytest.mark.parametrize(("init", "reference"), INITIALISERS, ids=[i or "default" for i, _ in INITIALISERS])
def test_initialisers_draw_what_torch_nn_init_draws(init, reference):
    """Under the same seed the generated parameter holds exactly the values of torch's own call."""
    source = f"network Init() {{\n    input x: [N, 4]\n    param W: [4, 6] {init}\n    output x @ W\n}}\n"
    torch.manual_seed(7)
    built = netdsl.build_module(source)
    torch.manual_seed(7)
    expected = reference(torch.empty(4, 6))
    torch.testing.assert_close(built.W.detach(), expected, rtol=0, atol=0)


def test_a_label_applied_in_a_repeat_shares_one_layer_across_the_copies():
    source = ("network Shared() {\n    input x: [N, 8]\n    h = x -> enc: linear(8)\n"
              "    h -> (enc -> relu) * 2 -> linear(2) -> output\n}\n")
    assert netdsl.check_text(source).network().params == 8 * 8 + 8 + 8 * 2 + 2
    model = netdsl.build_module(source)
    calls = []
    model.enc.register_forward_hook(lambda module, args, result: calls.append(module))
    x = torch.randn(3, 8)
    expected = model.fc1(torch.relu(model.enc(torch.relu(model.enc(model.enc(x))))))
    calls.clear()
    torch.testing.assert_close(model(x), expected)
    assert len(calls) == 3 and sum(p.numel() for p in model.parameters()) == 90


def test_stages_after_an_initialiser_run_once_at_construction():
    source = ("network Init() {\n    input x: [N, 4]\n    param W: [4, 4] = normal(0, 0.5) -> transpose(0, 1)\n"
              "    output x @ W\n}\n")
    torch.manual_seed(3)
    built = netdsl.build_module(source)
    torch.manual_seed(3)
    expected = nn.init.normal_(torch.empty(4, 4), 0.0, 0.5).transpose(0, 1)
    torch.testing.assert_close(built.W.detach(), expected, rtol=0, atol=0)
    assert isinstance(built.W, nn.Parameter) and built.W.is_leaf


def test_a_shared_recurrent_layer_unpacks_its_results_and_takes_a_state():
    source = ("network RL() {\n    input a: [N, 5, 8], b: [N, 7, 8]\n    _, h0 = a -> enc: gru(16, batch_first=true)\n"
              "    _, h = enc(b, h0)\n    output h\n}\n")
    model = netdsl.build_module(source)
    assert [name for name, _ in model.named_children()] == ["enc"]
    a, b = torch.randn(2, 5, 8), torch.randn(2, 7, 8)
    torch.testing.assert_close(model(a, b), model.enc(b, model.enc(a)[1])[1])


def test_a_causal_mask_buffer_is_built_once_by_its_stages():
    source = ("block Causal(T: int) {\n    input x: [N, T, T]\n    buffer mask: [T, T] = ones -> tril\n"
              "    blocked = mask -> eq(0.0)\n    output x -> masked_fill(blocked, -1e9)\n}\n"
              "network Net() {\n    input x: [N, 8, 8]\n    x -> causal: Causal(8) -> output\n}\n")
    model = netdsl.build_module(source)
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == [("causal.mask", (8, 8))]
    torch.testing.assert_close(model.causal.mask, torch.tril(torch.ones(8, 8)), rtol=0, atol=0)
    x = torch.randn(2, 8, 8)
    torch.testing.assert_close(model(x), x.masked_fill(torch.tril(torch.ones(8, 8)) == 0, -1e9))
