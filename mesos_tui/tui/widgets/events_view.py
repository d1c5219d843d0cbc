"""The events view: the raw operator event stream, newest at the bottom, following.

`/` filters it in the one filter language over `kind:` (SUBSCRIBED, TASK_UPDATED, ...) and
`text:`; a bare word searches both. A filtered view shows the matching events of those the
mirror keeps, and keeps following with the matching ones only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from mesos_tui.client.mirror import Changes, ClusterMirror, EventRecord
from mesos_tui.tui.filter import EVENT_FIELDS, view_predicate
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.filter_bar import FilterBar
from mesos_tui.tui.widgets.line_view import LineView

KIND_STYLES = {
    "SUBSCRIBED": "bold green",
    "TASK_ADDED": "green",
    "TASK_UPDATED": "cyan",
    "AGENT_ADDED": "bold blue",
    "AGENT_UPDATED": "blue",
    "AGENT_REMOVED": "bold red",
    "AGENT_USAGE": "dim blue",
    "FRAMEWORK_ADDED": "bold magenta",
    "FRAMEWORK_UPDATED": "magenta",
    "FRAMEWORK_REMOVED": "bold red",
    "OFFER_SENT": "yellow",
    "OFFER_ACCEPTED": "green",
    "OFFER_DECLINED": "yellow",
    "OFFER_RESCINDED": "red",
    "ALLOCATION": "bold yellow",
    "ALLOCATOR_UPDATED": "bold yellow",
    "HEARTBEAT": "dim",
}


def format_event(rec: EventRecord) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(rec.at)) + f".{int(rec.at * 1000) % 1000:03d}"
    return f"{stamp} {rec.kind:<18} {rec.text}"


def event_values(rec: EventRecord) -> dict[str, Any]:
    return {"kind": rec.kind, "text": rec.text}


class EventLines(LineView):
    """The formatted events, one per line."""

    def style_line(self, index: int, text: Text, offset: int) -> None:
        line = self.lines[index]
        style = KIND_STYLES.get(line[13:31].strip())
        if style and offset < 31:
            text.stylize(style, max(0, 13 - offset), 31 - offset)
        if offset < 12:
            text.stylize("dim", 0, 12 - offset)


class EventsView(Resilient, Vertical):
    """Every event the master streamed (that passes the filter), one per line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="events.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="events.clear_filter"),
    ]

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.stale = True
        self._seen = 0  # mirror.events_total when last synced
        self.keep: Any = None  # the filter's predicate (None: every event)

    def compose(self) -> ComposeResult:
        yield FilterBar(EVENT_FIELDS, id="events-filter")
        yield EventLines(max_lines=20_000, id="events-lines")

    @property
    def log(self) -> EventLines:
        return self.query_one("#events-lines", EventLines)

    @property
    def lines(self) -> list[str]:
        return self.log.lines

    @property
    def follow(self) -> bool:
        return self.log.follow

    def _lines(self, records: Iterable[EventRecord]) -> Iterable[str]:
        keep = self.keep
        return (format_event(r) for r in records if keep is None or keep(r))

    def rebuild(self) -> None:
        log = self.log
        log.clear()
        log.append_lines(self._lines(self.mirror.events))
        self._seen = self.mirror.events_total
        self.stale = False

    def apply_changes(self, changes: Changes) -> None:
        if self.stale:
            self.rebuild()
            return
        new = self.mirror.events_total - self._seen
        if new <= 0:
            return
        events = self.mirror.events
        if new >= len(events):
            self.log.append_lines(self._lines(events))
        else:
            self.log.append_lines(self._lines(events[i] for i in range(len(events) - new,
                                                                        len(events))))
        self._seen = self.mirror.events_total

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#events-filter", FilterBar)

    def action_filter(self) -> None:
        self.filter_bar.open()

    def action_clear_filter(self) -> None:
        self.filter_bar.clear_filter()
        self.log.focus()

    @on(FilterBar.Applied, "#events-filter")
    def _filtered(self, event: FilterBar.Applied) -> None:
        self.keep = view_predicate(event.filter, event_values)
        self.rebuild()
