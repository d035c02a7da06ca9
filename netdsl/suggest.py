"""'Did you mean' suggestions: one helper for every unknown name."""

from __future__ import annotations


def nearest(name: str, candidates) -> str | None:
    """The closest spelling among candidates (case-insensitive equality first)."""
    candidates = list(candidates)
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return lowered[name.lower()]
    import difflib  # only when something is misspelt: off the start-up
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates) -> str | None:
    """The help text "did you mean `x`?", or None when nothing is close."""
    suggestion = nearest(name, candidates)
    return f"did you mean `{suggestion}`?" if suggestion else None
