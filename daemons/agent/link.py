"""The agent's end of the master link: one `AgentLink.Connect` stream to the leading master.

The protocol, from the agent's side (see daemons/proto/agent.proto):
1. Ask the detector for the leader, dial it, open `Connect`, and write `register` (built fresh
   by the agent each time: a re-registration once it has an id, with its tasks).
2. The first reply must be `registered`; then master messages are handed to the agent one by
   one, in order, on the event loop. `send` queues agent messages for the single writer.
3. When the stream breaks, the master refuses us (an error status), or it falls silent for
   several ping intervals, log one line (the same trouble again is not logged again: a
   master that stays away is said once, plainly, as in "nothing listens on 127.0.0.1:5050
   (connection refused)" or "... is not a Mesos master (it answered as an agent...)"),
   wait a jittered back-off (uniform in
   [0, registration_backoff_factor * 2^failures], capped at 10 s), re-detect and start again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import NoReturn, Protocol

import grpc

from daemons.common import tls
from daemons.common.detector import DetectorError, MasterDetector
from daemons.common.reach import diagnose
from daemons.common.rpc import channel_options, leader_hint
from daemons.proto import agent_pb2, agent_pb2_grpc

log = logging.getLogger(__name__)

BACKOFF_CAP_SECONDS = 10.0
REGISTRATION_TIMEOUT_SECONDS = 10.0
# A master silent for this many ping intervals is taken for gone (Mesos's agent does the same).
MISSED_PINGS = 5


class LinkHandler(Protocol):
    def registration(self) -> agent_pb2.RegisterAgent: ...

    def on_registered(self, registered: agent_pb2.AgentRegistered, master: str) -> None: ...

    def on_message(self, message: agent_pb2.MasterMessage) -> None: ...

    def on_disconnected(self) -> None: ...


class LinkBroken(Exception):
    """The link ended; the message is the one line a person sees."""


class MasterLink:
    """Keeps the agent registered with whichever master leads."""

    def __init__(
        self,
        detector: MasterDetector,
        handler: LinkHandler,
        backoff_factor: float = 1.0,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        rng: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.detector = detector
        self.handler = handler
        self.backoff_factor = backoff_factor
        self.backoff_cap = backoff_cap
        self._uniform = rng
        self._outbox: asyncio.Queue[agent_pb2.AgentMessage] | None = None
        self.master: str | None = None  # The master we are registered with, when connected.
        self.registrations = 0
        self._last_warning: str | None = None

    def _warn(self, line: str) -> None:
        """Log a problem once; the same problem again, attempt after attempt, at debug level."""
        level = logging.DEBUG if line == self._last_warning else logging.WARNING
        self._last_warning = line
        log.log(level, "%s", line)

    @property
    def connected(self) -> bool:
        return self._outbox is not None

    def send(self, message: agent_pb2.AgentMessage) -> bool:
        """Queue `message` for the master; False when not registered with one."""
        if self._outbox is None:
            return False
        self._outbox.put_nowait(message)
        return True

    async def run(self) -> None:
        """Stay registered until cancelled."""
        previous: str | None = None
        hint: str | None = None
        failures = 0
        me = asyncio.current_task()
        while True:
            try:
                address = hint or await self.detector.detect(previous)
            except DetectorError as e:
                self._warn(f"cannot find the master: {e}")
                address = None
            hint = None
            registered_before = self.registrations
            if address is not None:
                previous = address
                try:
                    await self._session(address)
                except LinkBroken as e:
                    self._warn(str(e))
                except grpc.aio.AioRpcError as e:
                    hint = leader_hint(e)
                    if hint == address:
                        hint = None
                    if hint is None and e.code() in (
                        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED,
                        grpc.StatusCode.DEADLINE_EXCEEDED,
                    ):
                        reach = await diagnose(address, e)
                        self._warn(f"cannot register with the master at {address}: "
                                   f"{reach.text}; retrying quietly")
                    else:
                        self._warn(f"master at {address}: {_describe(e, hint)}")
                    log.debug("link error", exc_info=True)
                finally:
                    if self._outbox is not None:
                        self._outbox = None
                        self.master = None
                        self.handler.on_disconnected()
            if me is not None and me.cancelling():
                # gRPC (or asyncio.wait_for on 3.11) can turn a cancellation into an error or
                # a result; we were asked to stop, so stop.
                raise asyncio.CancelledError
            if self.registrations > registered_before:
                failures = 1  # It worked a moment ago: try again soon.
                self._last_warning = None
            else:
                failures += 1
            ceiling = min(self.backoff_factor * 2 ** max(0, failures - 1), self.backoff_cap)
            delay = self._uniform(0.0, ceiling) if ceiling > 0 else 0.0
            log.debug("reconnecting in %.2fs", delay)
            await asyncio.sleep(delay)

    async def _session(self, address: str) -> None:
        """One connection: register, then serve until it breaks (raises what broke it)."""
        async with tls.channel(address, options=channel_options()) as channel:
            stub = agent_pb2_grpc.AgentLinkStub(channel)
            call = stub.Connect()
            writer: asyncio.Task[None] | None = None
            try:
                registration = self.handler.registration()
                await call.write(agent_pb2.AgentMessage(register=registration))
                read = asyncio.ensure_future(call.read())
                try:
                    done, _ = await asyncio.wait({read}, timeout=REGISTRATION_TIMEOUT_SECONDS)
                finally:
                    if not read.done():
                        read.cancel()
                if not done:
                    raise LinkBroken(
                        f"master at {address} did not answer the registration in "
                        f"{REGISTRATION_TIMEOUT_SECONDS:g}s; retrying"
                    )
                first = read.result()
                if first is grpc.aio.EOF:
                    await _raise_status(call, address, "closed the link before registering us")
                if first.WhichOneof("message") != "registered":
                    raise LinkBroken(
                        f"master at {address} answered the registration with "
                        f"{first.WhichOneof('message')!r}, not 'registered'; retrying"
                    )
                outbox: asyncio.Queue[agent_pb2.AgentMessage] = asyncio.Queue()
                self._outbox = outbox
                self.master = address
                self.registrations += 1
                self.handler.on_registered(first.registered, address)
                writer = asyncio.create_task(self._write(call, outbox))
                silence = None
                if first.registered.ping_interval_seconds > 0:
                    silence = max(first.registered.ping_interval_seconds * MISSED_PINGS, 1.0)
                await self._read(call, address, silence, writer)
            finally:
                call.cancel()
                if writer is not None:
                    writer.cancel()
                    # Not `await writer`: that would swallow a cancellation of this task.
                    await asyncio.wait({writer})

    async def _read(
        self,
        call: grpc.aio.StreamStreamCall,
        address: str,
        silence: float | None,
        writer: asyncio.Task[None],
    ) -> None:
        while True:
            read = asyncio.ensure_future(call.read())
            done, _ = await asyncio.wait(
                {read, writer}, timeout=silence, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                read.cancel()
                raise LinkBroken(f"master at {address} sent nothing for {silence:g}s; reconnecting")
            if writer in done:
                read.cancel()
                writer.result()  # Raises what broke the writer.
                raise LinkBroken(f"link to master at {address} closed; reconnecting")
            message = read.result()
            if message is grpc.aio.EOF:
                await _raise_status(call, address, "closed the link")
            self.handler.on_message(message)

    async def _write(
        self, call: grpc.aio.StreamStreamCall, outbox: asyncio.Queue[agent_pb2.AgentMessage]
    ) -> None:
        while True:
            message = await outbox.get()
            await call.write(message)


async def _raise_status(call: grpc.aio.StreamStreamCall, address: str, what: str) -> NoReturn:
    code = await call.code()
    details = await call.details()
    if code == grpc.StatusCode.OK or code is None:
        raise LinkBroken(f"master at {address} {what}; reconnecting")
    name = code.name if isinstance(code, grpc.StatusCode) else str(code)
    raise LinkBroken(f"master at {address} {what}: {name}: {details or 'no details'}; retrying")


def _describe(error: grpc.aio.AioRpcError, hint: str | None) -> str:
    code = error.code()
    details = error.details() or "no details"
    if code == grpc.StatusCode.UNAVAILABLE and hint:
        return f"not the leader ({details}); trying the leader at {hint}"
    if code == grpc.StatusCode.UNAVAILABLE:
        return f"unreachable ({details}); retrying"
    return f"{code.name}: {details}; retrying"
