"""The TUI's `:` bar against a real local cluster (master and agent processes): a launch from
the bar runs under the shell's framework and shows in the tasks view; a kill of several
tasks asks first (Cancel by default); on exit the framework fails over and its tasks keep
running, where the next shell finds them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from daemons.proto import mesos_pb2
from mesos_tui.client.mirror import TERMINAL_STATES, TaskView
from mesos_tui.frameworks.queue import FRAMEWORK_NAME
from mesos_tui.local import LocalCluster, free_port
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.screens.confirm import ConfirmScreen
from mesos_tui.tui.widgets.tasks_view import TasksView

SIZE = (160, 45)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    work = tmp_path_factory.mktemp("tui-cluster")
    with LocalCluster(agents=2, master_port=free_port(), work_dir=str(work)) as c:
        yield c


async def until(pilot: Any, what: str, ready: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


async def bar(pilot: Any, app: MesosApp, line: str) -> None:
    await pilot.press("colon")
    app.query_one("#command-bar").value = line  # type: ignore[attr-defined]
    await pilot.press("enter")
    await commands_done(app)
    await pilot.pause()


async def commands_done(app: MesosApp) -> None:
    """The `:` commands' workers (not the operator stream's, which runs until the end)."""
    running = [w for w in app.workers if w.group == "command"]
    if running:  # (an empty list would mean every worker)
        await app.workers.wait_for_complete(running)


def named(app: MesosApp, prefix: str) -> list[TaskView]:
    return [t for t in app.mirror.tasks.values() if t.name.startswith(prefix)]


def shown(app: MesosApp) -> dict[str, TaskView]:
    table = app.query_one(TasksView).table
    return {app.mirror.tasks[k].id: app.mirror.tasks[k] for k in table.order}


async def test_launch_kill_and_leave_from_the_command_bar(cluster: LocalCluster) -> None:
    app = MesosApp(cluster.master, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, "the snapshot", lambda: len(app.mirror.agents) == 2)
        await pilot.press("3")

        await bar(pilot, app, "launch --name hello -- sleep 300")
        assert any("queued hello" in str(n.message) for n in app._notifications)
        await until(pilot, "hello to run", lambda: any(
            t.state_name == "running" for t in named(app, "hello")))
        await pilot.pause(0.3)  # a refresh of the view
        hello = shown(app)["hello"]
        assert hello.state_name == "running"
        assert app.mirror.framework_name(hello.framework_id) == FRAMEWORK_NAME
        assert hello.command == "sleep 300"
        app.query_one(TasksView).show_filter("command:^sleep\\ 300$")  # the command is known
        await pilot.pause()
        assert list(shown(app)) == ["hello"]
        app.query_one(TasksView).show_filter("")

        await bar(pilot, app, "launch --name many --count 3 -- sleep 300")
        await until(pilot, "3 tasks to run", lambda: sum(
            t.state_name == "running" for t in named(app, "many-")) == 3)

        await bar(pilot, app, "kill name:^many-")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # Cancel has the focus
        await commands_done(app)
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ConfirmScreen)
        assert all(t.state_name == "running" for t in named(app, "many-"))

        await bar(pilot, app, "kill name:^many-")
        await pilot.press("tab", "enter")  # Kill
        await commands_done(app)
        await until(pilot, "the kills", lambda: all(
            t.state in TERMINAL_STATES for t in named(app, "many-")))
        assert {t.state_name for t in named(app, "many-")} == {"killed"}
        assert hello.state_name == "running"
        framework_id = hello.framework_id

    # The app is gone; its framework fails over and hello keeps running.
    state = cluster.state()
    fws = {f.framework_info.id.value: f for f in state.get_frameworks.frameworks}
    assert framework_id in fws and not fws[framework_id].connected
    running = {t.task_id.value for t in state.get_tasks.tasks
               if t.state == mesos_pb2.TaskState.TASK_RUNNING}
    assert "hello" in running

    # A new TUI subscribes as the same framework: `:kill hello` finds and kills it.
    app = MesosApp(cluster.master, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, "the snapshot", lambda: len(app.mirror.agents) == 2)
        await bar(pilot, app, "kill hello")
        await until(pilot, "hello to die", lambda: all(
            t.state in TERMINAL_STATES for t in named(app, "hello")))
