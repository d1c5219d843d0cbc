"""What a k9s/htop user expects of the tables: natural order, active things first, the cursor
staying on its row while the cluster changes, and `?` listing every key with its id."""

from __future__ import annotations

from daemons.proto import master_pb2
from mesos_tui.client.mirror import TERMINAL_STATES
from mesos_tui.tui import synthetic
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.widgets.frameworks_view import FrameworksView
from mesos_tui.tui.widgets.tasks_view import TasksView
from mesos_tui.tui.widgets.virtual_table import VirtualTable, natural_key
from tests.tui.conftest import SIZE

Event = master_pb2.Event


def test_natural_key() -> None:
    names = ["t-10", "t-2", "t-1", "T-3", "t", "node-10", "node-9", "t-2a", "t-2.10", "t-2.9"]
    assert sorted(names, key=natural_key) == [
        "node-9", "node-10", "t", "t-1", "t-2", "t-2.9", "t-2.10", "t-2a", "T-3", "t-10"]


def framework_removed(fid: str) -> Event:
    e = Event(type=Event.FRAMEWORK_REMOVED)
    e.framework_removed.framework_info.id.value = fid
    return e


async def test_tasks_default_order_is_active_first_newest_first(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        table = app.query_one(TasksView).table
        tasks = [app.mirror.tasks[k] for k in table.order]
        terminal = [t.state in TERMINAL_STATES for t in tasks]
        assert terminal == sorted(terminal)  # every active task before any finished one
        assert "sorted by state ▲" in str(app.query_one("#tasks-status").render())


async def test_completed_frameworks_hide_behind_c_and_sort_last(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        view = app.query_one(FrameworksView)
        table = view.table
        top = table.order[0]
        app.mirror.apply(framework_removed(top))  # the largest share is torn down
        app.refresh_views()
        await pilot.pause()
        assert top not in table.order and table.row_count == 4
        assert "1 completed hidden (c shows them)" in str(
            app.query_one("#frameworks-status").render())
        await pilot.press("c")
        await pilot.pause()
        assert table.order[-1] == top  # shown, after every active one
        table.sort_by("name")
        assert table.order[-1] == top
        table.sort_by("name", reverse=True)
        assert table.order[-1] == top
        await pilot.press("c")
        assert top not in table.order


async def test_frameworks_cursor_stays_on_its_row_as_shares_move(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "down", "down")
        table = app.query_one(FrameworksView).table
        key = table.cursor_key
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120, seed=7)
        orders = set()
        for _ in range(8):
            app.mirror.apply(stream.allocation())
            app.refresh_views()
            await pilot.pause()
            shares = [app.mirror.frameworks[k].dominant_share for k in table.order]
            assert shares == sorted(shares, reverse=True)  # the live sort holds
            orders.add(tuple(table.order))
            assert table.cursor_key == key
            assert table.order[table.cursor] == key
        assert len(orders) > 1  # the rows did move under the cursor


async def test_tasks_cursor_stays_on_its_row_and_screen_line(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        table: VirtualTable = app.query_one(TasksView).table
        table.move_cursor(40)  # as 40 downs would (each key press costs a Pilot round trip)
        await pilot.pause()
        key = table.cursor_key
        line = table.cursor - int(table.scroll_offset.y)
        assert int(table.scroll_offset.y) > 0
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120)
        for _ in range(5):
            app.mirror.apply(stream.task_added())  # new tasks sort above the cursor
        app.refresh_views()
        await pilot.pause()
        assert table.cursor_key == key
        assert table.cursor - int(table.scroll_offset.y) == line
        # A row that changes state moves to its new place; the cursor follows its row.
        task = app.mirror.tasks[key]
        n = int(task.id[-5:])
        app.mirror.apply(stream.task_update(n, state=synthetic.TS.TASK_FINISHED))
        app.refresh_views()
        await pilot.pause()
        assert table.cursor_key == key
        tasks = [app.mirror.tasks[k] for k in table.order]
        terminal = [t.state in TERMINAL_STATES for t in tasks]
        assert terminal == sorted(terminal)


async def test_at_the_top_new_tasks_show_and_the_cursor_keeps_its_task(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        table = app.query_one(TasksView).table
        table.sort_by("id", reverse=True)  # the new task's id is the largest: first row
        await pilot.press("home")
        key = table.cursor_key
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120)
        app.mirror.apply(stream.task_added())
        app.refresh_views()
        await pilot.pause()
        assert int(table.scroll_offset.y) == 0
        assert table.cursor_key == key and table.cursor == 1  # the new one is above, shown


async def test_help_lists_every_key_of_every_screen_and_view(app: MesosApp) -> None:
    from mesos_tui.tui.screens.confirm import ConfirmScreen
    from mesos_tui.tui.screens.help import HelpScreen
    from mesos_tui.tui.screens.logs import LogScreen
    from mesos_tui.tui.screens.output import OutputScreen
    from mesos_tui.tui.screens.task_detail import TaskDetailScreen
    from mesos_tui.tui.widgets.line_view import LineView
    from mesos_tui.tui.widgets.offers_view import OffersView

    async with app.run_test(size=SIZE):
        listed = {b.id for _, bindings in app.help_sections() for b in bindings if b.id}
        for cls in (MesosApp, VirtualTable, TasksView, FrameworksView, OffersView, LineView,
                    LogScreen, ConfirmScreen, HelpScreen, TaskDetailScreen, OutputScreen):
            for b in cls.BINDINGS:
                assert b.id in listed, f"{cls.__name__}: {b.id} is not in ? help"
