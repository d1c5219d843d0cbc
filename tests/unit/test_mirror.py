"""The client-side state mirror: snapshot, each event, change sets, totals, and its cost."""

from __future__ import annotations

import time

from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.mirror import ClusterMirror, task_key
from mesos_tui.tui import synthetic

Event = master_pb2.Event
TS = mesos_pb2.TaskState
NOW = 1_700_000_000.0


def mirror(**sizes: int) -> ClusterMirror:
    m = ClusterMirror(clock=lambda: NOW)
    m.apply(synthetic.snapshot(now=NOW, **sizes))
    return m


def test_snapshot_loads_everything_and_says_reset() -> None:
    m = mirror(agents=4, frameworks=3, tasks=40, offers=2)
    assert len(m.agents) == 4 and len(m.frameworks) == 3 and len(m.tasks) == 40
    assert len(m.offers) == 2 and len(m.timeline) == 2
    assert sum(m.state_counts.values()) == 40
    active = sum(1 for t in m.tasks.values() if t.active)
    assert sum(a.tasks for a in m.agents.values()) == active
    assert sum(f.tasks for f in m.frameworks.values()) == active
    changes = m.take_changes()
    assert changes.reset and changes.totals
    assert not m.take_changes()  # taken: nothing new
    assert m.allocator.sorter == "drf" and m.allocator.cycles == 1200


def test_task_update_moves_counts_allocation_and_marks_only_that_task() -> None:
    m = mirror(agents=2, frameworks=1, tasks=10)
    m.take_changes()
    task = next(t for t in m.tasks.values() if t.state == TS.TASK_RUNNING)
    agent = m.agents[task.agent_id]
    before_alloc, before_tasks = agent.allocated.cpus, agent.tasks
    running = m.state_counts[TS.TASK_RUNNING]
    ev = Event(type=Event.TASK_UPDATED)
    ev.task_updated.framework_id.value = task.framework_id
    ev.task_updated.state = TS.TASK_FAILED
    ev.task_updated.status.task_id.value = task.id
    ev.task_updated.status.state = TS.TASK_FAILED
    ev.task_updated.status.reason = mesos_pb2.TaskStatus.REASON_CONTAINER_LIMITATION_MEMORY
    ev.task_updated.status.message = "OOM"
    m.apply(ev)
    assert task.state == TS.TASK_FAILED and task.reason == "container_limitation_memory"
    assert m.state_counts[TS.TASK_RUNNING] == running - 1
    assert agent.tasks == before_tasks - 1
    assert agent.allocated.cpus == round(before_alloc - task.cpus, 3)
    changes = m.take_changes()
    assert changes.tasks == {task.key}
    assert changes.agents == {agent.id}
    assert m.events[-1].kind == "TASK_UPDATED" and "OOM" in m.events[-1].text


def test_task_added_books_resources_on_agent_and_framework() -> None:
    m = mirror(agents=1, frameworks=1, tasks=0)
    m.take_changes()
    stream = synthetic.EventStream(agents=1, frameworks=1, tasks=0)
    m.apply(stream.task_added())
    (task,) = m.tasks.values()
    assert task.state == TS.TASK_STAGING
    agent = next(iter(m.agents.values()))
    assert agent.tasks == 1 and agent.allocated.cpus == task.cpus
    assert m.frameworks[task.framework_id].tasks == 1
    assert m.totals().allocated.cpus == task.cpus


def test_same_task_id_in_two_frameworks_are_two_tasks() -> None:
    m = mirror(agents=1, frameworks=2, tasks=0)
    for fw in (synthetic.framework_id(0), synthetic.framework_id(1)):
        ev = Event(type=Event.TASK_ADDED)
        t = ev.task_added.task
        t.task_id.value = "task-1"
        t.framework_id.value = fw
        t.agent_id.value = synthetic.agent_id(0)
        t.state = TS.TASK_RUNNING
        m.apply(ev)
    assert len(m.find_tasks("task-1")) == 2
    assert task_key(synthetic.framework_id(1), "task-1") in m.tasks


def test_offer_paths_accepted_declined_rescinded_timed_out() -> None:
    m = mirror(agents=3, frameworks=2, tasks=0, offers=0)
    stream = synthetic.EventStream(agents=3, frameworks=2, tasks=0)
    sent = [stream.offer_sent() for _ in range(4)]
    for ev in sent:
        m.apply(ev)
    assert len(m.offers) == 4
    assert m.totals().offered.cpus == sum(
        r.scalar.value for ev in sent for r in ev.offer_sent.offer.resources if r.name == "cpus")
    ids = [ev.offer_sent.offer.id.value for ev in sent]

    def end(kind: int, field: str, oid: str, **extra: object) -> None:
        ev = Event(type=kind)
        body = getattr(ev, field)
        body.offer_id.value = oid
        for k, v in extra.items():
            if k == "task_ids":
                for tid in v:  # type: ignore[attr-defined]
                    body.task_ids.add().value = tid
            else:
                setattr(body, k, v)
        m.apply(ev)

    end(Event.OFFER_ACCEPTED, "offer_accepted", ids[0], task_ids=["t1", "t2"])
    end(Event.OFFER_DECLINED, "offer_declined", ids[1], refuse_seconds=30.0)
    end(Event.OFFER_RESCINDED, "offer_rescinded", ids[2],
        reason=Event.OfferRescinded.AGENT_REMOVED)
    end(Event.OFFER_RESCINDED, "offer_rescinded", ids[3], reason=Event.OfferRescinded.TIMEOUT)
    by_id = {r.id: r for r in m.timeline}
    assert by_id[ids[0]].outcome == "accepted" and by_id[ids[0]].task_ids == ("t1", "t2")
    assert by_id[ids[1]].outcome == "declined" and by_id[ids[1]].detail == "refuse 30s"
    assert by_id[ids[2]].outcome == "rescinded" and by_id[ids[2]].detail == "agent removed"
    assert by_id[ids[3]].outcome == "timed out"
    assert not m.offers
    assert m.totals().offered.cpus == 0
    assert all(a.offered.cpus == 0 for a in m.agents.values())


def test_offer_ended_that_was_never_seen_is_still_in_the_timeline() -> None:
    m = mirror(agents=1, frameworks=1, tasks=0, offers=0)
    ev = Event(type=Event.OFFER_DECLINED)
    ev.offer_declined.offer_id.value = "mystery"
    m.apply(ev)
    assert m.timeline[-1].id == "mystery" and m.timeline[-1].outcome == "declined"


def test_usage_and_totals() -> None:
    m = mirror(agents=2, frameworks=1, tasks=0, offers=0)
    aid = synthetic.agent_id(1)
    ev = Event(type=Event.AGENT_USAGE)
    ev.agent_usage.agent_id.value = aid
    ev.agent_usage.used.cpus_usage = 1.5
    ev.agent_usage.used.mem_rss_bytes = 512 * 1024 * 1024
    ev.agent_usage.allocated.extend(synthetic.resources(2, 1024))
    m.take_changes()
    m.apply(ev)
    a = m.agents[aid]
    assert (a.used_cpus, a.used_mem, a.allocated.cpus) == (1.5, 512.0, 2.0)
    assert m.take_changes().agents == {aid}
    t = m.totals()
    assert t.idle.cpus == round(t.total.cpus - t.allocated.cpus - t.offered.cpus, 3)
    m.sample_history()
    assert 0 < m.cpu_history[-1] < 1


def test_allocation_sets_shares_in_drf_order() -> None:
    m = mirror(agents=2, frameworks=3, tasks=0, offers=0)
    stream = synthetic.EventStream(agents=2, frameworks=3, tasks=0)
    ev = stream.allocation(offer_ids=["o1"])
    m.apply(ev)
    alloc = m.allocation
    assert alloc is not None and alloc.offer_ids == ["o1"]
    shares = [r.share for r in alloc.frameworks]
    assert shares == sorted(shares)
    for row in alloc.frameworks:
        assert m.frameworks[row.framework_id].dominant_share == row.share
    assert m.take_changes().allocation


def test_agent_and_framework_removal_and_allocator_pause() -> None:
    m = mirror(agents=2, frameworks=2, tasks=0, offers=0)
    m.take_changes()
    ev = Event(type=Event.AGENT_REMOVED)
    ev.agent_removed.agent_id.value = synthetic.agent_id(0)
    ev.agent_removed.reason = "ping timeout"
    m.apply(ev)
    assert synthetic.agent_id(0) not in m.agents
    ev = Event(type=Event.FRAMEWORK_REMOVED)
    ev.framework_removed.framework_info.id.value = synthetic.framework_id(1)
    m.apply(ev)
    assert m.frameworks[synthetic.framework_id(1)].state == "completed"
    ev = Event(type=Event.ALLOCATOR_UPDATED)
    ev.allocator_updated.paused = True
    m.apply(ev)
    assert m.allocator.paused
    changes = m.take_changes()
    assert changes.agents_removed == {synthetic.agent_id(0)}
    assert changes.allocator
    assert "ping timeout" in m.events[-3].text


def test_completed_tasks_are_bounded() -> None:
    m = ClusterMirror(clock=lambda: NOW, max_completed_tasks=5)
    m.apply(synthetic.snapshot(agents=1, frameworks=1, tasks=0, now=NOW))
    stream = synthetic.EventStream(agents=1, frameworks=1, tasks=0)
    for _ in range(20):
        ev = stream.task_added()
        m.apply(ev)
        upd = Event(type=Event.TASK_UPDATED)
        upd.task_updated.framework_id.value = ev.task_added.task.framework_id.value
        upd.task_updated.status.task_id.value = ev.task_added.task.task_id.value
        upd.task_updated.state = TS.TASK_FINISHED
        m.apply(upd)
    assert len(m.tasks) == 5
    assert sum(m.state_counts.values()) == 5


def test_unknown_event_is_logged_not_raised() -> None:
    m = ClusterMirror()
    m.apply(Event(type=Event.HEARTBEAT))
    m.apply(Event(type=Event.UNKNOWN))
    assert [e.kind for e in m.events] == ["HEARTBEAT", "UNKNOWN"]


def test_applying_200_events_to_10000_tasks_is_cheap() -> None:
    m = mirror(agents=1000, frameworks=20, tasks=10_000, offers=0)
    stream = synthetic.EventStream(agents=1000, frameworks=20, tasks=10_000)
    events = [stream.next() for _ in range(2000)]
    start = time.perf_counter()
    for ev in events:
        m.apply(ev)
    m.take_changes()
    m.totals()
    per_event = (time.perf_counter() - start) / len(events)
    # 200 events/s must cost a small part of a second: well under 1 ms an event.
    assert per_event < 0.001, f"{per_event * 1e6:.0f} µs per event"


def test_task_command_comes_from_the_master() -> None:
    m = mirror(agents=1, frameworks=1, tasks=0)
    stream = synthetic.EventStream(agents=1, frameworks=1, tasks=0)
    event = stream.task_added()
    event.task_added.task.command.value = "python3 -m http.server $PORT0"
    m.apply(event)
    (task,) = m.tasks.values()
    assert task.command == "python3 -m http.server $PORT0"


def test_master_task_to_proto_carries_its_command() -> None:
    from daemons.common.resources import Resources
    from daemons.master.state import Task

    info = mesos_pb2.TaskInfo(name="web")
    info.command.value = "sleep 5"
    t = Task("t1", "f1", "a1", "web", mesos_pb2.TASK_RUNNING, Resources.parse("cpus:1"), info)
    assert t.to_proto().command.value == "sleep 5"


def test_sorter_updates_replace_the_table_and_drop_frameworks_that_left() -> None:
    m = mirror(agents=2, frameworks=3, tasks=12, offers=1)
    assert m.sorter is not None and len(m.sorter.frameworks) == 3
    m.sample_history()
    assert set(m.share_history) == {synthetic.framework_id(i) for i in range(3)}
    m.take_changes()
    ev = Event(type=Event.SORTER_UPDATED)
    s = ev.sorter_updated
    s.cycle = 1300
    c = s.frameworks.add(role="*", name="left", weight=1.0, dominant_resource="mem",
                         dominant_share=0.25, weighted_share=0.25, active=True)
    c.framework_id.value = synthetic.framework_id(0)
    c.shares.add(resource="mem", share=0.25)
    c.shares.add(resource="cpus", share=0.125)
    c.offered.extend(synthetic.resources(1, 512))
    m.apply(ev)
    changes = m.take_changes()
    assert changes.sorter and synthetic.framework_id(0) in changes.frameworks
    (row,) = m.sorter.frameworks
    assert (row.name, row.dominant_resource, row.dominant_share) == ("left", "mem", 0.25)
    assert row.shares == {"mem": 0.25, "cpus": 0.125} and row.offered.mem == 512
    assert m.frameworks[synthetic.framework_id(0)].dominant_share == 0.25
    assert m.allocator.cycles == 1300
    m.sample_history()  # the ones no longer in the allocator lose their history
    assert list(m.share_history) == [synthetic.framework_id(0)]
    assert list(m.share_history[synthetic.framework_id(0)])[-1] == 0.25


def test_an_explained_cycle_is_kept_as_the_last_step() -> None:
    snap = synthetic.snapshot(agents=4, frameworks=3, tasks=12, offers=0, now=NOW)
    m = ClusterMirror(clock=lambda: NOW)
    m.apply(snap)
    m.apply(synthetic.explained_allocation(snap, NOW))
    step = m.last_step
    assert step is not None and step.explained
    assert [c.name for c in step.before.frameworks] == [
        c.name for c in snap.subscribed.get_state.sorter.frameworks]
    walked = [d for d in step.decisions if not d.reason]
    assert [d.hostname for d in walked] == ["node-001", "node-002"]
    assert walked[1].skipped[0].reason == "filtered"
    assert walked[1].skipped[0].refused_text == "cpus:2;mem:2048"
    assert [d.reason for d in step.decisions if d.reason] == ["nothing free"]
    assert m.sorter is not None and m.sorter.cycle == step.cycle  # the table after the step
    stream = synthetic.EventStream(agents=4, frameworks=3, tasks=12)
    m.apply(stream.allocation())  # a periodic cycle does not replace the step
    assert m.last_step is step
