"""What one event costs the master does not grow with the cluster (issue 15).

Costs are counted, not timed: every Python line the master executes for one admission, one
removal, or one agent's share of a health-check period is counted with `sys.settrace`, first
with 10 agents registered and then with 10,000. A cost that scans the agents (the registry
rebuilt from every agent on each admission, as before) executes thousands more lines in the
large cluster and fails these tests; C-level work (a dict lookup) is not a line and is O(1).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable

import pytest

from daemons.master.master import Master, MasterConfig, Outbox
from daemons.master.pings import PingWheel, slots_for
from daemons.master.registry import Registry
from daemons.proto import agent_pb2, mesos_pb2

SMALL, LARGE = 10, 10_000


class MemoryRegistry(Registry):
    """The real Registry (coalescing, encoding) writing to a list instead of ZooKeeper."""

    def __init__(self) -> None:
        super().__init__(client=None, path="/mesos")  # type: ignore[arg-type]
        self.writes: list[dict[str, object]] = []

    def _write_sync(self, content: dict[str, object]) -> None:
        self.encode(content)  # what would go to ZooKeeper
        self.writes.append(content)


def count_lines(fn: Callable[[], object]) -> int:
    lines = 0

    def trace(frame, event, arg):  # noqa: ANN001, ANN202
        nonlocal lines
        if event == "line":
            lines += 1
        return trace

    sys.settrace(trace)
    try:
        fn()
    finally:
        sys.settrace(None)
    return lines


def registration(hostname: str, agent_id: str = "") -> agent_pb2.RegisterAgent:
    reg = agent_pb2.RegisterAgent(version="test", files_address=f"{hostname}:1")
    reg.agent_info.hostname = hostname
    if agent_id:
        reg.agent_info.id.value = agent_id
    for name, value in (("cpus", 4.0), ("mem", 4096.0)):
        r = reg.agent_info.resources.add(name=name, type=mesos_pb2.Value.SCALAR)
        r.scalar.value = value
    return reg


async def cluster(n: int) -> tuple[Master, MemoryRegistry]:
    m = Master(MasterConfig(allocation_interval=3600, agent_ping_timeout=3600))
    registry = MemoryRegistry()
    m.registry = registry
    m.start()
    for i in range(n):
        m.register_agent(registration(f"host{i}"), Outbox(f"host{i}"))
    return m, registry


@pytest.fixture
async def sizes() -> AsyncIterator[dict[int, tuple[Master, MemoryRegistry]]]:
    made = {n: await cluster(n) for n in (SMALL, LARGE)}
    try:
        yield made
    finally:
        for m, _ in made.values():
            await m.stop()


async def test_an_admission_costs_the_same_with_10_and_10000_agents(sizes) -> None:  # noqa: ANN001
    cost = {
        n: count_lines(lambda m=m: m.register_agent(registration("new-host"), Outbox("new")))
        for n, (m, _) in sizes.items()
    }
    assert cost[LARGE] <= cost[SMALL] + 5, cost


async def test_a_removal_costs_the_same_with_10_and_10000_agents(sizes) -> None:  # noqa: ANN001
    cost = {}
    for n, (m, _) in sizes.items():
        victim = next(iter(m.agents))
        cost[n] = count_lines(lambda m=m, v=victim: m.remove_agent(v, "test"))
        assert victim not in m.agents and victim in m.unreachable_agents
    assert cost[LARGE] <= cost[SMALL] + 5, cost


async def test_a_ping_costs_the_same_with_10_and_10000_agents(sizes) -> None:  # noqa: ANN001
    """One whole period of ticks pings every agent once; per agent it costs no more in the
    large cluster (the fixed cost of the ticks themselves is spread over more agents)."""
    per_agent = {}
    for n, (m, _) in sizes.items():
        def period(m: Master = m) -> None:
            for _ in range(m.pings.slots):
                m._ping_tick()
        per_agent[n] = count_lines(period) / n
        assert all(a.awaiting_pong and a.ping_seq == 1 for a in m.agents.values())
    assert per_agent[LARGE] <= per_agent[SMALL], per_agent


async def test_a_burst_of_removals_is_one_registry_write() -> None:
    """The registry is taken once per (coalesced) write however many events came in."""
    m, registry = await cluster(100)
    try:
        assert await registry.flushed(5.0)
        registry.writes.clear()
        for agent_id in list(m.agents)[:50]:
            m.remove_agent(agent_id, "burst")
        assert await registry.flushed(5.0)
        assert len(registry.writes) == 1
        written = registry.writes[0]
        assert len(written["agents"]) == 50  # type: ignore[arg-type]
        assert len(written["unreachable"]) == 50  # type: ignore[arg-type]
        assert set(written["agents"]) == set(m.agents)  # type: ignore[arg-type]
    finally:
        await m.stop()


def test_the_wheel_visits_every_agent_once_per_period() -> None:
    wheel = PingWheel(period=15.0)
    assert wheel.slots == slots_for(15.0) > 1
    ids = [f"a{i}" for i in range(1000)]
    for i in ids:
        wheel.add(i)
    wheel.discard("a7")
    seen: list[str] = []
    for _ in range(wheel.slots):
        seen += wheel.advance()
    assert sorted(seen) == sorted(set(ids) - {"a7"})


def test_an_agent_added_mid_period_is_first_visited_a_whole_period_later() -> None:
    wheel = PingWheel(period=1.0)
    for _ in range(3):
        wheel.advance()
    wheel.add("late")
    visits = [i for i in range(wheel.slots) if "late" in wheel.advance()]
    assert visits == [wheel.slots - 1]


async def test_an_agent_registering_again_from_its_address_keeps_its_id() -> None:
    """Mesos's "already registered, resending acknowledgement": an agent that gave up waiting
    for our answer (a burst slower than its timeout) and registers again is the same agent,
    not a second one; its first link is closed."""
    m, _ = await cluster(0)
    try:
        first_link = Outbox("a")
        first = m.register_agent(registration("host-a"), first_link)
        again = m.register_agent(registration("host-a"), Outbox("a"))
        assert again.agent_id == first.agent_id
        assert list(m.agents) == [first.agent_id]
        assert first_link.closed
        other = m.register_agent(registration("host-b"), Outbox("b"))
        assert other.agent_id != first.agent_id
    finally:
        await m.stop()
