"""gang: all N ranks at once, or none."""

from __future__ import annotations

from daemons.proto import mesos_pb2
from mesos_tui.frameworks.gang import gang
from tests.cluster import Cluster


async def test_gang_that_cannot_fit_times_out_with_nothing_launched(cluster: Cluster) -> None:
    await cluster.start_master(offer_timeout="1secs")
    await cluster.start_agent("cpus:2;mem:1024")
    await cluster.start_agent("cpus:2;mem:1024")  # Room for 2 two-cpu ranks; the gang needs 3.

    code, fw = await gang(
        3, "sleep 30", cluster.master_address, slot="cpus:2;mem:64", timeout=3.0, hold_seconds=0.5
    )

    assert code == 1
    assert fw.error_message is not None and "needs 3 slots" in fw.error_message
    assert "at most 2" in fw.error_message
    assert fw.stats.launches == []
    assert fw.stats.max_slots_held == 2
    tasks = await cluster.operator.tasks()
    assert not tasks.tasks and not tasks.completed_tasks and not tasks.pending_tasks
    assert (await cluster.operator.frameworks()).frameworks == []  # Torn down.


async def test_gang_that_fits_launches_all_ranks_at_once_across_agents(cluster: Cluster) -> None:
    await cluster.start_master()
    for _ in range(3):
        await cluster.start_agent("cpus:2;mem:1024")  # One two-cpu rank per agent.

    code, fw = await gang(
        3,
        'test "$GANG_SIZE" = 3 && echo "rank $GANG_RANK"',
        cluster.master_address,
        slot="cpus:2;mem:64",
        timeout=20.0,
    )

    assert code == 0, fw.error_message
    assert len(fw.stats.launches) == 1
    launch = fw.stats.launches[0]
    assert launch.complete and len(launch.task_ids) == 3 and len(launch.agents) == 3
    tasks = (await cluster.operator.tasks()).completed_tasks
    assert sorted(t.task_id.value for t in tasks) == sorted(launch.task_ids)
    assert len({t.agent_id.value for t in tasks}) == 3
    assert all(t.state == mesos_pb2.TASK_FINISHED for t in tasks)


async def test_failed_rank_kills_the_gang_and_retries_it_bounded(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")

    code, fw = await gang(
        2,
        'if [ "$GANG_RANK" = 1 ]; then echo rank-one-broke >&2; exit 4; fi; sleep 30',
        cluster.master_address,
        slot="cpus:1;mem:64",
        timeout=20.0,
        max_retries=1,
    )

    assert code == 1
    assert len(fw.stats.launches) == 2  # The first attempt and one retry, each a whole gang.
    assert fw.error_message is not None and "rank-one-broke" in fw.error_message
    tasks = await cluster.operator.tasks()
    assert not tasks.tasks  # Rank 0 (sleeping) was killed both times.
    states = sorted(mesos_pb2.TaskState.Name(t.state) for t in tasks.completed_tasks)
    assert states == ["TASK_FAILED", "TASK_FAILED", "TASK_KILLED", "TASK_KILLED"]
