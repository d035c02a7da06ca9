"""The graph specs (blocks, skips, merges, attention, recurrence) against hand-built PyTorch twins:
the static output shape must equal what torch computes on the meta device, and the static parameter
count must equal the twin's."""

import torch  # the suite requires torch: CI installs it, a missing torch must fail
from conftest import ROOT, run_cli
from torch import nn

from netdsl.pipeline import analyze
from netdsl.program import read_source
from netdsl.sizes import symbol as Sym


def checked(spec: str, network: str | None = None, sizes: dict[str, int] | None = None):
    analysis = analyze(read_source(ROOT / "specs" / spec), network, sizes=sizes)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    return analysis.network(network)


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def run(module: nn.Module, *shapes, dtype=torch.float32):
    module = module.to("meta")
    return tuple(module(*(torch.zeros(s, device="meta", dtype=dtype) for s in shapes)).shape)


def concrete(shape, n: int = 2):
    return tuple(n if d == Sym("N") else d for d in shape)


def assert_twin(checked_net, twin: nn.Module, *shapes, dtype=torch.float32):
    assert checked_net.params == count(twin)
    assert concrete(checked_net.output_shape) == run(twin, *shapes, dtype=dtype)


def conv_bn(c_in, c_out, kernel, stride=1):
    return [nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2, bias=False), nn.BatchNorm2d(c_out)]


# ---------------------------------------------------------------- squeeze-excitation

class SqueezeExcite(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, c // r), nn.ReLU(),
                                  nn.Linear(c // r, c), nn.Sigmoid())

    def forward(self, x):
        return x * self.gate(x).reshape(x.shape[0], -1, 1, 1)


def test_se_block():
    net = checked("se_block.net")
    assert net.output_shape == (2, 64, 32, 32)
    assert net.params == 64 * 4 + 4 + 4 * 64 + 64 == 580
    assert_twin(net, SqueezeExcite(64, 16), (2, 64, 32, 32))


# ---------------------------------------------------------------- residual blocks and ResNet-18

class Basic(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(c_in, c_out, 3, stride), nn.ReLU(), *conv_bn(c_out, c_out, 3))
        self.shortcut = nn.Sequential(*conv_bn(c_in, c_out, 1, stride)) if stride != 1 else nn.Identity()

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet18(classes=1000):
    stages = [Basic(64, 64), Basic(64, 64)]
    for c in (128, 256, 512):
        stages += [Basic(c // 2, c, stride=2), Basic(c, c)]
    return nn.Sequential(*conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1), *stages,
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))


def test_residual_blocks():
    net = checked("residual.net")
    assert net.output_shape == (Sym("N"), 128, 28, 28)
    assert_twin(net, nn.Sequential(Basic(64, 64), Basic(64, 128, stride=2)), (2, 64, 56, 56))
    down = net.layers[1]
    assert down.inner.layers[-1].node.kind == "relu" and down.inner.layers[-2].node.kind == "add"


def test_resnet18_matches_torchvision_count():
    net = checked("resnet18.net")
    assert net.output_shape == (Sym("N"), 1000)
    assert net.params == 11_689_512  # torchvision.models.resnet18().parameters()
    assert_twin(net, resnet18(), (2, 3, 224, 224))


def test_check_shapes_nests_blocks_under_their_call(capsys):
    code, out, err = run_cli(capsys, "check", "specs/resnet18.net", "--shapes")
    assert code == 0, err
    lines = out.splitlines()
    call = next(i for i, line in enumerate(lines) if line.startswith("  down_block1 "))
    assert "DownBlock(channels=128)" in lines[call] and "[N, 128, 28, 28]" in lines[call]
    assert lines[call + 1].startswith("    conv1 ") and "conv2d(64→128, 3×3, stride 2, padding 1)" in lines[call + 1]
    assert "11,689,512 parameters" in out


# ---------------------------------------------------------------- U-Net

def double_conv(c_in, c_out):
    return nn.Sequential(*conv_bn(c_in, c_out, 3), nn.ReLU(), *conv_bn(c_out, c_out, 3), nn.ReLU())


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleList([double_conv(1, 64), double_conv(64, 128), double_conv(128, 256)])
        self.bottom = double_conv(256, 512)
        self.ups = nn.ModuleList([nn.ConvTranspose2d(c * 2, c, 2, stride=2) for c in (256, 128, 64)])
        self.dec = nn.ModuleList([double_conv(c * 2, c) for c in (256, 128, 64)])
        self.head = nn.Conv2d(64, 1, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.enc):
            x = block(x if i == 0 else nn.functional.max_pool2d(x, 2))
            skips.append(x)
        x = self.bottom(nn.functional.max_pool2d(x, 2))
        for up, dec, skip in zip(self.ups, self.dec, reversed(skips)):
            x = dec(torch.cat((up(x), skip), dim=1))
        return self.head(x)


def test_unet():
    net = checked("unet.net", sizes={"H": 256, "W": 256})
    assert net.output_shape == (Sym("N"), 1, 256, 256)
    assert_twin(net, UNet(), (2, 1, 256, 256))
    up = next(layer for layer in net.layers if layer.node.name == "up1")
    concat = next(layer for layer in up.inner.layers if layer.node.kind == "concat")
    assert concat.inputs == ((Sym("N"), 256, 64, 64), (Sym("N"), 256, 64, 64)) and concat.shape[1] == 512


# ---------------------------------------------------------------- attention

class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(256, 256), nn.Linear(256, 256), nn.Linear(256, 256)

    def forward(self, x):
        scores = self.q(x) @ self.k(x).transpose(-2, -1) / 16.0
        return scores.softmax(-1) @ self.v(x)


def test_single_head_attention():
    net = checked("attention.net", "SelfAttention")
    assert net.output_shape == (Sym("N"), 10, 256)
    scores = next(layer for layer in net.layers if layer.node.kind == "div")
    assert scores.shape == (Sym("N"), 10, 10)
    assert_twin(net, SelfAttention(), (2, 10, 256))


def test_transformer_encoder_layer_matches_torch():
    net = checked("attention.net", "Encoder")
    layer = nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.0, batch_first=True)
    assert net.layers[0].params == count(layer) == 789_760
    twin = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    assert_twin(net, twin, (2, 10, 256))


# ---------------------------------------------------------------- LSTM classifier

class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10000, 128)
        self.lstm = nn.LSTM(128, 256, num_layers=2, batch_first=True)
        self.fc = nn.Linear(256, 4)

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embed(tokens))
        return self.fc(h[-1])


def test_lstm_classifier():
    net = checked("lstm_classifier.net")
    assert net.output_shape == (Sym("N"), 4)
    hidden = next(layer for layer in net.layers if layer.node.kind == "lstm")
    assert hidden.shape == (2, Sym("N"), 256)
    assert_twin(net, LSTMClassifier(), (2, 50), dtype=torch.long)


# ---------------------------------------------------------------- unpacking and imports

def analyze_text(tmp_path, text: str, **files: str):
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    (tmp_path / "main.net").write_text(text)
    return analyze(read_source(tmp_path / "main.net"))


def test_unpacking_makes_one_node_per_name(tmp_path):
    analysis = analyze_text(tmp_path, """
network Fused() {
    input x: [N, 10, 256]
    q, k, v = x -> linear(768) -> chunk(3, dim=-1)
    w = q @ (k -> transpose(-2, -1)) -> softmax(-1)
    output w @ v
}""")
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    net = analysis.network()
    pieces = [layer for layer in net.layers if layer.node.kind == "chunk"]
    assert [(p.node.variable, p.node.args.index, p.node.args.outputs) for p in pieces] == \
        [("q", 0, 3), ("k", 1, 3), ("v", 2, 3)]
    assert all(p.shape == (Sym("N"), 10, 256) for p in pieces)
    assert net.output_shape == (Sym("N"), 10, 256)


def test_import_all_and_import_by_name(tmp_path):
    blocks = "block Twice(c: int) {\n input x\n x -> (linear(c) -> relu) * 2 -> output\n}\n"
    analysis = analyze_text(tmp_path, """
import "blocks.net"
from "more.net" import Head
network Net() {
    input x: [N, 8]
    x -> Twice(16) -> Head(3) -> output
}""", **{"blocks.net": blocks, "more.net": "block Head(k: int) {\n input x\n x -> linear(k) -> output\n}\n"})
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    assert analysis.network().output_shape == (Sym("N"), 3)
    assert analysis.network().params == (8 * 16 + 16) + (16 * 16 + 16) + (16 * 3 + 3)
