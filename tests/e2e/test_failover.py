"""High availability end to end: ZooKeeper-elected masters fail over without losing a task.

Real processes throughout: a ZooKeeper server (Debian's), three masters contending with 3 s
sessions, agents and frameworks that find the leader through `zk://`, tasks that are real
`sleep` processes, and `kill -9`. Every wait polls a condition against a deadline; the
`ha` fixture kills every process the test started, pass or fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psutil
import pytest

from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.scheduler import SchedulerDriver
from tests.cluster import REPO, ClusterError, poll_until, state_name
from tests.e2e.harness import (
    FAILOVER_TIMEOUT,
    HACluster,
    MasterProc,
    TaskLauncher,
    running_ids,
)

Cap = mesos_pb2.FrameworkInfo.Capability
T = TypeVar("T")


async def _failover(ha: HACluster, old: MasterProc) -> MasterProc:
    """kill -9 the leader; answer the newly elected one."""
    old.daemon.kill(signal.SIGKILL)
    new = await ha.leader(previous=old.address)
    assert new is not old and new.daemon.alive
    return new


async def _check_cluster(
    ha: HACluster,
    agents: int,
    frameworks: dict[str, TaskLauncher],
    tasks: set[str],
    pids: dict[tuple[str, str], list[int]],
) -> None:
    """On the current leader: every agent re-registered (and active), every framework
    re-subscribed (connected), every task still TASK_RUNNING, its process the same and alive."""

    def settled(state: master_pb2.Response.GetState) -> bool:
        active = [a for a in state.get_agents.agents if a.active]
        connected = {
            f.framework_info.id.value for f in state.get_frameworks.frameworks if f.connected
        }
        return (
            len(active) == agents
            and connected >= set(frameworks)
            and running_ids(state.get_tasks) >= tasks
        )

    state = await ha.wait_leader_state(
        lambda s: s if settled(s) else None,
        f"{agents} agents, {len(frameworks)} frameworks and {len(tasks)} running tasks "
        "back on the new leader",
    )
    by_id = {t.task_id.value: t for t in state.get_tasks.tasks}
    for tid in tasks:
        assert state_name(by_id[tid].state) == "TASK_RUNNING"
    assert not state.get_tasks.unreachable_tasks
    live = ha.task_processes()
    for key, before in pids.items():
        # Every process the task had is still there (a task may have started children since:
        # RUNNING comes as soon as its command runs, before that command forks).
        now = live.get(key) or []
        assert set(before) <= set(now), f"task {key[1]}: processes {before} -> {now}"
        assert all(psutil.pid_exists(p) for p in before)


async def _launch_and_wait(
    ha: HACluster,
    driver: SchedulerDriver,
    launcher: TaskLauncher,
    task_ids: list[str],
) -> None:
    await launcher.submit(driver, task_ids)
    try:
        await ha.wait_leader_state(
            lambda s: running_ids(s.get_tasks) >= set(task_ids) or None,
            f"tasks {task_ids[:3]}... to run",
        )
    except ClusterError as e:
        seen = [(k, str(p)[:200]) for k, p, _ in launcher.events[-15:]]
        raise ClusterError(f"{e}\nframework saw: {seen}; pending {launcher.pending}") from None


# ---------------------------------------------------------------------------------- tests


async def test_leader_killed_twice_keeps_every_task(ha: HACluster) -> None:
    leader = await ha.start_masters(3)
    await ha.start_agent("cpus:8;mem:8192")
    await ha.start_agent("cpus:8;mem:8192")
    d1, f1 = await ha.framework("alpha")
    d2, f2 = await ha.framework("beta")
    frameworks = {d1.framework_id: f1, d2.framework_id: f2}
    a_ids = [f"alpha-{i}" for i in range(25)]
    b_ids = [f"beta-{i}" for i in range(25)]
    await f1.submit(d1, a_ids)
    await f2.submit(d2, b_ids)
    tasks = set(a_ids) | set(b_ids)
    state = await ha.wait_leader_state(
        lambda s: s if running_ids(s.get_tasks) >= tasks else None, "50 tasks to run"
    )
    assert len({t.agent_id.value for t in state.get_tasks.tasks}) == 2  # both agents used
    pids = {k: v for k, v in ha.task_processes().items() if k[1] in tasks}
    assert len(pids) == 50

    for round_ in (1, 2):
        leader = await _failover(ha, leader)
        await _check_cluster(ha, 2, frameworks, tasks, pids)
        # Both drivers re-subscribed to the new leader, with their framework ids.
        for d in (d1, d2):
            await poll_until(
                _async(lambda d=d: d.connected and d.master == ha.master_address),
                FAILOVER_TIMEOUT,
                f"{d.framework_info.name} subscribed to the new leader",
            )
        extra = f"after-{round_}"
        await _launch_and_wait(ha, d1, f1, [extra])
        tasks.add(extra)
        pids.update({k: v for k, v in ha.task_processes().items() if k[1] == extra})
        if round_ == 1:
            # The killed master comes back as a standby, so the next failover has a choice.
            dead = next(m for m in ha.masters if not m.daemon.alive)
            ha.restart_master(dead)


def _async(fn: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """A synchronous condition as the async check `poll_until` takes."""

    async def check() -> T:
        return fn()

    return check


@pytest.mark.parametrize("outage", ["quick", "past-the-session"])
async def test_zookeeper_restart_keeps_tasks_and_cluster_works(ha: HACluster, outage: str) -> None:
    await ha.start_masters(3)
    await ha.start_agent("cpus:4;mem:4096")
    driver, launcher = await ha.framework("zk-restart")
    tasks = {f"z-{i}" for i in range(5)}
    await _launch_and_wait(ha, driver, launcher, sorted(tasks))
    pids = {k: v for k, v in ha.task_processes().items() if k[1] in tasks}
    clients = await ha.zk_connections()  # 3 masters, the agent, the driver, this test

    ha.zk.stop()  # SIGTERM; it comes back with the same data dir, so sessions can survive
    if outage == "past-the-session":
        # Down longer than the masters' 3 s sessions: the leader must stop leading by itself.
        async def nobody_leads() -> bool:
            return not await ha.elected_masters()

        await poll_until(nobody_leads, FAILOVER_TIMEOUT, "the leader to step down")
    ha.zk.start()

    async def reconnected() -> bool:
        return await ha.zk_connections() >= clients

    await poll_until(reconnected, FAILOVER_TIMEOUT, f"{clients - 1} clients back on ZooKeeper")
    # One master leads (the same one after a quick restart, maybe another after a long one),
    # everything is registered with it, and the tasks never stopped.
    await ha.leader()
    await _check_cluster(ha, 1, {driver.framework_id: launcher}, tasks, pids)
    await poll_until(
        _async(lambda: driver.connected and driver.master == ha.master_address),
        FAILOVER_TIMEOUT,
        "the driver subscribed to the leader",
    )
    await _launch_and_wait(ha, driver, launcher, ["z-after"])


async def test_killed_framework_fails_over_with_its_tasks(ha: HACluster) -> None:
    await ha.start_masters(1)
    await ha.start_agent("cpus:4;mem:4096")
    fw = ha.spawn_framework("phoenix", tasks=3, failover_timeout=60)
    sub = await fw.wait_event(lambda e: e["event"] == "subscribed", "the framework to subscribe")
    fid = sub["framework_id"]
    tasks = {f"phoenix-{i}" for i in range(3)}
    await ha.wait_leader_state(lambda s: running_ids(s.get_tasks) >= tasks or None, "3 tasks")
    pids = {k: v for k, v in ha.task_processes().items() if k[0] == fid}
    assert len(pids) == 3

    fw.kill()  # kill -9: the master sees the stream drop and starts the 60 s failover timeout

    def disconnected(state: master_pb2.Response.GetState) -> bool:
        return any(
            f.framework_info.id.value == fid and not f.connected
            for f in state.get_frameworks.frameworks
        )

    await ha.wait_leader_state(disconnected, "the master to see the framework disconnected")
    again = ha.spawn_framework("phoenix", failover_timeout=60, framework_id=fid)
    sub = await again.wait_event(lambda e: e["event"] == "subscribed", "the framework to return")
    assert sub["framework_id"] == fid
    for tid in tasks:
        update = await again.wait_event(
            lambda e, tid=tid: e["event"] == "update" and e["task_id"] == tid,
            f"reconciliation of {tid}",
        )
        assert update["state"] == "TASK_RUNNING", update
        assert update["reason"] == "REASON_RECONCILIATION", update

    def back(state: master_pb2.Response.GetState) -> bool:
        return running_ids(state.get_tasks) >= tasks and any(
            f.framework_info.id.value == fid and f.connected
            for f in state.get_frameworks.frameworks
        )

    await ha.wait_leader_state(back, "the framework connected again with its tasks")
    live = ha.task_processes()
    for key, before in pids.items():
        assert set(before) <= set(live.get(key) or []), f"task {key[1]} lost a process"


async def test_killed_framework_past_its_failover_timeout_is_removed(ha: HACluster) -> None:
    await ha.start_masters(1)
    await ha.start_agent("cpus:4;mem:4096")
    fw = ha.spawn_framework("mayfly", tasks=2, failover_timeout=1.5)
    sub = await fw.wait_event(lambda e: e["event"] == "subscribed", "the framework to subscribe")
    fid = sub["framework_id"]
    tasks = {"mayfly-0", "mayfly-1"}
    await ha.wait_leader_state(lambda s: running_ids(s.get_tasks) >= tasks or None, "2 tasks")
    assert len([k for k in ha.task_processes() if k[0] == fid]) == 2

    fw.kill()

    def removed(state: master_pb2.Response.GetState) -> master_pb2.Response.GetState | None:
        gone = fid in {f.framework_info.id.value for f in state.get_frameworks.completed_frameworks}
        active = fid in {f.framework_info.id.value for f in state.get_frameworks.frameworks}
        return state if gone and not active else None

    state = await ha.wait_leader_state(removed, "the framework to be removed")
    killed = {
        t.task_id.value: t.state
        for t in state.get_tasks.completed_tasks
        if t.framework_id.value == fid
    }
    assert killed == {"mayfly-0": mesos_pb2.TASK_KILLED, "mayfly-1": mesos_pb2.TASK_KILLED}
    assert not [t for t in state.get_tasks.tasks if t.framework_id.value == fid]
    await poll_until(
        _async(lambda: not [k for k in ha.task_processes() if k[0] == fid]),
        FAILOVER_TIMEOUT,
        "the agent to kill the framework's task processes",
    )


async def test_mesos_execute_survives_a_leader_kill(ha: HACluster) -> None:
    leader = await ha.start_masters(3)
    await ha.start_agent("cpus:2;mem:1024")
    out = ha.root / "mesos-execute.out"
    with open(out, "wb") as f:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mesos_tui.execute",
                "--master",
                ha.zk_url,
                "--name",
                "t",
                "--command",
                "sleep 12",
                "--resources",
                "cpus:0.1;mem:32",
            ],
            cwd=REPO,
            stdout=f,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "TEST_CLUSTER_TOKEN": ha.token},
            start_new_session=True,
        )
    try:
        await ha.wait_leader_state(
            lambda s: "t" in running_ids(s.get_tasks) or None, "mesos-execute's task to run"
        )
        await _failover(ha, leader)
        code = await poll_until(
            _async(lambda: proc.poll() is not None and (proc.returncode,)),
            FAILOVER_TIMEOUT,
            "mesos-execute to exit",
        )
        text = out.read_text()
        assert code == (0,), text
        assert "Received status update TASK_FINISHED for task 't'" in text, text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_agent_missing_after_failover_is_marked_unreachable(ha: HACluster) -> None:
    leader = await ha.start_masters(3, agent_reregister_timeout="4secs")
    await ha.start_agent("cpus:2;mem:1024")
    lost = await ha.start_agent("cpus:2;mem:1024")
    # Two tasks fill an agent, so the four land on both.
    driver, launcher = await ha.framework(
        "aware", TaskLauncher("cpus:0.9;mem:64"), capabilities=[Cap.PARTITION_AWARE]
    )
    await launcher.submit(driver, ["w-0", "w-1", "w-2", "w-3"])
    state = await ha.wait_leader_state(
        lambda s: s if len(running_ids(s.get_tasks)) == 4 else None, "4 tasks"
    )
    on_lost = sorted(
        t.task_id.value for t in state.get_tasks.tasks if t.agent_id.value == lost.agent_id
    )
    assert on_lost, "no task landed on the agent to lose"
    # The leader admits agents to the registry in batches: let the batch land first.
    await ha.wait_registry_agents(a.agent_id for a in ha.agents)

    leader.daemon.kill(signal.SIGKILL)
    lost.kill(signal.SIGKILL)  # while no master leads: it never comes back
    new = await ha.leader(previous=leader.address)

    async def unreachable() -> master_pb2.Response | None:
        metrics = await new.operator.call(master_pb2.Call.GET_METRICS)
        values = {m.name: m.value for m in metrics.get_metrics.metrics}
        return metrics if values.get("master/slaves_unreachable") == 1 else None

    await poll_until(unreachable, FAILOVER_TIMEOUT, "the missing agent to be marked unreachable")
    agents = {a.agent_info.id.value for a in (await new.operator.agents()).agents}
    assert lost.agent_id not in agents and len(agents) == 1
    # Reconciliation of a task on the missing agent answers TASK_UNREACHABLE.
    await poll_until(
        _async(lambda: driver.connected and driver.master == new.address),
        FAILOVER_TIMEOUT,
        "the driver subscribed to the new leader",
    )
    await driver.reconcile([(tid, lost.agent_id) for tid in on_lost])
    for tid in on_lost:
        status = await launcher.next(
            "update",
            lambda s, tid=tid: (
                s.task_id.value == tid and s.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION
            ),
        )
        assert state_name(status.state) == "TASK_UNREACHABLE", status
