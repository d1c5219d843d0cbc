"""A highly available cluster whose agents run on separate "hosts" (network namespaces).

`HostsCluster` is an `HACluster` (real ZooKeeper, masters elected through it, `kill -9`) whose
masters and ZooKeeper listen on the test's bridge address, and whose agents each run in a
network namespace of their own (tests/netns.py) with their own address: the agent dials the
masters through its veth, serves its Files API on its own address, and reports it to the
master, which frameworks, the TUI's log client and the test reach across the bridge.

`partition(host)` / `heal(host)` cut and restore one agent's link. `restart_agent` starts a
killed agent again on its host with the same flags (same id, work dir and port).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.cluster import Daemon, free_port, poll_until
from tests.e2e.harness import HACluster
from tests.netns import Host, HostNetwork
from tests.zk import ZooKeeperServer

# What a task's supervisor becomes once the task runs (daemons/agent/supervisor.py).
SUPERVISOR_CMDLINE = ["sleep", "2147483647"]


@dataclass
class AgentOnHost:
    daemon: Daemon
    host: Host

    @property
    def agent_id(self) -> str:
        assert self.daemon.agent_id is not None
        return self.daemon.agent_id

    @property
    def work_dir(self) -> Path:
        return self.daemon.work_dir


class HostsCluster(HACluster):
    def __init__(self, root: Path, zk: ZooKeeperServer, network: HostNetwork) -> None:
        super().__init__(root, zk)
        self.network = network
        self.master_ip = network.gateway
        self.on_hosts: list[AgentOnHost] = []

    async def start_agent_on(
        self, host: Host, resources: str = "cpus:4;mem:4096", **flags: object
    ) -> AgentOnHost:
        """An agent on `host` (its own namespace and address); waits until the leader lists it."""
        flags.setdefault("registration_backoff_factor", "0.1secs")
        if os.geteuid() == 0:
            # As in tests/cluster.py: the suite's frameworks run as the user running it.
            flags.setdefault("allow_root_tasks", "true")
        port = free_port()
        work_dir = self.root / f"agent-{host.name}"
        args = [
            "--master", self.zk_url, "--ip", host.address, "--port", str(port),
            "--hostname", host.name, "--work_dir", str(work_dir), "--resources", resources,
        ]
        args += [f"--{k}={v}" for k, v in flags.items() if v is not None]
        known = {a.agent_info.id.value for a in (await self.operator.agents()).agents}
        daemon = self._spawn(
            f"agent-{host.name}", "daemons.agent.main", port, work_dir, args,
            prefix=host.exec_prefix(), host=host.address,
        )
        self.agents.append(daemon)

        async def registered() -> str | None:
            self._check_alive(daemon)
            for a in (await self.operator.agents()).agents:
                if a.agent_info.id.value not in known:
                    return a.agent_info.id.value
            return None

        daemon.agent_id = await self._ready(daemon, registered, f"agent on {host.name} to register")
        on_host = AgentOnHost(daemon, host)
        self.on_hosts.append(on_host)
        return on_host

    async def restart_agent(self, agent: AgentOnHost) -> AgentOnHost:
        """Start a killed agent again on its host with the same flags; it recovers its
        checkpoint (same agent id) and re-registers. Does not wait for the master."""
        old = agent.daemon
        prefix_len = len(agent.host.exec_prefix())
        args = old.argv[prefix_len + 3 :]  # after `ip netns exec NS python -m module`
        daemon = self._spawn(
            f"{old.name}-again", "daemons.agent.main", old.port, old.work_dir, args,
            prefix=agent.host.exec_prefix(), host=agent.host.address,
        )
        daemon.agent_id = old.agent_id
        again = AgentOnHost(daemon, agent.host)
        self.on_hosts.append(again)
        return again

    async def wait_agent_active(self, agent_id: str, timeout: float = 60.0) -> None:
        async def active() -> bool:
            for a in (await self.operator.agents()).agents:
                if a.agent_info.id.value == agent_id and a.active:
                    return True
            return False

        await self._poll(active, timeout, f"agent {agent_id} to be registered and active")

    async def wait_agent_gone(self, agent_id: str, timeout: float = 60.0) -> None:
        async def gone() -> bool:
            ids = {a.agent_info.id.value for a in (await self.operator.agents()).agents}
            return agent_id not in ids

        await self._poll(gone, timeout, f"agent {agent_id} to be removed")

    def processes_by_host(self) -> dict[str, dict[str, list[int]]]:
        """task id -> {host name -> live pids of that task there} (by the sandbox's agent).
        A task's supervisor (daemons/agent/supervisor.py, which outlives the task until its
        agent has read the exit status) is not the task and is left out."""
        out: dict[str, dict[str, list[int]]] = {}
        for (_, tid), pids in self.task_processes().items():
            for p in pids:
                try:
                    proc = psutil.Process(p)
                    if proc.cmdline() == SUPERVISOR_CMDLINE:
                        continue
                    cwd = proc.cwd()
                except psutil.Error:
                    continue
                host = next(
                    (a.host.name for a in self.on_hosts if cwd.startswith(f"{a.work_dir}/")), "?"
                )
                out.setdefault(tid, {}).setdefault(host, []).append(p)
        return out


async def poll(check, timeout: float, what: str):  # noqa: ANN001, ANN201
    """`poll_until` for synchronous checks."""

    async def acheck():  # noqa: ANN202
        return check()

    return await poll_until(acheck, timeout, what)
