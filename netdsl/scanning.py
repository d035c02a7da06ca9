"""Lark's contextual lexer with one compiled pattern for all parser states (a Lark `_plugins` entry).

Lark's contextual lexer compiles, for each parser state, the alternation of the terminals that state
accepts: for ResNet-18 about 30 compilations of nearly the same large pattern, 20–40 ms of a cold
`netdsl check` (docs/performance.md). Here each state first matches the alternation of all
terminals, compiled once, and keeps its answer when the state's own alternation would have given the
same: the terminal found is in the state, and no terminal before it in the state's alternation can
match there. Those before it are in the shared alternation too (so they did not match), except the
keywords that the shared one leaves to a name pattern: they are plain strings, checked with
`startswith`. Anywhere else the state tries its terminals one by one in its alternation's order —
which is what an alternation does — each terminal's pattern compiled once for all states. Tokens and
errors (for which Lark's own scanner of the state is built) are therefore exactly Lark's.
"""

from __future__ import annotations

from copy import copy

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
    shared_patterns: list   # the alternation of every terminal, compiled once for all states
    # terminal → the keywords before it in this state's alternation that the shared one lacks; only
    # the terminals for which the shared pattern's answer is this state's unless one of these matches
    hidden_before: dict[str, tuple[str, ...]]

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
        self.own = [t for t in self.terminals if t.name not in embedded]   # Lark's alternation, in its order
        everywhere = shared.scanner.allowed_types
        self.shared_patterns = shared.scanner._mres   # (in pieces past 100 groups, as Lark compiles it)
        self.hidden_before, hidden = {}, ()
        for terminal in self.own:
            self.hidden_before[terminal.name] = hidden
            if terminal.name not in everywhere:
                if terminal.pattern.type != "str" or terminal.pattern.flags:
                    break   # not a plain string: the terminals from here on are tried one by one
                hidden += (terminal.pattern.value,)

    def match(self, text, pos):
        source, end = text.text, text.end
        for pattern in self.shared_patterns:   # what the shared Scanner.match does, without its two calls a token
            found = pattern.match(source, pos, end)
            if found:
                hidden = self.hidden_before.get(found.lastgroup)
                if hidden is not None and not source.startswith(hidden, pos, end):   # (a tuple: any of them)
                    return found.group(0), found.lastgroup
                break
        for terminal in self.own:   # (re caches the compiled patterns)
            match = self.re.compile(terminal.pattern.to_regexp(), self.g_regex_flags).match(source, pos, end)
            if match:
                return match.group(0), terminal.name
        return None


class SharedScanLexer(ContextualLexer):
    BasicLexer = _StateLexer

    def __init__(self, conf, states, always_accept=()):
        # A kept grammar (grammar_cache.py) is not validated again: then a state's lexer is made when
        # the parser first reaches the state (a spec reaches about 30 of the 335). Validating (a fresh
        # grammar, strict mode) makes them all at once, as Lark does, to check every state's terminals.
        lazy = conf.skip_validation
        super().__init__(conf, {} if lazy else states, always_accept)
        shared = self.root_lexer   # every terminal (Lark matches with it to word a contextual error)
        shared.scanner   # noqa: B018 — compiles the shared pattern and makes its keyword callbacks
        spelled = {name: {t.pattern.value: t.name for t in callback.scanner.terminals}
                   for name, callback in shared.callback.items()}
        for lexer in {*self.lexers.values(), shared}:
            lexer.use_shared(shared, spelled)
        if lazy:
            self.lexers = _StateLexers(conf, states, {*conf.ignore, *always_accept}, shared, spelled)


class _StateLexers(dict):
    """parser state → its lexer (one for each set of terminals), made on first use as Lark makes them."""

    def __init__(self, conf, states, always, shared, spelled):
        super().__init__()
        self.conf, self.states, self.always, self.shared, self.spelled = conf, states, always, shared, spelled
        self.by_terminals: dict[frozenset[str], _StateLexer] = {}

    def __missing__(self, state):
        accepts = frozenset(self.states[state])
        lexer = self.by_terminals.get(accepts)
        if lexer is None:
            conf = copy(self.conf)
            conf.terminals = [conf.terminals_by_name[n] for n in accepts | self.always if n in conf.terminals_by_name]
            lexer = self.by_terminals[accepts] = _StateLexer(conf)
            lexer.use_shared(self.shared, self.spelled)
        self[state] = lexer
        return lexer
