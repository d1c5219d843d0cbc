"""ZooKeeper as an attacker would use it (a real ZooKeeper server, real masters).

- With `zk://user:password@…` the masters authenticate with digest and their znodes are
  readable by everyone (agents and Mesos tools still find the leader) and writable by them
  only: an anonymous client, or one with another password, can neither add a fake
  `json.info_` znode, nor delete or rewrite theirs, nor loosen the ACL.
- A master whose znode is deleted (without credentials anyone can) contends again at once: a
  leader is back well within the session timeout, not after it.
"""

from __future__ import annotations

import asyncio
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import OPEN_ACL_UNSAFE

from daemons.proto import master_pb2
from tests.e2e.harness import SESSION, HACluster
from tests.zk import ZooKeeperServer

FAKE = b'{"id":"fake","address":{"ip":"127.0.0.1","port":1,"hostname":"fake"},"hostname":"fake"}'
SESSION_SECONDS = float(SESSION.removesuffix("secs"))



def _client(zk: ZooKeeperServer, auth: str | None = None) -> KazooClient:
    client = KazooClient(
        hosts=zk.hosts, timeout=5.0, auth_data=[("digest", auth)] if auth else None
    )
    client.start(timeout=10)
    return client


async def test_without_the_masters_credential_no_znode_can_be_added_replaced_or_deleted(
    ha: HACluster, zookeeper: ZooKeeperServer
) -> None:
    ha.zk_url = f"zk://mesos:s3cret@{zookeeper.hosts}/mesos"
    leader = await ha.start_masters(2)
    await _both_contending(zookeeper)

    def attack(auth: str | None) -> list[str]:
        client = _client(zookeeper, auth)
        refused = []
        try:
            children = sorted(client.get_children("/mesos"))  # reading is allowed
            mine = [c for c in children if c.startswith("json.info_")]
            assert len(mine) == 2, children
            data, _ = client.get(f"/mesos/{mine[0]}")
            assert b'"address"' in data
            attempts = {
                "create": lambda: client.create("/mesos/json.info_", FAKE, ephemeral=True,
                                                sequence=True),
                "delete": lambda: client.delete(f"/mesos/{mine[0]}"),
                "set": lambda: client.set(f"/mesos/{mine[0]}", FAKE),
                "set_acls": lambda: client.set_acls("/mesos", OPEN_ACL_UNSAFE),
                "registry": lambda: client.create("/mesos/registry", b"{}"),
                "delete-path": lambda: client.delete("/mesos", recursive=True),
            }
            for name, attempt in attempts.items():
                try:
                    attempt()
                except NoAuthError:
                    refused.append(name)
        finally:
            client.stop()
            client.close()
        return refused

    for auth in (None, "mesos:wrong", "intruder:s3cret"):
        refused = await asyncio.to_thread(attack, auth)
        assert refused == ["create", "delete", "set", "set_acls", "registry", "delete-path"], auth

    # Nothing changed: the same leader, and it is still found through ZooKeeper.
    assert (await ha.leader()).address == leader.address
    flags = (await leader.operator.call(master_pb2.Call.GET_FLAGS)).get_flags
    zk_flag = next(f.value for f in flags.flags if f.name == "zk")
    assert "s3cret" not in zk_flag and zk_flag.startswith("zk://mesos:***@")


async def test_a_deleted_leader_znode_brings_a_leader_back_within_the_session_timeout(
    ha: HACluster, zookeeper: ZooKeeperServer
) -> None:
    leader = await ha.start_masters(2)
    await _both_contending(zookeeper)

    def delete_all() -> list[str]:
        client = _client(zookeeper)
        try:
            gone = sorted(c for c in client.get_children("/mesos") if c.startswith("json.info_"))
            for child in gone:
                client.delete(f"/mesos/{child}")
            return gone
        finally:
            client.stop()
            client.close()

    for _round in range(2):
        gone = await asyncio.to_thread(delete_all)
        assert len(gone) == 2
        start = time.monotonic()

        async def back(gone: list[str] = gone) -> None:
            while True:
                elected = await ha.elected_masters()
                children = await asyncio.to_thread(_children, zookeeper)
                if len(elected) == 1 and len(children) == 2 and not set(children) & set(gone):
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(back(), SESSION_SECONDS)
        took = time.monotonic() - start
        assert took < SESSION_SECONDS, took
        leader = await ha.leader()
    assert leader.daemon.alive


def _children(zk: ZooKeeperServer) -> list[str]:
    client = _client(zk)
    try:
        return [c for c in client.get_children("/mesos") if c.startswith("json.info_")]
    finally:
        client.stop()
        client.close()


async def _both_contending(zk: ZooKeeperServer) -> None:
    async def two() -> None:
        while len(await asyncio.to_thread(_children, zk)) != 2:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(two(), 15)
