"""`mesos-tui shell` end to end: real master and agent processes, the shell as a subprocess.

Every step waits on the shell itself (`-c launch` returns once its tasks run, `-c kill` once
they are dead, `logs --follow` streams until the line appears): no sleeps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mesos_tui.local import LocalCluster, free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("shell-cluster")
    with LocalCluster(agents=2, master_port=free_port(), work_dir=str(work)) as cluster:
        yield cluster.master


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = dict(os.environ)
    e["XDG_DATA_HOME"] = str(tmp_path / "data")
    e.pop("MESOS_MASTER", None)
    return e


def shell(master: str, env: dict[str, str], *args: str, stdin: str | None = None,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mesos_tui.shell", "--master", master, *args],
        input=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO,
    )


def rows(output: str) -> dict[str, list[str]]:
    """A table's rows by their first column (header skipped)."""
    lines = [line.split() for line in output.strip().splitlines()[1:] if line.strip()]
    return {cols[0]: cols for cols in lines}


def c(master: str, env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return shell(master, env, "-c", command)


def test_launch_list_kill_with_c(master: str, env: dict[str, str]) -> None:
    r = c(master, env, "launch --name t1 -- sleep 60")
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout)["t1"][:3] == ["t1", "t1", "TASK_RUNNING"]

    r = c(master, env, "tasks")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split() == [
        "ID", "NAME", "STATE", "AGENT", "FRAMEWORK", "CPUS", "MEM"
    ]
    assert rows(r.stdout)["t1"][2] == "TASK_RUNNING"
    assert "\x1b[" not in r.stdout  # no colour when not a tty

    # The shell left; its framework is failing over, not torn down, so t1 still runs.
    r = c(master, env, "frameworks")
    assert "mesos-tui shell  failing over" in r.stdout

    r = c(master, env, "kill t1 -y")
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout)["t1"][2] == "TASK_KILLED"

    r = c(master, env, "tasks")
    assert "t1" not in rows(r.stdout)
    r = c(master, env, "tasks --all name:^t1$")
    assert rows(r.stdout)["t1"][2] == "TASK_KILLED"


def test_count_filter_kill_asks_and_the_framework_is_reused(master: str, env: dict[str, str]) -> None:
    r = c(master, env, "launch --name c --count 3 --cpus 0.2 --mem 16 -- sleep 120")
    assert r.returncode == 0, r.stderr
    launched = rows(r.stdout)
    assert sorted(launched) == ["c-1", "c-2", "c-3"]
    assert {row[2] for row in launched.values()} == {"TASK_RUNNING"}

    # More than one task without -y: refused, with a clear message, and nothing killed.
    r = c(master, env, "kill name:^c-")
    assert r.returncode == 1
    assert "needs confirmation: 3 tasks match 'name:^c-' (c-1, c-2, c-3); add -y" in r.stderr
    # An ambiguous prefix is an error too.
    r = c(master, env, "kill c")
    assert r.returncode == 1 and "'c' is ambiguous: it matches 3" in r.stderr
    r = c(master, env, "tasks name:^c-")
    assert {row[2] for row in rows(r.stdout).values()} == {"TASK_RUNNING"}
    assert {row[-2] for row in rows(r.stdout).values()} == {"0.2"}  # CPUS

    # A second launch subscribes again as the same framework.
    r = c(master, env, "launch --name solo --agent agent1 -- sleep 120")
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout)["solo"][3] == "agent1"
    r = c(master, env, "tasks name:^(c-|solo)")
    assert len({row[4] for row in rows(r.stdout).values()}) == 1  # one framework name...
    r = c(master, env, "frameworks")
    shell_fws = [line for line in r.stdout.splitlines() if "mesos-tui shell" in line]
    assert len(shell_fws) == 1, r.stdout  # ...and one framework

    r = c(master, env, "kill name:^c- -y")
    assert r.returncode == 0, r.stderr
    assert {row[2] for row in rows(r.stdout).values()} == {"TASK_KILLED"}
    r = c(master, env, "kill sol -y")  # a unique prefix is enough
    assert r.returncode == 0 and rows(r.stdout)["solo"][2] == "TASK_KILLED"


def test_piped_input_runs_line_by_line(master: str, env: dict[str, str]) -> None:
    script = "\n".join([
        "# a comment, then a blank line",
        "",
        "launch --name p --count 2 -- sleep 120",
        "tasks name:^p-",
        "kill name:^p-",
        "kill state:running name:^p- -y",
        "tasks --all name:^p-",
    ]) + "\n"
    r = shell(master, env, stdin=script)
    assert r.returncode == 1  # the unconfirmed kill failed
    assert "mesos>" not in r.stdout
    assert "kill: needs confirmation: 2 tasks" in r.stderr
    tables = r.stdout.split("ID ")
    assert len(tables) == 5  # launch, tasks, kill, tasks
    assert "p-1" in tables[2] and "TASK_RUNNING" in tables[2]
    assert tables[4].count("TASK_KILLED") == 2


def test_logs_and_follow(master: str, env: dict[str, str]) -> None:
    r = c(master, env, "launch --name lg -- 'echo hello-from-lg; echo oops >&2; exec sleep 120'")
    assert r.returncode == 0, r.stderr
    follow = subprocess.Popen(
        [sys.executable, "-m", "mesos_tui.shell", "--master", master, "-c", "logs lg --follow"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    try:
        assert follow.stdout is not None
        assert follow.stdout.readline() == "hello-from-lg\n"
    finally:
        follow.kill()
        follow.wait()
    r = c(master, env, "logs lg")
    assert r.returncode == 0 and r.stdout == "hello-from-lg\n"
    r = c(master, env, "logs lg --stderr")
    assert r.stdout == "oops\n"
    assert c(master, env, "kill lg -y").returncode == 0


@pytest.mark.parametrize(
    ("command", "code", "message"),
    [
        ("bogus", 2, "unknown command 'bogus'"),
        ("launch --cpu 1 -- x", 2, "launch: unknown flag --cpu"),
        ("kill no-such-task -y", 1, "kill: no active task matches 'no-such-task'"),
        ("tasks name:(", 1, "tasks: bad regular expression '('"),
        ("logs nope", 1, "logs: no task 'nope'"),
        ("launch --cpus 64 -- x", 1, "launch: no agent can ever hold cpus:64;mem:32"),
        ("launch --agent nowhere -- x", 1, "launch: no agent 'nowhere'"),
    ],
)
def test_errors_are_one_line_and_non_zero(
    master: str, env: dict[str, str], command: str, code: int, message: str
) -> None:
    r = c(master, env, command)
    assert r.returncode == code
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr + r.stdout


def test_views(master: str, env: dict[str, str]) -> None:
    r = c(master, env, "agents")
    assert r.returncode == 0
    hosts = {row[1] for row in rows(r.stdout).values()}
    assert hosts == {"agent1", "agent2"}
    r = c(master, env, "offers")
    assert r.returncode == 0 and r.stdout.split()[:2] == ["ID", "FRAMEWORK"]
    r = c(master, env, "watch --limit 1 --all")
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 1


def test_start_runs_a_framework_from_the_shell(master: str, env: dict[str, str]) -> None:
    proc = c(master, env, "start pi 4 200")
    assert proc.returncode == 0, proc.stderr
    assert "Estimated value of Pi is 3.1" in proc.stdout


def test_start_refuses_an_unknown_framework(master: str, env: dict[str, str]) -> None:
    proc = c(master, env, "start hadoop 1 2")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "start: no framework 'hadoop'; choose one of wordcount, pi, gang, batch"
    )
