"""ZooKeeper master detection, in Mesos's own znode layout.

The protocol, in plain words: every master that wants to lead creates an EPHEMERAL|SEQUENCE
znode `<path>/json.info_<10 digits>` holding its MasterInfo as JSON. The master whose znode
has the lowest sequence number leads. When a master dies its session ends, its znode goes,
and the next lowest leads. A detector watches the children of `<path>` and reads the lowest
`json.info_` znode to learn the leader's `address.ip` and `address.port`. Because the layout
and JSON are Mesos's, Mesos's own tools find the leader too.

kazoo runs its own threads; everything here hands results back to the asyncio loop with
`call_soon_threadsafe`, so callers stay on their loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import NoNodeError
from kazoo.retry import KazooRetry

from daemons.common.detector import (  # noqa: F401 (DetectorError, parse_zk_url: re-exported)
    DetectorError,
    MasterDetector,
    parse_zk_url,
)

log = logging.getLogger("mesos.zookeeper")

PREFIX = "json.info_"
DEFAULT_SESSION_TIMEOUT = 10.0
def sequence_of(name: str) -> int:
    try:
        return int(name[len(PREFIX):])
    except ValueError:
        return -1


def leader_child(children: list[str]) -> str | None:
    """The znode of the leader among `children`: the lowest json.info_ sequence."""
    candidates = [c for c in children if c.startswith(PREFIX) and sequence_of(c) >= 0]
    return min(candidates, key=sequence_of) if candidates else None


def address_of(data: bytes) -> str | None:
    """`ip:port` from a MasterInfo JSON znode."""
    try:
        info = json.loads(data.decode())
        address = info.get("address") or {}
        ip = address.get("ip") or info.get("hostname")
        port = address.get("port") or info.get("port")
        if ip and port:
            return f"{ip}:{int(port)}"
    except (ValueError, UnicodeDecodeError, AttributeError):
        pass
    return None


def make_client(hosts: str, session_timeout: float) -> KazooClient:
    return KazooClient(
        hosts=hosts,
        timeout=session_timeout,
        connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=1.0),
        command_retry=KazooRetry(max_tries=3, delay=0.1, max_delay=1.0),
    )


class LeaderWatch:
    """Watches `<path>` and calls `on_leader(address, znode)` (from kazoo's thread) whenever
    the lowest json.info_ znode changes; (None, None) while there is no leader."""

    def __init__(
        self, client: KazooClient, path: str,
        on_leader: Callable[[str | None, str | None], None],
    ) -> None:
        self.client = client
        self.path = path
        self.on_leader = on_leader
        self._last: tuple[str | None, str | None] = (None, None)
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Call once the client is connected (from any thread)."""
        if self._started:
            return
        self._started = True
        self.client.ensure_path(self.path)
        self.client.ChildrenWatch(self.path, self._children, send_event=False)

    def _children(self, children: list[str]) -> bool:
        child = leader_child(children)
        address = None
        while child is not None:
            try:
                data, _stat = self.client.get(f"{self.path}/{child}")
                address = address_of(data)
                break
            except NoNodeError:
                # It went between the listing and the read: take the next one.
                children = [c for c in children if c != child]
                child = leader_child(children)
            except Exception as e:  # connection trouble: the next watch event retries
                log.debug("Could not read leader znode %s: %s", child, e)
                return True
        with self._lock:
            if (address, child) != self._last:
                self._last = (address, child)
                self.on_leader(address, child)
        return True

    def refresh(self) -> None:
        try:
            self._children(self.client.get_children(self.path))
        except Exception as e:
            log.debug("Could not list %s: %s", self.path, e)


class ZooKeeperDetector(MasterDetector):
    """Finds the leading master under `zk://hosts/path`."""

    RECHECK = 2.0  # detect(previous) answers the same leader again after this long

    def __init__(self, url: str, session_timeout: float = DEFAULT_SESSION_TIMEOUT) -> None:
        self.hosts, self.path = parse_zk_url(url)
        self.url = url
        self.session_timeout = session_timeout
        self.leader: str | None = None
        self._client: KazooClient | None = None
        self._watch: LeaderWatch | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    def _ensure_started(self) -> None:
        if self._client is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._client = make_client(self.hosts, self.session_timeout)
        self._watch = LeaderWatch(self._client, self.path, self._on_leader)
        self._client.add_listener(self._on_state)
        self._client.start_async()

    def _on_state(self, state: str) -> None:
        if state == KazooState.CONNECTED and self._client is not None:
            # Listeners must not block: finish the set-up on a thread of kazoo's handler.
            self._client.handler.spawn(self._connected)

    def _connected(self) -> None:
        assert self._watch is not None
        try:
            if not self._watch._started:
                self._watch.start()
            else:
                self._watch.refresh()
        except Exception as e:
            log.debug("ZooKeeper set-up failed, will retry on reconnect: %s", e)
            self._watch._started = False

    def _on_leader(self, address: str | None, child: str | None) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._set_leader, address)

    def _set_leader(self, address: str | None) -> None:
        if address != self.leader:
            log.info("Leading master is now %s", address or "(none)")
        self.leader = address
        assert self._changed is not None
        self._changed.set()

    async def detect(self, previous: str | None = None) -> str:
        self._ensure_started()
        assert self._changed is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.RECHECK if previous is not None else None
        while True:
            if self.leader is not None and (
                self.leader != previous or (deadline is not None and loop.time() >= deadline)
            ):
                return self.leader
            self._changed.clear()
            timeout = None
            if deadline is not None and self.leader is not None:
                timeout = max(0.0, deadline - loop.time())
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                pass

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            def _stop() -> None:
                try:
                    client.stop()
                    client.close()
                except Exception:
                    pass

            threading.Thread(target=_stop, daemon=True).start()
