"""Against real masters and agents: `:ctx` switches the running app from one cluster to
another (a contexts file naming two real masters), and the sandbox browser lists a real
task's sandbox through its agent's Files API and opens a file from it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.contexts import load_contexts
from mesos_tui.tui.screens.logs import LogScreen
from mesos_tui.tui.screens.sandbox import SandboxScreen
from tests.cluster import Cluster

SIZE = (120, 40)


async def until(pilot: Any, what: str, ready: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


@pytest.mark.timeout(180)
async def test_ctx_switches_between_two_real_masters(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:3;mem:1024;disk:100")
    async with Cluster(tmp_path / "other") as other:
        await other.start_master()
        await other.start_agent("cpus:5;mem:2048;disk:100")
        clusters = tmp_path / "clusters.toml"
        clusters.write_text(
            f'default = "one"\n\n[one]\nmaster = "{cluster.master_address}"\n\n'
            f'[two]\nmaster = "{other.master_address}"\n')
        monkeypatch.setenv("MESOS_TUI_CLUSTERS", str(clusters))
        app = MesosApp(context=load_contexts().get("one"), keymap={})
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, "cluster one", lambda: app.mirror.totals().total.cpus == 3)
            await app.run_command("ctx").wait()
            await pilot.pause()
            listing = app.screen.query_one("#output-text").render()  # type: ignore[attr-defined]
            assert "one" in str(listing) and "two" in str(listing)
            await pilot.press("escape")
            await app.run_command("ctx two").wait()
            await until(pilot, "cluster two", lambda: app.mirror.subscribed
                        and app.mirror.totals().total.cpus == 5)
            assert app.master == other.master_address
            assert len(app.mirror.agents) == 1  # cluster one's agent is forgotten
            app.refresh_views()
            await pilot.pause()
            title = app.query_one("#view-title").render()  # type: ignore[attr-defined]
            assert "[two]" in str(title)
            result = await app.run_command("ctx three").wait()
            assert not result.ok and "no context 'three'" in result.text
            assert app.master == other.master_address  # a bad name changes nothing
            await app.run_command("ctx one").wait()
            await until(pilot, "back on one", lambda: app.mirror.totals().total.cpus == 3)
            assert app.errors == []


@pytest.mark.timeout(180)
async def test_sandbox_of_a_real_task(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024;disk:100")
    app = MesosApp(cluster.master_address, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, "the snapshot", lambda: len(app.mirror.agents) == 1)
        r = await app.shell.run("launch --name sbx --cpus 0.1 --mem 16 -- "
                                "echo hello-sandbox; mkdir out; echo 42 > out/answer")
        assert "queued" in r.text, r.text
        await until(pilot, "the task to finish", lambda: any(
            t.name == "sbx" and t.state_name == "finished" for t in app.mirror.tasks.values()))
        task = next(t for t in app.mirror.tasks.values() if t.name == "sbx")
        app.open_sandbox(task)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SandboxScreen)
        await until(pilot, "the listing", lambda: bool(screen.entries) or bool(screen.error))
        names = {e.name for e in screen.entries.values()}
        assert {"stdout", "stderr", "out"} <= names, (names, screen.error)
        screen.table.move_cursor(screen.table.index_of(f"{screen.root}/out"))
        await pilot.press("enter")
        await until(pilot, "out/", lambda: [e.name for e in screen.entries.values()]
                    == ["answer"])
        await pilot.press("enter")
        await until(pilot, "the file open", lambda: isinstance(app.screen, LogScreen))
        view = app.screen.view  # type: ignore[attr-defined]
        await until(pilot, "its text", lambda: (view.flush(), view.lines[:1] == ["42"])[1])
        assert app.errors == []
