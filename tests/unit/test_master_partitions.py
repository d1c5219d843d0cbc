"""The master actor's partition rules, driven in-process (no sockets): a task never runs twice
and a framework hears at most one terminal state per task id.

Each test plays the agent and the framework by hand: it registers an agent with an `Outbox`,
subscribes a framework, accepts its offers, sends status updates as the agent would, removes
the agent as the health checks would (`remove_agent`), and brings it back with its tasks
(`register_agent` with the agent's id). What the framework's outbox and the agent's outbox
received is then checked against Mesos's rules (master.cpp `_reregisterSlave`, 1.1 semantics).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

import pytest

from daemons.common.ids import new_uuid_bytes
from daemons.common.states import is_terminal
from daemons.master.master import Master, MasterConfig, Outbox
from daemons.proto import agent_pb2, mesos_pb2, scheduler_pb2
from mesos_tui.client.scheduler import task_info

Cap = mesos_pb2.FrameworkInfo.Capability
Call = scheduler_pb2.Call
Event = scheduler_pb2.Event


@pytest.fixture
async def master() -> AsyncIterator[Master]:
    m = Master(MasterConfig(allocation_interval=3600, agent_ping_timeout=3600))
    m.start()
    try:
        yield m
    finally:
        await m.stop()


def drain(box: Outbox) -> list[object]:
    out = []
    while not box.queue.empty():
        item = box.queue.get_nowait()
        if item is not Outbox.CLOSE:
            out.append(item)
    return out


class FakeAgent:
    """The agent's side of the link: what it registers with and what it was sent."""

    def __init__(self, master: Master, hostname: str) -> None:
        self.master = master
        self.hostname = hostname
        self.agent_id = ""
        self.link = Outbox(hostname)
        self.sent: list[agent_pb2.MasterMessage] = []
        self.tasks: dict[tuple[str, str], mesos_pb2.Task] = {}
        self.frameworks: dict[str, mesos_pb2.FrameworkInfo] = {}

    def register(self) -> None:
        reg = agent_pb2.RegisterAgent(version="test", files_address=f"{self.hostname}:1")
        reg.agent_info.hostname = self.hostname
        reg.agent_info.resources.extend(_resources("cpus:4;mem:4096"))
        if self.agent_id:
            reg.agent_info.id.value = self.agent_id
            reg.tasks.extend(self.tasks.values())
            reg.frameworks.extend(self.frameworks.values())
        self.link = Outbox(self.hostname)
        agent = self.master.register_agent(reg, self.link)
        self.agent_id = agent.agent_id
        self.read()

    def read(self) -> list[agent_pb2.MasterMessage]:
        new = [m for m in drain(self.link) if isinstance(m, agent_pb2.MasterMessage)]
        for m in new:
            if m.HasField("run_task"):
                t = m.run_task.task
                key = (m.run_task.framework_info.id.value, t.task_id.value)
                task = mesos_pb2.Task(name=t.name, state=mesos_pb2.TASK_STAGING)
                task.task_id.CopyFrom(t.task_id)
                task.framework_id.value = key[0]
                task.agent_id.value = self.agent_id
                task.resources.extend(t.resources)
                self.tasks[key] = task
                self.frameworks[key[0]] = m.run_task.framework_info
        self.sent += new
        return new

    def update(self, fid: str, tid: str, state: int) -> bytes:
        """The agent reports a new state of a task (a new uuid)."""
        status = mesos_pb2.TaskStatus(state=state, uuid=new_uuid_bytes())
        status.task_id.value = tid
        status.agent_id.value = self.agent_id
        self.tasks[(fid, tid)].state = state
        self.retry(fid, status)
        return status.uuid

    def retry(self, fid: str, status: mesos_pb2.TaskStatus) -> None:
        up = agent_pb2.StatusUpdate(status=status, latest_state=status.state)
        up.framework_id.value = fid
        agent = self.master.agents[self.agent_id]
        self.master.status_update(agent, up)
        self.read()

    def kills(self) -> set[str]:
        return {m.kill_task.task_id.value for m in self.sent if m.HasField("kill_task")}

    def acks(self) -> set[bytes]:
        return {m.acknowledgement.uuid for m in self.sent if m.HasField("acknowledgement")}


class FakeFramework:
    def __init__(self, master: Master, name: str, aware: bool) -> None:
        self.master = master
        self.stream = Outbox(name)
        info = mesos_pb2.FrameworkInfo(name=name, user="root", failover_timeout=3600)
        if aware:
            info.capabilities.add(type=Cap.PARTITION_AWARE)
        call = Call(type=Call.SUBSCRIBE)
        call.subscribe.framework_info.CopyFrom(info)
        self.fw, self.stream_id = master.subscribe(call, self.stream)
        self.events: list[Event] = []

    @property
    def id(self) -> str:
        return self.fw.framework_id

    def read(self) -> list[Event]:
        new = [e for e in drain(self.stream) if isinstance(e, Event)]
        self.events += new
        return new

    def updates(self, tid: str) -> list[mesos_pb2.TaskStatus]:
        self.read()
        return [
            e.update.status for e in self.events
            if e.type == Event.UPDATE and e.update.status.task_id.value == tid
        ]

    def terminal_states(self, tid: str) -> list[str]:
        """The terminal states told for `tid` (distinct updates; reconciliation answers and
        retransmissions of one update counted once)."""
        seen: set[bytes] = set()
        out = []
        for s in self.updates(tid):
            if s.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION:
                continue
            if s.uuid and s.uuid in seen:
                continue
            seen.add(s.uuid)
            if is_terminal(s.state):
                out.append(mesos_pb2.TaskState.Name(s.state))
        return out

    async def launch(self, agent: FakeAgent, task_ids: Iterable[str]) -> None:
        self.master.allocate()
        self.read()
        offers = [
            o for e in self.events if e.type == Event.OFFERS for o in e.offers.offers
            if o.agent_id.value == agent.agent_id and o.id.value in self.master.offers
        ]
        assert offers, "no offer of the agent"
        call = Call(type=Call.ACCEPT)
        call.framework_id.value = self.id
        call.accept.offer_ids.add().value = offers[0].id.value
        op = call.accept.operations.add(type=mesos_pb2.Offer.Operation.LAUNCH)
        for tid in task_ids:
            op.launch.task_infos.append(task_info(tid, tid, agent.agent_id, "sleep 60", "cpus:0.1;mem:16"))
        self.master.handle_call(call, self.stream_id)
        agent.read()
        for tid in task_ids:
            agent.update(self.id, tid, mesos_pb2.TASK_RUNNING)

    def ack_all(self, agent: FakeAgent) -> None:
        for s in [s for e in self.read() if e.type == Event.UPDATE for s in [e.update.status]]:
            if s.uuid:
                call = Call(type=Call.ACKNOWLEDGE)
                call.framework_id.value = self.id
                call.acknowledge.task_id.CopyFrom(s.task_id)
                call.acknowledge.agent_id.value = agent.agent_id
                call.acknowledge.uuid = s.uuid
                self.master.handle_call(call, self.stream_id)
        agent.read()


def _resources(text: str) -> list[mesos_pb2.Resource]:
    from daemons.common.resources import Resources

    return Resources.parse(text).to_proto()


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_partitioned_plain_framework_tasks_are_killed_with_one_terminal_update(
    master: Master,
) -> None:
    a = FakeAgent(master, "a1")
    a.register()
    f = FakeFramework(master, "plain", aware=False)
    await f.launch(a, ["t1", "t2"])
    f.ack_all(a)

    master.remove_agent(a.agent_id, "test partition")
    await _settle()
    assert [s.state for s in f.updates("t1")][-1] == mesos_pb2.TASK_LOST
    assert a.agent_id in master.lost_agents

    # While away, t2 finished; t1 still runs. The agent comes back with both.
    a.tasks[(f.id, "t2")].state = mesos_pb2.TASK_FINISHED
    a.register()
    assert a.kills() == {"t1"}  # the running copy is killed; t2 is over anyway
    assert master.get_tasks().tasks == []  # neither is adopted again
    # The agent's updates for them (its pending TASK_FINISHED, then TASK_KILLED) are
    # acknowledged by the master and never reach the framework.
    u2 = a.update(f.id, "t2", mesos_pb2.TASK_FINISHED)
    u1 = a.update(f.id, "t1", mesos_pb2.TASK_KILLED)
    assert {u1, u2} <= a.acks()
    assert f.terminal_states("t1") == ["TASK_LOST"]
    assert f.terminal_states("t2") == ["TASK_LOST"]


async def test_partition_aware_framework_hears_unreachable_then_the_true_state(
    master: Master,
) -> None:
    a = FakeAgent(master, "a1")
    a.register()
    f = FakeFramework(master, "aware", aware=True)
    await f.launch(a, ["t1", "t2"])
    f.ack_all(a)

    master.remove_agent(a.agent_id, "test partition")
    await _settle()
    assert [s.state for s in f.updates("t1")][-1] == mesos_pb2.TASK_UNREACHABLE

    a.tasks[(f.id, "t2")].state = mesos_pb2.TASK_FINISHED
    a.register()
    assert a.kills() == set()
    f.read()
    assert [s.state for s in f.updates("t1")][-1] == mesos_pb2.TASK_RUNNING
    # t2 ended while away: the framework hears it from the agent's own update, once.
    assert [s.state for s in f.updates("t2")][-1] == mesos_pb2.TASK_UNREACHABLE
    a.update(f.id, "t2", mesos_pb2.TASK_FINISHED)
    assert f.terminal_states("t2") == ["TASK_FINISHED"]
    assert f.terminal_states("t1") == []
    assert {t.task_id.value for t in master.get_tasks().tasks} == {"t1", "t2"}


async def test_restarted_agent_whose_tasks_ended_meanwhile_gives_one_terminal_each(
    master: Master,
) -> None:
    a = FakeAgent(master, "a1")
    a.register()
    f = FakeFramework(master, "plain", aware=False)
    ids = [f"t{i}" for i in range(5)]
    await f.launch(a, ids)
    f.ack_all(a)
    master.remove_agent(a.agent_id, "missed pings")
    await _settle()
    for i, tid in enumerate(ids):
        a.tasks[(f.id, tid)].state = mesos_pb2.TASK_FINISHED if i % 2 else mesos_pb2.TASK_FAILED
    a.register()
    for tid in ids:
        a.update(f.id, tid, a.tasks[(f.id, tid)].state)
    for tid in ids:
        assert f.terminal_states(tid) == ["TASK_LOST"], tid


async def test_replacement_with_the_same_id_is_the_only_live_copy(master: Master) -> None:
    a = FakeAgent(master, "a1")
    b = FakeAgent(master, "b1")
    a.register()
    b.register()
    f = FakeFramework(master, "plain", aware=False)
    await f.launch(a, ["t1"])
    f.ack_all(a)
    master.remove_agent(a.agent_id, "partition")
    await _settle()
    await f.launch(b, ["t1"])  # the replacement reuses the id
    a.register()
    assert a.kills() == {"t1"}
    [task] = master.get_tasks().tasks
    assert task.agent_id.value == b.agent_id
    a.update(f.id, "t1", mesos_pb2.TASK_KILLED)
    assert [mesos_pb2.TaskState.Name(s.state) for s in f.updates("t1")][-1] == "TASK_RUNNING"
    assert f.terminal_states("t1") == ["TASK_LOST"]


async def test_retry_after_the_acknowledged_terminal_update_is_not_forwarded(
    master: Master,
) -> None:
    a = FakeAgent(master, "a1")
    a.register()
    f = FakeFramework(master, "plain", aware=False)
    await f.launch(a, ["t1"])
    a.update(f.id, "t1", mesos_pb2.TASK_FINISHED)
    f.ack_all(a)  # the task is forgotten (completed)
    terminal = [s for s in f.updates("t1") if s.state == mesos_pb2.TASK_FINISHED][0]
    a.retry(f.id, terminal)  # the agent had not heard the acknowledgement yet
    assert len([s for s in f.updates("t1") if s.state == mesos_pb2.TASK_FINISHED]) == 1
    assert terminal.uuid in a.acks()


async def test_reconciliation_waits_for_agents_expected_after_a_failover() -> None:
    m = Master(MasterConfig(allocation_interval=3600, agent_ping_timeout=3600), leading=False)
    m.become_leader({"agents": {"A1": {"hostname": "a1", "port": 1}}, "unreachable": {}})
    try:
        f = FakeFramework(m, "plain", aware=False)
        call = Call(type=Call.RECONCILE)
        call.framework_id.value = f.id
        item = call.reconcile.tasks.add()
        item.task_id.value = "t1"
        item.agent_id.value = "A1"
        m.handle_call(call, f.stream_id)
        assert f.updates("t1") == []  # A1 may still come back with t1
    finally:
        await m.stop()


async def test_lost_agents_are_remembered_by_the_next_leader() -> None:
    """The registry's `lost` list is what a new leader acts on: the agent's tasks of a plain
    framework are killed when it comes back, though this master never saw them."""
    m = Master(MasterConfig(allocation_interval=3600, agent_ping_timeout=3600), leading=False)
    m.become_leader(
        {"agents": {"A1": {}}, "unreachable": {"A1": 1.0}, "lost": {"A1": 1.0}}
    )
    try:
        f = FakeFramework(m, "plain", aware=False)
        g = FakeFramework(m, "aware", aware=True)
        a = FakeAgent(m, "a1")
        a.agent_id = "A1"
        for fw, tid in ((f, "p1"), (g, "q1")):
            t = mesos_pb2.Task(name=tid, state=mesos_pb2.TASK_RUNNING)
            t.task_id.value = tid
            t.framework_id.value = fw.id
            t.agent_id.value = "A1"
            t.resources.extend(_resources("cpus:0.1;mem:16"))
            a.tasks[(fw.id, tid)] = t
            a.frameworks[fw.id] = fw.fw.info
        a.register()
        assert a.kills() == {"p1"}
        assert {t.task_id.value for t in m.get_tasks().tasks} == {"q1"}
        assert "A1" not in m.lost_agents
    finally:
        await m.stop()
