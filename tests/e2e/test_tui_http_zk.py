"""The TUI over the operator HTTP API with ZooKeeper-elected masters (real ZooKeeper).

- `--master zk://.../mesos`: the leader's HTTP address comes from its `json.info_` znode (as
  every Mesos tool finds it) and the app reads it over HTTP only;
- `--master http://<standby>`: the standby answers 307 to the leader and the app follows it.

In both, the operator client's gRPC path is made to fail the test if anything takes it.
(tests/e2e/test_tui_failover.py follows a `kill -9` failover through zk://, now over HTTP.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mesos_tui.client.http_operator import HttpOperatorClient
from mesos_tui.client.operator import CONNECTED, REDIRECT, OperatorClient
from mesos_tui.tui.app import MesosApp
from tests.e2e.harness import HACluster

pytestmark = pytest.mark.timeout(150)
DEADLINE = 30.0


@pytest.fixture
def no_grpc(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    opened: list[str] = []

    def refuse(self: OperatorClient, address: str) -> Any:
        opened.append(address)
        raise AssertionError(f"the operator client used gRPC to {address}")

    monkeypatch.setattr(OperatorClient, "_stub", refuse)
    yield opened


async def until(pilot: Any, what: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not ready():
        if time.monotonic() > deadline:
            c = pilot.app.connection
            raise AssertionError(f"timed out waiting for {what}: {c.text if c else '-'}")
        await pilot.pause(0.05)


async def test_tui_through_zookeeper_and_a_standby_over_http(
    ha: HACluster, no_grpc: list[str]
) -> None:
    leader = await ha.start_masters(2)
    agent = await ha.start_agent("cpus:2;mem:512")
    standby = next(m for m in ha.masters if m.address != leader.address)

    app = MesosApp(ha.zk_url)
    assert isinstance(app.client, HttpOperatorClient)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "the leader (from its znode) and the agent, over HTTP", lambda: (
            app.connection is not None and app.connection.phase == CONNECTED
            and app.connection.address == leader.address
            and agent.agent_id in app.mirror.agents
        ))
        assert app.client.streams_extensions and app.client.requests >= 1

    app = MesosApp(f"http://{standby.address}")
    phases: list[str] = []
    original = app._on_status

    def record(status: Any) -> None:
        phases.append(status.phase)
        original(status)

    app.client.on_status = record  # type: ignore[union-attr]  # before it starts
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "the leader, through the standby's 307", lambda: (
            app.connection is not None and app.connection.phase == CONNECTED
            and app.connection.address == leader.address
            and agent.agent_id in app.mirror.agents
        ))
        assert REDIRECT in phases, phases
    assert no_grpc == []
