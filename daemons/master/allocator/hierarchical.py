"""The hierarchical allocator: which framework is offered which agent's free resources.

This is the mechanism half of Mesos's allocator (the policy half is in `sorter.py`). It owns
what is free on each agent, what each framework holds there, and which offers a framework
has refused. It does no I/O and keeps no clock: the master passes `now` in.

The protocol, in plain words:

1. Agents join with their total (and, after a master failover, what their running tasks
   already use). Frameworks join under one role each.
2. An allocation cycle (`allocate`) walks the active agents that have enough free resources
   (at least one of `min_allocatable`) in a random order. For each agent it walks the roles
   from furthest below fair share to furthest above (the role sorter), and within a role its
   frameworks the same way (that role's framework sorter). The first framework that is
   active, not suppressed and has not refused this agent's resources gets all of them.
   Its share grows at once, so the next agent sees the new order.
3. Everything handed out is held by that framework until the master gives it back with
   `recover`: a declined or rescinded offer, the unused part of an accepted one, a finished
   task. A decline may carry `refuse_seconds`: until then, the framework is not offered that
   agent again unless more is free there than it refused.
4. `suppress` stops offers to a framework; `revive` restarts them and forgets its refusals.

A cycle costs about O(agents x (log roles + log frameworks)): roles and frameworks wait in
heaps keyed by their sorter's order; only the framework just served (and its role) is
re-keyed, and frameworks that refused this agent are put back after it.

For teaching, a cycle can explain itself: `allocate(now, trace=CycleTrace())` records, for
each agent in the order it was walked, who was offered it and why each framework ahead of
that one in the DRF order was skipped (inactive, suppressed, or filtered by a decline until
some time), and why agents were not walked at all (inactive, nothing free, less free than
`min_allocatable`). Only a traced cycle pays for this (about O(frameworks) per agent), and the
trace is bounded (`max_agents`, `max_skips`). `sorter_state()` is every role's and
framework's current standing (weight, what it holds, its share of every resource, dominant
resource and share); `on_change` (if set) is called after anything that may change it.

    >>> a = HierarchicalAllocator(seed=1)
    >>> a.add_agent("s1", Resources.parse("cpus:4;mem:4096"))
    >>> a.add_framework("f1", "web")
    >>> a.allocate(now=0.0)
    [Allocation(framework_id='f1', agent_id='s1', resources=Resources('cpus:4;mem:4096'))]
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from daemons.common.resources import EMPTY, Resources

from .sorter import Sorter, _fix, make_sorter

DEFAULT_REFUSE_SECONDS = 5.0  # Mesos's Filters.refuse_seconds default
MAX_REFUSE_SECONDS = 365 * 24 * 3600.0  # Mesos caps a filter at a year

DEFAULT_MIN_ALLOCATABLE = ("cpus:0.01", "mem:32")  # --min_allocatable_resources=cpus:0.01|mem:32


@dataclass(slots=True, frozen=True)
class Allocation:
    """One offer's worth: `resources` of `agent_id`, now held by `framework_id`."""

    framework_id: str
    agent_id: str
    resources: Resources


@dataclass(slots=True, frozen=True)
class ShareRow:
    """A client's place in a sorter, for the operator API and the TUI.

    `weight` is the client's weight in its own sorter: the role's weight for roles, 1.0 for
    frameworks. `share` is the weighted dominant share; `dominant` its resource, "" if none.
    """

    client: str
    role: str
    weight: float
    share: float
    dominant: str


@dataclass(slots=True, frozen=True)
class ClientState:
    """One sorter client as it stands now (a role, or a framework within its role).

    `allocated` is every scalar it holds: used by its tasks or offered to it (an offer counts
    as allocated until it is declined, as in Mesos). `shares` is `allocated` over the cluster
    total, per resource; `dominant_share` the largest of them (unweighted) and `share` that
    divided by `weight`: what DRF sorts by.
    """

    client: str
    role: str
    weight: float
    allocated: dict[str, float]
    shares: dict[str, float]
    dominant: str
    dominant_share: float
    share: float
    active: bool = True
    suppressed: bool = False


@dataclass(slots=True, frozen=True)
class SorterState:
    """The allocator's whole DRF table: roles in the role sorter's order, then frameworks in
    allocation order (roles in order, each role's frameworks by its sorter)."""

    total: dict[str, float]
    roles: list[ClientState]
    frameworks: list[ClientState]


# Why a framework ahead in the order was not offered an agent.
SKIP_INACTIVE = "inactive"  # disconnected: keeps what it holds, gets no offers
SKIP_SUPPRESSED = "suppressed"  # it asked for no offers (SUPPRESS)
SKIP_FILTERED = "filtered"  # it declined what is free there, with a filter still live
SKIP_UNEXPLAINED = "unexplained"  # a bug if ever seen: tests check it never is
# Why an agent was not walked at all.
AGENT_INACTIVE = "agent inactive"
AGENT_NOTHING_FREE = "nothing free"
AGENT_BELOW_MIN = "below min allocatable"


@dataclass(slots=True, frozen=True)
class Skip:
    framework_id: str
    reason: str
    refused: Resources | None = None  # for SKIP_FILTERED: what it declined
    until: float = 0.0  # for SKIP_FILTERED: when the filter ends (the allocator's clock)


@dataclass(slots=True)
class AgentTrace:
    """One agent in a traced cycle: `framework_id` was offered `free` ("" if nobody was), and
    `skipped` were ahead of it in the order; or `reason` says why the agent was not walked."""

    agent_id: str
    free: Resources
    framework_id: str = ""
    skipped: list[Skip] = field(default_factory=list)
    skipped_omitted: int = 0
    reason: str = ""


@dataclass(slots=True)
class CycleTrace:
    """What a traced cycle decided, agent by agent, in the order it walked them."""

    max_agents: int = 100
    max_skips: int = 20
    agents: list[AgentTrace] = field(default_factory=list)
    omitted: int = 0  # agents beyond max_agents

    def _add(self, agent: AgentTrace) -> bool:
        if len(self.agents) >= self.max_agents:
            self.omitted += 1
            return False
        self.agents.append(agent)
        return True


class _Filter:
    """A refused offer: `refused` is not offered again to the framework until `expires`."""

    __slots__ = ("refused", "expires")

    def __init__(self, refused: Resources, expires: float) -> None:
        self.refused = refused
        self.expires = expires


class _Framework:
    __slots__ = ("id", "role", "active", "suppressed", "filters", "agents")

    def __init__(self, framework_id: str, role: str, active: bool, suppressed: bool) -> None:
        self.id = framework_id
        self.role = role
        self.active = active
        self.suppressed = suppressed
        self.filters: dict[str, list[_Filter]] = {}  # agent id -> its refused offers
        self.agents: set[str] = set()  # agents where it holds something


class _Agent:
    __slots__ = ("id", "total", "free", "held", "active", "filtered_by")

    def __init__(self, agent_id: str, total: Resources) -> None:
        self.id = agent_id
        self.total = total
        self.free = total
        self.held: dict[str, Resources] = {}  # framework id -> offered or used there
        self.active = True
        self.filtered_by: set[str] = set()  # frameworks with a filter on this agent


class _Role:
    __slots__ = ("name", "sorter")

    def __init__(self, name: str, sorter: Sorter) -> None:
        self.name = name
        self.sorter = sorter  # the frameworks of this role


class HierarchicalAllocator:
    """Two-level allocation: roles by the role sorter, then frameworks by their role's sorter."""

    def __init__(
        self,
        role_sorter: str = "drf",
        framework_sorter: str = "drf",
        weights: dict[str, float] | None = None,
        min_allocatable: list[Resources] | None = None,
        seed: int | None = None,
    ) -> None:
        self._rng = random.Random(seed)
        self._seeded = seed is not None
        self._framework_sorter_kind = framework_sorter
        make_sorter(framework_sorter)  # fail early on an unknown kind
        self._role_sorter = make_sorter(role_sorter, self._sorter_seed())
        self._weights: dict[str, float] = {}
        for role, weight in (weights or {}).items():
            self._weights[role] = _check_weight(role, weight)
        if min_allocatable is None:
            min_allocatable = [Resources.parse(t) for t in DEFAULT_MIN_ALLOCATABLE]
        self._min_allocatable = list(min_allocatable)
        self._roles: dict[str, _Role] = {}
        self._frameworks: dict[str, _Framework] = {}
        self._agents: dict[str, _Agent] = {}
        # Active agents whose free resources pass min_allocatable, in a stable order.
        self._offerable: dict[str, _Agent] = {}
        # Holdings of frameworks not added yet (master failover): framework id -> agent ids.
        self._pending: dict[str, set[str]] = {}
        self._total: dict[str, float] = {}
        self._total_resources = Resources()
        self._expiries: list[tuple[float, int, str, str, _Filter]] = []
        self._filter_seq = 0
        # Called after every change that may change `sorter_state()` (the master coalesces).
        self.on_change: Callable[[], None] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # ---------------------------------------------------------------------- frameworks

    def add_framework(
        self, framework_id: str, role: str, *, active: bool = True, suppressed: bool = False
    ) -> None:
        if framework_id in self._frameworks:
            raise ValueError(f"framework {framework_id!r} is already added")
        if not role:
            raise ValueError(f"framework {framework_id!r} needs a role")
        fw = _Framework(framework_id, role, active, suppressed)
        r = self._roles.get(role)
        if r is None:
            r = self._add_role(role)
        self._frameworks[framework_id] = fw
        r.sorter.add(framework_id)
        if not active:
            r.sorter.deactivate(framework_id)
        # What its tasks already held on agents that re-registered before it did.
        for agent_id in self._pending.pop(framework_id, ()):
            held = self._agents[agent_id].held[framework_id]
            fw.agents.add(agent_id)
            r.sorter.allocated(framework_id, held)
            self._role_sorter.allocated(role, held)
        self._changed()

    def remove_framework(self, framework_id: str) -> None:
        """Forget the framework; everything it holds on any agent becomes free."""
        fw = self._frameworks.get(framework_id)
        if fw is None:
            pending = self._pending.pop(framework_id, None)
            if pending is None:
                raise KeyError(f"unknown framework {framework_id!r}")
            for agent_id in pending:
                self._release(self._agents[agent_id], framework_id)
            self._changed()
            return
        r = self._roles[fw.role]
        for agent_id in fw.agents:
            held = self._release(self._agents[agent_id], framework_id)
            self._role_sorter.unallocated(fw.role, held)
        for agent_id in fw.filters:
            self._agents[agent_id].filtered_by.discard(framework_id)
        r.sorter.remove(framework_id)
        del self._frameworks[framework_id]
        if not len(r.sorter):
            self._role_sorter.remove(fw.role)
            del self._roles[fw.role]
        self._changed()

    def activate_framework(self, framework_id: str) -> None:
        fw = self._framework(framework_id)
        fw.active = True
        self._roles[fw.role].sorter.activate(framework_id)
        self._changed()

    def deactivate_framework(self, framework_id: str) -> None:
        """A disconnected framework: it keeps what it holds but gets no offers."""
        fw = self._framework(framework_id)
        fw.active = False
        self._roles[fw.role].sorter.deactivate(framework_id)
        self._changed()

    def suppress(self, framework_id: str) -> None:
        self._framework(framework_id).suppressed = True
        self._changed()

    def revive(self, framework_id: str) -> None:
        """Offers again, and every refusal it made is forgotten."""
        fw = self._framework(framework_id)
        fw.suppressed = False
        for agent_id in fw.filters:
            self._agents[agent_id].filtered_by.discard(framework_id)
        fw.filters.clear()
        self._changed()

    def update_weight(self, role: str, weight: float) -> None:
        self._weights[role] = _check_weight(role, weight)
        if role in self._role_sorter:
            self._role_sorter.update_weight(role, weight)
        self._changed()

    # -------------------------------------------------------------------------- agents

    def add_agent(
        self, agent_id: str, total: Resources, used: dict[str, Resources] | None = None
    ) -> None:
        """A new agent; `used` is what each framework's tasks already hold there."""
        if agent_id in self._agents:
            raise ValueError(f"agent {agent_id!r} is already added")
        used = {fid: res for fid, res in (used or {}).items() if res}
        in_use = EMPTY
        for res in used.values():
            in_use = in_use + res
        if not total.contains(in_use):
            raise ValueError(
                f"agent {agent_id!r}: resources in use ({in_use}) do not fit its total ({total})"
            )
        agent = _Agent(agent_id, total)
        agent.free = total - in_use if used else total
        self._agents[agent_id] = agent
        self._grow_total(total)
        for fid, res in used.items():
            agent.held[fid] = res
            fw = self._frameworks.get(fid)
            if fw is None:
                self._pending.setdefault(fid, set()).add(agent_id)
            else:
                fw.agents.add(agent_id)
                self._roles[fw.role].sorter.allocated(fid, res)
                self._role_sorter.allocated(fw.role, res)
        self._refresh(agent)
        self._changed()

    def remove_agent(self, agent_id: str) -> None:
        """The agent is gone: its resources leave the totals and every allocation."""
        agent = self._agent(agent_id)
        for fid, held in agent.held.items():
            fw = self._frameworks.get(fid)
            if fw is None:
                pending = self._pending[fid]
                pending.discard(agent_id)
                if not pending:
                    del self._pending[fid]
            else:
                fw.agents.discard(agent_id)
                self._roles[fw.role].sorter.unallocated(fid, held)
                self._role_sorter.unallocated(fw.role, held)
        for fid in agent.filtered_by:
            self._frameworks[fid].filters.pop(agent_id, None)
        self._shrink_total(agent.total)
        self._offerable.pop(agent_id, None)
        del self._agents[agent_id]
        self._changed()

    def activate_agent(self, agent_id: str) -> None:
        agent = self._agent(agent_id)
        agent.active = True
        self._refresh(agent)
        self._changed()

    def deactivate_agent(self, agent_id: str) -> None:
        """No offers from this agent until it is activated again."""
        agent = self._agent(agent_id)
        agent.active = False
        self._refresh(agent)
        self._changed()

    # ----------------------------------------------------------------------- resources

    def recover(
        self,
        agent_id: str,
        framework_id: str,
        resources: Resources,
        refuse_seconds: float | None = None,
        now: float = 0.0,
    ) -> None:
        """`resources` that `framework_id` held on `agent_id` are free again.

        Only what the framework actually holds there is freed; an unknown agent or framework
        is ignored. With `refuse_seconds` > 0 (capped at a year; negative or NaN means the
        default 5 s; None or 0 means no filter), the framework is not offered this agent
        again before `now + refuse_seconds` unless what is free there does not fit within
        `resources`.
        """
        agent = self._agents.get(agent_id)
        if agent is None:
            return
        held = agent.held.get(framework_id)
        if held is not None and resources:
            give = resources if held.contains(resources) else held - (held - resources)
            if give:
                left = held - give
                if left:
                    agent.held[framework_id] = left
                else:
                    del agent.held[framework_id]
                agent.free = agent.free + give
                fw = self._frameworks.get(framework_id)
                if fw is not None:
                    if not left:
                        fw.agents.discard(agent_id)
                    self._roles[fw.role].sorter.unallocated(framework_id, give)
                    self._role_sorter.unallocated(fw.role, give)
                elif not left:
                    pending = self._pending[framework_id]
                    pending.discard(agent_id)
                    if not pending:
                        del self._pending[framework_id]
                self._refresh(agent)
                self._changed()
        if refuse_seconds is not None and framework_id in self._frameworks:
            seconds = float(refuse_seconds)
            if math.isnan(seconds) or seconds < 0:
                seconds = DEFAULT_REFUSE_SECONDS
            if seconds > 0 and resources:
                self._add_filter(
                    self._frameworks[framework_id],
                    agent,
                    resources,
                    now + min(seconds, MAX_REFUSE_SECONDS),
                )

    def allocate(
        self,
        now: float,
        agent_ids: Iterable[str] | None = None,
        trace: CycleTrace | None = None,
    ) -> list[Allocation]:
        """One allocation cycle over every active agent (or just `agent_ids`).

        With `trace`, the cycle also records why it decided what it did (see `CycleTrace`).
        """
        self._expire_filters(now)
        offerable = self._offerable
        if agent_ids is None:
            candidates = list(offerable)
        else:
            agent_ids = list(dict.fromkeys(agent_ids))
            candidates = [a for a in agent_ids if a in offerable]
        if trace is None and (not candidates or not self._frameworks):
            return []
        self._rng.shuffle(candidates)

        # Per-cycle heaps: roles by the role sorter; in each role, its frameworks that may
        # get offers, by that role's sorter. A sorted list is already a heap.
        frameworks = self._frameworks
        role_sorter = self._role_sorter
        role_key = role_sorter.key
        role_heap: list[tuple] = []
        framework_heaps: dict[str, list[tuple]] = {}
        for role in role_sorter.sort():
            sorter = self._roles[role].sorter
            fkey = sorter.key
            heap = [fkey(f) for f in sorter.sort() if not frameworks[f].suppressed]
            if heap:
                framework_heaps[role] = heap
                role_heap.append(role_key(role))
        if not role_heap and trace is None:
            return []
        sorters = {role: self._roles[role].sorter for role in framework_heaps}

        heappop = heapq.heappop
        heappush = heapq.heappush
        out: list[Allocation] = []
        append = out.append
        for agent_id in candidates:
            agent = offerable[agent_id]
            free = agent.free
            winner: _Framework | None = None
            passed_roles: list[tuple] | None = None  # lists made only when needed
            while role_heap:
                rkey = heappop(role_heap)
                role = rkey[-1]
                heap = framework_heaps[role]
                passed: list[tuple] | None = None
                while heap:
                    fkey = heappop(heap)
                    fw = frameworks[fkey[-1]]
                    if fw.filters:
                        refusals = fw.filters.get(agent_id)
                        if refusals and _refused(refusals, free, now):
                            if passed is None:
                                passed = [fkey]
                            else:
                                passed.append(fkey)
                            continue
                    winner = fw
                    break
                if passed is not None:
                    for fkey in passed:
                        heappush(heap, fkey)
                if winner is not None:
                    break
                if passed_roles is None:
                    passed_roles = [rkey]
                else:
                    passed_roles.append(rkey)
            if trace is not None:
                # Before the winner's share grows: the order as this agent saw it.
                self._trace_agent(trace, agent, free, winner, now)
            if winner is not None:
                fid = winner.id
                held = agent.held
                before = held.get(fid)
                held[fid] = free if before is None else before + free
                agent.free = EMPTY
                del offerable[agent_id]
                winner.agents.add(agent_id)
                sorter = sorters[role]
                sorter.allocated(fid, free)
                heappush(heap, sorter.key(fid))
                role_sorter.allocated(role, free)
                heappush(role_heap, role_key(role))
                append(Allocation(fid, agent_id, free))
            if passed_roles is not None:
                for rkey in passed_roles:
                    heappush(role_heap, rkey)
        if trace is not None:
            walked = set(candidates)
            for agent_id in self._agents if agent_ids is None else agent_ids:
                agent = self._agents.get(agent_id)
                if agent is None or agent_id in walked:
                    continue
                if not agent.active:
                    reason = AGENT_INACTIVE
                elif not agent.free:
                    reason = AGENT_NOTHING_FREE
                else:
                    reason = AGENT_BELOW_MIN
                trace._add(AgentTrace(agent_id, agent.free, reason=reason))
        if out:
            self._changed()
        return out

    def _trace_agent(
        self, trace: CycleTrace, agent: _Agent, free: Resources, winner: _Framework | None,
        now: float,
    ) -> None:
        """Record who got `agent` and why every framework ahead of it was skipped."""
        entry = AgentTrace(agent.id, free, winner.id if winner is not None else "")
        if not trace._add(entry):
            return
        role_sorter = self._role_sorter
        for role in sorted(role_sorter.clients(), key=role_sorter.key):
            sorter = self._roles[role].sorter
            for fid in sorted(sorter.clients(), key=sorter.key):
                if winner is not None and fid == winner.id:
                    return
                fw = self._frameworks[fid]
                if not fw.active:
                    skip = Skip(fid, SKIP_INACTIVE)
                elif fw.suppressed:
                    skip = Skip(fid, SKIP_SUPPRESSED)
                else:
                    live = [
                        f for f in fw.filters.get(agent.id, ())
                        if f.expires > now and f.refused.contains(free)
                    ]
                    if live:
                        last = max(live, key=lambda f: f.expires)
                        skip = Skip(fid, SKIP_FILTERED, last.refused, last.expires)
                    else:  # never: the walk offers the first one not filtered
                        skip = Skip(fid, SKIP_UNEXPLAINED)
                if len(entry.skipped) < trace.max_skips:
                    entry.skipped.append(skip)
                else:
                    entry.skipped_omitted += 1

    # -------------------------------------------------------------------- introspection

    def role_shares(self) -> list[ShareRow]:
        """Roles in the role sorter's order."""
        s = self._role_sorter
        rows = []
        for role in sorted(s.clients(), key=s.key):
            share, dominant = s.share(role)
            rows.append(ShareRow(role, role, s.weight(role), share, dominant))
        return rows

    def framework_shares(self) -> list[ShareRow]:
        """Frameworks in allocation order: roles in order, then the frameworks of each
        (inactive ones after the active ones of their role)."""
        rows = []
        for role_row in self.role_shares():
            s = self._roles[role_row.role].sorter
            key = s.key
            for fid in sorted(
                s.clients(), key=lambda c, s=s, key=key: (not s.is_active(c), key(c))
            ):
                share, dominant = s.share(fid)
                rows.append(ShareRow(fid, role_row.role, s.weight(fid), share, dominant))
        return rows

    def sorter_state(self) -> SorterState:
        """Every role and framework as it stands now, in the order allocation walks them."""
        total = dict(self._total)

        def state(s: Sorter, client: str, role: str, active: bool, suppressed: bool) -> ClientState:
            share, dominant = s.share(client)
            alloc = s.allocation(client)
            shares = {k: v / total[k] for k, v in alloc.items() if total.get(k)}
            return ClientState(
                client, role, s.weight(client), alloc, shares, dominant,
                s.dominant_share(client), share, active, suppressed,
            )

        rs = self._role_sorter
        roles = [state(rs, r, r, True, False) for r in sorted(rs.clients(), key=rs.key)]
        frameworks = []
        for role in roles:
            s = self._roles[role.client].sorter
            for fid in sorted(s.clients(), key=s.key):
                fw = self._frameworks[fid]
                frameworks.append(state(s, fid, role.client, fw.active, fw.suppressed))
        return SorterState(total, roles, frameworks)

    def framework_share(self, framework_id: str) -> tuple[float, str]:
        fw = self._framework(framework_id)
        return self._roles[fw.role].sorter.share(framework_id)

    def free(self, agent_id: str) -> Resources:
        return self._agent(agent_id).free

    def allocated(self, agent_id: str) -> dict[str, Resources]:
        """Framework id -> what it holds on the agent (offered or used by its tasks)."""
        return dict(self._agent(agent_id).held)

    def total(self) -> Resources:
        """The cluster's total scalar resources (ranges and sets do not add across agents)."""
        return self._total_resources

    def is_filtered(self, framework_id: str, agent_id: str, now: float) -> bool:
        """True if the framework refused what is free on the agent and the filter is live."""
        fw = self._framework(framework_id)
        agent = self._agent(agent_id)
        refusals = fw.filters.get(agent_id)
        return bool(refusals) and _refused(refusals, agent.free, now)

    def role_of(self, framework_id: str) -> str:
        return self._framework(framework_id).role

    def weight(self, role: str) -> float:
        return self._weights.get(role, 1.0)

    # ------------------------------------------------------------------------ internals

    def _sorter_seed(self) -> int | None:
        return self._rng.getrandbits(64) if self._seeded else None

    def _add_role(self, role: str) -> _Role:
        sorter = make_sorter(self._framework_sorter_kind, self._sorter_seed())
        sorter.add_total(self._total_resources)
        r = _Role(role, sorter)
        self._roles[role] = r
        self._role_sorter.add(role, self._weights.get(role, 1.0))
        return r

    def _framework(self, framework_id: str) -> _Framework:
        try:
            return self._frameworks[framework_id]
        except KeyError:
            raise KeyError(f"unknown framework {framework_id!r}") from None

    def _agent(self, agent_id: str) -> _Agent:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise KeyError(f"unknown agent {agent_id!r}") from None

    def _refresh(self, agent: _Agent) -> None:
        """Keep `_offerable` true to the agent's state."""
        free = agent.free
        if (
            agent.active
            and free
            and (not self._min_allocatable or any(free.contains(m) for m in self._min_allocatable))
        ):
            self._offerable[agent.id] = agent
        else:
            self._offerable.pop(agent.id, None)

    def _release(self, agent: _Agent, framework_id: str) -> Resources:
        """Free all that `framework_id` holds on `agent`; returns it."""
        held = agent.held.pop(framework_id)
        agent.free = agent.free + held
        self._refresh(agent)
        return held

    def _grow_total(self, total: Resources) -> None:
        for name, value in total.scalars.items():
            self._total[name] = _fix(self._total.get(name, 0.0) + value)
        self._total_resources = Resources(self._total)
        self._role_sorter.add_total(total)  # sorters only read the scalars
        for r in self._roles.values():
            r.sorter.add_total(total)

    def _shrink_total(self, total: Resources) -> None:
        for name, value in total.scalars.items():
            left = _fix(self._total.get(name, 0.0) - value)
            if left > 0:
                self._total[name] = left
            else:
                self._total.pop(name, None)
        self._total_resources = Resources(self._total)
        self._role_sorter.remove_total(total)
        for r in self._roles.values():
            r.sorter.remove_total(total)

    def _add_filter(
        self, fw: _Framework, agent: _Agent, refused: Resources, expires: float
    ) -> None:
        f = _Filter(refused, expires)
        fw.filters.setdefault(agent.id, []).append(f)
        agent.filtered_by.add(fw.id)
        self._filter_seq += 1
        heapq.heappush(self._expiries, (expires, self._filter_seq, fw.id, agent.id, f))

    def _expire_filters(self, now: float) -> None:
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            _, _, fid, agent_id, f = heapq.heappop(expiries)
            fw = self._frameworks.get(fid)
            if fw is None:
                continue
            refusals = fw.filters.get(agent_id)
            if refusals and f in refusals:
                refusals.remove(f)
                if not refusals:
                    del fw.filters[agent_id]
                    agent = self._agents.get(agent_id)
                    if agent is not None:
                        agent.filtered_by.discard(fid)


def _refused(refusals: list[_Filter], free: Resources, now: float) -> bool:
    """Mesos's refused-offer filter: live, and what is offerable fits within what was refused."""
    for f in refusals:
        if f.expires > now and f.refused.contains(free):
            return True
    return False


def _check_weight(role: str, weight: float) -> float:
    weight = float(weight)
    if not math.isfinite(weight) or weight <= 0:
        raise ValueError(f"role {role!r}: weight must be a positive finite number, got {weight!r}")
    return weight
