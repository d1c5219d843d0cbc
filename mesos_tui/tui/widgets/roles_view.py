"""The roles view: a row per role, as the allocator's DRF role sorter sees it: weight,
dominant share (and weighted: what DRF orders roles by), allocated, offered, frameworks.

The figures are the master's DRF table (SORTER_UPDATED, or the snapshot's); a role that has
frameworks but is not in that table yet (no allocation since it registered) shows its
frameworks' allocation and offers from the mirror, weight 1 and a share of `-`.

`/` filters (`role: fw:`), Enter or `t` drills down to the role's tasks (`role:` filter);
shift+letter sorts (L role, W weight, D share, A allocated, O offered, F frameworks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label

from mesos_tui.client.mirror import Changes, ClusterMirror, Scalars
from mesos_tui.tui.filter import ROLE_FIELDS, exact, view_predicate
from mesos_tui.tui.format import ALLOCATED, OFFERED, mem, num, share_bar
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.filter_bar import FilterBar
from mesos_tui.tui.widgets.messages import DrillTasks
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable, natural_key


@dataclass(slots=True)
class RoleRow:
    role: str
    weight: float = 1.0
    share: float | None = None  # dominant share, unweighted (None: not in the DRF table)
    weighted: float | None = None
    resource: str = ""
    allocated: Scalars = field(default_factory=Scalars)
    offered: Scalars = field(default_factory=Scalars)
    frameworks: list[str] = field(default_factory=list)  # names


def role_rows(mirror: ClusterMirror) -> dict[str, RoleRow]:
    """Every role with a framework or in the DRF table, keyed by role."""
    rows: dict[str, RoleRow] = {}
    for fw in mirror.frameworks.values():
        if fw.completed:
            continue
        row = rows.setdefault(fw.role, RoleRow(fw.role))
        row.frameworks.append(fw.name or fw.id)
        row.allocated.add(fw.allocated)
        row.offered.add(fw.offered)
    sorter = mirror.sorter
    if sorter is not None:
        for c in sorter.roles:
            row = rows.setdefault(c.role, RoleRow(c.role))
            row.weight = c.weight
            row.share, row.weighted = c.dominant_share, c.weighted_share
            row.resource = c.dominant_resource
            row.allocated, row.offered = c.allocated, c.offered
    return rows


def _share(r: RoleRow) -> Text:
    if r.share is None:
        return Text("-", style="dim")
    text = share_bar(r.share, 10)
    text.append(f" {r.share * 100:5.1f}% {r.resource}")
    return text


def _weighted(r: RoleRow) -> str:
    return "-" if r.weighted is None else f"{r.weighted * 100:.1f}%"


def _scalars(s: Scalars) -> str:
    return f"{num(s.cpus)} cpu {mem(s.mem)}" if s.cpus or s.mem else "-"


ROLE_COLUMNS = [
    Column("role", "ROLE", 16, lambda r: r.role, lambda r: natural_key(r.role), hotkey="L"),
    Column("weight", "WEIGHT", 6, lambda r: f"{r.weight:g}", lambda r: r.weight,
           align_right=True, hotkey="W"),
    Column("share", "DOMINANT SHARE", 24, _share, lambda r: r.share or 0.0, hotkey="D"),
    Column("weighted", "SHARE/WEIGHT", 12, _weighted, lambda r: r.weighted or 0.0,
           align_right=True),
    Column("allocated", "ALLOCATED", 16, lambda r: _scalars(r.allocated),
           lambda r: (r.allocated.cpus, r.allocated.mem), style=lambda r: ALLOCATED,
           hotkey="A"),
    Column("offered", "OFFERED", 16, lambda r: _scalars(r.offered),
           lambda r: (r.offered.cpus, r.offered.mem), style=lambda r: OFFERED, hotkey="O"),
    Column("frameworks", "FRAMEWORKS", 0, lambda r: f"{len(r.frameworks)}: "
           + ", ".join(r.frameworks[:6]), lambda r: len(r.frameworks), style=lambda r: "dim",
           hotkey="F"),
]


def role_values(r: RoleRow) -> dict[str, Any]:
    return {"role": r.role, "fw": r.frameworks}


class RolesView(Resilient, Vertical):
    """Roles, by DRF share."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="roles.filter"),
        Binding("t", "drill", "Its tasks", id="roles.tasks"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="roles.clear_filter"),
    ]

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.stale = True
        self.rows: dict[str, RoleRow] = {}

    def compose(self) -> ComposeResult:
        yield FilterBar(ROLE_FIELDS, id="roles-filter")
        yield VirtualTable(ROLE_COLUMNS, lambda: self.rows, sort="share", reverse=True,
                           keep=("role", "share", "weight", "allocated", "offered",
                                 "weighted", "frameworks"), id="roles-table")
        yield Label("", id="roles-status", classes="view-status")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#roles-table", VirtualTable)

    def rebuild(self) -> None:
        self.rows = role_rows(self.mirror)
        self.table.rebuild()
        self.stale = False
        sorter = self.mirror.sorter
        what = (f"DRF table of cycle {sorter.cycle}" if sorter is not None
                else "no DRF table from the master yet")
        self.query_one("#roles-status", Label).update(
            f"{len(self.rows)} role{'s' if len(self.rows) != 1 else ''} · {what} · "
            "SHARE/WEIGHT is what DRF orders roles by")

    def apply_changes(self, changes: Changes) -> None:
        if (self.stale or changes.reset or changes.sorter or changes.frameworks
                or changes.frameworks_removed or changes.offers):
            self.rebuild()

    def action_filter(self) -> None:
        self.query_one("#roles-filter", FilterBar).open()

    def action_clear_filter(self) -> None:
        self.query_one("#roles-filter", FilterBar).clear_filter()
        self.table.focus()

    @on(FilterBar.Applied, "#roles-filter")
    def _filtered(self, event: FilterBar.Applied) -> None:
        self.table.set_filter(view_predicate(event.filter, role_values))

    @on(VirtualTable.Selected, "#roles-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        if self.table.cursor_key is not None:
            self.post_message(DrillTasks("role", self.table.cursor_key))


def role_filter(role: str) -> str:
    """The tasks filter of one role, exactly."""
    return f"role:{exact(role)}"
