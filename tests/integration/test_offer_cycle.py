"""The offer cycle end to end: a real master and agents on loopback, frameworks on the
scheduler driver. Subscribe, offers, launch, status updates and their acknowledgements,
decline filters, rescinds on --offer_timeout, kill, reconciliation, and the master's
validation of launches."""

from __future__ import annotations

import asyncio
import time

import pytest

from daemons.common.resources import Resources
from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.scheduler import SchedulerDriver, offer_resources, task_info
from tests.cluster import Cluster, RecordingScheduler, state_name

Cap = mesos_pb2.FrameworkInfo.Capability
Reason = mesos_pb2.TaskStatus
TERMINAL = {
    mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED, mesos_pb2.TASK_ERROR,
    mesos_pb2.TASK_LOST, mesos_pb2.TASK_DROPPED,
}
QUICK = mesos_pb2.Filters(refuse_seconds=0)


def nothing_used(state: master_pb2.Response.GetState) -> bool:
    """No agent has resources allocated beyond what it has on offer (no task holds any)."""
    return all(
        not (Resources.from_proto(a.allocated_resources) - Resources.from_proto(a.offered_resources))
        for a in state.get_agents.agents
    )


def is_state(task_id: str, *states: int):  # noqa: ANN201
    return lambda s: s.task_id.value == task_id and s.state in states


async def test_launch_runs_to_finished_acknowledged_and_resources_return(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024")
    driver, rec = await cluster.framework("cycle")

    offers = await rec.next("offers")
    offer = next(o for o in offers if o.agent_id.value == agent.agent_id)
    assert offer_resources(offer).contains(Resources.parse("cpus:2;mem:1024"))
    task = task_info("t1", "t1", offer.agent_id, "echo hello", "cpus:0.5;mem:64")
    await driver.launch([offer], [task], QUICK)

    finished = await rec.next("update", is_state("t1", *TERMINAL))
    assert state_name(finished.state) == "TASK_FINISHED", finished
    states = [s.state for s in rec.updates("t1")]
    assert mesos_pb2.TASK_RUNNING in states
    order = [mesos_pb2.TASK_STARTING, mesos_pb2.TASK_RUNNING, mesos_pb2.TASK_FINISHED]
    assert [s for s in states if s in order] == [s for s in order if s in states]
    agent_updates = [s for s in rec.updates("t1") if s.source != Reason.SOURCE_MASTER]
    assert agent_updates and all(s.uuid for s in agent_updates)

    # The FINISHED update was acknowledged (implicitly): the master moved the task to the
    # completed ones. Unacknowledged, it would stay among the active tasks.
    def completed(state):  # noqa: ANN001, ANN202
        t = state.get_tasks
        done = [x for x in t.completed_tasks if x.task_id.value == "t1"]
        active = [x for x in t.tasks if x.task_id.value == "t1"]
        return done if done and not active else None

    [done] = await cluster.operator.wait_for(completed, what="t1 among completed tasks")
    assert done.state == mesos_pb2.TASK_FINISHED

    await cluster.operator.wait_for(nothing_used, what="the agent's resources back (none used)")
    # And they are offered again, whole, once the framework gives back what it holds.
    for held in rec.all("offers")[1:]:
        await driver.decline(held, QUICK)
    again = await rec.next("offers", lambda os: any(
        offer_resources(o).contains(Resources.parse("cpus:2;mem:1024")) for o in os))
    assert again


async def test_acknowledgements_gate_the_next_update(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    driver, rec = await cluster.framework("acks", implicit_acknowledgements=False)
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [task_info("t1", "t1", agent.agent_id, "true", "cpus:0.1;mem:32")])
    first = await rec.next("update", is_state("t1", *range(20)))
    assert first.uuid and first.state != mesos_pb2.TASK_FINISHED

    # The master learns from the agent that the task ended ...
    await cluster.operator.wait_for(
        lambda s: any(t.task_id.value == "t1" and t.state == mesos_pb2.TASK_FINISHED
                      for t in s.get_tasks.tasks),
        what="the master to know t1 finished",
    )
    # ... but the framework got nothing after its unacknowledged first update (the agent may
    # have retried that one).
    assert {(s.state, s.uuid) for s in rec.updates("t1")} == {(first.state, first.uuid)}
    await driver.acknowledge(first)
    # Acknowledging each update brings the next, up to FINISHED.
    status = first
    while status.state != mesos_pb2.TASK_FINISHED:
        previous = status.uuid
        status = await rec.next(
            "update", lambda s, prev=previous: s.task_id.value == "t1" and s.uuid != prev
        )
        assert status.uuid
        await driver.acknowledge(status)
    await cluster.operator.wait_for(
        lambda s: any(t.task_id.value == "t1" for t in s.get_tasks.completed_tasks),
        what="t1 completed once its FINISHED update was acknowledged",
    )


async def test_declined_agent_is_not_reoffered_within_the_filter(cluster: Cluster) -> None:
    refuse = 2.0
    await cluster.start_master(allocation_interval="0.05secs")
    agent = await cluster.start_agent()

    def of_agent(offers: list[mesos_pb2.Offer]) -> bool:
        return any(o.agent_id.value == agent.agent_id for o in offers)

    d1, r1 = await cluster.framework("f1")
    [offer] = [o for o in await r1.next("offers", of_agent) if o.agent_id.value == agent.agent_id]
    d2, r2 = await cluster.framework("f2")  # Nothing to offer it while f1 holds the agent.

    declined_at = time.monotonic()
    await d1.decline([offer], mesos_pb2.Filters(refuse_seconds=refuse))
    # The other framework is offered the agent in the meantime, and keeps it off f1's plate
    # by declining it for long ...
    _, offers2, offered2_at = await r2.next_timed("offers", of_agent)
    await d2.decline(offers2, mesos_pb2.Filters(refuse_seconds=60))
    # ... so f1 gets the agent again, but only once its own filter has expired.
    _, _, again_at = await r1.next_timed("offers", of_agent)
    assert again_at - declined_at >= refuse - 0.05, (
        f"f1 was reoffered the agent {again_at - declined_at:.2f}s after declining it for {refuse}s"
    )
    assert declined_at < offered2_at < again_at


async def test_held_offer_is_rescinded_after_offer_timeout(cluster: Cluster) -> None:
    await cluster.start_master(offer_timeout="1secs")
    await cluster.start_agent()
    driver, rec = await cluster.framework("holder")
    _, offers, offered_at = await rec.next_timed("offers")
    ids = {o.id.value for o in offers}
    _, rescinded, rescinded_at = await rec.next_timed("rescind", lambda oid: oid.value in ids)
    assert rescinded_at - offered_at >= 0.9
    # The rescinded offer cannot be used any more: a launch on it is lost.
    [offer, *_] = offers
    await driver.launch([offer], [task_info("late", "late", offer.agent_id, "true", "cpus:0.1;mem:32")])
    lost = await rec.next("update", is_state("late", *TERMINAL))
    assert lost.state == mesos_pb2.TASK_LOST
    assert lost.reason == Reason.REASON_INVALID_OFFERS


async def test_kill_ends_a_running_task_killed(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    driver, rec = await cluster.framework("killer")
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [task_info("sleeper", "sleeper", agent.agent_id, "sleep 60", "cpus:0.5;mem:32")])
    await rec.next("update", is_state("sleeper", mesos_pb2.TASK_RUNNING))
    await driver.kill("sleeper", agent.agent_id)
    end = await rec.next("update", is_state("sleeper", *TERMINAL))
    assert end.state == mesos_pb2.TASK_KILLED, state_name(end.state)

    await cluster.operator.wait_for(nothing_used, what="the killed task's resources to return")


async def test_reconciliation_answers_with_the_latest_state(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    driver, rec = await cluster.framework("reconciler")
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [task_info("r1", "r1", agent.agent_id, "sleep 60", "cpus:0.5;mem:32")])
    await rec.next("update", is_state("r1", mesos_pb2.TASK_RUNNING))

    await driver.reconcile()  # Implicit: every task of the framework.
    implicit = await rec.next("update", lambda s: s.reason == Reason.REASON_RECONCILIATION)
    assert (implicit.task_id.value, implicit.state) == ("r1", mesos_pb2.TASK_RUNNING)
    assert not implicit.uuid

    await driver.reconcile([("r1", agent.agent_id), "nope"])
    answers = {}
    while len(answers) < 2:
        s = await rec.next("update", lambda s: s.reason == Reason.REASON_RECONCILIATION)
        answers[s.task_id.value] = s.state
    assert answers == {"r1": mesos_pb2.TASK_RUNNING, "nope": mesos_pb2.TASK_LOST}


async def test_task_asking_more_than_the_offer_is_an_error(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024")
    driver, rec = await cluster.framework("greedy")
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [task_info("big", "big", agent.agent_id, "true", "cpus:4;mem:64")], QUICK)
    status = await rec.next("update", is_state("big", *TERMINAL))
    assert status.state == mesos_pb2.TASK_ERROR, state_name(status.state)
    assert status.reason == Reason.REASON_TASK_INVALID
    assert status.message
    # The offer's resources went back: the agent is offered whole again.
    await rec.next("offers", lambda os: any(
        offer_resources(o).contains(Resources.parse("cpus:2;mem:1024")) for o in os))


async def test_task_without_command_is_an_error(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    driver, rec = await cluster.framework("sloppy")
    [offer, *_] = await rec.next("offers")
    task = task_info("nocmd", "nocmd", agent.agent_id, "true", "cpus:0.1;mem:32")
    task.ClearField("command")
    await driver.launch([offer], [task], QUICK)
    status = await rec.next("update", is_state("nocmd", *TERMINAL))
    assert status.state == mesos_pb2.TASK_ERROR
    assert status.reason == Reason.REASON_TASK_INVALID


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [((), mesos_pb2.TASK_LOST), ((Cap.PARTITION_AWARE,), mesos_pb2.TASK_DROPPED)],
    ids=["lost", "dropped-partition-aware"],
)
async def test_reused_offer_id_is_invalid(
    cluster: Cluster, capabilities: tuple[int, ...], expected: int
) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    driver, rec = await cluster.framework("reuser", capabilities=capabilities)
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [task_info("once", "once", agent.agent_id, "sleep 30", "cpus:0.1;mem:32")])
    await rec.next("update", is_state("once", mesos_pb2.TASK_RUNNING))
    await driver.launch([offer], [task_info("twice", "twice", agent.agent_id, "true", "cpus:0.1;mem:32")])
    status = await rec.next("update", is_state("twice", *TERMINAL, mesos_pb2.TASK_DROPPED))
    assert status.state == expected, state_name(status.state)
    assert status.reason == Reason.REASON_INVALID_OFFERS
    # An offer id the master never made is refused the same way.
    await driver.launch(["no-such-offer"], [task_info("ghost", "ghost", agent.agent_id, "true", "cpus:0.1;mem:32")])
    ghost = await rec.next("update", is_state("ghost", *TERMINAL))
    assert (ghost.state, ghost.reason) == (expected, Reason.REASON_INVALID_OFFERS)


async def test_failed_over_scheduler_takes_over_tasks(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    old, old_rec = await cluster.framework("phoenix", failover_timeout=60)
    [offer, *_] = await old_rec.next("offers")
    await old.launch([offer], [task_info("keep", "keep", agent.agent_id, "sleep 60", "cpus:0.5;mem:32")])
    await old_rec.next("update", is_state("keep", mesos_pb2.TASK_RUNNING))

    # A new scheduler subscribes with the same framework id: it replaces the old one.
    info = mesos_pb2.FrameworkInfo()
    info.CopyFrom(old.framework_info)
    new_rec = RecordingScheduler()
    new = SchedulerDriver(new_rec, info, cluster.master_address, backoff_base=0.05)
    cluster.drivers.append(new)
    await new.start()
    assert await new.wait_subscribed(15) == old.framework_id
    message = await old_rec.next("error")
    assert "failed over" in message.lower()
    await asyncio.wait_for(old.run(), 15)  # The old driver stopped, and did not come back.
    assert new.connected

    await new.reconcile(["keep"])
    status = await new_rec.next("update", is_state("keep", mesos_pb2.TASK_RUNNING))
    assert status.reason == Reason.REASON_RECONCILIATION
    await new.kill("keep", agent.agent_id)
    await new_rec.next("update", is_state("keep", mesos_pb2.TASK_KILLED))


async def test_a_torn_down_framework_cannot_subscribe_again_with_its_id(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent()
    driver, _rec = await cluster.framework("gone", failover_timeout=60)
    info = mesos_pb2.FrameworkInfo()
    info.CopyFrom(driver.framework_info)
    await driver.stop()  # TEARDOWN: the framework is removed

    again = RecordingScheduler()
    revived = SchedulerDriver(again, info, cluster.master_address, backoff_base=0.05)
    cluster.drivers.append(revived)
    await revived.start()
    message = await again.next("error")
    assert "has been removed" in message
    await asyncio.wait_for(revived.run(), 15)
    assert not revived.connected
