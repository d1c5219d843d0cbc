"""Faults across hosts: agents in their own network namespaces, links cut and restored.

A task never runs twice and a framework hears at most one terminal state per task id,
whatever happens: an agent partitioned past the ping timeout (a plain framework's tasks are
declared TASK_LOST, killed when the agent returns, and their replacements are the only live
copies; a PARTITION_AWARE framework's tasks go TASK_UNREACHABLE and then RUNNING again), an
agent killed and restarted after the ping timeout while its tasks end, and the leading master
killed while an agent is partitioned. Each agent runs on its own "host" (tests/netns.py), so
the master, the Files API and the frameworks are also shown working across hosts.

Real processes throughout (ZooKeeper, masters, agents, `sleep` tasks). Every wait polls a
condition or a log line against a deadline; the fixtures remove every namespace, link and
process the test made, pass or fail.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from daemons.common.states import is_terminal
from daemons.proto import mesos_pb2
from mesos_tui.client.files import AgentLogSource
from mesos_tui.client.mirror import ClusterMirror
from tests.cluster import ClusterError, poll_until
from tests.e2e.harness import TaskLauncher, running_ids
from tests.e2e.hosts import HostsCluster
from tests.netns import HostNetwork, unavailable
from tests.zk import ZooKeeperServer, zookeeper_available

Cap = mesos_pb2.FrameworkInfo.Capability
TIMEOUT = 60.0
# Short health checks: an agent silent for 3 x 0.5 s is removed.
MASTER_FLAGS = {"agent_ping_timeout": "0.5secs", "max_agent_ping_timeouts": 3}


@pytest.fixture
def network() -> Iterator[HostNetwork]:
    why = unavailable()
    if why is not None:
        pytest.skip(why)
    net = HostNetwork().create()
    try:
        yield net
    finally:
        net.close()
        assert not net.leftovers()


@pytest.fixture
async def hosts(
    tmp_path: Path, network: HostNetwork, request: pytest.FixtureRequest
) -> AsyncIterator[HostsCluster]:
    why = zookeeper_available()
    if why is not None:
        pytest.skip(why)
    zk = ZooKeeperServer(tmp_path / "zk", host=network.gateway)
    zk.start()
    c = HostsCluster(tmp_path / "cluster", zk, network)
    request.node._mesos_cluster = c
    try:
        yield c
    finally:
        try:
            await c.close()
        finally:
            zk.stop()


# ------------------------------------------------------------------------------ helpers


def terminal_states(launcher: TaskLauncher, task_id: str) -> list[str]:
    """The terminal states a framework was told for `task_id`: one per distinct update
    (a retransmission of one update, same uuid, counts once; reconciliation answers, which
    repeat the known state, are left out)."""
    seen: set[bytes] = set()
    out = []
    for s in launcher.updates(task_id):
        if s.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION or not is_terminal(s.state):
            continue
        if s.uuid:
            if s.uuid in seen:
                continue
            seen.add(s.uuid)
        out.append(mesos_pb2.TaskState.Name(s.state))
    return out


def states(launcher: TaskLauncher, task_id: str) -> list[str]:
    return [mesos_pb2.TaskState.Name(s.state) for s in launcher.updates(task_id)]


async def wait_updates(
    launcher: TaskLauncher, task_ids: list[str], state: int, what: str
) -> None:
    def check() -> bool:
        return all(any(s.state == state for s in launcher.updates(t)) for t in task_ids)

    async def acheck() -> bool:
        return check()

    try:
        await poll_until(acheck, TIMEOUT, what)
    except ClusterError as e:
        seen = {t: states(launcher, t) for t in task_ids}
        raise ClusterError(f"{e}; updates seen: {seen}") from None


async def wait_log(hosts: HostsCluster, needles: list[str], what: str) -> None:
    """Wait until every needle appears in some master's log."""

    async def check() -> bool:
        text = "".join(
            m.daemon.log_path.read_text(errors="replace") for m in hosts.masters
        )
        return all(n in text for n in needles)

    await hosts._poll(check, TIMEOUT, what)


def dropped(task_id: str, state: str = "TASK_KILLED") -> str:
    return f"Dropping {state} of task {task_id} of known framework"


async def launch_on(
    hosts: HostsCluster, driver, launcher: TaskLauncher, ids: list[str], command: str  # noqa: ANN001
) -> None:
    await launcher.submit(driver, ids, command)
    await hosts.wait_leader_state(
        lambda s: running_ids(s.get_tasks) >= set(ids) or None, f"tasks {ids[0]}.. to run"
    )


def one_live_copy_each(hosts: HostsCluster, ids: list[str], where: str) -> bool:
    live = hosts.processes_by_host()
    return all(set(live.get(t, {})) == {where} for t in ids)


# ------------------------------------------------------------------------------ tests


async def test_agents_on_separate_hosts_run_tasks_and_serve_their_logs(
    hosts: HostsCluster,
) -> None:
    """The cluster across hosts: each agent registers from its own address, tasks run on
    both, and a task's stdout is read from its agent's Files API the way the TUI reads it
    (the operator mirror's files address of the agent, then AgentLogSource)."""
    await hosts.start_masters(1, **MASTER_FLAGS)
    h1, h2 = hosts.network.add_host("h1"), hosts.network.add_host("h2")
    a1 = await hosts.start_agent_on(h1, "cpus:0.5;mem:1024")
    a2 = await hosts.start_agent_on(h2, "cpus:0.5;mem:1024")
    agents = (await hosts.operator.agents()).agents
    assert {a.pid for a in agents} == {
        f"slave(1)@{h1.address}:{a1.daemon.port}", f"slave(1)@{h2.address}:{a2.daemon.port}"
    }
    assert {a.agent_info.hostname for a in agents} == {"h1", "h2"}

    driver, launcher = await hosts.framework("across")
    ids = [f"echo-{i}" for i in range(10)]  # 10 x 0.1 cpus: both agents are needed
    await launch_on(hosts, driver, launcher, ids, "echo hello from $(hostname -I); sleep 600")
    state = await hosts.operator.state()
    by_agent = {t.agent_id.value for t in state.get_tasks.tasks}
    assert by_agent == {a1.agent_id, a2.agent_id}
    live = hosts.processes_by_host()
    assert {h for t in ids for h in live[t]} == {"h1", "h2"}

    # The TUI's path to a task's log: its mirror of the master's state names the agent's
    # Files API address; AgentLogSource follows the file there.
    mirror = ClusterMirror()
    mirror.apply_state(await hosts.operator.state())
    for agent, host in ((a1, h1), (a2, h2)):
        task = next(t for t in state.get_tasks.tasks if t.agent_id.value == agent.agent_id)
        address = mirror.agents[agent.agent_id].files_address
        assert address == f"{host.address}:{agent.daemon.port}"
        source = AgentLogSource(
            address, agent.agent_id, task.framework_id.value, task.executor_id.value,
            task.task_id.value,
        )
        text = b""
        async for chunk in source.follow():
            text += chunk
            if b"\n" in text:
                break
        assert text.decode().strip() == f"hello from {host.address}"


@pytest.mark.parametrize("aware", [False, True], ids=["plain", "partition-aware"])
async def test_partitioned_agent(hosts: HostsCluster, aware: bool) -> None:
    """A plain framework: 5 tasks TASK_LOST, replaced (same ids) on the other host; when the
    link comes back the old copies are killed, and the framework hears nothing more of them.
    A PARTITION_AWARE framework: TASK_UNREACHABLE, then TASK_RUNNING, the same processes."""
    await hosts.start_masters(1, **MASTER_FLAGS)
    h1, h2 = hosts.network.add_host("h1"), hosts.network.add_host("h2")
    a1 = await hosts.start_agent_on(h1)
    driver, launcher = await hosts.framework(
        "aware" if aware else "plain", capabilities=[Cap.PARTITION_AWARE] if aware else []
    )
    ids = [f"t{i}" for i in range(5)]
    await launch_on(hosts, driver, launcher, ids, "sleep 600")
    before = hosts.processes_by_host()
    assert all(set(before[t]) == {"h1"} for t in ids)
    await hosts.start_agent_on(h2)

    h1.cut()
    if aware:
        await wait_updates(launcher, ids, mesos_pb2.TASK_UNREACHABLE, "5 TASK_UNREACHABLE")
    else:
        await wait_updates(launcher, ids, mesos_pb2.TASK_LOST, "5 TASK_LOST")
        # The framework starts replacements, with the same ids, on the other host.
        await launch_on(hosts, driver, launcher, ids, "sleep 600")
        live = hosts.processes_by_host()
        assert all(set(live[t]) == {"h1", "h2"} for t in ids)  # h1's are cut off, not dead
    await hosts.wait_agent_gone(a1.agent_id)

    h1.restore()
    await hosts.wait_agent_active(a1.agent_id)
    if aware:
        await wait_updates(launcher, ids, mesos_pb2.TASK_RUNNING, "TASK_RUNNING again")
        for t in ids:
            seen = states(launcher, t)
            assert seen[-1] == "TASK_RUNNING", seen
            assert seen.index("TASK_UNREACHABLE") < len(seen) - 1, seen
        after = hosts.processes_by_host()
        for t in ids:
            # The same processes, never restarted (a shell may have forked its command since).
            assert set(after[t]) == {"h1"}, after[t]
            assert set(before[t]["h1"]) <= set(after[t]["h1"]), f"{t}: {before[t]} -> {after[t]}"
    else:
        await poll_until(
            _async(lambda: one_live_copy_each(hosts, ids, "h2")), TIMEOUT,
            "the old copies on h1 to be killed",
        )
        # The agent's TASK_KILLED for each old copy reached the master, which dropped it.
        await wait_log(hosts, [dropped(t) for t in ids], "the old copies' TASK_KILLED dropped")
        state = await hosts.operator.state()
        assert {t.task_id.value: t.agent_id.value for t in state.get_tasks.tasks} == {
            t: launcher.launched[t] for t in ids
        }
        assert all(launcher.launched[t] != a1.agent_id for t in ids)
    for t in ids:
        assert terminal_states(launcher, t) == ([] if aware else ["TASK_LOST"]), states(
            launcher, t
        )


@pytest.mark.parametrize("aware", [False, True], ids=["plain", "partition-aware"])
async def test_agent_restarted_after_the_ping_timeout_while_its_tasks_end(
    hosts: HostsCluster, aware: bool
) -> None:
    """20 tasks; the agent is killed, removed after missed pings, the tasks end while it is
    down (half succeed, half fail), then it restarts and re-registers: one terminal update
    per task (TASK_LOST for a plain framework; for a partition-aware one, TASK_UNREACHABLE
    and then the real TASK_FINISHED / TASK_FAILED)."""
    await hosts.start_masters(1, **MASTER_FLAGS)
    h1 = hosts.network.add_host("h1")
    a1 = await hosts.start_agent_on(h1)
    driver, launcher = await hosts.framework(
        "aware" if aware else "plain", capabilities=[Cap.PARTITION_AWARE] if aware else []
    )
    go = hosts.root / "go"
    ids = [f"t{i}" for i in range(20)]
    command = f"while [ ! -e {go} ]; do sleep 0.05; done; exit $(( ${{MESOS_TASK_ID#t}} % 2 ))"
    await launch_on(hosts, driver, launcher, ids, command)

    a1.daemon.kill(signal.SIGKILL)
    gone_state = mesos_pb2.TASK_UNREACHABLE if aware else mesos_pb2.TASK_LOST
    await wait_updates(launcher, ids, gone_state, "20 tasks reported gone")
    go.touch()
    await poll_until(
        _async(lambda: not set(ids) & set(hosts.processes_by_host())), TIMEOUT,
        "the tasks to end while their agent is down",
    )
    await hosts.restart_agent(a1)
    await hosts.wait_agent_active(a1.agent_id)
    if aware:
        await poll_until(
            _async(lambda: all(terminal_states(launcher, t) for t in ids)), TIMEOUT,
            "the tasks' real ends",
        )
    else:
        await wait_log(
            hosts,
            [dropped(t, "TASK_FINISHED" if int(t[1:]) % 2 == 0 else "TASK_FAILED") for t in ids],
            "the agent's terminal updates dropped",
        )
    for t in ids:
        want = "TASK_FINISHED" if int(t[1:]) % 2 == 0 else "TASK_FAILED"
        assert terminal_states(launcher, t) == [want if aware else "TASK_LOST"], states(
            launcher, t
        )


async def test_leader_killed_while_an_agent_is_partitioned(hosts: HostsCluster) -> None:
    """The leader declares a partitioned agent's tasks TASK_LOST and is then killed; the agent
    comes back to the new leader, which never saw those tasks: it kills them all the same
    (the registry says the agent's tasks were declared lost), and the framework's
    replacements stay the only live copies."""
    leader = await hosts.start_masters(2, **MASTER_FLAGS)
    h1, h2 = hosts.network.add_host("h1"), hosts.network.add_host("h2")
    a1 = await hosts.start_agent_on(h1)
    driver, launcher = await hosts.framework("plain")
    ids = [f"t{i}" for i in range(5)]
    await launch_on(hosts, driver, launcher, ids, "sleep 600")
    await hosts.start_agent_on(h2)

    h1.cut()
    await wait_updates(launcher, ids, mesos_pb2.TASK_LOST, "5 TASK_LOST")
    leader.daemon.kill(signal.SIGKILL)
    await hosts.leader(previous=leader.address)
    await launch_on(hosts, driver, launcher, ids, "sleep 600")  # replacements, on h2

    h1.restore()
    await hosts.wait_agent_active(a1.agent_id)
    await poll_until(
        _async(lambda: one_live_copy_each(hosts, ids, "h2")), TIMEOUT,
        "the old copies on h1 to be killed by the new leader",
    )
    await wait_log(hosts, [dropped(t) for t in ids], "the old copies' TASK_KILLED dropped")
    for t in ids:
        assert terminal_states(launcher, t) == ["TASK_LOST"], states(launcher, t)
    state = await hosts.operator.state()
    assert {t.task_id.value for t in state.get_tasks.tasks if t.agent_id.value == a1.agent_id} == set()


def _async(fn):  # noqa: ANN001, ANN202
    async def check():  # noqa: ANN202
        return fn()

    return check
