"""A scrolling view of many text lines on the line API (toolong-style).

`LineView` keeps its lines in a list and draws only the rows on screen, caching rendered
strips. It wraps or scrolls sideways, follows the tail (until the user scrolls up), and
searches with a regular expression (`next_match`), highlighting matches. Appending is
O(new lines); nothing is re-rendered that is not on screen. The log view and the events view
are built on it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mesos_tui.tui.resilient import Resilient

# Control characters would move the terminal's cursor: show them as '?'.
_CONTROL = {i: "?" for i in range(32) if i not in (9,)}
_CONTROL[127] = "?"


def clean(line: str) -> str:
    return line.translate(_CONTROL).expandtabs(8) if line else line


class LineView(Resilient, ScrollView, can_focus=True):
    """Lines, drawn on demand."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_up", "Up", show=False, id="lines.up"),
        Binding("down,j", "scroll_down", "Down", show=False, id="lines.down"),
        Binding("pageup,b", "page_up", "Page up", show=False, id="lines.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="lines.page_down"),
        Binding("home,g", "scroll_home", "Top", show=False, id="lines.top"),
        Binding("end,G", "scroll_end", "Bottom / follow", show=False, id="lines.bottom"),
        Binding("left", "scroll_left", "Left", show=False, id="lines.left"),
        Binding("right", "scroll_right", "Right", show=False, id="lines.right"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"line-view--match", "line-view--current"}

    DEFAULT_CSS = """
    LineView { height: 1fr; }
    LineView.-wrap { overflow-x: hidden; }
    LineView > .line-view--match { background: $warning 50%; }
    LineView > .line-view--current { background: $accent 40%; }
    """

    def __init__(
        self, max_lines: int = 500_000, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[str] = []
        self.max_lines = max_lines
        self.wrap = False
        self.follow = True
        self.pattern: re.Pattern[str] | None = None
        self.current_match: int | None = None  # line index
        self._rows: list[tuple[int, int]] = []  # wrapped display rows: (line, start column)
        self._wrap_width = 0
        self._longest = 0
        self._cache: dict[int, tuple[int, Strip]] = {}
        self._generation = 0
        self.dropped = 0  # lines dropped from the front to stay within max_lines

    # ------------------------------------------------------------------------- data

    def append_lines(self, new: Iterable[str]) -> None:
        start = len(self.lines)
        new = [clean(line) for line in new]
        if not new:
            return
        self.lines.extend(new)
        self._longest = max(self._longest, max(len(line) for line in new))
        if len(self.lines) > self.max_lines:
            drop = len(self.lines) - self.max_lines
            del self.lines[:drop]
            self.dropped += drop
            self._reflow()
        elif self.wrap:
            self._wrap_from(start)
        self._resize()
        if self.follow:
            self.scroll_to(y=max(0, self.virtual_size.height - self.size.height),
                           animate=False, immediate=True)
        self.refresh()

    def clear(self) -> None:
        self.lines.clear()
        self._rows.clear()
        self._longest = 0
        self._cache.clear()
        self._resize()
        self.refresh()

    @property
    def display_count(self) -> int:
        return len(self._rows) if self.wrap else len(self.lines)

    def _wrap_from(self, start: int) -> None:
        width = max(1, self._wrap_width)
        rows = self._rows
        for i in range(start, len(self.lines)):
            n = max(1, -(-len(self.lines[i]) // width))
            rows.extend((i, k * width) for k in range(n))

    def _reflow(self) -> None:
        self._cache.clear()
        self._generation += 1
        self._rows = []
        if self.wrap:
            self._wrap_width = max(1, self.size.width)
            self._wrap_from(0)

    def _resize(self) -> None:
        width = self.size.width if self.wrap else self._longest
        self.virtual_size = Size(width, self.display_count)

    def set_wrap(self, wrap: bool) -> None:
        top_line = self._line_at(int(self.scroll_offset.y))
        self.wrap = wrap
        self.set_class(wrap, "-wrap")
        self._reflow()
        self._resize()
        self.scroll_to(x=0, y=self._row_of(top_line), animate=False)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap and self.size.width != self._wrap_width:
            self._reflow()
        self._cache.clear()
        self._resize()

    def _line_at(self, row: int) -> int:
        if self.wrap:
            return self._rows[row][0] if 0 <= row < len(self._rows) else 0
        return row

    def _row_of(self, line: int) -> int:
        if not self.wrap:
            return line
        return bisect.bisect_left(self._rows, (line, 0))

    # ----------------------------------------------------------------------- search

    def set_search(self, text: str) -> bool:
        """Highlight `text` (a regex, or literal text if it is not one); False if empty."""
        self._cache.clear()
        self._generation += 1
        self.current_match = None
        if not text:
            self.pattern = None
            self.refresh()
            return False
        try:
            self.pattern = re.compile(text, re.IGNORECASE)
        except re.error:
            self.pattern = re.compile(re.escape(text), re.IGNORECASE)
        self.refresh()
        return True

    def next_match(self, backwards: bool = False) -> int | None:
        """Move to the next (or previous) line that matches; its index, or None."""
        if self.pattern is None or not self.lines:
            return None
        n = len(self.lines)
        if self.current_match is not None:
            start = self.current_match + (-1 if backwards else 1)
        else:
            top = self._line_at(int(self.scroll_offset.y))
            start = top if not backwards else min(n - 1, top + self.size.height)
        search = self.pattern.search
        lines = self.lines
        rng = range(start, -1, -1) if backwards else range(start, n)
        found = next((i for i in rng if 0 <= i < n and search(lines[i])), None)
        if found is None:  # wrap around
            rng = range(n - 1, start, -1) if backwards else range(0, min(start, n))
            found = next((i for i in rng if search(lines[i])), None)
        if found is None:
            return None
        self.current_match = found
        self.follow = False
        row = self._row_of(found)
        self._cache.clear()
        self._generation += 1
        self.scroll_to(y=max(0, row - self.size.height // 2), animate=False)
        self.refresh()
        return found

    # ----------------------------------------------------------------------- scroll

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < old and new < self.max_scroll_y:
            self.follow = False
        elif self.display_count and new >= self.virtual_size.height - self.size.height:
            self.follow = True

    def action_scroll_end(self) -> None:
        self.follow = True
        self.scroll_to(y=max(0, self.virtual_size.height - self.size.height), animate=False)

    # ----------------------------------------------------------------------- render

    def style_line(self, index: int, text: Text, offset: int) -> None:
        """Subclasses colour a line here (`text` starts at column `offset` of the line)."""

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_offset.y) + y
        width = self.size.width
        x = int(self.scroll_offset.x)
        cached = self._cache.get(row)
        if cached is not None and cached[0] == (self._generation, width, x).__hash__():
            return cached[1]
        if row >= self.display_count:
            return Strip.blank(width, self.rich_style)
        if self.wrap:
            index, start = self._rows[row]
            content = self.lines[index][start:start + width]
            offset = start
        else:
            index = row
            content = self.lines[index][x:x + width]
            offset = x
        text = Text(content, no_wrap=True, end="")
        self.style_line(index, text, offset)
        if self.pattern is not None:
            full = self.lines[index]
            style = self.get_component_rich_style(
                "line-view--current" if index == self.current_match else "line-view--match"
            )
            for m in self.pattern.finditer(full):
                a, b = m.start() - offset, m.end() - offset
                if b > 0 and a < len(content) and b > a:
                    text.stylize(style, max(0, a), min(len(content), b))
        strip = Strip(list(text.render(self.app.console, end="")))
        strip = strip.apply_style(self.rich_style).adjust_cell_length(width, self.rich_style)
        if len(self._cache) > 2000:
            self._cache.clear()
        self._cache[row] = ((self._generation, width, x).__hash__(), strip)
        return strip

    def refresh_all(self) -> None:
        self._cache.clear()
        self._generation += 1
        self.refresh()



