"""One filter language: the same words pick the same tasks in the TUI's `/` filter, in the
shell's `tasks -a FILTER` and in `kill FILTER`, and the same bad words are the same error."""

from __future__ import annotations

import pytest

from mesos_tui.shell.registry import REGISTRY
from mesos_tui.shell.session import ShellSession
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.widgets.tasks_view import TasksView
from tests.tui.conftest import SIZE, FakeControl, make_mirror

FILTERS = [
    "",
    "state:running",
    "!state:running",
    "! state:running",
    "s:failed",
    "state:^TASK_KILLED$",
    "framework:^pi$ state:running",
    "fw:pi !agent:node-00[1-3]",
    r"task-000[0-4]\d",
    "agent:node-003 name:wordcount",
    "WORDCOUNT",
    'name:"wordcount-1"',
    "reason:memory",
    "id:0001\\d$",
    "command:^sleep",
    "cmd:600 !state:staging",
    "! name:^pi",
]
BAD = ["[oops", "colour:red", "state:(running", "name:'open", "a ! b"]


def commands(mirror) -> None:  # type: ignore[no-untyped-def]  # noqa: ANN001
    """A few tasks with a command line, as the shell's launch records them."""
    for i, t in enumerate(sorted(mirror.tasks.values(), key=lambda t: t.id)):
        if i % 7 == 0:
            mirror.note_command(t.framework_id, t.id, f"sleep {600 + i}")


async def shell_ids(session: ShellSession, text: str) -> set[str]:
    result = await REGISTRY.run(f"tasks -a {text}", session)
    assert result.ok, result.text
    return {line.split()[0] for line in result.text.splitlines()[1:]}


@pytest.fixture
def parity_app() -> MesosApp:
    mirror = make_mirror()
    commands(mirror)
    return MesosApp(mirror=mirror, control=FakeControl(), connect=False, keymap={})


async def test_same_filter_same_tasks_in_the_tui_and_the_shell(parity_app: MesosApp) -> None:
    app = parity_app
    shell = ShellSession("127.0.0.1:1")  # a shell of its own, over the same cluster
    shell.mirror = make_mirror()
    commands(shell.mirror)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        view = app.query_one(TasksView)
        for text in FILTERS:
            assert view.set_filter(text), text
            tui = {app.mirror.tasks[k].id for k in view.table.order}
            assert tui == await shell_ids(shell, text), text
            assert tui == await shell_ids(app.shell_session, text), text  # the `:` bar's
            if text:
                assert 0 < len(tui) < 120 or text in ("! name:^pi",), text


async def test_same_bad_filter_same_error(parity_app: MesosApp) -> None:
    app = parity_app
    shell = ShellSession("127.0.0.1:1")
    shell.mirror = make_mirror()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        view = app.query_one(TasksView)
        for text in BAD:
            assert not view.set_filter(text), text
            result = await REGISTRY.run(f"tasks {text}", shell)
            assert not result.ok
            what = view.error.split(" in filter ")[0]  # the shell's line parser words quotes
            assert view.error and what in result.text, (text, view.error, result.text)
            assert view.filter_input.has_class("-error")
        assert view.set_filter("state:running")
        assert not view.filter_input.has_class("-error")


async def test_typed_filter_and_kill_filter_agree(parity_app: MesosApp) -> None:
    app = parity_app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "slash", *"fw:pi", "enter")
        await pilot.pause()
        view = app.query_one(TasksView)
        tui = sorted(app.mirror.tasks[k].id for k in view.table.order
                     if app.mirror.tasks[k].active)  # kill picks among active tasks
        assert tui and view.filter.text == "fw:pi"
        result = await REGISTRY.run("kill fw:pi", app.shell_session)
        assert result.confirm is not None and sorted(result.confirm.items) == tui
