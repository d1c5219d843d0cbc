"""The header: who we talk to, what the cluster holds, and how full it is.

Every figure comes from the mirror's one source of it (`counts()`, `totals()`), the same
the views and the shell print. The header fits any terminal: each line is fitted to the
width by priority (shorter words first, then the least useful parts left out, never a wrap
into the views), wide terminals get longer meters, and short ones fewer lines:

- 20 rows or more: identity, counts, and a CPU, MEM and DISK meter (5 lines);
- 15 to 19 rows: identity and counts on one line, CPU and MEM meters (3 lines);
- fewer: identity and counts, then CPU and MEM side by side (2 lines).

Meters: `used` is what the tasks' containers were measured using, `alloc` what their tasks
hold, `offer` what outstanding offers hold, `idle` the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget

from mesos_tui.client.mirror import STATE_NAMES, ClusterMirror, Counts, Scalars, Totals
from mesos_tui.client.operator import CONNECTED, REDIRECT, ConnectionStatus
from mesos_tui.tui.format import (
    ALLOCATED,
    OFFERED,
    STATE_STYLES,
    USED,
    Part,
    fit_parts,
    mem,
    meter,
    num,
)
from mesos_tui.tui.resilient import Resilient

FULL_ROWS = 20  # terminal rows from which the header takes all five lines
MID_ROWS = 15  # ... three lines; below, two
MIN_BAR = 10


def header_lines(screen_rows: int) -> int:
    """How many lines the header takes on a terminal `screen_rows` high."""
    if screen_rows >= FULL_ROWS:
        return 5
    if screen_rows >= MID_ROWS:
        return 3
    return 2


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _t(*spans: tuple[str, str]) -> Text:
    text = Text(end="")
    for s, style in spans:
        text.append(s, style=style or None)
    return text


class ClusterHeader(Resilient, Widget):
    """Who we talk to, what runs, and how full the cluster is (CPU, MEM, DISK)."""

    DEFAULT_CSS = """
    ClusterHeader { height: 5; }
    """

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.status: ConnectionStatus | None = None
        self.cluster = ""

    def on_mount(self) -> None:
        self.screen.screen_layout_refresh_signal.subscribe(self, self._fit_to_screen)
        self._fit_to_screen()

    def _fit_to_screen(self, _screen: object = None) -> None:
        """Take as many lines as the terminal's height allows (see the module's doc)."""
        rows = header_lines(self.app.size.height)
        if self.styles.height is None or self.styles.height.value != rows:
            self.styles.height = rows

    def update_from(self, status: ConnectionStatus | None, cluster: str = "") -> None:
        self.status = status
        self.cluster = cluster or self.cluster
        self._fit_to_screen()
        self.refresh()

    # --------------------------------------------------------------------------- parts

    @property
    def connected(self) -> bool:
        return self.status is not None and self.status.phase == CONNECTED

    def _identity(self) -> list[Part]:
        parts = [Part(_t((" mesos-tui ", "bold reverse")), _t((" m ", "bold reverse")),
                      priority=3)]
        if self.cluster:
            parts.append(Part(_t(("cluster ", "dim"), (self.cluster, "bold")),
                              _t((self.cluster, "bold")), priority=1))
        s = self.status
        if s is None:
            parts.append(Part(_t(("● offline (no master)", "dim")), _t(("● offline", "dim")),
                              priority=20, droppable=False))
        elif s.phase == CONNECTED:
            parts.append(Part(_t(("● ", "bold green"), (f"leader {s.address}", "bold")),
                              _t(("● ", "bold green"), (s.address, "bold")),
                              priority=20, droppable=False))
        elif s.phase == REDIRECT:
            parts.append(Part(
                _t(("◐ ", "bold yellow"), (f"standby {s.address} → leader {s.leader}",
                                           "bold yellow")),
                _t(("◐ ", "bold yellow"), (f"standby → {s.leader}", "bold yellow")),
                priority=20, droppable=False))
        else:
            style = "bold red" if s.attempt > 1 else "yellow"
            parts.append(Part(_t(("○ ", "bold red"), (s.text, style)),
                              _t(("○ ", "bold red"), (s.phase, style)),
                              priority=20, droppable=False))
        alloc = self.mirror.allocator
        if self.status is not None and not self.connected:
            # A master we follow is out of reach: what its allocator does now is unknown,
            # so say that rather than its last state. (No status: a mirror fed directly.)
            parts.append(Part(_t(("allocator ", "dim"), ("unknown", "dim")), None, priority=4))
        elif not self.mirror.streams_extensions:
            # An Apache Mesos master (or ours, asked without extensions) says nothing of it.
            parts.append(Part(_t(("allocator ", "dim"), ("not streamed", "yellow")), None,
                              priority=4))
        elif alloc.paused:
            cycle = f" · cycle {alloc.cycles}" if alloc.cycles else ""
            parts.append(Part(_t(("allocator ", "dim"), ("PAUSED", "bold reverse yellow"),
                                 (cycle, "dim")),
                              _t(("PAUSED", "bold reverse yellow")), priority=15))
        else:
            cycle = f" · cycle {alloc.cycles}" if alloc.cycles else ""
            parts.append(Part(_t(("allocator ", "dim"), ("running", "green"), (cycle, "dim")),
                              _t(("alloc ", "dim"), ("running", "green")), priority=4))
        return parts

    def _resources(self) -> list[Resource]:
        """The meters; `used` only where the master streams measured usage (a `-` else)."""
        if self.mirror.streams_extensions:
            return _RESOURCES
        return [(label, pick, fmt, False) for label, pick, fmt, _ in _RESOURCES]

    def _counts(self, c: Counts) -> list[Part]:
        agents_full = _t((f"{c.agents}", "bold"), (_plural(c.agents, " agent"), ""))
        if c.agents_active != c.agents:
            agents_full.append(f" ({c.agents - c.agents_active} inactive)", style="bold red")
        fw_full = _t((f"{c.frameworks}", "bold"), (_plural(c.frameworks, " framework"), ""))
        if c.frameworks_completed:
            fw_full.append(f" (+{c.frameworks_completed} completed)", style="dim")
        tasks_full = _t((f"{c.tasks_active}", "bold"),
                        (_plural(c.tasks_active, " active task"), ""))
        states = Text(end="")
        for i, (state, n) in enumerate(c.by_state):
            if i:
                states.append(" · ", style="dim")
            states.append(f"{n} ", style="bold")
            states.append(STATE_NAMES.get(state, str(state)), style=STATE_STYLES.get(state, ""))
        if not c.by_state:
            states.append("no tasks", style="dim")
        return [
            Part(agents_full, _t((f"{c.agents}", "bold"), (" ag", "")), priority=12),
            Part(fw_full, _t((f"{c.frameworks}", "bold"), (" fw", "")), priority=11),
            Part(tasks_full, _t((f"{c.tasks_active}", "bold"),
                                (_plural(c.tasks_active, " task"), "")), priority=10),
            Part(_t(("tasks: ", "dim")).append_text(states), None, priority=2),
            Part(_t((f"{c.offers}", "bold"), (_plural(c.offers, " offer"), "")),
                 _t((f"{c.offers}", "bold"), (" off", "")), priority=5),
        ]

    # ---------------------------------------------------------------------------- render

    def render(self) -> Text:
        m = self.mirror
        width = max(1, self.size.width or 120)
        rows = self.size.height or 5
        c = m.counts()
        t = m.totals()
        identity = self._identity()
        counts = self._counts(c)
        if rows >= 5:
            lines = [
                fit_parts(identity, width),
                Text(" ", end="").append_text(fit_parts(counts, width - 1)),
            ]
            lines += meter_lines(t, self._resources(), width)
        else:
            lines = [fit_parts(identity + counts, width)]
            if rows >= 3:
                lines += meter_lines(t, self._resources()[:rows - 1], width)
            else:
                half = width // 2
                (cpu,) = meter_lines(t, self._resources()[:1], half)
                (memory,) = meter_lines(t, self._resources()[1:2], width - half)
                lines.append(Text("", end="").join([cpu, memory]))
        return Text("\n", end="").join(lines[:max(1, rows)])


Resource = tuple[str, Callable[[Scalars], float], Callable[[float], str], bool]


def _cpus(s: Scalars) -> float:
    return s.cpus


def _mem(s: Scalars) -> float:
    return s.mem


def _disk(s: Scalars) -> float:
    return s.disk


_RESOURCES: list[Resource] = [
    ("CPU", _cpus, num, True),
    ("MEM", _mem, mem, True),
    ("DISK", _disk, mem, False),  # disk use is not measured
]


def _cells(t: Totals, resource: Resource, variant: int) -> list[Text]:
    """The figures beside one meter, as cells (used, alloc, offer, idle, total), in one of
    four wordings from the longest (0) to the shortest (3)."""
    _, pick, fmt, has_used = resource
    total = pick(t.total)

    def pct(v: float) -> str:
        return f"{100 * v / total:.0f}%" if total else "-"

    figures = [
        ("used", "u", pick(t.used) if has_used else None, USED),
        ("allocated", "a", pick(t.allocated), ALLOCATED),
        ("offered", "o", pick(t.offered), OFFERED),
        ("idle", "i", pick(t.idle), ""),
    ]
    short_names = {"allocated": "alloc", "offered": "offer"}
    cells = []
    for name, letter, value, style in figures:
        if variant == 3 and name == "idle":
            continue
        shown = "-" if value is None else fmt(value)
        bold = f"bold {style}".strip()
        if variant == 0:
            cell = _t((f"{name} ", style or "dim"), (shown, bold),
                      (f" ({pct(value)})" if value is not None else "", "dim"))
        elif variant == 1:
            cell = _t((f"{short_names.get(name, name)} ", style or "dim"), (shown, bold),
                      (f" {pct(value)}" if value is not None else "", "dim"))
        elif variant == 2:
            cell = _t((f"{short_names.get(name, name)} ", style or "dim"), (shown, bold))
        else:
            cell = _t((letter, style or "dim"), (shown, bold))
        cells.append(cell)
    cells.append(_t(("of " if variant < 3 else "/", "dim"), (fmt(total), "bold")))
    return cells


def meter_lines(t: Totals, resources: list[Resource], width: int) -> list[Text]:
    """One line per resource: ` CPU  [|||||     ] used 1.2 (4%)  allocated 4 (12%) ...`.
    The longest wording that leaves every bar `MIN_BAR` cells; the figures in aligned
    columns, so the bars are as wide as each other and take what is left of the width."""
    head_len = 7  # " CPU  " and the space after the bar
    sep = 2
    chosen: list[list[Text]] = [[] for _ in resources]
    widths: list[int] = []
    for variant in range(4):
        cells = [_cells(t, r, variant) for r in resources]
        ncols = max(len(c) for c in cells)
        widths = [max((c[i].cell_len for c in cells if i < len(c)), default=0)
                  for i in range(ncols)]
        summary_len = sum(widths) + sep * (ncols - 1)
        chosen = cells
        if width - head_len - summary_len >= MIN_BAR:
            break
    else:
        if width - head_len - summary_len < MIN_BAR:
            chosen, widths, summary_len = [[] for _ in resources], [], 0
    bar_width = max(3, width - head_len - summary_len + (0 if widths else 1))
    lines = []
    for (label, pick, _fmt, has_used), cells in zip(resources, chosen, strict=True):
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(f" {label:<4} ", style="bold")
        line.append_text(meter(pick(t.total), pick(t.used) if has_used else 0.0,
                               pick(t.allocated), pick(t.offered), bar_width, "",
                               has_used=has_used))
        if cells:
            line.append(" ")
            for i, cell in enumerate(cells):
                if i:
                    line.append(" " * sep)
                pad = widths[i] - cell.cell_len
                if i == len(cells) - 1:
                    line.append(" " * pad)  # the total, right-aligned
                    line.append_text(cell)
                else:
                    line.append_text(cell)
                    line.append(" " * pad)
        if line.cell_len > width:
            line.truncate(max(0, width), overflow="ellipsis")
        lines.append(line)
    return lines
