"""Fixtures for end-to-end tests: a real ZooKeeper server per test, and `ha`, masters and
agents contending through it (`tests.e2e.harness.HACluster`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import HACluster
from tests.zk import ZooKeeperServer, zookeeper_available


@pytest.fixture
def zookeeper(tmp_path):
    why = zookeeper_available()
    if why is not None:
        pytest.skip(why)
    server = ZooKeeperServer(tmp_path / "zk")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def ha(
    tmp_path: Path, zookeeper: ZooKeeperServer, request: pytest.FixtureRequest
) -> AsyncIterator[HACluster]:
    c = HACluster(tmp_path / "cluster", zookeeper)
    request.node._mesos_cluster = c  # tests/conftest.py attaches the logs of a failure
    try:
        yield c
    finally:
        await c.close()
