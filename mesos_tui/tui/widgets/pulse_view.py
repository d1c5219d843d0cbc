"""The pulse view: the cluster at a glance, over time (k9s's pulses). Cluster-wide CPU and
memory used (measured), allocated (held by tasks) and offered (in outstanding offers), each
a sparkline on a fixed 0-100% scale, one point a second, newest on the right; tasks by state
as a bar; offers sent per minute over time.

Nothing to select here, so nothing to filter: `/` says so (every other view filters)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from mesos_tui.client.mirror import Changes, ClusterMirror, state_name
from mesos_tui.tui import format as tui_format
from mesos_tui.tui.format import ALLOCATED, OFFERED, STATE_STYLES, USED, mem, num
from mesos_tui.tui.history import History, offers_in_last_minute
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.agents_view import spark_lines

LABEL = 14  # "CPU allocated " and the like
FIGURE = 18  # " 12% 1.2/16" on the right


def spark_row(label: str, values: Sequence[float], figure: str, style: str, width: int,
              top: float = 100.0) -> Text:
    room = max(1, width - LABEL - FIGURE)
    line = spark_lines(list(values), room, 1, top=top)[0]
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"{label:<{LABEL}}"[:LABEL], style="bold")
    text.append(line, style=style if any(values) else "dim")
    text.append(f" {figure}"[:FIGURE])
    return text


class PulseView(Resilient, VerticalScroll, can_focus=True):
    """Cluster history in a screenful (scrolls in a small terminal)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", show=False, id="pulse.filter"),
    ]

    DEFAULT_CSS = """
    PulseView { height: 1fr; padding: 1 1 0 1; }
    PulseView #pulse-body { width: 1fr; height: auto; }
    """

    def __init__(self, mirror: ClusterMirror, history: History, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.history = history
        self.stale = True

    def compose(self) -> ComposeResult:
        yield Static(id="pulse-body")

    def on_resize(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        self.stale = False
        body = self.query_one("#pulse-body", Static)
        body.update(self.render_pulse(self.scrollable_content_region.width))

    def apply_changes(self, changes: Changes) -> None:
        if self.stale or changes.totals or changes.tasks or changes.offers or changes.agents:
            self.rebuild()

    def action_filter(self) -> None:
        self.notify("The pulse view has nothing to filter: / filters the other views.",
                    timeout=4)

    def render_pulse(self, width: int) -> Text:
        width = max(20, width)
        m, h = self.mirror, self.history
        t = m.totals()

        def pct(part: float, whole: float) -> str:
            return f"{100 * part / whole:3.0f}%" if whole else "  -"

        out = Text(no_wrap=True, end="")
        rows = [
            ("CPU used", [v * 100 for v in m.cpu_history], USED,
             f"{pct(t.used.cpus, t.total.cpus)} {num(t.used.cpus)}/{num(t.total.cpus)}"),
            ("CPU allocated", [v * 100 for v in m.cpu_alloc_history], ALLOCATED,
             f"{pct(t.allocated.cpus, t.total.cpus)} {num(t.allocated.cpus)}"),
            ("CPU offered", [v * 100 for v in h.cpu_offered], OFFERED,
             f"{pct(t.offered.cpus, t.total.cpus)} {num(t.offered.cpus)}"),
            ("MEM used", [v * 100 for v in m.mem_history], USED,
             f"{pct(t.used.mem, t.total.mem)} {mem(t.used.mem)}/{mem(t.total.mem)}"),
            ("MEM allocated", [v * 100 for v in m.mem_alloc_history], ALLOCATED,
             f"{pct(t.allocated.mem, t.total.mem)} {mem(t.allocated.mem)}"),
            ("MEM offered", [v * 100 for v in h.mem_offered], OFFERED,
             f"{pct(t.offered.mem, t.total.mem)} {mem(t.offered.mem)}"),
        ]
        for label, values, style, figure in rows:
            out.append_text(spark_row(label, values, figure, style, width))
            out.append("\n")
        rate = list(h.offers_per_minute)
        now_rate = offers_in_last_minute(m, tui_format.clock())
        out.append_text(spark_row("Offers/min", rate, f"{now_rate} now", OFFERED, width,
                                  top=max(1.0, max(rate, default=0.0))))
        out.append("\n\n")
        counts = m.counts()
        out.append(f"{'Tasks':<{LABEL}}", style="bold")
        total = sum(n for _, n in counts.by_state) or 1
        room = max(1, width - LABEL)
        bar = Text(no_wrap=True, end="")
        for state, n in counts.by_state:
            cells = max(1, round(n / total * room))
            bar.append("█" * cells, style=STATE_STYLES.get(state, ""))
        bar.truncate(room)
        out.append_text(bar)
        out.append("\n" + " " * LABEL)
        legend = Text(no_wrap=True, overflow="ellipsis", end="")
        for state, n in counts.by_state:
            legend.append("■ ", style=STATE_STYLES.get(state, ""))
            legend.append(f"{state_name(state)} {n}  ")
        if not counts.by_state:
            legend.append("no tasks", style="dim")
        legend.truncate(room, overflow="ellipsis")
        out.append_text(legend)
        out.append("\n\n")
        out.append(f"{counts.agents} agents ({counts.agents_active} active) · "
                   f"{counts.frameworks} frameworks · {counts.tasks_active} tasks active · "
                   f"{counts.offers} offers outstanding", style="dim")
        return out
