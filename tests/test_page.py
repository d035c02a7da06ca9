"""`netdsl render -o net.html`: one self-contained page, tested in a real headless Chromium (Debian's chromium
and chromium-driver, driven by Selenium; never skipped: CI installs them). The browser cuts the model as
view.py does, opens and closes blocks in place, shows details, searches, marks the failing layer, and keeps
spec text as data. `--update-goldens` rewrites docs/interactive.png, the README's screenshot."""

from __future__ import annotations

import json
import re
import shutil
import struct
import tempfile
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from test_render import BROKEN

import netdsl
from netdsl.drawing import build
from netdsl.page import page
from netdsl.view import collapsed, cut

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WINDOW = (1400, 900)
ENTER = "\ue007"  # selenium's Keys.ENTER
SCREENSHOT = ROOT / "docs" / "interactive.png"


def write_page(tmp_path: Path, spec: str, *options: str) -> Path:
    out = tmp_path / f"{Path(spec).stem}.html"
    if not spec.endswith(".net"):
        (tmp_path / "spec.net").write_text(spec, encoding="utf-8")
        spec, out = str(tmp_path / "spec.net"), tmp_path / "spec.html"
    from netdsl.cli import main
    main(["render", spec, "-o", str(out), *options])
    return out


class _Resources(HTMLParser):
    """Every element that could fetch something, and the scripts' texts."""

    def __init__(self):
        super().__init__()
        self.fetching, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            self.scripts.append((attrs.get("type"), ""))
        for key in ("src", "href", "data", "srcset"):
            if key in attrs and not (tag == "a" and attrs[key].startswith("https://github.com/kieler/elkjs")):
                self.fetching.append((tag, key, attrs[key]))
        if tag == "link":
            self.fetching.append((tag, "link", attrs))

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script:
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)


def test_the_page_is_one_file_that_fetches_nothing(tmp_path, capsys):
    out = tmp_path / "lenet.html"
    assert run_cli(capsys, "render", "specs/lenet.net", "-o", str(out))[:2] == (0, "")
    text = out.read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(text)
    assert parser.fetching == []
    assert not re.search(r"url\((?!#)|@import|fetch\(|XMLHttpRequest|importScripts", _style_and_own_script(text))
    assert [kind for kind, _ in parser.scripts] == ["application/json", None, None]
    data = json.loads(parser.scripts[0][1])
    analysis = netdsl.check_file("specs/lenet.net")
    assert data["diagram"] == json.loads(json.dumps(build(analysis.network()).as_json()))
    assert "Eclipse Public License - v 2.0" in text  # the licence of the vendored elkjs goes with it


def _style_and_own_script(text: str) -> str:
    return text.split("<style>", 1)[1].split("</style>", 1)[0] + text.rsplit("<script>", 1)[1]


def test_spec_text_in_the_page_is_only_ever_data(tmp_path):
    analysis = netdsl.check_file(ROOT / "tests" / "cases" / "evil.net")
    text = page(build(analysis.network(), analysis.diagnostics.items))
    assert text.count("<script") == text.count("</script") == 3  # the spec closes none of them
    parser = _Resources()
    parser.feed(text)
    assert parser.fetching == []
    body = text.split("<body>", 1)[1].split('<script type="application/json"', 1)[0]
    assert "&lt;/script&gt;&lt;script&gt;window.pwned=1" in body and "<script>window.pwned" not in body
    assert "</" not in parser.scripts[0][1] and "<!--" not in parser.scripts[0][1]
    assert json.loads(parser.scripts[0][1])["diagram"]["title"].startswith(
        'Evil(tag=</script><script>window.pwned=1</script><b>&amp;)')


# ---------------------------------------------------------------- in the browser

@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, DRIVER) if not shutil.which(p)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        pytest.fail(f"the browser tests need {', '.join(missing)}: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--force-device-scale-factor=1", f"--window-size={WINDOW[0]},{WINDOW[1]}"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="netdsl-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, path: Path) -> None:
    driver.get(path.as_uri())
    wait_layouts(driver, 1)


def wait_layouts(driver, count: int, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = driver.execute_script("return Number(document.documentElement.dataset.layouts || 0)")
        if done >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the page did not finish layout {count} in {timeout} s: {driver.get_log('browser')}")


def layouts(driver) -> int:
    return driver.execute_script("return Number(document.documentElement.dataset.layouts || 0)")


def boxes(driver) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('g.box')].map(b => b.dataset.id)")


def errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def click(driver, selector: str) -> None:
    """A real click, as a person makes it, waiting for the layout it causes."""
    before = layouts(driver)
    driver.find_element("css selector", selector).click()
    wait_layouts(driver, before + 1)


def test_the_page_loads_without_errors_and_draws_every_layer(browser, tmp_path):
    open_page(browser, write_page(tmp_path, "specs/lenet.net"))
    assert errors(browser) == []
    diagram = build(netdsl.check_file("specs/lenet.net").network())
    assert boxes(browser) == [n.id for n in diagram.nodes] and len(diagram.nodes) == 14
    assert browser.execute_script("return document.querySelectorAll('g.edge').length") == 13
    labels = browser.execute_script("return [...document.querySelectorAll('.edge-label')].map(t => t.textContent)")
    assert "[N, 16, 5, 5]" in labels


@pytest.mark.parametrize("spec", ["specs/resnet18.net", "specs/unet.net", "specs/resnet_tiny.net"])
def test_the_browser_cuts_the_model_as_python_does(browser, tmp_path, spec):
    open_page(browser, write_page(tmp_path, spec))
    diagram = build(netdsl.check_file(spec).network())
    states = [set(), {g.id for g in diagram.groups}, collapsed(diagram, 0), collapsed(diagram, 1, True),
              {g.id for g in diagram.groups if g.role == "repeat"}]
    for hidden in states:
        view = cut(diagram, hidden, frame_repeats=True)
        drawn = browser.execute_script("return window.netdsl.cut(arguments[0])", sorted(hidden))
        assert drawn["boxes"] == [b.id for b in view.boxes]
        assert sorted(map(tuple, drawn["links"])) == sorted((l.source, l.target, l.skip) for l in view.links)


def test_a_block_opens_and_closes_in_place(browser, tmp_path):
    open_page(browser, write_page(tmp_path, "specs/resnet18.net", "--depth", "0"))
    closed = boxes(browser)
    assert "down_block1" in closed and len(closed) == 16
    click(browser, 'g.box[data-id="down_block1"] .toggle')
    opened = boxes(browser)
    inside = [b for b in opened if b.startswith("down_block1.")]
    assert inside == ["down_block1.conv1", "down_block1.bn1", "down_block1.relu1", "down_block1.conv2",
                      "down_block1.bn2", "down_block1.conv3", "down_block1.bn3", "down_block1.add1",
                      "down_block1.relu2"]
    assert "down_block1" not in opened and len(opened) == 16 - 1 + 9
    assert browser.find_element("css selector", 'g.cluster[data-id="down_block1"]')
    click(browser, '.title[data-id="down_block1"] .toggle')
    assert boxes(browser) == closed
    assert errors(browser) == []


def test_hovering_or_clicking_a_layer_shows_its_details(browser, tmp_path):
    open_page(browser, write_page(tmp_path, "specs/lenet.net"))
    browser.find_element("id", "fit").click()
    details = browser.find_element("id", "details")
    from selenium.webdriver import ActionChains
    ActionChains(browser).move_to_element(browser.find_element("css selector", 'g.box[data-id="fc1"]')).perform()
    assert "nn.Linear(400, 120)" in details.text
    browser.find_element("css selector", 'g.box[data-id="conv1"]').click()
    text = details.text
    for expected in ("conv2d(1→6, 5×5)", "Kind", "conv2d", "nn.Conv2d(1, 6, ", "[N, 1, 32, 32]", "[N, 6, 28, 28]",
                     "156 trainable", "MACs", "specs/lenet.net:5:", "x -> conv2d(6, kernel=5)"):
        assert expected in text, expected
    ActionChains(browser).move_to_element(browser.find_element("css selector", 'g.box[data-id="fc1"]')).perform()
    assert "nn.Conv2d" in details.text  # a click pins the details


def test_search_finds_layers_and_tensors_and_opens_what_hides_them(browser, tmp_path):
    open_page(browser, write_page(tmp_path, "specs/unet.net", "--depth", "0"))
    search = browser.find_element("id", "search")
    search.send_keys("e3")  # a tensor: marked where it is drawn, its producer and the edges that carry it
    marked = browser.execute_script("return [...document.querySelectorAll('g.box.match')].map(b => b.dataset.id)")
    assert marked == ["double_conv3"]
    assert browser.execute_script("return document.querySelectorAll('g.edge.match').length") == 2  # to pool3, up1
    search.clear()
    search.send_keys("cat1")
    assert browser.find_element("id", "matches").text == "3 found"
    before = layouts(browser)
    search.send_keys(ENTER)  # Enter opens the blocks that hide them
    wait_layouts(browser, before + 1)
    assert {"up1.cat1", "up2.cat1", "up3.cat1"} <= set(boxes(browser))
    assert "concat" in browser.find_element("id", "details").text
    assert errors(browser) == []


def test_the_failing_layer_is_red_with_its_diagnostic(browser, tmp_path):
    open_page(browser, write_page(tmp_path, BROKEN, "--depth", "0"))
    banner = browser.find_element("id", "errors")
    assert banner.is_displayed() and "do not broadcast" in banner.text
    assert browser.find_element("css selector", 'g.box[data-id="residual1"]').get_attribute("class").count("status-error")
    before = layouts(browser)
    banner.click()
    wait_layouts(browser, before + 1)
    failing = browser.find_element("css selector", 'g.box[data-id="residual1.add1"]')
    assert "status-error" in failing.get_attribute("class")
    details = browser.find_element("id", "details").text
    assert "error[E0403]: shapes [N, 16, 32, 32] and [N, 16, 30, 30] do not broadcast" in details
    assert errors(browser) == []


def test_spec_text_cannot_run_in_the_page(browser, tmp_path):
    open_page(browser, write_page(tmp_path, str(ROOT / "tests" / "cases" / "evil.net")))
    assert browser.execute_script("return window.pwned") is None
    assert browser.find_element("tag name", "h1").text.startswith(
        "Evil(tag=</script><script>window.pwned=1</script><b>&amp;)")
    browser.find_element("css selector", 'g.box[data-id="fc1"]').click()
    assert 'onerror="window.pwned=1"' in browser.find_element("id", "details").text
    assert browser.execute_script("return window.pwned") is None
    assert errors(browser) == []


def test_a_screenshot_of_the_page_shows_the_network(browser, tmp_path, request):
    open_page(browser, write_page(tmp_path, "specs/unet.net", "--depth", "0"))
    click(browser, 'g.box[data-id="up1"] .toggle')
    browser.find_element("css selector", 'g.box[data-id="up1.cat1"]').click()
    browser.execute_script("document.getElementById('fit').click()")
    png = browser.get_screenshot_as_png()
    width, height, pixels = decode_png(png)
    assert [width, height] == browser.execute_script(
        "return [window.innerWidth * devicePixelRatio, window.innerHeight * devicePixelRatio]")
    white = sum(1 for p in pixels if p[:3] == (255, 255, 255))
    assert 0.05 < 1 - white / len(pixels) < 0.9, "a picture, neither blank nor a flood"
    assert len(set(pixels)) > 50, "boxes, fills, edges and text, not a few flat colours"
    if request.config.getoption("--update-goldens"):
        SCREENSHOT.write_bytes(png)
    assert SCREENSHOT.exists(), "docs/interactive.png is missing: run pytest tests/test_page.py --update-goldens"
    assert decode_png(SCREENSHOT.read_bytes())[:2] == (width, height)


def decode_png(data: bytes) -> tuple[int, int, list[tuple]]:
    """Width, height and pixels of an 8-bit RGB or RGBA PNG (what Chromium writes): enough to tell a picture
    from a blank page without an imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, [], None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and not interlace
    size = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(b"".join(chunks)), width * size, [], bytearray(width * size)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - size] if x >= size else 0
            up, corner = previous[x], previous[x - size] if x >= size else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                best = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[x] = (line[x] + best[2]) & 255
        rows.append(line)
        previous = line
    pixels = [tuple(row[x:x + size]) for row in rows for x in range(0, stride, size)]
    return width, height, pixels
