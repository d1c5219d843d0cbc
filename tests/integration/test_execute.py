"""`mesos-execute` end to end: the real program against a real master and agent."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import task_info
from tests.cluster import REPO, Cluster

RUN_TIMEOUT = 25.0


async def mesos_execute(*args: str, timeout: float = RUN_TIMEOUT) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesos_tui.execute", *args,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(
            f"mesos-execute {' '.join(args)} did not exit within {timeout:g}s\n"
            f"stdout:\n{out.decode()}\nstderr:\n{err.decode()}"
        ) from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_hello_runs_to_finished_and_writes_its_sandbox(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024")
    code, out, err = await mesos_execute(
        "--master", cluster.master_address, "--name", "hello", "--command", "echo hello",
        "--resources", "cpus:0.1;mem:32",
    )
    assert code == 0, (out, err)
    lines = out.splitlines()
    assert lines[0].startswith("Subscribed with ID '"), out
    assert f"Submitted task 'hello' to agent '{agent.agent_id}'" in lines, out
    assert "Received status update TASK_RUNNING for task 'hello'" in lines, out
    assert "Received status update TASK_FINISHED for task 'hello'" in lines, out
    assert "  source: SOURCE_EXECUTOR" in lines, out

    stdouts = list(Path(agent.work_dir).glob("slaves/*/frameworks/*/executors/hello/runs/*/stdout"))
    assert stdouts, f"no sandbox stdout under {agent.work_dir}"
    assert any("hello" in p.read_text() for p in stdouts)

    # It tore its framework down on the way out.
    framework_id = lines[0].split("'")[1]
    frameworks = await cluster.operator.frameworks()
    assert framework_id not in {f.framework_info.id.value for f in frameworks.frameworks}
    assert framework_id in {f.framework_info.id.value for f in frameworks.completed_frameworks}


async def test_kill_after_ends_the_task_killed(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent()
    code, out, err = await mesos_execute(
        "--master", cluster.master_address, "--name", "sleeper", "--command", "sleep 100",
        "--resources", "cpus:0.1;mem:32", "--kill_after", "1secs",
    )
    assert code == 1, (out, err)
    assert "Received status update TASK_RUNNING for task 'sleeper'" in out, (out, err)
    assert "Received status update TASK_KILLED for task 'sleeper'" in out, (out, err)
    await cluster.operator.wait_for(
        lambda s: not s.get_tasks.tasks, what="no task left running"
    )


async def test_failing_command_exits_nonzero_with_its_status(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent()
    code, out, err = await mesos_execute(
        "--master", cluster.master_address, "--name", "oops", "--command", "exit 3",
        "--resources", "cpus:0.1;mem:32",
    )
    assert code == 1, (out, err)
    assert "Received status update TASK_FAILED for task 'oops'" in out, out
    assert "  message: 'Command exited with status 3'" in out, out


async def test_no_agent_can_run_an_oversized_task(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")
    code, out, err = await mesos_execute(
        "--master", cluster.master_address, "--name", "huge", "--command", "true",
        "--resources", "cpus:64;mem:128",
    )
    assert code != 0, (out, err)
    [line] = [x for x in out.splitlines() if x.startswith("No agent can run task 'huge'")]
    assert "it asks for cpus:64;mem:128" in line, line
    assert "the largest offer seen was cpus:2;mem:1024" in line, line
    assert "(largest agent: cpus:2;mem:1024" in line, line
    assert "Submitted task" not in out


async def test_waits_for_a_busy_agent_and_then_runs(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024")
    driver, rec = await cluster.framework("hog")
    [offer, *_] = await rec.next("offers")
    hog = task_info("hog", "hog", agent.agent_id, "sleep 60", "cpus:1.5;mem:64")
    await driver.launch([offer], [hog])
    await driver.suppress()  # The hog wants nothing more: what it frees goes to others.
    await rec.next("update", lambda s: s.task_id.value == "hog" and s.state == mesos_pb2.TASK_RUNNING)
    for offers in rec.all("offers")[1:]:
        await driver.decline(offers)

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesos_tui.execute", "--master", cluster.master_address,
        "--name", "patient", "--command", "true", "--resources", "cpus:1;mem:32",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any(x.startswith("Waiting for resources") for x in lines):
            line = await asyncio.wait_for(proc.stdout.readline(), RUN_TIMEOUT)
            assert line, f"mesos-execute ended before waiting: {lines}"
            lines.append(line.decode().rstrip("\n"))
        await driver.kill("hog", agent.agent_id)  # Make room.
        out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines += out.decode().splitlines()
    assert proc.returncode == 0, (lines, err.decode())
    assert sum(x.startswith("Waiting for resources") for x in lines) == 1, lines
    assert "Received status update TASK_FINISHED for task 'patient'" in lines, lines
