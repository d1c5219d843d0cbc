"""The client-side state mirror: snapshot, each event, change sets, totals, and its cost."""

from __future__ import annotations

import time

from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.mirror import ClusterMirror, Scalars, task_key
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


def usage_event(aid: str, containers: list[tuple[float, int]], host: tuple[float, int]) -> Event:
    """AGENT_USAGE as our master sends it: the agent's containers and the whole host."""
    ev = Event(type=Event.AGENT_USAGE)
    u = ev.agent_usage
    u.agent_id.value = aid
    u.usage.total.extend(synthetic.resources(4, 4096))
    for i, (cpus, mem_mb) in enumerate(containers):
        ex = u.usage.executors.add()
        ex.executor_info.executor_id.value = f"ex{i}"
        ex.statistics.cpus_usage = cpus
        ex.statistics.mem_rss_bytes = mem_mb * 1024 * 1024
    u.used.cpus_usage, u.used.mem_rss_bytes = host[0], host[1] * 1024 * 1024
    u.allocated.extend(synthetic.resources(2, 1024))  # the master's figure: not read
    return ev


def test_usage_and_totals() -> None:
    m = mirror(agents=2, frameworks=1, tasks=0, offers=0)
    aid = synthetic.agent_id(1)
    m.take_changes()
    m.apply(usage_event(aid, [(1.0, 300), (0.5, 212)], host=(3.5, 6000)))
    a = m.agents[aid]
    # Used is what its containers use; allocated is what its tasks hold (none).
    assert (a.used_cpus, a.used_mem, a.allocated.cpus) == (1.5, 512.0, 0.0)
    assert (a.host_cpus, a.host_mem) == (3.5, 6000.0)
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


# ------------------------------------------------------------------ true figures, one source


def _fw_event(kind: int, fid: str, name: str, allocated: tuple[float, float] = (0, 0),
              offered: tuple[float, float] = (0, 0)) -> Event:
    """FRAMEWORK_ADDED/UPDATED carrying the master's figures of that moment."""
    ev = Event(type=kind)
    body = ev.framework_added if kind == Event.FRAMEWORK_ADDED else ev.framework_updated
    f = body.framework
    f.framework_info.id.value = fid
    f.framework_info.name = name
    f.active = f.connected = True
    f.allocated_resources.extend(synthetic.resources(*allocated))
    f.offered_resources.extend(synthetic.resources(*offered))
    return ev


def _task(fid: str, tid: str, aid: str, state: int, cpus: float = 0.1, mem: float = 32) -> Event:
    ev = Event(type=Event.TASK_ADDED)
    t = ev.task_added.task
    t.task_id.value = tid
    t.framework_id.value = fid
    t.agent_id.value = aid
    t.state = state
    t.resources.extend(synthetic.resources(cpus, mem))
    return ev


def _update(fid: str, tid: str, state: int) -> Event:
    ev = Event(type=Event.TASK_UPDATED)
    ev.task_updated.framework_id.value = fid
    ev.task_updated.status.task_id.value = tid
    ev.task_updated.status.state = state
    ev.task_updated.state = state
    return ev


def _offer(oid: str, fid: str, aid: str, cpus: float, mem: float) -> Event:
    ev = Event(type=Event.OFFER_SENT)
    o = ev.offer_sent.offer
    o.id.value = oid
    o.framework_id.value = fid
    o.agent_id.value = aid
    o.resources.extend(synthetic.resources(cpus, mem))
    return ev


def test_framework_figures_follow_its_tasks_and_offers_not_the_masters_old_figure() -> None:
    m = mirror(agents=1, frameworks=0, tasks=0, offers=0)
    aid, fid = synthetic.agent_id(0), "fw-shell"
    m.apply(_fw_event(Event.FRAMEWORK_ADDED, fid, "shell"))
    m.apply(_offer("o1", fid, aid, 4, 4096))
    m.apply(_task(fid, "a-1", aid, TS.TASK_STAGING))
    m.apply(_task(fid, "a-2", aid, TS.TASK_STAGING))
    accepted = Event(type=Event.OFFER_ACCEPTED)
    accepted.offer_accepted.offer_id.value = "o1"
    m.apply(accepted)
    m.apply(_offer("o2", fid, aid, 3.8, 4032))
    # The master's FRAMEWORK_UPDATED of this moment counts the offer as allocated too
    # (allocated + offered): the mirror books from the tasks and offers instead.
    m.apply(_fw_event(Event.FRAMEWORK_UPDATED, fid, "shell", (3.9, 4096), (3.8, 4032)))
    fw, agent = m.frameworks[fid], m.agents[aid]
    assert (fw.tasks, fw.allocated.cpus, fw.allocated.mem) == (2, 0.2, 64)
    assert (fw.offers, fw.offered.cpus, fw.offered.mem) == (1, 3.8, 4032)
    assert (agent.allocated.cpus, agent.offered.cpus) == (0.2, 3.8)
    t = m.totals()
    assert (t.allocated.cpus, t.offered.cpus) == (0.2, 3.8)
    assert t.idle.cpus == round(agent.total.cpus - 4.0, 3)

    # Its tasks end and the offer goes back: every figure is 0 at once.
    m.take_changes()
    m.apply(_update(fid, "a-1", TS.TASK_RUNNING))
    m.apply(_update(fid, "a-1", TS.TASK_FINISHED))
    m.apply(_update(fid, "a-2", TS.TASK_KILLED))
    declined = Event(type=Event.OFFER_DECLINED)
    declined.offer_declined.offer_id.value = "o2"
    m.apply(declined)
    assert (fw.tasks, fw.allocated, fw.offers, fw.offered) == (0, Scalars(), 0, Scalars())
    assert (agent.tasks, agent.allocated, agent.offered) == (0, Scalars(), Scalars())
    assert m.take_changes().frameworks == {fid}
    # A late AGENT_UPDATED / AGENT_USAGE with the master's older figure changes nothing.
    late = Event(type=Event.AGENT_UPDATED)
    late.agent_updated.agent.agent_info.id.value = aid
    late.agent_updated.agent.allocated_resources.extend(synthetic.resources(0.2, 64))
    m.apply(late)
    m.apply(usage_event(aid, [], host=(1.0, 3000)))
    assert agent.allocated == Scalars() and (agent.used_cpus, agent.used_mem) == (0, 0)


def test_snapshot_books_allocation_from_tasks_and_offers_once() -> None:
    m = mirror(agents=3, frameworks=2, tasks=40, offers=2)
    for fw in m.frameworks.values():
        active = [t for t in m.tasks.values() if t.framework_id == fw.id and t.active]
        assert fw.tasks == len(active)
        assert fw.allocated.cpus == round(sum(t.cpus for t in active), 3)
        mine = [o for o in m.offers.values() if o.framework_id == fw.id]
        assert fw.offers == len(mine)
        assert fw.offered.cpus == round(sum(o.res.cpus for o in mine), 3)
    for agent in m.agents.values():
        active = [t for t in m.tasks.values() if t.agent_id == agent.id and t.active]
        assert agent.allocated.mem == round(sum(t.mem for t in active), 3)
        assert agent.offered.cpus == round(
            sum(o.res.cpus for o in m.offers.values() if o.agent_id == agent.id), 3)
    t = m.totals()
    assert t.allocated.cpus == round(sum(f.allocated.cpus for f in m.frameworks.values()), 3)
    assert t.offered.cpus == round(sum(f.offered.cpus for f in m.frameworks.values()), 3)


def test_framework_seen_after_its_tasks_gets_them() -> None:
    """After a master failover, agents re-register their tasks before frameworks return."""
    m = mirror(agents=1, frameworks=0, tasks=0, offers=0)
    aid, fid = synthetic.agent_id(0), "fw-late"
    m.apply(_task(fid, "t1", aid, TS.TASK_RUNNING, cpus=0.5, mem=100))
    m.apply(_fw_event(Event.FRAMEWORK_ADDED, fid, "late"))
    fw = m.frameworks[fid]
    assert (fw.tasks, fw.allocated.cpus, fw.allocated.mem) == (1, 0.5, 100)


def test_agent_used_is_its_containers_never_the_host() -> None:
    """Two agents on one host: each says what its own tasks use."""
    m = mirror(agents=2, frameworks=0, tasks=0, offers=0)
    busy, idle = synthetic.agent_id(0), synthetic.agent_id(1)
    host = (1.7, 5000)  # the machine both run on
    m.apply(usage_event(busy, [(0.9, 60)], host))
    m.apply(usage_event(idle, [], host))
    assert (m.agents[busy].used_cpus, m.agents[busy].used_mem) == (0.9, 60.0)
    assert (m.agents[idle].used_cpus, m.agents[idle].used_mem) == (0.0, 0.0)
    assert m.agents[idle].has_usage
    assert m.totals().used.mem == 60.0


def test_counts_are_one_source() -> None:
    m = mirror(agents=4, frameworks=3, tasks=40, offers=2)
    ev = Event(type=Event.FRAMEWORK_REMOVED)
    ev.framework_removed.framework_info.id.value = synthetic.framework_id(2)
    m.apply(ev)
    c = m.counts()
    assert (c.agents, c.agents_active) == (4, 4)
    assert (c.frameworks, c.frameworks_completed) == (2, 1)
    assert c.tasks == len(m.tasks) == sum(n for _, n in c.by_state)
    assert c.tasks_active == sum(1 for t in m.tasks.values() if t.active)
    assert c.tasks_active == sum(a.tasks for a in m.agents.values())
    assert c.offers == len(m.offers) == sum(f.offers for f in m.frameworks.values())


def test_measured_use_per_task_and_framework_leaves_as_a_task_ends() -> None:
    m = mirror(agents=1, frameworks=0, tasks=0, offers=0)
    aid = synthetic.agent_id(0)
    m.apply(_fw_event(Event.FRAMEWORK_ADDED, "fa", "a"))
    m.apply(_fw_event(Event.FRAMEWORK_ADDED, "fb", "b"))
    m.apply(_task("fa", "t1", aid, TS.TASK_RUNNING))
    m.apply(_task("fb", "t2", aid, TS.TASK_RUNNING))
    ev = usage_event(aid, [(0.5, 60), (0.25, 20)], host=(3.0, 5000))
    for ex, (fid, tid) in zip(ev.agent_usage.usage.executors, [("fa", "t1"), ("fb", "t2")],
                              strict=True):
        ex.executor_info.framework_id.value = fid
        ex.tasks.add().id.value = tid
    m.apply(ev)
    agent, fa, fb = m.agents[aid], m.frameworks["fa"], m.frameworks["fb"]
    assert (agent.used_cpus, agent.used_mem) == (0.75, 80.0)
    assert (fa.used_cpus, fa.used_mem, fb.used_cpus, fb.used_mem) == (0.5, 60, 0.25, 20)
    assert m.tasks[task_key("fa", "t1")].used_mem == 60
    # t1 ends: its use leaves its agent and framework at once, not at the next report.
    m.apply(_update("fa", "t1", TS.TASK_FINISHED))
    assert (agent.used_cpus, agent.used_mem) == (0.25, 20.0)
    assert (fa.used_cpus, fa.used_mem) == (0, 0) and fb.used_mem == 20
    # The same report again (sampled before t1 ended) does not bring it back.
    m.apply(ev)
    assert (agent.used_cpus, fa.used_cpus, fb.used_cpus) == (0.25, 0, 0.25)
    # The agent goes away: its tasks' use leaves the frameworks.
    gone = Event(type=Event.AGENT_REMOVED)
    gone.agent_removed.agent_id.value = aid
    m.apply(gone)
    assert (fb.used_cpus, fb.used_mem) == (0, 0)


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
