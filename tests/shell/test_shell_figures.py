"""The shell's `frameworks` and `agents` print the mirror's figures (the ones the TUI's views
and header draw), labelled apart: ALLOCATED (tasks), OFFERED (offers), USED (measured)."""

from __future__ import annotations

from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.shell.registry import REGISTRY
from mesos_tui.shell.session import ShellSession
from mesos_tui.tui import synthetic

Event = master_pb2.Event
TS = mesos_pb2.TaskState


def session_with_cluster() -> ShellSession:
    s = master_pb2.Response.GetState()
    a = s.get_agents.agents.add(active=True, pid="slave(1)@127.0.0.1:5051")
    a.agent_info.id.value = "M-S0"
    a.agent_info.hostname = "agent1"
    a.total_resources.extend(synthetic.resources(4, 4096, 1000))
    # The master's figure of some earlier moment: the mirror books from tasks instead.
    a.allocated_resources.extend(synthetic.resources(3, 3000))
    f = s.get_frameworks.frameworks.add(active=True, connected=True)
    f.framework_info.id.value = "M-0000"
    f.framework_info.name = "queue"
    f.allocated_resources.extend(synthetic.resources(0.3, 96))  # ditto
    o = f.offers.add()
    o.id.value, o.framework_id.value, o.agent_id.value = "O1", "M-0000", "M-S0"
    o.resources.extend(synthetic.resources(3.8, 4032))
    for tid, st in (("a-1", TS.TASK_RUNNING), ("a-2", TS.TASK_RUNNING), ("a-0", TS.TASK_FINISHED)):
        t = (s.get_tasks.completed_tasks if st == TS.TASK_FINISHED else s.get_tasks.tasks).add(
            name=tid, state=st)
        t.task_id.value, t.framework_id.value, t.agent_id.value = tid, "M-0000", "M-S0"
        t.resources.extend(synthetic.resources(0.1, 32))
    session = ShellSession("127.0.0.1:1")
    session.mirror.apply_state(s)
    return session


def row(text: str, key: str) -> list[str]:
    (line,) = [x for x in text.splitlines() if x.startswith(key + " ")]
    return line.split()


async def test_frameworks_and_agents_print_the_true_figures_labelled() -> None:
    session = session_with_cluster()
    r = await REGISTRY.run("frameworks", session)
    assert r.ok, r.text
    assert r.text.splitlines()[0].split() == [
        "ID", "NAME", "STATE", "ROLE", "TASKS", "ALLOCATED", "OFFERED", "USED"]
    assert row(r.text, "M-0000")[4:] == ["2", "cpus:0.2;mem:64", "cpus:3.8;mem:4032", "-"]

    r = await REGISTRY.run("agents", session)
    assert r.ok, r.text
    assert r.text.splitlines()[0].split() == [
        "ID", "HOSTNAME", "STATE", "TASKS", "ALLOCATED", "OFFERED", "USED", "TOTAL", "ADDRESS"]
    assert row(r.text, "M-S0")[3:8] == [
        "2", "cpus:0.2;mem:64;disk:0", "cpus:3.8;mem:4032;disk:0", "-",
        "cpus:4;mem:4096;disk:1000"]

    # Measured use arrives, a task ends, the offer is declined: the listings follow at once.
    m = session.mirror
    usage = Event(type=Event.AGENT_USAGE)
    usage.agent_usage.agent_id.value = "M-S0"
    for tid, mb in (("a-1", 20), ("a-2", 30)):
        ex = usage.agent_usage.usage.executors.add()
        ex.executor_info.framework_id.value = "M-0000"
        ex.tasks.add().id.value = tid
        ex.statistics.cpus_usage = 0.01
        ex.statistics.mem_rss_bytes = mb << 20
    usage.agent_usage.used.mem_rss_bytes = 5000 << 20  # the host: not the agent's
    m.apply(usage)
    ended = Event(type=Event.TASK_UPDATED)
    ended.task_updated.framework_id.value = "M-0000"
    ended.task_updated.status.task_id.value = "a-1"
    ended.task_updated.state = ended.task_updated.status.state = TS.TASK_FINISHED
    m.apply(ended)
    declined = Event(type=Event.OFFER_DECLINED)
    declined.offer_declined.offer_id.value = "O1"
    m.apply(declined)
    r = await REGISTRY.run("frameworks", session)
    assert row(r.text, "M-0000")[4:] == ["1", "cpus:0.1;mem:32", "cpus:0;mem:0", "cpus:0.01;mem:30"]
    r = await REGISTRY.run("agents", session)
    assert row(r.text, "M-S0")[3:7] == [
        "1", "cpus:0.1;mem:32;disk:0", "cpus:0;mem:0;disk:0", "cpus:0.01;mem:30"]
