"""The master's soft state: agents, frameworks, tasks and offers, as plain Python objects.

Protobuf messages stay at the edges: what arrives (FrameworkInfo, AgentInfo, TaskInfo,
TaskStatus) is kept as received for echoing back, but everything the master decides on —
ids, states, resources, timers — lives in these slots dataclasses. The state is soft, as in
the Mesos paper: a new leader rebuilds it from re-registering agents and re-subscribing
frameworks.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Any

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2

# How many finished tasks and frameworks the master remembers (Mesos's
# --max_completed_tasks_per_framework and --max_completed_frameworks).
MAX_COMPLETED_TASKS = 1000
MAX_COMPLETED_FRAMEWORKS = 50
MAX_STATUSES_PER_TASK = 16

FrameworkCap = mesos_pb2.FrameworkInfo.Capability


@dataclass(slots=True, eq=False)
class Task:
    task_id: str
    framework_id: str
    agent_id: str
    name: str
    state: int
    resources: Resources
    info: mesos_pb2.TaskInfo
    statuses: list[mesos_pb2.TaskStatus] = field(default_factory=list)
    # The newest update the agent sent (it may not be acknowledged yet).
    status_update_state: int | None = None
    status_update_uuid: bytes = b""
    # Set once the task's resources went back to the allocator (first terminal update).
    released: bool = False
    unreachable_time: float | None = None
    # Its framework's stream was sent a terminal state of it (the agent's or the master's).
    terminal_sent: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.framework_id, self.task_id)

    @property
    def latest_status(self) -> mesos_pb2.TaskStatus | None:
        return self.statuses[-1] if self.statuses else None

    def add_status(self, status: mesos_pb2.TaskStatus) -> None:
        self.statuses.append(status)
        if len(self.statuses) > MAX_STATUSES_PER_TASK:
            del self.statuses[1:-MAX_STATUSES_PER_TASK + 1]

    def to_proto(self) -> mesos_pb2.Task:
        t = mesos_pb2.Task(
            name=self.name,
            state=self.state,
            resources=self.resources.to_proto(),
            statuses=self.statuses,
        )
        t.task_id.value = self.task_id
        t.framework_id.value = self.framework_id
        t.agent_id.value = self.agent_id
        if self.info.HasField("executor"):
            t.executor_id.CopyFrom(self.info.executor.executor_id)
        if self.status_update_state is not None:
            t.status_update_state = self.status_update_state
            t.status_update_uuid = self.status_update_uuid
        if self.info.HasField("labels"):
            t.labels.CopyFrom(self.info.labels)
        if self.info.HasField("command"):
            t.command.CopyFrom(self.info.command)
        return t


@dataclass(slots=True, eq=False)
class Executor:
    """A custom executor on an agent: its resources are held once, whatever its task count,
    from its first task's launch until the agent says it ended."""

    framework_id: str
    executor_id: str
    agent_id: str
    info: mesos_pb2.ExecutorInfo
    resources: Resources

    @property
    def key(self) -> tuple[str, str]:
        return (self.framework_id, self.executor_id)


@dataclass(slots=True, eq=False)
class Offer:
    offer_id: str
    framework_id: str
    agent_id: str
    resources: Resources
    created: float
    timer: asyncio.TimerHandle | None = None

    def to_proto(self, agent: Agent | None, role: str) -> mesos_pb2.Offer:
        o = mesos_pb2.Offer(resources=self.resources.to_proto(allocation_role=role))
        o.id.value = self.offer_id
        o.framework_id.value = self.framework_id
        o.agent_id.value = self.agent_id
        o.allocation_info.role = role
        if agent is not None:
            o.hostname = agent.info.hostname
            o.attributes.extend(agent.info.attributes)
        return o


@dataclass(slots=True, eq=False)
class Agent:
    agent_id: str
    info: mesos_pb2.AgentInfo
    total: Resources
    registered_time: float
    files_address: str = ""
    version: str = ""
    reregistered_time: float | None = None
    # The live link (an outbound queue of MasterMessages) or None while disconnected.
    link: Any = None
    tasks: dict[tuple[str, str], Task] = field(default_factory=dict)
    executors: dict[tuple[str, str], Executor] = field(default_factory=dict)
    offers: set[str] = field(default_factory=set)
    missed_pings: int = 0
    awaiting_pong: bool = False
    ping_seq: int = 0
    usage: Any = None  # the latest agent_pb2.UsageReport

    @property
    def connected(self) -> bool:
        return self.link is not None

    def used_by_framework(self) -> dict[str, Resources]:
        used: dict[str, Resources] = {}
        for task in self.tasks.values():
            if not task.released:
                used[task.framework_id] = used.get(task.framework_id, Resources()) + task.resources
        for ex in self.executors.values():
            used[ex.framework_id] = used.get(ex.framework_id, Resources()) + ex.resources
        return used


@dataclass(slots=True, eq=False)
class Framework:
    framework_id: str
    info: mesos_pb2.FrameworkInfo
    role: str
    registered_time: float
    reregistered_time: float | None = None
    unregistered_time: float | None = None
    # The live event stream (an outbound queue of scheduler Events) or None.
    stream: Any = None
    stream_id: str = ""
    suppressed: bool = False
    # True when known only from an agent's re-registration (after a master failover).
    recovered: bool = False
    tasks: dict[str, Task] = field(default_factory=dict)
    unreachable_tasks: dict[str, Task] = field(default_factory=dict)
    completed_tasks: collections.deque[Task] = field(
        default_factory=lambda: collections.deque(maxlen=MAX_COMPLETED_TASKS)
    )
    offers: set[str] = field(default_factory=set)
    # Its custom executors, by (agent id, executor id).
    executors: dict[tuple[str, str], Executor] = field(default_factory=dict)
    failover_timer: asyncio.TimerHandle | None = None

    @property
    def connected(self) -> bool:
        return self.stream is not None

    def has_capability(self, cap: int) -> bool:
        return any(c.type == cap for c in self.info.capabilities)

    @property
    def partition_aware(self) -> bool:
        return self.has_capability(FrameworkCap.PARTITION_AWARE)


def framework_role(info: mesos_pb2.FrameworkInfo) -> str:
    """The one role a framework is offered resources for (the first of `roles`, else `role`)."""
    if info.roles:
        return info.roles[0]
    return info.role or "*"
