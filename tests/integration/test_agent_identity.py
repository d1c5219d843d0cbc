"""Agents prove who they are (the part without credentials), against a real master and agent.

An impostor that dials the master's agent link can neither speak for tasks it does not run
(its status updates never reach the framework, the task stays RUNNING), nor take over the id of
an agent whose link is alive (ALREADY_EXISTS; the real agent and its tasks are untouched), nor
upset the master with an id that is not valid UTF-8.
"""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from daemons.common.resources import Resources
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.proto import agent_pb2, agent_pb2_grpc, mesos_pb2
from mesos_tui.client.scheduler import task_info
from tests.cluster import Cluster

QUICK = mesos_pb2.Filters(refuse_seconds=0)


def register(agent_id: str | bytes = "", cpus: str = "cpus:1000;mem:100000") -> agent_pb2.AgentMessage:
    info = mesos_pb2.AgentInfo(hostname="impostor", port=1)
    info.resources.extend(Resources.parse(cpus).to_proto())
    message = agent_pb2.AgentMessage(
        register=agent_pb2.RegisterAgent(agent_info=info, version="0.1.0", files_address="x:1")
    )
    if isinstance(agent_id, bytes):
        # What a proto2 string with invalid UTF-8 is: the same bytes, in place of a str.
        placeholder = "P" * len(agent_id)
        message.register.agent_info.id.value = placeholder
        raw = message.SerializeToString().replace(placeholder.encode(), agent_id)
        return agent_pb2.AgentMessage.FromString(raw)
    if agent_id:
        message.register.agent_info.id.value = agent_id
    return message


class Impostor:
    """A raw agent link: whatever messages a test wants, in order."""

    def __init__(self, address: str) -> None:
        self.channel = grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
        self.outbox: asyncio.Queue[agent_pb2.AgentMessage | None] = asyncio.Queue()
        self.call = agent_pb2_grpc.AgentLinkStub(self.channel).Connect(self._messages())

    async def _messages(self):  # noqa: ANN202
        while (message := await self.outbox.get()) is not None:
            yield message

    def send(self, message: agent_pb2.AgentMessage) -> None:
        self.outbox.put_nowait(message)

    async def read(self, timeout: float = 10.0) -> agent_pb2.MasterMessage:
        return await asyncio.wait_for(self.call.read(), timeout)

    async def close(self) -> None:
        self.outbox.put_nowait(None)
        self.call.cancel()
        await self.channel.close()


async def running_task(cluster: Cluster):  # noqa: ANN201
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:1;mem:256")
    driver, rec = await cluster.framework("victim")
    [offer, *_] = await rec.next("offers")
    await driver.launch(
        [offer], [task_info("long", "long", agent.agent_id, "sleep 60", "cpus:0.1;mem:32")], QUICK
    )
    running = await rec.next(
        "update", lambda s: s.task_id.value == "long" and s.state == mesos_pb2.TASK_RUNNING
    )
    return agent, driver, rec, running


async def test_an_impostor_cannot_report_tasks_it_does_not_run(cluster: Cluster) -> None:
    agent, driver, rec, running = await running_task(cluster)
    impostor = Impostor(cluster.master_address)
    try:
        impostor.send(register())
        registered = await impostor.read()
        assert registered.WhichOneof("message") == "registered"
        for state in (mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED):
            update = agent_pb2.StatusUpdate(latest_state=state)
            update.framework_id.value = driver.framework_id
            update.status.task_id.value = "long"
            update.status.agent_id.value = agent.agent_id  # it even claims to be the agent
            update.status.state = state
            update.status.uuid = bytes([state]) * 16
            impostor.send(agent_pb2.AgentMessage(status_update=update))
            # The master answers it as for a removed framework: acknowledged, dropped.
            ack = await impostor.read()
            while ack.WhichOneof("message") != "acknowledgement":
                ack = await impostor.read()
            assert ack.acknowledgement.uuid == bytes([state]) * 16
        # The acknowledgement comes after the master dropped the update: nothing to wait for.
        assert [s.state for s in rec.updates("long")][-1] == mesos_pb2.TASK_RUNNING
        [task] = [t for t in (await cluster.operator.tasks()).tasks if t.task_id.value == "long"]
        assert task.state == mesos_pb2.TASK_RUNNING
        assert task.agent_id.value == agent.agent_id
    finally:
        await impostor.close()


async def test_an_impostor_cannot_take_over_a_connected_agent_id(cluster: Cluster) -> None:
    agent, driver, rec, running = await running_task(cluster)
    impostor = Impostor(cluster.master_address)
    try:
        impostor.send(register(agent.agent_id))
        start = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await impostor.read()
        assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert f"agent {agent.agent_id} is already connected" in (caught.value.details() or "")
        assert time.monotonic() - start < 5
    finally:
        await impostor.close()
    # The real agent is still the agent: connected, its task RUNNING, nothing LOST.
    [a] = [a for a in (await cluster.operator.agents()).agents if a.agent_info.id.value == agent.agent_id]
    assert a.active and a.agent_info.hostname != "impostor"
    assert all(s.state != mesos_pb2.TASK_LOST for s in rec.updates("long"))
    [task] = [t for t in (await cluster.operator.tasks()).tasks if t.task_id.value == "long"]
    assert task.state == mesos_pb2.TASK_RUNNING
    # And a kill still reaches the real task.
    await driver.kill("long")
    killed = await rec.next(
        "update", lambda s: s.task_id.value == "long" and s.state == mesos_pb2.TASK_KILLED
    )
    assert killed.source == mesos_pb2.TaskStatus.SOURCE_EXECUTOR


async def test_an_agent_id_that_is_not_utf8_is_refused_and_offers_go_on(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:1;mem:256")
    impostor = Impostor(cluster.master_address)
    try:
        impostor.send(register(b"\xff\xfe-S0"))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await impostor.read()
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "not valid UTF-8" in (caught.value.details() or "")
    finally:
        await impostor.close()
    _, rec = await cluster.framework("after")
    assert await rec.next("offers")
    state = await cluster.operator.state()
    assert len(state.get_agents.agents) == 1
