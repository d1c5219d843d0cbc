"""Separate "hosts" on one machine for tests: each agent in its own network namespace.

`HostNetwork` builds, for one test run, a bridge in the test's own namespace holding
`10.200.X.1/24` (X chosen free at random, so concurrent runs do not collide) and, per host,
a network namespace joined to the bridge by a veth pair, with its own address `10.200.X.N`.
Masters and ZooKeeper listen on the bridge address; agents run inside their namespace
(`ip netns exec`), reach the masters through their veth, and serve their Files API on their
own address, which the test, the TUI's clients and the frameworks reach through the bridge.

`Host.cut()` puts the host's end of its veth down (every packet to and from that host is
dropped: a network partition, with no RST and no FIN); `Host.restore()` brings it back.

Every name carries a random run id (`mt<id>...`). `close()` removes the namespaces, veths and
bridge, and is safe to call twice; the `host_network` fixture calls it however the test ends.
It needs root (CAP_NET_ADMIN) and `ip`; `unavailable()` says why it cannot run here.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field


def unavailable() -> str | None:
    """None when namespaced hosts can be built here, else why not."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    return None


def _ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    argv = ["ip", *args] if netns is None else ["ip", "netns", "exec", netns, "ip", *args]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` failed: {r.stderr.strip()}")
    return r.stdout


@dataclass
class Host:
    """One "machine": a network namespace with one address on the test's bridge."""

    name: str  # also the hostname its agent reports
    netns: str
    address: str
    veth_host: str  # the end in the test's namespace (on the bridge)
    cut_count: int = 0

    def exec_prefix(self) -> list[str]:
        """Prefix an argv with this to run it on this host."""
        return ["ip", "netns", "exec", self.netns]

    def cut(self) -> None:
        """Partition the host: its link goes down, packets both ways are dropped."""
        _ip("link", "set", self.veth_host, "down")
        self.cut_count += 1

    def restore(self) -> None:
        _ip("link", "set", self.veth_host, "up")


@dataclass
class HostNetwork:
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    subnet: int = -1
    hosts: list[Host] = field(default_factory=list)
    _bridge: str = ""

    @property
    def gateway(self) -> str:
        """The test's own address on the bridge: where masters and ZooKeeper listen."""
        return f"10.200.{self.subnet}.1"

    def create(self) -> HostNetwork:
        used = _ip("-o", "-4", "addr", "show")
        free = [x for x in range(256) if f" 10.200.{x}." not in used]
        if not free:
            raise RuntimeError("no free 10.200.X.0/24 subnet for the test's hosts")
        self.subnet = random.choice(free)
        self._bridge = f"mtb{self.run_id}"
        _ip("link", "add", self._bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self._bridge)
        _ip("link", "set", self._bridge, "up")
        return self

    def add_host(self, name: str) -> Host:
        index = len(self.hosts) + 1
        netns = f"mt{self.run_id}-{name}"
        veth_host = f"mtv{self.run_id}{index}h"
        veth_peer = f"mtv{self.run_id}{index}a"
        address = f"10.200.{self.subnet}.{10 + index}"
        _ip("netns", "add", netns)
        host = Host(name, netns, address, veth_host)
        self.hosts.append(host)
        _ip("link", "add", veth_host, "type", "veth", "peer", "name", veth_peer)
        _ip("link", "set", veth_peer, "netns", netns)
        _ip("link", "set", veth_host, "master", self._bridge)
        _ip("link", "set", veth_host, "up")
        _ip("link", "set", "lo", "up", netns=netns)
        _ip("link", "set", veth_peer, "name", "eth0", netns=netns)
        _ip("addr", "add", f"{address}/24", "dev", "eth0", netns=netns)
        _ip("link", "set", "eth0", "up", netns=netns)
        return host

    def close(self) -> None:
        """Remove every namespace, veth and the bridge this run made (idempotent)."""
        for host in self.hosts:
            _ip("link", "del", host.veth_host, check=False)
            _ip("netns", "del", host.netns, check=False)
        self.hosts = []
        if self._bridge:
            _ip("link", "del", self._bridge, check=False)
            self._bridge = ""

    def leftovers(self) -> list[str]:
        """Names of this run's links or namespaces still present (for the clean-up test)."""
        links = _ip("-o", "link", "show")
        spaces = _ip("netns", "list")
        tag = f"mt{self.run_id}"
        found = [w for w in links.split() if tag in w]
        found += [line.split()[0] for line in spaces.splitlines() if tag in line]
        return found
