"""Agent recovery with real processes: `kill -9` of an agent, a restart with the same
`--work_dir` and `--port`, and tasks that keep running (or ended meanwhile) reported right."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter

from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import task_info
from tests.cluster import REPO, Cluster, Daemon, poll_until

TERMINAL = {
    mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED, mesos_pb2.TASK_LOST,
    mesos_pb2.TASK_ERROR, mesos_pb2.TASK_DROPPED, mesos_pb2.TASK_GONE,
}
AGENT_FLAGS = {"registration_backoff_factor": "50ms", "executor_shutdown_grace_period": "5secs"}


async def restart(cluster: Cluster, agent: Daemon, **extra: str) -> Daemon:
    """Start the agent again with the same flags (same --work_dir and --port)."""
    args = agent.argv[3:] + [f"--{k}={v}" for k, v in extra.items()]
    again = cluster._spawn(f"{agent.name}-again", "daemons.agent.main", agent.port, agent.work_dir, args)
    again.agent_id = agent.agent_id

    async def reregistered() -> bool:
        for a in (await cluster.operator.agents()).agents:
            if a.agent_info.id.value == agent.agent_id and a.active:
                return True
        return False

    await poll_until(reregistered, 20, f"{agent.name} to re-register")
    return again


def zombie_or_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def test_mesos_execute_task_survives_a_killed_agent(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024", **AGENT_FLAGS)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesos_tui.execute", "--master", cluster.master_address,
        "--name", "durable", "--command", "sleep 8", "--resources", "cpus:0.1;mem:32",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while "Received status update TASK_RUNNING for task 'durable'" not in lines:
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            assert line, f"mesos-execute ended early: {lines}"
            lines.append(line.decode().rstrip("\n"))
        agent.kill(signal.SIGKILL)
        await restart(cluster, agent)
        out, err = await asyncio.wait_for(proc.communicate(), 25)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines += out.decode().splitlines()
    assert proc.returncode == 0, (lines, err.decode())
    assert "Received status update TASK_FINISHED for task 'durable'" in lines, lines
    assert "  message: 'Command exited with status 0'" in lines, lines


# (command, expected state, expected message); the quick ones end while the agent is down: they
# wait for the file {go}, which the test creates once the agent is killed (a fixed sleep raced
# the launch of the twenty on a loaded machine: some ended before the agent was killed).
WAIT_GO = "while [ ! -e {go} ]; do sleep 0.05; done"
TASKS = {
    **{f"quick-ok-{i}": (WAIT_GO, mesos_pb2.TASK_FINISHED, "Command exited with status 0")
       for i in range(5)},
    **{f"quick-fail-{i}": (WAIT_GO + "; exit 3", mesos_pb2.TASK_FAILED,
                           "Command exited with status 3") for i in range(4)},
    **{f"quick-137-{i}": (WAIT_GO + "; exit 137", mesos_pb2.TASK_FAILED,
                          "Command exited with status 137") for i in range(2)},
    **{f"quick-signal-{i}": (WAIT_GO + "; kill -SEGV $$", mesos_pb2.TASK_FAILED,
                             "Command terminated with signal SIGSEGV") for i in range(2)},
    **{f"late-ok-{i}": ("sleep 4", mesos_pb2.TASK_FINISHED, "Command exited with status 0")
       for i in range(3)},
    **{f"late-fail-{i}": ("sleep 4; exit 3", mesos_pb2.TASK_FAILED,
                          "Command exited with status 3") for i in range(2)},
    "long-killed": ("sleep 60", mesos_pb2.TASK_KILLED, "Command terminated with signal SIGTERM"),
    "long-term-ignored": ("trap '' TERM; sleep 60 & wait", mesos_pb2.TASK_KILLED,
                          "Command terminated with signal SIGKILL"),
}


async def test_twenty_tasks_across_a_killed_agent(cluster: Cluster) -> None:
    assert len(TASKS) == 20
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:4;mem:4096", **AGENT_FLAGS)
    driver, rec = await cluster.framework("survivors")
    [offer, *_] = await rec.next("offers")
    go = cluster.root / "go"
    infos = [task_info(tid, tid, agent.agent_id, cmd.format(go=go), "cpus:0.1;mem:32")
             for tid, (cmd, _, _) in TASKS.items()]
    for info in infos:
        if info.task_id.value.startswith("long"):
            info.kill_policy.grace_period.nanoseconds = 1_000_000_000  # Then SIGKILL.
    await driver.launch([offer], infos)
    running = {}
    for _ in TASKS:
        status = await rec.next("update", lambda s: s.state == mesos_pb2.TASK_RUNNING)
        running[status.task_id.value] = status.container_status.executor_pid
    assert set(running) == set(TASKS)

    agent.kill(signal.SIGKILL)
    go.touch()
    # The quick ones end while the agent is down (their supervisors hold their statuses).
    quick = [running[t] for t in TASKS if t.startswith("quick")]
    await poll_until(lambda: _all(quick), 10, "the quick tasks to end")
    assert not any(s.state in TERMINAL for s in rec.all("update"))

    await restart(cluster, agent)
    # Kill with a grace period works on recovered tasks too (1 s, then SIGKILL).
    await driver.kill("long-killed", agent.agent_id)
    await driver.kill("long-term-ignored", agent.agent_id)

    async def all_ended() -> bool:
        return {s.task_id.value for s in rec.all("update") if s.state in TERMINAL} == set(TASKS)

    await poll_until(all_ended, 20, "every task's terminal update")
    terminal = [s for s in rec.all("update") if s.state in TERMINAL]
    counts = Counter(s.task_id.value for s in terminal)
    assert all(n == 1 for n in counts.values()), counts  # None duplicated.
    for status in terminal:
        _, state, message = TASKS[status.task_id.value]
        assert (mesos_pb2.TaskState.Name(status.state), status.message) == (
            mesos_pb2.TaskState.Name(state), message
        ), status.task_id.value
    await cluster.operator.wait_for(lambda s: not s.get_tasks.tasks, what="no task left")


async def _all(pids: list[int]) -> bool:
    return all(zombie_or_gone(p) for p in pids)


async def test_recover_cleanup_kills_the_old_tasks(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024", **AGENT_FLAGS)
    driver, rec = await cluster.framework("cleanup")
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [task_info("old", "old", agent.agent_id, "sleep 60", "cpus:0.1;mem:32")])
    status = await rec.next("update", lambda s: s.state == mesos_pb2.TASK_RUNNING)
    pid = status.container_status.executor_pid
    agent.kill(signal.SIGKILL)
    assert not zombie_or_gone(pid)
    await restart(cluster, agent, recover="cleanup")
    final = await rec.next("update", lambda s: s.state in TERMINAL, timeout=15)
    assert final.state == mesos_pb2.TASK_FAILED
    assert final.reason == mesos_pb2.TaskStatus.REASON_AGENT_RESTARTED
    assert "--recover=cleanup" in final.message
    assert zombie_or_gone(pid)
