"""The analysed grammar kept between runs (netdsl/grammar_cache.py): a process that assembles the parser
from the kept file parses, lexes and fails exactly as one that analysed the grammar itself, and a file
that is not safely the user's own is never unpickled."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

from lark import Lark

from netdsl.parser import LineBreaks, grammar_path, lark_parser
from tests.test_scanning import outcome, texts

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh process with TMPDIR set: prints what the parser made of a spec, and where it came from.
CHILD = ("from netdsl.parser import lark_parser, parse\nfrom netdsl.source import SourceFile\n"
         "m = parse(SourceFile('t', 'network A() {\\n input a: [N, 2]\\n y = a -> relu\\n (a) -> output\\n}'))\n"
         "print(len(m.definitions[0].body))\n")


def child(tmp_path: Path) -> str:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, check=True,
                          cwd=ROOT).stdout


def kept_files(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob(".netdsl-grammar-*"))


def test_the_first_run_keeps_the_grammar_and_the_next_one_parses_alike(tmp_path):
    assert child(tmp_path) == "3\n"   # the line-break rule (a postlex, not kept in the file) applies
    kept, = kept_files(tmp_path)
    assert kept.stat().st_mode & 0o777 == 0o600
    written = kept.stat().st_mtime_ns
    assert child(tmp_path) == "3\n"
    assert kept_files(tmp_path) == [kept] and kept.stat().st_mtime_ns == written   # read, not analysed again


def test_the_kept_parser_parses_and_fails_as_a_freshly_analysed_one():
    fresh = Lark(Path(grammar_path()).read_text(encoding="utf-8"), parser="lalr", propagate_positions=True,
                 maybe_placeholders=True, postlex=LineBreaks())
    kept = lark_parser()
    differ = [text for text in texts() if outcome(kept, text) != outcome(fresh, text)]
    assert not differ, differ[:3]
    spec = (ROOT / "specs" / "resnet18.net").read_text(encoding="utf-8")
    assert list(kept.lex(spec, dont_ignore=True)) == list(fresh.lex(spec, dont_ignore=True))


class _Planted:
    """Unpickling it creates a file: what someone else's file in the temp directory could do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_a_file_others_can_write_is_never_unpickled(tmp_path):
    child(tmp_path)
    kept, = kept_files(tmp_path)
    marker = tmp_path / "unpickled"
    kept.write_bytes(pickle.dumps(_Planted(marker)))
    kept.chmod(0o666)
    assert child(tmp_path) == "3\n"
    assert not marker.exists()
    # The check above is not vacuous: the same bytes in a file only the user can write are unpickled.
    kept.write_bytes(pickle.dumps(_Planted(marker)))
    kept.chmod(0o600)
    assert child(tmp_path) == "3\n"
    assert marker.exists()


def test_a_damaged_file_is_analysed_again_and_replaced(tmp_path):
    child(tmp_path)
    kept, = kept_files(tmp_path)
    kept.write_bytes(kept.read_bytes()[:1000])
    assert child(tmp_path) == "3\n"
    repaired = kept.stat().st_mtime_ns
    assert child(tmp_path) == "3\n"
    assert kept.stat().st_mtime_ns == repaired and kept.stat().st_size > 1000
