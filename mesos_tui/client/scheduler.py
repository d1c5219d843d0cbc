"""The scheduler driver: how a Python framework talks to the leading master.

This is Mesos's v1 scheduler library in asyncio. A framework subclasses `Scheduler` and
overrides the async callbacks it cares about; a `SchedulerDriver` subscribes to the leading
master, feeds the callbacks one at a time in event order, and sends the framework's calls
(ACCEPT, DECLINE, KILL, ...) with the subscription's stream id.

The protocol, in plain words:

1. Find the leader (`detector_for(master)`: a fixed `host:port` or a `zk://` ensemble) and open
   `Scheduler.Subscribe`. The master answers with the stream id in the initial metadata and a
   SUBSCRIBED event carrying the framework id and the heartbeat interval.
2. Read events. Every other call is a unary `Scheduler.Call` with `framework_id` set and the
   stream id in the `mesos-stream-id` metadata.
3. When the stream ends, a standby master answers UNAVAILABLE (its `mesos-leader` metadata
   names the leader: go there), or no event arrives for `heartbeat_misses` heartbeat intervals,
   the connection is dead: tell the scheduler `disconnected`, back off (exponential, jittered,
   capped) and subscribe again with the framework id, so the master gives the framework back
   its tasks (within its `failover_timeout`).
4. An ERROR event, or a Subscribe refused for good (INVALID_ARGUMENT, FAILED_PRECONDITION,
   PERMISSION_DENIED, UNAUTHENTICATED, NOT_FOUND), ends the driver: the scheduler's `error` is
   called and `run()` returns.

Calls made while the driver is not subscribed (before the first SUBSCRIBED, or while it is
reconnecting) do not wait: they raise `DriverError` at once, as does a call the master refuses.
Offers held across a reconnection are no longer valid anyway.

With `implicit_acknowledgements=True` (the default) every status update that carries a uuid is
acknowledged right after `Scheduler.update` returns; master-generated updates (no uuid) are
never acknowledged. With `False` the framework calls `acknowledge(status)` itself; the agent
sends a task's next update only after the previous one was acknowledged.

If a callback raises, the driver stops without tearing the framework down (as a crashed
framework process would) and `run()` re-raises the exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import random
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import grpc

from daemons.common import tls
from daemons.common.detector import MasterDetector, StandaloneDetector, detector_for
from daemons.common.reach import diagnose
from daemons.common.resources import Resources
from daemons.common.rpc import CHANNEL_OPTIONS, STREAM_ID_KEY, leader_hint, metadata_value
from daemons.proto import mesos_pb2, scheduler_pb2, scheduler_pb2_grpc


def current_user() -> str:
    """The OS user running this process: FrameworkInfo.user's default, as in Mesos."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (a container) and no $USER
        return os.environ.get("USER") or str(os.geteuid())

log = logging.getLogger(__name__)

Call = scheduler_pb2.Call
Event = scheduler_pb2.Event

# Subscribe answers that no retry will fix: the driver stops and reports them.
_FATAL_CODES = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.NOT_FOUND,
    }
)

DEFAULT_HEARTBEAT_SECONDS = 15.0

OfferIdLike = str | mesos_pb2.OfferID | mesos_pb2.Offer
TaskIdLike = str | mesos_pb2.TaskID
AgentIdLike = str | mesos_pb2.AgentID


class DriverError(Exception):
    """A call the driver could not make: not subscribed, or refused by the master."""

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.code = code


class Scheduler:
    """A framework's scheduler: override the callbacks you need; each defaults to nothing.

    Callbacks run one at a time, in the order the master sent the events. They may await the
    driver's calls (`accept`, `decline`, `kill`, ...).
    """

    async def subscribed(
        self,
        driver: SchedulerDriver,
        framework_id: mesos_pb2.FrameworkID,
        master_info: mesos_pb2.MasterInfo,
    ) -> None:
        """Subscribed (or subscribed again after a disconnection) to the leading master."""

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:
        """New resource offers. Accept or decline them; held offers may be rescinded."""

    async def rescind(self, driver: SchedulerDriver, offer_id: mesos_pb2.OfferID) -> None:
        """An offer is no longer valid (it timed out, its agent went away, ...)."""

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:
        """A task's status changed."""

    async def message(
        self,
        driver: SchedulerDriver,
        agent_id: mesos_pb2.AgentID,
        executor_id: mesos_pb2.ExecutorID,
        data: bytes,
    ) -> None:
        """An executor sent the framework a message."""

    async def failure(
        self,
        driver: SchedulerDriver,
        agent_id: mesos_pb2.AgentID | None,
        executor_id: mesos_pb2.ExecutorID | None,
        status: int | None,
    ) -> None:
        """An agent was lost (executor_id None) or an executor exited (with its status)."""

    async def error(self, driver: SchedulerDriver, message: str) -> None:
        """The master refused the framework for good; the driver stops after this."""

    async def disconnected(self, driver: SchedulerDriver) -> None:
        """The connection to the master dropped; the driver is subscribing again."""


# ------------------------------------------------------------------------------ helpers


def _offer_id(value: OfferIdLike) -> mesos_pb2.OfferID:
    if isinstance(value, mesos_pb2.Offer):
        return mesos_pb2.OfferID(value=value.id.value)
    if isinstance(value, mesos_pb2.OfferID):
        return value
    return mesos_pb2.OfferID(value=value)


def _task_id(value: TaskIdLike) -> mesos_pb2.TaskID:
    return value if isinstance(value, mesos_pb2.TaskID) else mesos_pb2.TaskID(value=value)


def _agent_id(value: AgentIdLike) -> mesos_pb2.AgentID:
    return value if isinstance(value, mesos_pb2.AgentID) else mesos_pb2.AgentID(value=value)


def offer_resources(offer: mesos_pb2.Offer) -> Resources:
    """What an offer holds, as `Resources`."""
    return Resources.from_proto(offer.resources)


def command_info(
    command: str | Sequence[str],
    *,
    shell: bool = True,
    environment: Mapping[str, str] | None = None,
) -> mesos_pb2.CommandInfo:
    """A CommandInfo: a shell command line, or (shell=False) an argv run without a shell."""
    info = mesos_pb2.CommandInfo(shell=shell)
    if shell:
        info.value = command if isinstance(command, str) else shlex.join(command)
    else:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not argv:
            raise ValueError("an empty command")
        info.value = argv[0]
        info.arguments.extend(argv)
    for name, value in (environment or {}).items():
        info.environment.variables.add(name=name, value=str(value))
    return info


def task_info(
    task_id: TaskIdLike,
    name: str,
    agent_id: AgentIdLike,
    command: str | Sequence[str] | mesos_pb2.CommandInfo,
    resources: str | Resources | Iterable[mesos_pb2.Resource],
    *,
    shell: bool = True,
    environment: Mapping[str, str] | None = None,
    role: str | None = None,
) -> mesos_pb2.TaskInfo:
    """A TaskInfo running `command` with `resources` (Mesos text, as in "cpus:1;mem:128").

    `role` sets the resources' allocation role (the offer's `allocation_info.role`) for
    multi-role frameworks.
    """
    if isinstance(resources, str):
        resources = Resources.parse(resources)
    if isinstance(resources, Resources):
        protos = resources.to_proto(allocation_role=role)
    else:
        protos = list(resources)
    if isinstance(command, mesos_pb2.CommandInfo):
        cmd = command
    else:
        cmd = command_info(command, shell=shell, environment=environment)
    return mesos_pb2.TaskInfo(
        name=name,
        task_id=_task_id(task_id),
        agent_id=_agent_id(agent_id),
        resources=protos,
        command=cmd,
    )


def launch_operation(task_infos: Iterable[mesos_pb2.TaskInfo]) -> mesos_pb2.Offer.Operation:
    """A LAUNCH operation for an ACCEPT."""
    op = mesos_pb2.Offer.Operation(type=mesos_pb2.Offer.Operation.LAUNCH)
    op.launch.task_infos.extend(task_infos)
    return op


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """How long to wait before reconnection attempt `attempt` (0-based): exponential from
    `base`, capped at `cap`, with jitter (between half and all of it) so that many frameworks
    losing one master do not all come back at the same instant."""
    ceiling = min(cap, base * (2 ** min(attempt, 32)))
    r = rng or random
    return ceiling * r.uniform(0.5, 1.0)


class _Fatal(Exception):
    """The master refused the framework for good."""


# ------------------------------------------------------------------------------ the driver


class SchedulerDriver:
    """Subscribes a framework to the leading master and keeps it subscribed.

    `start()` starts it in the background; `run()` waits until it stops; `stop()` stops it
    and tears the framework down (`failover=True` leaves the framework and its tasks to a
    scheduler that subscribes again with the same framework id).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        framework_info: mesos_pb2.FrameworkInfo,
        master: str,
        *,
        implicit_acknowledgements: bool = True,
        detector: MasterDetector | None = None,
        backoff_base: float = 0.1,
        backoff_cap: float = 2.0,
        heartbeat_misses: int = 5,
        subscribe_timeout: float = 10.0,
        call_timeout: float = 10.0,
    ) -> None:
        self.scheduler = scheduler
        self.framework_info = mesos_pb2.FrameworkInfo()
        self.framework_info.CopyFrom(framework_info)
        if not self.framework_info.user:
            # As Mesos's drivers: tasks run as the user running the scheduler unless it names
            # another (agents refuse root unless started with --allow_root_tasks).
            self.framework_info.user = current_user()
        self.master_spec = master
        self.implicit_acknowledgements = implicit_acknowledgements
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.heartbeat_misses = heartbeat_misses
        self.subscribe_timeout = subscribe_timeout
        self.call_timeout = call_timeout
        self._detector = detector if detector is not None else detector_for(master)

        self.master_info: mesos_pb2.MasterInfo | None = None
        self.heartbeat_interval = DEFAULT_HEARTBEAT_SECONDS
        self.error_message: str | None = None
        self.error_kind = ""  # "master" (it refused us) or "address" (not a master there)
        # Why the last attempt to subscribe failed, in one line (None once subscribed): what a
        # command line that gives up says it tried. See `problem`.
        self.last_error: str | None = None
        self._finding = False  # waiting for the detector to name a leader
        self._address: str | None = None
        self._stream_id: str | None = None
        self._stub: scheduler_pb2_grpc.SchedulerStub | None = None
        self._stream: Any = None  # the current Subscribe call, cancelled first on stop()
        self._connected = asyncio.Event()
        self._done = asyncio.Event()
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._loop_task: asyncio.Task[None] | None = None
        self._dispatch_task: asyncio.Task[None] | None = None
        self._stop_started = False  # stop() was called: never subscribe again.
        self._stopping = False  # Past the teardown: calls are refused.
        self._failure: BaseException | None = None
        self._subscriptions = 0
        self._retired: list[grpc.aio.Channel] = []

    # -------------------------------------------------------------------------- state

    @property
    def framework_id(self) -> str | None:
        """The framework's id once the master assigned it."""
        return self.framework_info.id.value if self.framework_info.HasField("id") else None

    @property
    def connected(self) -> bool:
        """Subscribed right now: calls can be made."""
        return self._connected.is_set()

    @property
    def master(self) -> str | None:
        """The `host:port` of the master the driver is (or was last) subscribed to."""
        return self._address

    @property
    def stopped(self) -> bool:
        return self._done.is_set()

    @property
    def problem(self) -> str | None:
        """Why the driver is not subscribed right now, in one line (None when it is, or when
        it has not failed yet): the detector's trouble while it looks for the leader (as in
        ZooKeeper unreachable, no master registered), else what the last attempt met."""
        if self.connected:
            return None
        if self._finding and self._detector.problem:
            return self._detector.problem
        return self.last_error or self._detector.problem

    async def wait_subscribed(self, timeout: float | None = None) -> str:
        """Wait until subscribed; answer the framework id. Raises TimeoutError, or
        DriverError if the driver stopped first."""

        async def wait() -> str:
            connected = asyncio.ensure_future(self._connected.wait())
            done = asyncio.ensure_future(self._done.wait())
            try:
                await asyncio.wait({connected, done}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                connected.cancel()
                done.cancel()
            if not self._connected.is_set():
                raise DriverError(self.error_message or "the driver stopped before subscribing")
            assert self.framework_id is not None
            return self.framework_id

        return await asyncio.wait_for(wait(), timeout)

    # -------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start subscribing in the background; returns at once."""
        if self._loop_task is not None:
            return
        self._dispatch_task = asyncio.create_task(self._dispatch_loop(), name="scheduler-dispatch")
        self._loop_task = asyncio.create_task(self._connection_loop(), name="scheduler-connection")

    async def run(self) -> None:
        """Start if needed and wait until the driver stops. Re-raises a callback's exception."""
        await self.start()
        await self._done.wait()
        if self._failure is not None:
            raise self._failure

    async def stop(self, failover: bool = False) -> None:
        """Stop the driver. Unless `failover`, tear the framework down first (its tasks are
        killed); with `failover` the master keeps them for the framework's failover_timeout."""
        if self._stop_started:
            if asyncio.current_task() not in (self._dispatch_task, self._loop_task):
                await self._done.wait()
            return
        self._stop_started = True
        if not failover and self.connected:
            try:
                await self._send(Call(type=Call.TEARDOWN))
            except DriverError as e:
                log.warning("teardown failed: %s", e)
        self._stopping = True
        self._connected.clear()
        current = asyncio.current_task()
        # Cancel the gRPC call first: grpcio can swallow a task cancellation that lands while
        # a message is being received, and the read would then never end.
        if self._stream is not None:
            self._stream.cancel()
        for task in (self._loop_task, self._dispatch_task):
            if task is not None and task is not current:
                task.cancel()
                done, _ = await asyncio.wait({task}, timeout=5.0)
                if not done:
                    log.warning("driver task %s did not stop within 5s", task.get_name())
                else:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        task.result()
        self._stub = None
        await self._close_retired()
        self._detector.close()
        self._done.set()

    # -------------------------------------------------------------------------- calls

    async def accept(
        self,
        offer_ids: Iterable[OfferIdLike],
        operations: Iterable[mesos_pb2.Offer.Operation],
        filters: mesos_pb2.Filters | None = None,
    ) -> None:
        """Accept offers with operations; what they leave unused goes back under `filters`
        (the master's default refuse_seconds is 5)."""
        call = Call(type=Call.ACCEPT)
        call.accept.offer_ids.extend(_offer_id(o) for o in offer_ids)
        call.accept.operations.extend(operations)
        if filters is not None:
            call.accept.filters.CopyFrom(filters)
        await self._send(call)

    async def launch(
        self,
        offer_ids: Iterable[OfferIdLike],
        task_infos: Iterable[mesos_pb2.TaskInfo],
        filters: mesos_pb2.Filters | None = None,
    ) -> None:
        """Accept offers with one LAUNCH of `task_infos`."""
        await self.accept(offer_ids, [launch_operation(task_infos)], filters)

    async def decline(
        self, offer_ids: Iterable[OfferIdLike], filters: mesos_pb2.Filters | None = None
    ) -> None:
        """Give offers back; `filters.refuse_seconds` keeps them from coming back for a while."""
        call = Call(type=Call.DECLINE)
        call.decline.offer_ids.extend(_offer_id(o) for o in offer_ids)
        if filters is not None:
            call.decline.filters.CopyFrom(filters)
        await self._send(call)

    async def kill(self, task_id: TaskIdLike, agent_id: AgentIdLike | None = None) -> None:
        call = Call(type=Call.KILL)
        call.kill.task_id.CopyFrom(_task_id(task_id))
        if agent_id is not None:
            call.kill.agent_id.CopyFrom(_agent_id(agent_id))
        await self._send(call)

    async def revive(self, roles: Iterable[str] = ()) -> None:
        """Clear all filters and resume offers."""
        call = Call(type=Call.REVIVE)
        call.revive.roles.extend(roles)
        await self._send(call)

    async def suppress(self, roles: Iterable[str] = ()) -> None:
        """Stop offers until `revive`."""
        call = Call(type=Call.SUPPRESS)
        call.suppress.roles.extend(roles)
        await self._send(call)

    async def acknowledge(self, status: mesos_pb2.TaskStatus) -> None:
        """Acknowledge a status update (only those with a uuid need it)."""
        if not status.uuid:
            return
        call = Call(type=Call.ACKNOWLEDGE)
        call.acknowledge.agent_id.CopyFrom(status.agent_id)
        call.acknowledge.task_id.CopyFrom(status.task_id)
        call.acknowledge.uuid = status.uuid
        await self._send(call)

    async def reconcile(
        self,
        tasks: Iterable[
            TaskIdLike | mesos_pb2.TaskStatus | tuple[TaskIdLike, AgentIdLike | None]
        ] = (),
    ) -> None:
        """Ask for the latest state of `tasks` (explicit), or of every task (implicit, empty).
        The answers come as `update` callbacks with reason REASON_RECONCILIATION."""
        call = Call(type=Call.RECONCILE)
        call.reconcile.SetInParent()
        for item in tasks:
            entry = call.reconcile.tasks.add()
            if isinstance(item, mesos_pb2.TaskStatus):
                entry.task_id.CopyFrom(item.task_id)
                if item.HasField("agent_id"):
                    entry.agent_id.CopyFrom(item.agent_id)
            elif isinstance(item, tuple):
                entry.task_id.CopyFrom(_task_id(item[0]))
                if item[1] is not None:
                    entry.agent_id.CopyFrom(_agent_id(item[1]))
            else:
                entry.task_id.CopyFrom(_task_id(item))
        await self._send(call)

    async def message(self, agent_id: AgentIdLike, executor_id: str, data: bytes) -> None:
        call = Call(type=Call.MESSAGE)
        call.message.agent_id.CopyFrom(_agent_id(agent_id))
        call.message.executor_id.value = executor_id
        call.message.data = data
        await self._send(call)

    async def shutdown(self, executor_id: str, agent_id: AgentIdLike) -> None:
        call = Call(type=Call.SHUTDOWN)
        call.shutdown.executor_id.value = executor_id
        call.shutdown.agent_id.CopyFrom(_agent_id(agent_id))
        await self._send(call)

    async def teardown(self) -> None:
        """End the framework (its tasks are killed) and stop the driver."""
        await self.stop(failover=False)

    async def _send(self, call: scheduler_pb2.Call) -> None:
        name = Call.Type.Name(call.type)
        stub, stream_id = self._stub, self._stream_id
        if not self._connected.is_set() or stub is None or stream_id is None:
            why = "the driver is stopped" if self._stopping else "it is (re)subscribing"
            raise DriverError(f"{name} not sent: not subscribed to a master ({why})")
        call.framework_id.value = self.framework_info.id.value
        try:
            await stub.Call(call, metadata=((STREAM_ID_KEY, stream_id),), timeout=self.call_timeout)
        except grpc.aio.AioRpcError as e:
            raise DriverError(f"{name} refused by {self._address}: {e.details()}", e.code()) from None

    # -------------------------------------------------------------------------- the loops

    def _subscribe_call(self) -> scheduler_pb2.Call:
        call = Call(type=Call.SUBSCRIBE)
        call.subscribe.framework_info.CopyFrom(self.framework_info)
        if self.framework_info.HasField("id"):
            call.framework_id.CopyFrom(self.framework_info.id)
        return call

    async def _connection_loop(self) -> None:
        attempt = 0
        hint: str | None = None
        followed_hint = False  # The last attempt went where a standby pointed.
        lost: str | None = None  # The master the last attempt failed at, and how long to wait.
        delay = 0.0
        try:
            while not self._stop_started:
                if hint is not None:
                    address, hint = hint, None
                    followed_hint = True
                else:
                    followed_hint = False
                    address = await self._next_master(lost, delay)
                subscribed_before = self._subscriptions
                try:
                    await self._session(address)
                    log.info("stream from %s ended", address)
                except _Fatal as e:
                    await self._fatal(str(e))
                    return
                except grpc.aio.AioRpcError as e:
                    if e.code() in _FATAL_CODES:
                        await self._fatal(f"{address} refused the subscription: {e.details()}")
                        return
                    hint = leader_hint(e) if e.code() == grpc.StatusCode.UNAVAILABLE else None
                    if hint == address:
                        hint = None
                    log.info("subscribe at %s failed: %s %s", address, e.code().name, e.details())
                    if hint is None:
                        reach = await diagnose(address, e)
                        self.last_error = reach.text
                        if reach.permanent and isinstance(self._detector, StandaloneDetector):
                            # The one master named is not one: no retry will fix that.
                            await self._fatal(reach.text, kind="address")
                            return
                except TimeoutError:
                    log.info("no event from %s in time: reconnecting", address)
                    if self._subscriptions == subscribed_before:
                        self.last_error = (
                            f"{address} accepted the connection but did not answer the "
                            f"subscription in {self.subscribe_timeout:g}s"
                        )
                except (OSError, grpc.RpcError) as e:
                    log.info("connection to %s failed: %s", address, e)
                    self.last_error = f"{address}: {e}"
                if self._stop_started:
                    return
                if self._subscriptions != subscribed_before:
                    attempt = 0
                    self._queue.put_nowait(("disconnected", None))
                if hint is not None:
                    log.info("%s names %s as the leader", address, hint)
                    if not followed_hint:
                        continue  # Go there at once; a second hint in a row waits (no ping-pong).
                lost = address
                delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap)
                if hint is not None:
                    await asyncio.sleep(delay)
                    lost = None
                attempt += 1
        except asyncio.CancelledError:
            raise
        except Exception as e:  # A bug here must not leave run() hanging.
            log.exception("scheduler driver connection loop crashed")
            self._failure = e
            asyncio.ensure_future(self.stop(failover=True))

    async def _next_master(self, lost: str | None, delay: float) -> str:
        """The master to try next: at once if the detector names a new leader within `delay`
        of losing `lost` (a failover), else whoever it names after the back-off."""
        self._finding = True
        try:
            if lost is None:
                return await self._detector.detect()
            try:
                return await asyncio.wait_for(self._detector.detect(lost), delay)
            except TimeoutError:
                return await self._detector.detect()
        finally:
            self._finding = False

    async def _close_retired(self) -> None:
        while self._retired:
            with contextlib.suppress(Exception):
                await self._retired.pop().close()

    async def _session(self, address: str) -> None:
        """One subscription: subscribe at `address` and read events until the stream ends.

        Each attempt gets a fresh channel (so gRPC's own reconnection backoff never stacks on
        the driver's). The channel of an ended stream is closed only when the next attempt
        starts or the driver stops, so that a call in flight as the stream ends (a TEARDOWN
        the master answers by closing the stream) still gets its answer."""
        await self._close_retired()
        try:
            channel = tls.channel(address, options=CHANNEL_OPTIONS)
        except tls.TlsError as e:
            raise _Fatal(str(e)) from None  # LIBPROCESS_SSL_* that cannot work: retrying won't help
        stream = None
        try:
            stub = scheduler_pb2_grpc.SchedulerStub(channel)
            stream = stub.Subscribe(self._subscribe_call())
            self._stream = stream
            metadata = await asyncio.wait_for(stream.initial_metadata(), self.subscribe_timeout)
            first = await asyncio.wait_for(stream.read(), self.subscribe_timeout)
            if first is grpc.aio.EOF:
                return
            if first.type == Event.ERROR:
                raise _Fatal(first.error.message or "the master refused the subscription")
            if first.type != Event.SUBSCRIBED:
                log.warning("%s sent %s before SUBSCRIBED", address, Event.Type.Name(first.type))
                return
            stream_id = metadata_value(metadata, STREAM_ID_KEY)
            if not stream_id:
                log.warning("%s sent no %s", address, STREAM_ID_KEY)
                return
            sub = first.subscribed
            self.framework_info.id.CopyFrom(sub.framework_id)
            self.master_info = sub.master_info
            if sub.heartbeat_interval_seconds > 0:
                self.heartbeat_interval = sub.heartbeat_interval_seconds
            self._address, self._stream_id, self._stub = address, stream_id, stub
            self.last_error = None
            self._subscriptions += 1
            self._connected.set()
            log.info("subscribed to %s as framework %s", address, sub.framework_id.value)
            self._queue.put_nowait(("event", first))
            silence = self.heartbeat_misses * self.heartbeat_interval
            while True:
                event = await asyncio.wait_for(stream.read(), silence)
                if event is grpc.aio.EOF:
                    return
                if event.type == Event.HEARTBEAT:
                    continue
                if event.type == Event.ERROR:
                    raise _Fatal(event.error.message or "the master sent an error")
                self._queue.put_nowait(("event", event))
        finally:
            self._connected.clear()
            self._stub = None
            if stream is not None:
                stream.cancel()
            if self._stream is stream:
                self._stream = None
            self._retired.append(channel)

    async def _fatal(self, message: str, kind: str = "master") -> None:
        """Stop for good: `kind` "master" when the master refused the framework, "address"
        when the address given is not a master at all."""
        log.error("framework %s: %s", self.framework_id or "(unsubscribed)", message)
        self.error_message = message
        self.error_kind = kind
        self._queue.put_nowait(("error", message))
        self._queue.put_nowait(("stop", None))

    async def _dispatch_loop(self) -> None:
        while True:
            kind, payload = await self._queue.get()
            try:
                if kind == "stop":
                    asyncio.ensure_future(self.stop(failover=True))
                    return
                if kind == "error":
                    await self.scheduler.error(self, payload)
                elif kind == "disconnected":
                    await self.scheduler.disconnected(self)
                else:
                    await self._dispatch_event(payload)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if self._stop_started:
                    # A call made as the driver stops is refused: not the framework's bug.
                    log.debug("callback ended while stopping: %s", e)
                    return
                log.exception("scheduler callback raised: stopping the driver")
                self._failure = e
                asyncio.ensure_future(self.stop(failover=True))
                return
            if self._stopping:
                return

    async def _dispatch_event(self, event: scheduler_pb2.Event) -> None:
        s = self.scheduler
        t = event.type
        if t == Event.SUBSCRIBED:
            await s.subscribed(self, event.subscribed.framework_id, event.subscribed.master_info)
        elif t == Event.OFFERS:
            await s.offers(self, list(event.offers.offers))
        elif t == Event.RESCIND:
            await s.rescind(self, event.rescind.offer_id)
        elif t == Event.UPDATE:
            status = event.update.status
            await s.update(self, status)
            if self.implicit_acknowledgements and status.uuid and not self._stopping:
                try:
                    await self.acknowledge(status)
                except DriverError as e:
                    # The agent retries an unacknowledged update, so it comes back later.
                    log.info("implicit acknowledgement of %s not sent: %s", status.task_id.value, e)
        elif t == Event.MESSAGE:
            m = event.message
            await s.message(self, m.agent_id, m.executor_id, m.data)
        elif t == Event.FAILURE:
            f = event.failure
            await s.failure(
                self,
                f.agent_id if f.HasField("agent_id") else None,
                f.executor_id if f.HasField("executor_id") else None,
                f.status if f.HasField("status") else None,
            )
        else:
            log.debug("ignoring event %s", Event.Type.Name(t))
