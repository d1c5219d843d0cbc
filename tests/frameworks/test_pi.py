"""pi: Hadoop's quasi-Monte-Carlo estimate, from real map tasks whose answers are read through
the agents' Files API."""

from __future__ import annotations

import math
from decimal import Decimal

from mesos_tui.frameworks._pi_task import count_inside
from mesos_tui.frameworks.pi import estimate, pi
from tests.cluster import Cluster


def test_halton_estimate_matches_hadoop() -> None:
    # Hadoop's `pi 10 100` prints 3.14800000000000000000, `pi 16 1000` 3.14250000000000000000.
    for maps, samples, value in ((10, 100, "3.148"), (16, 1000, "3.1425")):
        inside = sum(count_inside(i * samples, samples)[0] for i in range(maps))
        assert estimate(inside, maps * samples) == Decimal(value).quantize(Decimal(10) ** -20)


async def test_pi_within_tolerance(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")
    await cluster.start_agent("cpus:2;mem:1024")

    code, fw = await pi(8, 5000, cluster.master_address, resources="cpus:0.5;mem:64", timeout=60)

    assert code == 0, fw.error_message
    assert fw.value is not None
    assert abs(float(fw.value) - math.pi) < 1e-3
    assert fw.inside + fw.outside == 8 * 5000
