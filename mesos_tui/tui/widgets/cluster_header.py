"""The header: cluster, leading master and connection state, counts, and resource meters."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from mesos_tui.client.mirror import STATE_NAMES, STATE_ORDER, ClusterMirror, Scalars
from mesos_tui.client.operator import CONNECTED, REDIRECT, ConnectionStatus
from mesos_tui.tui.format import ALLOCATED, OFFERED, STATE_STYLES, USED, mem, meter, num


class ClusterHeader(Widget):
    """Five lines: who we talk to, what runs, and how full the cluster is (CPU, MEM, DISK)."""

    DEFAULT_CSS = """
    ClusterHeader { height: 5; }
    """

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.status: ConnectionStatus | None = None
        self.cluster = ""

    def update_from(self, status: ConnectionStatus | None, cluster: str = "") -> None:
        self.status = status
        self.cluster = cluster or self.cluster
        self.refresh()

    def _connection(self) -> Text:
        s = self.status
        text = Text(end="")
        if s is None:
            text.append("● offline (no master)", style="dim")
        elif s.phase == CONNECTED:
            text.append("● ", style="bold green")
            text.append(f"leader {s.address}", style="bold")
        elif s.phase == REDIRECT:
            text.append("◐ ", style="bold yellow")
            text.append(f"standby {s.address} → leader {s.leader}", style="bold yellow")
        else:
            text.append("○ ", style="bold red")
            text.append(s.text, style="bold red" if s.attempt > 1 else "yellow")
        return text

    def render(self) -> Text:
        m = self.mirror
        width = self.size.width or 120
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(" mesos-tui ", style="bold reverse")
        line.append(" ")
        if self.cluster:
            line.append("cluster ", style="dim")
            line.append(self.cluster, style="bold")
            line.append("  ")
        line.append_text(self._connection())
        active_fw = sum(1 for f in m.frameworks.values() if not f.completed)
        line.append("  │ ", style="dim")
        line.append(f"{len(m.agents)}", style="bold")
        line.append(" agents  ")
        line.append(f"{active_fw}", style="bold")
        line.append(" frameworks  ")
        alloc = m.allocator
        line.append("allocator ", style="dim")
        if alloc.paused:
            line.append("PAUSED", style="bold reverse yellow")
        else:
            line.append("running", style="green")
        if alloc.cycles:
            line.append(f" cycle {alloc.cycles}", style="dim")

        tasks = Text(no_wrap=True, overflow="ellipsis", end="")
        tasks.append(" tasks ", style="dim")
        tasks.append(f"{len(m.tasks)}", style="bold")
        tasks.append(": ")
        first = True
        for state in STATE_ORDER:
            n = m.state_counts.get(state, 0)
            if not n:
                continue
            if not first:
                tasks.append(" · ", style="dim")
            first = False
            tasks.append(f"{n} ", style="bold")
            tasks.append(STATE_NAMES[state], style=STATE_STYLES.get(state, ""))
        if first:
            tasks.append("none", style="dim")
        tasks.append("    bars: ", style="dim")
        tasks.append("|used ", style=USED)
        tasks.append("|allocated ", style=ALLOCATED)
        tasks.append("|offered ", style=OFFERED)
        tasks.append("idle", style="dim")

        t = m.totals()
        lines = [line, tasks]
        for label, pick, fmt in (
            ("CPU ", lambda s: s.cpus, num),
            ("MEM ", lambda s: s.mem, mem),
            ("DISK", lambda s: s.disk, mem),
        ):
            lines.append(_meter(label, t.total, t.used, t.allocated, t.offered, t.idle,
                                pick, fmt, width, has_used=label != "DISK"))
        return Text("\n", end="").join(lines)


def _meter(label: str, total: Scalars, used: Scalars, alloc: Scalars, offered: Scalars,
           idle: Scalars, pick, fmt, width: int, has_used: bool) -> Text:  # type: ignore[no-untyped-def]
    total_v = pick(total)

    def pct(v: float) -> str:
        return f"{100 * v / total_v:.0f}%" if total_v else "-"

    summary = Text(no_wrap=True, end="")
    for name, value, style, show in (
        ("used", pick(used), USED, has_used), ("allocated", pick(alloc), ALLOCATED, True),
        ("offered", pick(offered), OFFERED, True), ("idle", pick(idle), "", True),
    ):
        summary.append(f"{name} ", style="dim")
        summary.append(f"{fmt(value) if show else '-'}", style=f"bold {style}".strip())
        summary.append(f" ({pct(value) if show else '-'})  ", style="dim")
    summary.append(f"of {fmt(total_v)}", style="bold")
    bar_width = max(10, min(60, width - summary.cell_len - len(label) - 4))
    text = Text(f" {label} ", style="bold", end="")
    text.append_text(meter(total_v, pick(used) if has_used else 0.0, pick(alloc),
                           pick(offered), bar_width, "", has_used=has_used))
    text.append(" ")
    text.append_text(summary)
    return text
