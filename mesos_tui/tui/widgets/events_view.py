"""The events view: the raw operator event stream, newest at the bottom, following."""

from __future__ import annotations

import time

from rich.text import Text

from mesos_tui.client.mirror import Changes, ClusterMirror, EventRecord
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


class EventsView(LineView):
    """Every event the master streamed, formatted one per line."""

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(max_lines=20_000, id=id)
        self.mirror = mirror
        self.stale = True
        self._seen = 0  # mirror.events_total when last synced

    def rebuild(self) -> None:
        self.clear()
        self.append_lines(format_event(r) for r in self.mirror.events)
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
            self.append_lines(format_event(r) for r in events)
        else:
            self.append_lines(format_event(events[i]) for i in range(len(events) - new,
                                                                      len(events)))
        self._seen = self.mirror.events_total

    def style_line(self, index: int, text: Text, offset: int) -> None:
        line = self.lines[index]
        style = KIND_STYLES.get(line[13:31].strip())
        if style and offset < 31:
            text.stylize(style, max(0, 13 - offset), 31 - offset)
        if offset < 12:
            text.stylize("dim", 0, 12 - offset)
