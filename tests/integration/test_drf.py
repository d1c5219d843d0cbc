"""The DRF example of the Mesos paper (and of the DRF paper), on a real cluster.

One agent with <9 CPUs, 18 GB>. Framework A runs tasks of <1 CPU, 4 GB>, framework B tasks of
<3 CPUs, 1 GB>. Each launches at most one task per offer and gives the rest back at once
(refuse_seconds=0), so the master's allocator decides who gets the next task. Dominant
resource fairness equalises the dominant shares: A ends with 3 tasks (3 CPUs, 12 GB: a
dominant share of 2/3 of the memory) and B with 2 (6 CPUs, 2 GB: 2/3 of the CPUs).
"""

from __future__ import annotations

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import SchedulerDriver, offer_resources, task_info
from tests.cluster import Cluster, RecordingScheduler

AGENT = Resources.parse("cpus:9;mem:18432")
QUICK = mesos_pb2.Filters(refuse_seconds=0)


class OneTaskPerOffer(RecordingScheduler):
    """Launches one `sleep 60` task of `demand` on each offer that fits; declines the rest."""

    def __init__(self, prefix: str, demand: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.demand = Resources.parse(demand)
        self.launched: list[str] = []

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        self.record("offers", offers)
        for offer in offers:
            if offer_resources(offer).contains(self.demand):
                task_id = f"{self.prefix}{len(self.launched) + 1}"
                self.launched.append(task_id)
                task = task_info(task_id, task_id, offer.agent_id, "sleep 60", self.demand)
                await driver.launch([offer], [task], QUICK)
            else:
                await driver.decline([offer], QUICK)


def fits(free: Resources, demand: Resources) -> bool:
    return free.contains(demand)


async def test_drf_shares_the_paper_example(cluster: Cluster) -> None:
    await cluster.start_master(allocation_interval="0.05secs")
    a = OneTaskPerOffer("a", "cpus:1;mem:4096")
    b = OneTaskPerOffer("b", "cpus:3;mem:1024")
    # Both subscribe before there is anything to offer, so neither gets a head start.
    await cluster.framework("A", a)
    await cluster.framework("B", b)
    await cluster.start_agent(str(AGENT))

    def saturated(state):  # noqa: ANN001, ANN202
        running = [t for t in state.get_tasks.tasks if t.state == mesos_pb2.TASK_RUNNING]
        used = Resources()
        for t in running:
            used = used + Resources.from_proto(t.resources)
        if len(running) != len(a.launched) + len(b.launched):
            return None  # A launch is still on its way.
        free = AGENT - used
        return running if not fits(free, a.demand) and not fits(free, b.demand) else None

    running = await cluster.operator.wait_for(saturated, what="the agent to fill up")
    names = sorted(t.task_id.value for t in running)
    count_a = sum(1 for n in names if n.startswith("a"))
    count_b = sum(1 for n in names if n.startswith("b"))
    # DRF: 3 tasks of A and 2 of B, equal dominant shares of 2/3 (never more than a task off).
    assert abs(count_a - 3) <= 1 and abs(count_b - 2) <= 1, names
    assert (count_a, count_b) == (3, 2), names

    shares = {
        f.framework_info.name: f.dominant_share
        for f in (await cluster.operator.frameworks()).frameworks
    }
    assert abs(shares["A"] - shares["B"]) < 0.35, shares
