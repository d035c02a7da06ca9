"""Source files and spans. Spans keep character offsets; line/column are computed only when shown."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True, eq=False)
class SourceFile:
    """A file's path and text; two SourceFiles are the same file when both agree (parses are cached
    by them, so spans may point at an equal SourceFile rather than the same object)."""
    path: str
    text: str = field(repr=False)

    def __eq__(self, other) -> bool:
        return isinstance(other, SourceFile) and (other is self or (other.path, other.text) == (self.path, self.text))

    def __hash__(self) -> int:
        return hash((self.path, self.text))

    @cached_property
    def _line_starts(self) -> list[int]:
        """Computed when a position is first shown: an editor's re-check of a clean file never needs it."""
        return [0, *(match.end() for match in re.finditer("\n", self.text))]

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end != -1 else len(self.text)].rstrip("\r")


@dataclass(frozen=True)
class Span:
    source: SourceFile
    start: int
    end: int

    def to(self, other: Span) -> Span:
        """The span covering both self and other (same file)."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))

    @property
    def line_col(self) -> tuple[int, int]:
        return self.source.line_col(self.start)

    def location(self) -> str:
        line, col = self.line_col
        return f"{self.source.path}:{line}:{col}"

    def short(self) -> str:
        line, col = self.line_col
        return f"{line}:{col}"

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]
