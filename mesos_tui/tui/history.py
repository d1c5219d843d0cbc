"""What the TUI remembers over time, beyond the mirror: one point a second (the app's tick)
of each agent's measured use, and of the cluster's offered resources and offer rate, for the
agent details and the pulse view. Bounded: `length` points per series, series of agents that
left are dropped."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from mesos_tui.client.mirror import ClusterMirror


@dataclass(slots=True)
class AgentSeries:
    cpu: deque[float]  # used cpus / total, 0..1
    mem: deque[float]


@dataclass
class History:
    length: int = 300
    agents: dict[str, AgentSeries] = field(default_factory=dict)
    cpu_offered: deque[float] = field(default_factory=deque)  # offered / total, 0..1
    mem_offered: deque[float] = field(default_factory=deque)
    offers_per_minute: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        for name in ("cpu_offered", "mem_offered", "offers_per_minute"):
            setattr(self, name, deque(maxlen=self.length))

    def sample(self, mirror: ClusterMirror, now: float) -> None:
        """One point of every series (the mirror's own cluster history is sampled apart)."""
        for aid, agent in mirror.agents.items():
            series = self.agents.get(aid)
            if series is None:
                series = self.agents[aid] = AgentSeries(deque(maxlen=self.length),
                                                        deque(maxlen=self.length))
            total = agent.total
            series.cpu.append(agent.used_cpus / total.cpus if total.cpus else 0.0)
            series.mem.append(agent.used_mem / total.mem if total.mem else 0.0)
        for aid in [a for a in self.agents if a not in mirror.agents]:
            del self.agents[aid]
        t = mirror.totals()
        self.cpu_offered.append(t.offered.cpus / t.total.cpus if t.total.cpus else 0.0)
        self.mem_offered.append(t.offered.mem / t.total.mem if t.total.mem else 0.0)
        self.offers_per_minute.append(float(offers_in_last_minute(mirror, now)))


def offers_in_last_minute(mirror: ClusterMirror, now: float) -> int:
    """Offers sent in the last 60 s (of those the mirror's timeline keeps)."""
    n = 0
    for rec in reversed(mirror.timeline):
        if rec.sent >= now - 60:
            n += 1
    return n
