"""`l` on a task: its stdout or stderr, following as it grows.

Keys: `/` search (regex; the title counts the matching lines and says which one is current),
`n`/`N` next/previous match, `w` wrap, `t` timestamps (when each line arrived: Mesos's
stdout has none), `f` follow (jump to the end), `tab` switch stdout/stderr, `q`/`esc` back.

Following a task that has ended stops by itself once its file has been quiet a moment, and
the title says so (`task finished: end of its stdout`) instead of following for ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from mesos_tui.client.files import LogSource
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.log_view import LogView


class LogScreen(Resilient, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="logs.back"),
        Binding("slash", "search", "Search", id="logs.search"),
        Binding("n", "next_match", "Next match", id="logs.next"),
        Binding("N", "previous_match", "Prev match", id="logs.previous"),
        Binding("w", "wrap", "Wrap", id="logs.wrap"),
        Binding("t", "timestamps", "Timestamps", id="logs.timestamps"),
        Binding("f", "follow", "Follow", id="logs.follow"),
        Binding("tab", "switch_file", "stdout/stderr", id="logs.switch"),
    ]

    QUIET_SECONDS = 1.0  # after the task ended, this long without bytes ends the follow

    def __init__(self, title: str, source_for: Callable[[str], LogSource],
                 file: str = "stdout", task_ended: Callable[[], str | None] = lambda: None,
                 switchable: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.source_for = source_for
        self.file = file
        # The task's terminal state ("finished", ...) once it has ended, else None.
        self.task_ended = task_ended
        self.ended_seen_at: float | None = None
        self.switchable = switchable  # stdout <-> stderr (not for any other file)

    def compose(self) -> ComposeResult:
        yield Static(id="log-title")
        yield Input(placeholder="search: text or regex (enter: find, n/N: next/previous)",
                    id="log-search")
        yield LogView(self.source_for(self.file), id="log-view")
        yield Footer()

    @property
    def view(self) -> LogView:
        return self.query_one("#log-view", LogView)

    def on_mount(self) -> None:
        self.view.focus()
        self.set_interval(0.25, self.update_title)
        self.update_title()

    def end_when_task_ended(self) -> None:
        """Once the task has ended, its file is complete: when the reader has been quiet
        for a moment, stop following and say so (instead of "following" for ever)."""
        v = self.view
        state = self.task_ended()
        if state is None or not v.reading:
            return
        now = time.monotonic()
        if self.ended_seen_at is None:
            self.ended_seen_at = now
        if now - max(self.ended_seen_at, v.last_data_at) >= self.QUIET_SECONDS:
            v.stop(f"task {state}: end of its {self.file}")

    @on(LogView.StatusChanged)
    def update_title(self) -> None:
        self.end_when_task_ended()
        v = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {self.title_text} ", style="bold reverse")
        text.append(f" {self.file} ", style="bold cyan")
        status_style = "red" if v.status.startswith("error") else (
            "green" if v.status == "following" else
            "cyan" if v.status.startswith("task ") else "yellow")
        text.append(v.status, style=status_style)
        lines = len(v.lines)
        if lines == 0 and v.status != "starting" and not v.status.startswith("reading"):
            text.append(" · empty" + (" so far" if v.reading else ""), style="dim")
        else:
            text.append(f" · {lines:,} lines · {v.bytes_read / 1024:,.0f} KiB", style="dim")
        if v.reading:
            text.append(" · follow " + ("on" if v.follow else "off (f)"), style="dim")
        text.append(" · wrap " + ("on" if v.wrap else "off"), style="dim")
        if v.timestamps:
            text.append(" · times", style="dim")
        if v.pattern is not None:
            at, count = v.match_count()
            where = f"{at}/{count}" if at else f"{count}"
            text.append(f" · /{v.pattern.pattern} {where} match{'es' if count != 1 else ''}",
                        style="bold yellow")
        self.query_one("#log-title", Static).update(text)

    def action_back(self) -> None:
        box = self.query_one("#log-search", Input)
        if box.has_class("-visible"):
            box.remove_class("-visible")
            self.view.focus()
            return
        self.dismiss(None)

    def action_search(self) -> None:
        box = self.query_one("#log-search", Input)
        box.add_class("-visible")
        box.focus()

    @on(Input.Submitted, "#log-search")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one("#log-search", Input)
        box.remove_class("-visible")
        self.view.focus()
        if self.view.set_search(event.value):
            if self.view.next_match() is None:
                self.notify(f"no match for {event.value!r}", severity="warning")
        self.update_title()

    def action_next_match(self) -> None:
        if self.view.pattern is None:
            self.action_search()
        elif self.view.next_match() is None:
            self.notify("no match", severity="warning")
        self.update_title()

    def action_previous_match(self) -> None:
        if self.view.pattern is not None and self.view.next_match(backwards=True) is None:
            self.notify("no match", severity="warning")
        self.update_title()

    def action_wrap(self) -> None:
        self.view.set_wrap(not self.view.wrap)
        self.update_title()

    def action_follow(self) -> None:
        v = self.view
        if v.follow:
            v.follow = False
        else:
            v.action_scroll_end()
        self.update_title()

    def action_timestamps(self) -> None:
        self.view.set_timestamps(not self.view.timestamps)
        self.update_title()

    def action_switch_file(self) -> None:
        if not self.switchable:
            self.notify(f"{self.file} is the one file here (tab switches a task's stdout "
                        "and stderr).", timeout=4, markup=False)
            return
        self.file = "stderr" if self.file == "stdout" else "stdout"
        self.ended_seen_at = None
        self.view.start(self.source_for(self.file))
        self.update_title()
