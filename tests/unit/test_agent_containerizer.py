"""The containerizer with real processes: sandboxes, output files, exits, kills, environment."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from daemons.agent.containerizer import (
    Container,
    Containerizer,
    ExitStatus,
    LaunchError,
    LaunchSpec,
    sandbox_path,
)


def spec(command: str, task_id: str = "t1", **kwargs: object) -> LaunchSpec:
    return LaunchSpec(
        agent_id="A-S0",
        framework_id="F-0000",
        executor_id=task_id,
        task_id=task_id,
        command=command,
        **kwargs,  # type: ignore[arg-type]
    )


async def run(containerizer: Containerizer, launch: LaunchSpec) -> tuple[Container, ExitStatus]:
    container = containerizer.launch(launch)
    status = await asyncio.wait_for(containerizer.wait(container), 10)
    return container, status


async def test_sandbox_layout_latest_link_and_output_files(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container, status = await run(containerizer, spec("echo out; echo err >&2"))
    expected = sandbox_path(tmp_path.resolve(), "A-S0", "F-0000", "t1", container.container_id)
    assert container.sandbox == expected
    assert expected.is_dir()
    latest = expected.parent / "latest"
    assert latest.is_symlink()
    assert os.readlink(latest) == container.container_id
    assert (expected / "stdout").read_text() == "out\n"
    assert (expected / "stderr").read_text() == "err\n"
    assert status == ExitStatus(exit_code=0, signal=None, killed=False)
    assert status.message == "Command exited with status 0"


async def test_latest_link_follows_the_newest_run(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    first, _ = await run(containerizer, spec("true"))
    second, _ = await run(containerizer, spec("true"))
    assert first.sandbox.parent == second.sandbox.parent
    assert os.readlink(second.sandbox.parent / "latest") == second.container_id


async def test_exit_code_is_reported(tmp_path: Path) -> None:
    _, status = await run(Containerizer(tmp_path), spec("exit 3"))
    assert status.exit_code == 3
    assert not status.succeeded
    assert status.message == "Command exited with status 3"


async def test_signal_not_ours_is_reported(tmp_path: Path) -> None:
    _, status = await run(Containerizer(tmp_path), spec("kill -SEGV $$"))
    assert status.signal == signal.SIGSEGV
    assert not status.killed
    assert status.message == "Command terminated with signal SIGSEGV"


async def test_exit_callback_is_called_once(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    calls: list[tuple[Container, ExitStatus]] = []
    done = asyncio.Event()

    def on_exit(container: Container, status: ExitStatus) -> None:
        calls.append((container, status))
        done.set()

    container = containerizer.launch(spec("exit 0"), on_exit)
    await asyncio.wait_for(done.wait(), 10)
    await asyncio.sleep(0)
    assert calls == [(container, ExitStatus(0, None, False))]
    assert containerizer.get(container.container_id) is None


async def test_kill_of_a_plain_sleep_ends_well_before_the_grace(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(spec("sleep 100"))
    started = time.monotonic()
    containerizer.kill(container, grace_period=30)
    status = await asyncio.wait_for(containerizer.wait(container), 10)
    assert time.monotonic() - started < 5
    assert status.killed
    assert status.signal == signal.SIGTERM
    assert status.message == "Command terminated with signal SIGTERM"


async def test_kill_escalates_to_sigkill_after_the_grace(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    # The shell ignores TERM and says so once it is set up, so the kill cannot come too early.
    container = containerizer.launch(spec("trap '' TERM; echo ready; sleep 100 & wait"))
    stdout = container.sandbox / "stdout"
    while stdout.read_text() != "ready\n":
        await asyncio.sleep(0.01)
    started = time.monotonic()
    containerizer.kill(container, grace_period=1.0)
    status = await asyncio.wait_for(containerizer.wait(container), 10)
    elapsed = time.monotonic() - started
    assert status.killed
    assert status.signal == signal.SIGKILL
    assert 0.9 <= elapsed < 5
    assert status.message == "Command terminated with signal SIGKILL"


async def test_kill_takes_the_whole_process_group(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(spec("sleep 100 & echo $! > child; wait"))
    child_file = container.sandbox / "child"
    while not child_file.exists() or not child_file.read_text().strip():
        await asyncio.sleep(0.01)
    child = int(child_file.read_text())
    containerizer.kill(container, grace_period=5)
    await asyncio.wait_for(containerizer.wait(container), 10)
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not _alive(child)


async def test_leftovers_in_the_group_die_with_the_task(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container, status = await run(containerizer, spec("sleep 100 & echo $! > child"))
    assert status.exit_code == 0
    child = int((container.sandbox / "child").read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


async def test_environment_reaches_the_task(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    launch = spec(
        "env > env.txt",
        environment={"GREETING": "hello", "MESOS_TASK_ID": "overridden-by-agent"},
        ports=[31000, 31001, 31005],
    )
    container, status = await run(containerizer, launch)
    assert status.exit_code == 0
    env = dict(
        line.split("=", 1) for line in (container.sandbox / "env.txt").read_text().splitlines()
    )
    assert env["MESOS_SANDBOX"] == str(container.sandbox)
    assert env["MESOS_TASK_ID"] == "t1"
    assert env["MESOS_AGENT_ID"] == "A-S0"
    assert env["MESOS_FRAMEWORK_ID"] == "F-0000"
    assert env["MESOS_EXECUTOR_ID"] == "t1"
    assert env["MESOS_CONTAINER_ID"] == container.container_id
    assert env["GREETING"] == "hello"
    assert (env["PORT"], env["PORT0"], env["PORT1"], env["PORT2"]) == (
        "31000",
        "31000",
        "31001",
        "31005",
    )
    assert "PATH" in env
    assert os.path.realpath(os.getcwd()) != str(container.sandbox)


async def test_task_runs_in_its_sandbox_and_own_session(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container, _ = await run(containerizer, spec("pwd; ps -o sid= -p $$"))
    lines = (container.sandbox / "stdout").read_text().split()
    assert lines[0] == str(container.sandbox)
    assert int(lines[1]) == container.pid  # The task leads its own session.


async def test_shell_false_runs_value_with_arguments(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    launch = spec("/bin/echo", shell=False, arguments=["echo", "a b", "$HOME", ";", "c"])
    container, status = await run(containerizer, launch)
    assert status.exit_code == 0
    assert (container.sandbox / "stdout").read_text() == "a b $HOME ; c\n"


async def test_shell_false_with_a_bad_path_fails_to_launch(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    with pytest.raises(LaunchError, match="No such file or directory"):
        containerizer.launch(spec("/no/such/program", shell=False))
    assert containerizer.containers() == []


async def test_bad_ids_fail_to_launch(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    with pytest.raises(LaunchError, match="executor id"):
        containerizer.launch(spec("true", task_id="../escape"))


async def test_sandbox_error_fails_to_launch(tmp_path: Path) -> None:
    (tmp_path / "slaves").write_text("not a directory")
    with pytest.raises(LaunchError, match="cannot create the sandbox"):
        Containerizer(tmp_path).launch(spec("true"))


async def test_usage_measures_the_process_tree(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(spec("sleep 100 & sleep 100 & while :; do :; done"))
    try:
        await containerizer.usage()  # The first sample primes the CPU counter.
        await asyncio.sleep(0.5)
        stats = (await containerizer.usage())[container.container_id]
        assert stats.processes == 3
        assert stats.threads >= 3
        assert stats.mem_rss_bytes > 0
        assert stats.cpus_user_time_secs + stats.cpus_system_time_secs > 0.1
        assert 0.1 < stats.cpus_usage < 1.5  # One busy loop: up to a core, less when contended.
    finally:
        containerizer.kill(container, 0)
        await asyncio.wait_for(containerizer.wait(container), 10)
    assert await containerizer.usage() == {}


async def test_many_quick_tasks_all_end(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    started = time.monotonic()
    containers = [containerizer.launch(spec("true", task_id=f"t{i}")) for i in range(200)]
    statuses = await asyncio.wait_for(
        asyncio.gather(*(containerizer.wait(c) for c in containers)), 30
    )
    assert all(s.exit_code == 0 for s in statuses)
    assert time.monotonic() - started < 20
