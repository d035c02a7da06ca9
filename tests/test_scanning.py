"""The lexer that compiles one pattern for all parser states (netdsl/scanning.py) finds exactly the
tokens and the errors of Lark's own contextual lexer: on every spec in the repository, on prefixes of
them (unfinished text, as an editor sends it) and on random one-piece edits."""

import random
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedInput

from netdsl.parser import LineBreaks, grammar_path, lark_parser
from netdsl.scanning import _StateLexers

ROOT = Path(__file__).resolve().parent.parent
PIECES = [*"()[]{}<>=!-+*/%@,:.#\"'\n \\_09aZ", "input", "output", "->", "if", "else", "for", "in", "not", "and",
          "or", "where", "true", "None", "network", "block", "param", "buffer", "import", "1.5e3", "**", "//",
          "...", "\r\n", "\r"]


def reference() -> Lark:
    """Lark's own contextual lexer, on a grammar analysed afresh."""
    return Lark(Path(grammar_path()).read_text(encoding="utf-8"), parser="lalr", propagate_positions=True,
                maybe_placeholders=True, postlex=LineBreaks())


def outcome(lark: Lark, text: str):
    """The tokens of the parse tree with their positions, or what the error says (less its message,
    which lists the expected terminals in set order)."""
    try:
        tree = lark.parse(text)
    except UnexpectedInput as error:
        expected = getattr(error, "expected", None) or getattr(error, "allowed", None) or ()
        token = getattr(error, "token", None)
        return (type(error).__name__, error.pos_in_stream, error.line, error.column, sorted(expected),
                token and (token.type, str(token), token.start_pos))
    return [(t.type, str(t), t.start_pos, t.end_pos) for t in tree.scan_values(lambda v: v is not None)]


def texts():
    rng = random.Random(10)
    for path in sorted(ROOT.glob("specs/**/*.net")):
        text = path.read_text(encoding="utf-8")
        yield text
        yield from (text[:rng.randrange(len(text))] for _ in range(4))
        for _ in range(8):
            at = rng.randrange(len(text) + 1)
            yield text[:at] + rng.choice(PIECES) + text[at + rng.choice([0, 0, 1, 3]):]


def test_one_pattern_for_all_states_lexes_as_lark_does():
    lark = reference()
    shared = lark_parser()   # as `netdsl check` loads it: from the kept grammar (grammar_cache.py)
    assert isinstance(shared.parser.lexer.lexer.lexers, _StateLexers)   # each state's lexer made when first reached
    differ = [text for text in texts() if outcome(shared, text) != outcome(lark, text)]
    assert not differ, differ[:3]
