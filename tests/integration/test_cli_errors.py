"""Clear errors, never a hang: every command line run as a person runs it (a subprocess).

Each error is one line on stderr (no traceback) with the exit status it promises, and ends
within a bound: the subprocess timeout is the bound, and where the command must fail fast
(a port that is not a master's) its --connect_timeout is set far above the bound, so only the
diagnosis can end it in time. Daemons with ZooKeeper gone say so once and are quiet until it
is back. Nothing here sleeps to synchronise: every wait is on a line of output or an exit.
"""

from __future__ import annotations

import http.server
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mesos_tui.local import LocalCluster, free_port
from tests.zk import ZooKeeperServer, zookeeper_available

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
BOUND = 30.0  # seconds any failing command may take, start-up included (a loaded machine)
SLOW = "60"  # a --connect_timeout the fast failures must not need


def environ(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MESOS_MASTER", None)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run(
    tmp_path: Path, *args: str, timeout: float = BOUND, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**environ(tmp_path), **(env or {})}, stdin=subprocess.DEVNULL,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line on stderr (asserting there is exactly one, and no traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def commands(master: str, work: Path) -> dict[str, list[str]]:
    """Every command that takes a master, pointed at `master`."""
    return {
        "mesos-tui": ["-m", "mesos_tui.cli", "--master", master],
        "mesos-tui shell": ["-m", "mesos_tui.cli", "shell", "--master", master, "-c", "tasks"],
        "mesos-execute": ["-m", "mesos_tui.execute", "--master", master, "--name", "t",
                          "--command", "true"],
        "mesos-agent": ["-m", "daemons.agent.main", "--master", master, "--work_dir",
                        str(work / "agent"), "--port", "0"],
        "mesos-master --zk": ["-m", "daemons.master.main", "--zk", master, "--quorum", "1",
                              "--port", "0", "--work_dir", str(work / "master")],
        "frameworks pi": ["-m", "mesos_tui.frameworks", "pi", "2", "10", "--master", master],
        "frameworks demo": ["-m", "mesos_tui.frameworks", "demo", "--master", master],
    }


# ------------------------------------------------------------------------------ lines


class Lines:
    """A process's output lines as they come, awaited with a deadline (a reader thread)."""

    def __init__(self, stream) -> None:  # noqa: ANN001 (a text stream)
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:  # noqa: ANN001
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait(self, match: Callable[[str], bool], timeout: float = BOUND) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no such line within {timeout}s; seen: {self.seen}")
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the output ended; seen: {self.seen}")
            self.seen.append(line)
            if match(line):
                return line


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------ servers


@pytest.fixture
def dead_port() -> int:
    """A loopback port where nothing listens."""
    return free_port()


@pytest.fixture
def agent_port(tmp_path: Path) -> Iterator[int]:
    """A real agent (its master never comes): its gRPC port serves the Files API only."""
    port = free_port()
    proc = subprocess.Popen(
        [PY, "-m", "daemons.agent.main", "--master", f"127.0.0.1:{free_port()}",
         "--port", str(port), "--work_dir", str(tmp_path / "agent-only"),
         "--resources", "cpus:1;mem:128;disk:100"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=environ(tmp_path),
    )
    try:
        Lines(proc.stderr).wait(lambda line: f"on 127.0.0.1:{port}" in line)
        yield port
    finally:
        stop(proc)


@pytest.fixture
def http_port() -> Iterator[int]:
    """An HTTP/1 server on loopback."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def zookeeper(tmp_path: Path) -> Iterator[ZooKeeperServer]:
    why = zookeeper_available()
    if why is not None:
        pytest.skip(why)
    server = ZooKeeperServer(tmp_path / "zk")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------------ malformed


BAD_MASTERS = {
    "garbage": "it has no port",
    "zk://": "it names no ZooKeeper host",
    "zk://127.0.0.1:2181": "it has no path",
    "127.0.0.1:99999": "port 99999 is out of range",
}


@pytest.mark.parametrize("bad", list(BAD_MASTERS))
@pytest.mark.parametrize("command", list(commands("x", Path("/"))))
def test_malformed_master_is_one_line_and_exit_2(tmp_path: Path, command: str, bad: str) -> None:
    if command == "mesos-master --zk" and not bad.startswith("zk://"):
        bad = "zk:" + bad if bad == "garbage" else f"zk://{bad}"  # --zk takes zk:// only
    result = run(tmp_path, *commands(bad, tmp_path)[command])
    assert result.returncode == 2, result
    line = one_line(result)
    assert "expected" in line and "as in " in line, line  # says what a right one looks like
    if command != "mesos-master --zk":
        assert BAD_MASTERS.get(bad, "") in line


def test_bad_master_from_the_environment(tmp_path: Path) -> None:
    env = environ(tmp_path) | {"MESOS_MASTER": "nowhere"}
    result = subprocess.run(
        [PY, "-m", "mesos_tui.cli", "shell", "-c", "tasks"], capture_output=True, text=True,
        timeout=BOUND, cwd=REPO, env=env,
    )
    assert result.returncode == 2
    assert "$MESOS_MASTER" in one_line(result)


# ------------------------------------------------------------------------------ unreachable


def client(master: str, kind: str, connect_timeout: str) -> list[str]:
    if kind == "execute":
        return ["-m", "mesos_tui.execute", "--master", master, "--name", "t",
                "--command", "true", "--connect_timeout", connect_timeout]
    return ["-m", "mesos_tui.cli", "shell", "--master", master, "-c", "tasks",
            "--connect_timeout", connect_timeout]


@pytest.mark.parametrize("kind", ["execute", "shell"])
def test_nothing_listening_gives_up_after_connect_timeout(
    tmp_path: Path, dead_port: int, kind: str
) -> None:
    started = time.monotonic()
    result = run(tmp_path, *client(f"127.0.0.1:{dead_port}", kind, "2"))
    assert result.returncode == 1
    line = one_line(result)
    assert f"cannot reach the master at 127.0.0.1:{dead_port}" in line
    assert "connection refused" in line and "gave up after 2s" in line
    assert time.monotonic() - started >= 2.0  # it did try for the time it was given


def test_a_framework_gives_up_after_connect_timeout(tmp_path: Path, dead_port: int) -> None:
    result = run(tmp_path, "-m", "mesos_tui.frameworks", "batch", "--job", "true",
                 "--master", f"127.0.0.1:{dead_port}", "--connect_timeout", "2")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"batch: cannot reach the master at 127.0.0.1:{dead_port}: nothing listens on "
        f"127.0.0.1:{dead_port} (connection refused) (gave up after 2s"
    ) in result.stderr


def test_a_piped_script_waits_once(tmp_path: Path, dead_port: int) -> None:
    """Each line of a script needs the master: the first waits --connect_timeout, the rest
    fail at once (three lines must not take three timeouts)."""
    started = time.monotonic()
    result = subprocess.run(
        [PY, "-m", "mesos_tui.cli", "shell", "--master", f"127.0.0.1:{dead_port}",
         "--connect_timeout", "4"],
        input="tasks\nagents\nframeworks\n", capture_output=True, text=True, timeout=BOUND,
        cwd=REPO, env=environ(tmp_path),
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == ["tasks", "agents", "frameworks"]
    assert all("connection refused" in line for line in lines)
    assert 4 <= elapsed < 8, elapsed


@pytest.mark.parametrize("kind", ["execute", "shell"])
def test_zookeeper_where_nothing_listens(tmp_path: Path, dead_port: int, kind: str) -> None:
    result = run(tmp_path, *client(f"zk://127.0.0.1:{dead_port}/mesos", kind, "3"))
    assert result.returncode == 1
    line = one_line(result)
    assert f"ZooKeeper at 127.0.0.1:{dead_port} is unreachable (Connection refused)" in line


def test_zookeeper_without_a_master(tmp_path: Path, zookeeper: ZooKeeperServer) -> None:
    result = run(tmp_path, *client(zookeeper.url("/nomaster"), "shell", "3"))
    assert result.returncode == 1
    assert "no master is registered under /nomaster" in one_line(result)


# ------------------------------------------------------------------------------ wrong daemon


@pytest.mark.parametrize("kind", ["execute", "shell"])
def test_an_agents_port_is_not_a_master(tmp_path: Path, agent_port: int, kind: str) -> None:
    result = run(tmp_path, *client(f"127.0.0.1:{agent_port}", kind, SLOW))
    assert result.returncode == 1
    line = one_line(result)
    assert f"127.0.0.1:{agent_port} is not a Mesos master (it answered as an agent" in line


@pytest.mark.parametrize("kind", ["execute", "shell"])
def test_an_http_port_does_not_speak_grpc(tmp_path: Path, http_port: int, kind: str) -> None:
    result = run(tmp_path, *client(f"127.0.0.1:{http_port}", kind, SLOW))
    assert result.returncode == 1
    line = one_line(result)
    assert f"127.0.0.1:{http_port} is not a Mesos master (it does not speak gRPC" in line
    assert "HTTP/1" in line


def test_zookeepers_port_does_not_speak_grpc(tmp_path: Path, zookeeper: ZooKeeperServer) -> None:
    result = run(tmp_path, *client(zookeeper.hosts, "execute", SLOW))
    assert result.returncode == 1
    assert f"{zookeeper.hosts} is not a Mesos master (it does not speak gRPC" in one_line(result)


def test_a_framework_pointed_at_an_agent(tmp_path: Path, agent_port: int) -> None:
    result = run(tmp_path, "-m", "mesos_tui.frameworks", "pi", "2", "10", "--master",
                 f"127.0.0.1:{agent_port}")
    assert result.returncode == 1
    assert "is not a Mesos master (it answered as an agent" in one_line(result)


# ------------------------------------------------------------------------------ ZooKeeper down


def test_master_says_once_that_zookeeper_is_unreachable(
    tmp_path: Path, zookeeper: ZooKeeperServer
) -> None:
    proc = subprocess.Popen(
        [PY, "-m", "daemons.master.main", "--zk", zookeeper.url(), "--quorum", "1",
         "--port", str(free_port()), "--work_dir", str(tmp_path / "master"),
         "--zk_session_timeout", "2secs"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=environ(tmp_path),
    )
    try:
        lines = Lines(proc.stderr)
        lines.wait(lambda line: "Elected leader" in line)
        before = len(lines.seen)
        zookeeper.stop()
        lines.wait(lambda line: "is unreachable" in line)
        # The leader gives up leading once the session has lapsed (2s): by then kazoo has
        # retried many times, which used to print two lines each.
        lines.wait(lambda line: "No longer leading" in line)
        zookeeper.start()
        back = lines.wait(lambda line: "reachable again" in line)
        assert zookeeper.hosts in back
        lines.wait(lambda line: "Elected leader" in line)
        outage = lines.seen[before:]
        unreachable = [line for line in outage if "unreachable" in line]
        assert len(unreachable) == 1, outage
        assert f"ZooKeeper at {zookeeper.hosts} is unreachable (" in unreachable[0]
        assert not [line for line in outage if "kazoo" in line], outage
        assert len(outage) <= 8, outage  # unreachable, leadership lost, back, elected...
    finally:
        stop(proc)


# ------------------------------------------------------------------------------ the shell


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("cli-errors-cluster")
    with LocalCluster(agents=1, master_port=free_port(), work_dir=str(work)) as cluster:
        yield cluster.master


def shell(
    tmp_path: Path, master: str, command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(tmp_path, "-m", "mesos_tui.cli", "shell", "--master", master, "-c", command,
               timeout=90, env=env)


def test_kill_two_targets(tmp_path: Path, master: str) -> None:
    for name in ("k2-a", "k2-b", "k2-c"):
        r = shell(tmp_path, master, f"launch --name {name} -- sleep 300")
        assert r.returncode == 0, r.stderr
    r = shell(tmp_path, master, "kill k2-a k2-b")
    assert r.returncode == 0, r.stderr
    states = {cols[0]: cols[2] for cols in (line.split() for line in r.stdout.splitlines()[1:])}
    assert states == {"k2-a": "TASK_KILLED", "k2-b": "TASK_KILLED"}
    r = shell(tmp_path, master, "tasks name:^k2-")
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == ["k2-c"]
    r = shell(tmp_path, master, "kill k2-c k2-nope")
    assert r.returncode == 1
    assert "no active task 'k2-nope'" in one_line(r)
    shell(tmp_path, master, "kill k2-c")


def test_logs_follow_on_a_finished_task_returns(tmp_path: Path, master: str) -> None:
    r = shell(tmp_path, master, "launch --name lf-done -- 'echo last words; sleep 300'")
    assert r.returncode == 0, r.stderr
    assert shell(tmp_path, master, "kill lf-done").returncode == 0
    r = shell(tmp_path, master, "logs -f lf-done")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "last words"
    assert "task lf-done is TASK_KILLED (it had ended)" in r.stdout.splitlines()[-1]


def test_logs_follow_ends_when_the_task_ends(tmp_path: Path, master: str) -> None:
    go = tmp_path / "go"
    script = f"echo waiting; while [ ! -e {go} ]; do sleep 0.05; done; printf 'done'"
    r = shell(tmp_path, master, f"launch --name lf-run -- \"{script}\"")
    assert r.returncode == 0, r.stderr
    proc = subprocess.Popen(
        [PY, "-m", "mesos_tui.cli", "shell", "--master", master, "-c", "logs -f lf-run"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=environ(tmp_path),
    )
    try:
        lines = Lines(proc.stdout)
        lines.wait(lambda line: line == "waiting")
        go.touch()
        lines.wait(lambda line: "ended" in line)
        assert proc.wait(timeout=BOUND) == 0
        assert lines.seen[-2:] == ["done", "-- task lf-run ended TASK_FINISHED: end of its stdout"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------ mesos-tui, up


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(tmp_path, "-m", "mesos_tui.cli", "--help")
    assert result.returncode == 0
    assert re.search(r"^\s+shell\s+\S", result.stdout, re.M), result.stdout
    assert re.search(r"^\s+up\s+\S", result.stdout, re.M), result.stdout


def test_unknown_command(tmp_path: Path) -> None:
    result = run(tmp_path, "-m", "mesos_tui.cli", "bogus")
    assert result.returncode == 2
    line = one_line(result)
    assert "unknown command 'bogus'" in line and "shell" in line and "up" in line
    assert "flag" not in line


def test_up_no_tui_prints_a_clean_address(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [PY, "-m", "mesos_tui.cli", "up", "--no-tui", "--agents", "1", "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=environ(tmp_path), start_new_session=True,
    )
    try:
        lines = Lines(proc.stdout)
        line = lines.wait(lambda line: line.startswith("Cluster up"))
        m = re.fullmatch(r"Cluster up: master at (\S+)", line)
        assert m is not None, line
        address = m.group(1)
        assert re.fullmatch(r"127\.0\.0\.1:\d+", address), address
        # The cluster speaks TLS only; the lines after say with which settings to dial it.
        hint = lines.wait(lambda line: "mesos-tui shell --master" in line)
        settings = dict(word.split("=", 1) for word in hint.split() if "=" in word)
        assert settings["LIBPROCESS_SSL_ENABLED"] == "true", hint
        r = shell(tmp_path, address, "agents", env=settings)
        assert r.returncode == 0 and "agent1" in r.stdout, r.stderr
        r = shell(tmp_path, address, "agents", env={"LIBPROCESS_SSL_ENABLED": "false"})
        assert r.returncode == 1 and "requires TLS" in one_line(r), r.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=BOUND) == 0


def test_failed_up_keeps_its_logs(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = environ(tmp_path) | {"TMPDIR": str(tmp_path)}
        result = subprocess.run(
            [PY, "-m", "mesos_tui.cli", "up", "--no-tui", "--port", str(port)],
            capture_output=True, text=True, timeout=BOUND * 2, cwd=REPO, env=env,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    m = re.search(r"its log is (\S+master\.log)", result.stderr)
    assert m is not None, result.stderr
    log = Path(m.group(1))
    assert log.exists(), "the log named was deleted"
    assert "cannot listen" in log.read_text()
    assert "cannot listen" in result.stderr  # the log's tail is printed too
