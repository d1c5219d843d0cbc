"""The master's gRPC edge: the scheduler API, the operator API and the agent link.

Each servicer turns the wire into calls through the front door (`calls.py`, which the HTTP
edge uses too) onto `Master` (all on the one event loop) and streams the master's outbound
messages back. A `CallError` becomes a gRPC status with its one-line
message; while this master is not the leader every call is answered UNAVAILABLE with the
leader's address in the `mesos-leader` trailing metadata.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable

import grpc

from daemons.common.acceptor import is_tls, peer_of
from daemons.common.rpc import (
    LEADER_KEY,
    STREAM_ID_KEY,
    Undecodable,
    add_lenient,
    metadata_value,
)
from daemons.common.validation import Invalid, check_message, check_message_async
from daemons.master import calls
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
# Elected in ZooKeeper but still taking office (reading the registry, a few milliseconds): how
# long a call waits for that rather than being turned away. Agents and frameworks learn of the
# election at the same instant as the master, and one turned away backs off for seconds.
TAKING_OFFICE_SECONDS = 2.0


# An agent re-registering with the id of an agent whose link is up: how long the old link has
# to answer a ping before the newcomer is taken for the agent (the old link was dead).
REREGISTER_PROBE_SECONDS = 2.0


async def _abort(context: grpc.aio.ServicerContext, error: CallError | Invalid) -> None:
    if isinstance(error, Invalid):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
    await context.abort(getattr(grpc.StatusCode, error.code), error.message)


def _one_sentence(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:200] if text else type(e).__name__


def guarded(method: Callable) -> Callable:  # type: ignore[type-arg]
    """Every servicer method: a refusal (CallError, Invalid) is its own status and sentence;
    anything else is a bug, logged with its traceback and answered INTERNAL in one sentence,
    never gRPC's "Unexpected <class ...>"."""

    async def on_error(context: grpc.aio.ServicerContext, e: Exception) -> None:
        if isinstance(e, CallError | Invalid):
            await _abort(context, e)
        log.exception("%s failed", method.__qualname__)
        await context.abort(
            grpc.StatusCode.INTERNAL,
            f"the master failed to handle this call ({_one_sentence(e)}); see its log",
        )

    if inspect.isasyncgenfunction(method):
        @functools.wraps(method)
        async def stream(self, request, context):  # type: ignore[no-untyped-def]
            if isinstance(request, Undecodable):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
            try:
                async for item in method(self, request, context):
                    yield item
            except (asyncio.CancelledError, grpc.aio.AbortError, GeneratorExit):
                raise
            except Exception as e:
                await on_error(context, e)
        return stream

    @functools.wraps(method)
    async def unary(self, request, context):  # type: ignore[no-untyped-def]
        if isinstance(request, Undecodable):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
        try:
            return await method(self, request, context)
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except Exception as e:
            await on_error(context, e)
    return unary


def _caller(context: grpc.aio.ServicerContext) -> Caller:
    grpc_peer = context.peer()
    return Caller(edge="grpc", peer=peer_of(grpc_peer), tls=is_tls(grpc_peer))


async def _check_leading(master: Master, context: grpc.aio.ServicerContext) -> None:
    leader = await leader_elsewhere(master)
    if leader is None:
        return
    if leader:
        context.set_trailing_metadata(((LEADER_KEY, leader),))
    await context.abort(grpc.StatusCode.UNAVAILABLE, not_leader_message(leader))


async def _drain(outbox: Outbox) -> AsyncIterator[object]:
    while True:
        item = await outbox.get()
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

    @guarded
    async def Subscribe(self, request, context):  # noqa: N802 (gRPC's name)
        await _check_leading(self.master, context)
        await check_message_async(request, "call")
        caller = _caller(context)
        stream = Outbox(peer=caller.peer, limit=self.master.config.max_client_queue_bytes)
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

    @guarded
    async def Call(self, request, context):  # noqa: N802
        await _check_leading(self.master, context)
        stream_id = metadata_value(context.invocation_metadata(), STREAM_ID_KEY) or ""
        try:
            await calls.scheduler_call(self.master, _caller(context), request, stream_id)
        except CallError as e:
            await _abort(context, e)
        return scheduler_pb2.Response()


class OperatorServicer(master_pb2_grpc.MasterServicer):
    def __init__(self, master: Master) -> None:
        self.master = master

    @guarded
    async def Call(self, request, context):  # noqa: N802
        if request.type not in calls.LOCAL_OPERATOR_CALLS:
            await _check_leading(self.master, context)
        try:
            return calls.operator_call(self.master, _caller(context), request)
        except CallError as e:
            await _abort(context, e)

    @guarded
    async def Subscribe(self, request, context):  # noqa: N802
        m = self.master
        await _check_leading(m, context)
        check_message(request, "call")
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

    async def _probe_old_link(self, agent_id: str, context: grpc.aio.ServicerContext) -> None:
        """Refuse a re-registration with the id of an agent whose link is alive: ping the
        old link, and if it answers within REREGISTER_PROBE_SECONDS the id is taken. An agent
        that restarted or lost its connection has a dead old link, which does not answer.
        (With agent credentials, the same credential will be required as well.)"""
        m = self.master
        old = m.agents.get(agent_id) if agent_id else None
        if old is None or old.link is None or old.link.closed:
            return
        old.ping_seq += 1
        seq = old.ping_seq
        old.awaiting_pong = True
        old.link.send(agent_pb2.MasterMessage(ping=agent_pb2.Ping(seq=seq)))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(REREGISTER_PROBE_SECONDS, m.config.agent_ping_timeout)
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            if m.agents.get(agent_id) is not old or old.link is None or old.link.closed:
                return
            if not old.awaiting_pong:
                log.warning(
                    "Refused agent %s registering from %s: that agent is connected from %s",
                    agent_id, context.peer(), old.link.peer,
                )
                await context.abort(
                    grpc.StatusCode.ALREADY_EXISTS,
                    f"agent {agent_id} is already connected to this master from another "
                    "link; an agent id may be used by one agent only",
                )

    @guarded
    async def Connect(self, request_iterator, context):  # noqa: N802
        m = self.master
        await _check_leading(m, context)
        try:
            first = await asyncio.wait_for(anext(request_iterator), REGISTER_TIMEOUT)
        except StopAsyncIteration:
            return  # the agent gave up (closed or cancelled its stream): no one to answer
        except TimeoutError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the agent sent no register message")
            return
        if isinstance(first, Undecodable):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, first.message)
        if first.WhichOneof("message") != "register":
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "the first message on the link must be register"
            )
            return
        check_message(first, "register")
        await self._probe_old_link(m.agent_id_for(first.register), context)
        if not m.leading:
            await _check_leading(m, context)
        link = Outbox(peer=peer_of(context.peer()), limit=m.config.max_client_queue_bytes)
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
                    if isinstance(msg, Undecodable):
                        log.warning("Dropped a message from agent %s: %s", agent.agent_id, msg.message)
                        continue
                    try:
                        check_message(msg, "message")
                    except Invalid as e:
                        log.warning("Dropped a message from agent %s: %s", agent.agent_id, e)
                        continue
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
    add_lenient(scheduler_pb2_grpc.add_SchedulerServicer_to_server, SchedulerServicer(master), server)
    add_lenient(master_pb2_grpc.add_MasterServicer_to_server, OperatorServicer(master), server)
    add_lenient(agent_pb2_grpc.add_AgentLinkServicer_to_server, AgentLinkServicer(master), server)


__all__ = ["add_servicers", "agent_pb2"]
