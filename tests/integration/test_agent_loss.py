"""Agent loss: an agent killed with SIGKILL (tasks running, offers outstanding) is noticed by
missed pings; its tasks become TASK_LOST (TASK_UNREACHABLE for a PARTITION_AWARE framework)
with REASON_AGENT_REMOVED, its offers are rescinded, and it leaves GET_AGENTS."""

from __future__ import annotations

import pytest

from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import task_info
from tests.cluster import Cluster, state_name

Cap = mesos_pb2.FrameworkInfo.Capability


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [((), mesos_pb2.TASK_LOST), ((Cap.PARTITION_AWARE,), mesos_pb2.TASK_UNREACHABLE)],
    ids=["lost", "unreachable-partition-aware"],
)
async def test_killed_agent_loses_its_tasks_and_offers(
    cluster: Cluster, capabilities: tuple[int, ...], expected: int
) -> None:
    await cluster.start_master(agent_ping_timeout="0.5secs", max_agent_ping_timeouts=2)
    doomed = await cluster.start_agent("cpus:2;mem:1024")
    survivor = await cluster.start_agent("cpus:1;mem:512")
    driver, rec = await cluster.framework("loser", capabilities=capabilities)

    def of(agent_id: str):  # noqa: ANN202
        return lambda offers: any(o.agent_id.value == agent_id for o in offers)

    offers = await rec.next("offers", of(doomed.agent_id))
    [offer] = [o for o in offers if o.agent_id.value == doomed.agent_id]
    task = task_info("victim", "victim", doomed.agent_id, "sleep 60", "cpus:0.5;mem:64")
    await driver.launch([offer], [task], mesos_pb2.Filters(refuse_seconds=0))
    await rec.next(
        "update", lambda s: s.task_id.value == "victim" and s.state == mesos_pb2.TASK_RUNNING
    )
    # What the task left on the agent is offered again; the framework holds that offer.
    held = await rec.next("offers", of(doomed.agent_id))
    held_ids = {o.id.value for o in held if o.agent_id.value == doomed.agent_id}

    doomed.kill()  # SIGKILL: no goodbye to the master.

    status = await rec.next("update", lambda s: s.task_id.value == "victim" and s.state in (
        mesos_pb2.TASK_LOST, mesos_pb2.TASK_UNREACHABLE, mesos_pb2.TASK_FAILED,
        mesos_pb2.TASK_KILLED, mesos_pb2.TASK_GONE))
    assert status.state == expected, state_name(status.state)
    assert status.reason == mesos_pb2.TaskStatus.REASON_AGENT_REMOVED
    assert status.source == mesos_pb2.TaskStatus.SOURCE_MASTER

    await rec.next("rescind", lambda oid: oid.value in held_ids)

    def agents_left(state):  # noqa: ANN001, ANN202
        ids = {a.agent_info.id.value for a in state.get_agents.agents}
        return ids if doomed.agent_id not in ids else None

    assert await cluster.operator.wait_for(agents_left, what="the dead agent to leave GET_AGENTS") == {
        survivor.agent_id
    }
    # The task is no longer among the master's running tasks.
    tasks = await cluster.operator.tasks()
    assert all(t.task_id.value != "victim" for t in tasks.tasks)
