"""The agent's checkpoint (atomic files, the update log, torn records) and the sandbox
collector's policy (gc_delay shrinking as the disk fills), with no processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemons.agent.checkpoint import Checkpoint, replay_updates, write_atomically
from daemons.agent.gc import SandboxCollector, remove_paths
from daemons.proto import mesos_pb2


def status(task_id: str, state: int, uuid: bytes) -> mesos_pb2.TaskStatus:
    s = mesos_pb2.TaskStatus(state=state, uuid=uuid)  # type: ignore[arg-type]
    s.task_id.value = task_id
    return s


def test_update_log_replays_pending_after_acks_and_ignores_a_torn_tail(tmp_path: Path) -> None:
    task_dir = tmp_path / "t"
    task_dir.mkdir()
    Checkpoint.append_update(task_dir, status("t", mesos_pb2.TASK_STARTING, b"1"))
    Checkpoint.append_update(task_dir, status("t", mesos_pb2.TASK_RUNNING, b"2"))
    Checkpoint.append_ack(task_dir, b"1")
    Checkpoint.append_ack(task_dir, b"nope")  # Not the head: ignored, as by the manager.
    Checkpoint.append_update(task_dir, status("t", mesos_pb2.TASK_FINISHED, b"3"))
    with open(task_dir / "task.updates", "ab") as f:
        f.write(b"\x00\x00\x01\x00U\x08")  # The agent died in the middle of a record.
    statuses, pending = replay_updates(task_dir / "task.updates")
    assert [s.uuid for s in statuses] == [b"1", b"2", b"3"]
    assert [s.uuid for s in pending] == [b"2", b"3"]


def test_recover_reads_agent_frameworks_runs_and_exit_status(tmp_path: Path) -> None:
    checkpoint = Checkpoint(tmp_path)
    assert checkpoint.recover().agent_id is None
    info = mesos_pb2.AgentInfo(hostname="h")
    info.id.value = "A-S1"
    checkpoint.write_agent(info)
    framework = mesos_pb2.FrameworkInfo(name="fw", user="u")
    framework.id.value = "F-1"
    checkpoint.write_framework("A-S1", framework)
    run = checkpoint.run_dir("A-S1", "F-1", "t", "c1")
    task = mesos_pb2.TaskInfo(name="t")
    task.task_id.value = "t"
    task_dir = checkpoint.write_task(run, task)
    Checkpoint.write_container(run, {"container_id": "c1", "pid": 42, "pid_start": 7})
    Checkpoint.append_update(task_dir, status("t", mesos_pb2.TASK_RUNNING, b"1"))
    Checkpoint.write_exit_status(run, 3 << 8)
    recovered = Checkpoint(tmp_path).recover()
    assert recovered.agent_id == "A-S1"
    assert recovered.frameworks["F-1"].name == "fw"
    [found] = recovered.runs
    assert (found.container_id, found.exit_status, found.container["pid"]) == ("c1", 768, 42)
    assert found.container["ended"] is True
    assert [t.info.task_id.value for t in found.tasks] == ["t"]
    assert not list(run.glob(".*.tmp"))  # Atomic writes leave no temp files behind.


def test_write_atomically_replaces_whole_files(tmp_path: Path) -> None:
    path = tmp_path / "f"
    write_atomically(path, b"old", fsync=True)
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"


def test_collector_waits_gc_delay_and_hurries_when_the_disk_fills(tmp_path: Path) -> None:
    now = [1000.0]
    usage = [0.2]
    collector = SandboxCollector(
        gc_delay=100.0, gc_disk_headroom=0.1, clock=lambda: now[0], disk_usage=lambda: usage[0]
    )
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    collector.schedule([old], finished_at=950.0)
    collector.schedule([new], finished_at=1000.0)
    assert collector.watch_disk() == pytest.approx(70.0)
    assert collector.due() == []
    assert collector.next_due_in() == pytest.approx(20.0)
    usage[0] = 0.85  # Nearly full: sandboxes older than 5 s go.
    assert collector.watch_disk() == pytest.approx(5.0)
    assert collector.due() == [old]
    usage[0] = 0.95  # Past the headroom: everything goes.
    collector.watch_disk()
    assert collector.due() == [new]
    assert remove_paths([old, new, tmp_path / "missing"]) == 2
    assert not old.exists() and not new.exists()


def test_removing_the_last_run_removes_its_executor_directory(tmp_path: Path) -> None:
    """Else every finished task leaves an empty executor directory (and a dangling
    `runs/latest` link) in the sandbox tree and in the checkpoint, for ever."""
    executors = tmp_path / "slaves" / "S0" / "frameworks" / "F" / "executors"
    done = executors / "t1" / "runs" / "c1"
    done.mkdir(parents=True)
    (done / "stdout").write_text("x")
    (executors / "t1" / "runs" / "latest").symlink_to("c1")
    older = executors / "t2" / "runs" / "c2"
    newer = executors / "t2" / "runs" / "c3"
    older.mkdir(parents=True)
    newer.mkdir(parents=True)
    (executors / "t2" / "runs" / "latest").symlink_to("c3")
    assert remove_paths([done, older]) == 2
    assert not (executors / "t1").exists()
    # Another run of the executor is still there: it keeps its directory and link.
    assert sorted(p.name for p in (executors / "t2" / "runs").iterdir()) == ["c3", "latest"]
