"""The agent's checkpoint under `<work_dir>/meta`: what it needs to recover after a restart.

Mesos's layout:

    meta/slaves/latest -> <agent_id>
    meta/slaves/<agent_id>/slave.info                                    AgentInfo
    meta/slaves/<agent_id>/frameworks/<fw>/framework.info               FrameworkInfo
    .../frameworks/<fw>/executors/<ex>/executor.info                    ExecutorInfo (custom)
    .../frameworks/<fw>/executors/<ex>/runs/<container_id>/container.json
          supervisor and task pids with their start times, boot id, cgroups, sandbox
    .../runs/<container_id>/exit_status                                   the wait status
    .../runs/<container_id>/tasks/<task_id>/task.info                    TaskInfo
    .../runs/<container_id>/tasks/<task_id>/task.updates                 update log

Whole files are written atomically (a temp file, then rename); the agent id is fsynced too,
since everything else hangs off it. Other files are not fsynced: what the agent must survive
is its own death, which keeps the page cache; a crash of the host takes the tasks with it.

`task.updates` is append-only, as in Mesos: records `U` (a TaskStatus) and `A` (the uuid of an
acknowledged update), each `<length:4><kind:1><payload>`, written with one `write(2)`. A torn
last record (the agent died mid-write) is ignored on replay.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from daemons.proto import mesos_pb2

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">IB")
UPDATE = ord("U")
ACK = ord("A")


def write_atomically(path: Path, data: bytes, fsync: bool = False) -> None:
    """Replace `path` with `data` so a reader sees the old file or the new one, never half."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    if fsync:
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@dataclass(slots=True)
class RecoveredTask:
    info: mesos_pb2.TaskInfo
    statuses: list[mesos_pb2.TaskStatus]  # every update, oldest first
    pending: list[mesos_pb2.TaskStatus]  # not yet acknowledged, oldest first


@dataclass(slots=True)
class RecoveredRun:
    """One container run found in the checkpoint."""

    framework_id: str
    executor_id: str
    container_id: str
    directory: Path
    container: dict[str, object]  # container.json (empty if the agent died before writing it)
    exit_status: int | None
    tasks: list[RecoveredTask] = field(default_factory=list)
    executor_info: mesos_pb2.ExecutorInfo | None = None  # A custom executor's run.


@dataclass(slots=True)
class Recovered:
    agent_id: str | None
    agent_info: mesos_pb2.AgentInfo | None
    frameworks: dict[str, mesos_pb2.FrameworkInfo]
    runs: list[RecoveredRun]


class Checkpoint:
    """Reads and writes the checkpoint of one work dir."""

    def __init__(self, work_dir: Path) -> None:
        self.meta = Path(work_dir) / "meta"
        self.slaves = self.meta / "slaves"
        self.slaves.mkdir(parents=True, exist_ok=True)
        self._frameworks_written: set[tuple[str, str]] = set()

    # ---------------------------------------------------------------------------- paths

    def agent_dir(self, agent_id: str) -> Path:
        return self.slaves / agent_id

    def run_dir(self, agent_id: str, framework_id: str, executor_id: str, container_id: str) -> Path:
        return (
            self.slaves / agent_id / "frameworks" / framework_id / "executors" / executor_id
            / "runs" / container_id
        )

    @staticmethod
    def task_dir(run_dir: Path, task_id: str) -> Path:
        return run_dir / "tasks" / task_id

    # ---------------------------------------------------------------------------- writing

    def write_agent(self, info: mesos_pb2.AgentInfo) -> None:
        directory = self.agent_dir(info.id.value)
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / "slave.info", info.SerializeToString(), fsync=True)
        latest = self.slaves / "latest"
        temporary = self.slaves / ".latest.tmp"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.symlink(info.id.value, temporary)
        os.replace(temporary, latest)
        with contextlib.suppress(OSError):
            dir_fd = os.open(self.slaves, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def write_framework(self, agent_id: str, info: mesos_pb2.FrameworkInfo) -> None:
        key = (agent_id, info.id.value)
        if key in self._frameworks_written:
            return
        directory = self.agent_dir(agent_id) / "frameworks" / info.id.value
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / "framework.info", info.SerializeToString())
        self._frameworks_written.add(key)

    def write_executor(
        self, agent_id: str, framework_id: str, info: mesos_pb2.ExecutorInfo
    ) -> None:
        directory = (
            self.agent_dir(agent_id) / "frameworks" / framework_id / "executors"
            / info.executor_id.value
        )
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / "executor.info", info.SerializeToString())

    def write_task(self, run_dir: Path, info: mesos_pb2.TaskInfo) -> Path:
        directory = self.task_dir(run_dir, info.task_id.value)
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / "task.info", info.SerializeToString())
        return directory

    @staticmethod
    def write_container(run_dir: Path, data: dict[str, object]) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(run_dir / "container.json", json.dumps(data).encode())

    @staticmethod
    def write_exit_status(run_dir: Path, wait_status: int | None) -> None:
        text = "unknown" if wait_status is None else str(wait_status)
        write_atomically(run_dir / "exit_status", text.encode())

    @staticmethod
    def append_update(task_dir: Path, status: mesos_pb2.TaskStatus) -> None:
        _append(task_dir / "task.updates", UPDATE, status.SerializeToString())

    @staticmethod
    def append_ack(task_dir: Path, uuid: bytes) -> None:
        _append(task_dir / "task.updates", ACK, uuid)

    # ---------------------------------------------------------------------------- reading

    def latest_agent_id(self) -> str | None:
        try:
            target = os.readlink(self.slaves / "latest")
        except OSError:
            return None
        return target if (self.slaves / target / "slave.info").exists() else None

    def recover(self) -> Recovered:
        agent_id = self.latest_agent_id()
        if agent_id is None:
            return Recovered(None, None, {}, [])
        agent_info = mesos_pb2.AgentInfo()
        raw = _read(self.agent_dir(agent_id) / "slave.info")
        if raw is not None:
            agent_info.ParseFromString(raw)
        frameworks: dict[str, mesos_pb2.FrameworkInfo] = {}
        runs: list[RecoveredRun] = []
        for fw_dir in _subdirs(self.agent_dir(agent_id) / "frameworks"):
            raw = _read(fw_dir / "framework.info")
            if raw is not None:
                info = mesos_pb2.FrameworkInfo()
                info.ParseFromString(raw)
                frameworks[fw_dir.name] = info
            for ex_dir in _subdirs(fw_dir / "executors"):
                executor_info = None
                raw = _read(ex_dir / "executor.info")
                if raw is not None:
                    executor_info = mesos_pb2.ExecutorInfo()
                    try:
                        executor_info.ParseFromString(raw)
                    except Exception:
                        log.warning("checkpoint %s/executor.info is damaged; ignored", ex_dir)
                        executor_info = None
                for run_dir in _subdirs(ex_dir / "runs"):
                    run = self._recover_run(fw_dir.name, ex_dir.name, run_dir)
                    if run is not None:
                        run.executor_info = executor_info
                        runs.append(run)
        return Recovered(agent_id, agent_info, frameworks, runs)

    def _recover_run(self, framework_id: str, executor_id: str, run_dir: Path) -> RecoveredRun | None:
        raw = _read(run_dir / "container.json")
        container: dict[str, object] = {}
        if raw:
            try:
                container = json.loads(raw)
            except ValueError:
                log.warning("checkpoint %s/container.json is damaged; ignored", run_dir)
        status_text = _read(run_dir / "exit_status")
        exit_status: int | None = None
        if status_text is not None and status_text.strip() != b"unknown":
            with contextlib.suppress(ValueError):
                exit_status = int(status_text)
        run = RecoveredRun(
            framework_id, executor_id, run_dir.name, run_dir, container, exit_status
        )
        if status_text is not None:
            run.container["ended"] = True
        for task_dir in _subdirs(run_dir / "tasks"):
            raw = _read(task_dir / "task.info")
            if raw is None:
                continue
            info = mesos_pb2.TaskInfo()
            info.ParseFromString(raw)
            statuses, pending = replay_updates(task_dir / "task.updates")
            run.tasks.append(RecoveredTask(info, statuses, pending))
        return run

    @staticmethod
    def remove_run(run_dir: Path) -> None:
        shutil.rmtree(run_dir, ignore_errors=True)


def replay_updates(path: Path) -> tuple[list[mesos_pb2.TaskStatus], list[mesos_pb2.TaskStatus]]:
    """Every update in the log, and those not acknowledged, oldest first."""
    statuses: list[mesos_pb2.TaskStatus] = []
    pending: list[mesos_pb2.TaskStatus] = []
    for kind, payload in _records(path):
        if kind == UPDATE:
            status = mesos_pb2.TaskStatus()
            try:
                status.ParseFromString(payload)
            except Exception:
                log.warning("damaged update record in %s; the rest is ignored", path)
                break
            statuses.append(status)
            pending.append(status)
        elif kind == ACK:
            if pending and pending[0].uuid == payload:
                pending.pop(0)
    return statuses, pending


def _records(path: Path) -> Iterator[tuple[int, bytes]]:
    data = _read(path) or b""
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, kind = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        if start + length > len(data):
            log.info("%s ends with a torn record (the agent died mid-write); ignored", path)
            return
        yield kind, data[start : start + length]
        offset = start + length


def _append(path: Path, kind: int, payload: bytes) -> None:
    record = _HEADER.pack(len(payload), kind) + payload
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, record)
    finally:
        os.close(fd)


def _subdirs(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())
    except FileNotFoundError:
        return []
