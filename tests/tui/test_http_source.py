"""The TUI and the shell on a master reached over Mesos's v1 operator HTTP API alone.

A real master and agent (tests/cluster.py) with a framework running a real task; the app is
given `http://host:port`, so it reads the master through `HttpOperatorClient`: `POST /api/v1`
SUBSCRIBE (RecordIO) and calls. Its gRPC path (`OperatorClient._stub`, the only way the
operator client reaches gRPC) is made to fail the test if anything takes it.

- With the `Mesos-Tui-Extensions` header (our master, asked for everything), the views show
  agents, frameworks and tasks, and the offers view shows the offer cycle.
- Without it (what an Apache Mesos master streams), the same views show agents, frameworks and
  tasks, and the offers view says plainly that this master does not stream the offer cycle;
  kill and the allocator's controls say in one line why they are not there.
- The shell (`ShellSession`, what `mesos-tui shell --master http://...` runs) lists the same.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from daemons.proto import mesos_pb2
from mesos_tui.client.http_operator import NO_ALLOCATOR, NO_KILL, HttpOperatorClient
from mesos_tui.client.operator import CONNECTED, OperatorClient
from mesos_tui.client.scheduler import task_info
from mesos_tui.shell.session import ShellSession
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.widgets.offers_view import NOT_STREAMED
from mesos_tui.tui.widgets.view_title import ViewTitle
from mesos_tui.tui.widgets.virtual_table import VirtualTable
from tests.cluster import Cluster

# Where the screenshots go: a temporary folder, or screenshots/ when asked
# (MESOS_TUI_SCREENSHOTS=screenshots): a test run leaves the repository as it was.
SCREENSHOTS = os.environ.get("MESOS_TUI_SCREENSHOTS", "")
DEADLINE = 30.0


@pytest.fixture
def no_grpc(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every gRPC channel the operator client would open, recorded and refused."""
    opened: list[str] = []

    def refuse(self: OperatorClient, address: str) -> Any:
        opened.append(address)
        raise AssertionError(f"the operator client used gRPC to {address}")

    monkeypatch.setattr(OperatorClient, "_stub", refuse)
    yield opened


async def until(pilot: Any, what: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not ready():
        if time.monotonic() > deadline:
            app = pilot.app
            raise AssertionError(f"timed out waiting for {what}: "
                                 f"{app.connection.text if app.connection else '-'}")
        await pilot.pause(0.05)


async def running_task(cluster: Cluster, name: str = "http-fw",
                       failover_timeout: float = 0.0) -> tuple[str, str, str]:
    """A framework with one running task: (framework id, agent id, task id)."""
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512;disk:512")
    driver, rec = await cluster.framework(name, failover_timeout=failover_timeout)
    offers = await rec.next("offers")
    offer = offers[0]
    info = task_info("sleeper", "sleeper", offer.agent_id.value, "sleep 60", "cpus:0.5;mem:32")
    await driver.launch([offer.id.value], [info])
    await rec.next("update", lambda s: s.state == mesos_pb2.TASK_RUNNING)
    assert agent.agent_id is not None
    return driver.framework_id or "", agent.agent_id, "sleeper"


def screen_text(app: MesosApp) -> str:
    """What the screen shows, as text (the SVG screenshot without its markup)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def rows(app: MesosApp, table_id: str) -> list[Any]:
    return list(app.query_one(f"#{table_id}", VirtualTable).order)


async def test_tui_over_http_shows_the_cluster_and_the_offer_cycle(
    cluster: Cluster, no_grpc: list[str]
) -> None:
    fid, aid, tid = await running_task(cluster)
    app = MesosApp(f"http://{cluster.master_address}")
    assert isinstance(app.client, HttpOperatorClient)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, "the agent, the framework and the running task", lambda: (
            aid in app.mirror.agents and fid in app.mirror.frameworks
            and any(t.id == tid and t.state_name == "running" for t in app.mirror.tasks.values())
        ))
        assert app.client.streams_extensions  # our master, asked with the header
        assert app.mirror.streams_extensions
        # The offer cycle comes over HTTP too (the framework is offered what is left).
        await until(pilot, "an offer streamed over HTTP", lambda: len(app.mirror.timeline) > 0
                    or len(app.mirror.offers) > 0)
        await pilot.press("1")
        await pilot.pause()
        assert rows(app, "agents-table") == [aid]
        assert app.mirror.agents[aid].hostname in screen_text(app)
        await pilot.press("2")
        await pilot.pause()
        assert fid in rows(app, "frameworks-table")
        assert "http-fw" in screen_text(app)
        await pilot.press("3")
        await pilot.pause()
        assert "sleeper" in screen_text(app)
        await pilot.press("4")
        await pilot.pause()
        assert NOT_STREAMED not in str(app.query_one("#allocator-panel").render())
        assert app.client.requests >= 1
    assert no_grpc == []


async def test_tui_over_http_without_extensions_says_what_is_not_streamed(
    cluster: Cluster, no_grpc: list[str], tmp_path: Path
) -> None:
    fid, aid, tid = await running_task(cluster)
    app = MesosApp(f"http://{cluster.master_address}", extensions=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, "the agent, the framework and the running task", lambda: (
            aid in app.mirror.agents and fid in app.mirror.frameworks
            and any(t.id == tid for t in app.mirror.tasks.values())
        ))
        assert not app.client.streams_extensions
        assert not app.mirror.streams_extensions
        await pilot.press("3")
        await pilot.pause()
        assert "sleeper" in screen_text(app)
        await pilot.press("4")
        await pilot.pause()
        panel = str(app.query_one("#allocator-panel").render())
        assert "NOT STREAMED" in panel and "does not stream the offer cycle" in panel
        title = app.query_one("#view-title", ViewTitle)
        assert "does not stream the offer cycle" in title.title
        assert app.mirror.offers == {}  # none shown that nothing would ever end
        # The actions Mesos's operator API lacks say so in one line, and send nothing.
        before = app.client.requests
        assert (await app.client.kill_task(tid, fid)).message == NO_KILL
        assert (await app.client.pause_allocator()).message == NO_ALLOCATOR
        assert app.client.requests == before
        await pilot.press("space")  # the offers view's pause key
        await until(pilot, "the allocator's answer", lambda: any(
            "no allocator controls" in n.message for n in app._notifications))
        out = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
        out.mkdir(exist_ok=True)
        app.save_screenshot(str(out / "http-not-streamed.svg"))
    assert no_grpc == []


async def test_shell_over_http_lists_the_cluster(
    cluster: Cluster, no_grpc: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mesos_tui.client.files import AgentFiles

    def no_grpc_files(self: AgentFiles, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the shell used the gRPC Files API over an HTTP master")

    monkeypatch.setattr(AgentFiles, "__init__", no_grpc_files)
    fid, aid, tid = await running_task(cluster, failover_timeout=300)
    session = ShellSession(f"http://{cluster.master_address}", wait=True, connect_timeout=20)
    try:
        from mesos_tui.shell.registry import REGISTRY

        result = await REGISTRY.run("tasks", session)
        assert result.ok, result.text
        assert tid in result.text
        assert isinstance(session.operator, HttpOperatorClient)
        assert session.operator.status.phase == CONNECTED
        agents = await REGISTRY.run("agents", session)
        assert agents.ok and aid in agents.text, agents.text
        logs = await REGISTRY.run(f"logs {tid}", session)  # through the agent's /files/read
        assert logs.ok, logs.text
        # TEARDOWN, Mesos's operator call, over HTTP: asked first, then sent. (The framework
        # leaves first, failing over with its task running: a driver told its framework was
        # removed keeps retrying, which is not what this test is about.)
        driver = cluster.drivers.pop()
        await asyncio.wait_for(driver.stop(failover=True), 15)
        await session.wait_for(lambda: not session.mirror.frameworks[fid].connected, 20)
        asked = await REGISTRY.run("teardown http-fw", session)
        assert not asked.ok and asked.confirm is not None, asked.text
        done = await REGISTRY.run("teardown http-fw -y", session)
        assert done.ok, done.text
        await session.wait_for(lambda: session.mirror.frameworks[fid].completed, 20)
        assert session.mirror.tasks[f"{fid}\t{tid}"].state_name == "killed"
    finally:
        await asyncio.wait_for(session.close(), 15)
    assert no_grpc == []


async def test_tui_over_http_reads_logs_and_sandboxes_through_files_read(
    cluster: Cluster, no_grpc: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Watched over HTTP, the TUI reads a task's log and browses its sandbox through the
    agent's `/files/browse` and `/files/read` (what an Apache Mesos agent serves), never the
    gRPC Files API (refused here)."""
    from mesos_tui.client.files import AgentFiles
    from mesos_tui.client.files_http import HttpAgentFiles
    from mesos_tui.tui.screens.logs import LogScreen
    from mesos_tui.tui.screens.sandbox import SandboxScreen

    def no_grpc_files(self: AgentFiles, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the TUI used the gRPC Files API over an HTTP master")

    monkeypatch.setattr(AgentFiles, "__init__", no_grpc_files)
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512;disk:512")
    driver, rec = await cluster.framework("http-logs")
    offers = await rec.next("offers")
    info = task_info("talker", "talker", offers[0].agent_id.value,
                     "echo hello-over-http; mkdir out; echo 42 > out/answer; sleep 60",
                     "cpus:0.5;mem:32")
    await driver.launch([offers[0].id.value], [info])
    await rec.next("update", lambda s: s.state == mesos_pb2.TASK_RUNNING)
    app = MesosApp(f"http://{cluster.master_address}", keymap={})
    assert app.files.__name__ == "http_agent_files"
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "the task", lambda: any(
            t.id == "talker" and t.state_name == "running" for t in app.mirror.tasks.values()))
        task = next(t for t in app.mirror.tasks.values() if t.id == "talker")
        app.open_logs(task)
        await until(pilot, "the log screen", lambda: isinstance(app.screen, LogScreen))
        await pilot.pause()
        view = app.screen.view  # type: ignore[attr-defined]
        await until(pilot, "the task's output", lambda: (
            view.flush(), "hello-over-http" in view.lines)[1])
        await pilot.press("escape")
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
        await pilot.pause()
        view = app.screen.view  # type: ignore[attr-defined]
        await until(pilot, "its text", lambda: (view.flush(), view.lines[:1] == ["42"])[1])
        assert app.errors == []
    assert no_grpc == []
    files = HttpAgentFiles(agent.address)
    try:
        path = await files.resolve_sandbox(agent.agent_id or "", driver.framework_id or "",
                                           "", "talker", "stdout")
        assert path.endswith("/executors/talker/runs/latest/stdout")
        reply = await files.read(path)
        assert reply.data.startswith(b"hello-over-http")
    finally:
        await files.close()
