"""Agent health checks spread over time: a timer wheel, so no moment pings every agent at once.

Mesos pings each agent every `--agent_ping_timeout`; an agent that misses
`--max_agent_ping_timeouts` pings in a row is removed. Pinging all agents on one tick makes a
burst of N sends every period (at 50,000 agents, a loop stall of its own) and any per-agent
bookkeeping a scan. Here each agent sits in one of SLOTS buckets; a tick every
`period / slots` visits the next bucket only, so each agent is still visited once per period,
the work is spread evenly, and admitting or removing an agent is O(1).

The wheel is pure bookkeeping (unit-tested without a loop); the master's loop decides what a
visit means (ping, count a miss, remove).
"""

from __future__ import annotations

MAX_SLOTS = 64
MIN_TICK = 0.05  # seconds: below this, fewer slots (a short test timeout needs no wheel)


def slots_for(period: float) -> int:
    return max(1, min(MAX_SLOTS, int(period / MIN_TICK)))


class PingWheel:
    """Agent ids in `slots` buckets; `advance()` returns the next bucket's members."""

    def __init__(self, period: float) -> None:
        self.period = period
        self.slots = slots_for(period)
        self.tick = period / self.slots
        self._buckets: list[set[str]] = [set() for _ in range(self.slots)]
        self._slot_of: dict[str, int] = {}
        self._cursor = 0  # the bucket the next advance() visits

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, agent_id: str) -> bool:
        return agent_id in self._slot_of

    def add(self, agent_id: str) -> None:
        """Place an agent so that its first visit is one whole period from now: in the bucket
        just visited (the one before the cursor)."""
        if agent_id in self._slot_of:
            return
        slot = (self._cursor - 1) % self.slots
        self._buckets[slot].add(agent_id)
        self._slot_of[agent_id] = slot

    def discard(self, agent_id: str) -> None:
        slot = self._slot_of.pop(agent_id, None)
        if slot is not None:
            self._buckets[slot].discard(agent_id)

    def advance(self) -> list[str]:
        """The agents due now (a copy: the caller may add or discard while visiting)."""
        due = list(self._buckets[self._cursor])
        self._cursor = (self._cursor + 1) % self.slots
        return due
