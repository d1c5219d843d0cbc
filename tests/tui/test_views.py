"""Each view draws the mirror; number keys and the `:` bar switch views; the header tells the
connection state; live events reach the visible rows."""

from __future__ import annotations

from mesos_tui.client.operator import RECONNECTING, REDIRECT, ConnectionStatus
from mesos_tui.tui import synthetic
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.widgets.cluster_header import ClusterHeader
from mesos_tui.tui.widgets.virtual_table import VirtualTable
from tests.tui.conftest import SIZE


async def test_number_keys_switch_views(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.current_view == "agents"
        for key, name in zip("23451", ["frameworks", "tasks", "offers", "events", "agents"],
                             strict=True):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_view == name
            assert app.query_one("#views").current == name  # type: ignore[attr-defined]


async def test_command_bar_switches_views_and_closes(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for command, view in (("tasks", "tasks"), ("fw", "frameworks"), ("o", "offers"),
                              ("ev", "events"), ("a", "agents")):
            await pilot.press("colon")
            bar = app.query_one("#command-bar")
            assert bar.has_class("-visible") and bar.has_focus
            await pilot.press(*command, "enter")
            await pilot.pause()
            assert app.current_view == view
            assert not bar.has_class("-visible")


async def test_command_bar_escape_and_unknown_command(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", "x", "escape")
        assert not app.query_one("#command-bar").has_class("-visible")
        await pilot.press("colon", *"frobnicate", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.current_view == "agents"
        messages = [n.message for n in app._notifications]
        assert any("frobnicate" in m for m in messages)


async def test_agents_view_rows_and_live_usage(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one("#agents-table", VirtualTable)
        assert table.row_count == 12
        assert table.order[0] == synthetic.agent_id(0)  # sorted by hostname
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120)
        ev = stream.usage()
        app.mirror.apply(ev)
        app.refresh_views()
        await pilot.pause()
        agent = app.mirror.agents[ev.agent_usage.agent_id.value]
        # Used is the agent's own containers, not the host's figure beside them.
        containers = sum(e.statistics.cpus_usage for e in ev.agent_usage.usage.executors)
        assert agent.used_cpus == round(containers, 3) != ev.agent_usage.used.cpus_usage
        line = table.render_line(table.index_of(agent.id) + 1)  # type: ignore[operator]
        assert f"{agent.used_cpus:.2f}".rstrip("0") in line.text


async def test_frameworks_view(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        table = app.query_one("#frameworks-table", VirtualTable)
        assert table.row_count == 5
        text = "\n".join(table.render_line(y).text for y in range(6))
        for name in ("wordcount", "pi", "batch-queue", "gang-mpi", "command-queue"):
            assert name in text
        assert "connected" in text


async def test_events_view_follows_the_stream(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await pilot.pause()
        view = app.query_one("#events")
        before = len(view.lines)  # type: ignore[attr-defined]
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120)
        for _ in range(50):
            app.mirror.apply(stream.next())
        app.refresh_views()
        await pilot.pause()
        assert len(view.lines) == before + 50  # type: ignore[attr-defined]
        assert view.follow  # type: ignore[attr-defined]


async def test_header_says_what_it_waits_for(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        header = app.query_one(ClusterHeader)
        app._on_status(ConnectionStatus(phase=RECONNECTING, master="127.0.0.1:5050",
                                        address="127.0.0.1:5050", detail="unavailable",
                                        attempt=3, retry_in=2.0))
        app.refresh_views()
        await pilot.pause()
        assert "reconnecting to 127.0.0.1:5050" in str(header.render())
        app._on_status(ConnectionStatus(phase=REDIRECT, address="10.0.0.2:5050",
                                        leader="10.0.0.1:5050"))
        app.refresh_views()
        await pilot.pause()
        assert "standby 10.0.0.2:5050 → leader 10.0.0.1:5050" in str(header.render())


async def test_help_lists_every_binding_id(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        from mesos_tui.tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        ids = {b.id for _, bindings in app.help_sections() for b in bindings}
        for needed in ("view.tasks", "task.kill", "tasks.filter", "tasks.negate", "tasks.mark",
                       "offers.pause", "offers.step", "logs.next", "logs.wrap", "app.command"):
            assert needed in ids
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_every_binding_has_an_id() -> None:
    from textual.binding import Binding

    from mesos_tui.tui.screens.confirm import ConfirmScreen
    from mesos_tui.tui.screens.help import HelpScreen
    from mesos_tui.tui.screens.logs import LogScreen
    from mesos_tui.tui.screens.task_detail import TaskDetailScreen
    from mesos_tui.tui.widgets.line_view import LineView
    from mesos_tui.tui.widgets.offers_view import OffersView
    from mesos_tui.tui.widgets.tasks_view import TasksView

    for cls in (MesosApp, VirtualTable, TasksView, OffersView, LineView, LogScreen,
                ConfirmScreen, HelpScreen, TaskDetailScreen):
        for b in cls.BINDINGS:
            assert isinstance(b, Binding) and b.id, f"{cls.__name__}: {b}"


async def test_keymap_remaps_a_binding(mirror, control, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\n"view.tasks" = "t"\n')
    monkeypatch.setenv("MESOS_TUI_CONFIG", str(keys))
    app = MesosApp(mirror=mirror, control=control, connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        assert app.current_view == "tasks"


async def test_palette_offers_every_action(app: MesosApp) -> None:
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for needed in ("View: tasks", "Tasks: kill selected or marked", "Allocator: pause",
                       "Allocator: run one cycle", "Tasks: filter", "Help: every key"):
            assert needed in titles
