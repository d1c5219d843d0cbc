"""Tasks run as their user (--switch_user, on by default): a real master and agent, real tasks.

- A task of user `nobody` runs with uid/gid 65534, no capabilities, in a sandbox it owns, and
  cannot read /etc/shadow.
- CommandInfo.user wins over FrameworkInfo.user; an unknown user is TASK_FAILED, saying so.
- Nothing runs as root unless the agent was started with --allow_root_tasks.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import task_info
from tests.cluster import Cluster, state_name

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")

Reason = mesos_pb2.TaskStatus
TERMINAL = {
    mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED, mesos_pb2.TASK_ERROR,
    mesos_pb2.TASK_LOST, mesos_pb2.TASK_DROPPED,
}
QUICK = mesos_pb2.Filters(refuse_seconds=0)
NOBODY = pwd.getpwnam("nobody")


def ended(task_id: str):  # noqa: ANN201
    return lambda s: s.task_id.value == task_id and s.state in TERMINAL


def sandbox_of(agent_work_dir: Path, task_id: str) -> Path:
    [run] = list(agent_work_dir.glob(f"slaves/*/frameworks/*/executors/{task_id}/runs/*-*"))
    return run


async def run_one(cluster: Cluster, user: str, command: str, task_id: str,
                  command_user: str | None = None, **agent_flags: object):  # noqa: ANN201
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:1;mem:256", **agent_flags)
    driver, rec = await cluster.framework(f"users-{task_id}", user=user)
    [offer, *_] = await rec.next("offers")
    task = task_info(task_id, task_id, agent.agent_id, command, "cpus:0.1;mem:32")
    if command_user is not None:
        task.command.user = command_user
    await driver.launch([offer], [task], QUICK)
    status = await rec.next("update", ended(task_id))
    return agent, status


async def test_a_task_of_nobody_runs_as_nobody_and_cannot_read_shadow(cluster: Cluster) -> None:
    script = (
        "id -u; id -g; grep CapEff /proc/self/status; echo USER=$USER HOME=$HOME; "
        "if cat /etc/shadow >/dev/null 2>err; then echo SHADOW-READ; else echo shadow-denied; fi; "
        "touch mine && echo wrote-sandbox"
    )
    agent, status = await run_one(cluster, "nobody", script, "who")
    assert state_name(status.state) == "TASK_FINISHED", status
    sandbox = sandbox_of(agent.work_dir, "who")
    out = (sandbox / "stdout").read_text().split("\n")
    assert out[0] == str(NOBODY.pw_uid) == "65534", out
    assert out[1] == str(NOBODY.pw_gid), out
    assert out[2].split() == ["CapEff:", "0000000000000000"], out
    assert out[3] == f"USER=nobody HOME={NOBODY.pw_dir}", out
    assert "shadow-denied" in out and "SHADOW-READ" not in out, out
    assert "wrote-sandbox" in out, out
    st = sandbox.stat()
    assert (st.st_uid, st.st_gid) == (NOBODY.pw_uid, NOBODY.pw_gid)
    assert (sandbox / "mine").stat().st_uid == NOBODY.pw_uid


async def test_command_user_wins_over_the_framework_user(cluster: Cluster) -> None:
    # The framework says root; the task's CommandInfo.user says nobody: nobody it is (and the
    # agent, without --allow_root_tasks, would have refused root).
    agent, status = await run_one(
        cluster, "root", "id -u", "cmd-user", command_user="nobody", allow_root_tasks="false",
    )
    assert state_name(status.state) == "TASK_FINISHED", status
    assert (sandbox_of(agent.work_dir, "cmd-user") / "stdout").read_text().strip() == "65534"


async def test_an_unknown_user_fails_the_task_saying_so(cluster: Cluster) -> None:
    _, status = await run_one(cluster, "no-such-user-4711", "true", "ghost")
    assert state_name(status.state) == "TASK_FAILED", status
    assert status.reason == Reason.REASON_CONTAINER_LAUNCH_FAILED
    assert status.message == (
        "Failed to launch container: user 'no-such-user-4711' does not exist on this agent"
    ), status.message


async def test_root_tasks_need_the_agent_flag(cluster: Cluster) -> None:
    _, status = await run_one(cluster, "root", "id -u", "rooted", allow_root_tasks="false")
    assert state_name(status.state) == "TASK_FAILED", status
    assert status.reason == Reason.REASON_CONTAINER_LAUNCH_FAILED
    assert "runs root tasks only with --allow_root_tasks" in status.message, status.message
