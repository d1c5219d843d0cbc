"""The agent: runs the tasks the master sends, reports their status and usage, serves sandboxes.

One asyncio loop owns all state (tasks, frameworks, the status update manager); the master
link hands it messages one at a time:
- `run_task`: launch the command task in the containerizer; TASK_STARTING and TASK_RUNNING,
  then TASK_FINISHED / TASK_FAILED / TASK_KILLED when it exits (TASK_FAILED with
  REASON_CONTAINER_LAUNCH_FAILED when it cannot start).
- `kill_task`: TASK_KILLING first if the framework can take it, then SIGTERM, the grace period
  (the kill's or the task's KillPolicy, else `--executor_shutdown_grace_period`), SIGKILL.
  An unknown task gets TASK_LOST ("Task unknown to the agent").
- `acknowledgement`: passed to the status update manager; a task whose terminal update is
  acknowledged is forgotten (its sandbox stays on disk).
- `shutdown_framework`: kill all its tasks, then drop it and its unacknowledged updates.
- `ping`: `pong` with the same seq.
Every `--usage_interval` the agent sends a usage report while registered.

Checkpointing and recovery (checkpoint.py): framework and task infos, container pids and the
status update log are written under `<work_dir>/meta` as they happen. On start, with
`--recover=reconnect` (the default), the agent reads them back, re-attaches to its containers
(containerizer.recover), queues the unacknowledged updates again, and re-registers with the
same agent id and its tasks; a task that ended while the agent was down gets its terminal
update from its real exit status. `--recover=cleanup` kills the old tasks instead and reports
each TASK_FAILED (REASON_AGENT_RESTARTED). Finished containers' sandboxes and checkpoints are
removed after `--gc_delay`, sooner as the disk fills (gc.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import grpc

from daemons.agent.checkpoint import Checkpoint, RecoveredRun
from daemons.agent.containerizer import (
    Container,
    Containerizer,
    ExitStatus,
    LaunchError,
    LaunchSpec,
    sandbox_path,
)
from daemons.agent.executor_api import ExecutorApiServer, serve_executor_api
from daemons.agent.executor_api import routes as executor_routes
from daemons.agent.executors import AgentExecutors, ExecutorRecord
from daemons.agent.files import SandboxFiles, serve_files
from daemons.agent.gc import WEEK, SandboxCollector, disk_usage_fraction, remove_paths
from daemons.agent.host import attributes_to_proto
from daemons.agent.isolation import MB, Isolation, Limits
from daemons.agent.link import MasterLink
from daemons.agent.monitor import HostSampler, RunningTask, build_usage_report
from daemons.agent.status_updates import TERMINAL_STATES, Ack, StatusUpdateManager
from daemons.agent.users import UserError, resolve_task_user
from daemons.common import tls
from daemons.common.acceptor import SharedPort
from daemons.common.detector import MasterDetector
from daemons.common.ids import new_uuid_bytes
from daemons.common.resources import ResourceError, Resources
from daemons.common.validation import Invalid, check_id, check_message
from daemons.proto import agent_pb2, mesos_pb2

if TYPE_CHECKING:
    from aiohttp import web

    from daemons.agent.http import AgentHttp

log = logging.getLogger(__name__)

VERSION = "0.1.0"
# Tasks and frameworks kept for /state and GET_STATE after the agent is done with them (their
# end acknowledged, or their framework shut down), newest kept: Mesos keeps them too
# (--max_completed_executors_per_framework, --max_completed_frameworks), so a tool finds a
# finished task's sandbox from the agent's state until it is collected.
MAX_COMPLETED_TASKS = 1000
MAX_COMPLETED_FRAMEWORKS = 50
TaskStatus = mesos_pb2.TaskStatus
TaskKey = tuple[str, str]  # (framework id, task id)


@dataclass(slots=True)
class AgentConfig:
    """The agent's settings, from its flags."""

    work_dir: Path
    resources: Resources
    ip: str = "127.0.0.1"
    port: int = 5051
    hostname: str = field(default_factory=socket.gethostname)
    attributes: dict[str, str] = field(default_factory=dict)
    executor_shutdown_grace_period: float = 5.0
    registration_backoff_factor: float = 1.0
    usage_interval: float = 2.0
    status_update_retry_interval: float = 2.0
    status_update_max_retry_interval: float = 60.0
    isolation: Isolation = field(default_factory=Isolation)
    memory_check_interval: float = 0.1
    recover: str = "reconnect"  # or "cleanup"
    gc_delay: float = WEEK
    gc_disk_headroom: float = 0.1
    disk_watch_interval: float = 60.0
    switch_user: bool = True  # Run each task as its user (users.py), as Mesos does.
    allow_root_tasks: bool = False  # Tasks may run as root (never without this flag).
    # Custom executors (executors.py), Mesos's flags and defaults.
    executor_registration_timeout: float = 60.0
    executor_reregistration_timeout: float = 2.0
    # Where the executor API listens (loopback; 0: the port used before, else any free one).
    executor_api_port: int = 0
    executor_heartbeat_interval: float = 30 * 60.0  # Mesos's DEFAULT_EXECUTOR_HEARTBEAT_INTERVAL
    flags: dict[str, str] = field(default_factory=dict)  # As given, for /flags and GET_FLAGS.


@dataclass(slots=True, eq=False)
class TaskRecord:
    """A task the agent knows: running, or ended with updates not yet acknowledged."""

    framework_id: str
    info: mesos_pb2.TaskInfo
    resources: Resources
    state: int = mesos_pb2.TASK_STAGING
    statuses: list[mesos_pb2.TaskStatus] = field(default_factory=list)
    container: Container | None = None
    completion_timer: asyncio.TimerHandle | None = None
    timed_out: bool = False
    container_id: str | None = None
    run_dir: Path | None = None  # Its checkpoint (meta/.../runs/<container>).
    task_dir: Path | None = None
    sandbox: Path | None = None
    recovered_cleanup: bool = False  # Killed on recovery with --recover=cleanup.
    executor: ExecutorRecord | None = None  # Its custom executor (executors.py), if any.

    @property
    def task_id(self) -> str:
        return self.info.task_id.value

    @property
    def executor_id(self) -> str:
        if self.executor is not None:
            return self.executor.executor_id
        return self.task_id  # Command tasks: the executor is named after the task.

    @property
    def running(self) -> bool:
        if self.executor is not None:
            return self.state not in TERMINAL_STATES
        return self.container is not None and self.container.exit_status is None


class Agent(AgentExecutors):
    """The agent daemon."""

    def __init__(self, config: AgentConfig, detector: MasterDetector) -> None:
        self.config = config
        config.work_dir.mkdir(parents=True, exist_ok=True)
        self.containerizer = Containerizer(
            config.work_dir, config.isolation, config.memory_check_interval
        )
        self.checkpoint = Checkpoint(config.work_dir)
        self.collector = SandboxCollector(
            config.gc_delay,
            config.gc_disk_headroom,
            disk_usage=lambda: disk_usage_fraction(config.work_dir),
        )
        self.files = SandboxFiles(config.work_dir / "slaves")
        self.status_updates = StatusUpdateManager(
            self._send_status_update,
            initial_interval=config.status_update_retry_interval,
            max_interval=config.status_update_max_retry_interval,
            on_deadline_change=self._status_deadline_changed,
        )
        self.link = MasterLink(detector, self, backoff_factor=config.registration_backoff_factor)
        self.agent_id: str | None = None
        self.tasks: dict[TaskKey, TaskRecord] = {}
        self.executors: dict[tuple[str, str], ExecutorRecord] = {}
        self.executor_endpoint = ""
        self.unsent_exits = []
        self._executor_api: ExecutorApiServer | None = None
        self.frameworks: dict[str, mesos_pb2.FrameworkInfo] = {}
        self.shutting_down_frameworks: set[str] = set()
        self.completed_tasks: deque[TaskRecord] = deque(maxlen=MAX_COMPLETED_TASKS)
        self.completed_frameworks: dict[str, mesos_pb2.FrameworkInfo] = {}
        self.host_sampler = HostSampler()
        self.files_port = config.port
        self.registered = asyncio.Event()
        self._retry_wakeup = asyncio.Event()
        self._retry_sleep_until: float | None = None
        self._server: grpc.aio.Server | None = None
        self._shared: SharedPort | None = None
        self._http: AgentHttp | None = None
        # More routes for the agent's HTTP app (the executor API mounts itself here before
        # start); see http.make_app.
        self.http_routes: list[web.RouteDef] = []
        self._background: list[asyncio.Task[None]] = []

    # ---------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Serve the agent's port and start following the master.

        One port, --ip:--port, serves both edges (acceptor.py tells them apart on accept):
        the gRPC Files API, whose server listens on an ephemeral loopback port behind it, and
        Mesos's agent endpoints over HTTP (http.py). OSError if the port cannot be had.
        """
        from daemons.agent.http import AgentHttp

        self.recover()
        self._server, grpc_port = await serve_files(self.files, "127.0.0.1", 0)
        self._http = AgentHttp(self, executor_routes(self))  # + POST /api/v1/executor
        self._shared = SharedPort(  # TLS as this process's LIBPROCESS_SSL_*/--ssl_* say
            await self._http.start(), "127.0.0.1", grpc_port, **tls.acceptor_options(tls.current())
        )
        try:
            self.files_port = await self._shared.start(self.config.ip, self.config.port)
        except OSError as e:
            await self._close_port()
            raise OSError(
                f"cannot listen on {self.config.ip}:{self.config.port} "
                f"({e.strerror or e}: in use, or not an address of this host)"
            ) from None
        await self._serve_executor_api()
        self.start_reregistration_timers()
        log.info(
            "agent serving sandboxes of %s on %s:%d; resources %s",
            self.config.work_dir,
            self.config.ip,
            self.files_port,
            self.config.resources,
        )
        self._background = [
            asyncio.create_task(self.link.run(), name="master-link"),
            asyncio.create_task(self._retry_status_updates(), name="status-retries"),
            asyncio.create_task(self._report_usage(), name="usage"),
            asyncio.create_task(self._collect_garbage(), name="sandbox-gc"),
        ]

    async def _serve_executor_api(self) -> None:
        """The executor HTTP API (executor_api.py) answers on the agent's port, as Mesos's
        does, and also on a loopback port of its own, plain HTTP whatever the agent's TLS
        settings, which MESOS_AGENT_ENDPOINT names: executors need no TLS settings or client
        certificate, and their traffic never leaves the host. That port is kept across
        restarts (checkpointed), so executors find a restarted agent where they left it."""
        self._executor_api = await serve_executor_api(
            self, self.config.executor_api_port, self.checkpoint.meta / "executor_api_port"
        )
        self.executor_endpoint = self._executor_api.endpoint

    async def stop(self) -> None:
        """Close the link and the Files API; tasks keep running."""
        for task in self._background:
            task.cancel()
        for task in self._background:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.debug("background task failed while stopping", exc_info=True)
        self._background = []
        for executor in self.executors.values():
            if executor.timer is not None:
                executor.timer.cancel()
                executor.timer = None
            if executor.stream is not None:
                executor.stream.close()  # type: ignore[attr-defined]
        if self._executor_api is not None:
            await self._executor_api.stop()
            self._executor_api = None
        await self._close_port()
        self.containerizer.close()

    async def _close_port(self) -> None:
        if self._shared is not None:
            await self._shared.stop()
            self._shared = None
        if self._http is not None:
            await self._http.stop()
            self._http = None
        if self._server is not None:
            await self._server.stop(grace=0.5)
            self._server = None

    # ---------------------------------------------------------------------------- link

    @property
    def files_address(self) -> str:
        host = self.config.hostname if self.config.ip in ("0.0.0.0", "::") else self.config.ip
        return f"{host}:{self.files_port}"

    def agent_info(self) -> mesos_pb2.AgentInfo:
        info = mesos_pb2.AgentInfo(hostname=self.config.hostname, port=self.files_port)
        info.resources.extend(self.config.resources.to_proto())
        info.attributes.extend(attributes_to_proto(self.config.attributes))
        if self.agent_id:
            info.id.value = self.agent_id
        return info

    def registration(self) -> agent_pb2.RegisterAgent:
        message = agent_pb2.RegisterAgent(
            agent_info=self.agent_info(), version=VERSION, files_address=self.files_address
        )
        if self.agent_id:
            framework_ids: set[str] = set()
            for record in self.tasks.values():
                message.tasks.append(self._task_proto(record))
                framework_ids.add(record.framework_id)
            for info in self.executor_infos():
                message.executor_infos.append(info)
                framework_ids.add(info.framework_id.value)
            for framework_id in sorted(framework_ids):
                if framework_id in self.frameworks:
                    message.frameworks.append(self.frameworks[framework_id])
        return message

    def _task_proto(self, record: TaskRecord) -> mesos_pb2.Task:
        task = mesos_pb2.Task(name=record.info.name, state=record.state)
        task.task_id.value = record.task_id
        task.framework_id.value = record.framework_id
        task.executor_id.value = record.executor_id
        if self.agent_id:
            task.agent_id.value = self.agent_id
        task.resources.extend(record.info.resources)
        task.statuses.extend(record.statuses)
        pending = self.status_updates.pending(record.framework_id, record.task_id)
        if pending:
            task.status_update_state = pending[0].state
            task.status_update_uuid = pending[0].uuid
        if record.info.HasField("labels"):
            task.labels.CopyFrom(record.info.labels)
        return task

    def on_registered(self, registered: agent_pb2.AgentRegistered, master: str) -> None:
        new_id = registered.agent_id.value
        if self.agent_id and new_id != self.agent_id:
            log.warning(
                "master at %s gave this agent a new id %s (was %s)", master, new_id, self.agent_id
            )
        action = "re-registered" if self.agent_id else "registered"
        first = self.agent_id != new_id
        self.agent_id = new_id
        if first:
            try:
                self.checkpoint.write_agent(self.agent_info())
            except OSError as e:
                log.error("cannot checkpoint the agent id: %s", e.strerror or e)
        log.info(
            "%s with master at %s as agent %s (%d tasks)", action, master, new_id, len(self.tasks)
        )
        self.registered.set()
        self.status_updates.resend_all()
        self.send_unsent_exits()

    def on_disconnected(self) -> None:
        self.registered.clear()

    def on_message(self, message: agent_pb2.MasterMessage) -> None:
        kind = message.WhichOneof("message")
        try:
            # The same edge validation as the master's: whoever answers as the master, no
            # message of theirs becomes a path, a key or a huge list here unchecked.
            check_message(message, kind or "message")
        except Invalid as e:
            log.warning("dropped a %s message from the master: %s", kind, e)
            return
        try:
            if kind == "run_task":
                self.run_task(message.run_task)
            elif kind == "kill_task":
                self.kill_task(message.kill_task)
            elif kind == "acknowledgement":
                ack = message.acknowledgement
                self.acknowledge(ack.framework_id.value, ack.task_id.value, ack.uuid)
            elif kind == "shutdown_framework":
                self.shutdown_framework(message.shutdown_framework.framework_id.value)
            elif kind == "framework_to_executor":
                self.framework_to_executor(message.framework_to_executor)
            elif kind == "shutdown_executor":
                m = message.shutdown_executor
                self.shutdown_executor(m.framework_id.value, m.executor_id.value)
            elif kind == "ping":
                self.link.send(agent_pb2.AgentMessage(pong=agent_pb2.Pong(seq=message.ping.seq)))
            elif kind == "registered":
                log.warning("master sent 'registered' again; ignored")
            else:
                log.warning("master sent an empty or unknown message; ignored")
        except Exception:
            log.error("handling %s from the master failed; see debug log for details", kind)
            log.debug("%s handler error", kind, exc_info=True)

    # ---------------------------------------------------------------------------- tasks

    def run_task(self, run: agent_pb2.RunTask) -> None:
        framework_id = run.framework_info.id.value
        info = run.task
        task_id = info.task_id.value
        if not framework_id or not task_id:
            log.warning("run_task without a framework id or task id; ignored")
            return
        try:
            # Both become directory names (sandbox and checkpoint): refuse `..` and friends.
            check_id(framework_id, "framework id")
            check_id(task_id, "task id")
        except Invalid as e:
            log.warning("run_task refused: %s", e)
            return
        key = (framework_id, task_id)
        if key in self.tasks:
            log.warning(
                "task %s of framework %s is already known here; ignored", task_id, framework_id
            )
            return
        if framework_id in self.shutting_down_frameworks:
            log.warning(
                "task %s arrived for framework %s, which is shutting down", task_id, framework_id
            )
        self.frameworks[framework_id] = run.framework_info
        try:
            resources = Resources.from_proto(info.resources)
        except ResourceError as e:
            resources = Resources()
            record = TaskRecord(framework_id, info, resources)
            self.tasks[key] = record
            self._launch_failed(record, f"bad task resources: {e}")
            return
        record = TaskRecord(framework_id, info, resources)
        self.tasks[key] = record
        if info.HasField("executor"):
            self.run_executor_task(run.framework_info, record)
            return
        try:
            spec = self._launch_spec(record)
            self._checkpoint_task(record, run.framework_info)
            spec.run_dir = record.run_dir
            # The sandbox is named after the container id the checkpoint holds, so a
            # recovered agent finds (and later collects) the same sandbox.
            spec.container_id = record.container_id
            record.container = self.containerizer.launch(spec, self._container_exited)
        except LaunchError as e:
            self._launch_failed(record, str(e))
            return
        record.sandbox = record.container.sandbox
        log.info(
            "task %s of framework %s started (pid %d) in %s",
            task_id,
            framework_id,
            record.container.pid,
            record.container.sandbox,
        )
        self._update(record, mesos_pb2.TASK_STARTING)
        self._update(record, mesos_pb2.TASK_RUNNING)
        if info.HasField("max_completion_time"):
            seconds = info.max_completion_time.nanoseconds / 1e9
            record.completion_timer = asyncio.get_running_loop().call_later(
                max(0.0, seconds), self._completion_time_reached, record
            )

    def _launch_spec(self, record: TaskRecord) -> LaunchSpec:
        info = record.info
        if info.HasField("executor"):
            raise LaunchError(
                "custom executors are not supported by this agent: send a command task "
                "(TaskInfo.command)"
            )
        if not info.HasField("command"):
            raise LaunchError("the task has no command (TaskInfo.command)")
        command = info.command
        if command.uris:
            raise LaunchError("fetching CommandInfo.uris is not supported by this agent")
        environment: dict[str, str] = {}
        for variable in command.environment.variables:
            if variable.type == mesos_pb2.Environment.Variable.SECRET:
                raise LaunchError(f"secret environment variable {variable.name!r} is not supported")
            environment[variable.name] = variable.value
        # At most 1024 ports in the environment, however wide the ranges (never a list of
        # billions of ints because a master said so).
        ports = list(itertools.islice(
            (
                port
                for begin, end in record.resources.ranges.get("ports", ())
                for port in range(begin, min(end, 65535) + 1)
            ),
            1024,
        ))
        try:
            user = resolve_task_user(
                command.user, self.frameworks.get(record.framework_id, mesos_pb2.FrameworkInfo()).user,
                switch_user=self.config.switch_user, allow_root=self.config.allow_root_tasks,
            )
        except UserError as e:
            raise LaunchError(str(e)) from None
        if not self.agent_id:
            raise LaunchError("the agent is not registered yet, so it has no id for the sandbox")
        return LaunchSpec(
            agent_id=self.agent_id,
            framework_id=record.framework_id,
            executor_id=record.executor_id,
            task_id=record.task_id,
            command=command.value,
            shell=command.shell,
            arguments=list(command.arguments),
            environment=environment,
            ports=ports,
            user=user,
            limits=Limits(
                cpus=record.resources.cpus or None,
                mem_bytes=int(record.resources.mem * MB) if record.resources.mem else None,
            ),
            container_id=record.container_id,
        )

    def _checkpoint_task(self, record: TaskRecord, framework: mesos_pb2.FrameworkInfo) -> None:
        assert self.agent_id is not None
        record.container_id = str(uuid.uuid4())
        try:
            self.checkpoint.write_framework(self.agent_id, framework)
            record.run_dir = self.checkpoint.run_dir(
                self.agent_id, record.framework_id, record.executor_id, record.container_id
            )
            record.task_dir = self.checkpoint.write_task(record.run_dir, record.info)
        except OSError as e:
            raise LaunchError(f"cannot checkpoint the task: {e.strerror or e}") from None

    def _launch_failed(self, record: TaskRecord, why: str) -> None:
        log.warning(
            "task %s of framework %s failed to launch: %s", record.task_id, record.framework_id, why
        )
        self._update(
            record,
            mesos_pb2.TASK_FAILED,
            message=f"Failed to launch container: {why}",
            reason=TaskStatus.REASON_CONTAINER_LAUNCH_FAILED,
            source=TaskStatus.SOURCE_AGENT,
        )

    def _completion_time_reached(self, record: TaskRecord) -> None:
        record.completion_timer = None
        if record.running and record.container is not None:
            record.timed_out = True
            log.info("task %s reached its max completion time; killing it", record.task_id)
            self.containerizer.kill(record.container, self._grace_period(record, None))

    def _container_exited(self, container: Container, exit_status: ExitStatus) -> None:
        key = (container.spec.framework_id, container.spec.task_id)
        record = self.tasks.get(key)
        if record is None or record.container is not container:
            return
        if record.completion_timer is not None:
            record.completion_timer.cancel()
            record.completion_timer = None
        if record.timed_out:
            seconds = record.info.max_completion_time.nanoseconds / 1e9
            self._update(
                record,
                mesos_pb2.TASK_FAILED,
                message=f"Task exceeded its maximum completion time of {seconds:g}s",
                reason=TaskStatus.REASON_MAX_COMPLETION_TIME_REACHED,
            )
        elif exit_status.limitation is not None:
            self._update(
                record,
                mesos_pb2.TASK_FAILED,
                message=exit_status.message,
                reason=TaskStatus.Reason.Value(exit_status.limitation.reason),
                source=TaskStatus.SOURCE_AGENT,
            )
        elif record.recovered_cleanup:
            self._update(
                record,
                mesos_pb2.TASK_FAILED,
                message="Killed when the agent restarted with --recover=cleanup",
                reason=TaskStatus.REASON_AGENT_RESTARTED,
                source=TaskStatus.SOURCE_AGENT,
            )
        elif exit_status.lost:
            self._update(
                record,
                mesos_pb2.TASK_FAILED,
                message=exit_status.message,
                reason=TaskStatus.REASON_EXECUTOR_TERMINATED,
                source=TaskStatus.SOURCE_AGENT,
            )
        elif exit_status.killed:
            self._update(record, mesos_pb2.TASK_KILLED, message=exit_status.message)
        elif exit_status.succeeded:
            self._update(record, mesos_pb2.TASK_FINISHED, message=exit_status.message)
        else:
            self._update(record, mesos_pb2.TASK_FAILED, message=exit_status.message)
        log.info(
            "task %s of framework %s: %s (%s)",
            record.task_id,
            record.framework_id,
            mesos_pb2.TaskState.Name(record.state),
            exit_status.message,
        )
        self._maybe_finish_framework_shutdown(record.framework_id)

    def kill_task(self, kill: agent_pb2.KillTask) -> None:
        framework_id = kill.framework_id.value
        task_id = kill.task_id.value
        record = self.tasks.get((framework_id, task_id))
        if record is None:
            log.info(
                "kill of task %s of framework %s, unknown here: TASK_LOST", task_id, framework_id
            )
            self._update_unknown(framework_id, task_id)
            return
        if record.executor is not None:
            if record.running:
                self.kill_executor_task(
                    record, kill.kill_policy if kill.HasField("kill_policy") else None
                )
            return
        if not record.running or record.container is None:
            log.debug("kill of task %s, which has already ended; ignored", task_id)
            return
        if record.container.kill_requested:
            return
        policy = kill.kill_policy if kill.HasField("kill_policy") else None
        self._kill(record, policy)

    def _kill(self, record: TaskRecord, policy: mesos_pb2.KillPolicy | None) -> None:
        assert record.container is not None
        grace = self._grace_period(record, policy)
        if self._can_take_killing(record.framework_id):
            self._update(record, mesos_pb2.TASK_KILLING)
        log.info(
            "killing task %s of framework %s (grace %gs)",
            record.task_id,
            record.framework_id,
            grace,
        )
        self.containerizer.kill(record.container, grace)

    def _grace_period(self, record: TaskRecord, policy: mesos_pb2.KillPolicy | None) -> float:
        for candidate in (
            policy,
            record.info.kill_policy if record.info.HasField("kill_policy") else None,
        ):
            if candidate is not None and candidate.HasField("grace_period"):
                return max(0.0, candidate.grace_period.nanoseconds / 1e9)
        return self.config.executor_shutdown_grace_period

    def _can_take_killing(self, framework_id: str) -> bool:
        info = self.frameworks.get(framework_id)
        if info is None:
            return False
        return any(
            c.type == mesos_pb2.FrameworkInfo.Capability.TASK_KILLING_STATE
            for c in info.capabilities
        )

    def acknowledge(self, framework_id: str, task_id: str, uuid: bytes) -> None:
        result = self.status_updates.acknowledge(framework_id, task_id, uuid)
        record = self.tasks.get((framework_id, task_id))
        if result is not Ack.UNKNOWN and record is not None and record.task_dir is not None:
            try:
                self.checkpoint.append_ack(record.task_dir, uuid)
            except OSError as e:
                log.error("cannot checkpoint an acknowledgement of %s: %s", task_id, e)
        if result is Ack.UNKNOWN:
            log.debug("acknowledgement of an unknown update of task %s; ignored", task_id)
        elif result is Ack.TERMINAL:
            record = self.tasks.get((framework_id, task_id))
            if record is not None and not record.running:
                del self.tasks[(framework_id, task_id)]
                self.completed_tasks.append(record)
                self._schedule_gc(record)
                self._forget_framework_if_idle(framework_id)

    def shutdown_framework(self, framework_id: str) -> None:
        log.info("shutting down framework %s", framework_id)
        self.shutting_down_frameworks.add(framework_id)
        for record in list(self.tasks.values()):
            if record.framework_id == framework_id and record.running and record.container:
                if not record.container.kill_requested:
                    self._kill(record, None)
        for executor in list(self.executors.values()):
            if executor.framework_id == framework_id:
                self._shutdown_executor(executor)
        self._maybe_finish_framework_shutdown(framework_id)

    def _maybe_finish_framework_shutdown(self, framework_id: str) -> None:
        if framework_id not in self.shutting_down_frameworks:
            return
        if any(
            r.framework_id == framework_id and r.running and r.executor is None
            for r in self.tasks.values()
        ) or any(e.framework_id == framework_id for e in self.executors.values()):
            return
        # The framework is gone: nobody will acknowledge its updates.
        self.shutting_down_frameworks.discard(framework_id)
        self.status_updates.forget_framework(framework_id)
        for key in [k for k, r in self.tasks.items() if r.framework_id == framework_id]:
            record = self.tasks.pop(key)
            self.completed_tasks.append(record)
            self._schedule_gc(record)
        self._forget_framework(framework_id)
        log.info("framework %s shut down on this agent", framework_id)

    def _forget_framework_if_idle(self, framework_id: str) -> None:
        if not any(r.framework_id == framework_id for r in self.tasks.values()) and not any(
            e.framework_id == framework_id for e in self.executors.values()
        ):
            self._forget_framework(framework_id)

    def _forget_framework(self, framework_id: str) -> None:
        info = self.frameworks.pop(framework_id, None)
        if info is None:
            return
        self.completed_frameworks.pop(framework_id, None)
        self.completed_frameworks[framework_id] = info
        while len(self.completed_frameworks) > MAX_COMPLETED_FRAMEWORKS:
            del self.completed_frameworks[next(iter(self.completed_frameworks))]

    # ---------------------------------------------------------------------------- recovery

    def recover(self) -> None:
        """Read the checkpoint back: agent id, frameworks, tasks, their updates and containers."""
        recovered = self.checkpoint.recover()
        if recovered.agent_id is None:
            return
        self.agent_id = recovered.agent_id
        cleanup = self.config.recover == "cleanup"
        live = 0
        for run in recovered.runs:
            live += self._recover_run(run, recovered.frameworks, cleanup)
        log.info(
            "recovered agent %s from %s: %d tasks (%d still running)%s",
            self.agent_id,
            self.checkpoint.meta,
            len(self.tasks),
            live,
            "; killing them (--recover=cleanup)" if cleanup and live else "",
        )

    def _recover_run(
        self, run: RecoveredRun, frameworks: dict[str, mesos_pb2.FrameworkInfo], cleanup: bool
    ) -> int:
        assert self.agent_id is not None
        if run.executor_info is not None:
            if run.framework_id in frameworks:
                self.frameworks[run.framework_id] = frameworks[run.framework_id]
            return self.recover_executor_run(run, run.executor_info)
        sandbox = sandbox_path(
            self.config.work_dir, self.agent_id, run.framework_id, run.executor_id,
            run.container_id,
        )
        done = [
            t for t in run.tasks
            if not t.pending and t.statuses and t.statuses[-1].state in TERMINAL_STATES
        ]
        if len(done) == len(run.tasks):
            # Finished and acknowledged: only its sandbox is left, for the collector.
            finished = _mtime(run.directory / "exit_status") or _mtime(run.directory)
            self.collector.schedule([sandbox, run.directory], finished)
            return 0
        live = 0
        for task in run.tasks:
            if task in done:
                continue
            try:
                resources = Resources.from_proto(task.info.resources)
            except ResourceError:
                resources = Resources()
            record = TaskRecord(run.framework_id, task.info, resources)
            record.statuses = list(task.statuses)
            record.state = task.statuses[-1].state if task.statuses else mesos_pb2.TASK_STAGING
            record.container_id = run.container_id
            record.run_dir = run.directory
            record.task_dir = self.checkpoint.task_dir(run.directory, task.info.task_id.value)
            record.sandbox = sandbox
            self.tasks[(run.framework_id, record.task_id)] = record
            if run.framework_id in frameworks:
                self.frameworks[run.framework_id] = frameworks[run.framework_id]
            for status in task.pending:
                self.status_updates.update(run.framework_id, status)
            if record.state in TERMINAL_STATES:
                continue  # Its end is known; the update waits for its acknowledgement.
            spec = LaunchSpec(
                agent_id=self.agent_id,
                framework_id=run.framework_id,
                executor_id=run.executor_id,
                task_id=record.task_id,
                command=task.info.command.value,
                container_id=run.container_id,
                run_dir=run.directory,
                limits=Limits(
                    cpus=resources.cpus or None,
                    mem_bytes=int(resources.mem * MB) if resources.mem else None,
                ),
            )
            container = self.containerizer.recover(
                spec,
                run.container or {"container_id": run.container_id, "sandbox": str(sandbox)},
                self._container_exited,
                exit_wait_status=run.exit_status,
                ended=bool(run.container.get("ended")),
            )
            record.container = container
            if container.pid and not run.container.get("ended"):
                live += 1
                if cleanup:
                    record.recovered_cleanup = True
                    self.containerizer.destroy(container)
        return live

    # ---------------------------------------------------------------------------- garbage

    def _schedule_gc(self, record: TaskRecord) -> None:
        if record.executor is not None:
            self.executor_task_forgotten(record)  # The sandbox is the executor's.
            return
        paths = [p for p in (record.sandbox, record.run_dir) if p is not None]
        if paths:
            self.collector.schedule(paths)

    async def _collect_garbage(self) -> None:
        interval = max(0.05, self.config.disk_watch_interval)
        while True:
            try:
                await asyncio.to_thread(self.collector.watch_disk)
            except OSError as e:
                log.debug("cannot read the disk usage: %s", e)
            due = self.collector.due()
            if due:
                removed = await asyncio.to_thread(remove_paths, due)
                log.info("removed %d finished sandboxes and checkpoints", removed)
            wait = self.collector.next_due_in()
            await asyncio.sleep(interval if wait is None else min(interval, max(wait, 0.05)))

    # ---------------------------------------------------------------------------- updates

    def _update(
        self,
        record: TaskRecord,
        state: int,
        message: str | None = None,
        reason: int | None = None,
        source: int = TaskStatus.SOURCE_EXECUTOR,
    ) -> None:
        status = self._status(record.framework_id, record.task_id, state, message, reason, source)
        status.executor_id.value = record.executor_id
        container = record.container
        if container is None and record.executor is not None:
            container = record.executor.container
        if container is not None:
            status.container_status.container_id.value = container.container_id
            status.container_status.executor_pid = container.pid
        self._record_update(record, status)

    def _record_update(self, record: TaskRecord, status: mesos_pb2.TaskStatus) -> None:
        """Checkpoint `status` and hand it to the status update manager."""
        state = status.state
        record.state = state
        record.statuses.append(status)
        if record.task_dir is not None:
            try:
                self.checkpoint.append_update(record.task_dir, status)
            except OSError as e:
                log.error("cannot checkpoint an update of task %s: %s", record.task_id, e)
        self.status_updates.update(record.framework_id, status)

    def _update_unknown(self, framework_id: str, task_id: str) -> None:
        status = self._status(
            framework_id,
            task_id,
            mesos_pb2.TASK_LOST,
            "Task unknown to the agent",
            TaskStatus.REASON_TASK_UNKNOWN,
            TaskStatus.SOURCE_AGENT,
        )
        self.status_updates.update(framework_id, status)

    def _status(
        self,
        framework_id: str,
        task_id: str,
        state: int,
        message: str | None,
        reason: int | None,
        source: int,
    ) -> mesos_pb2.TaskStatus:
        status = mesos_pb2.TaskStatus(
            state=state, source=source, timestamp=time.time(), uuid=new_uuid_bytes()
        )
        status.task_id.value = task_id
        if self.agent_id:
            status.agent_id.value = self.agent_id
        if message is not None:
            status.message = message
        if reason is not None:
            status.reason = reason
        return status

    def _send_status_update(self, update: agent_pb2.StatusUpdate) -> bool:
        return self.link.send(agent_pb2.AgentMessage(status_update=update))

    def _status_deadline_changed(self) -> None:
        deadline = self.status_updates.next_deadline()
        if deadline is not None and (
            self._retry_sleep_until is None or deadline < self._retry_sleep_until
        ):
            self._retry_wakeup.set()

    async def _retry_status_updates(self) -> None:
        while True:
            deadline = self.status_updates.next_deadline()
            self._retry_sleep_until = deadline
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._retry_wakeup.clear()
            try:
                await asyncio.wait_for(self._retry_wakeup.wait(), timeout)
            except TimeoutError:
                pass
            self._retry_sleep_until = None
            self.status_updates.retry_due()

    # ---------------------------------------------------------------------------- usage

    async def _report_usage(self) -> None:
        while True:
            await asyncio.sleep(self.config.usage_interval)
            if not self.link.connected:
                continue
            try:
                report = await self.usage_report()
            except Exception:
                log.warning("sampling usage failed; skipping this report")
                log.debug("usage sampling error", exc_info=True)
                continue
            self.link.send(agent_pb2.AgentMessage(usage=report))

    async def usage_report(self) -> agent_pb2.UsageReport:
        stats = await self.containerizer.usage()
        host = await asyncio.to_thread(self.host_sampler.sample)
        running = [
            RunningTask(
                framework_id=r.framework_id,
                executor_id=r.executor_id,
                task_id=r.task_id,
                task_name=r.info.name,
                container_id=r.container.container_id,
                resources=r.resources,
            )
            for r in self.tasks.values()
            if r.running and r.container is not None
        ]
        report = build_usage_report(running, stats, self.config.resources, host)
        self.add_executor_usage(report, stats)
        return report


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def is_terminal(state: int) -> bool:
    return state in TERMINAL_STATES


__all__ = ["Agent", "AgentConfig", "TaskRecord", "is_terminal"]
