"""The tasks view: a sortable table of every task with a k9s-style filter and marks.

`/` opens the filter, in the shell's filter language (`mesos_tui.tui.filter`): regex words,
`!` negates a word or, alone, the whole filter; `state:`, `agent:`, `framework:`, `name:`,
`command:` ... fields combine. A bad regex or an unknown field shows its error in the filter
bar and leaves the last good filter in place. `!` flips the filter's negation, `space`/`m`
marks rows for a bulk kill, `enter` shows a task's details, `l` its logs.

Default order: by STATE, active tasks first (staging, starting, running, killing), then
finished ones; newest first within a state, ids in natural order (`t-2` before `t-10`) within
the same second. A cluster keeps thousands of finished tasks; what runs now and what just
happened is what one opens the view for. `s` (next column), `r` (reverse), a header click,
or a column's shift+letter (I id, N name, S state, F framework, A agent, C cpu used, M mem
used, E age; again: reverse) sorts by any column; ids and names always sort naturally.

CPU and MEM show what a task's container was measured using (the agents' AGENT_USAGE
reports) against what it was allocated: `0.12/0.5` cores, `12M/64M`; `-` where nothing was
measured (no report names its container yet, or the task has ended). They sort by what is used.

A drill-down from an agent or a framework (`t` there) puts its filter here and remembers
where it came from: Esc clears the filter and goes back there. `b` browses the selected
task's sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from mesos_tui.client.mirror import (
    STATE_ORDER,
    TERMINAL_STATES,
    Changes,
    ClusterMirror,
    TaskView,
    short_id,
)
from mesos_tui.tui.filter import FilterError, TaskFilter, task_predicate
from mesos_tui.tui.format import STATE_STYLES, age, mem, num
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable, natural_key

_STATE_RANK = {s: i for i, s in enumerate(STATE_ORDER)}


def state_order(t: TaskView) -> tuple[bool, int, int, tuple[str | int, ...]]:
    """The default order: active first, by state, newest (to the second) first, natural id."""
    return (t.state in TERMINAL_STATES, _STATE_RANK.get(t.state, len(_STATE_RANK)),
            -int(t.started), natural_key(t.id))


def task_columns(mirror: ClusterMirror) -> list[Column]:
    def agent(t: TaskView) -> str:
        a = mirror.agents.get(t.agent_id)
        return a.hostname if a else short_id(t.agent_id)

    def framework(t: TaskView) -> str:
        f = mirror.frameworks.get(t.framework_id)
        return f.name if f and f.name else short_id(t.framework_id)

    def state(t: TaskView) -> Text:
        return Text(t.state_name, style=STATE_STYLES.get(t.state, ""), end="")

    def measured(t: TaskView) -> bool:
        # A task its agent's report measured has a container with some memory; 0 and 0 is
        # "no report names it" (the agent sends no per-container usage), not "idle".
        return t.active and (t.used_mem > 0 or t.used_cpus > 0)

    def cpu(t: TaskView) -> Text:
        return used_of(t.used_cpus if measured(t) else None, t.cpus, num)

    def memory(t: TaskView) -> Text:
        return used_of(t.used_mem if measured(t) else None, t.mem, mem)

    return [
        Column("id", "ID", 30, lambda t: t.id, lambda t: natural_key(t.id), hotkey="I"),
        Column("name", "NAME", 18, lambda t: t.name, lambda t: natural_key(t.name), hotkey="N"),
        Column("state", "STATE", 11, state, state_order, hotkey="S"),
        Column("framework", "FRAMEWORK", 14, framework, lambda t: natural_key(framework(t)),
               hotkey="F"),
        Column("agent", "AGENT", 14, agent, lambda t: natural_key(agent(t)), hotkey="A"),
        Column("cpus", "CPU used/al", 11, cpu, lambda t: (t.used_cpus, t.cpus),
               align_right=True, hotkey="C"),
        Column("mem", "MEM used/al", 11, memory, lambda t: (t.used_mem, t.mem),
               align_right=True, hotkey="M"),
        Column("age", "AGE", 7, lambda t: age(t.started), lambda t: -t.started, align_right=True,
               hotkey="E"),
        Column("message", "REASON / MESSAGE", 0,
               lambda t: ": ".join(x for x in (t.reason, t.message) if x),
               lambda t: t.reason + t.message, style=lambda t: "dim"),
    ]


def used_of(used: float | None, allocated: float, fmt: Callable[[float], str]) -> Text:
    """`used/allocated`, the used part coloured by how close it is to the allocation (a
    task at its memory limit is about to be OOM-killed); `-/allocated` when not measured."""
    if used is None:
        return Text.assemble(("-", "dim"), ("/" + fmt(allocated), "dim"), end="")
    ratio = used / allocated if allocated else 0.0
    style = "bold red" if ratio >= 0.9 else "yellow" if ratio >= 0.7 else "green"
    return Text.assemble((fmt(used), style), ("/" + fmt(allocated), "dim"), end="")


class TasksView(Resilient, Vertical):
    """All tasks, filtered and sorted; the selection and marks that actions act on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="tasks.filter"),
        Binding("exclamation_mark", "negate", "Negate filter", id="tasks.negate"),
        Binding("space,m", "mark", "Mark", id="tasks.mark"),
        Binding("U", "unmark_all", "Unmark all", show=False, id="tasks.unmark_all"),
        Binding("l", "logs", "Logs", id="tasks.logs"),
        Binding("b", "sandbox", "Sandbox", id="tasks.sandbox"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="tasks.clear_filter"),
    ]

    class FilterChanged(Message):
        """The filter in force changed (None: no filter)."""

        def __init__(self, filter: TaskFilter | None) -> None:
            super().__init__()
            self.filter = filter

    class ShowTask(Message):
        def __init__(self, key: str, logs: bool, sandbox: bool = False) -> None:
            super().__init__()
            self.key = key
            self.logs = logs
            self.sandbox = sandbox

    class GoBack(Message):
        """Esc after a drill-down: back to the view it came from."""

        def __init__(self, view: str) -> None:
            super().__init__()
            self.view = view

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.stale = True
        self.filter = TaskFilter()
        self.error = ""  # why the text in the filter bar is not the filter in force
        # Set by a drill-down: the view it came from (Esc goes back) and what it shows.
        self.back_to: str | None = None
        self.drilled = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: regex words, !negate, state:running agent:… "
                    "framework:… name:… command:…", id="task-filter")
        yield VirtualTable(task_columns(self.mirror), lambda: self.mirror.tasks, sort="state",
                           keep=("id", "state", "name", "agent", "age", "framework", "cpus",
                                 "mem"),
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
        # Plain Text, not markup: a filter or its error may hold [ ] and \ of its own.
        table = self.table
        parts = [Text(f"{table.row_count} of {len(self.mirror.tasks)} tasks")]
        if self.filter.text.strip():
            parts.append(Text(f"filter: {self.filter.text.strip()}"))
        if self.error:
            parts.insert(0, Text(f"filter error: {self.error}", style="bold red"))
        if table.marked:
            hint = "" if getattr(self.app, "readonly", False) else " (ctrl+k kills them)"
            parts.append(Text(f"{len(table.marked)} marked{hint}"))
        direction = "▼" if table.sort_reverse else "▲"
        parts.append(Text(f"sorted by {table.sort_column} {direction}"))
        self.query_one("#tasks-status", Label).update(Text(" · ").join(parts))

    # ------------------------------------------------------------------------ filter

    def set_filter(self, text: str) -> bool:
        """Filter by `text`; False (and the error shown) when it does not parse."""
        box = self.filter_input
        try:
            flt = TaskFilter.parse(text)
        except FilterError as e:
            self.error = str(e)
            box.add_class("-error")
            box.border_subtitle = Text(self.error)  # not markup: it quotes the regex
            self.update_status()
            return False
        self.error = ""
        box.remove_class("-error")
        box.border_subtitle = ""
        self.filter = flt
        self.table.set_filter(task_predicate(flt, self.mirror))
        self.update_status()
        self.post_message(self.FilterChanged(flt if flt else None))
        return True

    def show_filter(self, text: str) -> bool:
        """Put `text` in the filter bar (shown unless empty) and filter by it."""
        box = self.filter_input
        with box.prevent(Input.Changed):
            box.value = text
        box.set_class(bool(text.strip()), "-visible")
        return self.set_filter(text)

    def action_filter(self) -> None:
        box = self.filter_input
        box.add_class("-visible")
        box.focus()

    def action_negate(self) -> None:
        text = self.filter.text.strip()
        text = text[1:].strip() if text.startswith("! ") or text == "!" else f"! {text}"
        self.show_filter(text)
        self.filter_input.add_class("-visible")

    def action_clear_filter(self) -> None:
        if self.filter.text or self.error or self.filter_input.value:
            self.show_filter("")
        self.filter_input.remove_class("-visible")
        self.table.focus()
        back, self.back_to, self.drilled = self.back_to, None, ""
        if back is not None:
            self.post_message(self.GoBack(back))

    @on(Input.Changed, "#task-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.drilled = ""  # edited by hand: no longer "the tasks of X" (Esc still goes back)
        self.set_filter(event.value)

    @on(Input.Submitted, "#task-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if self.error:
            self.app.bell()  # stay in the bar: the error says what to fix
            return
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

    def action_sandbox(self) -> None:
        if self.table.cursor_key is not None:
            self.post_message(self.ShowTask(self.table.cursor_key, logs=False, sandbox=True))

    @on(VirtualTable.Sorted, "#tasks-table")
    def _sorted(self, event: VirtualTable.Sorted) -> None:
        self.update_status()

    @on(VirtualTable.Selected, "#tasks-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.post_message(self.ShowTask(event.key, logs=False))

    def refresh_ages(self) -> None:
        """Ages tick: redraw the visible rows once a second."""
        self.table.update_rows(list(self.table.visible_keys()))



