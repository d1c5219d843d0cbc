"""The command-queue framework: what the shell and the TUI launch tasks with.

Like `mesos-execute`, but for many tasks and for as long as the shell lives. The protocol, in
plain words:

1. `submit()` puts launch requests (a task id, a name, a shell command, resources and an
   optional agent) at the end of a queue and REVIVEs the framework, clearing its filters.
2. Each OFFERS event is matched against the queue in order: a request takes an offer when the
   offer's remaining resources hold it and, if the request names an agent, the offer is that
   agent's (by agent id or hostname). One offer may take many requests. Offers that took
   nothing are DECLINEd with a filter (short while something waits, long when nothing does).
3. When the queue is empty the framework SUPPRESSes offers; submitting revives them.
4. Every status update is acknowledged, recorded, and then handed to the listeners; `wait()`
   awaits tasks reaching a state (RUNNING, or any terminal state) by those updates.

The framework has a stable name (`FRAMEWORK_NAME`) and a `failover_timeout`: stopping it with
`failover=True` (what the shell does on exit) leaves its tasks running, and a later shell
subscribes again with the same framework id (`framework_id=`) and gets them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from daemons.common.resources import Resources
from daemons.common.states import TERMINAL_STATES
from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import (
    DriverError,
    Scheduler,
    SchedulerDriver,
    offer_resources,
    task_info,
)

log = logging.getLogger(__name__)

FRAMEWORK_NAME = "mesos-tui shell"
DEFAULT_FAILOVER_TIMEOUT = 24 * 3600.0  # A day: tasks outlive a shell restart within it.
WAITING_DECLINE_SECONDS = 1.0  # Something waits: let the offer come back soon (it may grow).
IDLE_DECLINE_SECONDS = 60.0  # Nothing waits (and we are suppressed anyway).

TS = mesos_pb2.TaskState

StatusListener = Callable[[mesos_pb2.TaskStatus], None]


@dataclass(slots=True)
class LaunchRequest:
    """One task to launch: `agent` (an agent id or hostname) pins it to one agent."""

    task_id: str
    name: str
    command: str
    resources: Resources
    agent: str | None = None

    def fits(self, offer: mesos_pb2.Offer, remaining: Resources) -> bool:
        if self.agent and self.agent not in (offer.agent_id.value, offer.hostname):
            return False
        return remaining.contains(self.resources)


@dataclass(slots=True)
class TaskRecord:
    """What the queue knows of a task it launched (or learned of after a failover)."""

    task_id: str
    name: str = ""
    state: int = TS.TASK_STAGING
    agent_id: str = ""
    message: str = ""
    reason: str = ""
    queued: bool = True
    history: list[int] = field(default_factory=list)

    @property
    def state_name(self) -> str:
        return "QUEUED" if self.queued else TS.Name(self.state)

    @property
    def terminal(self) -> bool:
        return not self.queued and self.state in TERMINAL_STATES


def framework_info(
    name: str = FRAMEWORK_NAME,
    failover_timeout: float = DEFAULT_FAILOVER_TIMEOUT,
    role: str = "*",
    user: str | None = None,
    framework_id: str | None = None,
) -> mesos_pb2.FrameworkInfo:
    info = mesos_pb2.FrameworkInfo(
        name=name,
        user=user or _user(),
        role=role,
        failover_timeout=failover_timeout,
        checkpoint=True,
        hostname=os.uname().nodename,
    )
    if framework_id:
        info.id.value = framework_id
    return info


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in a container
        return os.environ.get("USER") or "root"


class CommandQueue(Scheduler):
    """A queue of shell commands to launch, and the tasks it launched."""

    def __init__(self) -> None:
        self.pending: deque[LaunchRequest] = deque()
        self.tasks: dict[str, TaskRecord] = {}
        self.listeners: list[StatusListener] = []
        self.driver: SchedulerDriver | None = None
        self.error: str | None = None
        self._changed = asyncio.Event()
        self._suppressed = False

    # ------------------------------------------------------------------------ lifecycle

    async def start(
        self,
        master: str,
        *,
        framework_id: str | None = None,
        failover_timeout: float = DEFAULT_FAILOVER_TIMEOUT,
        name: str = FRAMEWORK_NAME,
        role: str = "*",
        timeout: float = 15.0,
    ) -> str:
        """Subscribe (again, with `framework_id`) and answer the framework id. Raises
        DriverError or TimeoutError."""
        if self.driver is None:
            info = framework_info(name, failover_timeout, role, framework_id=framework_id)
            self.driver = SchedulerDriver(self, info, master, implicit_acknowledgements=False)
            await self.driver.start()
        try:
            return await self.driver.wait_subscribed(timeout)
        except (TimeoutError, DriverError):
            await self.driver.stop(failover=True)
            self.driver = None
            raise

    async def stop(self, failover: bool = True, timeout: float = 5.0) -> bool:
        """Stop; `failover=True` (the default) leaves the tasks running for a later shell.

        Waits at most `timeout` for the driver: its stop can hang when a status update
        arrives just as its event stream is cancelled (a gRPC read that swallows the
        cancellation). Answers whether the driver stopped in time."""
        stopped = True
        if self.driver is not None:
            stopping = asyncio.ensure_future(self.driver.stop(failover=failover))
            done, _ = await asyncio.wait({stopping}, timeout=timeout)
            if not done:
                log.warning("the scheduler driver did not stop within %.1fs", timeout)
                stopped = False
        self._notify()
        return stopped

    @property
    def framework_id(self) -> str | None:
        return self.driver.framework_id if self.driver is not None else None

    @property
    def connected(self) -> bool:
        return self.driver is not None and self.driver.connected

    # ------------------------------------------------------------------------ the queue

    def submit(self, requests: Iterable[LaunchRequest]) -> list[str]:
        """Queue launches; answer their task ids. Offers are revived (now, or on subscribe)."""
        ids = []
        for r in requests:
            if r.task_id in self.tasks and not self.tasks[r.task_id].terminal:
                raise ValueError(f"task id {r.task_id!r} is already in use")
            self.pending.append(r)
            self.tasks[r.task_id] = TaskRecord(r.task_id, r.name)
            ids.append(r.task_id)
        self._notify()
        if self.connected:
            asyncio.ensure_future(self._revive())
        return ids

    def cancel(self, task_id: str) -> bool:
        """Drop a request that has not been launched yet."""
        for r in list(self.pending):
            if r.task_id == task_id:
                self.pending.remove(r)
                self.tasks.pop(task_id, None)
                self._notify()
                return True
        return False

    async def wait(
        self,
        task_ids: Iterable[str],
        states: Iterable[int] = (TS.TASK_RUNNING,),
        timeout: float | None = None,
    ) -> dict[str, TaskRecord]:
        """Wait until each task is in one of `states` or terminal; answer their records.
        Raises TimeoutError (the records then say how far each got)."""
        wanted = set(states)
        ids = list(task_ids)

        def done() -> bool:
            if self.error is not None:
                return True
            for tid in ids:
                rec = self.tasks.get(tid)
                if rec is None or rec.terminal:
                    continue
                if rec.queued or rec.state not in wanted:
                    return False
            return True

        async def loop() -> None:
            while not done():
                if self.driver is not None and self.driver.stopped:
                    return
                changed = self._changed
                await changed.wait()

        await asyncio.wait_for(loop(), timeout)
        return {tid: self.tasks[tid] for tid in ids if tid in self.tasks}

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _revive(self) -> None:
        if self.driver is None:
            return
        try:
            await self.driver.revive()
            self._suppressed = False
        except DriverError as e:
            log.info("revive not sent: %s (sent again on subscribe)", e)

    async def _suppress(self) -> None:
        if self.driver is None or self._suppressed:
            return
        try:
            await self.driver.suppress()
            self._suppressed = True
        except DriverError as e:
            log.info("suppress not sent: %s", e)

    # ------------------------------------------------------------------------ callbacks

    async def subscribed(self, driver, framework_id, master_info) -> None:  # type: ignore[override]
        log.info("command queue subscribed as %s", framework_id.value)
        self._suppressed = False
        if self.pending:
            await self._revive()
        else:
            await self._suppress()
        self._notify()

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        unused: list[mesos_pb2.Offer] = []
        for offer in offers:
            remaining = offer_resources(offer)
            chosen: list[LaunchRequest] = []
            for r in list(self.pending):
                if r.fits(offer, remaining):
                    remaining = remaining - r.resources
                    chosen.append(r)
                    self.pending.remove(r)
            if not chosen:
                unused.append(offer)
                continue
            role = offer.allocation_info.role if offer.HasField("allocation_info") else None
            infos = [
                task_info(r.task_id, r.name, offer.agent_id, r.command, r.resources, role=role)
                for r in chosen
            ]
            refuse = WAITING_DECLINE_SECONDS if self.pending else IDLE_DECLINE_SECONDS
            try:
                await driver.launch([offer], infos, mesos_pb2.Filters(refuse_seconds=refuse))
            except DriverError as e:
                log.warning("launch on offer %s failed: %s; requeued", offer.id.value, e)
                self.pending.extendleft(reversed(chosen))
                continue
            for r in chosen:
                rec = self.tasks.setdefault(r.task_id, TaskRecord(r.task_id, r.name))
                rec.queued = False
                rec.agent_id = offer.agent_id.value
        if unused:
            refuse = WAITING_DECLINE_SECONDS if self.pending else IDLE_DECLINE_SECONDS
            with contextlib.suppress(DriverError):
                await driver.decline(unused, mesos_pb2.Filters(refuse_seconds=refuse))
        if not self.pending:
            await self._suppress()
        self._notify()

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        # Acknowledge before recording or telling anyone: a shell that exits as soon as its
        # tasks are RUNNING must have acknowledged RUNNING, or the agent holds back the
        # task's next update (TASK_KILLED) until a later shell acknowledges it.
        try:
            await driver.acknowledge(status)
        except DriverError as e:
            log.info("acknowledgement of %s not sent: %s", status.task_id.value, e)
        tid = status.task_id.value
        rec = self.tasks.get(tid)
        if rec is None:  # a task of an earlier shell of this framework
            rec = self.tasks[tid] = TaskRecord(tid)
        rec.queued = False
        rec.state = status.state
        rec.history.append(status.state)
        if status.agent_id.value:
            rec.agent_id = status.agent_id.value
        rec.message = status.message
        rec.reason = (
            mesos_pb2.TaskStatus.Reason.Name(status.reason) if status.HasField("reason") else ""
        )
        for listener in list(self.listeners):
            try:
                listener(status)
            except Exception:
                log.exception("status listener failed")
        self._notify()

    async def error(self, driver, message: str) -> None:  # type: ignore[override]
        self.error = message
        self._notify()

    async def disconnected(self, driver) -> None:  # type: ignore[override]
        self._notify()
