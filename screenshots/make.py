"""Regenerate the TUI's screenshots: one SVG per view, plus logs, help and the kill question,
the agent and framework details, a drill-down, the sandbox browser, a log search with
timestamps, and the read-only footer.

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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mesos_tui.client.files import LocalLogSource  # noqa: E402
from mesos_tui.client.mirror import ClusterMirror  # noqa: E402
from mesos_tui.tui import synthetic  # noqa: E402
from mesos_tui.tui.app import MesosApp  # noqa: E402
from mesos_tui.tui.screens.sandbox import LocalFiles  # noqa: E402
from mesos_tui.tui.widgets.log_view import LogView  # noqa: E402

SIZES = ((160, 45), (80, 24))  # the first is the README's; the others get a -WxH suffix


async def shoot(app: MesosApp, out: Path, settle: float, wait_for_cluster: bool,
                prepare_sandbox: Any = None) -> list[str]:
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
                              ("4", "offers"), ("5", "events"), ("6", "roles"),
                              ("7", "pulse")):
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
        view.show_filter("")
        # An agent's details, then t: its tasks, the drill-down's filter in the title.
        await pilot.press("1")
        await pilot.pause(0.2)
        await pilot.press("T", "T")  # most tasks first
        await pilot.press("enter")
        await pilot.pause(0.3)
        save("agent-detail")
        await pilot.press("t")
        await pilot.pause(0.3)
        save("tasks-drilled")
        await pilot.press("escape")
        await pilot.press("2")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await pilot.pause(0.3)
        save("framework-detail")
        await pilot.press("escape")
        # The sandbox of a task, and a file of it in the log viewer, searched, with times.
        await pilot.press("3")
        if task is not None:
            if prepare_sandbox is not None:
                prepare_sandbox(task)
            app.open_sandbox(task)
            for _ in range(50):
                await pilot.pause(0.1)
                if app.screen.entries or app.screen.error:  # type: ignore[attr-defined]
                    break
            await pilot.pause(0.3)
            save("sandbox")
            await pilot.press("escape")
            app.open_logs(task)
            await pilot.pause(0.5)
            log = app.screen.query_one(LogView)
            for _ in range(100):
                log.flush()
                if len(log.lines) > 3:
                    break
                await pilot.pause(0.1)
            await pilot.press("slash", *"1", "enter", "t")
            await pilot.pause(0.5)
            save("logs-search")
            await pilot.press("q")
        # Read-only: the footer says so, and has no kill key.
        app.readonly = True
        app.hide_write_bindings()
        await pilot.press("3")
        await pilot.resize_terminal(*SIZES[1])
        await pilot.pause(0.3)
        save("readonly-80x24")
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
                    log_source=lambda task, agent, file: LocalLogSource(str(tmp / file)),
                    files=lambda agent: LocalFiles(str(tmp / "sandboxes")))


def synthetic_sandbox(tmp: Path) -> Any:
    """A sandbox, laid out as an agent lays one out, for the task the screenshot opens."""

    def prepare(task: Any) -> None:
        run = (tmp / "sandboxes" / task.agent_id / "frameworks" / task.framework_id
               / "executors" / (task.executor_id or task.id) / "runs" / "latest")
        (run / "output").mkdir(parents=True, exist_ok=True)
        (run / "stdout").write_text((tmp / "stdout").read_text())
        (run / "stderr").write_text("")
        (run / "output" / "part-00000").write_text("pi 3.14159\n" * 200)
        (run / "pi.py").write_text("import random\n" * 40)

    return prepare


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
            saved = asyncio.run(shoot(synthetic_app(Path(tmp)), out, 0, False,
                                      synthetic_sandbox(Path(tmp))))
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
