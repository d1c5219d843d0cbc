"""Isolation with real processes: memory limits end tasks (cgroups v1, v2 where usable, posix),
a busy task is held to its cpus, pids.max caps forks, and usage figures match what tasks do."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from daemons.agent import isolation as isolation_module
from daemons.agent.containerizer import Container, Containerizer, LaunchSpec
from daemons.agent.isolation import MB, Isolation, IsolationError, Limits, parse_isolation
from tests.cluster import REPO, Cluster

RUN_TIMEOUT = 25.0


def isolation_or_skip(flag: str, **kwargs: object) -> Isolation:
    try:
        return parse_isolation(flag, **kwargs)  # type: ignore[arg-type]
    except IsolationError as e:
        pytest.skip(f"{flag} is not usable on this host: {e}")


async def mesos_execute(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesos_tui.execute", *args,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"mesos-execute did not end:\n{out.decode()}\n{err.decode()}") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("isolation", ["cgroups/v1", "cgroups/v2", "posix/cpu,posix/mem"])
async def test_task_over_its_memory_fails_with_the_limitation(
    cluster: Cluster, isolation: str
) -> None:
    isolation_or_skip(isolation)
    await cluster.start_master()
    await cluster.start_agent(
        "cpus:2;mem:1024", isolation=isolation, memory_check_interval="20ms"
    )
    code, out, err = await mesos_execute(
        "--master", cluster.master_address, "--name", "big", "--resources", "cpus:0.5;mem:64",
        "--command", "python3 -c 'x=bytearray(300*1024*1024)'",
    )
    assert code == 1, (out, err)
    assert "Received status update TASK_FAILED for task 'big'" in out, out
    assert "  reason: REASON_CONTAINER_LIMITATION_MEMORY" in out, out
    assert "  source: SOURCE_AGENT" in out, out
    assert "  message: 'Memory limit exceeded: Requested: 64MB Maximum Used: " in out, out


async def test_task_within_its_memory_finishes(cluster: Cluster) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024", memory_check_interval="20ms")
    code, out, err = await mesos_execute(
        "--master", cluster.master_address, "--name", "small", "--resources", "cpus:0.5;mem:128",
        "--command", "python3 -c 'x=bytearray(30*1024*1024)'",
    )
    assert code == 0, (out, err)
    assert "Received status update TASK_FINISHED for task 'small'" in out, out


def spec(command: str, task_id: str, **limits: object) -> LaunchSpec:
    return LaunchSpec(
        agent_id="A-S0", framework_id="F-0000", executor_id=task_id, task_id=task_id,
        command=command, limits=Limits(**limits),  # type: ignore[arg-type]
    )


async def _ended(containerizer: Containerizer, container: Container) -> None:
    containerizer.kill(container, 0)
    await asyncio.wait_for(containerizer.wait(container), 10)
    await containerizer.drain()


async def _stdout_line(container: Container, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    path = container.sandbox / "stdout"
    while text not in path.read_text():
        if container.exit_status is not None or time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} in stdout: {path.read_text()!r}")
        await asyncio.sleep(0.02)


async def test_busy_task_is_held_to_its_cpus(tmp_path: Path) -> None:
    isolation = isolation_or_skip("cgroups/v1")
    containerizer = Containerizer(tmp_path, isolation)
    container = containerizer.launch(spec("while :; do :; done", "busy", cpus=0.5))
    try:
        process = psutil.Process(container.pid)
        await asyncio.sleep(0.3)  # Let it run into its quota first.
        before, started = sum(process.cpu_times()[:2]), time.monotonic()
        await asyncio.sleep(2.0)  # The measurement window itself.
        cores = (sum(process.cpu_times()[:2]) - before) / (time.monotonic() - started)
        # 0.5 cpus: 50 ms of every 100 ms CFS period; unconfined, it would take a whole core.
        # (No lower bound: on a loaded machine the task gets less than its quota, and that
        # says nothing about isolation; the throttling below says the quota held it.)
        assert cores <= 0.65, cores
        throttled = (container.cgroups.paths["cpu"] / "cpu.stat").read_text()  # type: ignore[union-attr]
        assert "nr_throttled 0" not in throttled.split("\n")[1:2], throttled
    finally:
        await _ended(containerizer, container)


async def test_pids_max_caps_a_fork_bomb(tmp_path: Path) -> None:
    isolation = isolation_or_skip("cgroups/v1", pids_max=16)
    if "pids" not in isolation.controllers:
        pytest.skip("no pids controller")
    containerizer = Containerizer(tmp_path, isolation)
    # Unconfined, the 40 sleeps start and `wait` waits 30 s; capped, the shell cannot fork.
    container = containerizer.launch(spec("for i in $(seq 40); do sleep 30 & done; wait", "bomb"))
    assert container.cgroups is not None
    assert int((container.cgroups.paths["pids"] / "pids.max").read_text()) == 16
    try:
        status = await asyncio.wait_for(containerizer.wait(container), 10)
        assert status.exit_code not in (0, None), status
        assert "fork" in (container.sandbox / "stderr").read_text().lower()
    finally:
        await _ended(containerizer, container)


@pytest.mark.parametrize("flag", ["cgroups/v1", "none"])
async def test_usage_agrees_with_what_the_task_does(tmp_path: Path, flag: str) -> None:
    isolation = isolation_or_skip(flag)
    containerizer = Containerizer(tmp_path, isolation)
    program = (
        "import time; x = bytearray(100 * 1024 * 1024); print('ready', flush=True); "
        "time.sleep(60)"
    )
    container = containerizer.launch(
        spec(f"python3 -c \"{program}\"", "rss", cpus=1.0, mem_bytes=512 * MB)
    )
    try:
        await _stdout_line(container, "ready")
        stats = (await containerizer.usage())[container.container_id]
        # 100 MB of touched bytes plus the interpreter (~10 MB); not the 512 MB limit.
        assert 95 * MB <= stats.mem_rss_bytes <= 130 * MB, stats.mem_rss_bytes / MB
        tree = 1 + len(psutil.Process(container.pid).children(recursive=True))
        assert stats.processes == tree, stats  # The task's processes, not its supervisor.
        assert stats.cpus_user_time_secs + stats.cpus_system_time_secs > 0
    finally:
        await _ended(containerizer, container)


async def test_cgroups_are_removed_when_the_container_ends(tmp_path: Path) -> None:
    isolation = isolation_or_skip("cgroups/v1")
    containerizer = Containerizer(tmp_path, isolation)
    container = containerizer.launch(spec("sleep 30 & exit 3", "quick", cpus=0.1, mem_bytes=64 * MB))
    assert container.cgroups is not None
    paths = container.cgroups.dirs()
    assert all(p.is_dir() for p in paths)
    assert int((container.cgroups.paths["memory"] / "memory.limit_in_bytes").read_text()) == 64 * MB
    status = await asyncio.wait_for(containerizer.wait(container), 10)
    await containerizer.drain()
    assert status.exit_code == 3
    assert not any(p.exists() for p in paths)  # The leftover `sleep 30` was killed with it.


def test_isolation_flag_names() -> None:
    mounts = ({"cpu": Path("/nonexistent/cpu")}, None)
    with pytest.raises(IsolationError, match="unknown isolator"):
        parse_isolation("cgroups/gpu", mounts=mounts)
    with pytest.raises(IsolationError, match="no cgroup2"):
        parse_isolation("cgroups/v2", mounts=mounts)
    with pytest.raises(IsolationError, match="no memory hierarchy"):
        parse_isolation("cgroups/mem", mounts=mounts)
    with pytest.raises(IsolationError, match="cannot create /nonexistent/cpu/mesos-tui"):
        parse_isolation("cgroups/cpu", mounts=mounts)
    posix = parse_isolation("posix/cpu,posix/mem", mounts=mounts)
    assert posix.memory_watchdog and not posix.cgroups
    assert parse_isolation("best", mounts=({}, None)).memory_watchdog  # Falls back to posix.


def _open_paths(fds: dict[str, int]) -> set[str]:
    found = set()
    for fd in fds.values():
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return found


async def test_usage_reads_the_cgroup_counters_it_keeps_open(tmp_path: Path) -> None:
    """Under cgroups a sample is a few preads of files opened once; the figures are the ones
    the cgroup files say (the open-each-time path agrees), and the files close with the
    container."""
    isolation = isolation_or_skip("cgroups/v1")
    containerizer = Containerizer(tmp_path, isolation)
    program = "import time; x = bytearray(64 * 1024 * 1024); print('ready', flush=True); time.sleep(60)"
    container = containerizer.launch(
        spec(f"python3 -c \"{program}\" & sleep 60", "counters", cpus=1.0, mem_bytes=256 * MB)
    )
    assert container.cgroups is not None
    try:
        await _stdout_line(container, "ready")
        first = (await containerizer.usage())[container.container_id]
        counters = container.cgroups.counters
        assert counters is not None and counters.kept_open
        fds = dict(counters._fds)
        memory = container.cgroups.paths["memory"]
        assert f"{memory}/memory.stat" in _open_paths(fds)
        second = (await containerizer.usage())[container.container_id]
        assert container.cgroups.counters is counters  # Not reopened for the second sample.
        before = isolation.read_usage(container.cgroups)
        assert before is not None
        # The shell, python and sleep: the task's processes and threads (the launcher that
        # forked it is not in its cgroups).
        assert second.processes == before.processes == 3, (second, before)
        assert second.threads == before.threads
        assert 60 * MB <= second.mem_rss_bytes <= 100 * MB, second.mem_rss_bytes / MB
        assert abs(second.mem_rss_bytes - before.rss_bytes) < 8 * MB
        assert second.cpus_user_time_secs + second.cpus_system_time_secs >= (
            first.cpus_user_time_secs + first.cpus_system_time_secs
        ) > 0
    finally:
        await _ended(containerizer, container)
    assert counters._closed and not counters._fds
    assert not _open_paths(fds) & {f"{memory}/memory.stat"}
    assert isolation.sample(container.cgroups) is None  # Removed: nothing to read, nothing opened.
    assert container.cgroups.counters is counters


async def test_usage_past_the_fd_budget_opens_the_files_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolation = isolation_or_skip("cgroups/v1")
    monkeypatch.setattr(isolation_module._BUDGET, "left", 0)
    containerizer = Containerizer(tmp_path, isolation)
    container = containerizer.launch(spec("sleep 60", "nobudget", cpus=0.1, mem_bytes=64 * MB))
    assert container.cgroups is not None
    try:
        stats = (await containerizer.usage())[container.container_id]
        assert container.cgroups.counters is not None
        assert not container.cgroups.counters.kept_open
        assert stats.processes == 1 and stats.threads == 1  # sleep, read from the cgroup files
    finally:
        await _ended(containerizer, container)
    assert isolation_module._BUDGET.left == 0  # Nothing was taken, nothing given back.


def test_counter_fields_are_read_at_line_starts() -> None:
    stat = b"cache 4096\nrss 8192\nrss_huge 0\ntotal_cache 12288\ntotal_rss 16384\n"
    assert isolation_module._field(stat, b"rss") == 8192
    assert isolation_module._field(stat, b"total_rss") == 16384
    assert isolation_module._field(stat, b"cache") == 4096
    assert isolation_module._field(stat, b"swap") == 0
    assert isolation_module._field(b"oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", b"oom_kill") == 2
    assert isolation_module._field(b"user 7\nsystem 3", b"system") == 3
