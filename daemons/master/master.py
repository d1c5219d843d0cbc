"""The master: one asyncio actor that owns the cluster's state and runs the offer cycle.

Everything that changes state happens here, on one event loop, with no locks (a libprocess
actor in asyncio). The gRPC servicers in `scheduler_api`, `operator_api` and `agent_link` only
translate the wire into calls on `Master` and carry its outbound messages back.

The offer cycle (DESIGN.md section 1):
  agents register -> the allocator (sorter + allocator, pure code) decides who is offered which
  agent's free resources, every --allocation_interval and right after resources are freed ->
  OFFERS -> the framework ACCEPTs (LAUNCH) or DECLINEs (with a filter) -> tasks go to the agent
  -> status updates flow back, are forwarded to the framework and acknowledged.
Every step is also published on the operator event stream for the terminal UI.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from daemons.common.ids import IdMaker, new_uuid
from daemons.common.resources import ResourceError, Resources
from daemons.common.states import is_terminal, state_name
from daemons.master.allocator.hierarchical import (
    AGENT_BELOW_MIN,
    AGENT_INACTIVE,
    AGENT_NOTHING_FREE,
    SKIP_FILTERED,
    SKIP_INACTIVE,
    SKIP_SUPPRESSED,
    Allocation,
    ClientState,
    CycleTrace,
    HierarchicalAllocator,
    SorterState,
)
from daemons.master.events import EventBus
from daemons.master.executors import MasterExecutors
from daemons.master.pings import PingWheel
from daemons.master.registry import Registry
from daemons.master.state import (
    MAX_COMPLETED_FRAMEWORKS,
    Agent,
    Framework,
    Offer,
    Task,
    framework_role,
)
from daemons.proto import agent_pb2, master_pb2, mesos_pb2, scheduler_pb2

log = logging.getLogger("mesos.master")

VERSION = "0.1.0"
Reason = mesos_pb2.TaskStatus
SchedEvent = scheduler_pb2.Event
OpEvent = master_pb2.Event
RescindReason = master_pb2.Event.OfferRescinded

# Mesos caps refuse_seconds at a year.
MAX_REFUSE_SECONDS = 365 * 24 * 3600.0
# What may wait unread for one client (a framework's event stream, an agent link, an operator
# subscriber) before the master gives up on it: a client that does not read must not grow the
# master without bound (--max_client_queue_bytes).
MAX_CLIENT_QUEUE_BYTES = 16 * 1024 * 1024
# An ACCEPT or RECONCILE is worked through this many tasks per turn of the event loop.
ACCEPT_SLICE = 500
# SORTER_UPDATED is coalesced: at most one per this many seconds (and one per loop turn).
SORTER_EVENT_INTERVAL = 0.2

_SKIP_REASONS = {
    SKIP_INACTIVE: OpEvent.Allocation.Skip.INACTIVE,
    SKIP_SUPPRESSED: OpEvent.Allocation.Skip.SUPPRESSED,
    SKIP_FILTERED: OpEvent.Allocation.Skip.FILTERED,
}
_AGENT_REASONS = {
    "": OpEvent.Allocation.AgentDecision.WALKED,
    AGENT_INACTIVE: OpEvent.Allocation.AgentDecision.AGENT_INACTIVE,
    AGENT_NOTHING_FREE: OpEvent.Allocation.AgentDecision.NOTHING_FREE,
    AGENT_BELOW_MIN: OpEvent.Allocation.AgentDecision.BELOW_MIN_ALLOCATABLE,
}


class CallError(Exception):
    """A call the master refuses; `code` names the gRPC status the servicer answers with, and
    `http_status` the HTTP status where it is not the one `code` implies (see master/http.py)."""

    def __init__(self, code: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass(slots=True)
class MasterConfig:
    ip: str = "127.0.0.1"
    port: int = 5050
    hostname: str = ""
    work_dir: str = ""
    allocation_interval: float = 1.0
    offer_timeout: float | None = None
    agent_ping_timeout: float = 15.0
    max_agent_ping_timeouts: int = 5
    heartbeat_interval: float = 15.0
    role_sorter: str = "drf"
    framework_sorter: str = "drf"
    weights: dict[str, float] = field(default_factory=dict)
    min_allocatable: list[Resources] | None = None
    flags: dict[str, str] = field(default_factory=dict)
    agent_reregister_timeout: float = 600.0
    max_client_queue_bytes: int = MAX_CLIENT_QUEUE_BYTES
    max_message_size: int = 8 * 1024 * 1024


class Outbox:
    """An outbound stream (to one framework, agent link or operator): a queue with a close,
    bounded in bytes. A client that lets more than `limit` bytes wait unread is cut off: the
    backlog is dropped and the stream ends with `error` saying why (read it with `get`)."""

    __slots__ = ("queue", "closed", "error", "peer", "limit", "pending_bytes", "_sizes")

    CLOSE = object()

    def __init__(self, peer: str = "", limit: int = MAX_CLIENT_QUEUE_BYTES) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self.closed = False
        self.error: str | None = None
        self.peer = peer
        self.limit = limit
        self.pending_bytes = 0
        self._sizes: deque[int] = deque()

    def send(self, message: object) -> None:
        if self.closed:
            return
        size = message.ByteSize() if hasattr(message, "ByteSize") else 0  # type: ignore[attr-defined]
        if self.pending_bytes + size > self.limit:
            self.overflow()
            return
        self.pending_bytes += size
        self._sizes.append(size)
        self.queue.put_nowait(message)

    async def get(self) -> object:
        """The next message, or CLOSE."""
        item = await self.queue.get()
        if item is not Outbox.CLOSE and self._sizes:
            self.pending_bytes -= self._sizes.popleft()
        return item

    def overflow(self) -> None:
        """Drop the backlog of a client that does not read, and close its stream."""
        mib = self.limit / (1024 * 1024)
        log.warning(
            "Closing the stream to %s: more than %g MiB waited unread", self.peer or "a client", mib
        )
        while not self.queue.empty():
            self.queue.get_nowait()
        self._sizes.clear()
        self.pending_bytes = 0
        self.close(
            f"the master closed this stream: more than {mib:g} MiB of messages waited unread "
            "(read the stream faster, then subscribe again)"
        )

    def close(self, error: str | None = None) -> None:
        if not self.closed:
            self.closed = True
            self.error = error
            self.queue.put_nowait(Outbox.CLOSE)


def _accept_size(accept: scheduler_pb2.Call.Accept) -> int:
    return sum(len(op.launch.task_infos) for op in accept.operations)


def _ip_to_uint32(ip: str) -> int:
    try:
        return struct.unpack("<I", socket.inet_aton(ip))[0]
    except OSError:
        return 0


def _now() -> float:
    return time.time()


def containers_usage(report: agent_pb2.UsageReport) -> mesos_pb2.ResourceStatistics:
    """What an agent's own tasks use: the sum of its containers' statistics in its last
    report (not the host's figures, which every agent on one machine would share)."""
    out = mesos_pb2.ResourceStatistics(timestamp=report.host.timestamp)
    cpus = 0.0
    rss = processes = threads = 0
    for ex in report.usage.executors:
        st = ex.statistics
        cpus += st.cpus_usage
        rss += st.mem_rss_bytes
        processes += st.processes
        threads += st.threads
        out.timestamp = max(out.timestamp, st.timestamp)
    out.cpus_usage = round(cpus, 6)
    out.mem_rss_bytes = rss
    out.processes = processes
    out.threads = threads
    return out


def _time_info(seconds: float | None) -> mesos_pb2.TimeInfo | None:
    if seconds is None:
        return None
    return mesos_pb2.TimeInfo(nanoseconds=int(seconds * 1e9))


class Master(MasterExecutors):
    def __init__(self, config: MasterConfig, leading: bool = True) -> None:
        self.config = config
        # Process-wide: kept across leadership terms so ids never repeat.
        self.ids = IdMaker()
        self.start_time = _now()
        self.master_info = self._make_master_info()
        self.events = EventBus()
        self.leader_address = f"{config.ip}:{config.port}" if leading else ""
        self.registry: Registry | None = None
        self.leading = False
        self.leading_event = asyncio.Event()  # set while `leading`, for callers to await
        # With ZooKeeper: re-read who leads now (main._contend sets it).
        self.refresh_leader: Callable[[], Awaitable[None]] | None = None
        self.elected_time: float | None = None
        self.term = 0  # leadership terms of this process, counted
        self._tasks: list[asyncio.Task[None]] = []
        self._reset_state()
        self._want_leading = leading

    def _reset_state(self) -> None:
        """Soft state: empty at the start of every leadership term, rebuilt from agents and
        frameworks as they re-register."""
        config = self.config
        self.allocator = HierarchicalAllocator(
            role_sorter=config.role_sorter,
            framework_sorter=config.framework_sorter,
            weights=dict(config.weights),
            min_allocatable=config.min_allocatable,
        )
        self.allocator.on_change = self._sorter_touched
        self._sorter_flush: asyncio.Handle | None = None
        self._sorter_sent_at = 0.0
        self.agents: dict[str, Agent] = {}
        self.frameworks: dict[str, Framework] = {}
        self.completed_frameworks: list[Framework] = []
        self.removed_frameworks: set[str] = set()
        self.offers: dict[str, Offer] = {}
        self.unreachable_agents: dict[str, float] = {}
        # Unreachable agents whose tasks frameworks that are not PARTITION_AWARE were told
        # TASK_LOST (by a health-check removal or a reconciliation answer; kept in the
        # registry): when one comes back, those tasks are killed, never adopted again.
        self.lost_agents: dict[str, float] = {}
        # Agents removed by health checks whose removal waits for the registry write.
        self.removing_agents: dict[str, Agent] = {}
        self.expected_agents: dict[str, dict[str, object]] = {}
        # What the registry lists as admitted (live agents and those expected back), kept
        # entry by entry so that saving the registry never rebuilds it from every agent.
        self.registered: dict[str, dict[str, object]] = {}
        # Registered agents by the address they serve on (Mesos's agent pid), to recognise
        # an agent that registers again because our answer was late (see `agent_id_for`).
        self.agent_by_address: dict[str, str] = {}
        self.pings = PingWheel(config.agent_ping_timeout)
        # While the master's own loop is behind (it woke late for a ping tick), a missing pong
        # may be sitting unread in its own queue: misses are not counted until then.
        self._behind_until = 0.0
        self.allocation_paused = False
        self.allocation_cycles = 0
        self.last_allocation_ms = 0.0
        self._pending_agents: set[str] | None = None
        self._pending_all = False
        self._reregister_timer: asyncio.TimerHandle | None = None
        self._registry_waits: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------------ lifecycle

    def _make_master_info(self) -> mesos_pb2.MasterInfo:
        c = self.config
        hostname = c.hostname or c.ip
        info = mesos_pb2.MasterInfo(
            id=self.ids.master_id,
            ip=_ip_to_uint32(c.ip),
            port=c.port,
            pid=f"master@{c.ip}:{c.port}",
            hostname=hostname,
            version=VERSION,
        )
        info.address.ip = c.ip
        info.address.port = c.port
        info.address.hostname = hostname
        return info

    @property
    def address(self) -> str:
        return f"{self.config.ip}:{self.config.port}"

    def start(self) -> None:
        """Start serving: as the leader (standalone) or as a standby waiting for election."""
        if self._want_leading:
            self.become_leader()

    def become_leader(self, registry: dict[str, object] | None = None) -> None:
        """A new leadership term: fresh soft state, loops running, and (from the registry
        kept in ZooKeeper) the agents to expect back within --agent_reregister_timeout."""
        if self.leading:
            return
        loop = asyncio.get_running_loop()
        self._reset_state()
        self.term += 1
        self.leading = True
        self.leading_event.set()
        self.elected_time = _now()
        self.leader_address = self.address
        self._tasks = [
            loop.create_task(self._allocation_loop(), name="allocation"),
            loop.create_task(self._ping_loop(), name="agent-pings"),
            loop.create_task(self._heartbeat_loop(), name="heartbeats"),
        ]
        registry = registry or {}
        self.expected_agents = dict(registry.get("agents", {}))  # type: ignore[arg-type]
        self.registered = dict(self.expected_agents)
        self.unreachable_agents = {
            k: float(v) for k, v in dict(registry.get("unreachable", {})).items()  # type: ignore[arg-type]
        }
        self.lost_agents = {
            k: float(v) for k, v in dict(registry.get("lost", {})).items()  # type: ignore[arg-type]
            if k in self.unreachable_agents
        }
        if self.expected_agents:
            log.info(
                "Elected; expecting %d agents to re-register within %.1fs",
                len(self.expected_agents), self.config.agent_reregister_timeout,
            )
            self._reregister_timer = loop.call_later(
                self.config.agent_reregister_timeout, self._reregister_timeout
            )
        else:
            log.info("Leading (elected at %.3f)", self.elected_time)

    def _reregister_timeout(self) -> None:
        """Agents of the registry that did not come back are unreachable."""
        self._reregister_timer = None
        missing = [a for a in self.expected_agents if a not in self.agents]
        now = _now()
        for agent_id in missing:
            self.unreachable_agents[agent_id] = now
            del self.expected_agents[agent_id]
            self.registered.pop(agent_id, None)
            log.warning(
                "Agent %s did not re-register within %.1fs: marked unreachable",
                agent_id, self.config.agent_reregister_timeout,
            )
            if self.events.active:
                ev = OpEvent(type=OpEvent.AGENT_REMOVED)
                ev.agent_removed.agent_id.value = agent_id
                ev.agent_removed.reason = "did not re-register after a master failover"
                self.events.publish(ev)
        if missing:
            self._save_registry()

    def stop_leading(self, why: str) -> None:
        """Leadership lost (the ZooKeeper session ended): stop at once, drop every stream so
        agents and frameworks go to the new leader, and forget the soft state."""
        if not self.leading:
            # Elected, but the registry was still being read: the election lapsed first.
            log.warning("No longer leading (elected, registry not yet read): %s", why)
            return
        log.warning("No longer leading: %s", why)
        self.leading = False
        self.leading_event.clear()
        if self.leader_address == self.address:
            self.leader_address = ""  # until ZooKeeper names the next leader
        self.elected_time = None
        if self.registry is not None:
            self.registry.discard()
        self._stop_term("this master is no longer the leader: " + why)

    def _stop_term(self, why: str) -> None:
        for t in self._tasks:
            t.cancel()
        if self._sorter_flush is not None:
            self._sorter_flush.cancel()
            self._sorter_flush = None
        self._tasks = []
        for wait in self._registry_waits:
            wait.cancel()
        if self._reregister_timer is not None:
            self._reregister_timer.cancel()
        for offer in self.offers.values():
            if offer.timer is not None:
                offer.timer.cancel()
        for fw in self.frameworks.values():
            if fw.failover_timer is not None:
                fw.failover_timer.cancel()
            if fw.stream is not None:
                fw.stream.close(why)
        for agent in self.agents.values():
            if agent.link is not None:
                agent.link.close(why)
        self.events.close_all(why)
        self._reset_state()

    async def stop(self) -> None:
        tasks = self._tasks
        self._stop_term("the master is shutting down")
        for t in tasks:
            try:
                await t
            except asyncio.CancelledError:
                pass

    def _save_registry(self) -> None:
        """Mark the registry changed: O(1); the content is taken once per (coalesced) write."""
        if self.registry is None or not self.leading:
            return
        self.registry.save(self._registry_content)

    def _registry_content(self) -> dict[str, object]:
        return {
            "agents": dict(self.registered),
            "unreachable": dict(self.unreachable_agents),
            "lost": dict(self.lost_agents),
        }

    def _after_registry_write(self, action: Callable[[], None]) -> None:
        """Run `action` once what was saved to the registry so far is in ZooKeeper (at once
        without a registry), in this leadership term only. Mesos's registrar does the same
        before telling anyone an agent is gone: a new leader must know what was told."""
        registry = self.registry
        if registry is None:
            action()
            return
        term = self.term

        async def wait() -> None:
            await registry.flushed(None)
            if self.leading and self.term == term:
                action()

        task = asyncio.get_running_loop().create_task(wait(), name="registry-write")
        self._registry_waits.add(task)
        task.add_done_callback(self._registry_waits.discard)

    def mono(self) -> float:
        return asyncio.get_running_loop().time()

    # --------------------------------------------------------------------- periodic loops

    async def _allocation_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.allocation_interval)
            if not self.allocation_paused:
                self.allocate()

    async def _ping_loop(self) -> None:
        """Mesos's agent health checks: a ping every --agent_ping_timeout; an agent that misses
        --max_agent_ping_timeouts in a row is removed (marked unreachable).

        The agents are spread over a timer wheel (`pings.py`): each tick visits one bucket, so
        each agent is still pinged once per period but never all at once. A tick that wakes
        more than half a period late means this loop, not the agents, fell behind (their
        pongs may be queued unread): misses are not counted for the next period."""
        loop = asyncio.get_running_loop()
        wheel = self.pings
        next_at = loop.time() + wheel.tick
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            now = loop.time()
            late = now - next_at
            next_at += wheel.tick
            if late > wheel.period / 2:
                if now >= self._behind_until:
                    log.warning(
                        "This master's event loop is %.1fs behind: not counting missed agent "
                        "pings for the next %.1fs", late, wheel.period,
                    )
                self._behind_until = now + wheel.period
                next_at = now + wheel.tick  # resynchronise rather than burst to catch up
            self._ping_tick(counting=now >= self._behind_until)

    def _ping_tick(self, counting: bool = True) -> None:
        """One tick of the wheel: ping the agents of the next bucket, counting a miss for each
        whose previous ping is unanswered (unless `counting` is off), removing those that
        missed too many. O(agents in the bucket); O(1) per agent."""
        for agent_id in self.pings.advance():
            agent = self.agents.get(agent_id)
            if agent is None:
                self.pings.discard(agent_id)
                continue
            if counting and (agent.awaiting_pong or agent.link is None):
                agent.missed_pings += 1
                if agent.missed_pings >= self.config.max_agent_ping_timeouts:
                    self.remove_agent(
                        agent.agent_id,
                        f"agent {agent.info.hostname}:{agent.info.port} missed "
                        f"{agent.missed_pings} pings",
                    )
                    continue
            if agent.link is not None:
                agent.ping_seq += 1
                agent.awaiting_pong = True
                agent.link.send(agent_pb2.MasterMessage(ping=agent_pb2.Ping(seq=agent.ping_seq)))

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_interval)
            beat = SchedEvent(type=SchedEvent.HEARTBEAT)
            for fw in self.frameworks.values():
                if fw.stream is not None:
                    fw.stream.send(beat)

    # ------------------------------------------------------------------------ allocation

    def request_allocation(self, agent_ids: Iterable[str] | None = None) -> None:
        """Run an allocation soon (at the next loop turn), coalescing requests: `agent_ids`
        limits it to those agents (resources just freed there); None means every agent."""
        if self.allocation_paused:
            return
        first = self._pending_agents is None and not self._pending_all
        if agent_ids is None:
            self._pending_all = True
        else:
            if self._pending_agents is None:
                self._pending_agents = set()
            self._pending_agents.update(agent_ids)
        if first:
            asyncio.get_running_loop().call_soon(self._run_pending_allocation)

    def _run_pending_allocation(self) -> None:
        agents = None if self._pending_all else self._pending_agents
        self._pending_all = False
        self._pending_agents = None
        if self.allocation_paused:
            return
        self.allocate(agents)

    def allocate(self, agent_ids: Iterable[str] | None = None, explain: bool = False) -> list[str]:
        """One allocation cycle; sends the offers it makes. Returns their ids.

        With `explain` (an operator's RUN_ALLOCATION: a teaching step), the ALLOCATION event
        also carries the DRF table before and after the cycle and, agent by agent, who was
        offered it and why the frameworks ahead were skipped.
        """
        start = time.perf_counter()
        trace = CycleTrace() if explain else None
        before = self.sorter_state_proto() if explain and self.events.active else None
        mono = self.mono()
        allocations = self.allocator.allocate(mono, agent_ids, trace)
        self.allocation_cycles += 1
        by_framework: dict[str, list[Offer]] = {}
        offer_of: dict[tuple[str, str], str] = {}
        now = _now()
        for a in allocations:
            offer = self._make_offer(a, now)
            if offer is not None:
                by_framework.setdefault(a.framework_id, []).append(offer)
                offer_of[(a.framework_id, a.agent_id)] = offer.offer_id
        offer_ids: list[str] = []
        for fid, offers in by_framework.items():
            fw = self.frameworks[fid]
            protos = [o.to_proto(self.agents.get(o.agent_id), fw.role) for o in offers]
            fw.stream.send(
                SchedEvent(type=SchedEvent.OFFERS, offers=SchedEvent.Offers(offers=protos))
            )
            for o, p in zip(offers, protos, strict=True):
                offer_ids.append(o.offer_id)
                if self.events.active:
                    self.events.publish(
                        OpEvent(type=OpEvent.OFFER_SENT, offer_sent=OpEvent.OfferSent(offer=p))
                    )
        self.last_allocation_ms = (time.perf_counter() - start) * 1000.0
        if self.events.active and (allocations or agent_ids is None or explain):
            event = self._allocation_event(by_framework, offer_ids)
            if trace is not None and before is not None:
                self._explain(event.allocation, trace, before, offer_of, now - mono)
            self.events.publish(event)
        return offer_ids

    def _explain(
        self, alloc: OpEvent.Allocation, trace: CycleTrace, before: master_pb2.SorterState,
        offer_of: dict[tuple[str, str], str], wall_offset: float,
    ) -> None:
        alloc.explained = True
        alloc.before.CopyFrom(before)
        alloc.after.CopyFrom(self.sorter_state_proto())
        alloc.decisions_omitted = trace.omitted
        for t in trace.agents:
            d = alloc.decisions.add(reason=_AGENT_REASONS.get(t.reason, 0))
            d.agent_id.value = t.agent_id
            agent = self.agents.get(t.agent_id)
            d.hostname = agent.info.hostname if agent is not None else ""
            d.free.extend(t.free.to_proto())
            if t.framework_id:
                d.framework_id.value = t.framework_id
                d.name = self._framework_name(t.framework_id)
                oid = offer_of.get((t.framework_id, t.agent_id))
                if oid:
                    d.offer_id.value = oid
            d.skipped_omitted = t.skipped_omitted
            for skip in t.skipped:
                k = d.skipped.add(
                    name=self._framework_name(skip.framework_id),
                    reason=_SKIP_REASONS.get(skip.reason, 0),
                )
                k.framework_id.value = skip.framework_id
                if skip.refused is not None:
                    k.refused.extend(skip.refused.to_proto())
                    k.until = skip.until + wall_offset

    def _framework_name(self, framework_id: str) -> str:
        fw = self.frameworks.get(framework_id)
        return fw.info.name if fw is not None else ""

    # ------------------------------------------------------------------- the DRF table

    def sorter_state_proto(self, state: SorterState | None = None) -> master_pb2.SorterState:
        """The allocator's DRF table now: every role and framework with what it holds (split
        into what its tasks use and what is offered to it), its share of every resource, and
        its dominant resource and share."""
        st = state if state is not None else self.allocator.sorter_state()
        out = master_pb2.SorterState(
            cycle=self.allocation_cycles, time=_now(), sorter=self.config.role_sorter
        )
        out.total.extend(Resources(st.total).to_proto())
        offered: dict[str, dict[str, float]] = {}
        role_offered: dict[str, dict[str, float]] = {}
        for c in st.frameworks:
            fw = self.frameworks.get(c.client)
            if fw is None or not fw.offers:
                continue
            mine = offered.setdefault(c.client, {})
            theirs = role_offered.setdefault(c.role, {})
            for oid in fw.offers:
                o = self.offers.get(oid)
                if o is None:
                    continue
                for name, value in o.resources.scalars.items():
                    mine[name] = mine.get(name, 0.0) + value
                    theirs[name] = theirs.get(name, 0.0) + value

        def fill(row: master_pb2.SorterState.Client, c: ClientState, off: dict[str, float]) -> None:
            row.role = c.role
            row.weight = c.weight
            used = {k: v - off.get(k, 0.0) for k, v in c.allocated.items()}
            row.allocated.extend(Resources(used).to_proto())
            if off:
                row.offered.extend(Resources(off).to_proto())
            for name in sorted(c.shares):
                row.shares.add(resource=name, share=c.shares[name])
            row.dominant_resource = c.dominant
            row.dominant_share = c.dominant_share
            row.weighted_share = c.share
            row.active = c.active
            row.suppressed = c.suppressed

        for c in st.roles:
            fill(out.roles.add(), c, role_offered.get(c.client, {}))
        for c in st.frameworks:
            row = out.frameworks.add()
            fill(row, c, offered.get(c.client, {}))
            row.framework_id.value = c.client
            row.name = self._framework_name(c.client)
        return out

    def _sorter_touched(self) -> None:
        """The DRF table may have changed: publish it soon, once per loop turn at most and no
        more often than every SORTER_EVENT_INTERVAL (an unwatched master does nothing)."""
        if self._sorter_flush is not None or not self.events.active:
            return
        loop = asyncio.get_running_loop()
        wait = self._sorter_sent_at + SORTER_EVENT_INTERVAL - loop.time()
        if wait > 0:
            self._sorter_flush = loop.call_later(wait, self._flush_sorter)
        else:
            self._sorter_flush = loop.call_soon(self._flush_sorter)

    def _flush_sorter(self) -> None:
        self._sorter_flush = None
        if not self.events.active or not self.leading:
            return
        self._sorter_sent_at = asyncio.get_running_loop().time()
        self.events.publish(
            OpEvent(type=OpEvent.SORTER_UPDATED, sorter_updated=self.sorter_state_proto())
        )

    def _make_offer(self, a: Allocation, now: float) -> Offer | None:
        fw = self.frameworks.get(a.framework_id)
        agent = self.agents.get(a.agent_id)
        if fw is None or fw.stream is None or agent is None:
            # Should not happen (the allocator only offers to active ones): give it back.
            self.allocator.recover(a.agent_id, a.framework_id, a.resources)
            return None
        offer = Offer(self.ids.offer(), fw.framework_id, agent.agent_id, a.resources, now)
        self.offers[offer.offer_id] = offer
        fw.offers.add(offer.offer_id)
        agent.offers.add(offer.offer_id)
        if self.config.offer_timeout:
            offer.timer = asyncio.get_running_loop().call_later(
                self.config.offer_timeout, self.rescind_offer, offer.offer_id, RescindReason.TIMEOUT
            )
        return offer

    def _allocation_event(
        self, by_framework: dict[str, list[Offer]], offer_ids: list[str]
    ) -> master_pb2.Event:
        alloc = OpEvent.Allocation(
            cycle=self.allocation_cycles,
            duration_ms=self.last_allocation_ms,
            sorter=self.config.role_sorter,
        )
        alloc.offer_ids.extend(mesos_pb2.OfferID(value=o) for o in offer_ids)
        for row in self.allocator.role_shares():
            alloc.roles.add(
                role=row.client, weight=row.weight, dominant_share=row.share,
                dominant_resource=row.dominant,
            )
        for row in self.allocator.framework_shares():
            fw = self.frameworks.get(row.client)
            share = alloc.frameworks.add(
                role=row.role, weight=row.weight, dominant_share=row.share,
                dominant_resource=row.dominant, offers=len(by_framework.get(row.client, ())),
                name=fw.info.name if fw else "",
            )
            share.framework_id.value = row.client
        return OpEvent(type=OpEvent.ALLOCATION, allocation=alloc)

    def remove_offer(self, offer_id: str) -> Offer | None:
        offer = self.offers.pop(offer_id, None)
        if offer is None:
            return None
        if offer.timer is not None:
            offer.timer.cancel()
        fw = self.frameworks.get(offer.framework_id)
        if fw is not None:
            fw.offers.discard(offer_id)
        agent = self.agents.get(offer.agent_id)
        if agent is not None:
            agent.offers.discard(offer_id)
        self._sorter_touched()  # offered becomes used (or free): the table's split changed
        return offer

    def rescind_offer(self, offer_id: str, reason: int) -> None:
        offer = self.remove_offer(offer_id)
        if offer is None:
            return
        self.allocator.recover(offer.agent_id, offer.framework_id, offer.resources)
        fw = self.frameworks.get(offer.framework_id)
        if fw is not None and fw.stream is not None:
            fw.stream.send(
                SchedEvent(
                    type=SchedEvent.RESCIND,
                    rescind=SchedEvent.Rescind(offer_id=mesos_pb2.OfferID(value=offer_id)),
                )
            )
        if self.events.active:
            ev = OpEvent(type=OpEvent.OFFER_RESCINDED)
            ev.offer_rescinded.offer_id.value = offer_id
            ev.offer_rescinded.framework_id.value = offer.framework_id
            ev.offer_rescinded.agent_id.value = offer.agent_id
            ev.offer_rescinded.reason = reason
            self.events.publish(ev)
        if reason == RescindReason.TIMEOUT:
            self.request_allocation([offer.agent_id])

    # ------------------------------------------------------------------------ frameworks

    def subscribe(
        self, call: scheduler_pb2.Call, stream: Outbox
    ) -> tuple[Framework, str]:
        """SUBSCRIBE: a new framework, or a known one (re)connecting with its id."""
        if not call.HasField("subscribe") or not call.subscribe.HasField("framework_info"):
            raise CallError("INVALID_ARGUMENT", "SUBSCRIBE needs subscribe.framework_info")
        info = mesos_pb2.FrameworkInfo()
        info.CopyFrom(call.subscribe.framework_info)
        if not info.name:
            raise CallError("INVALID_ARGUMENT", "framework_info.name is empty: name the framework")
        if info.failover_timeout < 0 or not math.isfinite(info.failover_timeout):
            raise CallError("INVALID_ARGUMENT", "framework_info.failover_timeout must be >= 0")
        if len(info.roles) > 1:
            raise CallError(
                "INVALID_ARGUMENT", "a framework may have only one role here; got "
                + ", ".join(info.roles)
            )
        requested_id = info.id.value or call.framework_id.value
        if call.framework_id.value and info.id.value and call.framework_id.value != info.id.value:
            raise CallError(
                "INVALID_ARGUMENT", "Call.framework_id and framework_info.id differ"
            )
        role = framework_role(info)
        now = _now()
        stream_id = new_uuid()
        if requested_id in self.removed_frameworks:
            raise CallError(
                "FAILED_PRECONDITION",
                f"framework {requested_id} has been removed: subscribe without an id to start anew",
            )
        fw = self.frameworks.get(requested_id) if requested_id else None
        if fw is not None:
            # Re-subscription or scheduler failover: the new stream replaces the old one.
            if fw.stream is not None and fw.stream is not stream:
                fw.stream.send(
                    SchedEvent(
                        type=SchedEvent.ERROR,
                        error=SchedEvent.Error(message="Framework failed over"),
                    )
                )
                fw.stream.close()
            if fw.failover_timer is not None:
                fw.failover_timer.cancel()
                fw.failover_timer = None
            if role != fw.role:
                raise CallError(
                    "INVALID_ARGUMENT",
                    f"framework {fw.framework_id} has role {fw.role!r}; changing it to {role!r} "
                    "is not supported",
                )
            info.id.value = fw.framework_id
            fw.info = info
            fw.stream = stream
            fw.stream_id = stream_id
            fw.reregistered_time = now
            fw.unregistered_time = None
            fw.recovered = False
            self.allocator.activate_framework(fw.framework_id)
            log.info("Framework %s (%s) re-subscribed", fw.framework_id, info.name)
            event_type = OpEvent.FRAMEWORK_UPDATED
        else:
            fid = requested_id or self.ids.framework()
            info.id.value = fid
            fw = Framework(fid, info, role, registered_time=now, stream=stream, stream_id=stream_id)
            if requested_id:
                fw.reregistered_time = now
            self.frameworks[fid] = fw
            self.allocator.add_framework(fid, role)
            log.info("Framework %s (%s) subscribed with role %s", fid, info.name, role)
            event_type = OpEvent.FRAMEWORK_ADDED
        stream.send(
            SchedEvent(
                type=SchedEvent.SUBSCRIBED,
                subscribed=SchedEvent.Subscribed(
                    framework_id=mesos_pb2.FrameworkID(value=fw.framework_id),
                    heartbeat_interval_seconds=self.config.heartbeat_interval,
                    master_info=self.master_info,
                ),
            )
        )
        self._publish_framework(fw, event_type)
        self.request_allocation()
        return fw, stream_id

    def framework_disconnected(self, fw: Framework, stream: Outbox) -> None:
        """The framework's event stream ended: keep its tasks for its failover_timeout."""
        if fw.stream is not stream or self.frameworks.get(fw.framework_id) is not fw:
            return  # an old stream of a framework that already re-subscribed or was removed
        fw.stream = None
        fw.unregistered_time = _now()
        self.allocator.deactivate_framework(fw.framework_id)
        for offer_id in list(fw.offers):
            self.rescind_offer(offer_id, RescindReason.FRAMEWORK_REMOVED)
        timeout = fw.info.failover_timeout
        log.info(
            "Framework %s (%s) disconnected; it has %.1fs to fail over",
            fw.framework_id, fw.info.name, timeout,
        )
        fw.failover_timer = asyncio.get_running_loop().call_later(
            timeout, self._failover_timeout, fw.framework_id
        )
        self._publish_framework(fw, OpEvent.FRAMEWORK_UPDATED)

    def _failover_timeout(self, framework_id: str) -> None:
        fw = self.frameworks.get(framework_id)
        if fw is not None and fw.stream is None:
            log.info("Framework %s did not fail over in time: removing it", framework_id)
            self.remove_framework(fw)

    def remove_framework(self, fw: Framework) -> None:
        """TEARDOWN or failover timeout: kill its tasks, rescind its offers, forget it."""
        if self.frameworks.get(fw.framework_id) is not fw:
            return
        if fw.failover_timer is not None:
            fw.failover_timer.cancel()
            fw.failover_timer = None
        for offer_id in list(fw.offers):
            self.rescind_offer(offer_id, RescindReason.FRAMEWORK_REMOVED)
        agents_told: set[str] = set()
        for task in list(fw.tasks.values()) + list(fw.unreachable_tasks.values()):
            agent = self.agents.get(task.agent_id)
            if agent is not None and agent.link is not None and agent.agent_id not in agents_told:
                agents_told.add(agent.agent_id)
                sf = agent_pb2.ShutdownFramework()
                sf.framework_id.value = fw.framework_id
                agent.link.send(agent_pb2.MasterMessage(shutdown_framework=sf))
            if not is_terminal(task.state):
                status = self._master_status(
                    task, mesos_pb2.TASK_KILLED, Reason.REASON_FRAMEWORK_REMOVED,
                    "Framework removed",
                )
                self._apply_status(task, status)
            self._forget_task(task)
        for ex in fw.executors.values():
            agent = self.agents.get(ex.agent_id)
            if agent is not None and agent.link is not None and agent.agent_id not in agents_told:
                agents_told.add(agent.agent_id)
                sf = agent_pb2.ShutdownFramework()
                sf.framework_id.value = fw.framework_id
                agent.link.send(agent_pb2.MasterMessage(shutdown_framework=sf))
        self._drop_framework_executors(fw)
        self.allocator.remove_framework(fw.framework_id)
        del self.frameworks[fw.framework_id]
        self.removed_frameworks.add(fw.framework_id)
        if fw.stream is not None:
            fw.stream.close()
            fw.stream = None
        fw.unregistered_time = _now()
        self.completed_frameworks.append(fw)
        del self.completed_frameworks[:-MAX_COMPLETED_FRAMEWORKS]
        if self.events.active:
            ev = OpEvent(type=OpEvent.FRAMEWORK_REMOVED)
            ev.framework_removed.framework_info.CopyFrom(fw.info)
            self.events.publish(ev)
        self.request_allocation()

    def _framework_for_call(self, call: scheduler_pb2.Call, stream_id: str) -> Framework:
        fid = call.framework_id.value
        if not fid:
            raise CallError("INVALID_ARGUMENT", "Call.framework_id is not set")
        fw = self.frameworks.get(fid)
        if fw is None:
            raise CallError("NOT_FOUND", f"framework {fid} is not subscribed")
        if fw.stream is None:
            raise CallError("FAILED_PRECONDITION", f"framework {fid} is disconnected: subscribe again")
        if stream_id != fw.stream_id:
            raise CallError(
                "FAILED_PRECONDITION",
                f"the mesos-stream-id does not match framework {fid}'s current subscription",
                http_status=400,  # Mesos answers 400 Bad Request to a stale stream id
            )
        return fw

    def handle_call(self, call: scheduler_pb2.Call, stream_id: str) -> None:
        """Every scheduler Call but SUBSCRIBE."""
        C = scheduler_pb2.Call
        if call.type == C.SUBSCRIBE:
            raise CallError("INVALID_ARGUMENT", "SUBSCRIBE goes through the Subscribe stream")
        fw = self._framework_for_call(call, stream_id)
        t = call.type
        if t == C.ACCEPT:
            self.accept(fw, call.accept)
        elif t == C.DECLINE:
            self.decline(fw, call.decline.offer_ids, call.decline.filters if call.decline.HasField("filters") else None)
        elif t == C.REVIVE:
            self.revive(fw)
        elif t == C.SUPPRESS:
            self.suppress(fw)
        elif t == C.KILL:
            if not call.kill.task_id.value:
                raise CallError("INVALID_ARGUMENT", "KILL needs kill.task_id")
            self.kill_task(fw, call.kill.task_id.value, call.kill.kill_policy if call.kill.HasField("kill_policy") else None)
        elif t == C.ACKNOWLEDGE:
            self.acknowledge(fw, call.acknowledge)
        elif t == C.RECONCILE:
            self.reconcile(fw, call.reconcile)
        elif t == C.TEARDOWN:
            self.remove_framework(fw)
        elif t == C.SHUTDOWN:
            self.shutdown_executor(fw, call.shutdown)
        elif t == C.MESSAGE:
            self.framework_message(fw, call.message)
        elif t == C.REQUEST:
            pass  # Mesos's hierarchical allocator ignores REQUEST too.
        else:
            raise CallError("INVALID_ARGUMENT", f"unknown call type {t}")

    async def handle_call_async(self, call: scheduler_pb2.Call, stream_id: str) -> None:
        """`handle_call` for the edges: a big ACCEPT or RECONCILE is worked through in
        slices, so that no call blocks the event loop for long."""
        C = scheduler_pb2.Call
        if call.type == C.ACCEPT and _accept_size(call.accept) > ACCEPT_SLICE:
            await self.accept_sliced(self._framework_for_call(call, stream_id), call.accept)
        elif call.type == C.RECONCILE and len(call.reconcile.tasks) > ACCEPT_SLICE:
            fw = self._framework_for_call(call, stream_id)
            for _ in self._reconcile_steps(fw, call.reconcile):
                await asyncio.sleep(0)
        else:
            self.handle_call(call, stream_id)

    # --------------------------------------------------------------------- offer answers

    def _filters_seconds(self, filters: mesos_pb2.Filters | None) -> float:
        value = (filters or mesos_pb2.Filters()).refuse_seconds
        if not math.isfinite(value) or value < 0:
            return mesos_pb2.Filters().refuse_seconds
        return min(value, MAX_REFUSE_SECONDS)

    def decline(
        self, fw: Framework, offer_ids: Iterable[mesos_pb2.OfferID], filters: mesos_pb2.Filters | None
    ) -> None:
        refuse = self._filters_seconds(filters)
        for oid in offer_ids:
            offer = self.offers.get(oid.value)
            if offer is None or offer.framework_id != fw.framework_id:
                log.debug("Ignoring DECLINE of unknown offer %s", oid.value)
                continue
            self.remove_offer(oid.value)
            self.allocator.recover(
                offer.agent_id, fw.framework_id, offer.resources, refuse, self.mono()
            )
            if self.events.active:
                ev = OpEvent(type=OpEvent.OFFER_DECLINED)
                ev.offer_declined.offer_id.value = offer.offer_id
                ev.offer_declined.framework_id.value = fw.framework_id
                ev.offer_declined.agent_id.value = offer.agent_id
                ev.offer_declined.refuse_seconds = refuse
                self.events.publish(ev)

    def accept(self, fw: Framework, accept: scheduler_pb2.Call.Accept) -> None:
        """ACCEPT, all at once (tests, and small calls)."""
        for _ in self._accept_steps(fw, accept):
            pass

    async def accept_sliced(self, fw: Framework, accept: scheduler_pb2.Call.Accept) -> None:
        """ACCEPT in slices of ACCEPT_SLICE tasks, letting the loop run between them: a big
        ACCEPT never blocks the master for long (its offers are consumed at once, so nothing
        else can use them meanwhile)."""
        for _ in self._accept_steps(fw, accept):
            await asyncio.sleep(0)

    def _accept_steps(self, fw: Framework, accept: scheduler_pb2.Call.Accept) -> Iterator[None]:
        Op = mesos_pb2.Offer.Operation
        for op in accept.operations:
            if op.type != Op.LAUNCH:
                raise CallError(
                    "INVALID_ARGUMENT",
                    f"operation {Op.Type.Name(op.type) if op.type in Op.Type.values() else op.type}"
                    " is not supported; only LAUNCH is",
                )
        task_infos = [t for op in accept.operations for t in op.launch.task_infos]
        refuse = self._filters_seconds(accept.filters if accept.HasField("filters") else None)
        if not accept.offer_ids:
            raise CallError("INVALID_ARGUMENT", "ACCEPT needs at least one offer id")

        # Validate the offers (Mesos's offer validation): each exists, belongs to the caller,
        # is used once, and all are on one agent. An offer named twice is counted once.
        problem = None
        offers: list[Offer] = []
        seen: set[str] = set()
        for oid in accept.offer_ids:
            if oid.value in seen:
                problem = f"offer {oid.value} appears twice"
                continue
            seen.add(oid.value)
            offer = self.offers.get(oid.value)
            if offer is None:
                problem = f"offer {oid.value} is no longer valid"
            elif offer.framework_id != fw.framework_id:
                problem = f"offer {oid.value} belongs to another framework"
            else:
                if offers and offer.agent_id != offers[0].agent_id:
                    problem = "offers of more than one agent: ACCEPT takes offers of a single agent"
                offers.append(offer)
        for offer in offers:
            self.remove_offer(offer.offer_id)
        if problem is not None:
            for offer in offers:
                self.allocator.recover(offer.agent_id, fw.framework_id, offer.resources)
            state = mesos_pb2.TASK_DROPPED if fw.partition_aware else mesos_pb2.TASK_LOST
            for i, info in enumerate(task_infos):
                self._send_master_status(
                    fw, info.task_id.value, "", state, Reason.REASON_INVALID_OFFERS,
                    f"Task launched with invalid offers: {problem}",
                )
                if i % ACCEPT_SLICE == ACCEPT_SLICE - 1:
                    yield
            if offers:
                self.request_allocation({o.agent_id for o in offers})
            return

        agent = self.agents[offers[0].agent_id]
        available = Resources()
        for offer in offers:
            available = available + offer.resources
        launched: list[Task] = []
        ids_in_call: set[str] = set()
        executors_in_call: dict[str, mesos_pb2.ExecutorInfo] = {}
        for i, info in enumerate(task_infos):
            if i and i % ACCEPT_SLICE == 0:
                yield
                if not self._accept_still_valid(fw, agent):
                    # The framework or the agent went while the call was being worked through.
                    gone = "the framework was removed" if self.frameworks.get(
                        fw.framework_id) is not fw else "the agent was removed"
                    state = mesos_pb2.TASK_DROPPED if fw.partition_aware else mesos_pb2.TASK_LOST
                    for rest in task_infos[i:]:
                        self._send_master_status(
                            fw, rest.task_id.value, agent.agent_id, state,
                            Reason.REASON_INVALID_OFFERS, f"Task not launched: {gone}",
                        )
                    available = Resources()
                    break
            if info.HasField("executor") and not info.executor.HasField("framework_id"):
                # Mesos fills it in: the field came later to the API, so it is optional.
                filled = mesos_pb2.TaskInfo()
                filled.CopyFrom(info)
                filled.executor.framework_id.value = fw.framework_id
                info = filled
            error = self._validate_task(fw, info, ids_in_call)
            if error is None and info.HasField("executor"):
                error = self._validate_executor(fw, agent, info.executor, executors_in_call)
            resources = Resources()
            executor_resources = Resources()
            if error is None:
                try:
                    resources = Resources.from_proto(info.resources)
                except ResourceError as e:
                    error = f"Task uses invalid resources: {e}"
            if error is None and not resources:
                error = "Task uses no resources"
            if error is None and info.HasField("executor"):
                executor_resources = self._executor_resources(
                    fw, agent, info.executor, executors_in_call
                )
            if error is None and not available.contains(resources + executor_resources):
                error = (
                    f"Task uses more resources {resources + executor_resources} than available "
                    f"{available}" if executor_resources else
                    f"Task uses more resources {resources} than available {available}"
                )
            if info.task_id.value:
                ids_in_call.add(info.task_id.value)
            if error is not None:
                self._send_master_status(
                    fw, info.task_id.value, agent.agent_id, mesos_pb2.TASK_ERROR,
                    Reason.REASON_TASK_INVALID, error,
                )
                continue
            available = available - resources - executor_resources
            if info.HasField("executor"):
                executors_in_call[info.executor.executor_id.value] = info.executor
            launched.append(self._launch(fw, agent, info, resources))

        if available:
            self.allocator.recover(agent.agent_id, fw.framework_id, available, refuse, self.mono())
        if self.events.active and self.agents.get(agent.agent_id) is agent:
            used = Resources()
            for t in launched:
                used = used + t.resources
            for offer in offers:
                ev = OpEvent(type=OpEvent.OFFER_ACCEPTED)
                ev.offer_accepted.offer_id.value = offer.offer_id
                ev.offer_accepted.framework_id.value = fw.framework_id
                ev.offer_accepted.agent_id.value = agent.agent_id
                ev.offer_accepted.task_ids.extend(
                    mesos_pb2.TaskID(value=t.task_id) for t in launched
                )
                ev.offer_accepted.used.extend(used.to_proto())
                self.events.publish(ev)
            self._publish_agent(agent)

    def _accept_still_valid(self, fw: Framework, agent: Agent) -> bool:
        return (
            self.leading
            and self.frameworks.get(fw.framework_id) is fw
            and self.agents.get(agent.agent_id) is agent
            and agent.link is not None
        )

    def _validate_task(
        self, fw: Framework, info: mesos_pb2.TaskInfo, ids_in_call: set[str]
    ) -> str | None:
        tid = info.task_id.value
        if not tid:
            return "Task has no task_id"
        if len(tid) > 256 or any(c in tid for c in "/\0") or tid in (".", ".."):
            return f"Task id {tid!r} is invalid: at most 256 characters, no '/' or NUL"
        if tid in fw.tasks or tid in fw.unreachable_tasks or tid in ids_in_call:
            return f"Task {tid} has a duplicate id"
        if not info.name:
            return "Task has no name"
        if info.HasField("executor") == info.HasField("command"):
            return (
                "Task should have at least one (but not both) of CommandInfo or "
                "ExecutorInfo present"
            )
        if info.HasField("executor"):
            return None  # _validate_executor checks the rest.
        if info.command.shell and not info.command.value:
            return "Task's command is empty"
        if not info.command.shell and not info.command.value:
            return "Task's command has no value to execute"
        return None

    def _launch(
        self, fw: Framework, agent: Agent, info: mesos_pb2.TaskInfo, resources: Resources
    ) -> Task:
        task_info = mesos_pb2.TaskInfo()
        task_info.CopyFrom(info)
        task_info.agent_id.value = agent.agent_id
        task = Task(
            task_id=info.task_id.value,
            framework_id=fw.framework_id,
            agent_id=agent.agent_id,
            name=info.name,
            state=mesos_pb2.TASK_STAGING,
            resources=resources,
            info=task_info,
        )
        fw.tasks[task.task_id] = task
        agent.tasks[task.key] = task
        if info.HasField("executor"):
            self._add_executor(fw, agent, task_info.executor)
        run = agent_pb2.RunTask()
        run.framework_info.CopyFrom(fw.info)
        run.task.CopyFrom(task_info)
        agent.link.send(agent_pb2.MasterMessage(run_task=run))
        if self.events.active:
            self.events.publish(
                OpEvent(type=OpEvent.TASK_ADDED, task_added=OpEvent.TaskAdded(task=task.to_proto()))
            )
        return task

    def revive(self, fw: Framework) -> None:
        fw.suppressed = False
        self.allocator.revive(fw.framework_id)
        self._publish_framework(fw, OpEvent.FRAMEWORK_UPDATED)
        self.request_allocation()

    def suppress(self, fw: Framework) -> None:
        fw.suppressed = True
        self.allocator.suppress(fw.framework_id)
        self._publish_framework(fw, OpEvent.FRAMEWORK_UPDATED)

    # ------------------------------------------------------------------------ tasks

    def kill_task(
        self, fw: Framework, task_id: str, kill_policy: mesos_pb2.KillPolicy | None = None
    ) -> None:
        task = fw.tasks.get(task_id) or fw.unreachable_tasks.get(task_id)
        if task is None:
            state = mesos_pb2.TASK_UNKNOWN if fw.partition_aware else mesos_pb2.TASK_LOST
            self._send_master_status(
                fw, task_id, "", state, Reason.REASON_RECONCILIATION,
                "Attempted to kill an unknown task",
            )
            return
        agent = self.agents.get(task.agent_id)
        if agent is None or agent.link is None:
            log.info("Kill of task %s waits: its agent %s is disconnected", task_id, task.agent_id)
            return
        kill = agent_pb2.KillTask()
        kill.framework_id.value = fw.framework_id
        kill.task_id.value = task_id
        if kill_policy is not None:
            kill.kill_policy.CopyFrom(kill_policy)
        agent.link.send(agent_pb2.MasterMessage(kill_task=kill))

    def find_tasks(self, task_id: str, framework_id: str = "") -> list[Task]:
        found = []
        for fw in self.frameworks.values():
            if framework_id and fw.framework_id != framework_id:
                continue
            task = fw.tasks.get(task_id) or fw.unreachable_tasks.get(task_id)
            if task is not None:
                found.append(task)
        return found

    def operator_kill(self, task_id: str, framework_id: str = "") -> None:
        if not task_id:
            raise CallError("INVALID_ARGUMENT", "KILL_TASK needs kill_task.task_id")
        found = self.find_tasks(task_id, framework_id)
        if not found:
            raise CallError("NOT_FOUND", f"no active task {task_id!r}")
        if len(found) > 1:
            raise CallError(
                "INVALID_ARGUMENT",
                f"task id {task_id!r} is used by {len(found)} frameworks: set kill_task.framework_id",
            )
        task = found[0]
        self.kill_task(self.frameworks[task.framework_id], task.task_id)

    def acknowledge(self, fw: Framework, ack: scheduler_pb2.Call.Acknowledge) -> None:
        task_id = ack.task_id.value
        if not task_id or not ack.uuid:
            raise CallError("INVALID_ARGUMENT", "ACKNOWLEDGE needs task_id, agent_id and uuid")
        task = fw.tasks.get(task_id) or fw.unreachable_tasks.get(task_id)
        agent_id = ack.agent_id.value or (task.agent_id if task else "")
        agent = self.agents.get(agent_id)
        if agent is not None and agent.link is not None:
            msg = agent_pb2.StatusUpdateAcknowledgement(uuid=ack.uuid)
            msg.framework_id.value = fw.framework_id
            msg.task_id.value = task_id
            agent.link.send(agent_pb2.MasterMessage(acknowledgement=msg))
        if task is not None and task.status_update_uuid == ack.uuid:
            if task.status_update_state is not None and is_terminal(task.status_update_state):
                self._forget_task(task)

    def reconcile(self, fw: Framework, reconcile: scheduler_pb2.Call.Reconcile) -> None:
        for _ in self._reconcile_steps(fw, reconcile):
            pass

    def _reconcile_steps(
        self, fw: Framework, reconcile: scheduler_pb2.Call.Reconcile
    ) -> Iterator[None]:
        if not reconcile.tasks:
            for task in list(fw.tasks.values()) + list(fw.unreachable_tasks.values()):
                self._send_reconcile_status(fw, task)
            return
        for i, item in enumerate(reconcile.tasks):
            if i and i % ACCEPT_SLICE == 0:
                yield
                if self.frameworks.get(fw.framework_id) is not fw:
                    return
            tid = item.task_id.value
            task = fw.tasks.get(tid) or fw.unreachable_tasks.get(tid)
            if task is not None:
                self._send_reconcile_status(fw, task)
                continue
            completed = next((t for t in reversed(fw.completed_tasks) if t.task_id == tid), None)
            if completed is not None:
                self._send_reconcile_status(fw, completed)
                continue
            agent_id = item.agent_id.value
            if agent_id in self.expected_agents or (not agent_id and self.expected_agents):
                # Its agent may still re-register after the failover: no answer yet (Mesos).
                continue
            if agent_id and agent_id in self.agents:
                state = mesos_pb2.TASK_GONE if fw.partition_aware else mesos_pb2.TASK_LOST
            elif agent_id and agent_id in self.unreachable_agents:
                state = mesos_pb2.TASK_UNREACHABLE if fw.partition_aware else mesos_pb2.TASK_LOST
            else:
                state = mesos_pb2.TASK_UNKNOWN if fw.partition_aware else mesos_pb2.TASK_LOST
            send = functools.partial(
                self._send_master_status, fw, tid, agent_id, state, Reason.REASON_RECONCILIATION,
                "Reconciliation: task is unknown",
            )
            if not fw.partition_aware:
                # TASK_LOST is final: the task may be on an unreachable agent, which must then
                # never be allowed to run it again. Say so in the registry first.
                maybe_there = [agent_id] if agent_id else list(self.unreachable_agents)
                newly_lost = [
                    a for a in maybe_there
                    if a in self.unreachable_agents and a not in self.lost_agents
                ]
                if newly_lost:
                    now = _now()
                    for a in newly_lost:
                        self.lost_agents[a] = now
                    self._save_registry()
                    self._after_registry_write(send)
                    continue
            send()

    def _send_reconcile_status(self, fw: Framework, task: Task) -> None:
        status = mesos_pb2.TaskStatus()
        latest = task.latest_status
        if latest is not None:
            status.CopyFrom(latest)
        status.task_id.value = task.task_id
        status.agent_id.value = task.agent_id
        status.state = task.state
        status.source = Reason.SOURCE_MASTER
        status.reason = Reason.REASON_RECONCILIATION
        status.ClearField("uuid")
        status.timestamp = _now()
        if not status.message:
            status.message = "Reconciliation: latest task state"
        self._send_update(fw, status)

    def _master_status(
        self, task: Task, state: int, reason: int, message: str
    ) -> mesos_pb2.TaskStatus:
        status = mesos_pb2.TaskStatus(
            state=state, source=Reason.SOURCE_MASTER, reason=reason, message=message,
            timestamp=_now(),
        )
        status.task_id.value = task.task_id
        status.agent_id.value = task.agent_id
        return status

    def _send_master_status(
        self, fw: Framework, task_id: str, agent_id: str, state: int, reason: int, message: str
    ) -> None:
        status = mesos_pb2.TaskStatus(
            state=state, source=Reason.SOURCE_MASTER, reason=reason, message=message,
            timestamp=_now(),
        )
        status.task_id.value = task_id
        if agent_id:
            status.agent_id.value = agent_id
        log.info(
            "Task %s of framework %s: %s (%s): %s", task_id, fw.framework_id, state_name(state),
            Reason.Reason.Name(reason), message,
        )
        self._send_update(fw, status)
        if self.events.active:
            ev = OpEvent(type=OpEvent.TASK_UPDATED)
            ev.task_updated.framework_id.value = fw.framework_id
            ev.task_updated.status.CopyFrom(status)
            ev.task_updated.state = state
            self.events.publish(ev)

    def _send_update(
        self, fw: Framework, status: mesos_pb2.TaskStatus, task: Task | None = None
    ) -> None:
        if fw.stream is not None:
            fw.stream.send(SchedEvent(type=SchedEvent.UPDATE, update=SchedEvent.Update(status=status)))
            if task is not None and is_terminal(status.state):
                task.terminal_sent = True

    def _apply_status(self, task: Task, status: mesos_pb2.TaskStatus) -> None:
        """Record a status on a task; release its resources on its first terminal state."""
        changed = task.state != status.state
        task.state = status.state
        task.add_status(status)
        if is_terminal(status.state) and not task.released:
            self._release(task)
        if changed and self.events.active:
            ev = OpEvent(type=OpEvent.TASK_UPDATED)
            ev.task_updated.framework_id.value = task.framework_id
            ev.task_updated.status.CopyFrom(status)
            ev.task_updated.state = task.state
            self.events.publish(ev)

    def _release(self, task: Task) -> None:
        """The task's resources go back to the pool and are offered again at once."""
        task.released = True
        self.allocator.recover(task.agent_id, task.framework_id, task.resources)
        self.request_allocation([task.agent_id])
        agent = self.agents.get(task.agent_id)
        if agent is not None:
            self._publish_agent(agent)

    def _forget_task(self, task: Task) -> None:
        """A task whose terminal state is known (and acknowledged) leaves the active sets."""
        fw = self.frameworks.get(task.framework_id)
        if fw is not None:
            if fw.tasks.get(task.task_id) is task:
                del fw.tasks[task.task_id]
                fw.completed_tasks.append(task)
            elif fw.unreachable_tasks.get(task.task_id) is task:
                del fw.unreachable_tasks[task.task_id]
                fw.completed_tasks.append(task)
        agent = self.agents.get(task.agent_id)
        if agent is not None and agent.tasks.get(task.key) is task:
            del agent.tasks[task.key]

    # ------------------------------------------------------------------------ agents

    def agent_id_for(self, reg: agent_pb2.RegisterAgent) -> str:
        """The id a registration is for: its own, or (Mesos's `registerSlave`: "already
        registered, resending acknowledgement") that of the agent registered from the same
        address with no tasks, when an agent that gave up waiting for our answer registers
        again. Without this, a burst of registrations slower than the agents' timeout would
        admit each agent several times. An agent at that address with tasks is a different
        life of it (restarted without its checkpoint): it registers anew."""
        if reg.agent_info.id.value:
            return reg.agent_info.id.value
        known = self.agent_by_address.get(reg.files_address) if reg.files_address else None
        old = self.agents.get(known) if known else None
        if old is not None and not old.tasks and old.info.hostname == reg.agent_info.hostname:
            return old.agent_id
        return ""

    def register_agent(
        self, reg: agent_pb2.RegisterAgent, link: Outbox
    ) -> Agent:
        info = mesos_pb2.AgentInfo()
        info.CopyFrom(reg.agent_info)
        if not info.id.value:
            info.id.value = self.agent_id_for(reg)
        if not info.hostname:
            raise CallError("INVALID_ARGUMENT", "agent_info.hostname is empty")
        try:
            total = Resources.from_proto(info.resources)
        except ResourceError as e:
            raise CallError("INVALID_ARGUMENT", f"agent resources are invalid: {e}") from None
        reported_use = Resources()
        for t in reg.tasks:
            if not is_terminal(t.state):
                try:
                    reported_use = reported_use + Resources.from_proto(t.resources)
                except ResourceError as e:
                    raise CallError(
                        "INVALID_ARGUMENT", f"task {t.task_id.value} has invalid resources: {e}"
                    ) from None
        for e in reg.executor_infos:
            try:
                reported_use = reported_use + Resources.from_proto(e.resources)
            except ResourceError as err:
                raise CallError(
                    "INVALID_ARGUMENT",
                    f"executor {e.executor_id.value} has invalid resources: {err}",
                ) from None
        if not total.contains(reported_use):
            raise CallError(
                "INVALID_ARGUMENT",
                f"the agent's tasks use {reported_use}, more than its resources {total}",
            )
        now = _now()
        agent_id = info.id.value
        reregistering = bool(reg.agent_info.id.value)
        if agent_id in self.removing_agents:
            raise CallError(
                "UNAVAILABLE",
                f"agent {agent_id} is being marked unreachable; register again in a moment",
            )
        old = self.agents.get(agent_id) if agent_id else None
        if old is not None:
            # The same agent reconnecting (new link): drop the old link, keep what we know.
            if old.link is not None and old.link is not link:
                old.link.close("replaced by a newer connection of the same agent")
            for offer_id in list(old.offers):
                self.rescind_offer(offer_id, RescindReason.AGENT_REMOVED)
            self.allocator.remove_agent(agent_id)
            agent = old
            agent.info = info
            agent.total = total
            agent.reregistered_time = now
        else:
            if not agent_id:
                agent_id = self.ids.agent()
                info.id.value = agent_id
            agent = Agent(agent_id, info, total, registered_time=now)
            if reregistering:
                agent.reregistered_time = now
            self.agents[agent_id] = agent
            self.pings.add(agent_id)
        was_unreachable = self.unreachable_agents.pop(agent_id, None) is not None
        was_lost = self.lost_agents.pop(agent_id, None) is not None
        was_expected = self.expected_agents.pop(agent_id, None) is not None
        self.registered[agent_id] = {"hostname": info.hostname, "port": info.port}
        if reg.files_address:
            self.agent_by_address[reg.files_address] = agent_id
        agent.link = link
        agent.files_address = reg.files_address
        agent.version = reg.version
        agent.missed_pings = 0
        agent.awaiting_pong = False

        after_registered: list[agent_pb2.MasterMessage] = []
        for fi in reg.frameworks:
            fid = fi.id.value
            if fid in self.removed_frameworks:
                # Torn down while the agent was away: its tasks there must end too.
                sf = agent_pb2.ShutdownFramework()
                sf.framework_id.value = fid
                after_registered.append(agent_pb2.MasterMessage(shutdown_framework=sf))
            elif fid and fid not in self.frameworks:
                # Known only from the agent (a master failover): wait for it to re-subscribe.
                f_info = mesos_pb2.FrameworkInfo()
                f_info.CopyFrom(fi)
                fw = Framework(fid, f_info, framework_role(f_info), registered_time=now, recovered=True)
                self.frameworks[fid] = fw
                self.allocator.add_framework(fid, fw.role, active=False)
                fw.unregistered_time = now
                # It is coming back too, and was disconnected by the failover, not by itself:
                # give it at least the window agents get (a failover_timeout of 0 would
                # otherwise kill its tasks as soon as an agent is quicker than its scheduler).
                fw.failover_timer = asyncio.get_running_loop().call_later(
                    max(fw.info.failover_timeout, self.config.agent_reregister_timeout),
                    self._failover_timeout, fid,
                )
                self._publish_framework(fw, OpEvent.FRAMEWORK_ADDED)
        if reregistering:
            after_registered += self._reconcile_agent_tasks(
                agent, reg.tasks, returning=was_unreachable, lost=was_lost
            )
            self._adopt_executors(agent, list(reg.executor_infos))
        try:
            self.allocator.add_agent(agent_id, total, used=agent.used_by_framework())
        except ValueError as e:
            log.error("Agent %s: %s; its tasks' resources are not counted", agent_id, e)
            self.allocator.add_agent(agent_id, total)
        if old is None and not was_expected or was_unreachable or was_lost:
            self._save_registry()
        log.info(
            "Agent %s at %s %s with %s", agent_id, info.hostname,
            "re-registered" if reregistering else "registered", total,
        )
        registered = agent_pb2.AgentRegistered(
            master_info=self.master_info, ping_interval_seconds=self.config.agent_ping_timeout
        )
        registered.agent_id.value = agent_id
        link.send(agent_pb2.MasterMessage(registered=registered))
        for message in after_registered:
            link.send(message)
        if self.events.active:
            self.events.publish(
                OpEvent(
                    type=OpEvent.AGENT_ADDED,
                    agent_added=OpEvent.AgentAdded(agent=self.agent_proto(agent)),
                )
            )
        self.request_allocation([agent_id])
        return agent

    def _reconcile_agent_tasks(
        self, agent: Agent, tasks: Iterable[mesos_pb2.Task], returning: bool, lost: bool
    ) -> list[agent_pb2.MasterMessage]:
        """Re-registration: the agent's word on its tasks rebuilds ours (soft state).

        `returning`: the agent comes back from unreachable (removed after missed pings, or not
        back in time after a failover). `lost`: frameworks that are not PARTITION_AWARE were
        told TASK_LOST for its tasks. As in Mesos 1.1, those tasks are killed and not adopted
        again: their framework already has their terminal state, and has likely started
        replacements; the agent's later updates for them are acknowledged here and dropped
        (`status_update`). PARTITION_AWARE frameworks' tasks are adopted again and their
        frameworks hear the task's true state (after TASK_UNREACHABLE). A task whose id is
        now used by a task on another agent is an old copy: killed too.

        Answers the kills to send once the agent has its `registered` message.
        """
        kills: list[agent_pb2.MasterMessage] = []

        def kill(fid: str, tid: str, why: str) -> None:
            log.info("Killing task %s of framework %s on agent %s: %s", tid, fid, agent.agent_id, why)
            k = agent_pb2.KillTask()
            k.framework_id.value = fid
            k.task_id.value = tid
            kills.append(agent_pb2.MasterMessage(kill_task=k))

        reported: set[tuple[str, str]] = set()
        for t in tasks:
            fid, tid = t.framework_id.value, t.task_id.value
            fw = self.frameworks.get(fid)
            if fw is None or not tid:
                continue
            if lost and not fw.partition_aware:
                if not is_terminal(t.state):
                    kill(fid, tid, "its framework was told TASK_LOST")
                continue
            task = fw.tasks.get(tid) or fw.unreachable_tasks.get(tid)
            if task is not None and task.agent_id != agent.agent_id:
                if not is_terminal(t.state):
                    kill(fid, tid, f"the task id now runs on agent {task.agent_id}")
                continue
            reported.add((fid, tid))
            try:
                resources = Resources.from_proto(t.resources)
            except ResourceError:
                resources = Resources()
            was_unreachable = returning
            if task is None:
                info = mesos_pb2.TaskInfo(name=t.name, resources=t.resources)
                info.task_id.value = tid
                info.agent_id.value = agent.agent_id
                task = Task(tid, fid, agent.agent_id, t.name, t.state, resources, info)
                for s in t.statuses:
                    task.add_status(s)
                fw.tasks[tid] = task
                if self.events.active:
                    self.events.publish(
                        OpEvent(type=OpEvent.TASK_ADDED, task_added=OpEvent.TaskAdded(task=task.to_proto()))
                    )
            elif tid in fw.unreachable_tasks:
                del fw.unreachable_tasks[tid]
                fw.tasks[tid] = task
                task.released = False
                was_unreachable = True
            task.unreachable_time = None
            if was_unreachable and not is_terminal(t.state):
                # Back from a partition: its framework hears the task is running again. (A
                # task that ended meanwhile gets its terminal update from the agent itself.)
                status = self._master_status(
                    task, t.state, Reason.REASON_AGENT_REREGISTERED,
                    f"Agent {agent.info.hostname} re-registered",
                )
                self._apply_status(task, status)
                self._send_update(fw, status)
            task.agent_id = agent.agent_id
            if is_terminal(t.state) and not task.released:
                task.state = t.state
                task.released = True
            agent.tasks[task.key] = task
        # Tasks we thought were there but the agent does not know: gone.
        for key, task in list(agent.tasks.items()):
            if key not in reported and not is_terminal(task.state):
                fw = self.frameworks.get(task.framework_id)
                status = self._master_status(
                    task,
                    mesos_pb2.TASK_GONE if fw and fw.partition_aware else mesos_pb2.TASK_LOST,
                    Reason.REASON_AGENT_REREGISTERED,
                    "Task was not reported by its re-registering agent",
                )
                task.released = True  # its resources are not in the agent's used set
                self._apply_status(task, status)
                if fw is not None:
                    self._send_update(fw, status, task)
                self._forget_task(task)
        return kills

    def agent_disconnected(self, agent: Agent, link: Outbox) -> None:
        if agent.link is not link or self.agents.get(agent.agent_id) is not agent:
            return
        agent.link = None
        self.allocator.deactivate_agent(agent.agent_id)
        for offer_id in list(agent.offers):
            self.rescind_offer(offer_id, RescindReason.AGENT_REMOVED)
        log.info("Agent %s disconnected; health checks continue", agent.agent_id)
        self._publish_agent(agent)

    def remove_agent(self, agent_id: str, why: str) -> None:
        """An agent lost to health checks (Mesos's `markUnreachable`): it leaves the cluster at
        once (offers rescinded, resources out of the pool, link closed), is recorded in the
        registry as unreachable and lost, and only once that record is written are its tasks'
        frameworks told: TASK_UNREACHABLE (PARTITION_AWARE) or TASK_LOST (the others). So a
        new leader always knows which agents' tasks were declared lost (see
        `_reconcile_agent_tasks`)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        log.warning("Removing agent %s: %s", agent_id, why)
        for offer_id in list(agent.offers):
            self.rescind_offer(offer_id, RescindReason.AGENT_REMOVED)
        if agent.link is not None:
            agent.link.close("removed: " + why)
            agent.link = None
        for task in agent.tasks.values():
            task.released = True  # the whole agent leaves the allocator
        self.allocator.remove_agent(agent_id)
        del self.agents[agent_id]
        self.pings.discard(agent_id)
        if self.agent_by_address.get(agent.files_address) == agent_id:
            del self.agent_by_address[agent.files_address]
        self.registered.pop(agent_id, None)
        for ex in list(agent.executors.values()):
            self._drop_executor(ex)  # Gone with the agent's resources from the pool.
        now = _now()
        self.unreachable_agents[agent_id] = now
        self.lost_agents[agent_id] = now
        self.removing_agents[agent_id] = agent
        self._save_registry()
        self._after_registry_write(lambda: self._agent_removed(agent, why, now))

    def _agent_removed(self, agent: Agent, why: str, now: float) -> None:
        """The registry says the agent is unreachable: tell its tasks' frameworks."""
        agent_id = agent.agent_id
        if self.removing_agents.get(agent_id) is not agent:
            return
        del self.removing_agents[agent_id]
        for task in list(agent.tasks.values()):
            fw = self.frameworks.get(task.framework_id)
            if task.terminal_sent or fw is None:
                # Its framework already has its end (or is gone): nothing more to say.
                self._forget_task(task)
                continue
            aware = fw.partition_aware
            state = mesos_pb2.TASK_UNREACHABLE if aware else mesos_pb2.TASK_LOST
            status = self._master_status(
                task, state, Reason.REASON_AGENT_REMOVED,
                f"Agent {agent.info.hostname} is unreachable: {why}",
            )
            if aware:
                status.unreachable_time.nanoseconds = int(now * 1e9)
            task.state = state
            task.add_status(status)
            task.unreachable_time = now
            self._send_update(fw, status, task)
            if aware:
                if fw.tasks.get(task.task_id) is task:
                    del fw.tasks[task.task_id]
                    fw.unreachable_tasks[task.task_id] = task
            else:
                self._forget_task(task)
            if self.events.active:
                ev = OpEvent(type=OpEvent.TASK_UPDATED)
                ev.task_updated.framework_id.value = task.framework_id
                ev.task_updated.status.CopyFrom(status)
                ev.task_updated.state = state
                self.events.publish(ev)
        failure = SchedEvent(type=SchedEvent.FAILURE)
        failure.failure.agent_id.value = agent_id
        for fw in self.frameworks.values():
            if fw.stream is not None:
                fw.stream.send(failure)
        if self.events.active:
            ev = OpEvent(type=OpEvent.AGENT_REMOVED)
            ev.agent_removed.agent_id.value = agent_id
            ev.agent_removed.reason = why
            self.events.publish(ev)

    def agent_message(self, agent: Agent, msg: agent_pb2.AgentMessage) -> None:
        kind = msg.WhichOneof("message")
        # Any message from the agent shows it alive, as a pong does: a busy agent whose pong
        # queues behind its status updates is not counted as missing.
        agent.awaiting_pong = False
        agent.missed_pings = 0
        if kind == "status_update":
            self.status_update(agent, msg.status_update)
        elif kind == "pong":
            pass
        elif kind == "usage":
            agent.usage = msg.usage
            if self.events.active:
                ev = OpEvent(type=OpEvent.AGENT_USAGE)
                ev.agent_usage.agent_id.value = agent.agent_id
                ev.agent_usage.total.extend(agent.total.to_proto())
                ev.agent_usage.allocated.extend(self._agent_allocated(agent).to_proto())
                ev.agent_usage.used.CopyFrom(msg.usage.host)
                ev.agent_usage.usage.CopyFrom(msg.usage.usage)
                self.events.publish(ev)
        elif kind == "executor_to_framework":
            self.executor_to_framework(agent, msg.executor_to_framework)
        elif kind == "exited_executor":
            self.executor_exited(agent, msg.exited_executor)
        elif kind == "register":
            log.warning("Agent %s sent a second register on one link; ignored", agent.agent_id)

    def status_update(self, agent: Agent, update: agent_pb2.StatusUpdate) -> None:
        status = update.status
        fid = update.framework_id.value
        tid = status.task_id.value
        fw = self.frameworks.get(fid)
        task = None
        if fw is not None:
            task = fw.tasks.get(tid) or fw.unreachable_tasks.get(tid)
            if task is not None and task.agent_id != agent.agent_id:
                task = None
        if task is None:
            # Nobody waits for it: its framework is gone, the task was declared lost and
            # killed (its framework has its terminal state), or it is a retry of an update
            # already acknowledged. Acknowledge it so the agent stops retrying; forward
            # nothing, so a framework never hears of a task after its end.
            log.info(
                "Dropping %s of task %s of %s framework %s from agent %s: the task is not "
                "known here", state_name(status.state), tid,
                "unknown" if fw is None else "known", fid, agent.agent_id,
            )
            if status.uuid and agent.link is not None:
                ack = agent_pb2.StatusUpdateAcknowledgement(uuid=status.uuid)
                ack.framework_id.value = fid
                ack.task_id.value = tid
                agent.link.send(agent_pb2.MasterMessage(acknowledgement=ack))
            return
        assert fw is not None
        task.status_update_state = status.state
        task.status_update_uuid = status.uuid
        if not task.statuses or task.statuses[-1].uuid != status.uuid:
            self._apply_status(task, status)  # a new update, not a retry
        latest = update.latest_state if update.HasField("latest_state") else status.state
        if is_terminal(latest) and not task.released:
            # The agent knows the task ended (its update waits behind unacknowledged
            # ones): free the resources now, as Mesos does.
            task.state = latest
            self._release(task)
            if self.events.active:
                early = mesos_pb2.TaskStatus()
                early.CopyFrom(status)
                early.state = latest
                ev = OpEvent(type=OpEvent.TASK_UPDATED)
                ev.task_updated.framework_id.value = task.framework_id
                ev.task_updated.status.CopyFrom(early)
                ev.task_updated.state = latest
                self.events.publish(ev)
        self._send_update(fw, status, task)
        if not status.uuid and is_terminal(status.state):
            self._forget_task(task)

    def _agent_allocated(self, agent: Agent) -> Resources:
        """What the agent's non-terminal tasks hold (Mesos's `allocated_resources` of an
        agent: its offers are `offered_resources`, apart, as the allocator's `held` is not)."""
        total = Resources()
        for r in agent.used_by_framework().values():
            total = total + r
        return total

    def _agent_offered(self, agent: Agent) -> Resources:
        total = Resources()
        for oid in agent.offers:
            total = total + self.offers[oid].resources
        return total

    # ------------------------------------------------------------------------ operator views

    def agent_proto(self, agent: Agent) -> master_pb2.Response.GetAgents.Agent:
        a = master_pb2.Response.GetAgents.Agent(
            agent_info=agent.info,
            active=agent.connected,
            version=agent.version or VERSION,
            pid=f"slave(1)@{agent.files_address}" if agent.files_address else "",
            registered_time=_time_info(agent.registered_time),
            total_resources=agent.total.to_proto(),
            allocated_resources=self._agent_allocated(agent).to_proto(),
            offered_resources=self._agent_offered(agent).to_proto(),
            task_count=sum(1 for t in agent.tasks.values() if not is_terminal(t.state)),
        )
        if agent.reregistered_time is not None:
            a.reregistered_time.CopyFrom(_time_info(agent.reregistered_time))
        if agent.usage is not None:
            a.used.CopyFrom(containers_usage(agent.usage))
        return a

    def framework_proto(self, fw: Framework) -> master_pb2.Response.GetFrameworks.Framework:
        allocated = Resources()
        for t in fw.tasks.values():
            if not t.released:
                allocated = allocated + t.resources
        for ex in fw.executors.values():
            allocated = allocated + ex.resources
        offered = Resources()
        offers = []
        for oid in fw.offers:
            o = self.offers[oid]
            offered = offered + o.resources
            offers.append(o.to_proto(self.agents.get(o.agent_id), fw.role))
        active = fw.framework_id in self.frameworks
        share = self.allocator.framework_share(fw.framework_id)[0] if active else 0.0
        f = master_pb2.Response.GetFrameworks.Framework(
            framework_info=fw.info,
            active=active and fw.connected,
            connected=fw.connected,
            recovered=fw.recovered,
            registered_time=_time_info(fw.registered_time),
            offers=offers,
            # As Mesos: allocated = its tasks' (used_resources), offered = its offers'.
            allocated_resources=allocated.to_proto(),
            offered_resources=offered.to_proto(),
            suppressed=fw.suppressed,
            dominant_share=share,
        )
        if fw.reregistered_time is not None:
            f.reregistered_time.CopyFrom(_time_info(fw.reregistered_time))
        if fw.unregistered_time is not None:
            f.unregistered_time.CopyFrom(_time_info(fw.unregistered_time))
        return f

    def get_agents(self) -> master_pb2.Response.GetAgents:
        return master_pb2.Response.GetAgents(
            agents=[self.agent_proto(a) for a in self.agents.values()]
        )

    def get_frameworks(self) -> master_pb2.Response.GetFrameworks:
        return master_pb2.Response.GetFrameworks(
            frameworks=[self.framework_proto(f) for f in self.frameworks.values()],
            completed_frameworks=[self.framework_proto(f) for f in self.completed_frameworks],
        )

    def get_tasks(self) -> master_pb2.Response.GetTasks:
        r = master_pb2.Response.GetTasks()
        for fw in list(self.frameworks.values()):
            for t in fw.tasks.values():
                r.tasks.append(t.to_proto())
            for t in fw.unreachable_tasks.values():
                r.unreachable_tasks.append(t.to_proto())
            for t in fw.completed_tasks:
                r.completed_tasks.append(t.to_proto())
        for fw in self.completed_frameworks:
            for t in fw.completed_tasks:
                r.completed_tasks.append(t.to_proto())
        return r

    def allocator_state(self) -> master_pb2.AllocatorState:
        return master_pb2.AllocatorState(
            paused=self.allocation_paused,
            sorter=self.config.role_sorter,
            interval_seconds=self.config.allocation_interval,
            cycles=self.allocation_cycles,
        )

    def get_state(self) -> master_pb2.Response.GetState:
        return master_pb2.Response.GetState(
            get_tasks=self.get_tasks(),
            get_frameworks=self.get_frameworks(),
            get_agents=self.get_agents(),
            get_executors=self.get_executors(),
            allocator=self.allocator_state(),
            sorter=self.sorter_state_proto(),
        )

    def get_metrics(self) -> list[mesos_pb2.Metric]:
        counts: dict[int, int] = {}
        for fw in self.frameworks.values():
            for t in fw.tasks.values():
                counts[t.state] = counts.get(t.state, 0) + 1
            for t in fw.completed_tasks:
                counts[t.state] = counts.get(t.state, 0) + 1
        total = self.allocator.total()
        used = Resources()
        for agent in self.agents.values():
            used = used + self._agent_allocated(agent)
        values: dict[str, float] = {
            "master/elected": 1.0 if self.leading else 0.0,
            "master/uptime_secs": _now() - self.start_time,
            "master/slaves_active": sum(1 for a in self.agents.values() if a.connected),
            "master/slaves_connected": sum(1 for a in self.agents.values() if a.connected),
            "master/slaves_disconnected": sum(1 for a in self.agents.values() if not a.connected),
            "master/slaves_unreachable": len(self.unreachable_agents),
            "master/frameworks_active": sum(1 for f in self.frameworks.values() if f.connected),
            "master/frameworks_connected": sum(1 for f in self.frameworks.values() if f.connected),
            "master/frameworks_disconnected": sum(
                1 for f in self.frameworks.values() if not f.connected
            ),
            "master/frameworks_inactive": sum(1 for f in self.frameworks.values() if not f.connected),
            "master/outstanding_offers": len(self.offers),
            "allocator/mesos/allocation_runs": self.allocation_cycles,
            "allocator/mesos/allocation_run_ms": self.last_allocation_ms,
        }
        for name in ("cpus", "mem", "disk", "gpus"):
            t = total.scalar(name)
            u = used.scalar(name)
            values[f"master/{name}_total"] = t
            values[f"master/{name}_used"] = u
            values[f"master/{name}_percent"] = u / t if t else 0.0
        for state in mesos_pb2.TaskState.values():
            values[f"master/{state_name(state).lower()}"] = counts.get(state, 0)
        return [mesos_pb2.Metric(name=k, value=float(v)) for k, v in sorted(values.items())]

    def pause_allocation(self, paused: bool) -> None:
        self.allocation_paused = paused
        if self.events.active:
            self.events.publish(
                OpEvent(type=OpEvent.ALLOCATOR_UPDATED, allocator_updated=self.allocator_state())
            )
        if not paused:
            self.request_allocation()

    def _publish_framework(self, fw: Framework, event_type: int) -> None:
        if not self.events.active:
            return
        ev = OpEvent(type=event_type)
        if event_type == OpEvent.FRAMEWORK_ADDED:
            ev.framework_added.framework.CopyFrom(self.framework_proto(fw))
        else:
            ev.framework_updated.framework.CopyFrom(self.framework_proto(fw))
        self.events.publish(ev)

    def _publish_agent(self, agent: Agent) -> None:
        if not self.events.active or agent.agent_id not in self.agents:
            return
        self.events.publish(
            OpEvent(
                type=OpEvent.AGENT_UPDATED,
                agent_updated=OpEvent.AgentUpdated(agent=self.agent_proto(agent)),
            )
        )
