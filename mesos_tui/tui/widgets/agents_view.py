"""The agents view: a row per agent with used / allocated / offered bars per resource
(htop-style), its tasks and attributes, under sparklines of the cluster's CPU and memory use.

`/` filters (`host: state: attr: resources: id: version:`), Enter opens an agent's details,
`t` drills down to its tasks; shift+letter sorts by a column (H host, S state, T tasks, C cpu,
M mem, D disk, A attributes), again reverses."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label

from mesos_tui.client.mirror import AgentView, Changes, ClusterMirror, short_id
from mesos_tui.tui.filter import AGENT_FIELDS, view_predicate
from mesos_tui.tui.format import ALLOCATED, Part, fit_parts, mem, meter, num
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.filter_bar import FilterBar
from mesos_tui.tui.widgets.messages import DrillTasks, ShowDetail
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable

BAR = 24


def _cpu(a: AgentView) -> Text:
    label = f"{num(a.used_cpus) if a.has_usage else '-'}/{num(a.allocated.cpus)}/{num(a.total.cpus)}"
    return meter(a.total.cpus, a.used_cpus, a.allocated.cpus, a.offered.cpus, BAR, label,
                 has_used=a.has_usage)


def _mem(a: AgentView) -> Text:
    label = f"{mem(a.used_mem) if a.has_usage else '-'}/{mem(a.allocated.mem)}/{mem(a.total.mem)}"
    return meter(a.total.mem, a.used_mem, a.allocated.mem, a.offered.mem, BAR, label,
                 has_used=a.has_usage)


def _disk(a: AgentView) -> Text:
    label = f"{mem(a.allocated.disk)}/{mem(a.total.disk)}"
    return meter(a.total.disk, 0.0, a.allocated.disk, a.offered.disk, 18, label,
                 has_used=False)


AGENT_COLUMNS = [
    Column("hostname", "HOST", 16, lambda a: a.hostname, lambda a: a.hostname, hotkey="H"),
    Column("id", "ID", 6, lambda a: short_id(a.id), lambda a: a.id),
    Column("state", "STATE", 8, lambda a: a.state, lambda a: a.state,
           style=lambda a: "green" if a.active else "bold red", hotkey="S"),
    Column("tasks", "TASKS", 5, lambda a: str(a.tasks), lambda a: a.tasks, align_right=True,
           hotkey="T"),
    Column("cpu", "CPU used/alloc/total", BAR, _cpu, lambda a: a.allocated.cpus, hotkey="C"),
    Column("mem", "MEM used/alloc/total", BAR, _mem, lambda a: a.allocated.mem, hotkey="M"),
    Column("disk", "DISK alloc/total", 18, _disk, lambda a: a.allocated.disk, hotkey="D"),
    Column("attributes", "ATTRIBUTES", 0, lambda a: a.attributes, lambda a: a.attributes,
           style=lambda a: "dim", hotkey="A"),
]


def agent_values(a: AgentView) -> dict[str, Any]:
    """An agent's fields for the `/` filter."""
    return {"id": a.id, "host": [a.hostname, a.files_address], "state": a.state,
            "attr": a.attributes, "resources": a.resources_text, "version": a.version}


_LEVELS = " ▁▂▃▄▅▆▇█"


def spark_lines(values: list[float], width: int, height: int, top: float = 100.0) -> list[str]:
    """A sparkline on a fixed scale (0..`top`), newest value on the right, one column per
    sample: 0.1% stays a sliver and one sample is one column, not a full-width block (as
    a sparkline scaled to its own min..max would draw them)."""
    values = values[-width:] if width > 0 else []
    steps = height * 8
    levels = [max(0, min(steps, round(v / top * steps))) if v > 0 else 0 for v in values]
    levels = [max(1, lv) if v > 0 else lv for lv, v in zip(levels, values, strict=True)]
    pad = " " * (width - len(levels))
    rows = []
    for r in reversed(range(height)):
        row = "".join(_LEVELS[max(0, min(8, lv - r * 8))] for lv in levels)
        rows.append(pad + row)
    return rows


class UsageSparkline(Resilient, Widget):
    """The cluster's use of one resource over time, in percent, on a fixed 0-100% scale."""

    DEFAULT_CSS = "UsageSparkline { height: 2; width: 1fr; }"

    def __init__(self, style: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values: list[float] = []
        self.line_style = style

    def set_values(self, values: list[float]) -> None:
        self.values = values
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, max(1, self.size.height)
        lines = spark_lines(self.values, width, height)
        text = Text("\n".join(lines), style=self.line_style, no_wrap=True, end="")
        if not any(self.values):
            text = Text("\n" * (height - 1) + "▁" * width, style="dim", end="")
        return text


class AgentsView(Resilient, Vertical):
    """Agents and the cluster's history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="agents.filter"),
        Binding("t", "drill", "Its tasks", id="agents.tasks"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="agents.clear_filter"),
    ]

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.stale = True

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#agents-filter", FilterBar)

    def action_filter(self) -> None:
        self.filter_bar.open()

    def action_clear_filter(self) -> None:
        self.filter_bar.clear_filter()
        self.table.focus()

    @on(FilterBar.Applied, "#agents-filter")
    def _filtered(self, event: FilterBar.Applied) -> None:
        self.table.set_filter(view_predicate(event.filter, agent_values))

    @on(VirtualTable.Selected, "#agents-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.post_message(ShowDetail("agent", event.key))

    def action_drill(self) -> None:
        if self.table.cursor_key is not None:
            self.post_message(DrillTasks("agent", self.table.cursor_key))

    def compose(self) -> ComposeResult:
        with Horizontal(id="agents-history"):
            with Vertical(classes="spark-box"):
                yield Label("CPU used (cluster)", id="cpu-label", classes="spark-label")
                yield UsageSparkline("green", id="cpu-spark")
            with Vertical(classes="spark-box"):
                yield Label("MEM used (cluster)", id="mem-label", classes="spark-label")
                yield UsageSparkline("yellow", id="mem-spark")
        yield FilterBar(AGENT_FIELDS, id="agents-filter")
        yield VirtualTable(AGENT_COLUMNS, lambda: self.mirror.agents, id="agents-table",
                           keep=("hostname", "cpu", "mem", "state", "tasks", "disk"))

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#agents-table", VirtualTable)

    def rebuild(self) -> None:
        self.table.rebuild()
        self.update_history()
        self.stale = False

    def apply_changes(self, changes: Changes) -> None:
        if self.stale or changes.reset:
            self.rebuild()
            return
        if changes.agents or changes.agents_removed:
            self.table.update_rows(changes.agents, changes.agents_removed)
        if changes.totals:
            self.update_history()

    def update_history(self) -> None:
        m = self.mirror
        t = m.totals()
        self.query_one("#cpu-spark", UsageSparkline).set_values([v * 100 for v in m.cpu_history])
        self.query_one("#mem-spark", UsageSparkline).set_values([v * 100 for v in m.mem_history])
        cpu_label = self.query_one("#cpu-label", Label)
        mem_label = self.query_one("#mem-label", Label)
        cpu_label.update(_history_label(
            "CPU", num(t.used.cpus), num(t.total.cpus), " cores", num(t.allocated.cpus),
            t.used.cpus, t.total.cpus, _room(cpu_label)))
        mem_label.update(_history_label(
            "MEM", mem(t.used.mem), mem(t.total.mem), "", mem(t.allocated.mem),
            t.used.mem, t.total.mem, _room(mem_label)))


def _history_label(name: str, used: str, total: str, unit: str, allocated: str,
                   used_v: float, total_v: float, width: int) -> Text:
    """`CPU used 1.2 of 16 cores (8%)  allocated 4`, shorter as the width asks."""
    pct = f"({100 * used_v / total_v:.0f}%)" if total_v else ""
    return fit_parts([
        Part(Text(f"{name} used {used} of {total}{unit}", end=""),
             Text(f"{name} used {used}/{total}", end=""), priority=5, droppable=False),
        Part(Text(pct, end=""), None, priority=4),
        Part(Text(f"allocated {allocated}", style=ALLOCATED, end=""),
             Text(f"alloc {allocated}", style=ALLOCATED, end=""), priority=6),
    ], width, sep=" ")


def _room(label: Label) -> int:
    """The cells a label may take: its box's width inside the padding (the label itself is
    as wide as its last text)."""
    parent = label.parent
    width = parent.content_size.width if isinstance(parent, Widget) else 0
    return width or 40
