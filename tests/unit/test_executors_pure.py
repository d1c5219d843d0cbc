"""Custom executors, the pure parts: the executor API's call validation and bounded stream, the
wait status of an executor's end, and the master's accounting of executors driven in-process
(a re-registering agent's executors adopted after a failover, freed when they exit)."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator

import pytest

from daemons.agent.containerizer import ExitStatus
from daemons.agent.executor_api import ExecutorStream, validate_call
from daemons.agent.executors import wait_status
from daemons.common.resources import Resources
from daemons.master.master import CallError, Master, MasterConfig, Outbox
from daemons.proto import agent_pb2, executor_pb2, mesos_pb2, scheduler_pb2

Call = executor_pb2.Call
Event = executor_pb2.Event


def _call(kind: int) -> executor_pb2.Call:
    call = Call(type=kind)
    call.framework_id.value = "F"
    call.executor_id.value = "E"
    return call


def _update(**fields: object) -> executor_pb2.Call:
    call = _call(Call.UPDATE)
    status = call.update.status
    status.task_id.value = "t"
    status.state = mesos_pb2.TASK_RUNNING
    status.source = mesos_pb2.TaskStatus.SOURCE_EXECUTOR
    status.uuid = b"u" * 16
    for name, value in fields.items():
        setattr(status, name, value)
    return call


def test_validate_call_follows_mesos() -> None:
    assert validate_call(_update()) is None
    subscribe = _call(Call.SUBSCRIBE)
    assert validate_call(subscribe) == "Expecting 'subscribe' to be present"
    subscribe.subscribe.SetInParent()
    assert validate_call(subscribe) is None
    no_executor = _call(Call.MESSAGE)
    no_executor.ClearField("executor_id")
    assert validate_call(no_executor) == "Expecting 'executor_id' to be present"
    assert validate_call(Call(executor_id={"value": "E"})) == "Expecting 'type' to be present"
    assert validate_call(_call(Call.MESSAGE)) == "Expecting 'message' to be present"
    assert "expecting 'SOURCE_EXECUTOR'" in (
        validate_call(_update(source=mesos_pb2.TaskStatus.SOURCE_AGENT)) or "")
    assert "TASK_STAGING" in (validate_call(_update(state=mesos_pb2.TASK_STAGING)) or "")
    assert "16-byte UUID" in (validate_call(_update(uuid=b"short")) or "")
    other = _update()
    other.update.status.executor_id.value = "someone-else"
    assert "does not match ExecutorID in TaskStatus" in (validate_call(other) or "")
    no_uuid = _update()
    no_uuid.update.status.ClearField("uuid")
    assert validate_call(no_uuid) == "Expecting 'uuid' to be present"


async def test_stream_is_bounded_in_bytes() -> None:
    stream = ExecutorStream("application/json", limit=1000)
    big = Event(type=Event.MESSAGE, message=Event.Message(data=b"x" * 300))
    stream.send(big)
    stream.send(big)
    assert not stream.closed
    stream.send(big)  # over 1000 bytes waiting: cut off
    assert stream.closed and stream.overflowed
    assert await stream.take(0.01) is None
    stream.send(big)  # nothing more is buffered once closed
    assert stream.size == 0 and not stream.chunks


async def test_stream_gives_heartbeat_room_when_idle() -> None:
    stream = ExecutorStream("application/x-protobuf")
    assert await stream.take(0.01) == b""  # nothing within the interval: time to heartbeat
    stream.send(Event(type=Event.SHUTDOWN))
    data = await stream.take(1.0)
    assert data is not None
    length, record = data.split(b"\n", 1)
    assert int(length) == len(record)
    assert Event.FromString(record).type == Event.SHUTDOWN


def test_wait_status_of_an_executor_end() -> None:
    exited = wait_status(ExitStatus(exit_code=3, signal=None, killed=False))
    assert os.WIFEXITED(exited) and os.WEXITSTATUS(exited) == 3
    killed = wait_status(ExitStatus(exit_code=None, signal=signal.SIGKILL, killed=True))
    assert os.WIFSIGNALED(killed) and os.WTERMSIG(killed) == signal.SIGKILL
    assert wait_status(ExitStatus(exit_code=0, signal=None, killed=False)) == 0


# ----------------------------------------------------------------------------- the master


@pytest.fixture
async def master() -> AsyncIterator[Master]:
    m = Master(MasterConfig(allocation_interval=3600, agent_ping_timeout=3600))
    m.start()
    try:
        yield m
    finally:
        await m.stop()


def _reregistration(executor_resources: str) -> agent_pb2.RegisterAgent:
    reg = agent_pb2.RegisterAgent(version="test", files_address="a:1")
    reg.agent_info.hostname = "a"
    reg.agent_info.id.value = "A-S0"
    reg.agent_info.resources.extend(Resources.parse("cpus:4;mem:4096").to_proto())
    framework = reg.frameworks.add(name="fw", user="root", failover_timeout=3600)
    framework.id.value = "F"
    task = reg.tasks.add(name="t", state=mesos_pb2.TASK_RUNNING)
    task.task_id.value = "t"
    task.framework_id.value = "F"
    task.executor_id.value = "E"
    task.resources.extend(Resources.parse("cpus:1;mem:128").to_proto())
    executor = reg.executor_infos.add(name="E")
    executor.executor_id.value = "E"
    executor.framework_id.value = "F"
    executor.command.value = "run-executor"
    executor.resources.extend(Resources.parse(executor_resources).to_proto())
    return reg


async def test_failed_over_master_adopts_executors_and_frees_them(master: Master) -> None:
    link = Outbox("a")
    agent = master.register_agent(_reregistration("cpus:0.5;mem:64"), link)
    [ex] = master.get_executors().executors
    assert ex.executor_info.executor_id.value == "E" and ex.agent_id.value == "A-S0"
    held = Resources.parse("cpus:1.5;mem:192")
    assert Resources.from_proto(master.agent_proto(agent).allocated_resources) == held
    assert master.allocator.allocated("A-S0")["F"] == held

    # The framework comes back; then the executor ends: FAILURE, and its share is free.
    stream = Outbox("fw")
    call = scheduler_pb2.Call(type=scheduler_pb2.Call.SUBSCRIBE)
    call.framework_id.value = "F"
    call.subscribe.framework_info.CopyFrom(master.frameworks["F"].info)
    master.subscribe(call, stream)
    exited = agent_pb2.ExitedExecutorMessage(status=3 << 8)
    exited.framework_id.value = "F"
    exited.executor_id.value = "E"
    master.agent_message(agent, agent_pb2.AgentMessage(exited_executor=exited))
    assert not master.get_executors().executors
    assert master.allocator.allocated("A-S0")["F"] == Resources.parse("cpus:1;mem:128")
    events = []
    while not stream.queue.empty():
        events.append(stream.queue.get_nowait())
    [failure] = [e for e in events if getattr(e, "type", None) == scheduler_pb2.Event.FAILURE]
    assert failure.failure.executor_id.value == "E" and failure.failure.status == 768


async def test_reregistration_refused_when_executors_overcommit(master: Master) -> None:
    with pytest.raises(CallError, match="more than its resources"):
        master.register_agent(_reregistration("cpus:3.5;mem:64"), Outbox("a"))


async def test_message_to_an_unknown_agent_is_refused(master: Master) -> None:
    master.register_agent(_reregistration("cpus:0.5;mem:64"), Outbox("a"))
    stream = Outbox("fw")
    call = scheduler_pb2.Call(type=scheduler_pb2.Call.SUBSCRIBE)
    call.framework_id.value = "F"
    call.subscribe.framework_info.CopyFrom(master.frameworks["F"].info)
    fw, stream_id = master.subscribe(call, stream)
    message = scheduler_pb2.Call(type=scheduler_pb2.Call.MESSAGE)
    message.framework_id.value = "F"
    message.message.agent_id.value = "nowhere"
    message.message.executor_id.value = "E"
    message.message.data = b"hi"
    with pytest.raises(CallError, match="agent nowhere is not registered"):
        master.handle_call(message, stream_id)
    message.message.agent_id.value = "A-S0"
    master.handle_call(message, stream_id)
    sent = []
    agent_link = master.agents["A-S0"].link
    while not agent_link.queue.empty():
        sent.append(agent_link.queue.get_nowait())
    [forwarded] = [m for m in sent if isinstance(m, agent_pb2.MasterMessage)
                   and m.HasField("framework_to_executor")]
    assert forwarded.framework_to_executor.data == b"hi"
    assert forwarded.framework_to_executor.executor_id.value == "E"
