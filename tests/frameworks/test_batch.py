"""batch: the queue grows and shrinks; idle it declines and SUPPRESSes, a submit REVIVEs it;
a failing job is retried a bounded number of times and reported with its stderr tail."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from daemons.proto import master_pb2
from mesos_tui.frameworks.batch import BatchQueue, format_qstat
from mesos_tui.frameworks.common import framework_info, run_framework
from tests.cluster import Cluster, ClusterError, EventStream

WAIT = 20.0


@contextlib.asynccontextmanager
async def running(queue: BatchQueue, master: str) -> AsyncIterator[asyncio.Task[int]]:
    """The queue's framework, subscribed, for the length of the block; torn down after."""
    task = asyncio.create_task(
        run_framework(queue, framework_info("batch"), master, install_signals=False)
    )
    await asyncio.wait_for(queue.subscribed_event.wait(), WAIT)
    try:
        yield task
    finally:
        queue.finish(0)
        await asyncio.wait_for(task, WAIT)


def framework_update(fid: str, suppressed: bool):  # noqa: ANN201
    def match(e: master_pb2.Event) -> bool:
        return (
            e.type == master_pb2.Event.FRAMEWORK_UPDATED
            and e.framework_updated.framework.framework_info.id.value == fid
            and e.framework_updated.framework.suppressed == suppressed
        )

    return match


async def suppressed_and_empty(cluster: Cluster, fid: str, events: EventStream) -> bool:
    """Suppressed and holding nothing, once the framework has settled: an offer sent just
    before the SUPPRESS is still outstanding until the framework declines it, so re-check
    after each operator event (the decline is one) until WAIT runs out."""
    deadline = time.monotonic() + WAIT
    while True:
        for f in (await cluster.operator.frameworks()).frameworks:
            if f.framework_info.id.value == fid:
                if f.suppressed and not f.allocated_resources and not f.offered_resources:
                    return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            await events.next(timeout=left)
        except ClusterError:
            return False


async def test_scales_to_zero_suppresses_when_idle_and_revives_on_submit(
    cluster: Cluster,
) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")
    queue = BatchQueue(resources="cpus:0.5;mem:32")
    async with cluster.operator.events() as events, running(queue, cluster.master_address):
        fid = queue.driver.framework_id  # type: ignore[union-attr]
        assert fid
        # Idle from the start: suppressed, holding nothing.
        await events.next(framework_update(fid, True), WAIT)
        assert await suppressed_and_empty(cluster, fid, events)

        jobs = [await queue.submit(f"echo job{i}") for i in range(5)]
        await revived_then_suppressed(events, fid)
        await queue.wait_idle(WAIT)

        rows = queue.qstat()
        assert [r.job_id for r in rows] == jobs
        assert all(r.state == "C" and r.attempts == 1 for r in rows), format_qstat(rows)
        assert await suppressed_and_empty(cluster, fid, events)  # Scaled back to zero.

        # A second wave revives it again.
        await queue.submit("true")
        await revived_then_suppressed(events, fid)
        await queue.wait_idle(WAIT)
        assert queue.revives >= 2 and queue.suppressions >= 3


async def revived_then_suppressed(events: EventStream, fid: str) -> None:
    await events.next(framework_update(fid, False), WAIT)
    await events.next(framework_update(fid, True), WAIT)


async def test_failing_job_is_retried_bounded_and_reported_with_stderr(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")
    said: list[str] = []
    queue = BatchQueue(resources="cpus:0.5;mem:32", max_retries=2)
    queue.say = said.append  # type: ignore[method-assign]
    async with running(queue, cluster.master_address):
        bad = await queue.submit("echo first-line >&2; echo boom-marker >&2; exit 7", name="bad")
        good = await queue.submit("echo fine", name="good")
        await queue.wait_idle(WAIT)

    rows = {r.job_id: r for r in queue.qstat()}
    assert rows[good].state == "C"
    assert rows[bad].state == "F" and rows[bad].attempts == 3  # 1 try + max_retries 2.
    (spec,) = queue.failed
    assert "boom-marker" in spec.stderr_tail and "first-line" in spec.stderr_tail
    report = [line for line in said if "failed after 3 attempts" in line]
    assert report and "boom-marker" in report[0] and "exited with status 7" in report[0]
    assert sum("retrying" in line for line in said) == 2
    tasks = await cluster.operator.state()
    bad_attempts = [t for t in tasks.get_tasks.completed_tasks if t.name == "bad"]
    assert len(bad_attempts) == 3
