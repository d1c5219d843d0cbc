"""Logs (a real growing file through the reader interface: follow, search, wrap, stderr) and
the offers view's teaching mode (pause/resume, one cycle, who got what and why)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Region

from mesos_tui.client.files import LocalLogSource
from mesos_tui.client.mirror import ClusterMirror
from mesos_tui.tui import synthetic
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.screens.logs import LogScreen
from mesos_tui.tui.widgets.log_view import LogView
from mesos_tui.tui.widgets.offers_view import OffersView
from tests.tui.conftest import NOW, SIZE, FakeControl, screen_text


def log_app(mirror: ClusterMirror, control: FakeControl, sandbox: Path) -> MesosApp:
    def local(task, agent, file):  # type: ignore[no-untyped-def]
        return LocalLogSource(str(sandbox / file), poll=0.01)

    return MesosApp(mirror=mirror, control=control, connect=False, keymap={},
                    log_source=local, clock=lambda: NOW)


async def wait_for_lines(pilot, view: LogView, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        view.flush()
        if len(view.lines) >= n:
            return
        await pilot.pause(0.01)
    raise AssertionError(f"only {len(view.lines)} of {n} lines arrived: {view.status}")


async def test_logs_follow_a_growing_file(mirror, control, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "stdout"
    out.write_text("".join(f"line {i}\n" for i in range(100)))
    (tmp_path / "stderr").write_text("oops: something failed\n")
    app = log_app(mirror, control, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "l")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        view = app.screen.query_one(LogView)
        await wait_for_lines(pilot, view, 100)
        assert view.lines[0] == "line 0" and view.lines[-1] == "line 99"
        with out.open("a") as f:  # the task writes more
            f.write("".join(f"line {i}\n" for i in range(100, 5000)))
        await wait_for_lines(pilot, view, 5000)
        await pilot.pause()
        assert view.follow
        assert int(view.scroll_offset.y) == view.virtual_size.height - view.size.height
        assert "line 4999" in screen_text(app)

        # search: / then n / N
        await pilot.press("slash", *"line 42$", "enter")
        await pilot.pause()
        assert view.current_match == 42 and not view.follow
        assert "line 42" in screen_text(app)
        await pilot.press("n")
        assert view.current_match == 42  # the only match: wraps around to itself
        view.set_search(r"line 1\d\d\d$")
        await pilot.press("n")
        first = view.current_match
        await pilot.press("n")
        assert view.current_match == first + 1  # type: ignore[operator]
        await pilot.press("N")
        assert view.current_match == first

        # wrap toggles, and follow comes back with f
        await pilot.press("w")
        assert view.wrap
        await pilot.press("w", "f")
        await pilot.pause()
        assert not view.wrap and view.follow

        # tab: stderr
        await pilot.press("tab")
        await wait_for_lines(pilot, view, 1)
        assert view.lines == ["oops: something failed"]
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, LogScreen)


async def test_logs_missing_file_is_a_message(mirror, control, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = log_app(mirror, control, tmp_path / "nowhere")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "l")
        await pilot.pause()
        view = app.screen.query_one(LogView)
        for _ in range(100):
            if view.status.startswith("error"):
                break
            await pilot.pause(0.01)
        assert view.status.startswith("error: cannot open")


async def test_log_view_keeps_up_with_a_fast_writer(mirror, control, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "stdout"
    out.write_bytes(b"")
    (tmp_path / "stderr").write_bytes(b"")
    app = log_app(mirror, control, tmp_path)
    line = b"x" * 99 + b"\n"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "l")
        await pilot.pause()
        view = app.screen.query_one(LogView)
        with out.open("ab") as f:
            for _ in range(10):  # 10 MB in ten writes
                f.write(line * 10_000)
                f.flush()
                await pilot.pause(0.01)
        await wait_for_lines(pilot, view, 100_000)
        await pilot.press("up")  # still answers keys
        assert not view.follow


async def test_offers_teaching_mode(app: MesosApp, control: FakeControl) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("space")
        await app.workers.wait_for_complete()
        assert control.calls == [("pause",)]
        ev = synthetic.Event(type=synthetic.Event.ALLOCATOR_UPDATED)
        ev.allocator_updated.paused = True
        app.mirror.apply(ev)
        app.refresh_views()
        await pilot.pause()
        assert "PAUSED" in screen_text(app)

        await pilot.press("n")
        await app.workers.wait_for_complete()
        assert control.calls[-1] == ("step",)
        # The master answers with an explained cycle: before, the walk, after.
        snap = synthetic.snapshot(agents=12, frameworks=5, tasks=120, offers=6, now=NOW)
        app.mirror.apply(synthetic.explained_allocation(snap, NOW))
        app.refresh_views()
        await pilot.pause()
        assert "Step: cycle #1201" in screen_text(app)  # brought into view
        w = app.query_one("#step-panel")
        text = " ".join(s.text for s in w.render_lines(Region(0, 0, w.size.width,
                                                                w.size.height)))
        text = " ".join(text.split())
        assert "Step: cycle #1201" in text
        assert "Before the cycle" in text and "After the cycle" in text
        assert "offered counts as allocated until declined" in text
        first = snap.subscribed.get_state.sorter.frameworks[0].name
        second = snap.subscribed.get_state.sorter.frameworks[1].name
        assert f"node-001 free cpus 4 mem 8.0G → offered to {first}" in text
        assert f"skipped {first}: filtered: it declined cpus 2 mem 2.0G here" in text
        assert "not walked, nothing free: node-003" in text
        assert f"→ offered to {second}" in text

        await pilot.press("space")
        await app.workers.wait_for_complete()
        assert control.calls[-1] == ("resume",)


def sorter_lines(app: MesosApp) -> list[str]:
    w = app.query_one("#sorter-panel")
    return [s.text for s in w.render_lines(Region(0, 0, w.size.width, w.size.height))]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (250, 70)])
async def test_drf_table_keeps_names_first_and_uses_the_width(app: MesosApp, size) -> None:  # type: ignore[no-untyped-def]
    for _ in range(20):
        app.mirror.sample_history()
    async with app.run_test(size=size) as pilot:
        await pilot.press("4")
        await pilot.pause()
        lines = sorter_lines(app)
        text = "\n".join(lines)
        for row in app.mirror.sorter.frameworks:  # type: ignore[union-attr]
            assert row.name in text, (size, text)
        header = next(line for line in lines if "FRAMEWORK" in line)
        assert "DOMINANT" in header
        if size[0] >= 250:
            assert all(h in header for h in ("ROLE", "CPUS", "MEM", "DISK", "W", "OVER TIME"))
            assert any(ch in text for ch in "▁▂▃▄▅▆▇█")  # the share chart


async def test_a_lost_stream_makes_the_allocator_unknown(app: MesosApp) -> None:
    from mesos_tui.client.operator import RECONNECTING, ConnectionStatus

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.pause()
        assert "Allocator running" in " ".join(screen_text(app).split())
        app.connection = ConnectionStatus(phase=RECONNECTING, master="127.0.0.1:5050",
                                          address="127.0.0.1:5050", detail="refused")
        app.query_one(OffersView).tick()
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Allocator UNKNOWN" in text and "Allocator running" not in text
        assert "may be stale" in text


async def test_offer_timeline_shows_each_path(app: MesosApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120, seed=5)
        for _ in range(8):
            app.mirror.apply(stream.offer_sent())
        for _ in range(8):
            app.mirror.apply(stream.offer_ended())
        app.refresh_views()
        await pilot.pause()
        outcomes = {r.outcome for r in app.mirror.timeline}
        assert {"accepted", "declined"} <= outcomes
        text = screen_text(app)
        assert "accepted" in text and "refuse 5s" in text
