"""Custom executors with masters elected in ZooKeeper: across a master failover (`kill -9` of
the leader) the new leader learns the executor from the agent's re-registration, holds its
resources, and routes framework messages to it, while the executor process never notices; and
a third-party Mesos client (avmesos) given `zk://` runs an executor task."""

from __future__ import annotations

import asyncio
import base64
import signal
import sys

import psutil

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2
from tests.cluster import REPO, poll_until
from tests.e2e.harness import FAILOVER_TIMEOUT, HACluster, TaskLauncher
from tests.http_clients import AvmesosFramework
from tests.integration.test_executors import PROGRAM, executor_info, executor_task


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


async def test_avmesos_executor_task_through_zookeeper(ha: HACluster) -> None:
    """avmesos given `zk://` finds the leader and runs a task on a custom executor, with a
    framework message each way (the executor is ours; avmesos has no executor driver)."""
    await ha.start_masters(2)
    agent = await ha.start_agent("cpus:2;mem:1024")
    executor = {
        "executor_id": {"value": "ZK"},
        "command": {
            "value": f"{sys.executable} {PROGRAM}",
            "environment": {"variables": [{"name": "PYTHONPATH", "value": str(REPO)}]},
        },
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
        ],
    }
    fw = AvmesosFramework(ha.zk_url, {
        "zk-exec": {"executor": executor, "data": base64.b64encode(b"wait").decode()},
    }).start()
    try:
        await fw.wait(lambda: "TASK_RUNNING" in fw.states("zk-exec"), 60, "TASK_RUNNING")
        await asyncio.to_thread(
            fw.driver.message, agent.agent_id, "ZK", base64.b64encode(b"finish:zk-exec").decode()
        )
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("zk-exec"), 60, "TASK_FINISHED")
        await fw.wait(lambda: fw.messages, 30, "the executor's MESSAGE")
        assert base64.b64decode(fw.messages[0]["data"]) == b"echo:finish:zk-exec"
    finally:
        fw.stop()
