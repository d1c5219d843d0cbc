"""A master whose event loop is saturated still stops on SIGTERM (issue 15: one that was busy
with 6,000 agents ignored SIGTERM for minutes, its loop never reaching the signal).

The master here is the real `mesos-master` process; the saturation is injected: once it
leads, one callback on its loop spins forever, which is what a loop that never finishes its
ready work looks like from the signal's side. With `loop.add_signal_handler` (the old way) the
signal's callback would wait behind it for ever; this test would then time out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.cluster import free_port

REPO = Path(__file__).resolve().parents[2]
BOUND = 30.0  # generous: the process must end, not end fast; the spin would last for ever

BUSY_MASTER = """
import asyncio, sys
from daemons.master import main as entry
from daemons.master.master import Master

original = Master.become_leader

def become_leader(self, *args, **kwargs):
    original(self, *args, **kwargs)
    def spin():
        print("busy", flush=True)
        while True:
            pass
    asyncio.get_running_loop().call_soon(spin)

Master.become_leader = become_leader
entry.main(sys.argv[1:])
"""


def test_sigterm_stops_a_master_whose_loop_never_yields(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", BUSY_MASTER, "--port", str(free_port()),
         "--work_dir", str(tmp_path / "master")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "busy"
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the busy master ignored SIGTERM for {BOUND:g}s") from None
        assert proc.returncode == 0
        assert proc.stderr is not None
        assert "Still busy 1s after SIGTERM: exiting now" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
