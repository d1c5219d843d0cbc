"""Every view behaves alike (issue 13): `/` filters each one in the one filter language with
its own fields, Enter opens details, `t` drills down to the tasks with the filter in the
title and Esc going back, shift+letter sorts (again: reverse); per-task usage; the roles and
pulse views; --readonly; the sandbox browser; log timestamps and match counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesos_tui.client.files import LocalLogSource
from mesos_tui.client.mirror import ClusterMirror
from mesos_tui.tui import synthetic
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.screens.details import AgentDetailScreen, FrameworkDetailScreen
from mesos_tui.tui.screens.logs import LogScreen
from mesos_tui.tui.screens.sandbox import LocalFiles, SandboxScreen
from mesos_tui.tui.widgets.filter_bar import FilterBar
from mesos_tui.tui.widgets.virtual_table import VirtualTable
from tests.tui.conftest import NOW, SIZE, FakeControl, screen_text


async def type_filter(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


def table_of(app: MesosApp, view: str) -> VirtualTable:
    return app.view(view).query(VirtualTable).first()


@pytest.mark.parametrize(("key", "view", "text", "check"), [
    ("1", "agents", "host:node-00[0-3]$",
     lambda app, row: row.hostname in {f"node-00{i}" for i in range(4)}),
    ("2", "frameworks", "role:^analytics$", lambda app, row: row.role == "analytics"),
    ("6", "roles", "role:^analytics$", lambda app, row: row.role == "analytics"),
    ("4", "offers", "outcome:outstanding", lambda app, row: row.outcome == "outstanding"),
])
async def test_slash_filters_every_table_view(app: MesosApp, key: str, view: str, text: str,
                                              check) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause()
        table = table_of(app, view)
        before = table.row_count
        await type_filter(pilot, text)
        rows = [table.source()[k] for k in table.order]
        assert 0 < len(rows) <= before
        assert all(check(app, r) for r in rows), rows
        if view != "offers":  # every outstanding offer is outstanding: nothing left out there
            assert len(rows) < before
        assert f"/{text}" in screen_text(app)  # the title says which filter is in force
        await pilot.press("escape")  # clears it
        await pilot.pause()
        assert table.row_count == before


async def test_a_filter_error_names_the_views_fields(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        table = table_of(app, "agents")
        await type_filter(pilot, "host:node-001")
        kept = table.row_count
        bar = app.query_one("#agents-filter", FilterBar)
        bar.value = "host:node-001 color:red"  # as pasted: one change
        await pilot.pause()
        assert "no filter field 'color:'" in bar.error and "host:" in bar.error
        assert table.row_count == kept  # the last good filter stays


async def test_events_view_filters_by_kind(app: MesosApp) -> None:
    stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120)
    for _ in range(200):
        app.mirror.apply(stream.next())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await pilot.pause()
        events = app.view("events")
        assert any(" TASK_UPDATED " not in line for line in events.lines)
        await type_filter(pilot, "kind:^TASK_UPDATED$")
        kept = len(events.lines)
        assert kept and all(" TASK_UPDATED " in line for line in events.lines)
        for _ in range(100):  # new events: only the matching ones are added
            app.mirror.apply(stream.next())
        app.refresh_views()
        await pilot.pause()
        assert len(events.lines) > kept
        assert all(" TASK_UPDATED " in line for line in events.lines)


async def test_enter_opens_agent_details_and_t_drills_down(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        table = table_of(app, "agents")
        table.sort_by("hostname")
        await pilot.pause()
        agent = app.mirror.agents[table.cursor_key]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AgentDetailScreen)
        text = screen_text(app)
        for what in (agent.id, "attributes", "ALLOCATED", "reserved", "known", "CPU used"):
            assert what in text, what
        await pilot.press("t")  # from the details: its tasks
        await pilot.pause()
        assert app.current_view == "tasks"
        rows = [app.mirror.tasks[k] for k in app.tasks_view.table.order]
        assert rows and all(t.agent_id == agent.id for t in rows)
        assert len(rows) == sum(1 for t in app.mirror.tasks.values() if t.agent_id == agent.id)
        title = screen_text(app)
        assert f"Tasks of agent {agent.hostname}" in title and "esc: back to agents" in title
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_view == "agents"  # Esc went back
        assert app.tasks_view.filter.text == "" and app.tasks_view.back_to is None


async def test_framework_details_and_drill_down_with_t(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        table = table_of(app, "frameworks")
        fw = app.mirror.frameworks[table.cursor_key]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FrameworkDetailScreen)
        text = screen_text(app)
        for what in (fw.id, fw.role, "capabilities", "share trend", "outstanding", "known"):
            assert what in text, what
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t")  # straight from the view
        await pilot.pause()
        rows = [app.mirror.tasks[k] for k in app.tasks_view.table.order]
        assert rows and all(t.framework_id == fw.id for t in rows)
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_view == "frameworks"


async def test_role_drill_down(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await pilot.pause()
        table = table_of(app, "roles")
        role = table.cursor_key
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_view == "tasks"
        rows = [app.mirror.tasks[k] for k in app.tasks_view.table.order]
        assert rows and all(app.mirror.frameworks[t.framework_id].role == role for t in rows)


@pytest.mark.parametrize(("key", "view", "letter", "column"), [
    ("1", "agents", "T", "tasks"), ("2", "frameworks", "N", "name"),
    ("3", "tasks", "C", "cpus"), ("6", "roles", "W", "weight"),
])
async def test_shift_letter_sorts_and_again_reverses(app: MesosApp, key: str, view: str,
                                                     letter: str, column: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause()
        table = table_of(app, view)
        await pilot.press(letter)
        await pilot.pause()
        assert (table.sort_column, table.sort_reverse) == (column, False)
        header = table.render_line(0).text
        label = next(c.label for c in table.columns if c.key == column)[:3]
        assert f"{label}" in header and "▲" in header
        values = [table._sort_values[i] for i in range(table.row_count)]
        assert values == sorted(values)
        await pilot.press(letter)
        await pilot.pause()
        assert table.sort_reverse and "▼" in table.render_line(0).text
        first = table.source()[table.order[0]]
        last = table.source()[table.order[-1]]
        key_of = next(c.sort_key for c in table.columns if c.key == column)
        assert key_of(first) >= key_of(last)


async def test_tasks_show_usage_against_allocation(app: MesosApp) -> None:
    """An agent's AGENT_USAGE report, per container, becomes each task's used/allocated."""
    from daemons.proto import master_pb2

    m = app.mirror
    running = [t for t in m.tasks.values() if t.active]
    hot = running[0]
    cold = next(t for t in running if t.agent_id != hot.agent_id)
    event = master_pb2.Event(type=master_pb2.Event.AGENT_USAGE)
    event.agent_usage.agent_id.value = hot.agent_id
    ex = event.agent_usage.usage.executors.add()
    ex.executor_info.framework_id.value = hot.framework_id
    ex.executor_info.executor_id.value = hot.executor_id or hot.id
    ex.tasks.add().id.value = hot.id
    ex.statistics.cpus_usage = hot.cpus * 0.95
    ex.statistics.mem_rss_bytes = int(hot.mem * 0.5 * 1024 * 1024)
    m.apply(event)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.press("C", "C")  # CPU used, largest first
        await pilot.pause()
        table = app.tasks_view.table
        assert table.order[0] == hot.key
        table.move_cursor(0)
        await pilot.pause()
        line = table.render_line(1).text
        assert f"{hot.cpus * 0.95:g}/{hot.cpus:g}" in line, line
        assert f"{hot.mem * 0.5:.0f}M/{hot.mem:.0f}M" in line, line
        assert "CPU used/ ▼" in table.render_line(0).text  # sorted by it, largest first
        table.move_cursor(table.index_of(cold.key))
        await pilot.pause()
        row = table.render_line(table.cursor - int(table.scroll_offset.y) + 1).text
        assert cold.id in row and f"-/{cold.cpus:g}" in row  # no report names it: not 0


async def test_pulse_view(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            app.tick()
        await pilot.press("7")
        await pilot.pause()
        text = screen_text(app)
        for what in ("CPU used", "CPU allocated", "CPU offered", "MEM offered", "Offers/min",
                     "running", "agents"):
            assert what in text, what
        assert len(app.history.cpu_offered) >= 5


async def test_readonly_refuses_kill_and_hides_it(mirror: ClusterMirror,
                                                  control: FakeControl) -> None:
    app = MesosApp(mirror=mirror, control=control, connect=False, keymap={}, readonly=True,
                   clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        assert "READ-ONLY" in screen_text(app)
        await pilot.press("3", "down", "ctrl+k")
        await pilot.pause()
        assert len(app.screen_stack) == 1  # no kill question
        assert any("read-only" in str(n.message) for n in app._notifications)
        await pilot.press("4", "space", "n", "d")
        await pilot.pause()
        await pilot.press("colon", *"kill t-1", "enter")
        await pilot.pause()
        running = [w for w in app.workers if w.group == "command"]
        if running:
            await app.workers.wait_for_complete(running)
        assert control.calls == []  # nothing reached the master
        assert not any(b.binding.action == "kill" and b.binding.show
                       for b in app.active_bindings.values())
        sections = dict(app.help_sections())
        assert not any(b.action in ("kill", "toggle_allocator", "step")
                       for bs in sections.values() for b in bs)


async def test_sandbox_browse_open_and_download(mirror: ClusterMirror, control: FakeControl,
                                                tmp_path: Path) -> None:
    task = next(t for t in mirror.tasks.values() if t.active)
    run = (tmp_path / "root" / task.agent_id / "frameworks" / task.framework_id / "executors"
           / (task.executor_id or task.id) / "runs" / "latest")
    (run / "data").mkdir(parents=True)
    (run / "stdout").write_text("hello from the task\n")
    (run / "stderr").write_text("")
    (run / "data" / "result.csv").write_text("a,b\n1,2\n")
    app = MesosApp(mirror=mirror, control=control, connect=False, keymap={},
                   files=lambda agent: LocalFiles(str(tmp_path / "root")), clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        table = app.tasks_view.table
        table.move_cursor(table.index_of(task.key))
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, SandboxScreen)
        screen = app.screen
        await app.workers.wait_for_complete()
        await pilot.pause()
        names = sorted(e.name for e in screen.entries.values())
        assert names == ["data", "stderr", "stdout"]
        screen.table.move_cursor(screen.table.index_of(f"{screen.root}/data"))
        await pilot.press("enter")  # into data/
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [e.name for e in screen.entries.values()] == ["result.csv"]
        assert "sandbox:/data" in screen_text(app)
        await pilot.press("d")  # download, to a path asked for
        box = screen.query_one("#sandbox-save")
        box.value = str(tmp_path / "copy.csv")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert (tmp_path / "copy.csv").read_text() == "a,b\n1,2\n"
        await pilot.press("d")  # again, to the same path: never overwritten
        box.value = str(tmp_path / "copy.csv")  # type: ignore[attr-defined]
        (tmp_path / "copy.csv").write_text("mine")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert (tmp_path / "copy.csv").read_text() == "mine"
        await pilot.press("enter")  # open result.csv in the log viewer
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        view = app.screen.view
        for _ in range(300):
            view.flush()
            if view.lines[:2] == ["a,b", "1,2"]:
                break
            await pilot.pause(0.01)
        assert view.lines[:2] == ["a,b", "1,2"]
        await pilot.press("escape")
        await pilot.press("backspace")  # up, back at the sandbox's top
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "stdout" in [e.name for e in screen.entries.values()]


async def test_sandbox_stays_inside_its_root(tmp_path: Path) -> None:
    from mesos_tui.client.files import LogSourceError

    files = LocalFiles(str(tmp_path))
    with pytest.raises(LogSourceError, match="outside the sandbox root"):
        await files.list("../..")


async def test_log_timestamps_and_match_count(mirror: ClusterMirror, control: FakeControl,
                                              tmp_path: Path) -> None:
    out = tmp_path / "stdout"
    out.write_text("".join(f"{'error' if i % 10 == 0 else 'ok'} {i}\n" for i in range(50)))

    def local(task, agent, file):  # type: ignore[no-untyped-def]
        return LocalLogSource(str(tmp_path / file), poll=0.01)

    app = MesosApp(mirror=mirror, control=control, connect=False, keymap={},
                   log_source=local, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "l")
        await pilot.pause()
        view = app.screen.view  # type: ignore[attr-defined]
        for _ in range(300):
            view.flush()
            if len(view.lines) >= 50:
                break
            await pilot.pause(0.01)
        await pilot.press("slash", *"error", "enter")
        await pilot.pause()
        assert view.match_count() == (1, 5)
        await pilot.press("n")
        app.screen.update_title()  # type: ignore[attr-defined]
        assert "/error 2/5 matches" in screen_text(app)
        await pilot.press("t")
        await pilot.pause()
        assert view.lines[0].startswith("········ ok 1") or view.lines[0].startswith(
            "········ error 0")  # the backlog has no arrival time
        with out.open("a") as f:
            f.write("late line\n")
        for _ in range(300):
            view.flush()
            if view.lines[-1].endswith("late line"):
                break
            await pilot.pause(0.01)
        assert view.lines[-1][:2].isdigit() and view.lines[-1][2] == ":"
        await pilot.press("t")
        await pilot.pause()
        assert view.lines[-1] == "late line" and view.lines[0] == "error 0"


async def test_enter_on_an_offer_opens_its_frameworks_details(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.pause()
        table = app.query_one("#offers-table", VirtualTable)
        table.focus()
        offer = app.mirror.offers[table.cursor_key]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FrameworkDetailScreen)
        assert app.screen.framework.id == offer.framework_id
        assert offer.id in screen_text(app)  # among its outstanding offers
