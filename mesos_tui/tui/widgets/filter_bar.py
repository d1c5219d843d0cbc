"""The `/` filter bar of every view but tasks (which has its own, shared with the shell's
default filter): an input in the one filter language, over the view's own fields.

It parses as one types. A bad regular expression or an unknown field turns the bar red with
the error under it, and the last good filter stays in force; Enter with an error rings the
bell and stays. Esc clears the filter and hides the bar. A view reacts to `FilterBar.Applied`.
"""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.widgets import Input

from mesos_tui.tui.filter import FieldSet, FilterError, TaskFilter, parse_view
from mesos_tui.tui.resilient import Resilient


class FilterBar(Resilient, Input):
    DEFAULT_CSS = """
    FilterBar { display: none; height: 3; }
    FilterBar.-visible { display: block; }
    FilterBar.-error { border: tall $error; border-subtitle-color: $error;
                       border-subtitle-style: bold; }
    """

    class Applied(Message):
        """The filter in force changed (empty: no filter)."""

        def __init__(self, bar: FilterBar, filter: TaskFilter) -> None:
            super().__init__()
            self.bar = bar
            self.filter = filter

        @property
        def control(self) -> FilterBar:
            return self.bar

    def __init__(self, fields: FieldSet, id: str | None = None) -> None:
        super().__init__(placeholder=f"filter {fields.view}: regex words, !negate, "
                         f"{fields.hint}", id=id)
        self.fields = fields
        self.filter = TaskFilter()
        self.error = ""

    def open(self) -> None:
        self.add_class("-visible")
        self.focus()

    def apply(self, text: str) -> bool:
        """Filter by `text`; False (the error shown, the old filter kept) if it is bad."""
        try:
            flt = parse_view(text, self.fields)
        except FilterError as e:
            self.error = str(e)
            self.add_class("-error")
            self.border_subtitle = self.error
            return False
        self.error = ""
        self.remove_class("-error")
        self.border_subtitle = ""
        self.filter = flt
        self.post_message(self.Applied(self, flt))
        return True

    def show(self, text: str) -> bool:
        """Put `text` in the bar (visible unless empty) and filter by it."""
        with self.prevent(Input.Changed):
            self.value = text
        self.set_class(bool(text.strip()), "-visible")
        return self.apply(text)

    def clear_filter(self) -> None:
        if self.filter or self.error or self.value:
            self.show("")
        self.remove_class("-visible")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.apply(event.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.error:
            self.app.bell()
            return
        if not self.value.strip():
            self.remove_class("-visible")
        self.screen.focus_next()

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key == "escape":
            event.stop()
            self.clear_filter()
            self.screen.focus_next()
