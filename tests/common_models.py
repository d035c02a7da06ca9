"""Models as people write them, none of them twins of this repository's specs: the tutorials' custom
layers (parameters read in forward), a BatchNorm/Dropout CNN, GRU and LSTM classifiers, Siamese nets, a
tied language model, a learned position embedding, a gated MLP, a small UNet, interpolation, PyTorch's
transformer tutorial, nanoGPT-style attention with a causal-mask buffer, a ShuffleNetV2 channel shuffle. tests/test_import_common.py
imports each and compares the built spec with it."""

import math

import torch
import torch.nn.functional as F
from import_models import Residual
from torch import nn


class MyLinear(nn.Module):
    """The tutorials' first custom layer."""

    def __init__(self, i, o):
        super().__init__()
        self.W = nn.Parameter(torch.randn(i, o))
        self.b = nn.Parameter(torch.zeros(o))

    def forward(self, x):
        return F.relu(x @ self.W + self.b)


class TutorialNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MyLinear(20, 64)
        self.l2 = MyLinear(64, 10)

    def forward(self, x):
        return self.l2(self.l1(x))


class StackedLinears(nn.Module):
    """Custom layers in an nn.Sequential: one block repeated, its parameters in every copy."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(*[MyLinear(8, 8) for _ in range(3)])
        self.out = MyLinear(8, 2)

    def forward(self, x):
        return self.out(self.layers(x))


class Scaled(nn.Module):
    """A learned scale and a fixed shift, both constants at construction."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.scale = nn.Parameter(torch.full((8,), 0.5))
        self.register_buffer("shift", torch.ones(8))

    def forward(self, x):
        return self.fc(x) * self.scale + self.shift


class TutorialCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * 8 * 8, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = x.view(x.size(0), -1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 32)
        self.gru = nn.GRU(32, 64, batch_first=True)
        self.fc = nn.Linear(64, 4)

    def forward(self, tokens):
        out, _ = self.gru(self.emb(tokens))
        return self.fc(out[:, -1])


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 32)
        self.lstm = nn.LSTM(32, 64, num_layers=2, batch_first=True)
        self.fc = nn.Linear(64, 4)

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.emb(tokens))
        return self.fc(h[-1])


class Siamese(nn.Module):
    """One encoder (an nn.Sequential) applied to both inputs."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))

    def forward(self, a, b):
        return self.enc(a) - self.enc(b)


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 8)

    def forward(self, x):
        return torch.tanh(self.fc(x))


class SiameseTowers(nn.Module):
    """One user-defined block and one layer norm applied to both inputs."""

    def __init__(self):
        super().__init__()
        self.tower = Tower()
        self.norm = nn.LayerNorm(8)

    def forward(self, a, b):
        return self.norm(self.tower(a)) * self.norm(self.tower(b))


class QuestionAnswer(nn.Module):
    """One embedding and one GRU over a question and an answer of other lengths."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.rnn = nn.GRU(16, 16, batch_first=True)

    def forward(self, question, answer):
        q, _ = self.rnn(self.embed(question))
        a, _ = self.rnn(self.embed(answer))
        return q[:, -1] * a[:, -1]


class MeanTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 8)

    def forward(self, x):
        return self.fc(x).mean(dim=1)


class TowersOnTwoLengths(nn.Module):
    """One block applied to sequences of two lengths."""

    def __init__(self):
        super().__init__()
        self.tower = MeanTower()

    def forward(self, a, b):
        return self.tower(a) - self.tower(b)


class TiedLM(nn.Module):
    """The output layer is the embedding (`head.weight = embed.weight`); a learned position embedding."""

    def __init__(self, vocab=100, dim=32, context=12):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.zeros(context, dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        return self.head(self.norm(self.embed(tokens) + self.pos))


class PatchClassifier(nn.Module):
    """A position embedding drawn at random (ViT's), which the spec cannot know."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 32)
        self.pos = nn.Parameter(torch.randn(1, 10, 32) * 0.02)
        self.head = nn.Linear(32, 5)

    def forward(self, x):
        return self.head((self.proj(x) + self.pos).mean(dim=1))


class GatedMLP(nn.Module):
    """SwiGLU, as in LLaMA's feed-forward."""

    def __init__(self, d=32, hidden=64):
        super().__init__()
        self.w1 = nn.Linear(d, hidden)
        self.w2 = nn.Linear(d, hidden)
        self.w3 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.w3(F.silu(self.w1(x)) * self.w2(x))


class DoubleConv(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())

    def forward(self, x):
        return self.conv(x)


class SmallUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1 = DoubleConv(3, 16)
        self.down2 = DoubleConv(16, 32)
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.up1 = DoubleConv(32, 16)
        self.out = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        a = self.down1(x)
        b = self.down2(self.pool(a))
        u = torch.cat([self.up(b), a], dim=1)
        return self.out(self.up1(u))


class Upsampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return F.interpolate(self.conv(x), scale_factor=2, mode="bilinear", align_corners=False)


class PositionalEncoding(nn.Module):
    """PyTorch's transformer tutorial: a sinusoidal table, a buffer whose values a spec cannot write."""

    def __init__(self, d_model=32, max_len=50):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[:x.size(0)]


class TransformerTutorial(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 32)
        self.pos_encoder = PositionalEncoding()
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.linear = nn.Linear(32, 100)

    def forward(self, src):
        src = self.embedding(src) * math.sqrt(32)
        return self.linear(self.encoder(self.pos_encoder(src)))


class LayerScaleNet(nn.Module):
    """Blocks in an nn.ModuleList run by a loop, then a layer scale (a constant parameter)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.blocks = nn.ModuleList([Residual(8) for _ in range(2)])
        self.gamma = nn.Parameter(1e-4 * torch.ones(8, 1, 1))

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return x * self.gamma


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(32, 4, 1, 1, 64, dropout=0.0, batch_first=True)

    def forward(self, src, tgt):
        return self.transformer(src, tgt)


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x)).view(-1, 1, 28, 28)


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention, with its causal mask as a buffer."""

    def __init__(self, d=32, heads=4, context=8):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.register_buffer("bias", torch.tril(torch.ones(context, context)).view(1, 1, context, context))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, -1e9)
        y = F.softmax(att, dim=-1) @ v
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's channel shuffle, as torchvision writes it: views built from the tensor's own sizes."""
    batch, channels, height, width = x.size()
    x = x.view(batch, groups, channels // groups, height, width)
    return torch.transpose(x, 1, 2).contiguous().view(batch, channels, height, width)


class ShuffleUnit(nn.Module):
    """A ShuffleNetV2 unit: two branches (or a split and one branch), concatenated, channels shuffled."""

    def __init__(self, inp: int, oup: int, stride: int):
        super().__init__()
        self.stride, half = stride, oup // 2
        self.branch1 = nn.Sequential(
            nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
            nn.Conv2d(inp, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU()) if stride > 1 else nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU())

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        self.stages = nn.Sequential(ShuffleUnit(24, 48, 2), ShuffleUnit(48, 48, 1), ShuffleUnit(48, 96, 2))
        self.fc = nn.Linear(96, 10)

    def forward(self, x):
        return self.fc(self.stages(self.stem(x)).mean([2, 3]))


class DenseLayer(nn.Module):
    """DenseNet's layer, as torchvision writes it: called with the list of every earlier feature map."""

    def __init__(self, channels: int, growth: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, growth, 3, padding=1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        return self.conv(torch.cat(features, 1))


class DenseBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([DenseLayer(4 + 2 * i, 2) for i in range(2)])

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)
