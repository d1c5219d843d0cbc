"""The tasks view: a sortable table of every task with a k9s-style filter and marks.

`/` opens the filter (text or regex; `!` negates a word or, alone, the whole filter;
`state:`, `agent:`, `framework:`, `name:` fields combine), `!` flips the filter's negation,
`space`/`m` marks rows for a bulk kill, `enter` shows a task's details, `l` its logs.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from mesos_tui.client.mirror import Changes, ClusterMirror, TaskView, short_id
from mesos_tui.tui.filter import TaskFilter
from mesos_tui.tui.format import STATE_STYLES, age, mem, num
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable


def task_columns(mirror: ClusterMirror) -> list[Column]:
    def agent(t: TaskView) -> str:
        a = mirror.agents.get(t.agent_id)
        return a.hostname if a else short_id(t.agent_id)

    def framework(t: TaskView) -> str:
        f = mirror.frameworks.get(t.framework_id)
        return f.name if f and f.name else short_id(t.framework_id)

    def state(t: TaskView) -> Text:
        return Text(t.state_name, style=STATE_STYLES.get(t.state, ""), end="")

    return [
        Column("id", "ID", 30, lambda t: t.id, lambda t: t.id),
        Column("name", "NAME", 18, lambda t: t.name, lambda t: t.name),
        Column("state", "STATE", 11, state, lambda t: t.state_name),
        Column("framework", "FRAMEWORK", 14, framework, framework),
        Column("agent", "AGENT", 14, agent, agent),
        Column("cpus", "CPUS", 5, lambda t: num(t.cpus), lambda t: t.cpus, align_right=True),
        Column("mem", "MEM", 6, lambda t: mem(t.mem), lambda t: t.mem, align_right=True),
        Column("age", "AGE", 7, lambda t: age(t.started), lambda t: -t.started, align_right=True),
        Column("message", "REASON / MESSAGE", 0,
               lambda t: ": ".join(x for x in (t.reason, t.message) if x),
               lambda t: t.reason + t.message, style=lambda t: "dim"),
    ]


class TasksView(Vertical):
    """All tasks, filtered and sorted; the selection and marks that actions act on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="tasks.filter"),
        Binding("exclamation_mark", "negate", "Negate filter", id="tasks.negate"),
        Binding("space,m", "mark", "Mark", id="tasks.mark"),
        Binding("U", "unmark_all", "Unmark all", show=False, id="tasks.unmark_all"),
        Binding("l", "logs", "Logs", id="tasks.logs"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="tasks.clear_filter"),
    ]

    class ShowTask(Message):
        def __init__(self, key: str, logs: bool) -> None:
            super().__init__()
            self.key = key
            self.logs = logs

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.stale = True
        self.filter = TaskFilter.parse("")

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: text or regex, !negate, state:running agent:… "
                    "framework:… name:…", id="task-filter")
        yield VirtualTable(task_columns(self.mirror), lambda: self.mirror.tasks, sort="id",
                           id="tasks-table")
        yield Label("", id="tasks-status")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#tasks-table", VirtualTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#task-filter", Input)

    def rebuild(self) -> None:
        self.table.rebuild()
        self.stale = False
        self.update_status()

    def apply_changes(self, changes: Changes) -> None:
        if self.stale or changes.reset:
            self.rebuild()
            return
        if changes.tasks or changes.tasks_removed:
            before = self.table.row_count
            self.table.update_rows(changes.tasks, changes.tasks_removed)
            if self.table.row_count != before or changes.tasks_removed:
                self.update_status()
        # Frameworks and agents are drawn by name in every row: renames are rare, so only
        # the visible rows need a redraw.
        if changes.frameworks or changes.agents_removed or changes.frameworks_removed:
            self.table.update_rows(list(self.table.visible_keys()))

    def update_status(self) -> None:
        table = self.table
        parts = [f"{table.row_count} of {len(self.mirror.tasks)} tasks"]
        if self.filter.text.strip():
            parts.append(f"filter: {self.filter.text.strip()}")
        if table.marked:
            parts.append(f"{len(table.marked)} marked (ctrl+k kills them)")
        direction = "▼" if table.sort_reverse else "▲"
        parts.append(f"sorted by {table.sort_column} {direction}")
        self.query_one("#tasks-status", Label).update(" · ".join(parts))

    # ------------------------------------------------------------------------ filter

    def set_filter(self, text: str) -> None:
        self.filter = TaskFilter.parse(text)
        self.table.set_filter(self.filter.predicate(self.mirror))
        self.update_status()

    def action_filter(self) -> None:
        box = self.filter_input
        box.add_class("-visible")
        box.focus()

    def action_negate(self) -> None:
        text = self.filter.text.strip()
        text = text[1:].strip() if text.startswith("! ") or text == "!" else f"! {text}"
        self.filter_input.value = text
        self.filter_input.add_class("-visible")
        self.set_filter(text)

    def action_clear_filter(self) -> None:
        if self.filter.text:
            self.filter_input.value = ""
            self.set_filter("")
        self.filter_input.remove_class("-visible")
        self.table.focus()

    @on(Input.Changed, "#task-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.set_filter(event.value)

    @on(Input.Submitted, "#task-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.filter_input.remove_class("-visible")
        self.table.focus()

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key == "escape" and self.filter_input.has_focus:
            event.stop()
            self.action_clear_filter()

    # ------------------------------------------------------------------------- marks

    def action_mark(self) -> None:
        self.table.toggle_mark()
        self.table.action_cursor_down()
        self.update_status()

    def action_unmark_all(self) -> None:
        self.table.clear_marks()
        self.update_status()

    def selected_tasks(self) -> list[TaskView]:
        """The marked tasks, or else the one under the cursor."""
        tasks = self.mirror.tasks
        if self.table.marked:
            return [tasks[k] for k in self.table.order if k in self.table.marked and k in tasks]
        row = self.table.cursor_row
        return [row] if row is not None else []

    def action_details(self) -> None:
        if self.table.cursor_key is not None:
            self.post_message(self.ShowTask(self.table.cursor_key, logs=False))

    def action_logs(self) -> None:
        if self.table.cursor_key is not None:
            self.post_message(self.ShowTask(self.table.cursor_key, logs=True))

    @on(VirtualTable.Selected, "#tasks-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.post_message(self.ShowTask(event.key, logs=False))

    def refresh_ages(self) -> None:
        """Ages tick: redraw the visible rows once a second."""
        self.table.update_rows(list(self.table.visible_keys()))



