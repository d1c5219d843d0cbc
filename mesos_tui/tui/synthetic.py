"""A synthetic cluster as operator events: for tests, benchmarks and screenshots.

`snapshot()` builds a SUBSCRIBED event of a realistic cluster (agents with racks, a few
frameworks in roles, tasks in every state, outstanding offers); `EventStream` then makes a
believable flow of events (task updates, offers sent and accepted/declined/rescinded, usage
reports, allocation cycles). Deterministic for a given seed. Nothing here talks to a master.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from daemons.proto import master_pb2, mesos_pb2

Event = master_pb2.Event
TS = mesos_pb2.TaskState
MASTER = "5b0e2c1a-7d3f-4e8a-9c61-2f4d8e0b7a13"

FRAMEWORKS = [
    ("wordcount", "analytics", "alice"),
    ("pi", "science", "bob"),
    ("batch-queue", "batch", "torque"),
    ("gang-mpi", "science", "carol"),
    ("command-queue", "*", "ops"),
    ("spark-etl", "analytics", "dave"),
]


def _scalar(name: str, value: float) -> mesos_pb2.Resource:
    r = mesos_pb2.Resource(name=name, type=mesos_pb2.Value.SCALAR)
    r.scalar.value = value
    return r


def resources(cpus: float, mem: float, disk: float = 0.0, ports: tuple[int, int] | None = None
              ) -> list[mesos_pb2.Resource]:
    out = [_scalar("cpus", cpus), _scalar("mem", mem)]
    if disk:
        out.append(_scalar("disk", disk))
    if ports:
        r = mesos_pb2.Resource(name="ports", type=mesos_pb2.Value.RANGES)
        r.ranges.range.add(begin=ports[0], end=ports[1])
        out.append(r)
    return out


def agent_id(i: int) -> str:
    return f"{MASTER}-S{i}"


def framework_id(i: int) -> str:
    return f"{MASTER}-{i:04d}"


def agent_proto(i: int, rng: random.Random) -> master_pb2.Response.GetAgents.Agent:
    a = master_pb2.Response.GetAgents.Agent(active=True, version="0.1.0")
    a.agent_info.id.value = agent_id(i)
    a.agent_info.hostname = f"node-{i:03d}"
    a.agent_info.port = 5051
    cpus = rng.choice([4, 8, 8, 16, 32])
    mem = cpus * rng.choice([2048, 4096])
    a.agent_info.resources.extend(resources(cpus, mem, 100_000, (31000, 32000)))
    a.total_resources.extend(resources(cpus, mem, 100_000, (31000, 32000)))
    for name, value in (("rack", f"r{i % 4 + 1}"), ("zone", "eu-1a" if i % 2 else "eu-1b")):
        attr = a.agent_info.attributes.add(name=name, type=mesos_pb2.Value.TEXT)
        attr.text.value = value
    return a


def framework_proto(i: int) -> master_pb2.Response.GetFrameworks.Framework:
    name, role, principal = FRAMEWORKS[i % len(FRAMEWORKS)]
    f = master_pb2.Response.GetFrameworks.Framework(active=True, connected=True)
    f.framework_info.id.value = framework_id(i)
    f.framework_info.name = name if i < len(FRAMEWORKS) else f"{name}-{i}"
    f.framework_info.roles.append(role)
    f.framework_info.principal = principal
    f.framework_info.user = "root"
    f.framework_info.failover_timeout = 60
    return f


def task_proto(n: int, fw: int, agent: int, state: int, now: float) -> mesos_pb2.Task:
    name = FRAMEWORKS[fw % len(FRAMEWORKS)][0]
    t = mesos_pb2.Task(name=f"{name}-{n % 50}", state=state, user="root")
    t.task_id.value = f"{name}-task-{n:05d}"
    t.framework_id.value = framework_id(fw)
    t.agent_id.value = agent_id(agent)
    t.executor_id.value = t.task_id.value
    t.resources.extend(resources(0.5 if n % 3 else 1.0, 256 if n % 2 else 512, 64))
    st = t.statuses.add(state=state, timestamp=now - (n % 900))
    st.task_id.value = t.task_id.value
    if state == TS.TASK_FAILED:
        st.reason = mesos_pb2.TaskStatus.REASON_CONTAINER_LIMITATION_MEMORY
        st.message = "memory limit exceeded: 512 MB"
    elif state == TS.TASK_KILLED:
        st.reason = mesos_pb2.TaskStatus.REASON_TASK_KILLED_DURING_LAUNCH
    return t


def snapshot(agents: int = 12, frameworks: int = 5, tasks: int = 120, offers: int = 6,
             seed: int = 1, now: float = 1_700_000_000.0) -> Event:
    """A SUBSCRIBED event for a cluster of the given size."""
    rng = random.Random(seed)
    ev = Event(type=Event.SUBSCRIBED)
    ev.subscribed.heartbeat_interval_seconds = 15
    state = ev.subscribed.get_state
    agent_protos = [agent_proto(i, rng) for i in range(agents)]
    allocated: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(agents)]
    fws = [framework_proto(i) for i in range(frameworks)]
    states = [TS.TASK_RUNNING] * 14 + [TS.TASK_STAGING, TS.TASK_STARTING, TS.TASK_FINISHED,
                                       TS.TASK_FINISHED, TS.TASK_FAILED, TS.TASK_KILLED]
    for n in range(tasks):
        fw = n % frameworks
        ag = rng.randrange(agents)
        st = states[n % len(states)]
        t = task_proto(n, fw, ag, st, now)
        if st in (TS.TASK_FINISHED, TS.TASK_FAILED, TS.TASK_KILLED):
            state.get_tasks.completed_tasks.append(t)
        else:
            state.get_tasks.tasks.append(t)
            allocated[ag][0] += t.resources[0].scalar.value
            allocated[ag][1] += t.resources[1].scalar.value
            allocated[ag][2] += t.resources[2].scalar.value
    for i, a in enumerate(agent_protos):
        cpus, mem, disk = allocated[i]
        a.allocated_resources.extend(resources(cpus, mem, disk))
        used = a.used
        used.cpus_usage = cpus * rng.uniform(0.3, 0.95)
        used.mem_rss_bytes = int(mem * rng.uniform(0.4, 0.9) * 1024 * 1024)
        used.timestamp = now
    state.get_agents.agents.extend(agent_protos)
    for i in range(min(offers, agents)):
        o = fws[i % frameworks].offers.add()
        o.id.value = f"{MASTER}-O{i}"
        o.framework_id.value = framework_id(i % frameworks)
        o.agent_id.value = agent_id(i)
        o.hostname = f"node-{i:03d}"
        o.resources.extend(resources(2, 2048, 10_000, (31000, 31099)))
    state.get_frameworks.frameworks.extend(fws)
    state.allocator.paused = False
    state.allocator.sorter = "drf"
    state.allocator.interval_seconds = 1.0
    state.allocator.cycles = 1200
    state.sorter.CopyFrom(sorter_state(state, now))
    return ev


def sorter_state(state: master_pb2.Response.GetState, now: float,
                 extra: dict[str, dict[str, float]] | None = None) -> master_pb2.SorterState:
    """The DRF table of a GetState, as a master computes it: each framework's active tasks and
    outstanding offers over the agents' totals (`extra`: more held, by framework id)."""
    names = ("cpus", "mem", "disk")
    total = dict.fromkeys(names, 0.0)
    for a in state.get_agents.agents:
        for r in a.total_resources:
            if r.name in total:
                total[r.name] += r.scalar.value
    held: dict[str, dict[str, float]] = {}
    offered: dict[str, dict[str, float]] = {}
    for t in state.get_tasks.tasks:
        h = held.setdefault(t.framework_id.value, {})
        for r in t.resources:
            if r.name in total:
                h[r.name] = h.get(r.name, 0.0) + r.scalar.value
    fws = {}
    for f in state.get_frameworks.frameworks:
        fid = f.framework_info.id.value
        fws[fid] = f
        for o in f.offers:
            for r in o.resources:
                if r.name in total:
                    for d in (held.setdefault(fid, {}), offered.setdefault(fid, {})):
                        d[r.name] = d.get(r.name, 0.0) + r.scalar.value
    for fid, more in (extra or {}).items():
        h = held.setdefault(fid, {})
        for k, v in more.items():
            h[k] = h.get(k, 0.0) + v
    out = master_pb2.SorterState(cycle=state.allocator.cycles, time=now, sorter="drf")
    out.total.extend(resources(total["cpus"], total["mem"], total["disk"]))

    def fill(c: master_pb2.SorterState.Client, h: dict[str, float], off: dict[str, float]
             ) -> float:
        used = {k: v - off.get(k, 0.0) for k, v in h.items()}
        c.allocated.extend(resources(used.get("cpus", 0), used.get("mem", 0),
                                     used.get("disk", 0)))
        if off:
            c.offered.extend(resources(off.get("cpus", 0), off.get("mem", 0),
                                       off.get("disk", 0)))
        best, dom = 0.0, ""
        for k in names:
            if h.get(k) and total[k]:
                share = h[k] / total[k]
                c.shares.add(resource=k, share=share)
                if share > best:
                    best, dom = share, k
        c.dominant_resource = dom
        c.dominant_share = best
        c.weighted_share = best / (c.weight or 1.0)
        c.active = True
        return best

    role_held: dict[str, dict[str, float]] = {}
    role_off: dict[str, dict[str, float]] = {}
    rows = []
    for fid, f in fws.items():
        role = f.framework_info.roles[0] if f.framework_info.roles else "*"
        c = master_pb2.SorterState.Client(role=role, name=f.framework_info.name, weight=1.0)
        c.framework_id.value = fid
        share = fill(c, held.get(fid, {}), offered.get(fid, {}))
        rows.append((role, share, fid, c))
        for src, dst in ((held.get(fid, {}), role_held), (offered.get(fid, {}), role_off)):
            d = dst.setdefault(role, {})
            for k, v in src.items():
                d[k] = d.get(k, 0.0) + v
    roles = []
    for role in role_held:
        c = master_pb2.SorterState.Client(role=role, weight=1.0)
        roles.append((fill(c, role_held[role], role_off.get(role, {})), role, c))
    roles.sort(key=lambda r: (r[0], r[1]))
    rank = {role: i for i, (_, role, _) in enumerate(roles)}
    out.roles.extend(c for _, _, c in roles)
    rows.sort(key=lambda r: (rank[r[0]], r[1], r[2]))
    out.frameworks.extend(c for _, _, _, c in rows)
    return out


def explained_allocation(snapshot_event: Event, now: float, cycle: int = 1201) -> Event:
    """An explained cycle (a step) over `snapshot(...)`'s cluster: two agents walked; the
    lowest framework gets the first; on the second it is filtered by a decline, so the next
    one gets it; one agent has nothing free."""
    state = snapshot_event.subscribed.get_state
    before = state.sorter
    ev = Event(type=Event.ALLOCATION)
    a = ev.allocation
    a.cycle = cycle
    a.duration_ms = 0.4
    a.sorter = "drf"
    a.explained = True
    a.before.CopyFrom(before)
    order = [c for c in before.frameworks]
    first, second = order[0], order[1]
    extra = {first.framework_id.value: {"cpus": 4.0, "mem": 8192.0},
             second.framework_id.value: {"cpus": 2.0, "mem": 2048.0}}
    walk = [(1, first, [], (4, 8192)), (2, second, [first], (2, 2048))]
    for ag, winner, skipped, (cpus, mem) in walk:
        d = a.decisions.add()
        d.agent_id.value = agent_id(ag)
        d.hostname = f"node-{ag:03d}"
        d.free.extend(resources(cpus, mem))
        d.framework_id.CopyFrom(winner.framework_id)
        d.name = winner.name
        d.offer_id.value = f"{MASTER}-O{20000 + ag}"
        a.offer_ids.add().value = d.offer_id.value
        for k in skipped:
            sk = d.skipped.add(name=k.name, reason=Event.Allocation.Skip.FILTERED, until=now + 4)
            sk.framework_id.CopyFrom(k.framework_id)
            sk.refused.extend(resources(cpus, mem))
    d = a.decisions.add(reason=Event.Allocation.AgentDecision.NOTHING_FREE)
    d.agent_id.value = agent_id(3)
    d.hostname = "node-003"
    a.after.CopyFrom(sorter_state(state, now, extra))
    a.after.cycle = cycle
    return ev


class EventStream:
    """Plausible events after `snapshot(...)` with the same sizes."""

    def __init__(self, agents: int, frameworks: int, tasks: int, seed: int = 2) -> None:
        self.rng = random.Random(seed)
        self.agents = agents
        self.frameworks = frameworks
        self.tasks = tasks
        self.next_task = tasks
        self.next_offer = 10_000
        self.cycle = 1200
        self.live_offers: list[tuple[str, int, int]] = []
        self.running: list[tuple[str, int]] = []  # (task id, fw)

    def task_update(self, task_n: int | None = None, state: int | None = None) -> Event:
        rng = self.rng
        n = rng.randrange(self.tasks) if task_n is None else task_n
        fw = n % self.frameworks
        name = FRAMEWORKS[fw % len(FRAMEWORKS)][0]
        ev = Event(type=Event.TASK_UPDATED)
        u = ev.task_updated
        u.framework_id.value = framework_id(fw)
        st = state if state is not None else rng.choice(
            [TS.TASK_RUNNING, TS.TASK_RUNNING, TS.TASK_FINISHED, TS.TASK_STARTING])
        u.state = st
        u.status.task_id.value = f"{name}-task-{n:05d}"
        u.status.state = st
        u.status.timestamp = 1_700_000_000.0 + n
        return ev

    def task_added(self) -> Event:
        n = self.next_task
        self.next_task += 1
        fw = n % self.frameworks
        ev = Event(type=Event.TASK_ADDED)
        ev.task_added.task.CopyFrom(task_proto(n, fw, self.rng.randrange(self.agents),
                                               TS.TASK_STAGING, 1_700_000_000.0))
        return ev

    def offer_sent(self) -> Event:
        oid = f"{MASTER}-O{self.next_offer}"
        self.next_offer += 1
        fw = self.rng.randrange(self.frameworks)
        ag = self.rng.randrange(self.agents)
        ev = Event(type=Event.OFFER_SENT)
        o = ev.offer_sent.offer
        o.id.value = oid
        o.framework_id.value = framework_id(fw)
        o.agent_id.value = agent_id(ag)
        o.hostname = f"node-{ag:03d}"
        o.resources.extend(resources(self.rng.choice([1, 2, 4]), 1024, 5000))
        self.live_offers.append((oid, fw, ag))
        return ev

    def offer_ended(self) -> Event:
        if not self.live_offers:
            return self.offer_sent()
        oid, fw, ag = self.live_offers.pop(0)
        kind = self.rng.choice(["accept", "accept", "decline", "rescind"])
        if kind == "accept":
            ev = Event(type=Event.OFFER_ACCEPTED)
            e = ev.offer_accepted
            e.task_ids.add().value = f"t-{oid[-5:]}"
            e.used.extend(resources(1, 512))
        elif kind == "decline":
            ev = Event(type=Event.OFFER_DECLINED)
            e = ev.offer_declined
            e.refuse_seconds = 5
        else:
            ev = Event(type=Event.OFFER_RESCINDED)
            e = ev.offer_rescinded
            e.reason = Event.OfferRescinded.TIMEOUT
        e.offer_id.value = oid
        e.framework_id.value = framework_id(fw)
        e.agent_id.value = agent_id(ag)
        return ev

    def usage(self) -> Event:
        ag = self.rng.randrange(self.agents)
        ev = Event(type=Event.AGENT_USAGE)
        u = ev.agent_usage
        u.agent_id.value = agent_id(ag)
        # Its containers (what its tasks use), then the whole host (more: other processes).
        for i in range(self.rng.randint(1, 3)):
            ex = u.usage.executors.add()
            ex.executor_info.executor_id.value = f"ex-{ag}-{i}"
            ex.statistics.cpus_usage = self.rng.uniform(0.1, 1.0)
            ex.statistics.mem_rss_bytes = int(self.rng.uniform(50, 800) * 1024 * 1024)
        u.used.cpus_usage = self.rng.uniform(3.5, 6.0)
        u.used.mem_rss_bytes = int(self.rng.uniform(3000, 6000) * 1024 * 1024)
        return ev

    def allocation(self, offer_ids: list[str] | None = None) -> Event:
        self.cycle += 1
        ev = Event(type=Event.ALLOCATION)
        a = ev.allocation
        a.cycle = self.cycle
        a.duration_ms = self.rng.uniform(0.2, 3.0)
        a.sorter = "drf"
        shares = sorted((self.rng.uniform(0.02, 0.4), i) for i in range(self.frameworks))
        for share, i in shares:
            s = a.frameworks.add()
            s.framework_id.value = framework_id(i)
            s.name = FRAMEWORKS[i % len(FRAMEWORKS)][0]
            s.role = FRAMEWORKS[i % len(FRAMEWORKS)][1]
            s.weight = 1.0
            s.dominant_share = share
            s.dominant_resource = "cpus" if i % 2 else "mem"
        for oid in offer_ids or []:
            a.offer_ids.add().value = oid
        return ev

    def next(self) -> Event:
        r = self.rng.random()
        if r < 0.55:
            return self.task_update()
        if r < 0.62:
            return self.task_added()
        if r < 0.75:
            return self.offer_sent()
        if r < 0.88:
            return self.offer_ended()
        if r < 0.97:
            return self.usage()
        return self.allocation()

    def __iter__(self) -> Iterator[Event]:
        while True:
            yield self.next()
