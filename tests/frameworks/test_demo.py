"""demo: several frameworks at once; `stop()` leaves no process behind."""

from __future__ import annotations

import psutil

from mesos_tui.frameworks.demo import start_demo
from tests.cluster import Cluster, poll_until


async def test_demo_runs_frameworks_and_stops_cleanly(cluster: Cluster, tmp_path) -> None:  # noqa: ANN001
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:4;mem:4096")
    handle = start_demo(cluster.master_address, log_dir=str(tmp_path))
    pids = handle.pids
    try:

        async def three_frameworks_with_tasks() -> bool:
            state = await cluster.operator.state()
            # pi and wordcount register anew for every run: count finished runs too.
            frameworks = [*state.get_frameworks.frameworks, *state.get_frameworks.completed_frameworks]
            names = {f.framework_info.name.split(" ")[0] for f in frameworks}
            ran = {t.framework_id.value for t in state.get_tasks.completed_tasks}
            ran |= {t.framework_id.value for t in state.get_tasks.tasks}
            return names >= {"pi", "wordcount", "batch"} and len(ran) >= 2

        await poll_until(three_frameworks_with_tasks, 30, "three demo frameworks running tasks")
    finally:
        handle.stop()

    assert not handle.alive()
    assert not [
        p
        for p in pids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]

    left: list[str] = []

    async def nothing_left() -> bool:
        state = await cluster.operator.state()
        # The agent's own task launcher (daemons/agent/launcher.py) lives as long as the
        # agent; anything else under the agent is a task left behind.
        left[:] = [
            f"{p.pid} {p.status()} {' '.join(p.cmdline())[:120]}"
            for p in psutil.Process(agent.proc.pid).children(recursive=True)
            if not any(a.endswith("daemons/agent/launcher.py") for a in p.cmdline()[:4])
        ]
        return not state.get_frameworks.frameworks and not state.get_tasks.tasks and not left

    try:
        await poll_until(nothing_left, 15, "the demo's frameworks and tasks to be gone")
    except Exception as e:
        raise AssertionError(f"{e}; the agent's processes left: {left}") from None
