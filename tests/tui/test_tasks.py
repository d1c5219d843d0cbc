"""The tasks view: filters (text, regex, negation, fields), marks, kill with a confirmation
that defaults to Cancel, details."""

from __future__ import annotations

from mesos_tui.client.mirror import STATE_ORDER, ClusterMirror
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.filter import TaskFilter, task_predicate
from mesos_tui.tui.screens.confirm import ConfirmScreen
from mesos_tui.tui.screens.task_detail import TaskDetailScreen
from mesos_tui.tui.widgets.tasks_view import TasksView
from mesos_tui.tui.widgets.virtual_table import natural_key
from tests.tui.conftest import SIZE, FakeControl, screen_text


def shown(app: MesosApp) -> list:  # type: ignore[type-arg]
    view = app.query_one(TasksView)
    return [app.mirror.tasks[k] for k in view.table.order]


def expected(mirror: ClusterMirror, text: str) -> set[str]:
    keep = task_predicate(TaskFilter.parse(text), mirror)
    return {t.key for t in mirror.tasks.values() if keep is None or keep(t)}


async def type_filter(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *text.replace(" ", "\x00"))


async def test_filter_by_text_field_regex_and_negation(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        view = app.query_one(TasksView)
        assert len(shown(app)) == 120

        view.set_filter("state:running")
        assert {t.state_name for t in shown(app)} == {"running"}
        running = len(shown(app))
        assert 0 < running < 120

        view.set_filter("state:running framework:^pi$")
        assert shown(app) and all(t.state_name == "running" for t in shown(app))
        assert {app.mirror.framework_name(t.framework_id) for t in shown(app)} == {"pi"}

        view.set_filter("!state:running")
        assert len(shown(app)) == 120 - running
        assert "running" not in {t.state_name for t in shown(app)}

        view.set_filter(r"task-000[0-4]\d")  # a regex over id/name/state/agent/framework
        assert {t.key for t in shown(app)} == expected(app.mirror, r"task-000[0-4]\d")
        assert all(int(t.id[-5:]) < 50 for t in shown(app))

        view.set_filter("agent:node-003 name:wordcount")
        assert shown(app)
        assert all(app.mirror.agents[t.agent_id].hostname == "node-003" for t in shown(app))
        assert all(t.name.startswith("wordcount") for t in shown(app))

        view.set_filter("! state:running")  # negate the whole filter
        assert len(shown(app)) == 120 - running

        before = shown(app)
        assert not view.set_filter("[unclosed")  # a bad regex: an error, the filter holds
        assert shown(app) == before
        assert "bad regular expression '[unclosed'" in view.error
        assert "filter error" in str(app.query_one("#tasks-status").render())
        assert not view.set_filter("colour:red")  # an unknown field: an error too
        assert "unknown filter field 'colour:'" in view.error
        assert view.set_filter("")
        assert view.error == "" and len(shown(app)) == 120


async def test_filter_typed_with_keys_and_bang_key(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "slash")
        box = app.query_one("#task-filter")
        assert box.has_focus
        await pilot.press(*"state:failed", "enter")
        await pilot.pause()
        assert shown(app) and {t.state_name for t in shown(app)} == {"failed"}
        assert app.query_one(TasksView).table.has_focus
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert shown(app) and "failed" not in {t.state_name for t in shown(app)}
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert {t.state_name for t in shown(app)} == {"failed"}
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown(app)) == 120


async def test_filter_holds_as_tasks_change(app: MesosApp) -> None:
    from mesos_tui.tui import synthetic

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        view = app.query_one(TasksView)
        view.set_filter("state:staging")
        before = {t.key for t in shown(app)}
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120)
        app.mirror.apply(stream.task_added())  # a new staging task appears
        app.refresh_views()
        await pilot.pause()
        after = {t.key for t in shown(app)}
        assert len(after) == len(before) + 1
        key = next(iter(before))
        task = app.mirror.tasks[key]
        n = int(task.id[-5:])
        app.mirror.apply(stream.task_update(n, state=synthetic.TS.TASK_RUNNING))
        app.refresh_views()
        await pilot.pause()
        assert key not in {t.key for t in shown(app)}


async def test_kill_is_cancelled_by_default(app: MesosApp, control: FakeControl) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # Cancel has the focus
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        await app.workers.wait_for_complete()
        assert control.calls == []
        await pilot.press("ctrl+k", "escape")
        await pilot.pause()
        assert control.calls == []


async def test_kill_confirmed_kills_the_selected_task(app: MesosApp, control: FakeControl) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "down")
        task = app.query_one(TasksView).table.cursor_row
        await pilot.press("ctrl+k")
        await pilot.pause()
        await pilot.press("tab", "enter")  # move to Kill, press it
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert control.calls == [("kill", task.id, task.framework_id)]


async def test_marked_tasks_are_killed_together(app: MesosApp, control: FakeControl) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "space", "m", "down", "space")  # mark rows 0, 1 and 3
        await pilot.pause()
        view = app.query_one(TasksView)
        marked = [app.mirror.tasks[k] for k in view.table.order[:4]]
        assert len(view.table.marked) == 3
        assert "3 marked" in str(app.query_one("#tasks-status").render())
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert "Kill 3 tasks?" in str(app.screen.query_one("#confirm-title").render())
        await pilot.press("right", "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [c[1] for c in control.calls] == [marked[0].id, marked[1].id, marked[3].id]
        assert not view.table.marked  # cleared after the kill


async def test_kill_outside_the_tasks_view_explains(app: MesosApp, control: FakeControl) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("tasks view" in n.message for n in app._notifications)


async def test_enter_shows_details(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen)
        task = app.screen.task_view
        assert task.id in screen_text(app) and "history" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TaskDetailScreen)


async def test_sort_by_key_and_header_click(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        table = app.query_one(TasksView).table
        assert table.sort_column == "state"
        await pilot.press("s")  # next column: framework
        await pilot.pause()
        assert table.sort_column == "framework"
        assert "sorted by framework" in str(app.query_one("#tasks-status").render())
        table.sort_by("name")
        names = [app.mirror.tasks[k].name for k in table.order]
        assert table.sort_column == "name" and names == sorted(names, key=natural_key)
        assert names != sorted(names)  # wordcount-2 before wordcount-10
        await pilot.press("r")  # reverses the sort in force
        await pilot.pause()
        assert [app.mirror.tasks[k].name for k in table.order] == sorted(
            names, key=natural_key, reverse=True)
        table.sort_by("state")  # the default: active first, in lifecycle order, newest first
        tasks = [app.mirror.tasks[k] for k in table.order]
        ranks = [STATE_ORDER.index(t.state) for t in tasks]
        assert ranks == sorted(ranks)
        active = [t.active for t in tasks]
        assert active == sorted(active, reverse=True) and any(active) and not all(active)
        for a, b in zip(tasks, tasks[1:], strict=False):
            if a.state == b.state:
                assert int(a.started) >= int(b.started)
