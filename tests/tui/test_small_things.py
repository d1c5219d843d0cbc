"""The small things a person meets in the first minutes, each seen broken once:

- ctrl+k on a finished task offered to kill it and failed after the confirmation;
- an empty stderr stayed "reading ... 0 lines";
- the log header said "following" after the task had ended;
- a bad regex leaked `[/]` markup into the status line;
- the `?` screen's KEY column took most of the width and cut the binding ids;
- a typo in keys.toml did nothing, silently;
- tables were cut at 80 columns with no hint, and did not use 250.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from textual.widgets import Static

from mesos_tui.client.files import LocalLogSource
from mesos_tui.client.mirror import ClusterMirror
from mesos_tui.tui import synthetic
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.screens.confirm import ConfirmScreen
from mesos_tui.tui.screens.help import HelpScreen
from mesos_tui.tui.screens.logs import LogScreen
from mesos_tui.tui.widgets.log_view import LogView
from mesos_tui.tui.widgets.tasks_view import TasksView
from mesos_tui.tui.widgets.virtual_table import VirtualTable
from tests.tui.conftest import NOW, SIZE, FakeControl, screen_text

TERMINAL = {"finished", "failed", "killed", "lost", "error", "dropped", "gone"}


def notes(app: MesosApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def select_task(app: MesosApp, ended: bool) -> None:
    view = app.query_one(TasksView)
    view.show_filter("")
    table = view.table
    for i, key in enumerate(table.order):
        if (app.mirror.tasks[key].state_name in TERMINAL) == ended:
            table.move_cursor(i)
            return
    raise AssertionError("no such task in the synthetic cluster")


async def test_ctrl_k_on_a_finished_task_says_so_and_asks_nothing(
        app: MesosApp, control: FakeControl) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        app.query_one(TasksView).table.row_filter = None
        app.query_one(TasksView).table.rebuild()
        select_task(app, ended=True)
        task = app.query_one(TasksView).table.cursor_row
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any(f"Task {task.id} has already ended" in n for n in notes(app)), notes(app)
        assert control.calls == []

        select_task(app, ended=False)  # a live one is still asked about
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


def log_app(mirror: ClusterMirror, control: FakeControl, sandbox: Path) -> MesosApp:
    def local(task, agent, file):  # type: ignore[no-untyped-def]
        return LocalLogSource(str(sandbox / file), poll=0.01)

    return MesosApp(mirror=mirror, control=control, connect=False, keymap={},
                    log_source=local, clock=lambda: NOW)


async def until(pilot, ready, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(300):
        if ready():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_empty_stderr_reads_empty_not_loading(mirror, control, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "stdout").write_text("hello\n")
    (tmp_path / "stderr").write_text("")
    app = log_app(mirror, control, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        select_task(app, ended=False)
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LogScreen)
        await pilot.press("tab")  # stderr: empty
        view = screen.query_one(LogView)
        await until(pilot, lambda: view.status == "following", "the empty file to open")
        screen.update_title()
        title = str(screen.query_one("#log-title").render())
        assert "empty so far" in title and "reading" not in title, title


async def test_the_log_of_a_task_that_ended_stops_following(mirror, control, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "stdout").write_text("".join(f"line {i}\n" for i in range(10)))
    (tmp_path / "stderr").write_text("")
    app = log_app(mirror, control, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        select_task(app, ended=False)
        task = app.query_one(TasksView).table.cursor_row
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LogScreen)
        view = screen.query_one(LogView)
        await until(pilot, lambda: len(view.lines) == 10 or not view.flush(), "the lines")
        assert view.reading
        screen.QUIET_SECONDS = 0.05  # type: ignore[misc]
        n = int(task.id.rsplit("-", 1)[-1])
        app.mirror.apply(synthetic.EventStream(agents=12, frameworks=5, tasks=120)
                         .task_update(n, state=synthetic.TS.TASK_FINISHED))
        assert app.mirror.tasks[task.key].state_name == "finished"
        await until(pilot, lambda: not view.reading, "the follow to end")
        title = str(screen.query_one("#log-title").render())
        assert "task finished: end of its stdout" in title, title
        assert "following" not in title and len(view.lines) == 10


async def test_a_bad_regex_is_plain_text_in_the_status_line(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "slash", *"[a-", "enter")
        await pilot.pause()
        status = str(app.query_one("#tasks-status").render())
        assert status.startswith("filter error: bad regular expression '[a-'"), status
        assert "[/]" not in status and "[/]" not in screen_text(app)


async def test_help_keeps_every_binding_id_whole_at_80_columns(app: MesosApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {b.id for _, bs in app.help_sections() for b in bs if b.id}
        box = app.screen.query_one("#help-box")
        # Each section drawn at the box's width, as on screen (the box scrolls): every id
        # appears whole on some line.
        console = Console(width=box.scrollable_content_region.width, record=True,
                          color_system=None)
        for w in box.query(Static):
            console.print(w.content)
        rendered = console.export_text()
        missing = sorted(i for i in ids if i not in rendered)
        assert not missing, missing
        assert box.outer_size.width <= 80


async def test_a_keys_toml_typo_is_said(mirror, control, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\n"task.kil" = "ctrl+x"\n"view.tasks" = "t"\n')
    monkeypatch.setenv("MESOS_TUI_CONFIG", str(keys))
    app = MesosApp(mirror=mirror, control=control, connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        said = [n for n in notes(app) if "task.kil'" in n]
        assert said and "did you mean 'task.kill'" in said[0], notes(app)
        await pilot.press("t")  # the good line still applies
        await pilot.pause()
        assert app.current_view == "tasks"


async def test_tables_keep_their_key_columns_and_say_what_they_left_out(app: MesosApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        table = app.query_one("#tasks-table", VirtualTable)
        header = table.render_line(0).text
        assert header.startswith("ID") and "STATE" in header and "NAME" in header, header
        assert table.hidden_columns and f"+{len(table.hidden_columns)} cols" in header, header
        for y in range(table.size.height):
            assert len(table.render_line(y).text.rstrip()) <= table.table_width
        await pilot.resize_terminal(250, 70)
        await pilot.pause()
        header = table.render_line(0).text
        assert not table.hidden_columns and "cols" not in header
        assert "REASON / MESSAGE" in header
        widths = table._column_widths(table.table_width)
        assert sum(widths) + len(widths) - 1 == table.table_width  # the width is used


async def test_an_error_in_a_view_or_a_key_is_a_notification_not_the_end(
        app: MesosApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mesos_tui.tui.widgets.agents_view import AgentsView

    def broken(self, changes):  # type: ignore[no-untyped-def]
        raise RuntimeError("drawing went wrong")

    def broken_key(self) -> None:  # type: ignore[no-untyped-def]
        raise KeyError("no such row")

    monkeypatch.setattr(AgentsView, "apply_changes", broken)
    monkeypatch.setattr(VirtualTable, "action_sort_next", broken_key)
    async with app.run_test(size=SIZE) as pilot:
        app.mirror.apply(synthetic.EventStream(agents=12, frameworks=5, tasks=120).next())
        app.refresh_views()  # the agents view is shown: its redraw raises
        await pilot.press("s")  # the table's sort key raises
        await pilot.pause()
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert app.is_running
        where = [w for w, _ in app.errors]
        assert "the agents view" in where and "action sort_next" in where, where
        shown = notes(app)
        assert any("drawing went wrong" in n for n in shown), shown
        await pilot.press("2")  # and the app still answers keys
        await pilot.pause()
        assert app.current_view == "frameworks"


async def test_a_widget_whose_handler_raises_keeps_working(app: MesosApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken_click(self, event):  # type: ignore[no-untyped-def]
        raise ValueError("click went wrong")

    monkeypatch.setattr(VirtualTable, "on_click", broken_click)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        table = app.query_one("#tasks-table", VirtualTable)
        await pilot.click("#tasks-table", offset=(2, 3))
        await pilot.pause()
        assert any("VirtualTable" in w and "click" in w for w, _ in app.errors), app.errors
        before = table.cursor
        await pilot.press("down")  # the table's own message loop still runs
        await pilot.pause()
        assert table.cursor == before + 1 and app.is_running
