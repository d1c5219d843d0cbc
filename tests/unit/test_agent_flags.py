"""The agent's command line, run as a real process, and resource detection."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daemons.agent.host import agent_resources, attributes_to_proto, detect_resources
from daemons.common.resources import Resources
from daemons.proto import mesos_pb2


def run_agent(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "daemons.agent.main", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=30, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--resources", "cpus:lots"], "--resources"),
        (["--resources", "ports:[32000-31000]"], "begin must be <= end"),
        (["--executor_shutdown_grace_period", "soon"], "bad duration"),
        (["--port", "70000"], "not a port"),
        (["--attributes", "rack"], "bad attribute"),
        (["--log_level", "loud"], "not one of"),
    ],
)
def test_bad_flag_value_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = run_agent("--master", "127.0.0.1:5050", "--work_dir", str(tmp_path), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_console_script_refuses_bad_resources(tmp_path: Path) -> None:
    script = shutil.which("mesos-agent", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("mesos-agent console script is not installed in this environment")
    result = subprocess.run(
        [
            script,
            "--master",
            "127.0.0.1:5050",
            "--work_dir",
            str(tmp_path),
            "--resources",
            "cpus:2;mem",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bad resource 'mem'" in result.stderr


def test_required_flags(tmp_path: Path) -> None:
    result = run_agent("--work_dir", str(tmp_path))
    assert result.returncode == 2
    assert "--master is required" in result.stderr
    result = run_agent("--master", "127.0.0.1:5050")
    assert result.returncode == 2
    assert "--work_dir is required" in result.stderr


def test_bad_master_address(tmp_path: Path) -> None:
    result = run_agent("--master", "nowhere", "--work_dir", str(tmp_path))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bad master address" in result.stderr


def test_bad_value_from_environment(tmp_path: Path) -> None:
    result = run_agent(
        "--master",
        "127.0.0.1:5050",
        "--work-dir",
        str(tmp_path),
        env={"MESOS_RESOURCES": "cpus:-1"},
    )
    assert result.returncode == 2
    assert "MESOS_RESOURCES" in result.stderr


def test_detected_resources(tmp_path: Path) -> None:
    detected = detect_resources(tmp_path)
    assert detected.cpus == float(os.cpu_count() or 1)
    assert detected.mem > 0
    assert detected.disk > 0
    assert detected.ranges["ports"] == ((31000, 32000),)


def test_flag_resources_are_completed_with_detected_ones(tmp_path: Path) -> None:
    resources = agent_resources(Resources.parse("cpus:2;mem:1024;gpus:1"), tmp_path)
    assert resources.cpus == 2
    assert resources.mem == 1024
    assert resources.scalar("gpus") == 1
    assert resources.disk > 0
    assert resources.ranges["ports"] == ((31000, 32000),)
    explicit = agent_resources(Resources.parse("cpus:1;mem:1;disk:1;ports:[5-6]"), tmp_path)
    assert str(explicit) == "cpus:1;mem:1;disk:1;ports:[5-6]"


def test_attributes_are_typed_like_mesos() -> None:
    attributes = {
        a.name: a
        for a in attributes_to_proto(
            {"rack": "r1", "level": "3", "ports": "[1-2,5-6]", "disks": "{a,b}"}
        )
    }
    assert attributes["rack"].type == mesos_pb2.Value.TEXT
    assert attributes["rack"].text.value == "r1"
    assert attributes["level"].scalar.value == 3
    assert [(r.begin, r.end) for r in attributes["ports"].ranges.range] == [(1, 2), (5, 6)]
    assert list(attributes["disks"].set.item) == ["a", "b"]
