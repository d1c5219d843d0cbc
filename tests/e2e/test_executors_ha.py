"""Custom executors across a master failover (real ZooKeeper, `kill -9` of the leader): the
new leader learns the executor from the agent's re-registration, holds its resources, and
routes framework messages to it; the executor process never notices."""

from __future__ import annotations

import signal

import psutil

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2
from tests.cluster import poll_until
from tests.e2e.harness import FAILOVER_TIMEOUT, HACluster, TaskLauncher
from tests.integration.test_executors import executor_info, executor_task


class OfferKeeper(TaskLauncher):
    """Records offers and leaves them to the test (TaskLauncher would decline them)."""

    async def offers(self, driver, offers) -> None:  # type: ignore[override]
        self.record("offers", offers)


async def test_executor_survives_a_master_failover(ha: HACluster) -> None:
    leader = await ha.start_masters(2)
    agent = await ha.start_agent("cpus:4;mem:4096")
    driver, rec = await ha.framework("exec-ha", scheduler=OfferKeeper(), failover_timeout=60)
    info = executor_info("EHA", driver.framework_id or "")
    offers = await rec.next("offers", lambda o: bool(o), timeout=FAILOVER_TIMEOUT)
    task = executor_task("t", offers[0].agent_id.value, b"wait", info)
    await driver.launch([offers[0].id], [task])
    running = await rec.next(
        "update", lambda s: s.task_id.value == "t" and s.state == mesos_pb2.TASK_RUNNING,
        timeout=FAILOVER_TIMEOUT,
    )
    pid = int(running.data)

    leader.daemon.kill(signal.SIGKILL)
    new = await ha.leader(previous=leader.address)
    assert new is not leader

    def adopted(state):  # noqa: ANN001, ANN202
        agents = [a for a in state.get_agents.agents if a.active]
        if not agents or not state.get_executors.executors:
            return None
        return state

    state = await ha.wait_leader_state(adopted, "the new leader to learn the executor")
    [ex] = state.get_executors.executors
    assert ex.executor_info.executor_id.value == "EHA"
    [a] = state.get_agents.agents
    assert Resources.from_proto(a.allocated_resources) == (
        Resources.from_proto(info.resources) + Resources.from_proto(task.resources)
    )

    async def resubscribed() -> bool:
        return driver.connected and driver.master == ha.master_address

    await poll_until(resubscribed, FAILOVER_TIMEOUT, "the framework on the new leader")
    await driver.message(agent.agent_id, "EHA", b"finish:t")
    assert await rec.next("message", lambda d: d == b"echo:finish:t", timeout=FAILOVER_TIMEOUT)
    await rec.next(
        "update", lambda s: s.task_id.value == "t" and s.state == mesos_pb2.TASK_FINISHED,
        timeout=FAILOVER_TIMEOUT,
    )
    assert psutil.Process(pid).is_running()  # the same executor process throughout
