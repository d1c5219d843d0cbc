"""A highly available cluster for end-to-end tests: real ZooKeeper, several masters, agents
and frameworks that find the leader through `zk://`, and `kill -9`.

`HACluster` extends `tests.cluster.Cluster` (same process spawning, logs and clean-up: every
process it starts carries the cluster's token, every task runs under its root, and `close()`
kills them all) with:

- `start_masters(n)`: n masters contending in ZooKeeper (3 s sessions), and `leader()`, which
  waits until exactly one of them answers GET_MASTER as elected and the ZooKeeper leader znode
  names it;
- `start_agent(...)`: an agent given `--master zk://...`;
- `framework(...)`: a `TaskLauncher` (a `RecordingScheduler` that launches the tasks it is
  given as offers come) under a driver that follows the leader through ZooKeeper;
- `spawn_framework(...)`: the same framework in its own process (`python -m
  tests.e2e.harness framework ...`), printing one JSON line per event, to `kill -9` it;
- `task_processes(...)`: the live processes of each task (psutil, by MESOS_TASK_ID).

Nothing here sleeps to synchronise: every wait polls a condition against a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
import psutil
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

from daemons.common.resources import Resources
from daemons.common.zookeeper import ZooKeeperDetector
from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.scheduler import (
    DriverError,
    SchedulerDriver,
    offer_resources,
    task_info,
)
from tests.cluster import (
    Cluster,
    ClusterError,
    Daemon,
    OperatorClient,
    RecordingScheduler,
    free_port,
    poll_until,
)
from tests.zk import ZooKeeperServer

T = TypeVar("T")

SESSION = "3secs"
TASK_RESOURCES = "cpus:0.1;mem:16"
# Long enough for a failover on a loaded 2-core machine (3 s session + elections + retries).
FAILOVER_TIMEOUT = 30.0
EVENT_PREFIX = "EVENT "


def running_ids(tasks: master_pb2.Response.GetTasks) -> set[str]:
    return {t.task_id.value for t in tasks.tasks if t.state == mesos_pb2.TASK_RUNNING}


@dataclass
class MasterProc:
    daemon: Daemon
    operator: OperatorClient

    @property
    def address(self) -> str:
        return self.daemon.address


class HACluster(Cluster):
    """ZooKeeper-elected masters, agents and frameworks for one test."""

    def __init__(self, root: Path, zk: ZooKeeperServer) -> None:
        super().__init__(root)
        self.zk = zk
        self.zk_url = zk.url("/mesos")
        self.masters: list[MasterProc] = []
        self.master_ip = "127.0.0.1"  # where masters listen (tests/e2e/hosts.py: a bridge)
        self._master_flags: dict[str, object] = {}
        self._detector: ZooKeeperDetector | None = None

    # ------------------------------------------------------------------------- masters

    async def start_masters(self, n: int = 3, **flags: object) -> MasterProc:
        """Start `n` masters contending in ZooKeeper; answer the elected one."""
        defaults: dict[str, object] = {
            "quorum": 2,
            "zk_session_timeout": SESSION,
            "agent_reregister_timeout": "10secs",
            "allocation_interval": "0.1secs",
            "agent_ping_timeout": "1secs",
            "max_agent_ping_timeouts": 5,
            "heartbeat_interval": "1secs",
        }
        defaults.update(flags)
        self._master_flags = defaults
        for _ in range(n):
            self.spawn_master()
        return await self.leader()

    def spawn_master(self, port: int | None = None, index: int | None = None) -> MasterProc:
        """Start one more master (or restart one on its old port)."""
        index = len(self.masters) if index is None else index
        port = port or free_port()
        work_dir = self.root / f"master{index}"
        args = [
            "--ip",
            self.master_ip,
            "--port",
            str(port),
            "--work_dir",
            str(work_dir),
            "--zk",
            self.zk_url,
        ]
        args += [f"--{k}={v}" for k, v in self._master_flags.items() if v is not None]
        daemon = self._spawn(
            f"master{index}", "daemons.master.main", port, work_dir, args, host=self.master_ip
        )
        proc = MasterProc(daemon, OperatorClient(daemon.address))
        if index < len(self.masters):
            old = self.masters[index]
            self.masters[index] = proc
            asyncio.get_running_loop().create_task(old.operator.close())
        else:
            self.masters.append(proc)
        return proc

    def restart_master(self, dead: MasterProc) -> MasterProc:
        """A killed master comes back on its port (a standby now)."""
        if dead.daemon.alive:
            raise ClusterError(f"{dead.daemon.name} is still running")
        return self.spawn_master(dead.daemon.port, self.masters.index(dead))

    @property
    def detector(self) -> ZooKeeperDetector:
        if self._detector is None:
            self._detector = ZooKeeperDetector(self.zk_url, session_timeout=5.0)
        return self._detector

    async def leader(
        self, previous: str | None = None, timeout: float = FAILOVER_TIMEOUT
    ) -> MasterProc:
        """The elected master (other than `previous`): ZooKeeper's leader znode names it and
        it answers GET_MASTER with an election time, while every other live master does not."""

        async def check() -> MasterProc | None:
            detected = self.detector.leader
            if detected is None or detected == previous:
                return None
            elected = await self.elected_masters()
            if len(elected) == 1 and elected[0].address == detected:
                # The base class's helpers (`operator`, `master`) follow the leader.
                self.master = elected[0].daemon
                self._operator = elected[0].operator
                return elected[0]
            return None

        # Start the detector so its watch is set before the first check.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.detector.detect(previous), 0.01)
        return await self._poll(
            check,
            timeout,
            "a leader to be elected" + (f" other than {previous}" if previous else ""),
        )

    async def _poll(self, check: Callable[[], Awaitable[T | None]], timeout: float, what: str) -> T:
        try:
            return await poll_until(check, timeout, what, interval=0.05)
        except ClusterError as e:
            raise ClusterError(f"{e}\n{self.logs()}") from None

    # ------------------------------------------------------------------------- agents

    def agent_master(self) -> str:
        return self.zk_url  # agents find the leader through ZooKeeper

    async def start_agent(  # type: ignore[override]
        self, resources: str = "cpus:8;mem:8192", *, wait: bool = True, **flags: object
    ) -> Daemon:
        """An agent that finds the leader through ZooKeeper; waits until the leader lists it."""
        flags.setdefault("registration_backoff_factor", "0.2secs")
        return await super().start_agent(resources, wait=wait, **flags)

    # ------------------------------------------------------------------------- frameworks

    async def framework(  # type: ignore[override]
        self,
        name: str = "test",
        scheduler: RecordingScheduler | None = None,
        *,
        role: str = "*",
        capabilities: Iterable[int] = (),
        failover_timeout: float = 60.0,
        implicit_acknowledgements: bool = True,
    ) -> tuple[SchedulerDriver, TaskLauncher]:
        """A framework in this process whose driver follows the leader through ZooKeeper."""
        launcher = scheduler if isinstance(scheduler, TaskLauncher) else TaskLauncher()
        info = framework_info(name, role, failover_timeout, capabilities)
        driver = SchedulerDriver(
            launcher,
            info,
            self.zk_url,
            implicit_acknowledgements=implicit_acknowledgements,
            backoff_base=0.05,
            backoff_cap=0.5,
        )
        self.drivers.append(driver)
        await driver.start()
        await driver.wait_subscribed(FAILOVER_TIMEOUT)
        return driver, launcher

    def spawn_framework(
        self,
        name: str,
        *,
        tasks: int = 0,
        failover_timeout: float = 60.0,
        framework_id: str | None = None,
        command: str = "sleep 600",
    ) -> FrameworkProc:
        """The framework of `main()` below, in its own process."""
        index = sum(1 for d in self.daemons if d.name.startswith(f"fw-{name}"))
        args = [
            "framework",
            "--master",
            self.zk_url,
            "--name",
            name,
            "--tasks",
            str(tasks),
            "--failover-timeout",
            str(failover_timeout),
            "--command",
            command,
        ]
        if framework_id:
            args += ["--framework-id", framework_id]
        work_dir = self.root / f"fw-{name}-{index}"
        daemon = self._spawn(f"fw-{name}-{index}", "tests.e2e.harness", 0, work_dir, args)
        return FrameworkProc(daemon)

    # ------------------------------------------------------------------------- checks

    async def wait_leader_state(
        self,
        predicate: Callable[[master_pb2.Response.GetState], T | None],
        what: str,
        timeout: float = FAILOVER_TIMEOUT,
    ) -> T:
        """Poll the current leader's GET_STATE until `predicate` holds."""

        async def check() -> T | None:
            try:
                return predicate(await self.operator.state())
            except grpc.aio.AioRpcError as e:
                # Leadership moved on its own (a session lost under load, which ZooKeeper's
                # README says to tolerate): follow it.
                if e.code() == grpc.StatusCode.UNAVAILABLE:
                    elected = await self.elected_masters()
                    if len(elected) == 1:
                        self.master = elected[0].daemon
                        self._operator = elected[0].operator
                raise

        return await self._poll(check, timeout, what)

    async def zk_connections(self) -> int:
        """Client connections ZooKeeper holds now (`mntr`; counting the asking one)."""

        def ask() -> int:
            with socket.create_connection(("127.0.0.1", self.zk.port), timeout=2) as s:
                s.sendall(b"mntr")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
            for line in data.decode().splitlines():
                key, _, value = line.partition("\t")
                if key == "zk_num_alive_connections":
                    return int(value)
            return 0

        try:
            return await asyncio.to_thread(ask)
        except OSError:
            return 0

    async def elected_masters(self) -> list[MasterProc]:
        """The live masters that answer GET_MASTER with an election time."""
        elected = []
        for m in self.masters:
            if not m.daemon.alive:
                continue
            with contextlib.suppress(grpc.aio.AioRpcError):
                r = await m.operator.call(master_pb2.Call.GET_MASTER, timeout=1.0)
                if r.get_master.elected_time > 0:
                    elected.append(m)
        return elected

    async def registry(self) -> dict[str, Any]:
        """The masters' registry of admitted agents, as stored in ZooKeeper."""

        def read() -> dict[str, Any]:
            client = KazooClient(hosts=self.zk.hosts, timeout=5.0)
            client.start(timeout=10)
            try:
                data, _ = client.get(f"{self.detector.path}/registry")
            except NoNodeError:
                return {"agents": {}, "unreachable": {}}
            finally:
                client.stop()
                client.close()
            return json.loads(zlib.decompress(data))

        return await asyncio.to_thread(read)

    async def wait_registry_agents(self, agent_ids: Iterable[str]) -> None:
        """Wait until the registry in ZooKeeper lists `agent_ids` (its writes are batched)."""
        want = set(agent_ids)

        async def check() -> bool:
            return want <= set((await self.registry()).get("agents", {}))

        await self._poll(check, FAILOVER_TIMEOUT, f"the registry to list agents {sorted(want)}")

    def task_processes(self) -> dict[tuple[str, str], list[int]]:
        """(framework id, task id) -> pids of the live processes of that task, for every task
        process under this cluster's root."""
        root = str(self.root)
        found: dict[tuple[str, str], list[int]] = {}
        for p in psutil.process_iter(["pid", "cwd", "environ", "status"]):
            info = p.info
            cwd = info.get("cwd") or ""
            env = info.get("environ") or {}
            if not cwd.startswith(root) or "MESOS_TASK_ID" not in env:
                continue
            if info.get("status") == psutil.STATUS_ZOMBIE:
                continue
            key = (env.get("MESOS_FRAMEWORK_ID", ""), env["MESOS_TASK_ID"])
            found.setdefault(key, []).append(info["pid"])
        return found

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            for m in self.masters:
                with contextlib.suppress(Exception):
                    await m.operator.close()
            if self._detector is not None:
                self._detector.close()
                self._detector = None


def framework_info(
    name: str, role: str = "*", failover_timeout: float = 60.0, capabilities: Iterable[int] = ()
) -> mesos_pb2.FrameworkInfo:
    info = mesos_pb2.FrameworkInfo(
        name=name,
        user=os.environ.get("USER") or "root",
        role=role,
        failover_timeout=failover_timeout,
    )
    for cap in capabilities:
        info.capabilities.add(type=cap)  # type: ignore[arg-type]
    return info


class TaskLauncher(RecordingScheduler):
    """Records every callback (as `RecordingScheduler`) and launches the tasks `submit`ted to
    it on the offers that come, as many per offer as fit; declines the rest briefly."""

    def __init__(self, resources: str = TASK_RESOURCES) -> None:
        super().__init__()
        self.resources = resources
        self.pending: list[tuple[str, str]] = []
        self.launched: dict[str, str] = {}  # task id -> agent id

    async def submit(
        self, driver: SchedulerDriver, task_ids: Iterable[str], command: str = "sleep 600"
    ) -> None:
        self.pending.extend((tid, command) for tid in task_ids)
        with contextlib.suppress(DriverError):
            await driver.revive()

    async def offers(self, driver, offers) -> None:  # type: ignore[override]
        await super().offers(driver, offers)
        need = Resources.parse(self.resources)
        unused = []
        for offer in offers:
            have = offer_resources(offer)
            batch = []
            while self.pending and have.contains(need):
                tid, command = self.pending.pop(0)
                batch.append(task_info(tid, tid, offer.agent_id, command, need))
                have = have - need
            if not batch:
                unused.append(offer)
                continue
            try:
                await driver.launch([offer], batch, mesos_pb2.Filters(refuse_seconds=0.2))
            except DriverError:
                # The master went away: launch them again on the next leader's offers.
                self.pending[:0] = [(t.task_id.value, t.command.value) for t in batch]
                continue
            for t in batch:
                self.launched[t.task_id.value] = offer.agent_id.value
        if unused:
            with contextlib.suppress(DriverError):
                await driver.decline(unused, mesos_pb2.Filters(refuse_seconds=1.0))


# ----------------------------------------------------------------------------- subprocess


@dataclass
class FrameworkProc:
    """A framework in its own process (see `main`); its events are JSON lines in its log."""

    daemon: Daemon

    def events(self) -> list[dict[str, Any]]:
        try:
            text = self.daemon.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [
            json.loads(line[len(EVENT_PREFIX) :])
            for line in text.splitlines()
            if line.startswith(EVENT_PREFIX)
        ]

    async def wait_event(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        what: str,
        timeout: float = FAILOVER_TIMEOUT,
    ) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            for e in self.events():
                if predicate(e):
                    return e
            if not self.daemon.alive:
                raise ClusterError(
                    f"{self.daemon.name} exited ({self.daemon.proc.returncode}) before {what}:\n"
                    + self.daemon.log_tail()
                )
            return None

        try:
            return await poll_until(check, timeout, what)
        except ClusterError as e:
            raise ClusterError(
                f"{e}\n--- {self.daemon.name} ---\n{self.daemon.log_tail()}"
            ) from None

    def kill(self) -> None:
        self.daemon.kill(signal.SIGKILL)


def _emit(kind: str, **fields: Any) -> None:
    fields["event"] = kind
    fields["at"] = time.time()
    print(EVENT_PREFIX + json.dumps(fields, sort_keys=True), flush=True)


class _Reporting(TaskLauncher):
    async def subscribed(self, driver, framework_id, master_info) -> None:  # type: ignore[override]
        await super().subscribed(driver, framework_id, master_info)
        _emit("subscribed", framework_id=framework_id.value, master=driver.master)

    async def update(self, driver, status) -> None:  # type: ignore[override]
        await super().update(driver, status)
        _emit(
            "update",
            task_id=status.task_id.value,
            state=mesos_pb2.TaskState.Name(status.state),
            reason=mesos_pb2.TaskStatus.Reason.Name(status.reason),
        )

    async def disconnected(self, driver) -> None:  # type: ignore[override]
        await super().disconnected(driver)
        _emit("disconnected")


async def _framework(ns: argparse.Namespace) -> None:
    """Subscribe (with `--framework-id`: as that framework, then reconcile its tasks), launch
    `--tasks` tasks, and run until killed."""
    info = framework_info(ns.name, failover_timeout=ns.failover_timeout)
    if ns.framework_id:
        info.id.value = ns.framework_id
    scheduler = _Reporting()
    driver = SchedulerDriver(scheduler, info, ns.master, backoff_base=0.05, backoff_cap=0.5)
    await driver.start()
    await driver.wait_subscribed()
    if ns.framework_id:
        while True:
            try:
                await driver.reconcile()
                _emit("reconcile_sent")
                break
            except DriverError:
                await driver.wait_subscribed()
    if ns.tasks:
        ids = [f"{ns.name}-{i}" for i in range(ns.tasks)]
        await scheduler.submit(driver, ids, ns.command)
    await driver.run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.harness")
    sub = parser.add_subparsers(dest="what", required=True)
    fw = sub.add_parser("framework", help="a framework that launches sleep tasks")
    fw.add_argument("--master", required=True)
    fw.add_argument("--name", required=True)
    fw.add_argument("--tasks", type=int, default=0)
    fw.add_argument("--failover-timeout", type=float, default=60.0)
    fw.add_argument("--framework-id", default="")
    fw.add_argument("--command", default="sleep 600")
    ns = parser.parse_args(argv)
    import logging

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname).1s %(name)s: %(message)s",
    )
    asyncio.run(_framework(ns))


if __name__ == "__main__":
    main()
