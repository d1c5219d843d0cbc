"""A leader-following client of the master's operator API.

`OperatorClient.run()` loops for ever: find the leading master (the detector, or the
`mesos-leader` address a standby master named), open `Master.Subscribe`, hand every event
to `on_event` (the first is SUBSCRIBED with a full snapshot; if a master leaves the snapshot
out, GET_STATE fills it in), and when the stream ends or fails, say so through `on_status`,
back off, re-detect and subscribe again. It never raises to its caller: what it is doing and
waiting for is always in `status`.

Calls (`kill_task`, `pause_allocator`, `resume_allocator`, `run_allocation`, `get_state`,
`call`) go to the current leader, follow one standby redirect, and answer a `CallResult`
rather than raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc

from daemons.common import tls
from daemons.common.detector import (
    DetectorError,
    MasterDetector,
    StandaloneDetector,
    detector_for,
)
from daemons.common.reach import diagnose
from daemons.common.rpc import CHANNEL_OPTIONS, leader_hint
from daemons.proto import master_pb2, master_pb2_grpc

log = logging.getLogger(__name__)

Call = master_pb2.Call
Event = master_pb2.Event

CONNECTING = "connecting"
CONNECTED = "connected"
RECONNECTING = "reconnecting"
REDIRECT = "standby-redirect"
STOPPED = "stopped"


@dataclass(slots=True)
class ConnectionStatus:
    """What the client is doing now, in words a person can act on."""

    phase: str = CONNECTING
    master: str = ""  # the --master value (host:port or zk://...)
    address: str = ""  # the master we are talking to, or trying
    leader: str = ""  # the leader a standby named
    detail: str = ""
    attempt: int = 0
    since: float = field(default_factory=time.time)
    retry_in: float = 0.0
    # The address is not a master at all (an agent, a web server, ZooKeeper's port): retrying
    # keeps going, but a command line gives up at once.
    permanent: bool = False
    # This status reports a failure (detail says what failed), not progress.
    failing: bool = False

    @property
    def text(self) -> str:
        if self.phase == CONNECTED:
            return f"connected to {self.address}"
        if self.phase == REDIRECT:
            return f"standby {self.address} → leader {self.leader}"
        if self.phase == RECONNECTING:
            wait = f", retrying in {self.retry_in:.1f}s" if self.retry_in else ""
            return f"reconnecting to {self.address or self.master}: {self.detail}{wait}"
        if self.phase == STOPPED:
            return "stopped"
        return f"connecting to {self.address or self.master}…"


@dataclass(slots=True)
class CallResult:
    ok: bool
    message: str
    response: master_pb2.Response | None = None


class LeaderElsewhere(Exception):
    """A standby answered: the leader is at `leader` (host:port)."""

    def __init__(self, leader: str, detail: str = "this master is a standby") -> None:
        super().__init__(detail)
        self.leader = leader


class StreamProblem(Exception):
    """A connection or stream that failed in a way said in one line (no traceback to log)."""


class NotAMaster(Exception):
    """What answered is not a Mesos master (a web server, an agent): retrying will not help."""


def _describe(error: BaseException) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        code = error.code()
        details = (error.details() or "").strip()
        if code == grpc.StatusCode.UNAVAILABLE and not details:
            details = "master unreachable"
        return f"{code.name.lower()}: {details}" if details else code.name.lower()
    return str(error) or type(error).__name__


class OperatorClient:
    """Follows the leading master and streams its operator events (over gRPC: our masters)."""

    transport = "grpc"
    # Our master over gRPC always streams this project's events (offers, usage, allocation).
    streams_extensions = True

    def __init__(
        self,
        master: str,
        on_event: Callable[[Event], None],
        on_status: Callable[[ConnectionStatus], None] | None = None,
        detector: MasterDetector | None = None,
        min_backoff: float = 0.25,
        max_backoff: float = 5.0,
        call_timeout: float = 10.0,
    ) -> None:
        self.master = master
        self.on_event = on_event
        self.on_status = on_status or (lambda status: None)
        self._detector = detector
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.call_timeout = call_timeout
        self.status = ConnectionStatus(master=master)
        self.leader: str | None = None  # address of the master we last subscribed to
        self._hint: str | None = None
        self._channel: grpc.aio.Channel | None = None
        self._channel_address: str | None = None
        self._stopped = False
        self._finding = False  # waiting for the detector to name the leader
        self._failure: str | None = None  # what the last failed attempt met

    # ------------------------------------------------------------------------- status

    def _set(self, phase: str, **fields: object) -> None:
        status = ConnectionStatus(master=self.master, phase=phase, since=time.time())
        for k, v in fields.items():
            setattr(status, k, v)
        self.status = status
        try:
            self.on_status(status)
        except Exception:  # the UI's problem, never ours
            log.exception("status callback failed")

    @property
    def problem(self) -> str | None:
        """Why the client is not connected, in one line (None when it is, or before the first
        attempt failed): the detector's trouble while it looks for the leader (ZooKeeper
        unreachable, no master registered), else what the last attempt met."""
        if self.status.phase == CONNECTED:
            return None
        detector_problem = self._detector.problem if self._detector is not None else None
        if self._finding and detector_problem:
            return detector_problem
        return self._failure or detector_problem

    # ------------------------------------------------------------------------ channels

    def _stub(self, address: str) -> master_pb2_grpc.MasterStub:
        if self._channel is None or self._channel_address != address:
            if self._channel is not None:
                old = self._channel
                asyncio.get_running_loop().create_task(old.close())
            self._channel = tls.channel(address, options=CHANNEL_OPTIONS)
            self._channel_address = address
        return master_pb2_grpc.MasterStub(self._channel)

    async def _detect(self, previous: str | None) -> str:
        if self._hint:
            hint, self._hint = self._hint, None
            return hint
        if self._detector is None:
            self._detector = detector_for(self.master)
        return await self._detector.detect(previous)

    async def _new_leader(self, lost: str) -> str:
        """Wait until the detector names a leader other than `lost`."""
        while True:
            if self._detector is None:
                self._detector = detector_for(self.master)
            leader = await self._detector.detect(lost or None)
            if leader != lost:
                return leader

    # ---------------------------------------------------------------------- the stream

    async def run(self) -> None:
        """Subscribe and stream events until `stop()`; never raises (except cancellation)."""
        backoff = self.min_backoff
        previous: str | None = None
        attempt = 0
        while not self._stopped:
            attempt += 1
            address = ""
            permanent = False
            try:
                self._set(CONNECTING if attempt == 1 else RECONNECTING,
                          address=previous or "", attempt=attempt,
                          detail="finding the leading master")
                self._finding = True
                try:
                    address = await self._detect_telling(previous, attempt)
                finally:
                    self._finding = False
                self._set(CONNECTING, address=address, attempt=attempt)
                got_events = await self._subscribe(address)
                if got_events:
                    backoff = self.min_backoff
                detail = "the master closed the event stream"
                hint = None
            except asyncio.CancelledError:
                raise
            except grpc.aio.AioRpcError as e:
                hint = leader_hint(e)
                detail = _describe(e)
                if not hint and address:
                    reach = await diagnose(address, e)
                    detail = reach.text
                    permanent = reach.permanent and isinstance(self._detector, StandaloneDetector)
            except LeaderElsewhere as e:
                hint = e.leader
                detail = str(e)
            except NotAMaster as e:
                hint = None
                detail = str(e)
                permanent = isinstance(self._detector, StandaloneDetector)
            except (DetectorError, StreamProblem) as e:
                hint = None
                detail = str(e)
            except Exception as e:  # never let anything reach the UI
                log.exception("operator stream failed")
                hint = None
                detail = _describe(e)
            if self._stopped:
                break
            previous = address or previous
            if hint and hint != address:
                self._hint = hint
                self._set(REDIRECT, address=address, leader=hint, attempt=attempt,
                          detail="this master is a standby")
                await asyncio.sleep(0.05)
                continue
            self._failure = detail
            delay = backoff * (0.8 + 0.4 * random.random())
            backoff = min(self.max_backoff, backoff * 2)
            self._set(RECONNECTING, address=address, detail=detail, attempt=attempt,
                      retry_in=delay, permanent=permanent, failing=True)
            # Wait out the back-off, but go at once if a new leader is named meanwhile
            # (a failover): the next detect() then answers it without waiting.
            with contextlib.suppress(TimeoutError, DetectorError):
                await asyncio.wait_for(self._new_leader(address), delay)
        self._set(STOPPED)

    async def _detect_telling(self, previous: str | None, attempt: int) -> str:
        """`_detect`, and while it waits, the detector's trouble (ZooKeeper unreachable, no
        master registered) as the status, so that nobody waits without knowing why."""
        finding = asyncio.ensure_future(self._detect(previous))
        try:
            while True:
                done, _ = await asyncio.wait({finding}, timeout=1.0)
                if done:
                    return finding.result()
                problem = self._detector.problem if self._detector is not None else None
                if problem and problem != self.status.detail:
                    self._set(RECONNECTING, address=previous or "", detail=problem,
                              attempt=attempt, failing=True)
        finally:
            if not finding.done():
                finding.cancel()

    async def _subscribe(self, address: str) -> bool:
        stub = self._stub(address)
        stream = stub.Subscribe(Call(type=Call.SUBSCRIBE))
        got = False
        try:
            async for event in stream:
                if not got:
                    got = True
                    self.leader = address
                    if event.type == Event.SUBSCRIBED and not event.subscribed.HasField(
                        "get_state"
                    ):
                        state = await self.get_state()
                        if state.ok and state.response is not None:
                            event.subscribed.get_state.CopyFrom(state.response.get_state)
                    self._failure = None
                    self._set(CONNECTED, address=address)
                self._deliver(event)
        finally:
            stream.cancel()
        return got

    def _deliver(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:
            log.exception("event handler failed on %s", Event.Type.Name(event.type))

    def stop(self) -> None:
        self._stopped = True

    async def close(self) -> None:
        self._stopped = True
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
        if self._detector is not None:
            self._detector.close()

    # --------------------------------------------------------------------------- calls

    async def call(self, call: master_pb2.Call) -> CallResult:
        """One operator call to the leader, following one standby redirect."""
        address = self.leader or self._hint
        try:
            if address is None:
                address = await asyncio.wait_for(self._detect(None), self.call_timeout)
            for _ in range(2):
                try:
                    response = await self._stub(address).Call(call, timeout=self.call_timeout)
                    return CallResult(True, "accepted", response)
                except grpc.aio.AioRpcError as e:
                    hint = leader_hint(e)
                    if hint and hint != address:
                        address = hint
                        continue
                    return CallResult(False, _describe(e))
            return CallResult(False, "the masters keep redirecting; try again")
        except asyncio.CancelledError:
            raise
        except Exception as e:
            return CallResult(False, _describe(e))

    async def get_state(self) -> CallResult:
        return await self.call(Call(type=Call.GET_STATE))

    async def kill_task(self, task_id: str, framework_id: str | None = None) -> CallResult:
        call = Call(type=Call.KILL_TASK)
        call.kill_task.task_id.value = task_id
        if framework_id:
            call.kill_task.framework_id.value = framework_id
        return await self.call(call)

    async def teardown(self, framework_id: str) -> CallResult:
        """Mesos's TEARDOWN: the framework is removed, its tasks killed."""
        call = Call(type=Call.TEARDOWN)
        call.teardown.framework_id.value = framework_id
        return await self.call(call)

    async def pause_allocator(self) -> CallResult:
        return await self.call(Call(type=Call.PAUSE_ALLOCATOR))

    async def resume_allocator(self) -> CallResult:
        return await self.call(Call(type=Call.RESUME_ALLOCATOR))

    async def run_allocation(self) -> CallResult:
        return await self.call(Call(type=Call.RUN_ALLOCATION))

    async def get_flags(self) -> CallResult:
        return await self.call(Call(type=Call.GET_FLAGS))
