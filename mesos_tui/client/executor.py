"""The executor driver: how a Python custom executor talks to its agent (Mesos's v1 executor API).

A framework that launches tasks with `TaskInfo.executor` names a program in
`ExecutorInfo.command`; the agent starts it once per executor id, and that program runs many
tasks over its life. Written with this module:

    class Echo(Executor):
        async def launch(self, driver, task):
            await driver.update(task.task_id, mesos_pb2.TASK_RUNNING)
            ...  # do the work, in a task of your own if it takes long
            await driver.update(task.task_id, mesos_pb2.TASK_FINISHED)

        async def message(self, driver, data):
            await driver.send_message(b"echo:" + data)

    asyncio.run(ExecutorDriver(Echo()).run())

The protocol, in plain words (executor-http-api.md):

1. The agent sets MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID and MESOS_EXECUTOR_ID (and
   MESOS_CHECKPOINT, MESOS_RECOVERY_TIMEOUT, MESOS_SUBSCRIPTION_BACKOFF_MAX) in the executor's
   environment. The driver POSTs SUBSCRIBE to `http://<endpoint>/api/v1/executor` and keeps
   the answer open: a RecordIO stream of events (SUBSCRIBED, LAUNCH, KILL, ACKNOWLEDGED,
   MESSAGE, SHUTDOWN, ERROR, HEARTBEAT), fed to the `Executor` callbacks one at a time.
2. `update()` sends a task's status (UPDATE, with a fresh uuid) and keeps it until the agent
   answers ACKNOWLEDGED; `send_message()` sends the framework a message (MESSAGE). Both are
   answered 202.
3. When the connection drops (the agent restarted), a checkpointing executor (MESOS_CHECKPOINT=1)
   subscribes again, backing off up to half of MESOS_SUBSCRIPTION_BACKOFF_MAX (the agent's
   re-registration timeout), for at most
   MESOS_RECOVERY_TIMEOUT, re-sending its unacknowledged updates and tasks in SUBSCRIBE; one
   that does not checkpoint stops, as Mesos's executors do.
4. SHUTDOWN: the default `shutdown` callback stops the driver; `run()` returns and the program
   should exit within MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, after which the agent kills it.

Calls go as JSON (Mesos's v1 JSON, see daemons/common/protojson.py), so this driver reads the
same wire as any Mesos agent's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Mapping

import aiohttp

from daemons.common import protojson
from daemons.common.durations import parse_duration
from daemons.common.recordio import Decoder
from daemons.proto import executor_pb2, mesos_pb2

log = logging.getLogger(__name__)

Call = executor_pb2.Call
Event = executor_pb2.Event
JSON = "application/json"


class ExecutorDriverError(Exception):
    """The driver cannot run (its environment is incomplete) or a call was refused."""


class Executor:
    """A custom executor: override the callbacks you need. They run one at a time, in event
    order; a long task should run in an asyncio task of its own, not inside `launch`."""

    async def subscribed(self, driver: ExecutorDriver, subscribed: executor_pb2.Event.Subscribed) -> None:
        """Subscribed (or again, after the agent restarted)."""

    async def launch(self, driver: ExecutorDriver, task: mesos_pb2.TaskInfo) -> None:
        """Run `task`; report it with `driver.update`."""

    async def kill(
        self, driver: ExecutorDriver, task_id: mesos_pb2.TaskID,
        kill_policy: mesos_pb2.KillPolicy | None,
    ) -> None:
        """Kill a task; report TASK_KILLED when it is gone."""

    async def acknowledged(self, driver: ExecutorDriver, task_id: mesos_pb2.TaskID, uuid: bytes) -> None:
        """The agent has an update of ours safely."""

    async def message(self, driver: ExecutorDriver, data: bytes) -> None:
        """The scheduler sent a framework message."""

    async def shutdown(self, driver: ExecutorDriver) -> None:
        """End every task and exit. The default stops the driver."""
        driver.stop()

    async def error(self, driver: ExecutorDriver, message: str) -> None:
        """The agent reported an error."""

    async def disconnected(self, driver: ExecutorDriver) -> None:
        """The connection to the agent dropped; the driver tries to subscribe again."""


class ExecutorDriver:
    """Runs an `Executor` against the agent named in the environment."""

    def __init__(self, executor: Executor, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        missing = [k for k in ("MESOS_AGENT_ENDPOINT", "MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID")
                   if not env.get(k)]
        if missing:
            raise ExecutorDriverError(
                f"{', '.join(missing)} not set: an executor runs under an agent, which sets them"
            )
        self.executor = executor
        self.url = f"http://{env['MESOS_AGENT_ENDPOINT']}/api/v1/executor"
        self.framework_id = env["MESOS_FRAMEWORK_ID"]
        self.executor_id = env["MESOS_EXECUTOR_ID"]
        self.checkpoint = env.get("MESOS_CHECKPOINT") == "1"
        self.recovery_timeout = _duration(env.get("MESOS_RECOVERY_TIMEOUT"), 15 * 60.0)
        self.backoff_max = _duration(env.get("MESOS_SUBSCRIPTION_BACKOFF_MAX"), 2.0)
        self.sandbox = env.get("MESOS_SANDBOX", "")
        self.subscribed_info: executor_pb2.Event.Subscribed | None = None
        # Launched tasks with no update sent yet, and updates not yet acknowledged.
        self.unacknowledged_tasks: dict[str, mesos_pb2.TaskInfo] = {}
        self.unacknowledged_updates: dict[bytes, mesos_pb2.TaskStatus] = {}
        self._stopped = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    def stop(self) -> None:
        """End `run()` (after SHUTDOWN, or when the executor is done)."""
        self._stopped.set()

    # ------------------------------------------------------------------ calls

    def _call(self, kind: int) -> executor_pb2.Call:
        call = Call(type=kind)
        call.framework_id.value = self.framework_id
        call.executor_id.value = self.executor_id
        return call

    async def update(
        self,
        task_id: mesos_pb2.TaskID | str,
        state: int,
        message: str | None = None,
        data: bytes | None = None,
        reason: int | None = None,
    ) -> mesos_pb2.TaskStatus:
        """Send a task's status (kept, and re-sent on re-subscription, until acknowledged)."""
        status = mesos_pb2.TaskStatus(
            state=state, source=mesos_pb2.TaskStatus.SOURCE_EXECUTOR, uuid=uuid.uuid4().bytes,
            timestamp=time.time(),
        )
        status.task_id.value = task_id if isinstance(task_id, str) else task_id.value
        status.executor_id.value = self.executor_id
        if message is not None:
            status.message = message
        if data is not None:
            status.data = data
        if reason is not None:
            status.reason = reason
        self.unacknowledged_tasks.pop(status.task_id.value, None)
        self.unacknowledged_updates[status.uuid] = status
        call = self._call(Call.UPDATE)
        call.update.status.CopyFrom(status)
        try:
            await self._post(call)
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            # Not lost: it goes again in the next SUBSCRIBE.
            log.info("update of task %s not sent (%s); kept for re-subscription",
                     status.task_id.value, e)
        return status

    async def send_message(self, data: bytes) -> None:
        """Send the scheduler a framework message (best effort, as in Mesos)."""
        call = self._call(Call.MESSAGE)
        call.message.data = data
        await self._post(call)

    async def _post(self, call: executor_pb2.Call) -> None:
        session = self._session
        if session is None:
            raise ExecutorDriverError("the driver is not running")
        async with session.post(
            self.url, data=protojson.dumps(call),
            headers={"Content-Type": JSON, "Accept": JSON},
            timeout=aiohttp.ClientTimeout(total=15),
        ) as response:
            if response.status != 202:
                text = (await response.text()).strip()
                raise ExecutorDriverError(f"the agent refused {Call.Type.Name(call.type)}: "
                                          f"{response.status} {text}")

    # ------------------------------------------------------------------ the subscription

    async def run(self) -> None:
        """Subscribe and feed the callbacks until stopped (SHUTDOWN), or until the agent is
        gone for good (not checkpointing, or past the recovery timeout)."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5)
        )
        try:
            stopper = asyncio.ensure_future(self._stopped.wait())
            session_task = asyncio.ensure_future(self._subscription_loop())
            done, _ = await asyncio.wait(
                {stopper, session_task}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (stopper, session_task):
                if task not in done:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if session_task in done:
                session_task.result()
        finally:
            await self._session.close()
            self._session = None

    async def _subscription_loop(self) -> None:
        lost_since: float | None = None
        delay = 0.0
        while True:
            try:
                await self._subscribe_once()
                problem = "the agent closed the subscription"
            except ExecutorDriverError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
                problem = str(e) or type(e).__name__
            if self._stopped.is_set():
                return
            if self._connected:
                self._connected = False
                lost_since = time.monotonic()
                delay = 0.0
                await self.executor.disconnected(self)
            if self.subscribed_info is not None and not self.checkpoint:
                raise ExecutorDriverError(f"disconnected from the agent ({problem}); this "
                                          "executor does not checkpoint, so it stops")
            if lost_since is None:
                lost_since = time.monotonic()
            limit = self.recovery_timeout if self.subscribed_info is not None else 60.0
            if time.monotonic() - lost_since > limit:
                raise ExecutorDriverError(f"no agent to subscribe to within {limit:g}s: {problem}")
            # Capped at half the agent's re-registration timeout, so that at least one try
            # falls inside the window a restarted agent waits for its executors.
            delay = min(self.backoff_max / 2, max(0.05, delay * 2 or 0.1))
            log.info("subscription lost (%s); subscribing again in %.2fs", problem, delay)
            await asyncio.sleep(delay)

    async def _subscribe_once(self) -> None:
        assert self._session is not None
        call = self._call(Call.SUBSCRIBE)
        call.subscribe.SetInParent()
        call.subscribe.unacknowledged_tasks.extend(self.unacknowledged_tasks.values())
        for status in self.unacknowledged_updates.values():
            call.subscribe.unacknowledged_updates.add().status.CopyFrom(status)
        async with self._session.post(
            self.url, data=protojson.dumps(call),
            headers={"Content-Type": JSON, "Accept": JSON},
        ) as response:
            if response.status != 200:
                text = (await response.text()).strip()
                if 400 <= response.status < 500:
                    raise ExecutorDriverError(f"the agent refused SUBSCRIBE: {response.status} {text}")
                raise aiohttp.ClientError(f"SUBSCRIBE answered {response.status} {text}")
            decoder = Decoder()
            async for chunk in response.content.iter_any():
                for record in decoder.feed(chunk):
                    event = protojson.parse(record, Event, "Event")
                    await self._dispatch(event)
                    if self._stopped.is_set():
                        return

    async def _dispatch(self, event: executor_pb2.Event) -> None:
        t = event.type
        x = self.executor
        if t == Event.SUBSCRIBED:
            self.subscribed_info = event.subscribed
            self._connected = True
            await x.subscribed(self, event.subscribed)
        elif t == Event.LAUNCH:
            self.unacknowledged_tasks[event.launch.task.task_id.value] = event.launch.task
            await x.launch(self, event.launch.task)
        elif t == Event.LAUNCH_GROUP:
            for task in event.launch_group.task_group.tasks:
                self.unacknowledged_tasks[task.task_id.value] = task
                await x.launch(self, task)
        elif t == Event.KILL:
            policy = event.kill.kill_policy if event.kill.HasField("kill_policy") else None
            await x.kill(self, event.kill.task_id, policy)
        elif t == Event.ACKNOWLEDGED:
            self.unacknowledged_updates.pop(event.acknowledged.uuid, None)
            await x.acknowledged(self, event.acknowledged.task_id, event.acknowledged.uuid)
        elif t == Event.MESSAGE:
            await x.message(self, event.message.data)
        elif t == Event.SHUTDOWN:
            await x.shutdown(self)
        elif t == Event.ERROR:
            await x.error(self, event.error.message)
        elif t == Event.HEARTBEAT:
            pass
        else:
            log.debug("ignoring an event of unknown type %s", t)


def _duration(text: str | None, default: float) -> float:
    if not text:
        return default
    try:
        return parse_duration(text)
    except ValueError:
        return default


__all__ = ["Executor", "ExecutorDriver", "ExecutorDriverError"]
