"""The scheduler driver's pure helpers: TaskInfo building and reconnection backoff."""

from __future__ import annotations

import random

import pytest

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import backoff_delay, command_info, launch_operation, task_info


def test_task_info_from_text() -> None:
    t = task_info("t1", "hello", "a1", "echo hi", "cpus:0.5;mem:32", environment={"X": "1"})
    assert (t.task_id.value, t.name, t.agent_id.value) == ("t1", "hello", "a1")
    assert Resources.from_proto(t.resources) == Resources.parse("cpus:0.5;mem:32")
    assert t.command.shell and t.command.value == "echo hi"
    assert [(v.name, v.value) for v in t.command.environment.variables] == [("X", "1")]


def test_task_info_with_allocation_role() -> None:
    t = task_info("t1", "t1", "a1", "true", Resources.parse("cpus:1"), role="ads")
    assert [r.allocation_info.role for r in t.resources] == ["ads"]


def test_command_without_shell_is_an_argv() -> None:
    c = command_info("ls -l '/tmp/a b'", shell=False)
    assert not c.shell
    assert c.value == "ls"
    assert list(c.arguments) == ["ls", "-l", "/tmp/a b"]
    with pytest.raises(ValueError):
        command_info("", shell=False)


def test_launch_operation() -> None:
    op = launch_operation([task_info("t", "t", "a", "true", "cpus:1")])
    assert op.type == mesos_pb2.Offer.Operation.LAUNCH
    assert [x.task_id.value for x in op.launch.task_infos] == ["t"]


def test_backoff_grows_jittered_and_capped() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, 0.1, 2.0, rng) for n in range(12)]
    for n, d in enumerate(delays):
        ceiling = min(2.0, 0.1 * 2**n)
        assert ceiling / 2 <= d <= ceiling
    assert max(delays) <= 2.0
    assert backoff_delay(10_000, 0.1, 2.0) <= 2.0  # No overflow for long outages.
