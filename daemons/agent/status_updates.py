"""The status update manager: reliable, ordered, exactly-once-after-ack task status updates.

Mesos's protocol, per task: updates wait in an ordered queue. Only the head is ever in flight;
it is sent, then resent every retry interval (doubling from `initial_interval` up to
`max_interval`) until the master forwards the framework's acknowledgement with the head's
uuid. Then the head is dropped for good (never sent again) and the next one is sent at once.
Each sent `StatusUpdate` carries `latest_state`, the newest state queued for the task, so the
master knows where the task really is even while older updates wait for acknowledgements.

After the agent (re)registers, `resend_all` sends every head at once. When a task's terminal
update is acknowledged its stream is removed and `acknowledge` says so, so the agent can
forget the task.

The class does no I/O and keeps no timers: it is given a `send` function and a `clock`, and the
agent calls `retry_due()` at `next_deadline()` (or whenever). Tests drive it with a fake clock.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from daemons.common.states import TERMINAL_STATES
from daemons.proto import agent_pb2, mesos_pb2

log = logging.getLogger(__name__)


StreamKey = tuple[str, str]  # (framework id, task id)


class Ack(Enum):
    """What an acknowledgement did."""

    UNKNOWN = "unknown"  # No such task, or not the uuid in flight: ignored.
    NEXT = "next"  # The head was acknowledged; more updates remain (the next was sent).
    DONE = "done"  # The last queued update was acknowledged, and it was not terminal.
    TERMINAL = "terminal"  # The terminal update was acknowledged: the task can be forgotten.


@dataclass(slots=True)
class _Stream:
    framework_id: str
    task_id: str
    pending: deque[mesos_pb2.TaskStatus] = field(default_factory=deque)
    interval: float = 0.0
    deadline: float | None = None
    sends: int = 0  # Times the current head was sent.


class StatusUpdateManager:
    """Per-task ordered queues of status updates, retried until acknowledged."""

    def __init__(
        self,
        send: Callable[[agent_pb2.StatusUpdate], bool],
        clock: Callable[[], float] = time.monotonic,
        initial_interval: float = 2.0,
        max_interval: float = 60.0,
        on_deadline_change: Callable[[], None] | None = None,
    ) -> None:
        """`send` returns False when the update could not go out (no master): it is retried."""
        self._send = send
        self._clock = clock
        self.initial_interval = initial_interval
        self.max_interval = max(max_interval, initial_interval)
        self._on_deadline_change = on_deadline_change
        self._streams: dict[StreamKey, _Stream] = {}
        self._deadlines: list[tuple[float, int, StreamKey]] = []  # A heap; stale entries skipped.
        self._sequence = itertools.count()

    # ---------------------------------------------------------------------------- queries

    def __len__(self) -> int:
        return len(self._streams)

    def pending(self, framework_id: str, task_id: str) -> list[mesos_pb2.TaskStatus]:
        """The task's updates not yet acknowledged, oldest first."""
        stream = self._streams.get((framework_id, task_id))
        return list(stream.pending) if stream else []

    def keys(self) -> list[StreamKey]:
        return list(self._streams)

    def next_deadline(self) -> float | None:
        """When `retry_due` next has something to do (clock time), or None."""
        while self._deadlines:
            deadline, _, key = self._deadlines[0]
            stream = self._streams.get(key)
            if stream is not None and stream.deadline == deadline:
                return deadline
            heapq.heappop(self._deadlines)
        return None

    # ---------------------------------------------------------------------------- changes

    def update(self, framework_id: str, status: mesos_pb2.TaskStatus) -> None:
        """Queue `status` (its uuid set) behind the task's earlier updates."""
        if not status.uuid:
            raise ValueError("a status update needs a uuid")
        key = (framework_id, status.task_id.value)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(framework_id, status.task_id.value)
        stream.pending.append(status)
        if len(stream.pending) == 1:
            self._send_head(stream, reset=True)

    def acknowledge(self, framework_id: str, task_id: str, uuid: bytes) -> Ack:
        """The framework acknowledged update `uuid` of the task."""
        key = (framework_id, task_id)
        stream = self._streams.get(key)
        if stream is None or not stream.pending or stream.pending[0].uuid != uuid:
            return Ack.UNKNOWN
        acked = stream.pending.popleft()
        if stream.pending:
            self._send_head(stream, reset=True)
            return Ack.NEXT
        del self._streams[key]
        return Ack.TERMINAL if acked.state in TERMINAL_STATES else Ack.DONE

    def retry_due(self) -> int:
        """Resend every head whose retry time has come; how many were sent."""
        now = self._clock()
        sent = 0
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, _, key = heapq.heappop(self._deadlines)
            stream = self._streams.get(key)
            if stream is None or stream.deadline != deadline or not stream.pending:
                continue
            stream.interval = min(stream.interval * 2, self.max_interval)
            self._send_head(stream, reset=False)
            sent += 1
        return sent

    def resend_all(self) -> None:
        """Send every head now (after a (re)registration), restarting their back-off."""
        for stream in list(self._streams.values()):
            if stream.pending:
                self._send_head(stream, reset=True)

    def forget_framework(self, framework_id: str) -> int:
        """Drop every update of a framework that is gone; how many tasks had some."""
        keys = [k for k in self._streams if k[0] == framework_id]
        for key in keys:
            del self._streams[key]
        return len(keys)

    def forget_task(self, framework_id: str, task_id: str) -> None:
        self._streams.pop((framework_id, task_id), None)

    # ---------------------------------------------------------------------------- sending

    def _send_head(self, stream: _Stream, reset: bool) -> None:
        if reset:
            stream.interval = self.initial_interval
            stream.sends = 0
        head = stream.pending[0]
        message = agent_pb2.StatusUpdate(latest_state=stream.pending[-1].state)
        message.framework_id.value = stream.framework_id
        message.status.CopyFrom(head)
        stream.sends += 1
        try:
            self._send(message)
        except Exception:
            log.error("sending the status update of task %s failed; will retry", stream.task_id)
            log.debug("send error", exc_info=True)
        stream.deadline = self._clock() + stream.interval
        heapq.heappush(
            self._deadlines,
            (stream.deadline, next(self._sequence), (stream.framework_id, stream.task_id)),
        )
        if self._on_deadline_change is not None:
            self._on_deadline_change()
