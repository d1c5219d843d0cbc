"""The task launcher (daemons/agent/launcher.py) with real processes.

What a task must find when its first instruction runs (its cgroups, its own session, default
signals, its user, its environment), that its exit status outlives the agent that launched
it, that kills still reach it, that a setup step that fails says which, that only the
launcher's own user may talk to it, and that it goes away once idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemons.agent.containerizer import Container, Containerizer, LaunchError, LaunchSpec
from daemons.agent.isolation import MB, Isolation, IsolationError, Limits, parse_isolation
from daemons.agent.launcher import LauncherClient, LauncherError, socket_name
from daemons.agent.supervisor import proc_stat
from daemons.agent.users import TaskUser

TIMEOUT = 15.0


def spec(command: str, task_id: str, run_dir: Path | None = None, **kwargs: object) -> LaunchSpec:
    return LaunchSpec(
        agent_id="A-S0", framework_id="F-0000", executor_id=task_id, task_id=task_id,
        command=command, run_dir=run_dir, **kwargs,  # type: ignore[arg-type]
    )


def cgroups_or_skip() -> Isolation:
    try:
        return parse_isolation("cgroups/v1")
    except IsolationError as e:
        pytest.skip(f"cgroups/v1 is not usable here: {e}")


async def ended(containerizer: Containerizer, container: Container) -> None:
    status = await asyncio.wait_for(containerizer.wait(container), TIMEOUT)
    await containerizer.drain()
    assert status is not None


async def until(condition, what: str, timeout: float = TIMEOUT) -> None:  # noqa: ANN001
    """Poll a condition of the process table (no event tells of a zombie or an exit of a
    process that is not our child)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def test_the_task_is_in_its_cgroups_before_its_first_instruction(tmp_path: Path) -> None:
    isolation = cgroups_or_skip()
    containerizer = Containerizer(tmp_path, isolation)
    # cat is exec'd by the shell: it reads its own cgroups, inherited from the moment of fork.
    container = containerizer.launch(
        spec("exec cat /proc/self/cgroup", "cg", limits=Limits(0.1, 32 * MB))
    )
    await ended(containerizer, container)
    assert container.exit_status is not None and container.exit_status.exit_code == 0
    lines = (container.sandbox / "stdout").read_text().splitlines()
    paths = {
        controller: line.split(":", 2)[2]
        for line in lines
        for controller in line.split(":", 2)[1].split(",")
    }
    for controller in ("cpu", "cpuacct", "memory", "pids"):
        assert paths[controller] == f"/mesos-tui/{container.container_id}", lines


async def test_the_task_leads_its_session_with_default_signals(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(spec(
        "read score < /proc/self/oom_score_adj; printf 'OomScoreAdj:\\t%s\\n' \"$score\"; "
        "exec grep -E '^(SigIgn|SigBlk|NSsid|NSpgid|Pid):' /proc/self/status", "sess"
    ))
    await ended(containerizer, container)
    fields = dict(
        line.split(":\t", 1) for line in (container.sandbox / "stdout").read_text().splitlines()
    )
    pid = fields["Pid"].strip()
    assert pid == str(container.pid)
    assert fields["NSsid"].strip() == fields["NSpgid"].strip() == pid  # Leader of both.
    # Python ignores SIGPIPE and SIGXFSZ, a background shell SIGINT and SIGQUIT: the task
    # must not inherit any of that. Signals 32 and 33 are glibc's own (SIGCANCEL, SIGSETXID):
    # no program can set them through the C library, and a test runner's ignored 32 was seen
    # to come down from it; they are left out.
    glibc_own = (1 << 31) | (1 << 32)
    assert int(fields["SigIgn"], 16) & ~glibc_own == 0, fields
    assert int(fields["SigBlk"], 16) & ~glibc_own == 0, fields
    # The launcher makes itself the OOM killer's last choice where it may; its tasks take
    # back the agent's own score.
    assert container.shared_launcher
    with open("/proc/self/oom_score_adj") as f:
        assert int(fields["OomScoreAdj"]) == int(f.read())


async def test_environment_and_sandbox_are_as_before(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(
        spec('echo "$MESOS_TASK_ID $GREETING $PWD"; env | cut -d= -f1 | sort', "envt",
             environment={"GREETING": "hello"})
    )
    await ended(containerizer, container)
    out = (container.sandbox / "stdout").read_text().splitlines()
    assert out[0] == f"envt hello {container.sandbox}"
    names = set(out[1:])
    assert {"MESOS_SANDBOX", "MESOS_CONTAINER_ID", "PATH", "GREETING"} <= names
    assert not any(n.startswith("PYTHON") or n == "TEST_CLUSTER_TOKEN" for n in names), names


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
async def test_the_task_runs_as_its_user(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    user = TaskUser("nobody", nobody.pw_uid, nobody.pw_gid, nobody.pw_dir, switch=True)
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(
        spec("id -u; id -g; id -G; grep CapEff /proc/self/status; echo x > mine", "who", user=user)
    )
    await ended(containerizer, container)
    out = (container.sandbox / "stdout").read_text().splitlines()
    assert out[:2] == [str(nobody.pw_uid), str(nobody.pw_gid)], out
    assert "0" not in out[2].split(), out  # root's groups are gone.
    assert out[3].split()[1] == "0000000000000000", out  # No capabilities left.
    assert (container.sandbox / "mine").stat().st_uid == nobody.pw_uid


async def test_exit_status_is_kept_across_an_agent_restart(tmp_path: Path) -> None:
    """The agent goes away while its task runs; the task ends meanwhile; a new agent on the
    same work dir reads the exact status from the zombie the launcher held, then has it
    reaped."""
    run_dir = tmp_path / "meta" / "run"
    run_dir.mkdir(parents=True)
    first = Containerizer(tmp_path)
    container = first.launch(
        spec("while [ ! -e go ]; do sleep 0.01; done; exit 7", "restart", run_dir=run_dir)
    )
    pid, launcher = container.pid, container.supervisor_pid
    first.close()  # The agent stops: it no longer watches, and its connection is closed.
    del first
    (container.sandbox / "go").touch()  # Now let the task end, with nobody watching.
    await until(lambda: (s := proc_stat(pid)) is not None and s.state == "Z", "the task's zombie")
    stat = proc_stat(pid)
    assert stat is not None and stat.ppid == launcher  # Held by the launcher, not reaped.

    second = Containerizer(tmp_path)
    data = json.loads((run_dir / "container.json").read_text())
    assert data["shared_launcher"] is True and data["supervisor_pid"] == launcher
    recovered = second.recover(spec("", "restart", run_dir=run_dir), data)
    status = await asyncio.wait_for(second.wait(recovered), TIMEOUT)
    await second.drain()
    assert status.exit_code == 7 and not status.lost, status
    await until(lambda: proc_stat(pid) is None, "the launcher to reap the task")


async def test_sigterm_reaches_the_task_and_the_grace_ends_in_sigkill(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    polite = containerizer.launch(spec("trap 'exit 3' TERM; while :; do sleep 0.05; done", "polite"))
    stubborn = containerizer.launch(spec("trap '' TERM; while :; do sleep 0.05; done", "stubborn"))
    # The traps are set by the shell's first words; give both a moment to get there.
    await until(lambda: all(
        (s := proc_stat(c.pid)) is not None and s.state in "SR" and _children(c.pid)
        for c in (polite, stubborn)
    ), "both shells to loop")
    started = time.monotonic()
    containerizer.kill(polite, 10.0)
    containerizer.kill(stubborn, 0.5)
    polite_status = await asyncio.wait_for(containerizer.wait(polite), TIMEOUT)
    stubborn_status = await asyncio.wait_for(containerizer.wait(stubborn), TIMEOUT)
    waited = time.monotonic() - started
    await containerizer.drain()
    assert polite_status.exit_code == 3 and polite_status.killed, polite_status
    assert stubborn_status.signal == signal.SIGKILL and stubborn_status.killed, stubborn_status
    assert waited >= 0.5


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


async def test_a_setup_step_that_fails_says_which(tmp_path: Path) -> None:
    client = LauncherClient(tmp_path)
    try:
        with pytest.raises(LauncherError, match="could not join the container's cgroups"):
            client.launch({"argv": ["true"], "env": {}, "cwd": str(tmp_path),
                           "procs": [str(tmp_path / "no" / "cgroup.procs")]})
        with pytest.raises(LauncherError, match="could not enter the sandbox"):
            client.launch({"argv": ["true"], "env": {}, "cwd": str(tmp_path / "missing")})
        with pytest.raises(LauncherError, match="could not set the container's rlimits"):
            client.launch({"argv": ["true"], "env": {}, "cwd": str(tmp_path),
                           "rlimits": [["q", "1"]]})
        # The launcher is still there and launches well after all that.
        pid = client.launch({"argv": ["sh", "-c", "exit 5"], "env": {"PATH": "/usr/bin:/bin"},
                             "cwd": str(tmp_path)})
        await until(lambda: (s := proc_stat(pid)) is not None and s.state == "Z", "the zombie")
        stat = proc_stat(pid)
        assert stat is not None and os.waitstatus_to_exitcode(stat.exit_code) == 5
        client.reap(pid, stat.start_time)
        await until(lambda: proc_stat(pid) is None, "the reap")
    finally:
        client.close()


async def test_a_missing_program_is_the_tasks_failure(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(spec("exec /nonexistent/program", "missing"))
    await ended(containerizer, container)
    assert container.exit_status is not None and container.exit_status.exit_code in (126, 127)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs another user to connect as")
async def test_only_the_launchers_own_user_may_connect(tmp_path: Path) -> None:
    client = LauncherClient(tmp_path)
    try:
        assert client.serves(client.pid, None) is False  # Not connected yet: no pid to match.
        client.connect()  # Starts the launcher.
        assert client.pid is not None and client.serves(client.pid, client.start)
        probe = (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            "s.connect('\\0' + sys.argv[1])\n"
            "s.settimeout(5)\n"
            "try:\n"
            "    s.sendall(b'\\x00\\x00\\x00\\x02{}')\n"
            "    print('closed' if s.recv(10) == b'' else 'answered')\n"
            "except OSError:\n"
            "    print('closed')\n"
        )
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
             "-I", "-c", probe, socket_name(str(tmp_path)).lstrip("\0")],
            capture_output=True, text=True, timeout=30,
        )
        assert done.stdout.strip() == "closed", done.stderr
    finally:
        client.close()


async def test_the_launcher_goes_once_idle(tmp_path: Path) -> None:
    containerizer = Containerizer(tmp_path)
    container = containerizer.launch(spec("true", "idle"))
    await ended(containerizer, container)
    launcher = container.supervisor_pid
    assert launcher is not None and proc_stat(launcher) is not None
    containerizer.close()
    await until(lambda: proc_stat(launcher) is None or proc_stat(launcher).state == "Z",  # type: ignore[union-attr]
                "the idle launcher to exit")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs another user to hold the socket")
async def test_a_socket_held_by_another_user_is_never_trusted(tmp_path: Path) -> None:
    """Anyone may bind an abstract name first; the agent must not take that process for its
    launcher (it would answer pids the agent then signals as root)."""
    squatter = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-I",
         "-c", "import socket, sys, time\n"
               "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
               "s.bind('\\0' + sys.argv[1]); s.listen(4)\n"
               "print('listening', flush=True)\n"
               "while True:\n"
               "    c, _ = s.accept()\n"
               "    try:\n"
               "        c.sendall(b'\\x00\\x00\\x00\\x0c{\"pid\": 1}')\n"
               "    except OSError:\n"
               "        pass\n",
         socket_name(str(tmp_path)).lstrip("\0")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert squatter.stdout is not None and squatter.stdout.readline() == "listening\n"
        client = LauncherClient(tmp_path)
        with pytest.raises(LauncherError, match="held by a process of uid 65534"):
            client.launch({"argv": ["true"], "env": {}, "cwd": str(tmp_path)})
        containerizer = Containerizer(tmp_path)
        with pytest.raises(LaunchError, match="held by a process of uid 65534"):
            containerizer.launch(spec("true", "squatted"))
    finally:
        squatter.kill()
        squatter.wait()


async def test_a_launch_sent_but_not_answered_is_never_sent_again(tmp_path: Path) -> None:
    """The launcher may have started the task before it died: launching it again would run
    it twice. The launch fails instead."""
    import socket
    import threading

    from daemons.agent.launcher import recv_message

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_name(str(tmp_path)))  # A launcher that dies after reading.
    listener.listen(4)
    requests: list[dict[str, object]] = []

    def serve() -> None:
        listener.settimeout(5)
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                requests.append(recv_message(conn))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = LauncherClient(tmp_path)
    try:
        with pytest.raises(LauncherError, match="did not answer"):
            client.launch({"argv": ["true"], "env": {}, "cwd": str(tmp_path)})
    finally:
        client.close()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # Wakes the accept() of the thread.
        listener.close()
        thread.join(10)
    assert [r["op"] for r in requests] == ["launch"]


async def test_a_plain_command_is_execed_without_a_shell_in_front(tmp_path: Path) -> None:
    """`sleep 30` is the task itself (one exec less per task); anything a shell has to read
    (variables, quotes, lists, builtins) still goes through /bin/sh -c."""
    containerizer = Containerizer(tmp_path)
    plain = containerizer.launch(spec("sleep 30", "plain"))
    shelled = containerizer.launch(spec('sleep 30 && echo "$HOME"', "shelled"))
    try:
        for container, comm in ((plain, "sleep"), (shelled, "sh")):
            with open(f"/proc/{container.pid}/comm") as f:
                assert f.read().strip() == comm
            # The launcher answers once the exec has begun; the new argv shows a moment later.
            await until(lambda c=container: _cmdline(c.pid) != [b""], "the task's argv")
            argv = _cmdline(container.pid)
            assert (argv[0] == b"/bin/sh") == (comm == "sh"), argv
    finally:
        for container in (plain, shelled):
            containerizer.kill(container, 0)
        await ended(containerizer, plain)
        await ended(containerizer, shelled)
    assert plain.exit_status is not None and plain.exit_status.signal == signal.SIGTERM


def _cmdline(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")


def test_which_commands_are_plain() -> None:
    from daemons.agent.containerizer import _direct_argv

    path = os.defpath + ":/usr/bin:/bin"
    assert _direct_argv("true", path) is not None
    assert _direct_argv("sleep 1", path) is not None and _direct_argv("sleep 1", path)[1:] == ["1"]  # type: ignore[index]
    for shell_work in ("exit 3", "echo hi", "FOO=1 env", "sleep 1; true", "cat ~/x", "ls *",
                       "a | b", "x > y", "echo $HOME", "'quoted'", "cd /", "", "no-such-program-here"):
        assert _direct_argv(shell_work, path) is None, shell_work


async def test_a_signal_blocked_where_the_launcher_started_does_not_reach_tasks(
    tmp_path: Path,
) -> None:
    """The launcher inherits the mask of the thread that starts it; tasks spawned from it
    (vfork and exec) inherit the launcher's. It starts from an empty mask, so they do too."""
    import threading

    containerizer = Containerizer(tmp_path)

    def start_blocked() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        containerizer.prepare()  # the launcher is started from this thread

    starter = threading.Thread(target=start_blocked)
    starter.start()
    starter.join()
    container = containerizer.launch(spec(
        "exec grep -E '^SigBlk:' /proc/self/status", "blocked"))
    await ended(containerizer, container)
    line = (container.sandbox / "stdout").read_text().strip()
    assert int(line.split(":\t", 1)[1], 16) == 0, line
