"""The header at every size: each line fits the width (never wraps into the views), what
matters most is kept longest, a short terminal gets fewer lines, a wide one longer meters;
and its counts are the mirror's `counts()`, the figures the views and the shell print."""

from __future__ import annotations

import pytest
from rich.text import Text

from mesos_tui.client.operator import CONNECTED, RECONNECTING, ConnectionStatus
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.format import Part, fit_parts
from mesos_tui.tui.widgets.cluster_header import ClusterHeader
from tests.tui.conftest import NOW, make_mirror


def lines(header: ClusterHeader) -> list[str]:
    return str(header.render()).split("\n")


async def show(app: MesosApp, pilot, status: ConnectionStatus) -> ClusterHeader:  # type: ignore[no-untyped-def]
    app._on_status(status)
    app.cluster_name = "demo"
    app.refresh_views()
    await pilot.pause()
    await pilot.pause()
    return app.query_one(ClusterHeader)


CONNECTED_STATUS = ConnectionStatus(phase=CONNECTED, address="127.0.0.1:5050")


@pytest.mark.parametrize("size,rows", [((250, 70), 5), ((160, 45), 5), ((80, 24), 5),
                                       ((80, 18), 3), ((60, 16), 3), ((40, 12), 2)])
async def test_every_line_fits_and_short_terminals_get_fewer(app: MesosApp, size, rows) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=size) as pilot:
        header = await show(app, pilot, CONNECTED_STATUS)
        assert header.size == (size[0], rows)
        got = lines(header)
        assert len(got) == rows
        assert all(len(line) <= size[0] for line in got), got
        assert "127.0.0.1:5050" in got[0]  # the connection is the last thing to go
        if rows == 5:
            assert [line.split()[0] for line in got[2:]] == ["CPU", "MEM", "DISK"]
            # The meters' bars are as wide as each other.
            assert len({line.index("]") for line in got[2:]}) == 1
        elif rows == 3:
            assert [line.split()[0] for line in got[1:]] == ["CPU", "MEM"]  # DISK goes first
        else:
            assert got[1].split()[0] == "CPU" and "MEM" in got[1]


async def test_80_columns_keep_every_meter_and_its_figures(app: MesosApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        header = await show(app, pilot, CONNECTED_STATUS)
        cpu, memory, disk = lines(header)[2:5]
        t = app.mirror.totals()
        assert "used" in cpu and "alloc" in cpu and "offer" in cpu and "of 156" in cpu
        assert f"of {t.total.mem / 1024:.1f}G" in memory
        assert "used -" in disk  # disk use is not measured: said, not guessed


async def test_wide_terminal_uses_the_width() -> None:
    widths = {}
    for cols in (120, 250):
        app = MesosApp(mirror=make_mirror(), connect=False, keymap={}, clock=lambda: NOW)
        async with app.run_test(size=(cols, 40)) as pilot:
            header = await show(app, pilot, CONNECTED_STATUS)
            cpu = lines(header)[2]
            widths[cols] = cpu.index("]") - cpu.index("[")
            assert len(cpu.rstrip()) == cols  # the figures end at the right edge
            assert "allocated" in cpu and "(41%)" in cpu
    assert widths[250] >= widths[120] + 100


async def test_counts_are_the_mirrors(app: MesosApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        header = await show(app, pilot, CONNECTED_STATUS)
        c = app.mirror.counts()
        second = lines(header)[1]
        assert f"{c.agents} agents" in second and f"{c.frameworks} frameworks" in second
        assert f"{c.tasks_active} active tasks" in second and f"{c.offers} offers" in second
        await pilot.press("2")
        await pilot.pause()
        status = str(app.query_one("#frameworks-status").render())
        assert status.startswith(f"{c.frameworks} frameworks")


async def test_disconnected_header_does_not_claim_the_allocator_runs(app: MesosApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        header = await show(app, pilot, ConnectionStatus(
            phase=RECONNECTING, address="127.0.0.1:5050", detail="unavailable", attempt=3))
        assert "allocator unknown" in lines(header)[0]
        assert "running" not in lines(header)[0].replace("reconnecting", "")


def test_fit_parts_shortens_then_drops_the_least_important_first() -> None:
    parts = [
        Part(Text("AAAAAAAA"), Text("A"), priority=9, droppable=False),
        Part(Text("bbbbbbbb"), Text("b"), priority=1),
        Part(Text("cccccccc"), None, priority=5),
    ]
    assert str(fit_parts(parts, 100)) == "AAAAAAAA  bbbbbbbb  cccccccc"
    assert str(fit_parts(parts, 21)) == "AAAAAAAA  b  cccccccc"  # b shortened
    assert str(fit_parts(parts, 20)) == "AAAAAAAA  cccccccc"  # then left out
    assert str(fit_parts(parts, 10)) == "AAAAAAAA"
    assert str(fit_parts(parts, 1)) == "A"
    assert len(str(fit_parts(parts, 0))) == 0
