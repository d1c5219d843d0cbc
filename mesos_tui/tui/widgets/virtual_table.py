"""A table on Textual's line API that draws only the rows on screen.

`VirtualTable` reads its rows from a mapping it does not copy (the mirror's dict of tasks,
agents, ...). It keeps an ordered list of keys (filtered and sorted), renders a line only
when it scrolls into view or its row changed (a per-row strip cache), and redraws a changed
row only if it is visible. That is what keeps 10,000 rows and hundreds of updates a second
cheap; Textual's `DataTable` measures every cell of every row when rows are added (about
1 s for 10,000 rows x 7 columns), which is why it is not used for the big views.

Rows stay sorted as they change: a row whose sort value changed moves to its place (one
bisect), so a live sort by share or state holds without rebuilding. The cursor belongs to a
row, not a position: when rows come, go or move, it stays on the same row, and on the same
line of the screen when that row was on screen (htop-style). `group` sorts rows into groups
first, whatever the column (completed frameworks after the active ones).

The header line is sticky. Keys: up/down/page/home/end move the cursor; `s` sorts by the next
column, `r` reverses; clicking a header sorts by it. As in k9s, a column may have a sort key
(`Column.hotkey`, an upper-case letter, so shift+letter): it sorts by that column, and the
same key again reverses. The header underlines each column's letter and marks the sorted
column with its direction (▲ ascending, ▼ descending).

Any width works: when the columns do not fit, the least important ones (`Column.priority`)
are left out and the header's right end says how many (`+2 cols`); the details screen of a
row has them all. Spare width goes to the flexible columns (width 0).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mesos_tui.tui.resilient import Resilient

Cell = str | Text


@dataclass(slots=True)
class Column:
    """One column: how to draw a row's cell, and how to sort by it."""

    key: str
    label: str
    width: int  # cells; 0 = share what is left over
    render: Callable[[Any], Cell]
    sort_key: Callable[[Any], Any] | None = None
    style: Callable[[Any], str] | None = None
    align_right: bool = False
    # Which columns a narrow terminal keeps: the lowest numbers (None: the column's place).
    priority: int | None = None
    min_width: int = 6  # a flexible column (width 0) never gets less than this
    # Shift+this letter sorts by the column (again: reverses); one of the label's letters,
    # which the header underlines. "" for none.
    hotkey: str = ""


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[str | int, ...]:
    """Sort key that orders numbers by value: `t-2` before `t-10`, `node-9` before
    `node-10`. Text parts are compared case-insensitively; the parts alternate text, number,
    text, ... so two keys always compare."""
    parts = _DIGITS.split(text)
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(parts))


class Reversed:
    """A sort value in reverse order (for a descending column inside an ascending list)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: Reversed) -> bool:
        return other.value < self.value

    def __gt__(self, other: Reversed) -> bool:
        return other.value > self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reversed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


@lru_cache(maxsize=512)
def _style(text: str) -> Style:
    return Style.parse(text) if text else Style.null()


class VirtualTable(Resilient, ScrollView, can_focus=True):
    """Rows from a live mapping, filtered, sorted and drawn only where visible."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "first", "First", show=False, id="table.first"),
        Binding("end,G", "last", "Last", show=False, id="table.last"),
        Binding("enter", "select", "Open / details", show=False, id="table.select"),
        Binding("s", "sort_next", "Sort", id="table.sort"),
        Binding("r", "sort_reverse", "Reverse sort", show=False, id="table.sort_reverse"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--marked",
    }

    DEFAULT_CSS = """
    VirtualTable { height: 1fr; overflow-x: hidden; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $accent 40%; }
    VirtualTable:focus > .virtual-table--cursor { background: $accent 70%; }
    VirtualTable > .virtual-table--marked { color: $warning; text-style: bold; }
    """

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: VirtualTable, key: Any) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Sorted(Message):
        """The sort column or direction changed."""

        def __init__(self, table: VirtualTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Message):
        """Enter was pressed on a row."""

        def __init__(self, table: VirtualTable, key: Any) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        columns: list[Column],
        source: Callable[[], Mapping[Any, Any]],
        *,
        sort: str | None = None,
        reverse: bool = False,
        group: Callable[[Any], Any] | None = None,
        keep: Iterable[str] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        # `keep`: column keys, most important first: what a narrow terminal keeps.
        ranked = {key: i for i, key in enumerate(keep)}
        self.columns = [
            c if c.key not in ranked else replace(c, priority=ranked[c.key]) for c in columns
        ]
        for i, c in enumerate(self.columns):
            if c.priority is None and ranked:
                self.columns[i] = replace(c, priority=len(ranked) + i)
        self.source = source
        self.sort_column = sort or columns[0].key
        self.sort_reverse = reverse
        self.group = group
        self.row_filter: Callable[[Any], bool] | None = None
        self.marked: set[Any] = set()
        self.order: list[Any] = []
        self._index: dict[Any, int] | None = None
        self._sort_values: list[Any] = []
        self._cache: dict[Any, tuple[int, bool, bool, Strip]] = {}
        self._cursor_key: Any = None
        self.cursor = 0
        self._widths: list[int] = []
        self._width_for = -1
        # k9s-style sort keys: shift+letter per column, bound on this table only (bindings,
        # so the footer, the help and the robustness walk see them like any other key).
        for c in self.columns:
            if c.hotkey:
                self._bindings.bind(c.hotkey, f"sort_column('{c.key}')",
                                    f"Sort by {c.label.lower()}", show=False)

    @property
    def sort_keys(self) -> list[tuple[str, str]]:
        """(key, column label) of every column that has a sort key."""
        return [(c.hotkey, c.label) for c in self.columns if c.hotkey]

    # ------------------------------------------------------------------------ data

    def _column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        return self.columns[0]

    def _sort_fn(self) -> Callable[[Any], Any]:
        """Row -> its place, ascending: (group, value), the value wrapped in `Reversed`
        for a descending sort."""
        col = self._column(self.sort_column)
        fn = col.sort_key or (lambda row: str(col.render(row)))
        group = self.group
        if self.sort_reverse:
            if group is None:
                return lambda row: Reversed(fn(row))
            return lambda row: (group(row), Reversed(fn(row)))
        if group is None:
            return fn
        return lambda row: (group(row), fn(row))

    def rebuild(self) -> None:
        """Filter and sort every row again (a new snapshot, filter or sort order)."""
        line = self._cursor_line()
        rows = self.source()
        keep = self.row_filter
        items = rows.items() if keep is None else ((k, r) for k, r in rows.items() if keep(r))
        fn = self._sort_fn()
        pairs = sorted(((fn(r), k) for k, r in items), key=lambda p: p[0])
        self.order = [k for _, k in pairs]
        self._sort_values = [v for v, _ in pairs]
        self._index = None
        self._cache.clear()
        self.marked &= set(rows)
        self._restore_cursor(line)
        self._resize()
        self.refresh()

    def _cursor_line(self) -> int | None:
        """The screen line of the cursor's row (0 = first row under the header), or None
        when it is off screen or the table is at its top (where new rows should show)."""
        if not self.order or self._cursor_key is None:
            return None
        top = int(self.scroll_offset.y)
        line = self.cursor - top
        if top == 0 or not 0 <= line < max(1, self.size.height - 1):
            return None
        return line

    def _restore_cursor(self, line: int | None = None) -> None:
        """Put the cursor back on its row (by key), on the screen line it had."""
        if self._cursor_key is not None:
            index = self.index_of(self._cursor_key)
            if index is not None:
                self.cursor = index
                if line is not None and self.is_mounted:
                    self._resize()
                    self.scroll_to(y=max(0, index - line), animate=False, immediate=True)
                return
        self.cursor = max(0, min(self.cursor, len(self.order) - 1))
        self._cursor_key = self.order[self.cursor] if self.order else None

    def index_of(self, key: Any) -> int | None:
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self.order)}
        return self._index.get(key)

    def update_rows(
        self, changed: Collection[Any], removed: Collection[Any] = ()
    ) -> None:
        """Rows that changed, appeared or went away since the last call."""
        rows = self.source()
        if removed and any(k in self._index_or_build() for k in removed):
            self.rebuild()
            return
        keep = self.row_filter
        fn = self._sort_fn()
        placed: list[Any] = []  # rows to (re)insert at their sorted place
        top = int(self.scroll_offset.y)
        bottom = top + self.size.height
        for key in changed:
            row = rows.get(key)
            index = self.index_of(key)
            visible = row is not None and (keep is None or keep(row))
            if index is None:
                if visible:
                    placed.append(key)
                continue
            if not visible:
                # It no longer passes the filter (or is gone): a rebuild settles the order.
                self.rebuild()
                return
            self._cache.pop(key, None)
            value = fn(row)
            if value != self._sort_values[index]:
                placed.append(key)  # it moves: out now, back in below
                continue
            if top <= index < bottom:
                self.refresh_line(index + 1)
        if not placed:
            return
        if len(placed) > 200:
            self.rebuild()
            return
        line = self._cursor_line()
        moving = set(placed)
        if any(self.index_of(k) is not None for k in placed):
            keep_at = [i for i, k in enumerate(self.order) if k not in moving]
            self.order = [self.order[i] for i in keep_at]
            self._sort_values = [self._sort_values[i] for i in keep_at]
        for key in placed:
            value = fn(rows[key])
            at = bisect.bisect_right(self._sort_values, value) if _comparable(
                self._sort_values, value) else len(self.order)
            self._sort_values.insert(at, value)
            self.order.insert(at, key)
        self._index = None
        self._restore_cursor(line)
        self._resize()
        self.refresh()

    def _index_or_build(self) -> dict[Any, int]:
        self.index_of(None)
        assert self._index is not None
        return self._index

    def set_filter(self, fn: Callable[[Any], bool] | None) -> None:
        self.row_filter = fn
        self.rebuild()

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column = column
        self.sort_reverse = reverse
        self.rebuild()
        if self.is_mounted:
            self._scroll_to_cursor()
        self.post_message(self.Sorted(self))

    @property
    def cursor_key(self) -> Any:
        return self.order[self.cursor] if 0 <= self.cursor < len(self.order) else None

    @property
    def cursor_row(self) -> Any:
        key = self.cursor_key
        return None if key is None else self.source().get(key)

    def toggle_mark(self, key: Any | None = None) -> None:
        key = self.cursor_key if key is None else key
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self._cache.pop(key, None)
        index = self.index_of(key)
        if index is not None:
            self.refresh_line(index + 1)

    def clear_marks(self) -> None:
        self.marked.clear()
        self._cache.clear()
        self.refresh()

    # ---------------------------------------------------------------------- cursor

    def move_cursor(self, index: int) -> None:
        if not self.order:
            return
        index = max(0, min(index, len(self.order) - 1))
        old = self.cursor
        self.cursor = index
        self._cursor_key = self.order[index]
        for i in (old, index):
            key = self.order[i] if 0 <= i < len(self.order) else None
            self._cache.pop(key, None)
            self.refresh_line(i + 1)
        self._scroll_to_cursor()
        if old != index:
            self.post_message(self.Highlighted(self, self._cursor_key))

    def _scroll_to_cursor(self) -> None:
        rows_visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + rows_visible:
            self.scroll_to(y=self.cursor - rows_visible + 1, animate=False)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.order) - 1)

    def action_sort_next(self) -> None:
        keys = [c.key for c in self.columns]
        at = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(at + 1) % len(keys)], reverse=False)

    def action_sort_column(self, column: str) -> None:
        """A column's sort key: sort by it; pressed again, reverse."""
        self.sort_by(column)

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Selected(self, self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = 0
            for col, width in zip(self.columns, self._column_widths(self.table_width),
                                  strict=False):
                if not width:
                    continue
                if x <= event.x < x + width + 1:
                    self.sort_by(col.key)
                    return
                x += width + 1
            return
        self.focus()
        self.move_cursor(int(self.scroll_offset.y) + event.y - 1)

    # ---------------------------------------------------------------------- render

    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.order) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self._resize()

    def _column_widths(self, width: int) -> list[int]:
        """Each column's width at this table width; 0 for a column left out."""
        if width == self._width_for:
            return self._widths
        widths = fit_columns(self.columns, width)
        hidden = widths.count(0)
        if hidden:  # room for the header's hint, so it never covers a label
            widths = fit_columns(self.columns, width - len(_hint(hidden + 1)))
        self._widths, self._width_for = widths, width
        return self._widths

    @property
    def hidden_columns(self) -> list[str]:
        """Labels of the columns the current width leaves out."""
        widths = self._column_widths(self.table_width)
        return [c.label for c, w in zip(self.columns, widths, strict=False) if not w]

    @property
    def table_width(self) -> int:
        """The cells a row has: the widget's width less its scrollbar."""
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        width = self.table_width
        if y == 0:
            return self._header(width)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.order):
            return Strip.blank(width, self.rich_style)
        key = self.order[index]
        is_cursor = index == self.cursor
        is_marked = key in self.marked
        cached = self._cache.get(key)
        if cached is not None and cached[0] == width and cached[1] == is_cursor and (
            cached[2] == is_marked
        ):
            return cached[3]
        row = self.source().get(key)
        strip = self._row_strip(row, width, is_cursor, is_marked) if row is not None else (
            Strip.blank(width, self.rich_style)
        )
        if len(self._cache) > 4000:
            self._cache.clear()
        self._cache[key] = (width, is_cursor, is_marked, strip)
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("virtual-table--header")
        text = Text(style=style, no_wrap=True, end="")
        widths = self._column_widths(width)
        for col, w in zip(self.columns, widths, strict=False):
            if not w:
                continue
            label = col.label
            if col.key == self.sort_column:
                # The direction always shows: a narrow column gives up its label's end.
                mark = " ▼" if self.sort_reverse else " ▲"
                if cell_len(label) + 2 > w:
                    label = set_cell_size(label, max(0, w - 2))
                label += mark
            label = set_cell_size(label, w)
            start = len(text)
            text.append(label)
            at = label.upper().find(col.hotkey) if col.hotkey else -1
            if at >= 0:
                text.stylize("underline", start + at, start + at + 1)
            text.append(" ")
        hidden = widths.count(0)
        if hidden:
            hint = _hint(hidden)
            text.truncate(max(0, width - len(hint)), pad=True)
            text.append(hint, "reverse")
        return self._strip(text, width, style)

    def _row_strip(self, row: Any, width: int, is_cursor: bool, is_marked: bool) -> Strip:
        text = Text(no_wrap=True, end="")
        for col, w in zip(self.columns, self._column_widths(width), strict=False):
            if not w:
                continue
            cell = col.render(row)
            if isinstance(cell, Text):
                length = cell.cell_len
                if length > w:
                    cell = cell.copy()
                    cell.truncate(w, overflow="ellipsis")
                elif length < w:
                    if col.align_right:
                        text.append(" " * (w - length))
                        text.append_text(cell)
                        text.append(" ")
                        continue
                    cell = cell.copy()
                    cell.pad_right(w - length)
                text.append_text(cell)
            else:
                style = col.style(row) if col.style else ""
                if col.align_right and cell_len(cell) < w:
                    cell = cell.rjust(w)
                if cell_len(cell) > w:
                    cell = set_cell_size(cell, w - 1) + "…"
                text.append(set_cell_size(cell, w), _style(style))
            text.append(" ")
        base = self.rich_style
        if is_marked:
            text.stylize(self.get_component_rich_style("virtual-table--marked"))
        if is_cursor:
            text.stylize(self.get_component_rich_style("virtual-table--cursor"))
        return self._strip(text, width, base)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        segments = list(text.render(self.app.console, end=""))
        return Strip(segments).apply_style(style).adjust_cell_length(width, style)

    @property
    def row_count(self) -> int:
        return len(self.order)

    def visible_keys(self) -> Iterable[Any]:
        top = int(self.scroll_offset.y)
        return self.order[top: top + max(0, self.size.height - 1)]


def _hint(hidden: int) -> str:
    """The header's note that columns were left out for want of width."""
    return f" +{hidden} col{'s' if hidden != 1 else ''} "


def fit_columns(columns: list[Column], width: int) -> list[int]:
    """Widths that fit `width`: leave out the least important columns (highest
    `priority`) until the rest fit, never the most important one; spare cells go to the
    flexible columns (width 0), evenly."""
    rank = sorted(range(len(columns)), key=lambda i: (
        columns[i].priority if columns[i].priority is not None else i, i))
    shown = set(range(len(columns)))

    def need(cols: set[int]) -> int:
        return sum(columns[i].width or columns[i].min_width for i in cols) + len(cols) - 1

    for i in reversed(rank[1:]):
        if need(shown) <= width:
            break
        shown.discard(i)
    flex = [i for i in shown if not columns[i].width]
    spare = max(0, width - need(shown))
    widths = [0] * len(columns)
    for i in shown:
        widths[i] = columns[i].width or columns[i].min_width
    for n, i in enumerate(sorted(flex)):
        widths[i] += spare // len(flex) + (1 if n < spare % len(flex) else 0)
    return widths


def _comparable(values: list[Any], value: Any) -> bool:
    if not values:
        return True
    try:
        _ = values[0] < value
        return True
    except TypeError:
        return False
