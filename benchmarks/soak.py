"""Soak benchmark: many short tasks through two agents; does anything grow or stay behind?

A master and two agents as processes on loopback (`tests.cluster.Cluster`), one framework
that keeps `--concurrency` `true` tasks in flight until `--tasks` have ended (counted by
distinct task id: benchmarks/tally.py). Agents run with a short `--gc_delay`, so finished
sandboxes are removed as the run goes, and their own `--cgroups_root`, so their cgroups can be
counted.

Prints, for the master and each agent: RSS and open file descriptors at the start, after the
warm-up (`--warmup` tasks), and at the end, with the growth since the warm-up; then what is
left once the run is over and the agents' garbage collection has run: task processes (and
their supervisors), cgroups, sandboxes and checkpoint directories. `--json` for machines.
Never a timed test. Run it alone (it takes both cores):

    .venv/bin/python benchmarks/soak.py --tasks 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

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
from tests.cluster import Cluster, Daemon  # noqa: E402

AGENT_RESOURCES = "cpus:8;mem:8192"
TASK_RESOURCES = "cpus:0.01;mem:8"
QUICK = mesos_pb2.Filters(refuse_seconds=0)
GC_TIMEOUT = 120.0


class Stream(Scheduler):
    """Keeps up to `concurrency` tasks in flight until `total` have ended."""

    def __init__(self, total: int, concurrency: int, warmup: int) -> None:
        self.total = total
        self.concurrency = concurrency
        self.warmup = warmup
        self.demand = Resources.parse(TASK_RESOURCES)
        self.launched = 0
        self.ends = TerminalTally()
        self.warm = asyncio.Event()
        self.done = asyncio.Event()
        self.progress_at = time.monotonic()

    def in_flight(self) -> int:
        return self.launched - len(self.ends)

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        for offer in offers:
            free = offer_resources(offer)
            tasks = []
            while (
                self.launched < self.total
                and self.in_flight() + len(tasks) < self.concurrency
                and free.contains(self.demand)
            ):
                self.launched += 1
                tid = f"s{self.launched}"
                tasks.append(task_info(tid, tid, offer.agent_id, "true", self.demand))
                free = free - self.demand
            if tasks:
                await driver.launch([offer], tasks, QUICK)
            else:
                await driver.decline([offer], QUICK)

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        if not self.ends.record(status):
            return
        n = len(self.ends)
        if n >= self.warmup:
            self.warm.set()
        if n >= self.total:
            self.done.set()
        elif self.in_flight() < self.concurrency // 2 and self.launched < self.total:
            await driver.revive()


def sample(daemon: Daemon) -> dict[str, float]:
    p = psutil.Process(daemon.proc.pid)
    return {"rss_mb": p.memory_info().rss / 2**20, "fds": p.num_fds()}


def samples(cluster: Cluster) -> dict[str, dict[str, float]]:
    return {d.name: sample(d) for d in [cluster.master, *cluster.agents] if d is not None}


def leftover_processes(cluster: Cluster) -> int:
    """Live processes under the cluster's directory other than the daemons (tasks and their
    supervisors)."""
    daemons = {d.proc.pid for d in cluster.daemons}
    return sum(
        1 for pid in cluster._strays() - daemons
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    )


def leftover_cgroups(root_name: str) -> int:
    found = 0
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        root = hierarchy / root_name
        if root.is_dir():
            found += sum(1 for c in root.iterdir() if c.is_dir())
    return found


def remove_cgroup_roots(root_name: str) -> None:
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        root = hierarchy / root_name
        if root.is_dir():
            for c in root.iterdir():
                if c.is_dir():
                    try:
                        c.rmdir()
                    except OSError:
                        pass
            try:
                root.rmdir()
            except OSError:
                pass


def leftover_sandboxes(agent: Daemon) -> tuple[int, int]:
    """(executor sandbox directories, checkpointed executor directories) still on the agent's
    disk (through the agent's own directory, not its `latest` link)."""

    def count(pattern: str) -> int:
        return sum(1 for p in agent.work_dir.glob(pattern) if "latest" not in p.parts)

    return (
        count("slaves/*/frameworks/*/executors/*"),
        count("meta/slaves/*/frameworks/*/executors/*"),
    )


async def run(args: argparse.Namespace) -> dict[str, object]:
    cgroups_root = f"soak-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="soak-bench-") as root:
        async with Cluster(Path(root)) as cluster:
            await cluster.start_master(allocation_interval="0.1secs")
            flags = {
                "gc_delay": "1secs", "disk_watch_interval": "0.5secs",
                "cgroups_root": cgroups_root, "usage_interval": "2secs",
            }
            await cluster.start_agent(AGENT_RESOURCES, **flags)
            await cluster.start_agent(AGENT_RESOURCES, **flags)
            start = samples(cluster)
            isolation = next(
                (line.split("isolation: ", 1)[1].strip()
                 for line in cluster.agents[0].log_path.read_text().splitlines()
                 if "isolation: " in line),
                "?",
            )
            stream = Stream(args.tasks, args.concurrency, min(args.warmup, args.tasks))
            info = mesos_pb2.FrameworkInfo(name="soak", user=os.environ.get("USER") or "root")
            driver = SchedulerDriver(stream, info, cluster.master_address)
            began = time.perf_counter()
            await driver.start()
            await stream.warm.wait()
            warm = samples(cluster)
            warm_at = time.perf_counter()
            next_report = warm_at + 30
            while not stream.done.is_set():
                try:
                    await asyncio.wait_for(stream.done.wait(), 5)
                except TimeoutError:
                    pass
                if not args.json and time.perf_counter() >= next_report:
                    next_report += 30
                    print(f"  {len(stream.ends)} of {args.tasks} tasks ended", flush=True)
            seconds = time.perf_counter() - began
            end = samples(cluster)
            await driver.stop()

            async def collected() -> bool:
                return (
                    leftover_processes(cluster) == 0
                    and all(leftover_sandboxes(a) == (0, 0) for a in cluster.agents)
                    and leftover_cgroups(cgroups_root) == 0
                )

            deadline = time.monotonic() + GC_TIMEOUT
            while not await collected() and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            after = samples(cluster)
            leftovers = {
                "processes": leftover_processes(cluster),
                "cgroups": leftover_cgroups(cgroups_root),
                "sandboxes": sum(leftover_sandboxes(a)[0] for a in cluster.agents),
                "checkpointed_executors": sum(leftover_sandboxes(a)[1] for a in cluster.agents),
            }
    remove_cgroup_roots(cgroups_root)
    growth = {
        name: {
            "rss_growth_after_warmup_pct": 100.0 * (end[name]["rss_mb"] / warm[name]["rss_mb"] - 1),
            "fds_growth_after_warmup": end[name]["fds"] - warm[name]["fds"],
        }
        for name in end
    }
    return {
        "tasks": args.tasks,
        "isolation": isolation,
        "concurrency": args.concurrency,
        "warmup_tasks": stream.warmup,
        "seconds": seconds,
        "tasks_per_second": args.tasks / seconds if seconds else 0.0,
        "ends": stream.ends.figures(),
        "start": start,
        "after_warmup": warm,
        "end": end,
        "after_gc": after,
        "growth": growth,
        "leftovers_after_gc": leftovers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks to run (100,000)")
    parser.add_argument("--concurrency", type=int, default=200, help="tasks in flight at most")
    parser.add_argument("--warmup", type=int, default=5_000, help="tasks before the baseline")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    ends = figures["ends"]
    assert isinstance(ends, dict)
    print(f"{figures['tasks']} 'true' tasks through 2 agents in {figures['seconds']:.0f} s "
          f"({figures['tasks_per_second']:.0f} tasks/s, {figures['concurrency']} in flight; "
          f"isolation {figures['isolation']})")
    print(f"ends: {ends['distinct_tasks_ended']} distinct task ids {ends['by_state']}; "
          f"{ends['retransmitted_updates']} retransmitted updates; "
          f"{ends['duplicate_terminal_updates']} duplicate terminal updates")
    print(f"{'process':<10} {'RSS MB: start':>14} {'warm':>8} {'end':>8} {'after GC':>9} "
          f"{'growth':>8}   {'fds: start':>10} {'warm':>5} {'end':>5} {'after GC':>9}")
    for name in figures["end"]:  # type: ignore[union-attr]
        s, w, e, a = (figures[k][name] for k in ("start", "after_warmup", "end", "after_gc"))  # type: ignore[index]
        g = figures["growth"][name]  # type: ignore[index]
        print(f"{name:<10} {s['rss_mb']:>14.1f} {w['rss_mb']:>8.1f} {e['rss_mb']:>8.1f} "
              f"{a['rss_mb']:>9.1f} {g['rss_growth_after_warmup_pct']:>+7.1f}%   "
              f"{s['fds']:>10.0f} {w['fds']:>5.0f} {e['fds']:>5.0f} {a['fds']:>9.0f}")
    left = figures["leftovers_after_gc"]
    assert isinstance(left, dict)
    print("left after GC: " + ", ".join(f"{v} {k}" for k, v in left.items()))


if __name__ == "__main__":
    main()
