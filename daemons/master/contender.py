"""Leader election among masters through ZooKeeper (Mesos's contender, with kazoo).

The protocol, in plain words:
1. Connect to the ensemble and create an EPHEMERAL|SEQUENCE znode `<path>/json.info_<seq>`
   holding this master's MasterInfo as JSON (Mesos's format, so Mesos tools find the leader).
2. Watch the children of `<path>`: the lowest sequence leads. If that is our znode we are
   elected; otherwise we stand by and remember where the leader is.
3. If our znode disappears while the session lives (someone deleted it), contend again at once
   with a new one. If the ZooKeeper session is lost, our znode is gone: stop leading at once,
   and contend again with a new znode once a new session is up. While disconnected but not yet expired, keep
   leading for at most the session timeout (after it the server has expired the session and
   someone else may lead), as Mesos's group membership does.
4. With credentials in the URL (`zk://user:password@hosts/path`, Mesos's form) the masters
   authenticate with digest and create every znode readable by all and writable by them only;
   the path's own ACL is set so too, so no one without the credential can add, replace or
   delete a `json.info_` znode.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from google.protobuf import json_format
from kazoo.client import KazooState
from kazoo.exceptions import NoNodeError

from daemons.common.zookeeper import (
    PREFIX,
    LeaderWatch,
    ZooKeeperHealth,
    make_client,
    masters_acl,
    parse_zk_url,
    zk_credentials,
)
from daemons.proto import mesos_pb2

log = logging.getLogger("mesos.contender")


def master_info_json(info: mesos_pb2.MasterInfo) -> bytes:
    return json_format.MessageToJson(
        info, preserving_proto_field_name=True, indent=None
    ).encode()


class MasterContender:
    def __init__(
        self,
        url: str,
        info: mesos_pb2.MasterInfo,
        session_timeout: float,
        on_elected: Callable[[], None],
        on_demoted: Callable[[str], None],
        on_leader: Callable[[str | None], None],
    ) -> None:
        self.hosts, self.path = parse_zk_url(url)
        self.data = master_info_json(info)
        self.session_timeout = session_timeout
        self.on_elected = on_elected
        self.on_demoted = on_demoted
        self.on_leader = on_leader
        self.credentials = zk_credentials(url)
        self.client = make_client(self.hosts, session_timeout, self.credentials)
        self.watch = LeaderWatch(
            self.client, self.path, self._leader_changed, self._children_changed
        )
        self.health = ZooKeeperHealth(self.client, self.hosts)
        self.znode: str | None = None  # our json.info_ child name
        self.elected = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._suspended_timer: asyncio.TimerHandle | None = None
        self._session_id: int | None = None
        self._recreate = False
        self._contending = threading.Lock()  # one (re)creation of our znode at a time

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.client.add_listener(self._state)
        self.client.start_async()
        self.health.start()

    def stop(self) -> None:
        self.health.stop()
        try:
            if self.znode is not None:
                self.client.delete(f"{self.path}/{self.znode}")
        except Exception:
            pass
        try:
            self.client.stop()
            self.client.close()
        except Exception:
            pass

    # kazoo's threads ------------------------------------------------------------------

    def _state(self, state: str) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if state == KazooState.CONNECTED:
            loop.call_soon_threadsafe(self._cancel_suspended)
            self.client.handler.spawn(self._contend)
        elif state == KazooState.SUSPENDED:
            loop.call_soon_threadsafe(self._suspended)
        elif state == KazooState.LOST:
            self.znode = None
            loop.call_soon_threadsafe(self._lost, "the ZooKeeper session expired")

    def _contend(self) -> None:
        """(Re)create our znode if this session has none, then watch the leader."""
        with self._contending:
            self._contend_once()

    def _contend_once(self) -> None:
        try:
            session = self.client.client_id[0] if self.client.client_id else None
            if self._recreate and self.znode is not None:
                self._recreate = False
                try:
                    self.client.delete(f"{self.path}/{self.znode}")
                except NoNodeError:
                    pass
                self.znode = None
            if self.znode is not None and session == self._session_id:
                if self.client.exists(f"{self.path}/{self.znode}"):
                    self.watch.refresh()
                    return
            self.client.ensure_path(self.path)
            if self.credentials is not None:
                self._protect_path()
            created = self.client.create(
                f"{self.path}/{PREFIX}", self.data, ephemeral=True, sequence=True
            )
            self.znode = created.rsplit("/", 1)[1]
            self._session_id = session
            log.info("Contending for leadership as %s", created)
            if not self.watch._started:
                self.watch.start()
            else:
                self.watch.refresh()
        except Exception as e:
            log.warning("Could not contend in ZooKeeper (%s); retrying on reconnect", e)

    def _protect_path(self) -> None:
        """Give `<path>` (and each parent we may change) the masters' ACL: with a path left
        world-writable anyone could still add a fake `json.info_` znode."""
        acl = masters_acl(self.credentials)  # type: ignore[arg-type]
        parts = self.path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            node = "/" + "/".join(parts[:i])
            try:
                current, _ = self.client.get_acls(node)
                if list(current) != acl:
                    self.client.set_acls(node, acl)
            except Exception as e:
                log.warning("Could not set the masters' ACL on %s: %s", node, e)

    def _children_changed(self, children: list[str]) -> None:
        """Our znode vanished from the listing while our session lives: contend again now."""
        znode = self.znode
        if znode is not None and znode not in children and self.client.connected:
            log.warning("Our znode %s/%s was deleted; contending again", self.path, znode)
            self.client.handler.spawn(self._contend)

    def _leader_changed(self, address: str | None, child: str | None) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._apply_leader, address, child)

    # the asyncio loop -----------------------------------------------------------------

    def _apply_leader(self, address: str | None, child: str | None) -> None:
        self.on_leader(address)
        ours = child is not None and child == self.znode
        if ours and not self.elected:
            self.elected = True
            log.info("Elected leader (%s/%s)", self.path, child)
            self.on_elected()
        elif not ours and self.elected:
            self.elected = False
            self.on_demoted(f"another master leads now ({address})")

    def _suspended(self) -> None:
        if self._suspended_timer is None and self._loop is not None:
            # ZooKeeperHealth says (once) that ZooKeeper is unreachable; only a leader has
            # more to say: how long it keeps leading without it.
            log.log(
                logging.WARNING if self.elected else logging.DEBUG,
                "Lost the connection to ZooKeeper: leading for at most %.1fs more unless it "
                "comes back", self.session_timeout,
            )
            self._suspended_timer = self._loop.call_later(
                self.session_timeout, self._lost,
                f"disconnected from ZooKeeper for longer than the {self.session_timeout:g}s session",
            )

    def _cancel_suspended(self) -> None:
        if self._suspended_timer is not None:
            self._suspended_timer.cancel()
            self._suspended_timer = None

    def _lost(self, why: str) -> None:
        self._cancel_suspended()
        if self.elected:
            self.elected = False
            self.on_demoted(why)
        # If the session survives after all, our old znode would still be the lowest and the
        # others would wait for us: give it up and contend again from the back of the line.
        self._recreate = True

