"""Command start: `--help` and a bad flag load only what they use.

Every command a person types used to spend ~130 ms importing gRPC, protobuf, asyncio and the
daemons before printing its help. These tests run each entry point the way its console script
does, in a fresh interpreter, and read `sys.modules` after it has answered: none of the heavy
libraries may be there. (How fast that is, is measured in benchmarks/command_start.py, not
here.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent

# Top-level packages a help text or a flag error never needs.
HEAVY = (
    "grpc", "google", "textual", "kazoo", "aiohttp", "psutil", "asyncio", "prompt_toolkit", "logging",
)

ENTRIES = {
    "mesos-execute": "mesos_tui.execute",
    "mesos-tui": "mesos_tui.cli",
    "mesos-master": "daemons.master.main",
    "mesos-agent": "daemons.agent.main",
}

PROBE = """
import json, sys
module = __import__(sys.argv[1], fromlist=["main"])
code = 0
try:
    if hasattr(module, "main"):
        module.main(sys.argv[2:])
except SystemExit as e:
    code = e.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY_NAMES))
sys.stdout.flush()
sys.stderr.write("\\nLOADED " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
""".replace("HEAVY_NAMES", repr(HEAVY))


def run_entry(module: str, *args: str) -> tuple[int, list[str], str]:
    """Run `module.main(args)` in a fresh interpreter; its exit code, the heavy packages it
    loaded, and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module, *args],
        capture_output=True, text=True, cwd=REPO, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )
    assert "LOADED " in done.stderr, done.stderr
    report = json.loads(done.stderr.rsplit("LOADED ", 1)[1])
    return report["code"], report["heavy"], done.stdout + done.stderr


@pytest.mark.parametrize("program", sorted(ENTRIES))
def test_help_loads_nothing_heavy(program: str) -> None:
    code, heavy, out = run_entry(ENTRIES[program], "--help")
    assert code == 0, out
    assert "usage:" in out
    assert heavy == [], f"{program} --help imported {heavy}"


@pytest.mark.parametrize(
    ("program", "args"),
    [
        ("mesos-execute", ["--master", "nohost", "--name", "t", "--command", "true"]),
        ("mesos-master", ["--port", "99999"]),
        ("mesos-agent", ["--master", "127.0.0.1:5050", "--work_dir", "w", "--bogus"]),
        ("mesos-tui", ["--master", "zk:/nope"]),
    ],
)
def test_bad_flag_loads_nothing_heavy(program: str, args: list[str]) -> None:
    code, heavy, out = run_entry(ENTRIES[program], *args)
    assert code == 2, out
    assert heavy == [], f"{program} with a bad flag imported {heavy}"


def test_the_probe_sees_heavy_imports() -> None:
    """The check is not vacuous: running the scheduler module does load gRPC and asyncio."""
    code, heavy, out = run_entry("mesos_tui.execute_scheduler", "--help")
    assert {"grpc", "asyncio", "google"} <= set(heavy), out
