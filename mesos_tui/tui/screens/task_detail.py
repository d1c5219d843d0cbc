"""`enter` on a task: everything the mirror knows about it."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mesos_tui.client.mirror import ClusterMirror, TaskView, state_name
from mesos_tui.tui.format import STATE_STYLES, age, mem, num
from mesos_tui.tui.resilient import Resilient


class TaskDetailScreen(Resilient, ModalScreen[str | None]):
    """Answers "logs" or "sandbox" if the user asked for the task's logs or sandbox."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close", id="detail.close"),
        Binding("l", "logs", "Logs", id="detail.logs"),
        Binding("b", "sandbox", "Sandbox", id="detail.sandbox"),
    ]

    def __init__(self, mirror: ClusterMirror, task: TaskView) -> None:
        super().__init__()
        self.mirror = mirror
        self.task_view = task

    def compose(self) -> ComposeResult:
        t = self.task_view
        m = self.mirror
        agent = m.agents.get(t.agent_id)
        fw = m.frameworks.get(t.framework_id)
        table = Table(box=None, show_header=False, padding=(0, 1))
        table.add_column(style="bold dim", no_wrap=True)
        table.add_column()
        table.add_row("task", Text(t.id, style="bold"))
        table.add_row("name", t.name or "-")
        table.add_row("state", Text(t.state_name, style=STATE_STYLES.get(t.state, "")))
        if t.reason or t.message:
            table.add_row("reason", f"{t.reason or '-'}  {t.message}")
        table.add_row("framework", f"{fw.name if fw else '?'}  ({t.framework_id})")
        table.add_row("agent", f"{agent.hostname if agent else '?'}  ({t.agent_id})")
        if agent:
            table.add_row("files at", agent.files_address)
        if t.command:
            table.add_row("command", Text(t.command))
        table.add_row("executor", t.executor_id or "(command executor)")
        table.add_row("container", t.container_id or "-")
        table.add_row("resources", f"cpus {num(t.cpus)}  mem {mem(t.mem)}  disk {mem(t.disk)}")
        table.add_row("user", t.user or "-")
        table.add_row("started", f"{age(t.started)} ago")
        history = Text()
        for ts, st in t.history[-10:]:
            stamp = time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "--:--:--"
            history.append(f"{stamp} ", style="dim")
            history.append(state_name(st) + "\n", style=STATE_STYLES.get(st, ""))
        table.add_row("history", history if t.history else "-")
        with VerticalScroll(id="detail-box"):
            yield Static(table)
            yield Static("l logs · b sandbox · esc close", id="detail-help")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_logs(self) -> None:
        self.dismiss("logs")

    def action_sandbox(self) -> None:
        self.dismiss("sandbox")
