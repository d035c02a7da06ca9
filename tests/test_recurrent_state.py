"""rnn / gru / lstm with an initial state and several results (`out, (h, c) = lstm(x, (h0, c0), 64)`),
against PyTorch: for many configurations (layers, directions, batch_first, proj_size, unbatched inputs,
with and without a state) every result's static shape equals the one torch computes, the parameter count
equals nn.LSTM's, and the generated module gives torch's outputs on the same weights."""

import itertools

import pytest
import torch  # the suite requires torch: CI installs it, a missing torch must fail
from conftest import ROOT
from spec_modules import checked, emitted_module, import_source
from torch import nn

from netdsl import build_module, check_text, generate_source
from netdsl.codegen import generate
from netdsl.importing import import_model
from netdsl.lsp.index import Index
from netdsl.lsp.info import hover
from netdsl.shapes import format_shape
from netdsl.sizes import substitute

BATCH, LENGTH, FEATURES, HIDDEN = 3, 5, 6, 8
TORCH = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def configurations():
    for kind, layers, bidirectional, batch_first, batched, state in itertools.product(
            ("rnn", "gru", "lstm"), (1, 2), (False, True), (False, True), (True, False), (False, True)):
        if not batched and batch_first and kind != "gru":
            continue   # batch_first means nothing to an unbatched input: once (gru) is enough
        for proj in ((0, 3) if kind == "lstm" else (0,)):
            yield kind, dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                             proj_size=proj), batched, state


CONFIGURATIONS = list(configurations())


def state_shapes(kind: str, options: dict, batched: bool) -> tuple:
    """(h_0's shape, c_0's shape or None), written by hand from torch's documentation."""
    states = options["num_layers"] * (2 if options["bidirectional"] else 1)
    batch = ("N",) if batched else ()
    h = (states, *batch, options["proj_size"] or HIDDEN)
    return h, (states, *batch, HIDDEN) if kind == "lstm" else None


def spec(kind: str, options: dict, batched: bool, state: bool) -> str:
    """Three networks on the same layer, each giving one result as its output: Out, Hidden, Cell."""
    x = (f"[N, L, {FEATURES}]" if options["batch_first"] else f"[L, N, {FEATURES}]") if batched else f"[L, {FEATURES}]"
    h0, c0 = state_shapes(kind, options, batched)
    written = ", ".join(f"{k}={str(v).lower()}" for k, v in options.items() if v and v is not False)
    states = "" if not state else ", (h0, c0)" if kind == "lstm" else ", h0"
    targets = "out, (h, c)" if kind == "lstm" else "out, h"
    declared = (f"    input h0: [{', '.join(map(str, h0))}]\n" + (f"    input c0: [{', '.join(map(str, c0))}]\n"
                                                                  if c0 else "")) if state else ""
    results = ("out", "h", "c") if kind == "lstm" else ("out", "h")
    return "\n".join(
        f"network {name}() {{\n    input x: {x}\n{declared}"
        f"    {targets} = {kind}(x{states}, {HIDDEN}{', ' if written else ''}{written})\n    output {result}\n}}\n"
        for name, result in zip(("Out", "Hidden", "Cell"), results))


def inputs(kind: str, options: dict, batched: bool, state: bool) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = ((BATCH, LENGTH, FEATURES) if options["batch_first"] else (LENGTH, BATCH, FEATURES)) if batched \
        else (LENGTH, FEATURES)
    tensors = [torch.randn(x, generator=generator)]
    if state:
        tensors += [torch.randn(tuple(BATCH if d == "N" else d for d in shape), generator=generator)
                    for shape in state_shapes(kind, options, batched) if shape is not None]
    return tensors


def twin_results(kind: str, options: dict, weights: dict, tensors: list) -> list[torch.Tensor]:
    """torch's own module, loaded with the generated module's weights: its results flattened."""
    extra = {"proj_size": options["proj_size"]} if kind == "lstm" else {}
    twin = TORCH[kind](FEATURES, HIDDEN, num_layers=options["num_layers"], bidirectional=options["bidirectional"],
                       batch_first=options["batch_first"], **extra)
    twin.load_state_dict({k.partition(".")[2]: v for k, v in weights.items()})
    x, *state = tensors
    if kind == "lstm":
        out, (h, c) = twin(x, tuple(state) or None)
        return [out, h, c]
    out, h = twin(x, *state)
    return [out, h]


@pytest.mark.parametrize("kind, options, batched, state", CONFIGURATIONS,
                         ids=[f"{k}-{'-'.join(f'{n}={v}' for n, v in o.items())}-{'batched' if b else 'unbatched'}"
                              f"{'-state' if s else ''}" for k, o, b, s in CONFIGURATIONS])
def test_every_result_matches_torch(kind, options, batched, state, tmp_path):
    text = spec(kind, options, batched, state)
    analysis = check_text(text)
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    sizes = {"N": BATCH, "L": LENGTH}
    tensors = inputs(kind, options, batched, state)
    generated = generate(analysis.networks, "recurrent.net")
    module = import_source(generated.source, tmp_path, f"recurrent_{kind}")
    networks = {checked.graph.name: getattr(module, generated.classes[checked.graph.name])()
                for checked in analysis.networks}
    first = next(iter(networks.values()))
    expected = twin_results(kind, options, first.state_dict(), tensors)
    for graph, want in zip(analysis.networks, expected):
        net = networks[graph.graph.name]
        net.load_state_dict(first.state_dict())
        assert graph.params == sum(p.numel() for p in net.parameters())
        got = net(*tensors)
        assert substitute(graph.output_shape, sizes) == tuple(got.shape) == tuple(want.shape)
        torch.testing.assert_close(got, want)
    layer = next(layer for layer in analysis.networks[0].layers if layer.node.kind == kind)
    assert [substitute(shape, sizes) for _, shape in layer.values()] == [tuple(t.shape) for t in expected]


def test_generated_code_unpacks_as_torch_returns():
    source = generate_source("""
network Decoder() {
    input x: [N, 12, 32]
    input h0: [2, N, 64]
    input c0: [2, N, 64]
    out, (h, c) = lstm(x, (h0, c0), 64, num_layers=2, batch_first=true)
    _, last = out -> gru(16, batch_first=true)
    _, (_, cell) = x -> lstm(8, batch_first=true)
    hidden = x -> lstm(8, batch_first=true, returns="hidden") -> select(0, -1)
    output cat(h -> select(0, -1), c -> select(0, -1), last -> select(0, 0), cell -> select(0, 0), hidden, dim=-1)
}
""")
    assert "out, (h, c) = self.lstm1(x, (h0, c0))  # [N, 12, 64]; [2, N, 64]; [2, N, 64]" in source
    assert "_, last = self.gru1(out)  # [1, N, 16]" in source
    assert "_, (_, cell) = self.lstm2(x)  # [1, N, 8]" in source
    assert "= self.lstm3(x)[1][0]  # [1, N, 8]" in source


def test_initial_state_flows_from_another_layer():
    """The decoder's state is the encoder's h_n: the batch symbol is carried through the state."""
    analysis = check_text("""
network Seq() {
    input a: [N, S, 16]
    input b: [N, T, 16]
    _, h = a -> gru(32, num_layers=2, bidirectional=true, batch_first=true)
    out, _ = gru(b, h, 32, num_layers=2, bidirectional=true, batch_first=true)
    output out
}
""")
    assert analysis.ok, [d.message for d in analysis.diagnostics.items]
    assert format_shape(analysis.network().output_shape) == "[N, T, 64]"


@pytest.mark.parametrize("text, code, words", [
    ("out, h, c = lstm(x, 8)", "E0318", "write `out, (h, c) = ...`"),
    ("out, (h, c) = gru(x, 8)", "E0318", "`gru` gives 2 tensors: `output, hidden`"),
    ("out, _, c = lstm(x, 8)", "E0318", "write `out, (_, c) = ...`"),
    ("out = lstm(x, h0, 8)", "E0323", "lstm(input, (h_0, c_0), ...)"),
    ("out = lstm(x, (h0, h0), 8, proj_size=4)", "E0424", "h_0's last dim is proj_size (4)"),
    ("out = gru(x, h0 -> select(1, 0), 8)", "E0424", "a batched 3-D input needs a 3-D h_0"),
])
def test_misuse_is_reported(text, code, words):
    analysis = check_text(f"network Net() {{\n    input x: [N, 5, 6]\n    input h0: [1, 5, 8]\n    {text}\n"
                          "    output out\n}\n")
    found = [(d.code, f"{d.message} {d.help} {' '.join(map(str, d.notes))}") for d in analysis.diagnostics.items
             if d.severity.name == "ERROR"]
    assert [c for c, _ in found] == [code], found
    assert words in found[0][1], found


def test_a_state_laid_out_batch_first_is_right_only_where_both_orders_are():
    """[N, 2, 8] for two layers' state is torch's [2, N, 8] exactly when N = 2: accepted for that size (as
    torch accepts it), the batch_first mistake named at any other."""
    spec = ("network Net() {\n    input x: [N, 5, 6]\n    input h0: [N, 2, 8]\n"
            "    out, _ = gru(x, h0, 8, num_layers=2, batch_first=true)\n    output out\n}\n")
    accepted = check_text(spec)
    assert accepted.ok and accepted.accepted["Net"].words() == "N = 2", accepted.accepted["Net"]
    for batch, torch_accepts in ((2, True), (3, False)):
        analysis = check_text(spec, sizes={"N": batch})
        assert analysis.ok is torch_accepts
        errors = [d.message for d in analysis.diagnostics.items if d.code == "E0424"]
        assert errors == ([] if torch_accepts else [
            "`gru` expects its initial state h_0 to be [2, 3, 8], but it is [3, 2, 8]: the batch comes second in "
            "h_0, even with batch_first=true"])
        gru = nn.GRU(6, 8, num_layers=2, batch_first=True)
        try:
            gru(torch.zeros(batch, 5, 6), torch.zeros(batch, 2, 8))
        except RuntimeError:
            assert not torch_accepts
        else:
            assert torch_accepts


# ---------------------------------------------------------------- specs/seq2seq.net against its twins

class Seq2Seq(nn.Module):
    def __init__(self, recurrent=nn.GRU, source_vocab=8000, target_vocab=6000, hidden=512):
        super().__init__()
        self.embed1 = nn.Embedding(source_vocab, 256)
        self.encoder = recurrent(256, hidden, num_layers=2, batch_first=True)
        self.embed2 = nn.Embedding(target_vocab, 256)
        self.decoder = recurrent(256, hidden, num_layers=2, batch_first=True)
        self.fc1 = nn.Linear(hidden, target_vocab)

    def forward(self, source, target):
        _, state = self.encoder(self.embed1(source))   # h_n, or (h_n, c_n) for an LSTM
        decoded, _ = self.decoder(self.embed2(target), state)
        return self.fc1(decoded)


@pytest.mark.parametrize("network, recurrent", [("Seq2Seq", nn.GRU), ("Seq2SeqLSTM", nn.LSTM)])
def test_seq2seq_matches_its_twin(network, recurrent, tmp_path):
    spec = ROOT / "specs" / "seq2seq.net"
    net = checked(spec, network)
    generated = emitted_module(spec, network, tmp_path)
    twin = Seq2Seq(recurrent)
    assert net.params == sum(p.numel() for p in twin.parameters()) == sum(p.numel() for p in generated.parameters())
    assert [(k, v.shape) for k, v in generated.state_dict().items()] == \
        [(k, v.shape) for k, v in twin.state_dict().items()]
    twin.load_state_dict(generated.state_dict())
    generator = torch.Generator().manual_seed(0)
    source, target = torch.randint(0, 6000, (3, 7), generator=generator), torch.randint(0, 6000, (3, 5),
                                                                                          generator=generator)
    got = generated(source, target)
    assert tuple(got.shape) == substitute(net.output_shape, {"N": 3, "T": 5}) == (3, 5, 6000)
    torch.testing.assert_close(got, twin(source, target))


def test_hover_names_every_result_and_where_a_state_comes_from():
    analysis = check_text((ROOT / "specs" / "seq2seq.net").read_text(), "seq2seq.net")
    text, index = analysis.source.text, Index(analysis.program)
    layer, _ = hover(analysis, index, "seq2seq.net", text.index("lstm(hidden") + 1)
    assert "input `[N, S, 256]` → `output [N, S, 512]; hidden [2, N, 512]; cell [2, N, 512]`" in layer
    assert "nn.LSTM(256, 512, num_layers=2, batch_first=True)" in layer
    tensor, _ = hover(analysis, index, "seq2seq.net", text.index("(h, c), hidden") + 1)
    assert "`[2, N, 512]` hidden from `lstm` (`encoder`)" in tensor


# ---------------------------------------------------------------- netdsl import of an initial state

class StartedLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x, h0, c0):
        out, _ = self.lstm(x, (h0, c0))
        return self.fc(out)


class StartedGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 16, bidirectional=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x, h0):
        return self.fc(self.gru(x, h0)[1][-1])


@pytest.mark.parametrize("model, shapes, state", [
    (StartedLSTM, ("[N, 5, 8]", "[2, N, 16]", "[2, N, 16]"), "lstm: lstm((h0, c0), 16, num_layers=2, batch_first=true)"),
    (StartedGRU, ("[5, N, 8]", "[2, N, 16]"), "gru: gru(h0, 16, bidirectional=true, returns='hidden')"),
])
def test_import_writes_the_initial_state_as_torch_takes_it(model, shapes, state):
    torch.manual_seed(0)
    original = model().eval()
    imported = import_model(original, *shapes)
    assert state in imported.text, imported.text
    built = build_module(imported.text).eval()
    built.load_state_dict(imported.state_dict(original))
    tensors = [torch.randn(tuple(BATCH if d == "N" else int(d) for d in shape.strip("[]").split(", ")))
               for shape in shapes]
    with torch.no_grad():
        torch.testing.assert_close(built(*tensors), original(*tensors))


@pytest.mark.parametrize("golden, fixed", [
    ("lstm_state_flat", "out, (h, c) = lstm(x, (h0, c0), 64, batch_first=true)"),
    ("lstm_unpack_flat", "out, (h, c) = words -> lstm(128, batch_first=true)"),
])
def test_the_fix_nests_a_flat_lstm_state(golden, fixed):
    analysis = check_text((ROOT / "specs" / "errors" / f"{golden}.net").read_text())
    (error,) = analysis.diagnostics.items
    (fix,) = error.fixes
    text = analysis.source.text
    for edit in sorted(fix.edits, key=lambda e: -e.span.start):
        text = text[:edit.span.start] + edit.replacement + text[edit.span.end:]
    assert fixed in text
    assert check_text(text).ok
