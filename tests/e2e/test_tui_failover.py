"""The TUI follows the leader through a failover: it says it is reconnecting, then shows the
new leader with the cluster's agents and tasks, without crashing. Real ZooKeeper, real masters
and agents, `kill -9` of the leader; the app runs headless under Pilot."""

from __future__ import annotations

import signal
import time

from mesos_tui.client.operator import CONNECTED, RECONNECTING
from mesos_tui.tui.app import MesosApp
from tests.e2e.harness import HACluster

DEADLINE = 30.0



async def _until(pilot, condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            c = pilot.app.connection
            raise AssertionError(
                f"timed out waiting for {what}: {c.text if c else 'no connection'}; "
                f"agents {list(pilot.app.mirror.agents)}"
            )
        await pilot.pause(0.05)


async def test_tui_follows_the_leader_through_a_kill_9(ha: HACluster) -> None:
    leader = await ha.start_masters(3)
    agent = await ha.start_agent("cpus:4;mem:4096")
    app = MesosApp(ha.zk.url("/mesos"))
    phases: list[str] = []
    async with app.run_test(size=(160, 45)) as pilot:
        original = app._on_status

        def record(status) -> None:  # noqa: ANN001
            phases.append(status.phase)
            original(status)

        app.client.on_status = record  # type: ignore[union-attr]
        await _until(
            pilot,
            lambda: app.connection is not None and app.connection.phase == CONNECTED
            and app.connection.address == leader.address and agent.agent_id in app.mirror.agents,
            "the TUI to show the first leader and the agent",
        )
        # The agent is admitted (and told its id) once the registry says so.
        await ha.wait_registry_agents([agent.agent_id])
        phases.clear()
        leader.daemon.kill(signal.SIGKILL)
        new = await ha.leader(previous=leader.address)
        await _until(
            pilot,
            lambda: app.connection is not None and app.connection.phase == CONNECTED
            and app.connection.address == new.address and agent.agent_id in app.mirror.agents,
            "the TUI to show the new leader and the re-registered agent",
        )
        assert RECONNECTING in phases, f"the TUI never said it was reconnecting: {phases}"
        assert app.is_running
