"""Source files and spans. Spans keep character offsets; line/column are computed only when shown."""

from __future__ import annotations

import bisect
import re
from dataclasses import field
from functools import cached_property

from . import records

# A line ends at \n, \r\n or a lone \r (old Mac files), as the grammar's comments and strings do.
_LINE_END = re.compile(r"\r\n?|\n")


@records.value
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
        return [0, *(match.end() for match in _LINE_END.finditer(self.text))]

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_bounds(self, line: int) -> tuple[int, int]:
        """The offsets where a line's text starts and ends (before its line break)."""
        start = self._line_starts[line - 1]
        if line == len(self._line_starts):
            return start, len(self.text)
        end = self._line_starts[line]
        return start, end - (2 if end - start >= 2 and self.text.startswith("\r\n", end - 2) else 1)

    def line_text(self, line: int) -> str:
        start, end = self.line_bounds(line)
        return self.text[start:end]


@records.value
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
