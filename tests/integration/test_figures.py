"""True figures over a real cluster: the frameworks view, the agents view, the shell's
`frameworks` / `agents` and the master's GET_FRAMEWORKS / GET_AGENTS say the same numbers,
and they are the truth (Mesos's meanings): a framework's allocated is what its non-terminal
tasks hold, its offered what its outstanding offers hold, an agent's used what its own tasks'
containers use, never its host's.

The master and two agents are real processes on loopback, on one host; the TUI follows them
through the operator stream in this process and the shell runs as a subprocess (its own
snapshot). Every wait is on a condition (the mirror, the master's answer, the scheduler's
callbacks), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemons.common.resources import Resources
from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.mirror import TERMINAL_STATES
from mesos_tui.frameworks.queue import FRAMEWORK_NAME
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.format import mem, num
from mesos_tui.tui.widgets.virtual_table import VirtualTable
from tests.cluster import Cluster

REPO = Path(__file__).resolve().parents[2]
SIZE = (200, 45)
TIMEOUT = 30.0
MB = 1024 * 1024


async def until(pilot: Any, what: str, ready: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """Let the app run until `ready()` is truthy (the app's own loop delivers the events)."""
    deadline = time.monotonic() + timeout
    while not (value := ready()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
    return value


async def until_async(what: str, ready: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := await ready()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return value


async def shell(cluster: Cluster, tmp_path: Path, command: str) -> str:
    """`mesos-tui shell -c COMMAND` as a subprocess (without blocking the app's loop)."""
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env.pop("MESOS_MASTER", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesos_tui.shell", "--master", cluster.master_address,
        "-c", command, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, f"{command}: {err.decode()}"
    return out.decode()


def shell_row(output: str, key: str) -> list[str]:
    """The words of the row whose first column is `key`."""
    for line in output.splitlines():
        if line.startswith(key + " "):
            return line.split()
    raise AssertionError(f"no row {key!r} in:\n{output}")


def view_cells(table: VirtualTable, key: str) -> dict[str, str]:
    """What the table draws for row `key`, cell by cell, found under the header's labels."""
    header = table.render_line(0).text
    index = table.index_of(key)
    assert index is not None, f"no row {key!r}"
    line = table.render_line(index + 1 - int(table.scroll_offset.y)).text
    starts = []
    at = 0
    for col in table.columns:
        pos = header.find(col.label, at)
        if pos < 0:
            continue
        starts.append((col.label, pos))
        at = pos + len(col.label)
    cells = {}
    for i, (label, pos) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(line)
        cells[label] = line[pos:end].strip()
    return cells


def master_res(resources: Any) -> Resources:
    return Resources.from_proto(resources)


async def master_framework(cluster: Cluster, fid: str) -> master_pb2.Response.GetFrameworks.Framework:
    for f in (await cluster.operator.frameworks()).frameworks:
        if f.framework_info.id.value == fid:
            return f
    raise AssertionError(f"the master does not list framework {fid}")


def res_text(cpus: float, mem_mb: float) -> str:
    """The shell's spelling of a figure (Mesos's resource syntax)."""
    return f"cpus:{cpus:g};mem:{mem_mb:g}"


async def test_framework_figures_are_true_and_agree_everywhere(
    cluster: Cluster, tmp_path: Path
) -> None:
    await cluster.start_master()
    a0 = await cluster.start_agent("cpus:2;mem:1024")
    await cluster.start_agent("cpus:2;mem:1024")
    app = MesosApp(cluster.master_address, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        m = app.mirror
        await until(pilot, "the snapshot", lambda: len(m.agents) == 2)
        await pilot.press("2")
        table = app.query_one("#frameworks-table", VirtualTable)

        # Two tasks of 0.1 cpu and 32 MB, launched by the shell (which then leaves: its
        # framework fails over, so it holds no offer).
        await shell(cluster, tmp_path,
                    f"launch --name a --count 2 --agent {a0.agent_id} -- sleep 120")
        shell_fw = await until(pilot, "the two tasks running", lambda: next(
            (f for f in m.frameworks.values() if f.name == FRAMEWORK_NAME and f.tasks == 2
             and sum(t.state_name == "running" for t in m.tasks.values()
                     if t.framework_id == f.id) == 2), None))
        fid = shell_fw.id
        await until_async("the shell's framework to hold no offer", lambda: _no_offers(cluster, fid))
        await until(pilot, "the mirror to agree", lambda: shell_fw.offers == 0)
        app.refresh_views()
        await pilot.pause()

        truth = await master_framework(cluster, fid)
        allocated = master_res(truth.allocated_resources)
        assert (allocated.cpus, allocated.mem) == (0.2, 64.0)  # the tasks', nothing else
        cells = view_cells(table, fid)
        assert (cells["TASKS"], cells["CPU ALLOC"], cells["MEM ALLOC"], cells["OFFERED"]) == (
            "2", num(0.2), mem(64), "-")
        row = shell_row(await shell(cluster, tmp_path, "frameworks"), fid)
        assert row[-3:-1] == [res_text(0.2, 64), res_text(0, 0)]  # ALLOCATED, OFFERED

        # A framework that holds its offers: OFFERED is what they hold, as the master says.
        holder_driver, holder = await cluster.framework("holder")
        hid = holder_driver.framework_id
        await until_async("the holder to be offered both agents", lambda: _offered_agents(
            cluster, hid, 2))
        truth = await master_framework(cluster, hid)
        offered = master_res(truth.offered_resources)
        assert offered.cpus == 3.8 and not master_res(truth.allocated_resources)
        await until(pilot, "the mirror to book the offers",
                    lambda: m.frameworks[hid].offered.cpus == 3.8)
        app.refresh_views()
        await pilot.pause()
        cells = view_cells(table, hid)
        assert cells["OFFERED"] == f"cpus:{num(3.8)} mem:{mem(offered.mem)} (2 offers)"
        assert (cells["CPU ALLOC"], cells["MEM ALLOC"]) == ("0", "0M")
        row = shell_row(await shell(cluster, tmp_path, "frameworks"), hid)
        assert row[-3:-1] == [res_text(0, 0), res_text(3.8, offered.mem)]

        # The shell's tasks end: its figures are 0 at once, in the view and in the shell,
        # as in the master's GET_STATE.
        for task_id in ("a-1", "a-2"):
            await cluster.operator.call(
                master_pb2.Call.KILL_TASK,
                kill_task=master_pb2.Call.KillTask(
                    task_id=mesos_pb2.TaskID(value=task_id),
                    framework_id=mesos_pb2.FrameworkID(value=fid)))
        await until(pilot, "the kills", lambda: all(
            t.state in TERMINAL_STATES for t in m.tasks.values() if t.framework_id == fid))
        app.refresh_views()
        await pilot.pause()
        cells = view_cells(table, fid)
        assert (cells["TASKS"], cells["CPU ALLOC"], cells["MEM ALLOC"], cells["OFFERED"]) == (
            "0", "0", "0M", "-")
        state = await cluster.operator.state()
        (truth,) = [f for f in state.get_frameworks.frameworks
                    if f.framework_info.id.value == fid]
        assert not master_res(truth.allocated_resources)
        assert not master_res(truth.offered_resources)
        row = shell_row(await shell(cluster, tmp_path, "frameworks"), fid)
        assert row[-3:-1] == [res_text(0, 0), res_text(0, 0)]

        # The holder wants no more offers and gives back what it holds: its OFFERED goes to
        # nothing too.
        await holder_driver.suppress()
        await until_async("the master to see the holder suppressed", lambda: _suppressed(
            cluster, hid))
        outstanding = await _outstanding_offers(cluster, hid)
        await holder_driver.decline(outstanding, mesos_pb2.Filters(refuse_seconds=3600))
        await until_async("the holder's offers to go", lambda: _no_offers(cluster, hid))
        await until(pilot, "the mirror to see them go", lambda: m.frameworks[hid].offers == 0)
        app.refresh_views()
        await pilot.pause()
        assert view_cells(table, hid)["OFFERED"] == "-"
        assert m.frameworks[hid].offered.cpus == 0
        row = shell_row(await shell(cluster, tmp_path, "frameworks"), hid)
        assert row[-3:-1] == [res_text(0, 0), res_text(0, 0)]
        # And the header counts what the views count.
        counts = m.counts()
        assert counts.frameworks == 2 and counts.tasks_active == 0 and counts.offers == 0


async def _no_offers(cluster: Cluster, fid: str) -> bool:
    f = await master_framework(cluster, fid)
    return not f.offers and not master_res(f.offered_resources)


async def _suppressed(cluster: Cluster, fid: str) -> bool:
    return (await master_framework(cluster, fid)).suppressed


async def _offered_agents(cluster: Cluster, fid: str, n: int) -> bool:
    f = await master_framework(cluster, fid)
    return len({o.agent_id.value for o in f.offers}) == n


async def _outstanding_offers(cluster: Cluster, fid: str) -> list[str]:
    f = await master_framework(cluster, fid)
    return [o.id.value for o in f.offers]


async def test_two_agents_on_one_host_each_report_their_own_tasks_use(
    cluster: Cluster, tmp_path: Path
) -> None:
    await cluster.start_master()
    busy = await cluster.start_agent("cpus:2;mem:1024", usage_interval="0.5secs")
    idle = await cluster.start_agent("cpus:2;mem:1024", usage_interval="0.5secs")
    app = MesosApp(cluster.master_address, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        m = app.mirror
        await until(pilot, "the snapshot", lambda: len(m.agents) == 2)
        assert m.agents[busy.agent_id].hostname == m.agents[idle.agent_id].hostname  # one host
        await shell(cluster, tmp_path,
                    f"launch --name hog --mem 256 --agent {busy.agent_id} -- "
                    "python3 -c 'b=bytearray(50<<20); import time; time.sleep(120)'")
        # The task's container holds its 50 MB: the busy agent reports it...
        await until(pilot, "the busy agent to measure its task", lambda: (
            m.agents[busy.agent_id].used_mem >= 50))
        # ... and the idle agent, measured since, runs nothing and so uses nothing, though
        # the host (which it shares) uses far more.
        idle_view = m.agents[idle.agent_id]
        await until(pilot, "the idle agent's report", lambda: idle_view.has_usage
                    and idle_view.host_mem > 0)
        assert idle_view.used_mem == 0 and idle_view.used_cpus == 0
        assert idle_view.host_mem > m.agents[busy.agent_id].used_mem
        busy_view = m.agents[busy.agent_id]
        assert 50 <= busy_view.used_mem < 256

        # A fresh client's snapshot (the shell) and the master's GET_AGENTS say the same.
        agents = {a.agent_info.id.value: a for a in (await cluster.operator.agents()).agents}
        assert agents[idle.agent_id].used.mem_rss_bytes == 0
        assert 50 * MB <= agents[busy.agent_id].used.mem_rss_bytes < 256 * MB
        out = await shell(cluster, tmp_path, "agents")
        idle_row, busy_row = shell_row(out, idle.agent_id), shell_row(out, busy.agent_id)
        assert idle_row[3:5] == ["0", "cpus:0;mem:0;disk:0"]  # TASKS, ALLOCATED
        assert idle_row[6].endswith(";mem:0")  # USED
        assert busy_row[3:5] == ["1", "cpus:0.1;mem:256;disk:0"]
        used_mb = int(busy_row[6].rsplit("mem:", 1)[1])
        assert 50 <= used_mb < 256

        # The agents view draws the same: the idle agent's MEM shows 0M used.
        await pilot.press("1")
        await pilot.pause()
        app.refresh_views()
        await pilot.pause()
        table = app.query_one("#agents-table", VirtualTable)
        assert view_cells(table, idle.agent_id)["MEM used/alloc/total"].endswith(
            f"0M/0M/{mem(1024)}]")
