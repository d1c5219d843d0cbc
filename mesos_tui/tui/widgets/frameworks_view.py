"""The frameworks view: name, role, principal, dominant share, tasks, resources, state.

Its figures are the mirror's, as the shell's `frameworks` prints them: ALLOC is what the
framework's non-terminal tasks hold, USED what they were measured using, OFFERED what its
outstanding offers hold; a framework with no task and no offer shows 0 and `-`.

Active frameworks come first (by dominant share, the largest on top); completed (torn down)
ones are hidden until `c` shows them, dimmed, after the active ones, whatever the sort. The
shell's `frameworks` hides them too, unless `--all`.

`/` filters (`name: state: role: principal: user: host: id:`), Enter opens a framework's
details, `t` drills down to its tasks; shift+letter sorts (N name, S state, T tasks, C cpu,
M mem, D dominant share, U used, O offered, L role, P principal), again reverses.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label

from mesos_tui.client.mirror import Changes, ClusterMirror, FrameworkView, short_id
from mesos_tui.tui.filter import FRAMEWORK_FIELDS, both, view_predicate
from mesos_tui.tui.format import ALLOCATED, OFFERED, USED, mem, num, share_bar
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.filter_bar import FilterBar
from mesos_tui.tui.widgets.messages import DrillTasks, ShowDetail
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable, natural_key

_STATE_STYLE = {
    "connected": "green",
    "failing over": "bold yellow",
    "inactive": "yellow",
    "suppressed": "cyan",
    "completed": "dim",
}


def _share(f: FrameworkView) -> Text:
    text = share_bar(f.dominant_share, 10)
    text.append(f" {f.dominant_share * 100:5.1f}% {f.dominant_resource}")
    return text


def _used(f: FrameworkView) -> str:
    if not f.has_usage or not f.tasks and not (f.used_cpus or f.used_mem):
        return "-"
    return f"{num(f.used_cpus)}/{mem(f.used_mem)}"


def _offered(f: FrameworkView) -> str:
    if not f.offers:
        return "-"
    n = f"{f.offers} offer{'s' if f.offers != 1 else ''}"
    return f"cpus:{num(f.offered.cpus)} mem:{mem(f.offered.mem)} ({n})"


def _columns() -> list[Column]:
    # Most useful first, so a narrow terminal keeps the figures: who, in what state, holding
    # what, at which share; ids and principals last.
    return [
        Column("name", "NAME", 18, lambda f: f.name, lambda f: natural_key(f.name), hotkey="N"),
        Column("state", "STATE", 12, lambda f: f.state, lambda f: f.state,
               style=lambda f: _STATE_STYLE.get(f.state, ""), hotkey="S"),
        Column("tasks", "TASKS", 5, lambda f: str(f.tasks), lambda f: f.tasks, align_right=True,
               hotkey="T"),
        # Allocated: what its non-terminal tasks hold (Mesos's used_resources).
        Column("cpus", "CPU ALLOC", 9, lambda f: num(f.allocated.cpus), lambda f: f.allocated.cpus,
               align_right=True, style=lambda f: ALLOCATED if f.allocated.cpus else "dim",
               hotkey="C"),
        Column("mem", "MEM ALLOC", 9, lambda f: mem(f.allocated.mem), lambda f: f.allocated.mem,
               align_right=True, style=lambda f: ALLOCATED if f.allocated.mem else "dim",
               hotkey="M"),
        Column("share", "DOMINANT SHARE", 24, _share, lambda f: f.dominant_share,
               hotkey="D"),
        # Used: what its tasks' containers were measured using.
        Column("used", "USED cpu/mem", 12, _used, lambda f: f.used_mem, align_right=True,
               style=lambda f: USED if f.used_cpus or f.used_mem else "dim", hotkey="U"),
        # Offered: its outstanding offers (offered counts toward its share until declined).
        Column("offered", "OFFERED", 0, _offered, lambda f: f.offered.cpus,
               style=lambda f: OFFERED if f.offers else "dim", hotkey="O"),
        Column("role", "ROLE", 10, lambda f: f.role, lambda f: f.role, hotkey="L"),
        Column("principal", "PRINCIPAL", 12, lambda f: f.principal or "-", lambda f: f.principal,
               hotkey="P"),
        Column("id", "ID", 6, lambda f: short_id(f.id), lambda f: natural_key(f.id)),
    ]


def _active(f: FrameworkView) -> bool:
    return not f.completed


def framework_values(f: FrameworkView) -> dict[str, Any]:
    """A framework's fields for the `/` filter."""
    return {"id": f.id, "name": f.name, "state": f.state, "role": f.role,
            "principal": f.principal, "user": f.user, "host": f.hostname}


class FrameworksView(Resilient, Vertical):
    """Every framework, active ones first; completed ones behind `c`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "toggle_completed", "Completed", id="frameworks.completed"),
        Binding("slash", "filter", "Filter", id="frameworks.filter"),
        Binding("t", "drill", "Its tasks", id="frameworks.tasks"),
        Binding("escape", "clear_filter", "Clear filter", show=False,
                id="frameworks.clear_filter"),
    ]

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.stale = True
        self.show_completed = False
        self.filter_fn: Any = None

    def compose(self) -> ComposeResult:
        yield FilterBar(FRAMEWORK_FIELDS, id="frameworks-filter")
        table = VirtualTable(_columns(), lambda: self.mirror.frameworks, sort="share",
                             keep=("name", "share", "tasks", "cpus", "mem", "state", "offered",
                                   "used", "role"),
                             reverse=True, group=lambda f: f.completed, id="frameworks-table")
        table.row_filter = _active
        yield table
        yield Label("", id="frameworks-status")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#frameworks-table", VirtualTable)

    def rebuild(self) -> None:
        self.table.rebuild()
        self.stale = False
        self.update_status()

    def apply_changes(self, changes: Changes) -> None:
        if self.stale or changes.reset:
            self.rebuild()
        elif changes.frameworks or changes.frameworks_removed:
            self.table.update_rows(changes.frameworks, changes.frameworks_removed)
            self.update_status()

    def update_status(self) -> None:
        counts = self.mirror.counts()  # what the header counts too
        parts = [f"{counts.frameworks} framework{'s' if counts.frameworks != 1 else ''}"]
        if self.filter_fn is not None:
            parts.insert(0, f"{self.table.row_count} shown")
        if counts.frameworks_completed:
            parts.append(f"{counts.frameworks_completed} completed" + (
                " (c hides them)" if self.show_completed else " hidden (c shows them)"))
        table = self.table
        parts.append(f"sorted by {table.sort_column} {'▼' if table.sort_reverse else '▲'}")
        self.query_one("#frameworks-status", Label).update(" · ".join(parts))

    def on_virtual_table_sorted(self, event: VirtualTable.Sorted) -> None:
        self.update_status()

    def action_toggle_completed(self) -> None:
        self.show_completed = not self.show_completed
        self._set_filter()

    def _set_filter(self) -> None:
        self.table.set_filter(both(None if self.show_completed else _active, self.filter_fn))
        self.update_status()

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#frameworks-filter", FilterBar)

    def action_filter(self) -> None:
        self.filter_bar.open()

    def action_clear_filter(self) -> None:
        self.filter_bar.clear_filter()
        self.table.focus()

    @on(FilterBar.Applied, "#frameworks-filter")
    def _filtered(self, event: FilterBar.Applied) -> None:
        self.filter_fn = view_predicate(event.filter, framework_values)
        self._set_filter()

    @on(VirtualTable.Selected, "#frameworks-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.post_message(ShowDetail("framework", event.key))

    def action_drill(self) -> None:
        if self.table.cursor_key is not None:
            self.post_message(DrillTasks("framework", self.table.cursor_key))
