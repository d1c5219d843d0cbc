"""Fixtures for end-to-end tests: a real ZooKeeper server per test."""

from __future__ import annotations

import pytest

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
