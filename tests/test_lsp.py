"""`netdsl lsp` end to end: a client speaking JSON-RPC to the real server process, through every
feature — diagnostics (on open and after edits), hover, inlay hints, definition, references, document
symbols, completion, code actions and formatting — then shutdown."""

import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from lsp_client import LspClient

import netdsl
from netdsl.formatter import format_text

LENET_BAD = (ROOT / "specs/errors/lenet_in_features.net").read_text()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A copy of specs/ (imports resolve on disk), where the server runs."""
    directory = tmp_path_factory.mktemp("lsp")
    shutil.copytree(ROOT / "specs", directory / "specs")
    return directory


@pytest.fixture(scope="module")
def client(work):
    client = LspClient(work)
    result = client.request("initialize", {"processId": None, "rootUri": (work).as_uri(), "capabilities": {},
                                           "initializationOptions": {"inlayHints": True}})
    capabilities = result["capabilities"]
    for feature in ("hoverProvider", "definitionProvider", "referencesProvider", "documentSymbolProvider",
                    "completionProvider", "codeActionProvider", "documentFormattingProvider", "inlayHintProvider"):
        assert capabilities.get(feature), feature
    client.notify("initialized", {})
    yield client
    assert client.close() == 0


def uri_of(work: Path, relative: str) -> str:
    return (work / relative).as_uri()


def open_document(client, uri: str, text: str) -> list[dict]:
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "netdsl", "version": 1,
                                                            "text": text}})
    return client.diagnostics(uri, 1)


def position(text: str, needle: str, delta: int = 0) -> dict:
    offset = text.index(needle) + delta
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def test_diagnostics_on_open_have_code_notes_link_and_fix_data(client, work):
    uri = uri_of(work, "specs/errors/lenet_in_features.net")
    [diagnostic] = open_document(client, uri, LENET_BAD)
    assert diagnostic["code"] == "E0301" and diagnostic["severity"] == 1 and diagnostic["source"] == "netdsl"
    assert diagnostic["message"].startswith("`linear` expects 400 input features, but receives 576")
    assert "help: drop in_features (it is inferred), or use in_features=576" in diagnostic["message"]
    assert diagnostic["range"] == {"start": {"line": 7, "character": 21}, "end": {"line": 7, "character": 36}}
    [note] = diagnostic["relatedInformation"]
    assert note["message"] == "`flatten` turns [N, 16, 6, 6] into [N, 576]"
    assert note["location"]["uri"] == uri and note["location"]["range"]["start"] == {"line": 6, "character": 9}
    assert diagnostic["codeDescription"]["href"].startswith("https://")


def test_changes_are_rechecked_once_typing_pauses(client, work):
    uri = uri_of(work, "specs/edited.net")
    text = "network M() {\n    input x: [N, 8]\n    x -> linear(4) -> output\n}\n"
    assert open_document(client, uri, text) == []
    broken = text.replace("linear(4)", "linear(4, in_features=9)")
    for version, edit in enumerate([text.replace("linear(4)", "linear(4, in_")], start=2):  # a burst of typing
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"text": edit}]})
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                             "contentChanges": [{"text": broken}]})
    [diagnostic] = client.diagnostics(uri, 3)
    assert diagnostic["code"] == "E0301" and "receives 8" in diagnostic["message"]
    published = [m for m in client.notifications if m.get("method") == "textDocument/publishDiagnostics"
                 and m["params"]["uri"] == uri and m["params"].get("version") == 2]
    assert published == [], "an edit superseded within the debounce delay is not checked"


def test_hover_on_a_layer_shows_pytorch_shapes_params_and_macs(client, work):
    uri = uri_of(work, "specs/lenet.net")
    text = (work / "specs/lenet.net").read_text()
    assert open_document(client, uri, text) == []
    result = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                   "position": position(text, "conv2d(16")})
    value = result["contents"]["value"]
    assert "**conv2d** `conv2`" in value
    assert "nn.Conv2d(6, 16, kernel_size=5)" in value
    assert "input `[N, 6, 14, 14]` → output `[N, 16, 10, 10]`" in value
    assert "parameters: 2,416 · MACs: `240000*N`" in value


def test_hover_on_a_tensor_and_on_a_block_call(client, work):
    uri = uri_of(work, "specs/unet.net")
    text = (work / "specs/unet.net").read_text()
    open_document(client, uri, text)
    tensor = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                   "position": position(text, "e3 -> maxpool2d")})
    assert "**e3**: tensor" in tensor["contents"]["value"]
    assert "`[N, 256, H//4, W//4]` from `DoubleConv` (`double_conv3`)" in tensor["contents"]["value"]
    block = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": position(text, "Up(bottom")})
    value = block["contents"]["value"]
    assert "block Up(out: int)\ninput x: [N, C, H, W], skip" in value
    assert "input `[N, 512, H//8, W//8]`, `[N, 256, H//4, W//4]` → output `[N, 256, H//4, W//4]`" in value
    up = next(layer for layer in netdsl.check_file(ROOT / "specs/unet.net").network().layers
              if layer.node.name == "up1")
    assert f"parameters: {up.params:,} · MACs: `{up.macs:,}`" in value


def test_hover_on_parameters_and_definition_of_a_reused_label(client, work):
    uri = uri_of(work, "specs/sharing.net")
    text = (work / "specs/sharing.net").read_text()
    assert open_document(client, uri, text) == []
    value = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": position(text, "pos ->")})["contents"]["value"]
    assert "**pos**: tensor\n`[16, 64]` parameter = `trunc_normal(std=0.02)`" in value
    reused = position(text, "encoder -> norm")
    [label] = client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": reused})
    assert label["range"]["start"] == position(text, "encoder: Encoder")
    value = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": reused})["contents"]["value"]
    assert "= `Encoder(dim=32)`, shared with `encoder`" in value and "parameters: 0" in value


def test_inlay_hints_give_the_shape_at_the_end_of_each_chain_line(client, work):
    uri = uri_of(work, "specs/lenet.net")
    hints = client.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": {
        "start": {"line": 0, "character": 0}, "end": {"line": 20, "character": 0}}})
    by_line = {h["position"]["line"]: h["label"] for h in hints}
    assert by_line[4] == "[N, 6, 14, 14]" and by_line[5] == "[N, 16, 5, 5]" and by_line[6] == "[N, 400]"
    assert by_line[9] == "[N, 10]"
    client.notify("workspace/didChangeConfiguration", {"settings": {"netdsl": {"inlayHints": False}}})
    assert client.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": {
        "start": {"line": 0, "character": 0}, "end": {"line": 20, "character": 0}}}) == []
    client.notify("workspace/didChangeConfiguration", {"settings": {"netdsl": {"inlayHints": True}}})


def test_definition_and_references_of_blocks_across_imports_tensors_and_parameters(client, work):
    uri = uri_of(work, "specs/resnet18.net")
    text = (work / "specs/resnet18.net").read_text()
    open_document(client, uri, text)
    [target] = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                          "position": position(text, "BasicBlock(64)")})
    imported = next(p for p in (work / "specs").rglob("*.net") if p.as_uri() == target["uri"])
    assert "block BasicBlock" in imported.read_text() and imported.name != "resnet18.net"
    references = client.request("textDocument/references", {
        "textDocument": {"uri": uri}, "position": position(text, "BasicBlock(64)"),
        "context": {"includeDeclaration": True}})
    assert {r["uri"] for r in references} == {uri, target["uri"]}
    assert sum(r["uri"] == uri for r in references) == text.count("BasicBlock")

    uri = uri_of(work, "specs/unet.net")
    text = (work / "specs/unet.net").read_text()
    [skip] = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                        "position": position(text, "skip, dim=1")})
    assert skip["range"]["start"] == position(text, "skip: [N, S")
    references = client.request("textDocument/references", {"textDocument": {"uri": uri},
                                "position": position(text, "out: int"), "context": {"includeDeclaration": False}})
    lines = sorted(r["range"]["start"]["line"] for r in references)
    assert lines == [4]   # DoubleConv's one use of `out` (Up has an `out` of its own)
    [classes] = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                           "position": position(text, "classes, 1)")})
    assert classes["range"]["start"] == position(text, "classes: int")


def test_document_symbols_outline_networks_blocks_and_tensors(client, work):
    uri = uri_of(work, "specs/unet.net")
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [s["name"] for s in symbols] == ["DoubleConv", "Up", "UNet"]
    unet = symbols[2]
    assert unet["kind"] == 5  # Class
    names = [c["name"] for c in unet["children"]]
    assert names[:3] == ["in_channels", "classes", "x"] and {"e1", "e2", "e3", "bottom", "d1"} <= set(names)


def test_document_symbols_list_named_layers_and_named_repeats(client, work):
    uri = uri_of(work, "specs/named_repeat.net")
    text = ("block B(c: int) {\n    input x: [N, c]\n    output x -> linear(c) -> relu\n}\n\n"
            "network Net() {\n    input x: [N, 8]\n    x -> stem: linear(8) -> blocks: B(8) * 2 -> output\n}\n")
    assert open_document(client, uri, text) == []
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    net = next(s for s in symbols if s["name"] == "Net")
    children = {c["name"]: c for c in net["children"]}
    assert {"x", "stem", "blocks"} <= set(children)
    assert children["blocks"]["selectionRange"]["start"] == position(text, "blocks:")


def test_completion_of_layers_blocks_arguments_and_tensors(client, work):
    uri = uri_of(work, "specs/completing.net")
    text = ("block Gate(channels: int) {\n    input x\n    output x\n}\n"
            "network M(width: int = 8) {\n    input x: [N, 16]\n    h = x -> linear(width)\n    y = h -> \n}\n")
    open_document(client, uri, text)

    def labels(needle, delta=0, text=text):
        result = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                             "position": position(text, needle, delta)})
        return {item["label"]: item for item in result["items"]}
    after_arrow = labels("h -> ", 5)
    assert {"conv2d", "linear", "relu", "Gate", "output"} <= set(after_arrow)
    changed = text.replace("y = h -> ", "y = h -> linear(4, ")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": changed}]})
    arguments = labels("linear(4, ", 10, changed)
    assert arguments["bias"]["detail"] == "true or false, default true"
    assert arguments["in_features"]["insertText"] == "in_features="
    assert {"h", "x", "width", "N"} <= set(arguments)
    body = labels("    y = h", 4, changed)
    assert {"h", "x", "width", "linear", "Gate"} <= set(body)


def test_completion_of_initialisers_parameters_and_tie(client, work):
    uri = uri_of(work, "specs/completing_params.net")
    text = ("network M() {\n    input x: [N, 16]\n    param W: [16, 8] = \n"
            "    e = x -> embed: embedding(100, 16)\n    h = x @ W -> linear(100, )\n}\n")
    open_document(client, uri, text)

    def labels(needle, delta):
        result = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                             "position": position(text, needle, delta)})
        return {item["label"]: item for item in result["items"]}
    initialisers = labels("[16, 8] = ", 10)
    assert {"zeros", "normal", "trunc_normal", "kaiming_uniform"} <= set(initialisers) and "linear" not in initialisers
    arguments = labels("linear(100, ", 12)
    assert arguments["tie"]["insertText"] == "tie=" and {"W", "x", "e"} <= set(arguments)
    assert {"param", "buffer"} <= set(labels("    h = x", 4))


def test_code_actions_apply_the_fixes_of_diagnostics(client, work):
    uri = uri_of(work, "specs/errors/lenet_in_features.net")
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": {"line": 7, "character": 25}, "end": {"line": 7, "character": 25}},
        "context": {"diagnostics": []}})
    assert [a["title"] for a in actions] == ["drop in_features (it is inferred)", "use in_features=576"]
    assert actions[0]["isPreferred"] and actions[0]["kind"] == "quickfix"
    [edit] = actions[0]["edit"]["changes"][uri]
    line = LENET_BAD.splitlines()[7]
    start, end = edit["range"]["start"], edit["range"]["end"]
    assert start["line"] == end["line"] == 7
    assert line[:start["character"]] + edit["newText"] + line[end["character"]:] == "      -> linear(120) -> relu"
    assert actions[0]["diagnostics"][0]["code"] == "E0301"


def test_formatting_returns_the_fmt_layout(client, work):
    uri = uri_of(work, "specs/lenet.net")
    text = (work / "specs/lenet.net").read_text()
    [edit] = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                        "options": {"tabSize": 4, "insertSpaces": True}})
    assert edit["newText"] == format_text(text)
    assert edit["range"]["start"] == {"line": 0, "character": 0}
