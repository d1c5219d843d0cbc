"""mesos-execute without a cluster: its flags, its output format and its framework info."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2
from mesos_tui import execute

Cap = mesos_pb2.FrameworkInfo.Capability


def parse(*argv: str):  # noqa: ANN201
    return execute.flag_set().parse(list(argv), env={})


def test_defaults_follow_mesos() -> None:
    ns = parse("--master", "127.0.0.1:5050", "--name", "t", "--command", "true")
    assert ns.resources == Resources.parse("cpus:1;mem:128")
    assert ns.shell is True
    assert ns.role == "*"
    assert ns.framework_name == "mesos-execute instance"
    assert ns.kill_after is None and ns.env is None and ns.checkpoint is False


def test_values_parse() -> None:
    ns = parse(
        "--master=zk://127.0.0.1:2181/mesos", "--name", "t", "--command", "ls -l",
        "--shell=false", "--resources", "cpus:0.5;mem:64", "--kill-after", "2mins",
        "--env", '{"A": "1", "B": 2}', "--framework_capabilities", "PARTITION_AWARE,TASK_KILLING_STATE",
        "--checkpoint", "--principal", "ops",
    )
    assert ns.shell is False
    assert ns.kill_after == 120.0
    assert ns.env == {"A": "1", "B": "2"}
    assert ns.framework_capabilities == [Cap.PARTITION_AWARE, Cap.TASK_KILLING_STATE]
    info = execute.framework_info(ns)
    assert info.checkpoint and info.principal == "ops"
    assert {c.type for c in info.capabilities} == {Cap.PARTITION_AWARE, Cap.TASK_KILLING_STATE}


def test_env_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "env.json"
    path.write_text(json.dumps({"GREETING": "hi"}))
    ns = parse("--master", "h:1", "--name", "t", "--command", "true", "--env", str(path))
    assert ns.env == {"GREETING": "hi"}


def test_partition_aware_flag_sets_the_capability() -> None:
    ns = parse("--master", "h:1", "--name", "t", "--command", "true", "--partition_aware")
    assert [c.type for c in execute.framework_info(ns).capabilities] == [Cap.PARTITION_AWARE]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--name", "t", "--command", "true"], "flag --master is required"),
        (["--master", "h:1", "--name", "t", "--resources", "cpus:x"], "bad value in 'cpus:x'"),
        (["--master", "h:1", "--name", "t", "--env", "[1]"], "expected a JSON object"),
        (["--master", "h:1", "--name", "t", "--kill_after", "soon"], "bad duration"),
        (["--master", "h:1", "--name", "t", "--framework_capabilities", "FLY"], "unknown framework capability 'FLY'"),
        (["--master", "h:1", "--name", "t", "--frobnicate"], "unknown flag"),
        (["--master", "h:1", "--name", "t"], "flag --command is required"),
    ],
)
def test_bad_flags_say_one_line_and_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("MESOS_MASTER", "MESOS_NAME", "MESOS_COMMAND", "MESOS_RESOURCES"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        execute.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert says in err


def test_status_update_lines_match_mesos() -> None:
    status = mesos_pb2.TaskStatus(
        state=mesos_pb2.TASK_FAILED,
        message="Command exited with status 3",
        source=mesos_pb2.TaskStatus.SOURCE_EXECUTOR,
        reason=mesos_pb2.TaskStatus.REASON_COMMAND_EXECUTOR_FAILED,
    )
    status.task_id.value = "t"
    assert execute.format_update(status, "t").splitlines() == [
        "Received status update TASK_FAILED for task 't'",
        "  message: 'Command exited with status 3'",
        "  source: SOURCE_EXECUTOR",
        "  reason: REASON_COMMAND_EXECUTOR_FAILED",
    ]
    bare = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_RUNNING)
    assert execute.format_update(bare, "t") == "Received status update TASK_RUNNING for task 't'"


def test_largest_means_closest_to_the_request() -> None:
    want = Resources.parse("cpus:8;mem:128")
    small = Resources.parse("cpus:2;mem:1024")
    big = Resources.parse("cpus:6;mem:64")
    assert execute._size(big, want) > execute._size(small, want)
