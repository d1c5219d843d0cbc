"""The `:` bar is the shell: every command runs through the shell's registry in the app's
session; list output shows in a panel, errors as one line, a kill of several tasks asks first
in the TUI's own modal (Cancel by default) and on Yes runs the command's `confirm.line`."""

from __future__ import annotations

from typing import Any

from mesos_tui.client.mirror import TERMINAL_STATES
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.screens.confirm import ConfirmScreen
from mesos_tui.tui.screens.output import OutputScreen
from mesos_tui.tui.widgets.tasks_view import TasksView
from tests.tui.conftest import SIZE, FakeControl, screen_text


async def bar(pilot: Any, app: MesosApp, line: str) -> None:
    """Type `:line` and enter, then wait for the command's worker."""
    await pilot.press("colon")
    app.query_one("#command-bar").value = line  # type: ignore[attr-defined]
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


def messages(app: MesosApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def active(app: MesosApp, name: str) -> list[str]:
    return sorted(t.id for t in app.mirror.tasks.values()
                  if t.name == name and t.state not in TERMINAL_STATES)


async def test_list_commands_show_in_a_panel(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await bar(pilot, app, "tasks state:running")
        assert isinstance(app.screen, OutputScreen)
        text = app.screen.text
        assert text.splitlines()[0].split()[:3] == ["ID", "NAME", "STATE"]
        running = sorted(t.id for t in app.mirror.tasks.values() if t.state_name == "running")
        assert sorted(line.split()[0] for line in text.splitlines()[1:]) == running
        assert "TASK_RUNNING" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, OutputScreen)

        await bar(pilot, app, "help")
        assert isinstance(app.screen, OutputScreen)
        for word in ("launch", "kill", "tasks", "filter", "logs"):
            assert f"  {word} " in app.screen.text
        await pilot.press("q")
        await pilot.pause()
        await bar(pilot, app, "frameworks")  # a bare view name switches the view
        assert app.current_view == "frameworks" and not isinstance(app.screen, OutputScreen)
        await bar(pilot, app, "frameworks --all")  # with flags it is the shell's listing
        assert isinstance(app.screen, OutputScreen) and "command-queue" in app.screen.text


async def test_errors_are_one_line(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for line, expected in (
            ("frobnicate", "unknown command 'frobnicate'"),
            ("tasks colour:red", "unknown filter field 'colour:'"),
            ("tasks [oops", "bad regular expression '[oops'"),
            ("kill no-such-task", "kill: no active task matches 'no-such-task'"),
            ("launch -- sleep 1", "no master to launch on"),
        ):
            await bar(pilot, app, line)
            assert not isinstance(app.screen, OutputScreen), line
            last = messages(app)[-1]
            assert expected in last and "\n" not in last, (line, last)


async def test_kill_of_many_asks_cancel_by_default(app: MesosApp, control: FakeControl) -> None:
    async with app.run_test(size=SIZE) as pilot:
        victims = active(app, "wordcount-0")
        assert len(victims) > 1
        await bar(pilot, app, "kill wordcount-0")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Kill {len(victims)} tasks?" in screen_text(app)
        assert victims[0] in screen_text(app)
        await pilot.press("enter")  # Cancel has the focus
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert control.calls == []
        assert "Kill cancelled." in messages(app)


async def test_kill_of_many_confirmed_runs_the_confirm_line(
    app: MesosApp, control: FakeControl
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        victims = active(app, "wordcount-0")
        await bar(pilot, app, "kill wordcount-0")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("tab", "enter")  # move to Kill, press it
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(c[1] for c in control.calls) == victims
        assert any(m.startswith("kill sent: ") for m in messages(app))


async def test_kill_of_one_by_id_or_filter_needs_no_question(
    app: MesosApp, control: FakeControl
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        task = next(t for t in app.mirror.tasks.values() if t.state_name == "running")
        await bar(pilot, app, f"kill {task.id}")
        assert not isinstance(app.screen, ConfirmScreen)
        assert control.calls == [("kill", task.id, task.framework_id)]
        await bar(pilot, app, f"kill id:^{task.id}$ -y")
        assert len(control.calls) == 2


async def test_filter_command_is_the_tasks_view_filter(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await bar(pilot, app, "filter state:failed")
        view = app.query_one(TasksView)
        assert app.current_view == "tasks"
        assert view.filter.text == "state:failed"
        assert view.filter_input.value == "state:failed"
        assert {app.mirror.tasks[k].state_name for k in view.table.order} == {"failed"}
        assert app.shell_session.default_filter is not None
        # ... and a `/` filter is the session's default filter, which `:tasks` honours.
        view.show_filter("state:running framework:^pi$")
        await pilot.pause()
        assert app.shell_session.default_filter.text == "state:running framework:^pi$"
        await bar(pilot, app, "tasks")  # a bare view name: the view, filtered
        await bar(pilot, app, "tasks -a")
        assert isinstance(app.screen, OutputScreen)
        ids = sorted(line.split()[0] for line in app.screen.text.splitlines()[1:])
        assert ids == sorted(app.mirror.tasks[k].id for k in view.table.order)
        await pilot.press("escape")
        await bar(pilot, app, "filter --clear")
        assert view.filter.text == "" and len(view.table.order) == 120
        assert app.shell_session.default_filter is None


async def test_bar_completes_from_the_registry(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        shell = app.shell
        assert shell.suggest("lau") == "launch"
        assert shell.suggest("ev", ["events"]) == "events"
        assert shell.suggest("launch --na") == "launch --name"
        assert shell.suggest("tasks sta") == "tasks state:"
        task = next(iter(app.mirror.tasks.values()))
        suggestion = shell.suggest(f"kill {task.id[:-1]}")
        assert suggestion is not None and suggestion.startswith(f"kill {task.id[:-1]}")
        await pilot.press("colon", *"lau")
        await pilot.pause()
        await pilot.press("right")  # accept the suggestion
        assert app.query_one("#command-bar").value == "launch"  # type: ignore[attr-defined]
