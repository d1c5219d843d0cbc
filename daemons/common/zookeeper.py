"""ZooKeeper master detection, in Mesos's own znode layout.

The protocol, in plain words: every master that wants to lead creates an EPHEMERAL|SEQUENCE
znode `<path>/json.info_<10 digits>` holding its MasterInfo as JSON. The master whose znode
has the lowest sequence number leads. When a master dies its session ends, its znode goes,
and the next lowest leads. A detector watches the children of `<path>` and reads the lowest
`json.info_` znode to learn the leader's `address.ip` and `address.port`. Because the layout
and JSON are Mesos's, Mesos's own tools find the leader too.

kazoo runs its own threads; everything here hands results back to the asyncio loop with
`call_soon_threadsafe`, so callers stay on their loop.

kazoo logs every connection attempt (two lines each, several a second while ZooKeeper is
down). Those lines go to our debug log only; `ZooKeeperHealth` says it plainly instead: one
warning when ZooKeeper has been unreachable for a moment (the hosts tried and why they
failed), one line when it is back. kazoo keeps retrying with back-off meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import NoNodeError
from kazoo.retry import KazooRetry
from kazoo.security import ACL, ANYONE_ID_UNSAFE, Permissions, make_digest_acl

from daemons.common.detector import (  # noqa: F401 (DetectorError, parse_zk_url: re-exported)
    DetectorError,
    MasterDetector,
    parse_zk_url,
)

log = logging.getLogger("mesos.zookeeper")
kazoo_log = logging.getLogger("mesos.zookeeper.kazoo")

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


class _KazooLines(logging.Handler):
    """Takes kazoo's own log lines off the terminal: each goes to our debug log, and the last
    warning is kept as the reason ZooKeeper cannot be reached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.last_warning: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            return
        if record.levelno >= logging.WARNING:
            self.last_warning = message
        kazoo_log.debug("%s", message)


_KAZOO_LINES = _KazooLines()


def _quiet_kazoo() -> None:
    kazoo = logging.getLogger("kazoo")
    if _KAZOO_LINES not in kazoo.handlers:
        kazoo.addHandler(_KAZOO_LINES)
        kazoo.propagate = False


def _reason(message: str | None) -> str:
    """kazoo's "Connection dropped: socket connection error: Connection refused" -> the end."""
    if not message:
        return "no answer"
    for prefix in ("Connection dropped: ", "socket connection error: ", "Connection time-out: "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message.strip().rstrip(".") or "no answer"


class ZooKeeperHealth:
    """Says once that ZooKeeper is unreachable (after `grace` seconds without a connection:
    a quick reconnect is not news) and once that it is back. `problem` is that line while it
    lasts, for clients that give up and say what they tried."""

    def __init__(self, client: KazooClient, hosts: str, grace: float = 1.0) -> None:
        self.hosts = hosts
        self.grace = grace
        self.connected = False
        self.problem: str | None = None
        self._since: float | None = None  # when the connection went (monotonic)
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        client.add_listener(self._state)

    def start(self) -> None:
        """Call right after the client's start_async()."""
        with self._lock:
            if not self.connected:
                self._arm()

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _arm(self) -> None:
        if self._since is None:
            self._since = time.monotonic()
        if self._timer is None:
            self._timer = threading.Timer(self.grace, self._check)
            self._timer.daemon = True
            self._timer.start()

    def _check(self) -> None:
        with self._lock:
            self._timer = None
            if self.connected or self.problem is not None:
                return
            self.problem = (
                f"ZooKeeper at {self.hosts} is unreachable ({_reason(_KAZOO_LINES.last_warning)})"
            )
        log.warning("%s; retrying quietly", self.problem)

    def _state(self, state: str) -> None:
        with self._lock:
            if state == KazooState.CONNECTED:
                self.connected = True
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                was, self.problem = self.problem, None
                since, self._since = self._since, None
            else:
                self.connected = False
                self._arm()
                return
        if was is not None:
            away = f" after {time.monotonic() - since:.0f}s" if since is not None else ""
            log.warning("ZooKeeper at %s is reachable again%s", self.hosts, away)


def zk_credentials(url: str) -> tuple[str, str] | None:
    """`zk://user:password@hosts/path` -> (user, password): the digest credentials the masters
    authenticate with (Mesos's form); None without them."""
    rest = url.strip()[5:] if url.strip()[:5].lower() == "zk://" else ""
    authority = rest.split("/", 1)[0]
    if "@" not in authority:
        return None
    userinfo = authority.rsplit("@", 1)[0]
    user, sep, password = userinfo.partition(":")
    if not user or not sep:
        raise DetectorError(
            "bad ZooKeeper URL: credentials must be user:password@, as in "
            "zk://mesos:secret@127.0.0.1:2181/mesos"
        )
    return user, password


def masters_acl(credentials: tuple[str, str]) -> list[ACL]:
    """Everyone may read (so agents, frameworks and Mesos tools still find the leader); only
    the holder of the masters' credentials may create, change or delete (Mesos's
    EVERYONE_READ_CREATOR_ALL)."""
    user, password = credentials
    return [
        make_digest_acl(user, password, all=True),
        ACL(Permissions.READ, ANYONE_ID_UNSAFE),
    ]


def make_client(
    hosts: str, session_timeout: float, credentials: tuple[str, str] | None = None
) -> KazooClient:
    """A kazoo client; with `credentials` it authenticates with digest and every znode it
    creates is readable by all and writable by the masters only."""
    _quiet_kazoo()
    extra: dict[str, object] = {}
    if credentials is not None:
        extra["auth_data"] = [("digest", f"{credentials[0]}:{credentials[1]}")]
        extra["default_acl"] = masters_acl(credentials)
    return KazooClient(
        hosts=hosts,
        timeout=session_timeout,
        connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=1.0),
        command_retry=KazooRetry(max_tries=3, delay=0.1, max_delay=1.0),
        **extra,  # type: ignore[arg-type]
    )


class LeaderWatch:
    """Watches `<path>` and calls `on_leader(address, znode)` (from kazoo's thread) whenever
    the lowest json.info_ znode changes; (None, None) while there is no leader."""

    def __init__(
        self, client: KazooClient, path: str,
        on_leader: Callable[[str | None, str | None], None],
        on_children: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.client = client
        self.path = path
        self.on_leader = on_leader
        self.on_children = on_children  # every listing (the contender checks its own znode)
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
        if self.on_children is not None:
            try:
                self.on_children(list(children))
            except Exception:
                log.debug("children callback failed", exc_info=True)
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
        self._health: ZooKeeperHealth | None = None

    @property
    def problem(self) -> str | None:  # type: ignore[override]
        """ZooKeeper unreachable, or no master registered under the path; None when a leader
        is known."""
        if self._health is not None and self._health.problem:
            return self._health.problem
        if (
            self._client is not None and self.leader is None
            and self._health is not None and self._health.connected
        ):
            return f"no master is registered under {self.path} in ZooKeeper at {self.hosts}"
        return None  # all is well, or still connecting (not a failure yet)

    def _ensure_started(self) -> None:
        if self._client is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._client = make_client(self.hosts, self.session_timeout)
        self._watch = LeaderWatch(self._client, self.path, self._on_leader)
        self._client.add_listener(self._on_state)
        self._health = ZooKeeperHealth(self._client, self.hosts)
        self._client.start_async()
        self._health.start()

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
        if self._health is not None:
            self._health.stop()
        if client is not None:
            def _stop() -> None:
                try:
                    client.stop()
                    client.close()
                except Exception:
                    pass

            threading.Thread(target=_stop, daemon=True).start()
