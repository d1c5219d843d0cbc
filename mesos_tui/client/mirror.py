"""The client-side mirror of a master's state, kept current by the operator event stream.

`ClusterMirror.apply(event)` takes the SUBSCRIBED snapshot and then every event after it
(tasks, agents, frameworks, the life of each offer, measured usage, allocation cycles) and
keeps plain Python objects: agents, frameworks, tasks by key, outstanding offers, a timeline
of recent offers and how each ended, the latest allocation (shares in DRF order), counts of
tasks by state, usage history for sparklines and a bounded log of events.

The figures every view and the shell print come from here and nowhere else, with Mesos's
meanings: an agent's and a framework's `allocated` is what their non-terminal tasks hold
(booked as each task starts and ends, never taken from a figure the master computed at some
earlier moment), `offered` is what their outstanding offers hold, and an agent's `used_*` is
what its own containers were measured using (the sum of its tasks' statistics, never the
host's). `counts()` gives the counts the header and the listings show.

It also records *what changed* since the last `take_changes()`, so a view redraws only the
rows that did. Applying an event costs O(size of the event), never O(cluster): totals are
summed over agents only when asked for and cached until an agent changes.

Pure code: no I/O, no clock except the injectable `clock`.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from daemons.common.resources import Resources
from daemons.common.states import TERMINAL_STATES
from daemons.proto import master_pb2, mesos_pb2

Event = master_pb2.Event
TS = mesos_pb2.TaskState

# States in which a task holds its resources on its agent.
ACTIVE_STATES = frozenset({TS.TASK_STAGING, TS.TASK_STARTING, TS.TASK_RUNNING, TS.TASK_KILLING})
# Display order of task states (the header's counts and the state column).
STATE_ORDER = (
    TS.TASK_STAGING, TS.TASK_STARTING, TS.TASK_RUNNING, TS.TASK_KILLING, TS.TASK_FINISHED,
    TS.TASK_FAILED, TS.TASK_KILLED, TS.TASK_ERROR, TS.TASK_LOST, TS.TASK_DROPPED,
    TS.TASK_UNREACHABLE, TS.TASK_GONE, TS.TASK_GONE_BY_OPERATOR, TS.TASK_UNKNOWN,
)

_SCALAR = mesos_pb2.Value.SCALAR
# A task label holding its command line, for masters that do not report `Task.command`.
COMMAND_LABEL = "command"


def state_name(state: int) -> str:
    """`TASK_RUNNING` -> `running`."""
    try:
        return TS.Name(state).removeprefix("TASK_").lower()
    except ValueError:
        return f"state-{state}"


STATE_NAMES = {s: state_name(s) for s in STATE_ORDER}


def short_id(value: str) -> str:
    """The readable tail of a Mesos id: `<master-uuid>-S3` -> `S3`, `<uuid>-0001` -> `0001`."""
    if len(value) > 37 and value[8:9] == "-" and value[36:37] == "-":
        return value[37:]
    return value


class Scalars:
    """cpus, mem (MB) and disk (MB): the three numbers every bar and total is about."""

    __slots__ = ("cpus", "mem", "disk")

    def __init__(self, cpus: float = 0.0, mem: float = 0.0, disk: float = 0.0) -> None:
        self.cpus = cpus
        self.mem = mem
        self.disk = disk

    @classmethod
    def of(cls, resources: Iterable[mesos_pb2.Resource]) -> Scalars:
        cpus = mem = disk = 0.0
        for r in resources:
            if r.type != _SCALAR:
                continue
            name = r.name
            if name == "cpus":
                cpus += r.scalar.value
            elif name == "mem":
                mem += r.scalar.value
            elif name == "disk":
                disk += r.scalar.value
        return cls(cpus, mem, disk)

    def add(self, other: Scalars) -> None:
        self.cpus = round(self.cpus + other.cpus, 3)
        self.mem = round(self.mem + other.mem, 3)
        self.disk = round(self.disk + other.disk, 3)

    def sub(self, other: Scalars) -> None:
        self.cpus = max(0.0, round(self.cpus - other.cpus, 3))
        self.mem = max(0.0, round(self.mem - other.mem, 3))
        self.disk = max(0.0, round(self.disk - other.disk, 3))

    def copy(self) -> Scalars:
        return Scalars(self.cpus, self.mem, self.disk)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scalars) and (self.cpus, self.mem, self.disk) == (
            other.cpus, other.mem, other.disk,
        )

    def __repr__(self) -> str:
        return f"Scalars(cpus={self.cpus:g}, mem={self.mem:g}, disk={self.disk:g})"


def _attributes_text(attributes: Iterable[mesos_pb2.Attribute]) -> str:
    parts = []
    for a in attributes:
        if a.type == mesos_pb2.Value.SCALAR:
            value = f"{a.scalar.value:g}"
        elif a.type == mesos_pb2.Value.RANGES:
            value = ",".join(f"{r.begin}-{r.end}" for r in a.ranges.range)
        elif a.type == mesos_pb2.Value.SET:
            value = "{" + ",".join(a.set.item) + "}"
        else:
            value = a.text.value
        parts.append(f"{a.name}:{value}")
    return ";".join(parts)


@dataclass(slots=True)
class AgentView:
    id: str
    hostname: str = ""
    port: int = 5051
    attributes: str = ""
    active: bool = True
    total: Scalars = field(default_factory=Scalars)
    allocated: Scalars = field(default_factory=Scalars)
    offered: Scalars = field(default_factory=Scalars)
    # Measured: the sum of this agent's containers (its own tasks), not the host's.
    used_cpus: float = 0.0
    used_mem: float = 0.0  # MB
    has_usage: bool = False
    # The whole machine, as the agent measured it (several agents may share one host).
    host_cpus: float = 0.0
    host_mem: float = 0.0  # MB
    tasks: int = 0
    version: str = ""
    pid: str = ""
    registered: float = 0.0
    resources_text: str = ""

    @property
    def files_address(self) -> str:
        """Where this agent serves its Files API: the address in its pid
        (`slave(1)@host:port`, as the master reports it), else AgentInfo hostname:port."""
        if "@" in self.pid:
            return self.pid.rsplit("@", 1)[1]
        return f"{self.hostname}:{self.port}"

    @property
    def state(self) -> str:
        return "active" if self.active else "inactive"


@dataclass(slots=True)
class FrameworkView:
    id: str
    name: str = ""
    role: str = "*"
    principal: str = ""
    user: str = ""
    hostname: str = ""
    active: bool = True
    connected: bool = True
    recovered: bool = False
    suppressed: bool = False
    completed: bool = False
    failover_timeout: float = 0.0
    dominant_share: float = 0.0
    dominant_resource: str = ""
    allocated: Scalars = field(default_factory=Scalars)  # its non-terminal tasks
    offered: Scalars = field(default_factory=Scalars)  # its outstanding offers
    offers: int = 0
    # Measured: what its tasks' containers use, summed over the agents' latest reports.
    used_cpus: float = 0.0
    used_mem: float = 0.0  # MB
    has_usage: bool = False
    tasks: int = 0
    registered: float = 0.0

    @property
    def state(self) -> str:
        if self.completed:
            return "completed"
        if not self.connected:
            return "failing over"
        if not self.active:
            return "inactive"
        return "suppressed" if self.suppressed else "connected"


TaskKey = str  # f"{framework_id}\t{task_id}": task ids are unique only within a framework


def task_key(framework_id: str, task_id: str) -> TaskKey:
    return f"{framework_id}\t{task_id}"


@dataclass(slots=True)
class TaskView:
    key: TaskKey
    id: str
    name: str = ""
    framework_id: str = ""
    agent_id: str = ""
    executor_id: str = ""
    container_id: str = ""
    state: int = TS.TASK_STAGING
    cpus: float = 0.0
    mem: float = 0.0
    disk: float = 0.0
    message: str = ""
    reason: str = ""
    started: float = 0.0
    updated: float = 0.0
    user: str = ""
    command: str = ""
    history: list[tuple[float, int]] = field(default_factory=list)
    # Measured: its container in its agent's latest report (0 once it ended).
    used_cpus: float = 0.0
    used_mem: float = 0.0  # MB

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state) or state_name(self.state)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


@dataclass(slots=True)
class OfferRecord:
    """One offer's path: sent, then accepted / declined / rescinded / timed out."""

    id: str
    framework_id: str
    agent_id: str
    hostname: str
    res: Scalars
    resources_text: str
    sent: float
    ended: float = 0.0
    outcome: str = "outstanding"  # accepted | declined | rescinded | timed out
    detail: str = ""
    task_ids: tuple[str, ...] = ()
    cycle: int = 0


@dataclass(slots=True)
class ShareRow:
    role: str
    framework_id: str
    name: str
    weight: float
    share: float
    dominant_resource: str
    offers: int


@dataclass(slots=True)
class SorterClient:
    """One row of the allocator's DRF table: a role, or a framework within its role."""

    role: str
    framework_id: str  # "" for a role's row
    name: str
    weight: float
    allocated: Scalars  # what its tasks hold
    offered: Scalars  # what is offered to it (counts as allocated until declined)
    shares: dict[str, float]  # (allocated + offered) / cluster total, per resource held
    dominant_resource: str
    dominant_share: float  # unweighted
    weighted_share: float  # dominant_share / weight: what DRF sorts by
    active: bool = True
    suppressed: bool = False

    @property
    def label(self) -> str:
        return self.name or short_id(self.framework_id) or self.role


@dataclass(slots=True)
class SorterView:
    """The allocator's DRF table as the master last sent it (SORTER_UPDATED or a snapshot)."""

    cycle: int
    at: float
    sorter: str
    total: Scalars
    roles: list[SorterClient]
    frameworks: list[SorterClient]


@dataclass(slots=True)
class SkipView:
    """A framework ahead in the order that a step did not offer an agent to, and why."""

    framework_id: str
    name: str
    reason: str  # inactive | suppressed | filtered
    refused: Scalars | None = None
    refused_text: str = ""
    until: float = 0.0  # when the filter ends (epoch seconds)


@dataclass(slots=True)
class AgentDecisionView:
    """One agent of a step, in the order the allocator walked them."""

    agent_id: str
    hostname: str
    free: Scalars
    free_text: str
    framework_id: str  # who was offered it; "" if nobody
    name: str
    offer_id: str
    skipped: list[SkipView]
    skipped_omitted: int
    reason: str  # "" if walked; else why not: agent inactive | nothing free | below min ...


@dataclass(slots=True)
class AllocationView:
    """One allocation cycle: shares in sorter (DRF) order and the offers it made; for a step
    (an explained cycle), also the table before and after and every agent's decision."""

    cycle: int
    duration_ms: float
    sorter: str
    roles: list[ShareRow]
    frameworks: list[ShareRow]
    offer_ids: list[str]
    at: float
    explained: bool = False
    before: SorterView | None = None
    after: SorterView | None = None
    decisions: list[AgentDecisionView] = field(default_factory=list)
    decisions_omitted: int = 0


@dataclass(slots=True)
class AllocatorView:
    paused: bool = False
    sorter: str = ""
    interval: float = 0.0
    cycles: int = 0


@dataclass(slots=True)
class EventRecord:
    at: float
    kind: str
    text: str


@dataclass(slots=True)
class Totals:
    """Cluster-wide cpus/mem/disk as total, used (measured), allocated, offered and idle."""

    total: Scalars
    used: Scalars
    allocated: Scalars
    offered: Scalars
    idle: Scalars


@dataclass(slots=True, frozen=True)
class Counts:
    """The counts the header, the views' status lines and the shell show, from one place."""

    agents: int
    agents_active: int
    frameworks: int  # registered (active, inactive or failing over): not torn down
    frameworks_completed: int
    tasks: int  # every task the mirror remembers, finished ones included
    tasks_active: int  # staging, starting, running or killing: holding resources
    offers: int  # outstanding
    by_state: tuple[tuple[int, int], ...]  # (state, count) in STATE_ORDER, counts > 0


@dataclass(slots=True)
class Changes:
    """What changed since the previous `take_changes()`."""

    reset: bool = False
    agents: set[str] = field(default_factory=set)
    agents_removed: set[str] = field(default_factory=set)
    frameworks: set[str] = field(default_factory=set)
    frameworks_removed: set[str] = field(default_factory=set)
    tasks: set[TaskKey] = field(default_factory=set)
    tasks_removed: set[TaskKey] = field(default_factory=set)
    offers: bool = False
    allocation: bool = False
    allocator: bool = False
    sorter: bool = False
    events: int = 0
    totals: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.reset or self.agents or self.agents_removed or self.frameworks
            or self.frameworks_removed or self.tasks or self.tasks_removed or self.offers
            or self.allocation or self.allocator or self.sorter or self.events or self.totals
        )


def _rescind_reason(reason: int) -> str:
    try:
        return Event.OfferRescinded.Reason.Name(reason).lower().replace("_", " ")
    except ValueError:
        return "unknown"


class ClusterMirror:
    """The master's state as the operator stream tells it, with change tracking."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        max_events: int = 5000,
        max_timeline: int = 500,
        max_completed_tasks: int = 20000,
        history: int = 300,
    ) -> None:
        self.clock = clock
        self.max_completed_tasks = max_completed_tasks
        self.agents: dict[str, AgentView] = {}
        self.frameworks: dict[str, FrameworkView] = {}
        self.tasks: dict[TaskKey, TaskView] = {}
        self.offers: dict[str, OfferRecord] = {}  # outstanding, by offer id
        self.timeline: deque[OfferRecord] = deque(maxlen=max_timeline)
        self.allocation: AllocationView | None = None
        self.allocations: deque[AllocationView] = deque(maxlen=50)
        self.allocator = AllocatorView()
        # The allocator's DRF table now (from the master), and each framework's dominant share
        # over time (one point per `sample_history()`), for the offers view's chart.
        self.sorter: SorterView | None = None
        self.last_step: AllocationView | None = None  # the last explained cycle (a step)
        self.share_history: dict[str, deque[float]] = {}
        self.share_history_length = history
        self.state_counts: Counter[int] = Counter()
        self.events: deque[EventRecord] = deque(maxlen=max_events)
        self.events_total = 0
        self.cpu_history: deque[float] = deque(maxlen=history)  # used cpus / total
        self.mem_history: deque[float] = deque(maxlen=history)
        self.cpu_alloc_history: deque[float] = deque(maxlen=history)
        self.mem_alloc_history: deque[float] = deque(maxlen=history)
        self.subscribed = False
        # Whether the source streams this project's events (offers, usage, allocation): an
        # Apache Mesos master does not, and the views say so instead of showing nothing.
        self.streams_extensions = True
        self.heartbeat_interval = 0.0
        self.last_event_at = 0.0
        self._completed: deque[TaskKey] = deque()
        self._commands: dict[TaskKey, str] = {}  # told by whoever launched the task
        self._totals: Totals | None = None
        # Agent id -> what its latest usage report measured, per container: task key (or
        # `<framework>\t#<executor>` for an executor the report names no task of) ->
        # (framework id, cpus, MB). A task's share leaves its agent and framework as it ends.
        self._measured: dict[str, dict[str, tuple[str, float, float]]] = {}
        self._changes = Changes()
        # Called after every applied event: the TUI redraws as soon as something changed.
        self.on_applied: Callable[[], None] | None = None
        self._handlers: dict[int, Callable[[Event], None]] = {
            Event.SUBSCRIBED: self._on_subscribed,
            Event.TASK_ADDED: self._on_task_added,
            Event.TASK_UPDATED: self._on_task_updated,
            Event.AGENT_ADDED: self._on_agent_added,
            Event.AGENT_UPDATED: self._on_agent_updated,
            Event.AGENT_REMOVED: self._on_agent_removed,
            Event.FRAMEWORK_ADDED: self._on_framework_added,
            Event.FRAMEWORK_UPDATED: self._on_framework_updated,
            Event.FRAMEWORK_REMOVED: self._on_framework_removed,
            Event.HEARTBEAT: self._on_heartbeat,
            Event.OFFER_SENT: self._on_offer_sent,
            Event.OFFER_ACCEPTED: self._on_offer_accepted,
            Event.OFFER_DECLINED: self._on_offer_declined,
            Event.OFFER_RESCINDED: self._on_offer_rescinded,
            Event.AGENT_USAGE: self._on_agent_usage,
            Event.ALLOCATION: self._on_allocation,
            Event.ALLOCATOR_UPDATED: self._on_allocator_updated,
            Event.SORTER_UPDATED: self._on_sorter_updated,
        }

    # ------------------------------------------------------------------------------ public

    def apply(self, event: Event) -> None:
        """Fold one operator event into the mirror."""
        now = self.clock()
        self.last_event_at = now
        handler = self._handlers.get(event.type)
        if handler is None:
            self._log(now, _kind(event.type), "(not understood by this client)")
        else:
            handler(event)
        if self.on_applied is not None:
            self.on_applied()

    def apply_state(self, state: master_pb2.Response.GetState) -> None:
        """Load a GET_STATE answer as if it came in a SUBSCRIBED event."""
        event = Event(type=Event.SUBSCRIBED)
        event.subscribed.get_state.CopyFrom(state)
        self.apply(event)

    def take_changes(self) -> Changes:
        """What changed since the last call; starts a fresh change set."""
        changes, self._changes = self._changes, Changes()
        return changes

    def peek_changes(self) -> Changes:
        return self._changes

    def totals(self) -> Totals:
        """Cluster totals, summed over agents (cached until an agent changes)."""
        if self._totals is None:
            total, used, alloc, offered = Scalars(), Scalars(), Scalars(), Scalars()
            for a in self.agents.values():
                total.add(a.total)
                alloc.add(a.allocated)
                offered.add(a.offered)
                used.cpus += a.used_cpus
                used.mem += a.used_mem
            used.cpus = round(used.cpus, 3)
            used.mem = round(used.mem, 3)
            idle = total.copy()
            idle.sub(alloc)
            idle.sub(offered)
            self._totals = Totals(total, used, alloc, offered, idle)
        return self._totals

    def counts(self) -> Counts:
        """How many agents, frameworks, tasks and offers there are: the one source of every
        count on screen (O(agents + frameworks))."""
        completed = sum(1 for f in self.frameworks.values() if f.completed)
        sc = self.state_counts
        by_state = tuple((st, sc[st]) for st in STATE_ORDER if sc.get(st, 0) > 0)
        known = set(STATE_ORDER)
        by_state += tuple((st, n) for st, n in sorted(sc.items()) if st not in known and n > 0)
        return Counts(
            agents=len(self.agents),
            agents_active=sum(1 for a in self.agents.values() if a.active),
            frameworks=len(self.frameworks) - completed,
            frameworks_completed=completed,
            tasks=sum(n for _, n in by_state),
            tasks_active=sum(n for st, n in by_state if st in ACTIVE_STATES),
            offers=len(self.offers),
            by_state=by_state,
        )

    def sample_history(self) -> None:
        """Append one point of cluster CPU and memory use to the sparkline histories."""
        t = self.totals()
        self.cpu_history.append(t.used.cpus / t.total.cpus if t.total.cpus else 0.0)
        self.mem_history.append(t.used.mem / t.total.mem if t.total.mem else 0.0)
        self.cpu_alloc_history.append(t.allocated.cpus / t.total.cpus if t.total.cpus else 0.0)
        self.mem_alloc_history.append(t.allocated.mem / t.total.mem if t.total.mem else 0.0)
        self._sample_shares()

    def reset(self) -> None:
        """Forget everything (a new leader's snapshot will follow)."""
        self.agents.clear()
        self.frameworks.clear()
        self.tasks.clear()
        self.offers.clear()
        self.state_counts.clear()
        self._completed.clear()
        self._measured.clear()
        self.allocation = None
        self.sorter = None
        self.last_step = None
        self.subscribed = False
        self._totals = None
        self._changes = Changes(reset=True)

    def framework_name(self, framework_id: str) -> str:
        fw = self.frameworks.get(framework_id)
        return fw.name if fw and fw.name else short_id(framework_id)

    def agent_hostname(self, agent_id: str) -> str:
        agent = self.agents.get(agent_id)
        return agent.hostname if agent and agent.hostname else short_id(agent_id)

    def note_command(self, framework_id: str, task_id: str, command: str) -> None:
        """The command line of a task (the operator API's `Task` has none): the shell tells
        what it launched, so `command:` filters find it. Kept across snapshots."""
        key = task_key(framework_id, task_id)
        self._commands[key] = command
        if len(self._commands) > 2 * self.max_completed_tasks:
            self._commands.pop(next(iter(self._commands)))
        task = self.tasks.get(key)
        if task is not None and task.command != command:
            task.command = command
            self._changes.tasks.add(key)

    def find_tasks(self, task_id: str) -> list[TaskView]:
        """Tasks whose id (or key) is `task_id`."""
        if task_id in self.tasks:
            return [self.tasks[task_id]]
        return [t for t in self.tasks.values() if t.id == task_id]

    # ---------------------------------------------------------------------------- helpers

    def _log(self, now: float, kind: str, text: str) -> None:
        self.events.append(EventRecord(now, kind, text))
        self.events_total += 1
        self._changes.events += 1

    def _agent_changed(self, agent_id: str) -> None:
        self._changes.agents.add(agent_id)
        self._changes.totals = True
        self._totals = None

    def _set_counts(self, task: TaskView, old_state: int | None) -> None:
        """Book a task's state change: state counts and the active counts of its owners."""
        new_state = task.state
        if old_state is not None:
            self.state_counts[old_state] -= 1
            if not self.state_counts[old_state]:
                del self.state_counts[old_state]
        self.state_counts[new_state] += 1
        was = old_state in ACTIVE_STATES
        now = new_state in ACTIVE_STATES
        if was == now:
            return
        delta = 1 if now else -1
        if not now:
            self._forget_measured(task)
        agent = self.agents.get(task.agent_id)
        if agent is not None:
            agent.tasks += delta
            res = Scalars(task.cpus, task.mem, task.disk)
            if now:
                agent.allocated.add(res)
            else:
                agent.allocated.sub(res)
            self._agent_changed(agent.id)
        fw = self.frameworks.get(task.framework_id)
        if fw is not None:
            fw.tasks += delta
            res = Scalars(task.cpus, task.mem, task.disk)
            if now:
                fw.allocated.add(res)
            else:
                fw.allocated.sub(res)
            self._changes.frameworks.add(fw.id)

    def _forget_measured(self, task: TaskView) -> None:
        """A task ended: what it was measured using leaves its agent and framework now,
        not at the agent's next report."""
        task.used_cpus = task.used_mem = 0.0
        measured = self._measured.get(task.agent_id, {})
        entry = measured.pop(task.key, None)
        if entry is not None:
            self._add_framework_usage(entry[0], -entry[1], -entry[2])
        agent = self.agents.get(task.agent_id)
        if agent is None:
            return
        if entry is not None:
            agent.used_cpus = round(sum(e[1] for e in measured.values()), 3)
            agent.used_mem = sum(e[2] for e in measured.values())
        elif agent.tasks <= 1 and not measured:
            # Its last task ended before any report broke its use down: nothing runs there.
            agent.used_cpus = agent.used_mem = 0.0

    def _add_framework_usage(self, framework_id: str, cpus: float, mem_mb: float) -> None:
        fw = self.frameworks.get(framework_id)
        if fw is None:
            return
        fw.used_cpus = max(0.0, round(fw.used_cpus + cpus, 3))
        fw.used_mem = max(0.0, round(fw.used_mem + mem_mb, 3))
        fw.has_usage = True
        self._changes.frameworks.add(framework_id)

    def _tasks_holding(self, *, agent_id: str = "", framework_id: str = "") -> tuple[int, Scalars]:
        """How many non-terminal tasks an agent (or a framework) has, and what they hold: for
        one seen for the first time after its tasks (O(tasks), once per newcomer)."""
        n, held = 0, Scalars()
        for t in self.tasks.values():
            if t.active and (t.agent_id == agent_id if agent_id else t.framework_id == framework_id):
                n += 1
                held.add(Scalars(t.cpus, t.mem, t.disk))
        return n, held

    def _offers_holding(self, *, agent_id: str = "", framework_id: str = "") -> tuple[int, Scalars]:
        n, held = 0, Scalars()
        for o in self.offers.values():
            if o.agent_id == agent_id if agent_id else o.framework_id == framework_id:
                n += 1
                held.add(o.res)
        return n, held

    def _forget_old_completed(self) -> None:
        while len(self._completed) > self.max_completed_tasks:
            key = self._completed.popleft()
            task = self.tasks.get(key)
            if task is None or task.state not in TERMINAL_STATES:
                continue
            del self.tasks[key]
            self.state_counts[task.state] -= 1
            if not self.state_counts[task.state]:
                del self.state_counts[task.state]
            self._changes.tasks_removed.add(key)
            self._changes.tasks.discard(key)

    # --------------------------------------------------------------------------- snapshot

    def _on_subscribed(self, event: Event) -> None:
        now = self.clock()
        self.reset()
        self.subscribed = True
        sub = event.subscribed
        self.heartbeat_interval = sub.heartbeat_interval_seconds
        state = sub.get_state
        for a in state.get_agents.agents:
            self._put_agent(a, count=False)
        gf = state.get_frameworks
        for f in gf.frameworks:
            self._put_framework(f)
            if not self.streams_extensions:
                continue  # nothing would say how they end: they would go stale on screen
            for offer in f.offers:
                self._offer_sent(offer, now, log=False)
        for f in gf.completed_frameworks:
            self._put_framework(f).completed = True
        gt = state.get_tasks
        for group in (gt.pending_tasks, gt.tasks, gt.unreachable_tasks, gt.orphan_tasks,
                      gt.completed_tasks):
            for t in group:
                self._put_task(t, now, from_snapshot=True)
        # Counts and allocations come from the snapshot's own tasks (and offers, booked as
        # they were loaded above), as every later event books them: one way, so they agree.
        for task in self.tasks.values():
            if not task.active:
                continue
            res = Scalars(task.cpus, task.mem, task.disk)
            agent = self.agents.get(task.agent_id)
            if agent is not None:
                agent.tasks += 1
                agent.allocated.add(res)
            fw = self.frameworks.get(task.framework_id)
            if fw is not None:
                fw.tasks += 1
                fw.allocated.add(res)
        if state.HasField("allocator") and self.streams_extensions:
            self._put_allocator(state.allocator)
        if state.HasField("sorter") and self.streams_extensions:
            self._put_sorter(state.sorter, now)
        self._changes.reset = True
        self._changes.totals = True
        self._log(
            now, "SUBSCRIBED",
            f"snapshot: {len(self.agents)} agents, {len(self.frameworks)} frameworks, "
            f"{len(self.tasks)} tasks, {len(self.offers)} offers",
        )

    # ----------------------------------------------------------------------------- agents

    def _put_agent(self, a: master_pb2.Response.GetAgents.Agent, count: bool) -> AgentView:
        info = a.agent_info
        aid = info.id.value
        agent = self.agents.get(aid)
        if agent is None:
            agent = self.agents[aid] = AgentView(aid)
            if count:
                # Tasks (and offers) already known on this agent (a re-registration).
                agent.tasks, agent.allocated = self._tasks_holding(agent_id=aid)
                _, agent.offered = self._offers_holding(agent_id=aid)
        agent.hostname = info.hostname or agent.hostname
        if info.HasField("port"):
            agent.port = info.port
        agent.attributes = _attributes_text(info.attributes)
        total_res = a.total_resources if len(a.total_resources) else info.resources
        agent.total = Scalars.of(total_res)
        try:
            agent.resources_text = str(Resources.from_proto(total_res))
        except ValueError:
            agent.resources_text = ""
        # `allocated_resources` is not read: the allocation is booked from the tasks
        # themselves (the master's figure is older than the task events that follow it).
        agent.active = a.active if a.HasField("active") else True
        agent.version = a.version
        agent.pid = a.pid
        if a.registered_time.nanoseconds:
            agent.registered = a.registered_time.nanoseconds / 1e9
        if a.HasField("used") and self.streams_extensions:
            # Our master's extension: the sum of the agent's containers at its last report.
            agent.used_cpus = round(a.used.cpus_usage, 3)
            agent.used_mem = a.used.mem_rss_bytes / (1024 * 1024)
            agent.has_usage = True
        self._agent_changed(aid)
        return agent

    def _on_agent_added(self, event: Event) -> None:
        agent = self._put_agent(event.agent_added.agent, count=True)
        self._log(
            self.clock(), "AGENT_ADDED",
            f"{agent.hostname} ({short_id(agent.id)}) {agent.resources_text}",
        )

    def _on_agent_updated(self, event: Event) -> None:
        agent = self._put_agent(event.agent_updated.agent, count=True)
        self._log(
            self.clock(), "AGENT_UPDATED",
            f"{agent.hostname} {agent.state} allocated cpus:{agent.allocated.cpus:g} "
            f"mem:{agent.allocated.mem:g}",
        )

    def _on_agent_removed(self, event: Event) -> None:
        aid = event.agent_removed.agent_id.value
        agent = self.agents.pop(aid, None)
        for fid, cpus, mem_mb in self._measured.pop(aid, {}).values():
            self._add_framework_usage(fid, -cpus, -mem_mb)
        self._changes.agents.discard(aid)
        self._changes.agents_removed.add(aid)
        self._changes.totals = True
        self._totals = None
        name = agent.hostname if agent else short_id(aid)
        reason = event.agent_removed.reason
        self._log(self.clock(), "AGENT_REMOVED", f"{name}" + (f": {reason}" if reason else ""))

    def _put_measured(self, agent: AgentView, usage: mesos_pb2.ResourceUsage) -> None:
        """What this agent's own tasks use (the sum of its containers), to set against what
        they were allocated, per task and per framework too; no container, no use."""
        old = self._measured.pop(agent.id, {})
        for fid, cpus, mem_mb in old.values():
            self._add_framework_usage(fid, -cpus, -mem_mb)
        measured: dict[str, tuple[str, float, float]] = {}
        for ex in usage.executors:
            fid = ex.executor_info.framework_id.value
            cpus = ex.statistics.cpus_usage
            mem_mb = ex.statistics.mem_rss_bytes / (1024 * 1024)
            task = None
            if len(ex.tasks):
                key = task_key(fid, ex.tasks[0].id.value)
                task = self.tasks.get(key)
                if task is not None and not task.active:
                    continue  # it ended after the sample: it uses nothing now
            else:
                key = f"{fid}\t#{ex.executor_info.executor_id.value}"
            if key in measured:
                _, c0, m0 = measured[key]
                cpus, mem_mb = cpus + c0, mem_mb + m0
            measured[key] = (fid, cpus, mem_mb)
            if task is not None:
                task.used_cpus, task.used_mem = round(cpus, 3), mem_mb
                self._changes.tasks.add(key)
        for key in old.keys() - measured.keys():
            task = self.tasks.get(key)
            if task is not None and (task.used_cpus or task.used_mem):
                task.used_cpus = task.used_mem = 0.0
                self._changes.tasks.add(key)
        for fid, cpus, mem_mb in measured.values():
            self._add_framework_usage(fid, cpus, mem_mb)
        self._measured[agent.id] = measured
        agent.used_cpus = round(sum(e[1] for e in measured.values()), 3)
        agent.used_mem = sum(e[2] for e in measured.values())
        agent.has_usage = True

    def _on_agent_usage(self, event: Event) -> None:
        u = event.agent_usage
        agent = self.agents.get(u.agent_id.value)
        if agent is None:
            return
        if len(u.total):
            agent.total = Scalars.of(u.total)
        # `u.allocated` is not read: the allocation is booked from the tasks (see _set_counts).
        if u.HasField("usage"):
            self._put_measured(agent, u.usage)
        if u.HasField("used"):
            # The whole host: with several agents on one machine each would count it all,
            # so it is kept apart and never shown as the agent's use.
            agent.host_cpus = round(u.used.cpus_usage, 3)
            agent.host_mem = u.used.mem_rss_bytes / (1024 * 1024)
        self._agent_changed(agent.id)
        self._log(
            self.clock(), "AGENT_USAGE",
            f"{agent.hostname} cpus {agent.used_cpus:.2f}/{agent.allocated.cpus:g} used/alloc, "
            f"mem {agent.used_mem:.0f}/{agent.allocated.mem:g} MB",
        )

    # ------------------------------------------------------------------------- frameworks

    def _put_framework(self, f: master_pb2.Response.GetFrameworks.Framework) -> FrameworkView:
        info = f.framework_info
        fid = info.id.value
        fw = self.frameworks.get(fid)
        if fw is None:
            fw = self.frameworks[fid] = FrameworkView(fid)
            # Tasks and offers seen before the framework (a failover's re-registrations).
            fw.tasks, fw.allocated = self._tasks_holding(framework_id=fid)
            fw.offers, fw.offered = self._offers_holding(framework_id=fid)
            for measured in self._measured.values():
                for efid, cpus, mem_mb in measured.values():
                    if efid == fid:
                        fw.used_cpus = round(fw.used_cpus + cpus, 3)
                        fw.used_mem = round(fw.used_mem + mem_mb, 3)
                        fw.has_usage = True
        fw.name = info.name
        fw.role = info.roles[0] if len(info.roles) else info.role
        fw.principal = info.principal
        fw.user = info.user
        fw.hostname = info.hostname
        fw.failover_timeout = info.failover_timeout
        fw.active = f.active if f.HasField("active") else True
        fw.connected = f.connected if f.HasField("connected") else True
        fw.recovered = f.recovered
        fw.suppressed = f.suppressed
        if f.HasField("dominant_share"):
            fw.dominant_share = f.dominant_share
        # `allocated_resources` / `offered_resources` are not read: both are booked from the
        # task and offer events (and the snapshot's tasks and offers), as they happen.
        if f.registered_time.nanoseconds:
            fw.registered = f.registered_time.nanoseconds / 1e9
        self._changes.frameworks.add(fid)
        return fw

    def _on_framework_added(self, event: Event) -> None:
        fw = self._put_framework(event.framework_added.framework)
        self._log(
            self.clock(), "FRAMEWORK_ADDED",
            f"{fw.name} ({short_id(fw.id)}) role {fw.role} principal {fw.principal or '-'}",
        )

    def _on_framework_updated(self, event: Event) -> None:
        fw = self._put_framework(event.framework_updated.framework)
        self._log(self.clock(), "FRAMEWORK_UPDATED", f"{fw.name} ({short_id(fw.id)}) {fw.state}")

    def _on_framework_removed(self, event: Event) -> None:
        info = event.framework_removed.framework_info
        fid = info.id.value
        fw = self.frameworks.get(fid)
        if fw is not None:
            fw.completed = True
            fw.connected = False
            fw.active = False
            fw.dominant_share = 0.0
            self._changes.frameworks.add(fid)
        self._log(
            self.clock(), "FRAMEWORK_REMOVED",
            f"{info.name or (fw.name if fw else '')} ({short_id(fid)})",
        )

    # ------------------------------------------------------------------------------ tasks

    def _put_task(self, t: mesos_pb2.Task, now: float, from_snapshot: bool) -> TaskView:
        fid = t.framework_id.value
        key = task_key(fid, t.task_id.value)
        task = self.tasks.get(key)
        old_state = None
        if task is None:
            res = Scalars.of(t.resources)
            task = TaskView(
                key, t.task_id.value, name=t.name, framework_id=fid,
                agent_id=t.agent_id.value, executor_id=t.executor_id.value,
                cpus=res.cpus, mem=res.mem, disk=res.disk, user=t.user, started=now,
            )
            self.tasks[key] = task
        else:
            old_state = task.state
        task.command = (
            _command_line(t) or _label(t, COMMAND_LABEL) or self._commands.get(key, task.command)
        )
        task.state = t.state
        task.updated = now
        if len(t.statuses):
            last = t.statuses[-1]
            task.message = last.message
            if last.HasField("reason"):
                task.reason = _reason(last.reason)
            if last.container_status.container_id.value:
                task.container_id = last.container_status.container_id.value
            first_ts = t.statuses[0].timestamp
            if first_ts:
                task.started = first_ts
            task.history = [(s.timestamp, s.state) for s in t.statuses][-20:]
            if last.timestamp:
                task.updated = last.timestamp
        if from_snapshot:
            # Active counts and allocations are settled once the whole snapshot is in.
            if old_state is not None:
                self.state_counts[old_state] -= 1
            self.state_counts[task.state] += 1
            if task.state in TERMINAL_STATES:
                self._completed.append(key)
        else:
            self._set_counts(task, old_state)
            if task.state in TERMINAL_STATES:
                self._completed.append(key)
        self._changes.tasks.add(key)
        return task

    def _on_task_added(self, event: Event) -> None:
        now = self.clock()
        task = self._put_task(event.task_added.task, now, from_snapshot=False)
        self._log(
            now, "TASK_ADDED",
            f"{task.id} ({task.name}) of {self.framework_name(task.framework_id)} on "
            f"{self.agent_hostname(task.agent_id)} {task.state_name}",
        )
        self._forget_old_completed()

    def _on_task_updated(self, event: Event) -> None:
        now = self.clock()
        u = event.task_updated
        status = u.status
        fid = u.framework_id.value
        key = task_key(fid, status.task_id.value)
        task = self.tasks.get(key)
        if task is None:
            task = TaskView(
                key, status.task_id.value, framework_id=fid, agent_id=status.agent_id.value,
                executor_id=status.executor_id.value, started=now,
                command=self._commands.get(key, ""),
            )
            self.tasks[key] = task
            old_state: int | None = None
        else:
            old_state = task.state
        new_state = u.state if u.HasField("state") else status.state
        task.state = new_state
        task.updated = status.timestamp or now
        if status.message:
            task.message = status.message
        task.reason = _reason(status.reason) if status.HasField("reason") else ""
        if status.agent_id.value and not task.agent_id:
            task.agent_id = status.agent_id.value
        if status.container_status.container_id.value:
            task.container_id = status.container_status.container_id.value
        task.history.append((task.updated, new_state))
        if len(task.history) > 20:
            del task.history[0]
        if old_state != new_state:
            self._set_counts(task, old_state)
            if new_state in TERMINAL_STATES and old_state not in TERMINAL_STATES:
                self._completed.append(key)
        self._changes.tasks.add(key)
        text = f"{task.id} {task.state_name}"
        if task.reason:
            text += f" ({task.reason})"
        if status.message:
            text += f": {status.message}"
        self._log(now, "TASK_UPDATED", text)
        self._forget_old_completed()

    # ----------------------------------------------------------------------------- offers

    def _offer_sent(self, offer: mesos_pb2.Offer, now: float, log: bool = True) -> OfferRecord:
        oid = offer.id.value
        res = Scalars.of(offer.resources)
        try:
            text = str(Resources.from_proto(offer.resources))
        except ValueError:
            text = f"cpus:{res.cpus:g};mem:{res.mem:g};disk:{res.disk:g}"
        agent_id = offer.agent_id.value
        cycle = self.allocator.cycles + 1
        rec = OfferRecord(
            oid, offer.framework_id.value, agent_id,
            offer.hostname or self.agent_hostname(agent_id), res, text, now, cycle=cycle,
        )
        old = self.offers.get(oid)
        if old is not None:
            self._offer_ended(old, now, "rescinded", "replaced")
        self.offers[oid] = rec
        self.timeline.append(rec)
        agent = self.agents.get(agent_id)
        if agent is not None:
            agent.offered.add(res)
            self._agent_changed(agent_id)
        fw = self.frameworks.get(rec.framework_id)
        if fw is not None:
            fw.offers += 1
            fw.offered.add(res)
            self._changes.frameworks.add(fw.id)
        self._changes.offers = True
        if log:
            self._log(
                now, "OFFER_SENT",
                f"{short_id(oid)} to {self.framework_name(rec.framework_id)}: "
                f"{rec.hostname} {text}",
            )
        return rec

    def _offer_ended(
        self, rec: OfferRecord, now: float, outcome: str, detail: str,
        task_ids: tuple[str, ...] = (),
    ) -> None:
        outstanding = self.offers.pop(rec.id, None) is rec
        rec.ended = now
        rec.outcome = outcome
        rec.detail = detail
        rec.task_ids = task_ids
        self._changes.offers = True
        if not outstanding:
            return  # never seen sent: it holds nothing here
        agent = self.agents.get(rec.agent_id)
        if agent is not None:
            agent.offered.sub(rec.res)
            self._agent_changed(agent.id)
        fw = self.frameworks.get(rec.framework_id)
        if fw is not None:
            fw.offers = max(0, fw.offers - 1)
            fw.offered.sub(rec.res)
            self._changes.frameworks.add(fw.id)

    def _ended_record(
        self, offer_id: str, framework_id: str, agent_id: str, now: float
    ) -> OfferRecord:
        rec = self.offers.get(offer_id)
        if rec is None:
            # We never saw it sent (subscribed mid-flight): keep a record all the same.
            rec = OfferRecord(
                offer_id, framework_id, agent_id, self.agent_hostname(agent_id), Scalars(),
                "", now,
            )
            self.timeline.append(rec)
        return rec

    def _on_offer_sent(self, event: Event) -> None:
        self._offer_sent(event.offer_sent.offer, self.clock())

    def _on_offer_accepted(self, event: Event) -> None:
        now = self.clock()
        e = event.offer_accepted
        rec = self._ended_record(e.offer_id.value, e.framework_id.value, e.agent_id.value, now)
        task_ids = tuple(t.value for t in e.task_ids)
        used = Scalars.of(e.used)
        detail = f"{len(task_ids)} task{'s' if len(task_ids) != 1 else ''}"
        if task_ids:
            detail += ": " + ", ".join(task_ids[:3]) + ("…" if len(task_ids) > 3 else "")
        if len(e.used):
            detail += f" using cpus:{used.cpus:g};mem:{used.mem:g}"
        self._offer_ended(rec, now, "accepted", detail, task_ids)
        self._log(
            now, "OFFER_ACCEPTED",
            f"{short_id(rec.id)} by {self.framework_name(rec.framework_id)}: {detail}",
        )

    def _on_offer_declined(self, event: Event) -> None:
        now = self.clock()
        e = event.offer_declined
        rec = self._ended_record(e.offer_id.value, e.framework_id.value, e.agent_id.value, now)
        refuse = e.refuse_seconds if e.HasField("refuse_seconds") else 5.0
        detail = f"refuse {refuse:g}s"
        self._offer_ended(rec, now, "declined", detail)
        self._log(
            now, "OFFER_DECLINED",
            f"{short_id(rec.id)} by {self.framework_name(rec.framework_id)}: {detail}",
        )

    def _on_offer_rescinded(self, event: Event) -> None:
        now = self.clock()
        e = event.offer_rescinded
        rec = self._ended_record(e.offer_id.value, e.framework_id.value, e.agent_id.value, now)
        if e.reason == Event.OfferRescinded.TIMEOUT:
            self._offer_ended(rec, now, "timed out", "offer_timeout passed")
        else:
            self._offer_ended(rec, now, "rescinded", _rescind_reason(e.reason))
        self._log(
            now, "OFFER_RESCINDED",
            f"{short_id(rec.id)} from {self.framework_name(rec.framework_id)}: {rec.detail}",
        )

    # ------------------------------------------------------------------------- allocation

    def _on_allocation(self, event: Event) -> None:
        now = self.clock()
        a = event.allocation

        def rows(shares: Iterable[master_pb2.Event.Allocation.Share]) -> list[ShareRow]:
            return [
                ShareRow(
                    s.role, s.framework_id.value, s.name, s.weight or 1.0, s.dominant_share,
                    s.dominant_resource, s.offers,
                )
                for s in shares
            ]

        view = AllocationView(
            a.cycle, a.duration_ms, a.sorter, rows(a.roles), rows(a.frameworks),
            [o.value for o in a.offer_ids], now,
        )
        if a.explained:
            self.last_step = view
            view.explained = True
            view.before = _sorter_view(a.before, now) if a.HasField("before") else None
            view.after = _sorter_view(a.after, now) if a.HasField("after") else None
            view.decisions = [_decision_view(d) for d in a.decisions]
            view.decisions_omitted = a.decisions_omitted
            if a.HasField("after"):
                self._put_sorter(a.after, now)  # the table now, before the coalesced update
        self.allocation = view
        self.allocations.append(view)
        self.allocator.cycles = max(self.allocator.cycles, a.cycle)
        if a.sorter:
            self.allocator.sorter = a.sorter
        for oid in view.offer_ids:
            rec = self.offers.get(oid)
            if rec is not None:
                rec.cycle = a.cycle
        for row in view.frameworks:
            fw = self.frameworks.get(row.framework_id)
            if fw is not None and (
                fw.dominant_share != row.share or fw.dominant_resource != row.dominant_resource
            ):
                fw.dominant_share = row.share
                fw.dominant_resource = row.dominant_resource
                self._changes.frameworks.add(fw.id)
        self._changes.allocation = True
        got = sum(1 for r in view.frameworks if r.offers)
        self._log(
            now, "ALLOCATION",
            f"cycle {a.cycle} ({a.sorter or 'drf'}, {a.duration_ms:.2f} ms): "
            f"{len(view.offer_ids)} offers to {got} frameworks",
        )

    def _put_sorter(self, s: master_pb2.SorterState, now: float) -> None:
        view = _sorter_view(s, now)
        self.sorter = view
        self.allocator.cycles = max(self.allocator.cycles, view.cycle)
        if view.sorter:
            self.allocator.sorter = view.sorter
        for row in view.frameworks:
            fw = self.frameworks.get(row.framework_id)
            if fw is not None and (
                fw.dominant_share != row.weighted_share
                or fw.dominant_resource != row.dominant_resource
            ):
                fw.dominant_share = row.weighted_share
                fw.dominant_resource = row.dominant_resource
                self._changes.frameworks.add(fw.id)
        self._changes.sorter = True

    def _on_sorter_updated(self, event: Event) -> None:
        self._put_sorter(event.sorter_updated, self.clock())

    def _sample_shares(self) -> None:
        """One point of every framework's dominant share (a framework gone from the table
        loses its history: the chart shows who is in the allocator now)."""
        view = self.sorter
        history = self.share_history
        if view is None:
            history.clear()
            return
        present = set()
        for row in view.frameworks:
            fid = row.framework_id
            present.add(fid)
            points = history.get(fid)
            if points is None:
                points = history[fid] = deque(maxlen=self.share_history_length)
            points.append(row.dominant_share)
        for fid in [f for f in history if f not in present]:
            del history[fid]

    def _put_allocator(self, s: master_pb2.AllocatorState) -> None:
        self.allocator.paused = s.paused
        if s.sorter:
            self.allocator.sorter = s.sorter
        if s.HasField("interval_seconds"):
            self.allocator.interval = s.interval_seconds
        self.allocator.cycles = max(self.allocator.cycles, s.cycles)
        self._changes.allocator = True

    def _on_allocator_updated(self, event: Event) -> None:
        self._put_allocator(event.allocator_updated)
        self._log(
            self.clock(), "ALLOCATOR_UPDATED",
            "paused" if self.allocator.paused else "running",
        )

    def _on_heartbeat(self, event: Event) -> None:
        self._log(self.clock(), "HEARTBEAT", "")


def _sorter_client(c: master_pb2.SorterState.Client) -> SorterClient:
    return SorterClient(
        role=c.role,
        framework_id=c.framework_id.value,
        name=c.name,
        weight=c.weight or 1.0,
        allocated=Scalars.of(c.allocated),
        offered=Scalars.of(c.offered),
        shares={s.resource: s.share for s in c.shares},
        dominant_resource=c.dominant_resource,
        dominant_share=c.dominant_share,
        weighted_share=c.weighted_share,
        active=c.active if c.HasField("active") else True,
        suppressed=c.suppressed,
    )


def _sorter_view(s: master_pb2.SorterState, now: float) -> SorterView:
    return SorterView(
        cycle=s.cycle,
        at=s.time or now,
        sorter=s.sorter,
        total=Scalars.of(s.total),
        roles=[_sorter_client(c) for c in s.roles],
        frameworks=[_sorter_client(c) for c in s.frameworks],
    )


_SKIP_REASON = {
    Event.Allocation.Skip.INACTIVE: "inactive",
    Event.Allocation.Skip.SUPPRESSED: "suppressed",
    Event.Allocation.Skip.FILTERED: "filtered",
}
_AGENT_REASON = {
    Event.Allocation.AgentDecision.WALKED: "",
    Event.Allocation.AgentDecision.AGENT_INACTIVE: "agent inactive",
    Event.Allocation.AgentDecision.NOTHING_FREE: "nothing free",
    Event.Allocation.AgentDecision.BELOW_MIN_ALLOCATABLE: "below min allocatable",
}


def _decision_view(d: master_pb2.Event.Allocation.AgentDecision) -> AgentDecisionView:
    skipped = []
    for k in d.skipped:
        refused = Scalars.of(k.refused) if len(k.refused) else None
        skipped.append(SkipView(
            k.framework_id.value, k.name, _SKIP_REASON.get(k.reason, "unknown"), refused,
            str(Resources.from_proto(k.refused)) if len(k.refused) else "", k.until,
        ))
    return AgentDecisionView(
        agent_id=d.agent_id.value,
        hostname=d.hostname,
        free=Scalars.of(d.free),
        free_text=str(Resources.from_proto(d.free)),
        framework_id=d.framework_id.value,
        name=d.name,
        offer_id=d.offer_id.value,
        skipped=skipped,
        skipped_omitted=d.skipped_omitted,
        reason=_AGENT_REASON.get(d.reason, "unknown"),
    )


def _label(task: mesos_pb2.Task, key: str) -> str:
    for label in task.labels.labels:
        if label.key == key:
            return label.value
    return ""


def _kind(event_type: int) -> str:
    try:
        return Event.Type.Name(event_type)
    except ValueError:
        return f"EVENT_{event_type}"


def _reason(reason: int) -> str:
    try:
        return mesos_pb2.TaskStatus.Reason.Name(reason).removeprefix("REASON_").lower()
    except ValueError:
        return str(reason)


def _command_line(t: mesos_pb2.Task) -> str:
    """What the task runs, as the master reports it (`Task.command`, our extension)."""
    if not t.HasField("command"):
        return ""
    c = t.command
    if c.shell or not c.arguments:
        return c.value
    return " ".join(c.arguments)
