"""Lark's contextual lexer with one compiled pattern for all parser states (a Lark `_plugins` entry).

Lark's contextual lexer compiles, for each parser state, the alternation of the terminals that state
accepts: for ResNet-18 about 30 compilations of nearly the same large pattern, 20–40 ms of a cold
`netdsl check` (docs/performance.md). Here each state first matches the alternation of all
terminals, compiled once. When the terminal found there is one the state's own alternation would have
found — it is in the state, and so is no terminal before it that the shared alternation lacks — the
result is the same; anywhere else the state uses Lark's own scanner, compiled when first needed. Tokens
and errors are therefore exactly Lark's.
"""

from __future__ import annotations

from lark.lexer import BasicLexer, ContextualLexer


class _Keywords:
    """A state's keyword callback: a name that spells a keyword the state accepts becomes that keyword
    (what Lark's per-state `UnlessCallback` does, without compiling the keywords again)."""

    def __init__(self, spelled: dict[str, str]):
        self.spelled = spelled

    def __call__(self, token):
        keyword = self.spelled.get(token.value)
        if keyword is not None:
            token.type = keyword
        return token


class _StateLexer(BasicLexer):
    shared: BasicLexer   # over every terminal
    sure: frozenset[str]   # the terminals for which the shared pattern's answer is this state's

    def use_shared(self, shared: BasicLexer, spelled: dict[str, dict[str, str]]) -> None:
        names = {t.name for t in self.terminals}
        self.callback = {}
        embedded = set()
        for terminal in self.terminals:
            keywords = {word: name for word, name in spelled.get(terminal.name, {}).items() if name in names}
            if keywords:
                self.callback[terminal.name] = _Keywords(keywords)
                embedded.update(name for name in keywords.values()
                                if self.terminals_by_name[name].pattern.flags <= terminal.pattern.flags)
        # Lark's alternation for this state lists these terminals in this order.
        own = [t.name for t in self.terminals if t.name not in embedded]
        everywhere = shared.scanner.allowed_types
        sure = set()
        for name in own:
            sure.add(name)
            if name not in everywhere:
                break
        self.shared, self.sure = shared, frozenset(sure)

    def match(self, text, pos):
        found = self.shared.scanner.match(text, pos)
        if found is not None and found[1] in self.sure:
            return found
        return self.scanner.match(text, pos)


class SharedScanLexer(ContextualLexer):
    BasicLexer = _StateLexer

    def __init__(self, conf, states, always_accept=()):
        super().__init__(conf, states, always_accept)
        shared = self.root_lexer   # every terminal (Lark matches with it to word a contextual error)
        shared.scanner   # noqa: B018 — compiles the shared pattern and makes its keyword callbacks
        spelled = {name: {t.pattern.value: t.name for t in callback.scanner.terminals}
                   for name, callback in shared.callback.items()}
        for lexer in {*self.lexers.values(), shared}:
            lexer.use_shared(shared, spelled)
