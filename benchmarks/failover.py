"""Failover benchmark: from `kill -9` of the leading master to every agent and framework
re-registered with the next one.

A real ZooKeeper (Debian's, as in the tests), three masters contending with `--session`
second sessions, two frameworks (scheduler drivers in this process, following the leader
through `zk://`), and either
  (a) `--real-agents` real agent daemons with `--tasks-per-agent` `sleep` tasks each, or
  (b) `--agents` emulated agents (benchmarks/emulated_agents.py: one separate asyncio process
      speaking the real AgentLink protocol) with `--tasks-per-agent` tasks each.
Each run kills the leader with SIGKILL, waits until the new leader lists every agent
re-registered and every framework re-subscribed (and still every task RUNNING), and reads the
times from the new leader itself (GET_MASTER elected_time, GET_AGENTS / GET_FRAMEWORKS
reregistered_time, all wall clock on this host), then restarts the killed master as a standby
for the next run. Figures are seconds after the kill; the median of the runs is printed.

    python benchmarks/failover.py                      # both scenarios, 3 runs each
    python benchmarks/failover.py --agents 1000 --tasks-per-agent 10 --real-agents 0 --json
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from daemons.common.resources import Resources  # noqa: E402
from daemons.proto import master_pb2, mesos_pb2  # noqa: E402
from mesos_tui.client.scheduler import (  # noqa: E402
    DriverError,
    Scheduler,
    SchedulerDriver,
    offer_resources,
    task_info,
)
from tests.cluster import poll_until  # noqa: E402
from tests.e2e.harness import HACluster, MasterProc, framework_info  # noqa: E402
from tests.zk import ZooKeeperServer, zookeeper_available  # noqa: E402

TASK = "cpus:1;mem:128"


class Launcher(Scheduler):
    """Launches its share of tasks on the offers that come, then suppresses offers."""

    def __init__(self, name: str, count: int, command: str) -> None:
        self.pending = collections.deque(f"{name}-{i}" for i in range(count))
        self.command = command
        self.need = Resources.parse(TASK)

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        unused = []
        for offer in offers:
            have = offer_resources(offer)
            batch = []
            while self.pending and have.contains(self.need):
                tid = self.pending.popleft()
                batch.append(task_info(tid, tid, offer.agent_id, self.command, self.need))
                have = have - self.need
            if not batch:
                unused.append(offer)
                continue
            try:
                await driver.launch([offer], batch, mesos_pb2.Filters(refuse_seconds=60))
            except DriverError:
                self.pending.extendleft(t.task_id.value for t in reversed(batch))
        with contextlib.suppress(DriverError):
            if unused:
                await driver.decline(unused, mesos_pb2.Filters(refuse_seconds=60))
            if not self.pending:
                await driver.suppress()


class EventLog:
    """The JSON lines the emulated agents print, read from their log as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.events: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        with contextlib.suppress(OSError), open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
            end = data.rfind(b"\n") + 1
            self.offset += end
            for line in data[:end].decode(errors="replace").splitlines():
                if line.startswith("{"):
                    with contextlib.suppress(ValueError):
                        self.events.append(json.loads(line))
        return self.events

    async def wait(self, predicate, what: str, timeout: float) -> dict[str, Any]:  # noqa: ANN001
        async def check() -> dict[str, Any] | None:
            return next((e for e in self.read() if predicate(e)), None)

        return await poll_until(check, timeout, what, interval=0.05)


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) each process has used so far."""
    out = {}
    for name, pid in pids.items():
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            out[name] = t.user + t.system
    return out


async def _metric(master: MasterProc, name: str) -> float:
    r = await master.operator.call(master_pb2.Call.GET_METRICS, timeout=30)
    return next((m.value for m in r.get_metrics.metrics if m.name == name), 0.0)


async def scenario(
    root: Path,
    *,
    real: bool,
    agents: int,
    tasks_per_agent: int,
    session: float,
    runs: int,
    driver_backoff_cap: float,
    agent_backoff: float,
    local_subchannels: bool = False,
    recheck: float | None = None,
) -> dict[str, Any]:
    zk = ZooKeeperServer(root / "zk")
    zk.start()
    ha = HACluster(root / "cluster", zk)
    drivers: list[SchedulerDriver] = []
    total = agents * tasks_per_agent
    timeout = 60.0 + agents * 0.05
    try:
        leader = await ha.start_masters(
            3,
            zk_session_timeout=f"{session}secs",
            agent_reregister_timeout="10mins",
            allocation_interval="0.2secs",
            agent_ping_timeout="15secs",
            heartbeat_interval="5secs",
            log_level="INFO",
        )
        resources = f"cpus:{tasks_per_agent};mem:{128 * tasks_per_agent}"
        emulated: EventLog | None = None
        if real:
            for _ in range(agents):
                await ha.start_agent(
                    resources,
                    registration_backoff_factor=f"{agent_backoff}secs",
                    status_update_retry_interval="1secs",
                )
        else:
            proc = ha._spawn(
                "emulated",
                "benchmarks.emulated_agents",
                0,
                ha.root / "emulated",
                [
                    "--master",
                    ha.zk_url,
                    "--agents",
                    str(agents),
                    "--tasks-per-agent",
                    str(tasks_per_agent),
                    "--backoff",
                    str(agent_backoff),
                ]
                + (["--local-subchannels"] if local_subchannels else [])
                + (["--recheck", str(recheck)] if recheck is not None else []),
            )
            emulated = EventLog(proc.log_path)
            await emulated.wait(
                lambda e: e["event"] == "registered" and e["master"] == leader.address,
                f"{agents} emulated agents to register",
                timeout,
            )
        command = "sleep 3600" if real else "emulated"
        split = [total // 2, total - total // 2]
        for name, count in zip(("bench-a", "bench-b"), split, strict=True):
            driver = SchedulerDriver(
                Launcher(name, count, command),
                framework_info(name, failover_timeout=3600),
                ha.zk_url,
                backoff_base=0.05,
                backoff_cap=driver_backoff_cap,
            )
            ha.drivers.append(driver)
            drivers.append(driver)
            await driver.start()
            await driver.wait_subscribed(timeout)

        async def all_running(master: MasterProc = leader) -> bool:
            return await _metric(master, "master/task_running") >= total

        started = time.monotonic()
        await poll_until(all_running, timeout, f"{total} tasks to run", interval=0.25)
        launch_seconds = time.monotonic() - started
        if emulated is not None:
            await emulated.wait(
                lambda e: e["event"] == "tasks" and e["running"] >= total,
                "every RUNNING update acknowledged",
                timeout,
            )

        results = []
        for run in range(runs):
            watched = {f"master{i}": m.daemon.proc.pid for i, m in enumerate(ha.masters)}
            watched["zookeeper"] = zk.proc.pid if zk.proc else 0
            watched["this process (drivers)"] = os.getpid()
            if emulated is not None:
                watched["emulated agents"] = proc.proc.pid
            cpu_before = _cpu(watched)
            killed_at = time.time()
            leader.daemon.kill(signal.SIGKILL)
            new = await ha.leader(previous=leader.address, timeout=timeout)
            if emulated is not None:
                await emulated.wait(
                    lambda e, at=new.address, t=killed_at: (
                        e["event"] == "registered" and e["master"] == at and e["at"] > t
                    ),
                    "every emulated agent re-registered",
                    timeout,
                )
            else:

                async def agents_back(new: MasterProc = new) -> bool:
                    got = (await new.operator.agents()).agents
                    return sum(1 for a in got if a.active) == agents

                await poll_until(agents_back, timeout, "the agents to re-register", interval=0.05)

            async def frameworks_back(new: MasterProc = new) -> bool:
                fws = (await new.operator.frameworks()).frameworks
                return sum(1 for f in fws if f.connected) == len(drivers)

            await poll_until(
                frameworks_back, timeout, "the frameworks to re-subscribe", interval=0.05
            )
            observed = time.time() - killed_at
            cpu_after = _cpu(watched)
            cpu = {
                (name + (" (new leader)" if watched[name] == new.daemon.proc.pid else "")): round(
                    cpu_after[name] - cpu_before[name], 2
                )
                for name in cpu_after
                if name in cpu_before
            }
            elected = (await new.operator.call(master_pb2.Call.GET_MASTER)).get_master.elected_time
            got_agents = (await new.operator.agents()).agents
            got_fws = (await new.operator.frameworks()).frameworks
            running = await _metric(new, "master/task_running")
            if running < total:
                raise AssertionError(
                    f"only {running:g} of {total} tasks RUNNING after the failover"
                )
            agent_times = [a.reregistered_time.nanoseconds / 1e9 for a in got_agents]
            fw_times = [
                (f.reregistered_time.nanoseconds or f.registered_time.nanoseconds) / 1e9
                for f in got_fws
            ]
            row = {
                "run": run + 1,
                "elected": elected - killed_at,
                "agents": max(agent_times) - killed_at,
                "agents_first": min(agent_times) - killed_at,
                "agents_p50": statistics.median(agent_times) - killed_at,
                "agents_p90": sorted(agent_times)[int(0.9 * (len(agent_times) - 1))] - killed_at,
                "frameworks": max(fw_times) - killed_at,
                "all": max(agent_times + fw_times) - killed_at,
                "observed": observed,
                "tasks_running": int(running),
                "cpu_seconds": cpu,
            }
            row["after_election"] = row["all"] - row["elected"]
            results.append(row)
            ha.restart_master(leader)
            leader = new
        medians = {
            k: statistics.median(r[k] for r in results)
            for k in ("elected", "agents", "frameworks", "all", "after_election")
        }
        return {
            "scenario": "real" if real else "emulated",
            "agents": agents,
            "tasks_per_agent": tasks_per_agent,
            "tasks": total,
            "frameworks": len(drivers),
            "session_seconds": session,
            "launch_seconds": launch_seconds,
            "runs": results,
            "median": medians,
        }
    finally:
        for d in drivers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(d.stop(failover=True), 5)
        ha.drivers.clear()
        await ha.close()
        zk.stop()


def _print(result: dict[str, Any]) -> None:
    m = result["median"]
    what = "real agent daemons" if result["scenario"] == "real" else "emulated agents"
    print(
        f"{result['agents']} {what} x {result['tasks_per_agent']} tasks "
        f"({result['tasks']} RUNNING), {result['frameworks']} frameworks, "
        f"ZooKeeper session {result['session_seconds']:g} s; tasks launched in "
        f"{result['launch_seconds']:.1f} s"
    )
    print("  run  elected  agents first / p50 / p90 / last  frameworks    all  all-elected")
    for r in result["runs"]:
        print(
            f"  {r['run']:>3}  {r['elected']:6.2f}s  {r['agents_first']:6.2f} / "
            f"{r['agents_p50']:5.2f} / {r['agents_p90']:5.2f} / {r['agents']:5.2f}s"
            f"   {r['frameworks']:8.2f}s {r['all']:6.2f}s  {r['after_election']:8.2f}s"
        )
    for r in result["runs"]:
        print(
            f"  run {r['run']} CPU s from the kill to all back ({r['observed']:.1f} s): "
            + ", ".join(f"{k} {v:g}" for k, v in r["cpu_seconds"].items())
        )
    print(
        f"  median: elected {m['elected']:.2f} s, all re-registered {m['all']:.2f} s after the kill "
        f"= session {result['session_seconds']:g} s + {m['all'] - result['session_seconds']:.2f} s "
        f"({m['after_election']:.2f} s after the election)"
    )


async def main_async(ns: argparse.Namespace) -> list[dict[str, Any]]:
    out = []
    with contextlib.ExitStack() as stack:
        if ns.work_dir:
            tmp = ns.work_dir
            Path(tmp).mkdir(parents=True, exist_ok=True)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="failover-bench-"))
        plans = []
        if ns.real_agents:
            plans.append((True, ns.real_agents, ns.real_tasks_per_agent))
        if ns.agents:
            plans.append((False, ns.agents, ns.tasks_per_agent))
        for i, (real, agents, k) in enumerate(plans):
            result = await scenario(
                Path(tmp) / f"s{i}",
                real=real,
                agents=agents,
                tasks_per_agent=k,
                session=ns.session,
                runs=ns.runs,
                driver_backoff_cap=ns.driver_backoff_cap,
                agent_backoff=ns.agent_backoff,
                local_subchannels=ns.local_subchannels,
                recheck=ns.recheck,
            )
            out.append(result)
            if not ns.json:
                _print(result)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--agents", type=int, default=1000, help="emulated agents (0: skip)")
    p.add_argument("--tasks-per-agent", type=int, default=10)
    p.add_argument("--real-agents", type=int, default=3, help="real agent daemons (0: skip)")
    p.add_argument("--real-tasks-per-agent", type=int, default=5)
    p.add_argument("--session", type=float, default=3.0, help="ZooKeeper session timeout, s")
    p.add_argument("--runs", type=int, default=3, help="failovers per scenario")
    p.add_argument(
        "--agent-backoff",
        type=float,
        default=1.0,
        help="agents' registration back-off factor, s (Mesos's default is 1)",
    )
    p.add_argument(
        "--driver-backoff-cap",
        type=float,
        default=0.5,
        help="the scheduler drivers' reconnection back-off cap, s",
    )
    p.add_argument(
        "--local-subchannels",
        action="store_true",
        help="emulated agents: one gRPC subchannel pool per channel",
    )
    p.add_argument(
        "--recheck",
        type=float,
        default=None,
        help="emulated agents: ZooKeeperDetector.RECHECK in seconds (default: its own, 2)",
    )
    p.add_argument("--work-dir", default="", help="keep every process's log here")
    p.add_argument("--json", action="store_true")
    ns = p.parse_args(argv)
    why = zookeeper_available()
    if why is not None:
        sys.exit(f"failover benchmark: {why}")
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    results = asyncio.run(main_async(ns))
    if ns.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
