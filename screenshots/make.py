"""Regenerate the TUI's screenshots: one SVG per view, plus logs, help and the kill question.

By default from a live local cluster: a real master and three agents (`mesos_tui.local`), the
demo frameworks competing under DRF (`mesos_tui.frameworks.demo`), and the TUI connected to
it headless, at 160x45 (`agents.svg`, ...) and at 80x24 (`agents-80x24.svg`, ...).
`--synthetic` draws a realistic synthetic cluster instead (no daemons).

    .venv/bin/python screenshots/make.py [--synthetic] [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mesos_tui.client.files import LocalLogSource  # noqa: E402
from mesos_tui.client.mirror import ClusterMirror  # noqa: E402
from mesos_tui.tui import synthetic  # noqa: E402
from mesos_tui.tui.app import MesosApp  # noqa: E402
from mesos_tui.tui.widgets.log_view import LogView  # noqa: E402

SIZES = ((160, 45), (80, 24))  # the first is the README's; the others get a -WxH suffix


async def shoot(app: MesosApp, out: Path, settle: float, wait_for_cluster: bool) -> list[str]:
    saved: list[str] = []
    suffix = ""

    def save(name: str) -> None:
        app.save_screenshot(filename=f"{name}{suffix}.svg", path=str(out))
        saved.append(name + suffix)

    async with app.run_test(size=SIZES[0]) as pilot:
        if wait_for_cluster:
            deadline = time.monotonic() + 60
            m = app.mirror
            while time.monotonic() < deadline:
                await pilot.pause(0.5)
                running = sum(1 for t in m.tasks.values() if t.state_name == "running")
                if running >= 4 and len(m.timeline) >= 10 and m.allocation is not None:
                    break
            await pilot.pause(settle)
            print(f"live cluster: {len(m.agents)} agents, {len(m.frameworks)} frameworks, "
                  f"{len(m.tasks)} tasks, {len(m.timeline)} offers seen; "
                  f"{app.connection.text if app.connection else ''}")
        for size in SIZES:
            suffix = "" if size == SIZES[0] else f"-{size[0]}x{size[1]}"
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            for key, name in (("1", "agents"), ("2", "frameworks"), ("3", "tasks"),
                              ("4", "offers"), ("5", "events")):
                await pilot.press(key)
                await pilot.pause(0.3)
                save(name)
        suffix = ""
        await pilot.resize_terminal(*SIZES[0])
        await pilot.pause(0.3)
        await pilot.press("3")
        view = app.tasks_view
        view.set_filter("state:running")
        await pilot.pause(0.2)
        save("tasks-filtered")
        running = [t for t in app.mirror.tasks.values() if t.state_name == "running"]
        task = max(running, key=lambda t: t.started) if running else view.table.cursor_row
        if task is not None:
            app.open_logs(task)
            await pilot.pause(0.2)
            log = app.screen.query_one(LogView)
            for _ in range(100):
                log.flush()
                if len(log.lines) > 3:
                    break
                await pilot.pause(0.1)
            await pilot.pause(0.5)
            save("logs")
            await pilot.press("q")
        await pilot.press("space", "space", "ctrl+k")
        await pilot.pause(0.3)
        save("kill-confirm")
        await pilot.press("escape", "question_mark")
        await pilot.pause(0.3)
        save("help")
        await pilot.press("escape")
    return saved


def synthetic_app(tmp: Path) -> MesosApp:
    mirror = ClusterMirror()
    now = time.time()
    mirror.apply(synthetic.snapshot(agents=24, frameworks=6, tasks=400, offers=8, now=now - 60))
    stream = synthetic.EventStream(agents=24, frameworks=6, tasks=400)
    for i in range(60):
        for _ in range(20):
            mirror.apply(stream.next())
        if i % 10 == 0:
            mirror.apply(stream.allocation([stream.offer_sent().offer_sent.offer.id.value]))
        mirror.sample_history()
    log = tmp / "stdout"
    log.write_text("".join(f"map 3/6: {i * 1000} darts, pi ~ 3.14{i % 10}\n" for i in range(400)))
    (tmp / "stderr").write_text("")
    return MesosApp(mirror=mirror, connect=False, keymap={},
                    log_source=lambda task, agent, file: LocalLogSource(str(tmp / file)))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--synthetic", action="store_true", help="no daemons: a synthetic cluster")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent))
    p.add_argument("--settle", type=float, default=6.0, help="seconds of live history to gather")
    ns = p.parse_args()
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    if ns.synthetic:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            saved = asyncio.run(shoot(synthetic_app(Path(tmp)), out, 0, False))
    else:
        from mesos_tui.frameworks.demo import start_demo
        from mesos_tui.local import LocalCluster

        cluster = LocalCluster(agents=3)
        cluster.start()
        demo = None
        try:
            demo = start_demo(cluster.master)
            app = MesosApp(cluster.master, keymap={})
            saved = asyncio.run(shoot(app, out, ns.settle, True))
        finally:
            if demo is not None:
                demo.stop()
            cluster.stop()
    print("saved:", ", ".join(f"{out / n}.svg" for n in saved))
    return 0


if __name__ == "__main__":
    sys.exit(main())
