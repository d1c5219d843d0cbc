"""`mesos-tui up`: a local cluster with the TUI, and nothing left behind when it stops."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import psutil

DEADLINE = 60.0


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_for_cluster(pid: int, agents: int) -> list[psutil.Process]:
    """The processes of a started cluster: a master and `agents` agents under `pid`."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        kids = _descendants(pid)
        cmdlines = [" ".join(p.cmdline()) for p in _alive(kids)]
        if sum("daemons.agent.main" in c for c in cmdlines) == agents and any(
            "daemons.master.main" in c for c in cmdlines
        ):
            return kids
        time.sleep(0.1)
    raise AssertionError("the local cluster did not start")


def test_up_with_the_tui_leaves_no_process_after_q(tmp_path) -> None:
    """Run `mesos-tui up` in a real pseudo-terminal, wait for the TUI to draw the agents,
    press q, and check every process it started is gone."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command under a terminal of its own
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = "140", "40"
        os.execv(sys.executable, [sys.executable, "-m", "mesos_tui.cli", "up", "--agents", "2"])
    screen = b""
    try:
        kids = _wait_for_cluster(pid, agents=2)
        deadline = time.monotonic() + DEADLINE
        while b"agent2" not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break
        assert b"agent2" in screen, "the TUI never showed the agents"
        os.write(fd, b"q")
        deadline = time.monotonic() + DEADLINE
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            select.select([fd], [], [], 0.2)
            try:
                os.read(fd, 65536)
            except OSError:
                pass
        assert status is not None and os.waitstatus_to_exitcode(status) == 0
        assert kids, "no process was started"
        left = _alive(kids)
        assert not left, f"left behind: {[p.cmdline() for p in left]}"
    finally:
        for p in _alive(_descendants(pid)):
            p.kill()
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def test_up_without_the_tui_stops_everything_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mesos_tui.cli", "up", "--agents", "1", "--no-tui"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        kids = _wait_for_cluster(proc.pid, agents=1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=DEADLINE) == 0
        left = _alive(kids)
        assert not left, f"left behind: {[p.cmdline() for p in left]}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in _alive(_descendants(proc.pid)):
            p.kill()
