"""Logs (a real growing file through the reader interface: follow, search, wrap, stderr) and
the offers view's teaching mode (pause/resume, one cycle, who got what and why)."""

from __future__ import annotations

from pathlib import Path

from mesos_tui.client.files import LocalLogSource
from mesos_tui.client.mirror import ClusterMirror
from mesos_tui.tui import synthetic
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.screens.logs import LogScreen
from mesos_tui.tui.widgets.log_view import LogView
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
        # The master answers with a cycle: an offer and the shares that explain it.
        stream = synthetic.EventStream(agents=12, frameworks=5, tasks=120)
        sent = stream.offer_sent()
        app.mirror.apply(sent)
        app.mirror.apply(stream.allocation([sent.offer_sent.offer.id.value]))
        app.refresh_views()
        await pilot.pause()
        text = screen_text(app)
        fw = app.mirror.framework_name(sent.offer_sent.offer.framework_id.value)
        assert f"Last cycle #{stream.cycle}" in text
        assert f"{fw} got {sent.offer_sent.offer.hostname}" in text
        assert "in DRF order" in text

        await pilot.press("space")
        await app.workers.wait_for_complete()
        assert control.calls[-1] == ("resume",)


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
