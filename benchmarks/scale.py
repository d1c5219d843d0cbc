"""Scale benchmark: the Mesos paper's emulated agents (up to 50,000) on one master.

For each N in `--sizes`: a real ZooKeeper, two masters contending (`--zk`), and N emulated
agents (benchmarks/emulated_agents.py: asyncio processes speaking the real AgentLink protocol,
`--per-process` agents each) registering through `zk://`. Printed per N:

- register: seconds from starting the emulators to every agent registered (the emulators
  report it; each counts its own agents);
- RSS: the leader's resident memory once all are registered;
- CPU at rest: the leader's CPU seconds per second over `--rest` seconds with N idle agents
  (health checks, allocation cycles, pongs);
- offer cycle: a framework subscribes and receives offers for every agent (seconds), and the
  master's own last allocation run (ms, its `allocator/mesos/allocation_run_ms` metric);
- launch overhead: ACCEPT sent to TASK_RUNNING received for one task (the emulated agent
  answers at once, so this is the master's and the framework's path);
- failover: `kill -9` of the leader to every agent re-registered with the new one, and how
  much of that came after the election (the ZooKeeper session, `--session` s, comes first).

A step that does not finish within its time limit is reported as such, and the sizes after it
are skipped (saying why): on a 2-core machine the emulators and the master share the cores.
Everything started (ZooKeeper, masters, emulators) is stopped when a size ends, when the run is
interrupted (Ctrl-C) and when it is terminated (SIGTERM, as `timeout` sends).

    python benchmarks/scale.py --sizes 1000,5000,10000
    python benchmarks/scale.py --sizes 50000 --timeout 600 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.failover import EventLog  # noqa: E402
from daemons.common.resources import Resources  # noqa: E402
from daemons.proto import master_pb2, mesos_pb2  # noqa: E402
from mesos_tui.client.scheduler import (  # noqa: E402
    DriverError,
    Scheduler,
    SchedulerDriver,
    offer_resources,
    task_info,
)
from tests.cluster import ClusterError  # noqa: E402
from tests.e2e.harness import HACluster, MasterProc, framework_info  # noqa: E402
from tests.zk import ZooKeeperServer, zookeeper_available  # noqa: E402

TASK = "cpus:0.5;mem:32"


class StepTimeout(Exception):
    pass


class OneTask(Scheduler):
    """Collects offers until it has seen every agent, keeping one and declining the rest for an
    hour; then (`launch`) runs one task on the kept offer, once the cluster is quiet again, so
    the launch overhead is the path's own and not the offer flood's."""

    def __init__(self, agents: int) -> None:
        self.agents = agents
        self.seen: set[str] = set()
        self.all_offered = asyncio.Event()
        self.kept: mesos_pb2.Offer | None = None
        self.accepted_at = 0.0
        self.running_at = 0.0
        self.running = asyncio.Event()

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        self.seen.update(o.agent_id.value for o in offers)
        rest = list(offers)
        if self.kept is None:
            for offer in rest:
                if offer_resources(offer).contains(Resources.parse(TASK)):
                    self.kept = offer
                    rest.remove(offer)
                    break
        if rest:
            await driver.decline(rest, mesos_pb2.Filters(refuse_seconds=3600))
        if len(self.seen) >= self.agents:
            self.all_offered.set()

    async def launch(self, driver: SchedulerDriver) -> None:
        assert self.kept is not None
        self.accepted_at = time.monotonic()
        task = task_info("probe", "probe", self.kept.agent_id, "emulated", Resources.parse(TASK))
        await driver.launch([self.kept], [task], mesos_pb2.Filters(refuse_seconds=3600))

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        if status.task_id.value == "probe" and status.state == mesos_pb2.TASK_RUNNING:
            if not self.running_at:
                self.running_at = time.monotonic()
            self.running.set()
        with contextlib.suppress(DriverError):  # the leader may be gone (the failover step)
            await driver.acknowledge(status)


async def _within(aw: Any, seconds: float, what: str) -> Any:
    try:
        return await asyncio.wait_for(aw, seconds)
    except (TimeoutError, ClusterError):
        raise StepTimeout(f"{what}: not within {seconds:g}s") from None


async def _all_registered(
    logs: list[EventLog], shares: list[int], master: str, after: float, limit: float, what: str,
    detail: dict[str, Any] | None = None,
) -> float:
    """Wait until every emulator says all its agents are registered with `master` (after
    wall-clock `after`); the latest such time. `detail` gets how many dials the agents needed
    and the longest wait of one dial for its answer."""
    times = []
    for log, share in zip(logs, shares, strict=True):
        event = await _within(
            log.wait(
                lambda e, share=share: e["event"] == "registered" and e["master"] == master
                and e["count"] == share and e["at"] > after,
                what, limit,
            ),
            limit + 5, what,
        )
        times.append(event["at"])
        if detail is not None:
            attempts = detail.setdefault("attempts", {})
            for k, v in (event.get("attempts") or {}).items():
                attempts[k] = attempts.get(k, 0) + v
            detail["max_wait"] = max(detail.get("max_wait", 0.0), event.get("max_wait") or 0.0)
            detail["first_dial"] = min(detail.get("first_dial", 1e18), event.get("first_dial") or 1e18)
    return max(times)


def _cpu_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


async def _metric(master: MasterProc, name: str) -> float:
    r = await master.operator.call(master_pb2.Call.GET_METRICS, timeout=60)
    return next((m.value for m in r.get_metrics.metrics if m.name == name), 0.0)


async def one_size(root: Path, n: int, ns: argparse.Namespace) -> dict[str, Any]:
    row: dict[str, Any] = {"agents": n}
    zk = ZooKeeperServer(root / "zk")
    zk.start()
    ha = HACluster(root / "cluster", zk)
    driver: SchedulerDriver | None = None
    try:
        leader = await ha.start_masters(
            2,
            quorum=1,
            zk_session_timeout=f"{ns.session}secs",
            agent_reregister_timeout="10mins",
            allocation_interval="1secs",
            agent_ping_timeout="15secs",
            heartbeat_interval="15secs",
            log_level=ns.log_level,
        )
        processes = max(1, math.ceil(n / ns.per_process))
        shares = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
        logs = []
        started = time.time()
        for i, share in enumerate(shares):
            proc = ha._spawn(
                f"emulated{i}", "benchmarks.emulated_agents", 0, ha.root / f"emulated{i}",
                ["--master", ha.zk_url, "--agents", str(share), "--tasks-per-agent", "1",
                 "--backoff", "1", "--first-index", str(sum(shares[:i]))],
            )
            logs.append(EventLog(proc.log_path))
        done = await _all_registered(
            logs, shares, leader.address, started, ns.timeout, f"{n} agents to register"
        )
        row["register_s"] = done - started
        pid = leader.daemon.proc.pid
        row["rss_mb"] = psutil.Process(pid).memory_info().rss / 2**20
        before = _cpu_seconds(pid)
        await asyncio.sleep(ns.rest)  # measuring the master at rest: nothing to wait for
        row["cpu_at_rest"] = (_cpu_seconds(pid) - before) / ns.rest

        scheduler = OneTask(n)
        driver = SchedulerDriver(scheduler, framework_info("scale"), ha.zk_url)
        subscribed = time.monotonic()
        await driver.start()
        await _within(scheduler.all_offered.wait(), ns.timeout, f"offers for all {n} agents")
        row["offer_cycle_s"] = time.monotonic() - subscribed
        row["allocation_run_ms"] = await _metric(leader, "allocator/mesos/allocation_run_ms")
        await asyncio.sleep(ns.rest)  # let the declines settle: the launch is measured at rest
        await scheduler.launch(driver)
        await _within(scheduler.running.wait(), ns.timeout, "the probe task to run")
        row["launch_overhead_s"] = scheduler.running_at - scheduler.accepted_at

        others = [m for m in ha.masters if m is not leader]
        pids = {"standby master": others[0].daemon.proc.pid} if others else {}
        pids.update({f"emulator {i}": ha.daemons[-len(shares) + i].proc.pid for i in range(len(shares))})
        cpu_before = {k: _cpu_seconds(v) for k, v in pids.items()}
        killed_at = time.time()
        leader.daemon.kill(signal.SIGKILL)
        new = await ha.leader(previous=leader.address, timeout=ns.timeout)
        elected = (await new.operator.call(master_pb2.Call.GET_MASTER)).get_master.elected_time
        detail: dict[str, Any] = {}
        back = await _all_registered(
            logs, shares, new.address, killed_at, ns.timeout, f"{n} agents to re-register", detail
        )
        row["failover_cpu_s"] = {k: round(_cpu_seconds(v) - cpu_before[k], 2) for k, v in pids.items()}
        row["failover_dials"] = detail.get("attempts")
        row["failover_max_wait_s"] = detail.get("max_wait")
        row["failover_first_dial_s"] = detail.get("first_dial", killed_at) - elected
        row["failover_s"] = back - killed_at
        row["after_election_s"] = back - elected
        return row
    finally:
        if driver is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(driver.stop(), 5)
        await ha.close()
        zk.stop()


COLUMNS = [
    ("agents", "agents", "{:>7d}"),
    ("register_s", "register", "{:>8.1f}s"),
    ("rss_mb", "RSS", "{:>6.0f}MB"),
    ("cpu_at_rest", "CPU/s rest", "{:>10.1%}"),
    ("offer_cycle_s", "offers all", "{:>9.2f}s"),
    ("allocation_run_ms", "alloc run", "{:>7.0f}ms"),
    ("launch_overhead_s", "launch", "{:>6.3f}s"),
    ("failover_s", "failover", "{:>7.2f}s"),
    ("after_election_s", "after elect", "{:>10.2f}s"),
]


def _print(row: dict[str, Any]) -> None:
    cells = []
    for key, title, fmt in COLUMNS:
        width = max(len(title), len(fmt.format(0) if "d" in fmt else fmt.format(0.0)))
        cells.append(fmt.format(row[key]).rjust(width) if key in row else "-".rjust(width))
    print("  ".join(cells) + (f"   stopped: {row['stopped']}" if "stopped" in row else ""),
          flush=True)


async def main_async(ns: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    header = "  ".join(
        title.rjust(max(len(title), len(fmt.format(0) if "d" in fmt else fmt.format(0.0))))
        for _, title, fmt in COLUMNS
    )
    if not ns.json:
        print(f"{psutil.cpu_count()} cores; session {ns.session:g}s; "
              f"{ns.per_process} emulated agents per process")
        print(header, flush=True)
    stop_reason = ""
    for n in ns.sizes:
        if stop_reason:
            row = {"agents": n, "stopped": f"skipped ({stop_reason})"}
        else:
            with contextlib.ExitStack() as stack:
                if ns.keep:
                    tmp = str(Path(ns.keep) / str(n))
                else:
                    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"scale-{n}-"))
                try:
                    row = await one_size(Path(tmp), n, ns)
                except StepTimeout as e:
                    stop_reason = f"{n} agents: {e}"
                    row = {"agents": n, "stopped": str(e)}
        rows.append(row)
        if not ns.json:
            _print(row)
    if ns.json:
        print(json.dumps(rows, indent=2))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000,20000,50000",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--per-process", type=int, default=12500,
                        help="emulated agents per emulator process")
    parser.add_argument("--session", type=float, default=10.0,
                        help="the masters' ZooKeeper session (s); Mesos's default is 10")
    parser.add_argument("--rest", type=float, default=5.0, help="seconds measured at rest")
    parser.add_argument("--timeout", type=float, default=300.0, help="limit of each step (s)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", metavar="DIR", help="keep the daemons' logs under DIR/N")
    parser.add_argument("--log-level", default="WARNING", help="the masters' --log_level")
    ns = parser.parse_args(argv)
    # The harness's own ZooKeeper client would say so each time a size's ZooKeeper stops.
    logging.basicConfig(level=logging.ERROR)
    why = zookeeper_available()
    if why:
        sys.exit(f"scale.py needs a ZooKeeper server: {why}")

    async def run() -> None:
        task = asyncio.current_task()
        assert task is not None
        # SIGTERM (`timeout`, a CI runner) unwinds like Ctrl-C: every `finally` stops what it
        # started, so no master, ZooKeeper or emulator outlives the benchmark.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await main_async(ns)

    try:
        asyncio.run(run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted; everything started was stopped")


if __name__ == "__main__":
    main()
