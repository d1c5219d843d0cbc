"""Enter on an agent or a framework: what the Mesos web UI shows on its agent and framework
pages, in a modal. `t` drills down to its tasks (the tasks view, filtered), esc closes.

Agent: its info and attributes, resources total / used (measured) / allocated (its tasks) /
offered / reserved (from its resources, `name(role)`), a usage history sparkline (one point
a second since the TUI started), and its tasks. Framework: its info and capabilities' state,
role, its dominant share over time (the DRF table's, one point a second), its tasks and its
outstanding offers.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mesos_tui.client.mirror import AgentView, ClusterMirror, FrameworkView, TaskView
from mesos_tui.tui.format import ALLOCATED, OFFERED, STATE_STYLES, USED, age, mem, num
from mesos_tui.tui.history import History
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.agents_view import spark_lines

MAX_TASKS = 15  # in a details screen; `t` shows them all
SPARK = 60


def _info() -> Table:
    # Short labels that never wrap; the values take the rest (a narrow terminal folds them).
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="bold dim", no_wrap=True, max_width=12)
    table.add_column(overflow="fold", ratio=1)
    return table


def _spark(values: list[float], style: str, width: int = SPARK) -> Text:
    if not values:
        return Text("(no points yet)", style="dim")
    return Text(spark_lines([v * 100 for v in values], width, 1)[0], style=style)


def _tasks(tasks: list[TaskView], mirror: ClusterMirror, by: str) -> Table | Text:
    if not tasks:
        return Text("no tasks", style="dim")
    order = sorted(tasks, key=lambda t: (not t.active, -t.started))
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold dim")
    table.add_column("ID", no_wrap=True, max_width=30)
    table.add_column("STATE", no_wrap=True)
    table.add_column(by, no_wrap=True, max_width=16)
    table.add_column("CPU used/al", justify="right", no_wrap=True)
    table.add_column("MEM used/al", justify="right", no_wrap=True)
    for t in order[:MAX_TASKS]:
        other = (mirror.agent_hostname(t.agent_id) if by == "AGENT"
                 else mirror.framework_name(t.framework_id))
        used_c = num(t.used_cpus) if t.active else "-"
        used_m = mem(t.used_mem) if t.active else "-"
        table.add_row(t.id, Text(t.state_name, style=STATE_STYLES.get(t.state, "")), other,
                      f"{used_c}/{num(t.cpus)}", f"{used_m}/{mem(t.mem)}")
    if len(order) > MAX_TASKS:
        return Group(table, Text(f"... and {len(order) - MAX_TASKS} more: t shows them all",
                                 style="dim"))  # type: ignore[return-value]
    return table


_RESERVED = re.compile(r"(\w+)\((?!\*\))([^)]+)\):(\S+)")


def reserved_text(resources_text: str) -> str:
    """The reservations in an agent's resources text (`cpus(ops):2;mem(ops):1024`), or '-'."""
    found = [f"{name}({role}) {value}" for name, role, value in
             _RESERVED.findall(resources_text.replace(";", " "))]
    return ", ".join(found) or "-"


class DetailScreen(Resilient, ModalScreen[str | None]):
    """Answers "tasks" when the user asked to drill down from here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close", id="details.close"),
        Binding("t", "tasks", "Its tasks", id="details.tasks"),
    ]

    DEFAULT_CSS = """
    DetailScreen { align: center middle; background: $background 60%; }
    DetailScreen #details-box { width: 110; max-width: 96%; height: auto; max-height: 94%;
        border: thick $primary; background: $surface; padding: 0 1; }
    DetailScreen #details-help { color: $text-muted; }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def body(self) -> Any:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-box") as box:
            box.border_title = self.title_text
            yield Static(self.body(), id="details-body")
            yield Static("t its tasks (filtered tasks view) · esc close", id="details-help")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_tasks(self) -> None:
        self.dismiss("tasks")


class AgentDetailScreen(DetailScreen):
    def __init__(self, mirror: ClusterMirror, agent: AgentView, history: History) -> None:
        super().__init__(f"Agent {agent.hostname}")
        self.mirror = mirror
        self.agent = agent
        self.history = history

    def body(self) -> Any:
        a = self.agent
        info = _info()
        info.add_row("agent", Text(a.id, style="bold"))
        info.add_row("host", f"{a.hostname}  (files at {a.files_address})")
        info.add_row("state", Text(a.state, style="green" if a.active else "bold red"))
        info.add_row("version", a.version or "-")
        info.add_row("registered", f"{age(a.registered)} ago" if a.registered else "-")
        info.add_row("attributes", a.attributes or "-")
        res = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold dim")
        for name in ("", "TOTAL", "USED", "ALLOCATED", "OFFERED", "FREE"):
            res.add_column(name, justify="right" if name else "left", no_wrap=True)
        used = {"cpus": a.used_cpus, "mem": a.used_mem}
        for name, fmt in (("cpus", num), ("mem", mem), ("disk", mem)):
            total, alloc, offered = (getattr(s, name) for s in (a.total, a.allocated, a.offered))
            u = used.get(name)
            res.add_row(name, fmt(total),
                        Text(fmt(u) if u is not None and a.has_usage else "-", style=USED),
                        Text(fmt(alloc), style=ALLOCATED), Text(fmt(offered), style=OFFERED),
                        fmt(max(0.0, total - alloc - offered)))
        info.add_row("resources", res)
        info.add_row("reserved", reserved_text(a.resources_text))
        series = self.history.agents.get(a.id)
        if series is not None:
            info.add_row("CPU used", _spark(list(series.cpu), USED))
            info.add_row("MEM used", _spark(list(series.mem), USED))
        else:
            info.add_row("usage", Text("no history yet (one point a second)", style="dim"))
        tasks = [t for t in self.mirror.tasks.values() if t.agent_id == a.id]
        active = sum(1 for t in tasks if t.active)
        info.add_row("tasks", Group(Text(f"{active} active, {len(tasks)} known", style="dim"),
                                    _tasks(tasks, self.mirror, "FRAMEWORK")))
        return info


class FrameworkDetailScreen(DetailScreen):
    def __init__(self, mirror: ClusterMirror, framework: FrameworkView) -> None:
        super().__init__(f"Framework {framework.name or framework.id}")
        self.mirror = mirror
        self.framework = framework

    def body(self) -> Any:
        f = self.framework
        m = self.mirror
        info = _info()
        info.add_row("framework", Text(f.id, style="bold"))
        info.add_row("name", f.name or "-")
        info.add_row("state", f.state)
        info.add_row("role", f.role)
        info.add_row("principal", f.principal or "-")
        info.add_row("user", f.user or "-")
        info.add_row("hostname", f.hostname or "-")
        info.add_row("registered", f"{age(f.registered)} ago" if f.registered else "-")
        info.add_row("failover", f"{f.failover_timeout:g} s" if f.failover_timeout else "0 s "
                     "(torn down when it disconnects)")
        caps = []
        caps.append("suppressed (asks for no offers)" if f.suppressed else "revives offers")
        if f.recovered:
            caps.append("recovered from the registry (not yet re-subscribed)")
        if not f.connected:
            caps.append("disconnected, failing over")
        info.add_row("capabilities", ", ".join(caps))
        info.add_row("allocated", Text(f"cpus {num(f.allocated.cpus)}  mem {mem(f.allocated.mem)}"
                                       f"  disk {mem(f.allocated.disk)}", style=ALLOCATED))
        info.add_row("used", Text(f"cpus {num(f.used_cpus)}  mem {mem(f.used_mem)}"
                                  if f.has_usage else "-", style=USED))
        info.add_row("share now", f"{f.dominant_share * 100:.1f}% "
                     f"{f.dominant_resource or ''}".rstrip())
        share = list(m.share_history.get(f.id, ()))
        info.add_row("share trend", _spark(share, ALLOCATED))
        offers = [o for o in m.offers.values() if o.framework_id == f.id]
        if offers:
            table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold dim")
            for name in ("OFFER", "AGENT", "AGE", "RESOURCES"):
                table.add_column(name, no_wrap=name != "RESOURCES")
            for o in sorted(offers, key=lambda o: o.sent)[:MAX_TASKS]:
                table.add_row(o.id, o.hostname, age(o.sent), o.resources_text)
            info.add_row("offers", Group(Text(f"{len(offers)} outstanding", style="dim"), table))
        else:
            info.add_row("offers", Text("none outstanding", style="dim"))
        tasks = [t for t in m.tasks.values() if t.framework_id == f.id]
        active = sum(1 for t in tasks if t.active)
        info.add_row("tasks", Group(Text(f"{active} active, {len(tasks)} known", style="dim"),
                                    _tasks(tasks, m, "AGENT")))
        return info
