"""The master's gRPC edge: the scheduler API, the operator API and the agent link.

Each servicer turns the wire into calls through the front door (`calls.py`, which the HTTP
edge uses too) onto `Master` (all on the one event loop) and streams the master's outbound
messages back. A `CallError` becomes a gRPC status with its one-line
message; while this master is not the leader every call is answered UNAVAILABLE with the
leader's address in the `mesos-leader` trailing metadata.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc

from daemons.common.rpc import LEADER_KEY, STREAM_ID_KEY, metadata_value
from daemons.master import calls
from daemons.master.acceptor import peer_of
from daemons.master.calls import Caller, leader_elsewhere, not_leader_message
from daemons.master.events import SlowSubscriber, StreamClosed
from daemons.master.master import CallError, Master, Outbox
from daemons.proto import (
    agent_pb2,
    agent_pb2_grpc,
    master_pb2,
    master_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
)

log = logging.getLogger("mesos.master")

REGISTER_TIMEOUT = 30.0


async def _abort(context: grpc.aio.ServicerContext, error: CallError) -> None:
    await context.abort(getattr(grpc.StatusCode, error.code), error.message)


def _caller(context: grpc.aio.ServicerContext) -> Caller:
    return Caller(edge="grpc", peer=peer_of(context.peer()))


async def _check_leading(master: Master, context: grpc.aio.ServicerContext) -> None:
    leader = await leader_elsewhere(master)
    if leader is None:
        return
    if leader:
        context.set_trailing_metadata(((LEADER_KEY, leader),))
    await context.abort(grpc.StatusCode.UNAVAILABLE, not_leader_message(leader))


async def _drain(outbox: Outbox) -> AsyncIterator[object]:
    while True:
        item = await outbox.queue.get()
        if item is Outbox.CLOSE:
            return
        yield item


async def _closed(master: Master, outbox: Outbox, context: grpc.aio.ServicerContext) -> None:
    """End a stream the master closed: with UNAVAILABLE (and where the leader is) when it
    closed with a reason, so the client knows to look for the leader again."""
    if outbox.error is None:
        return
    if not master.leading and master.leader_address and master.leader_address != master.address:
        context.set_trailing_metadata(((LEADER_KEY, master.leader_address),))
    await context.abort(grpc.StatusCode.UNAVAILABLE, outbox.error)


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServicer):
    def __init__(self, master: Master) -> None:
        self.master = master

    async def Subscribe(self, request, context):  # noqa: N802 (gRPC's name)
        await _check_leading(self.master, context)
        caller = _caller(context)
        stream = Outbox(peer=caller.peer)
        try:
            fw, stream_id = calls.scheduler_subscribe(self.master, caller, request, stream)
        except CallError as e:
            await _abort(context, e)
            return
        await context.send_initial_metadata(((STREAM_ID_KEY, stream_id),))
        try:
            async for event in _drain(stream):
                yield event
            await _closed(self.master, stream, context)
        finally:
            self.master.framework_disconnected(fw, stream)

    async def Call(self, request, context):  # noqa: N802
        await _check_leading(self.master, context)
        stream_id = metadata_value(context.invocation_metadata(), STREAM_ID_KEY) or ""
        try:
            calls.scheduler_call(self.master, _caller(context), request, stream_id)
        except CallError as e:
            await _abort(context, e)
        return scheduler_pb2.Response()


class OperatorServicer(master_pb2_grpc.MasterServicer):
    def __init__(self, master: Master) -> None:
        self.master = master

    async def Call(self, request, context):  # noqa: N802
        if request.type not in calls.LOCAL_OPERATOR_CALLS:
            await _check_leading(self.master, context)
        try:
            return calls.operator_call(self.master, _caller(context), request)
        except CallError as e:
            await _abort(context, e)

    async def Subscribe(self, request, context):  # noqa: N802
        m = self.master
        await _check_leading(m, context)
        E = master_pb2.Event
        sub, subscribed = calls.operator_subscribe(m, _caller(context))
        try:
            yield subscribed
            beat = E(type=E.HEARTBEAT)
            while True:
                try:
                    event = await asyncio.wait_for(sub.next(), m.config.heartbeat_interval)
                except TimeoutError:
                    event = beat
                except SlowSubscriber as e:
                    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(e))
                    return
                except StreamClosed as e:
                    if m.leader_address and m.leader_address != m.address:
                        context.set_trailing_metadata(((LEADER_KEY, m.leader_address),))
                    await context.abort(grpc.StatusCode.UNAVAILABLE, str(e))
                    return
                yield event
        finally:
            m.events.unsubscribe(sub)


class AgentLinkServicer(agent_pb2_grpc.AgentLinkServicer):
    def __init__(self, master: Master) -> None:
        self.master = master

    async def Connect(self, request_iterator, context):  # noqa: N802
        m = self.master
        await _check_leading(m, context)
        try:
            first = await asyncio.wait_for(anext(request_iterator), REGISTER_TIMEOUT)
        except (StopAsyncIteration, TimeoutError):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the agent sent no register message")
            return
        if first.WhichOneof("message") != "register":
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "the first message on the link must be register"
            )
            return
        link = Outbox(peer=peer_of(context.peer()))
        try:
            agent = m.register_agent(first.register, link)
        except CallError as e:
            await _abort(context, e)
            return
        if m.registry is not None:
            # Like Mesos's registrar: an agent hears it is admitted only once the registry a
            # future leader reads says so.
            if not await m.registry.flushed(REGISTER_TIMEOUT):
                log.warning("Agent %s admitted before the registry was written", agent.agent_id)

        async def read() -> None:
            try:
                async for msg in request_iterator:
                    try:
                        m.agent_message(agent, msg)
                    except Exception:
                        log.exception("Failed to handle a message from agent %s", agent.agent_id)
            except (asyncio.CancelledError, grpc.RpcError):
                pass
            finally:
                link.close()

        reader = asyncio.get_running_loop().create_task(read())
        try:
            async for message in _drain(link):
                yield message
            await _closed(m, link, context)
        finally:
            reader.cancel()
            m.agent_disconnected(agent, link)


def add_servicers(server: grpc.aio.Server, master: Master) -> None:
    scheduler_pb2_grpc.add_SchedulerServicer_to_server(SchedulerServicer(master), server)
    master_pb2_grpc.add_MasterServicer_to_server(OperatorServicer(master), server)
    agent_pb2_grpc.add_AgentLinkServicer_to_server(AgentLinkServicer(master), server)


__all__ = ["add_servicers", "agent_pb2"]
