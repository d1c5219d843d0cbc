"""Offer-cycle benchmark on a real cluster: a master and two agents as processes on loopback.

Measures, through the scheduler driver:

(a) latency: from a framework's Subscribe call to its first task's TASK_RUNNING on an idle
    cluster (subscribe, first offer, ACCEPT, agent launch, RUNNING update), median and spread
    over several fresh frameworks;
(b) throughput: `--tasks` `true` tasks through the two agents, in tasks per second from the
    first ACCEPT to the last task's end (status updates acknowledged as they come). Ends are
    counted by distinct task id (benchmarks/tally.py): an update retried before its
    acknowledgement arrived counts once, and any second terminal update is reported.

Prints the figures (`--json` for machines). Never a timed test.

    .venv/bin/python benchmarks/offer_cycle.py [--json] [--trials 7] [--tasks 1000]
        [--task_launcher launcher|supervisor|both] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.tally import TerminalTally  # noqa: E402
from daemons.common.resources import Resources  # noqa: E402
from daemons.proto import mesos_pb2  # noqa: E402
from mesos_tui.client.scheduler import (  # noqa: E402
    Scheduler,
    SchedulerDriver,
    offer_resources,
    task_info,
)
from tests.cluster import Cluster  # noqa: E402

AGENT_RESOURCES = "cpus:64;mem:65536"
QUICK = mesos_pb2.Filters(refuse_seconds=0)


def framework_info(name: str) -> mesos_pb2.FrameworkInfo:
    return mesos_pb2.FrameworkInfo(name=name, user=os.environ.get("USER") or "root")


class FirstTask(Scheduler):
    """Launches one task on the first offer; notes when it is RUNNING."""

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.running_at = 0.0
        self.launched = False

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        if self.launched:
            await driver.decline(offers, QUICK)
            return
        first, *rest = offers
        self.launched = True
        task = task_info("first", "first", first.agent_id, "sleep 30", "cpus:0.1;mem:32")
        await driver.launch([first], [task], QUICK)
        if rest:
            await driver.decline(rest, QUICK)

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        if status.state == mesos_pb2.TASK_RUNNING and not self.running.is_set():
            self.running_at = time.perf_counter()
            self.running.set()


class Batch(Scheduler):
    """Launches `total` short tasks, as many per offer as fit; counts them to the end."""

    def __init__(self, total: int, demand: str, command: str) -> None:
        self.total = total
        self.demand = Resources.parse(demand)
        self.command = command
        self.launched = 0
        self.ends = TerminalTally()
        self.first_accept = 0.0
        self.last_end = 0.0
        self.done = asyncio.Event()

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        for offer in offers:
            free = offer_resources(offer)
            tasks = []
            while self.launched < self.total and free.contains(self.demand):
                self.launched += 1
                tid = f"t{self.launched}"
                tasks.append(task_info(tid, tid, offer.agent_id, self.command, self.demand))
                free = free - self.demand
            if tasks:
                if not self.first_accept:
                    self.first_accept = time.perf_counter()
                await driver.launch([offer], tasks, QUICK)
            else:
                await driver.decline([offer], QUICK)

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        if self.ends.record(status) and len(self.ends) >= self.total:
            self.last_end = time.perf_counter()
            self.done.set()


async def wait_idle(cluster: Cluster) -> None:
    """Until no task holds resources on any agent."""

    def idle(state) -> bool:  # noqa: ANN001
        return not state.get_tasks.tasks and all(
            not (Resources.from_proto(a.allocated_resources) - Resources.from_proto(a.offered_resources))
            for a in state.get_agents.agents
        )

    await cluster.operator.wait_for(idle, timeout=60, what="an idle cluster")


async def latency(cluster: Cluster, trials: int) -> list[float]:
    samples = []
    for i in range(trials):
        await wait_idle(cluster)
        scheduler = FirstTask()
        driver = SchedulerDriver(scheduler, framework_info(f"latency-{i}"), cluster.master_address)
        start = time.perf_counter()
        await driver.start()
        await asyncio.wait_for(scheduler.running.wait(), 60)
        samples.append(scheduler.running_at - start)
        await driver.stop()  # Teardown: the task is killed, the cluster idle again.
    return samples


async def throughput(cluster: Cluster, tasks: int, demand: str) -> tuple[float, Batch]:
    await wait_idle(cluster)
    batch = Batch(tasks, demand, "true")
    driver = SchedulerDriver(batch, framework_info("throughput"), cluster.master_address)
    await driver.start()
    await asyncio.wait_for(batch.done.wait(), 600)
    await driver.stop()
    return batch.last_end - batch.first_accept, batch


async def run(args: argparse.Namespace, task_launcher: str = "launcher") -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="offer-cycle-bench-") as root:
        async with Cluster(Path(root)) as cluster:
            await cluster.start_master(allocation_interval=args.allocation_interval)
            await cluster.start_agent(AGENT_RESOURCES, task_launcher=task_launcher)
            await cluster.start_agent(AGENT_RESOURCES, task_launcher=task_launcher)
            lat = await latency(cluster, args.trials)
            seconds, batch = await throughput(cluster, args.tasks, args.task_resources)
    return {
        "task_launcher": task_launcher,
        "agents": 2,
        "agent_resources": AGENT_RESOURCES,
        "allocation_interval": args.allocation_interval,
        "subscribe_to_running_ms": {
            "median": statistics.median(lat) * 1000,
            "min": min(lat) * 1000,
            "max": max(lat) * 1000,
            "trials": len(lat),
        },
        "throughput": {
            "tasks": args.tasks,
            "task_resources": args.task_resources,
            **batch.ends.figures(),
            "seconds": seconds,
            "tasks_per_second": args.tasks / seconds if seconds > 0 else 0.0,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--trials", type=int, default=7, help="latency samples (default 7)")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks for the throughput run")
    parser.add_argument(
        "--task_resources", default="cpus:0.1;mem:32", help="what each throughput task asks for"
    )
    parser.add_argument(
        "--allocation_interval", default="1secs", help="the master's --allocation_interval"
    )
    parser.add_argument(
        "--task_launcher", default="launcher",
        help="the agents' --task_launcher; 'both' runs 'supervisor' (the per-task dash "
             "supervisor, the baseline) and 'launcher' in alternating rounds, in one run",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of each (with 'both')")
    args = parser.parse_args()
    kinds = ["supervisor", "launcher"] if args.task_launcher == "both" else [args.task_launcher]
    for _ in range(max(1, args.rounds)):
        for kind in kinds:
            report(args, asyncio.run(run(args, kind)))


def report(args: argparse.Namespace, figures: dict[str, object]) -> None:
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    lat = figures["subscribe_to_running_ms"]
    tp = figures["throughput"]
    assert isinstance(lat, dict) and isinstance(tp, dict)
    print(f"cluster: 1 master, 2 agents of {AGENT_RESOURCES}, "
          f"--allocation_interval {args.allocation_interval}, "
          f"--task_launcher {figures['task_launcher']}")
    print(f"subscribe -> first TASK_RUNNING: median {lat['median']:.1f} ms "
          f"(min {lat['min']:.1f}, max {lat['max']:.1f}, {lat['trials']} trials)")
    print(f"{tp['tasks']} 'true' tasks ({tp['task_resources']}): {tp['seconds']:.2f} s from first "
          f"ACCEPT to the last task's end = {tp['tasks_per_second']:.0f} tasks/s "
          f"({tp['distinct_tasks_ended']} distinct tasks ended: {tp['by_state']}; "
          f"{tp['retransmitted_updates']} retransmitted updates; "
          f"{tp['duplicate_terminal_updates']} duplicate terminal updates)")


if __name__ == "__main__":
    main()
