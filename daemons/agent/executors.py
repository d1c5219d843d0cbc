"""The agent's custom executors: launched once per (framework, executor id), fed tasks, watched.

A task with `TaskInfo.executor` is not run by the agent's own command logic: it goes to that
executor, a process of the framework's that talks to the agent over the v1 executor HTTP API
(executor_api.py). As in Mesos's agent (src/slave/slave.cpp):

- The first task for an executor id launches it, through the containerizer's ordinary launch
  (own session, cgroups with the executor's and that task's resources, the task user, the
  sandbox `.../frameworks/<fw>/executors/<ex>/runs/<container>/`), with Mesos's environment
  for HTTP executors (MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID,
  MESOS_SANDBOX, MESOS_DIRECTORY, MESOS_CHECKPOINT, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, ...).
  Its tasks wait in a queue (TASK_STAGING) until it SUBSCRIBEs, then go to it as LAUNCH
  events, in order; later tasks go straight to it.
- The executor's UPDATEs become the tasks' status updates, checkpointed and sent with the
  same at-least-once machinery as command tasks (status_updates.py); once an update is safely
  the agent's, the executor gets ACKNOWLEDGED for it. Its MESSAGEs go to the master (and on
  to the scheduler); the scheduler's messages come back as MESSAGE events.
- A kill of one of its tasks is a KILL event (a task still queued is simply TASK_KILLED).
  SHUTDOWN (the scheduler's, or its framework's teardown) is a SHUTDOWN event, and after the
  executor's shutdown grace period (ExecutorInfo.shutdown_grace_period, else
  `--executor_shutdown_grace_period`) the container is destroyed (SIGKILL to its process
  group), as Mesos does.
- An executor that does not SUBSCRIBE within `--executor_registration_timeout` is killed.
- When the executor's process ends, every task of it not yet terminal ends TASK_FAILED
  (REASON_EXECUTOR_TERMINATED, SOURCE_AGENT; REASON_EXECUTOR_REGISTRATION_TIMEOUT when it never
  subscribed), and the master is told the executor's wait status (a FAILURE event for the
  scheduler), which frees its resources.
- Recovery: the ExecutorInfo is checkpointed beside its runs (Mesos's `executor.info`); a
  restarted agent re-attaches to a live executor's container, keeps its tasks as they were,
  and waits `--executor_reregistration_timeout` for it to SUBSCRIBE again (the executor
  retries its connection); one that does not is killed, its tasks failed
  (REASON_EXECUTOR_REREGISTRATION_TIMEOUT).

The mixin is part of Agent (agent.py); the HTTP edge only decodes and calls these methods.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from daemons.agent.checkpoint import RecoveredRun
from daemons.agent.containerizer import Container, ExitStatus, LaunchError, LaunchSpec, sandbox_path
from daemons.agent.isolation import MB, Limits
from daemons.agent.monitor import ProcessStats
from daemons.agent.status_updates import TERMINAL_STATES
from daemons.agent.users import UserError, resolve_task_user
from daemons.common.durations import format_duration
from daemons.common.resources import ResourceError, Resources
from daemons.common.validation import Invalid, check_id
from daemons.proto import agent_pb2, executor_pb2, mesos_pb2

if TYPE_CHECKING:
    from daemons.agent.agent import Agent, TaskRecord

log = logging.getLogger(__name__)

TaskStatus = mesos_pb2.TaskStatus
Event = executor_pb2.Event
ExecutorKey = tuple[str, str]  # (framework id, executor id)

REGISTERING = "REGISTERING"
RUNNING = "RUNNING"
TERMINATING = "TERMINATING"
TERMINATED = "TERMINATED"

RECOVERY_TIMEOUT = 15 * 60.0  # Mesos's --recovery_timeout, for MESOS_RECOVERY_TIMEOUT.
MAX_MESSAGE_BYTES = 1024 * 1024  # A framework message; bulk data goes elsewhere.
MAX_UNSENT_EXITS = 1000  # Executor ends kept for a master while none is connected.


class ExecutorCallError(Exception):
    """A call the executor API refuses: an HTTP status and one line saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True, eq=False)
class ExecutorRecord:
    """One custom executor on this agent, from its launch to its end."""

    framework_id: str
    info: mesos_pb2.ExecutorInfo
    container_id: str
    run_dir: Path | None = None  # Its checkpoint (meta/.../executors/<ex>/runs/<container>).
    sandbox: Path | None = None
    container: Container | None = None
    state: str = REGISTERING
    # The subscription: anything with `send(Event)` and `close()` (executor_api.py).
    stream: object | None = None
    queued: list[str] = field(default_factory=list)  # Task ids waiting for SUBSCRIBE.
    tasks: set[str] = field(default_factory=set)  # Its task ids not yet forgotten.
    # Kills asked for while it was not connected: sent when it subscribes again.
    pending_kills: dict[str, mesos_pb2.KillPolicy | None] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None  # Registration or shutdown deadline.
    timeout_reason: int | None = None  # Why it was killed, if the agent killed it.
    recovered: bool = False

    @property
    def executor_id(self) -> str:
        return self.info.executor_id.value

    @property
    def key(self) -> ExecutorKey:
        return (self.framework_id, self.executor_id)

    @property
    def alive(self) -> bool:
        return self.state != TERMINATED

    def send(self, event: executor_pb2.Event) -> bool:
        if self.stream is None:
            return False
        self.stream.send(event)  # type: ignore[attr-defined]
        return True


UNKNOWN_STATUS = -1  # Mesos's `status` when there is no wait status (a launch that failed).


def wait_status(exit_status: ExitStatus) -> int:
    """The executor's end as a wait status (what Mesos puts in FAILURE's `status`)."""
    if exit_status.signal is not None:
        return exit_status.signal & 0x7F
    if exit_status.exit_code is not None:
        return (exit_status.exit_code & 0xFF) << 8
    return UNKNOWN_STATUS  # Its supervisor was gone: nobody knows how it ended.


class AgentExecutors:
    """Mixed into Agent: custom executors."""

    executors: dict[ExecutorKey, ExecutorRecord]
    executor_endpoint: str  # host:port of the executor API, for MESOS_AGENT_ENDPOINT.
    unsent_exits: list[agent_pb2.ExitedExecutorMessage]  # For the next master.

    # ------------------------------------------------------------------ launching

    def run_executor_task(self: Agent, framework: mesos_pb2.FrameworkInfo, record: TaskRecord) -> None:
        """A task for a custom executor: to the running executor, or queued for it."""
        info = record.info.executor
        key = (record.framework_id, info.executor_id.value)
        executor = self.executors.get(key)
        if executor is not None and executor.state == TERMINATING:
            self._launch_failed(record, f"executor {executor.executor_id} is shutting down")
            return
        if executor is not None and executor.info != info:
            self._launch_failed(
                record,
                f"ExecutorInfo is not compatible with the running executor {executor.executor_id}",
            )
            return
        if executor is None:
            try:
                executor = self._launch_executor(framework, info, record)
            except LaunchError as e:
                self._launch_failed(record, str(e))
                # The master holds the executor's resources since the launch: free them.
                self._send_exited(record.framework_id, info.executor_id.value, UNKNOWN_STATUS)
                return
        record.executor = executor
        executor.tasks.add(record.task_id)
        try:
            self._checkpoint_executor_task(record, executor)
        except OSError as e:
            log.error("cannot checkpoint task %s: %s", record.task_id, e.strerror or e)
        record.sandbox = executor.sandbox
        if executor.state == RUNNING and executor.stream is not None:
            executor.send(Event(type=Event.LAUNCH, launch=Event.Launch(task=record.info)))
        else:
            executor.queued.append(record.task_id)
        log.info(
            "task %s of framework %s %s executor %s",
            record.task_id, record.framework_id,
            "sent to" if record.task_id not in executor.queued else "queued for",
            executor.executor_id,
        )

    def _launch_executor(
        self: Agent,
        framework: mesos_pb2.FrameworkInfo,
        info: mesos_pb2.ExecutorInfo,
        first: TaskRecord,
    ) -> ExecutorRecord:
        framework_id = first.framework_id
        executor_id = info.executor_id.value
        try:
            check_id(executor_id, "executor id")
        except Invalid as e:
            raise LaunchError(str(e)) from None
        if not self.agent_id:
            raise LaunchError("the agent is not registered yet, so it has no id for the sandbox")
        command = info.command
        if not command.value:
            raise LaunchError("the executor has no command (ExecutorInfo.command.value)")
        if command.uris:
            raise LaunchError("fetching CommandInfo.uris is not supported by this agent")
        try:
            resources = Resources.from_proto(info.resources) + first.resources
        except ResourceError as e:
            raise LaunchError(f"bad executor resources: {e}") from None
        try:
            user = resolve_task_user(
                command.user, framework.user,
                switch_user=self.config.switch_user, allow_root=self.config.allow_root_tasks,
            )
        except UserError as e:
            raise LaunchError(str(e)) from None
        environment: dict[str, str] = {}
        for variable in command.environment.variables:
            if variable.type == mesos_pb2.Environment.Variable.SECRET:
                raise LaunchError(f"secret environment variable {variable.name!r} is not supported")
            environment[variable.name] = variable.value
        grace = self._executor_grace(info)
        checkpoint = framework.checkpoint
        environment.update(
            MESOS_AGENT_ENDPOINT=self.executor_endpoint,
            MESOS_SLAVE_PID=f"slave(1)@{self.executor_endpoint}",
            MESOS_CHECKPOINT="1" if checkpoint else "0",
            MESOS_HTTP_COMMAND_EXECUTOR="0",
            MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=format_duration(grace),
        )
        if checkpoint:
            environment["MESOS_RECOVERY_TIMEOUT"] = format_duration(RECOVERY_TIMEOUT)
            environment["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = format_duration(
                self.config.executor_reregistration_timeout
            )
        container_id = str(uuid.uuid4())
        executor = ExecutorRecord(framework_id, info, container_id)
        try:
            self.checkpoint.write_framework(self.agent_id, framework)
            self.checkpoint.write_executor(self.agent_id, framework_id, info)
            executor.run_dir = self.checkpoint.run_dir(
                self.agent_id, framework_id, executor_id, container_id
            )
            executor.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LaunchError(f"cannot checkpoint the executor: {e.strerror or e}") from None
        spec = LaunchSpec(
            agent_id=self.agent_id,
            framework_id=framework_id,
            executor_id=executor_id,
            task_id="",
            command=command.value,
            shell=command.shell,
            arguments=list(command.arguments),
            environment=environment,
            user=user,
            limits=Limits(
                cpus=resources.cpus or None,
                mem_bytes=int(resources.mem * MB) if resources.mem else None,
            ),
            container_id=container_id,
            run_dir=executor.run_dir,
        )
        executor.container = self.containerizer.launch(spec, self._executor_container_exited)
        executor.sandbox = executor.container.sandbox
        self.executors[executor.key] = executor
        self.frameworks[framework_id] = framework
        loop = asyncio.get_running_loop()
        executor.timer = loop.call_later(
            self.config.executor_registration_timeout,
            self._executor_timed_out, executor, TaskStatus.REASON_EXECUTOR_REGISTRATION_TIMEOUT,
        )
        log.info(
            "executor %s of framework %s started (pid %d) in %s",
            executor_id, framework_id, executor.container.pid, executor.sandbox,
        )
        return executor

    def _checkpoint_executor_task(self: Agent, record: TaskRecord, executor: ExecutorRecord) -> None:
        record.container_id = executor.container_id
        record.run_dir = executor.run_dir
        if executor.run_dir is not None:
            record.task_dir = self.checkpoint.write_task(executor.run_dir, record.info)

    def _executor_grace(self: Agent, info: mesos_pb2.ExecutorInfo) -> float:
        if info.HasField("shutdown_grace_period"):
            return max(0.0, info.shutdown_grace_period.nanoseconds / 1e9)
        return self.config.executor_shutdown_grace_period

    def _send_exited(self: Agent, framework_id: str, executor_id: str, status: int) -> None:
        exited = agent_pb2.ExitedExecutorMessage(status=status)
        if self.agent_id:
            exited.slave_id.value = self.agent_id
        exited.framework_id.value = framework_id
        exited.executor_id.value = executor_id
        if not self.link.send(agent_pb2.AgentMessage(exited_executor=exited)):
            # No master now (a restart's recovery): it hears of the end once registered.
            self.unsent_exits = [*self.unsent_exits, exited][-MAX_UNSENT_EXITS:]

    def send_unsent_exits(self: Agent) -> None:
        """Registered: tell the master of executors that ended while it was not there."""
        exits, self.unsent_exits = self.unsent_exits, []
        for exited in exits:
            if self.agent_id:
                exited.slave_id.value = self.agent_id
            self.link.send(agent_pb2.AgentMessage(exited_executor=exited))

    def executor_infos(self: Agent) -> list[mesos_pb2.ExecutorInfo]:
        """The executors still running, for re-registration."""
        return [e.info for e in self.executors.values() if e.alive]

    # ------------------------------------------------------------------ the executor's calls

    def find_executor(self: Agent, framework_id: str, executor_id: str) -> ExecutorRecord:
        if framework_id not in self.frameworks:
            raise ExecutorCallError(400, "Framework cannot be found")
        executor = self.executors.get((framework_id, executor_id))
        if executor is None or not executor.alive:
            raise ExecutorCallError(400, "Executor cannot be found")
        return executor

    def executor_subscribe(
        self: Agent,
        executor: ExecutorRecord,
        stream: object,
        subscribe: executor_pb2.Call.Subscribe,
    ) -> None:
        """SUBSCRIBE: the stream is the executor's from now on (a newer one replaces it)."""
        old = executor.stream
        if old is not None and old is not stream:
            old.close()  # type: ignore[attr-defined]
        executor.stream = stream
        if executor.timer is not None and executor.state != TERMINATING:
            executor.timer.cancel()
            executor.timer = None
        resubscribed = executor.state == RUNNING or executor.recovered
        if executor.state == REGISTERING:
            executor.state = RUNNING
        executor.recovered = False
        subscribed = Event.Subscribed(
            executor_info=executor.info,
            framework_info=self.frameworks[executor.framework_id],
            agent_info=self.agent_info(),
        )
        subscribed.container_id.value = executor.container_id
        executor.send(Event(type=Event.SUBSCRIBED, subscribed=subscribed))
        log.info(
            "executor %s of framework %s %s",
            executor.executor_id, executor.framework_id,
            "re-subscribed" if resubscribed else "subscribed",
        )
        # Updates it sent that never reached this agent (it restarted meanwhile).
        for update in subscribe.unacknowledged_updates:
            try:
                self.executor_update(executor, update.status)
            except ExecutorCallError as e:
                log.info("executor %s: an unacknowledged update is dropped: %s",
                         executor.executor_id, e.message)
        if executor.state == TERMINATING:
            executor.send(Event(type=Event.SHUTDOWN))
            return
        queued, executor.queued = executor.queued, []
        for task_id in queued:
            record = self.tasks.get((executor.framework_id, task_id))
            if record is not None and record.state not in TERMINAL_STATES:
                executor.send(Event(type=Event.LAUNCH, launch=Event.Launch(task=record.info)))
        kills, executor.pending_kills = executor.pending_kills, {}
        for task_id, policy in kills.items():
            record = self.tasks.get((executor.framework_id, task_id))
            if record is not None and record.running:
                self.kill_executor_task(record, policy)

    def executor_disconnected(self: Agent, executor: ExecutorRecord, stream: object) -> None:
        """Its subscription ended (it may come back: the process is what counts)."""
        if executor.stream is stream:
            executor.stream = None
            log.info("executor %s of framework %s disconnected",
                     executor.executor_id, executor.framework_id)

    def executor_update(
        self: Agent, executor: ExecutorRecord, status: mesos_pb2.TaskStatus
    ) -> None:
        """UPDATE: the status becomes the task's update, then ACKNOWLEDGED goes back."""
        task_id = status.task_id.value
        record = self.tasks.get((executor.framework_id, task_id))
        if record is None or record.executor is not executor:
            raise ExecutorCallError(400, f"Task {task_id!r} is not a task of this executor")
        if any(s.uuid == status.uuid for s in record.statuses):
            self._acknowledged(executor, task_id, status.uuid)  # A retry of one we have.
            return
        if record.state in TERMINAL_STATES:
            raise ExecutorCallError(
                400,
                f"Task {task_id!r} is already {mesos_pb2.TaskState.Name(record.state)}: "
                "no update after a terminal one",
            )
        if task_id in executor.queued:
            executor.queued.remove(task_id)
        update = mesos_pb2.TaskStatus()
        update.CopyFrom(status)
        if self.agent_id:
            update.agent_id.value = self.agent_id
        update.executor_id.value = executor.executor_id
        update.source = TaskStatus.SOURCE_EXECUTOR
        if not update.HasField("timestamp"):
            update.timestamp = _now()
        if executor.container is not None:
            update.container_status.container_id.value = executor.container_id
            update.container_status.executor_pid = executor.container.pid
        self._record_update(record, update)
        self._acknowledged(executor, task_id, status.uuid)
        log.info(
            "task %s of framework %s: %s from executor %s",
            task_id, executor.framework_id, mesos_pb2.TaskState.Name(update.state),
            executor.executor_id,
        )

    def _acknowledged(self: Agent, executor: ExecutorRecord, task_id: str, uuid_: bytes) -> None:
        ack = Event.Acknowledged(uuid=uuid_)
        ack.task_id.value = task_id
        executor.send(Event(type=Event.ACKNOWLEDGED, acknowledged=ack))

    def executor_message(self: Agent, executor: ExecutorRecord, data: bytes) -> None:
        """MESSAGE: to the master, on to the scheduler (best effort, as in Mesos)."""
        if len(data) > MAX_MESSAGE_BYTES:
            raise ExecutorCallError(
                400, f"MESSAGE data is {len(data)} bytes; at most {MAX_MESSAGE_BYTES}"
            )
        message = agent_pb2.ExecutorToFrameworkMessage(data=data)
        if self.agent_id:
            message.slave_id.value = self.agent_id
        message.framework_id.value = executor.framework_id
        message.executor_id.value = executor.executor_id
        if not self.link.send(agent_pb2.AgentMessage(executor_to_framework=message)):
            log.info("a message of executor %s is dropped: no master", executor.executor_id)

    # ------------------------------------------------------------------ the master's orders

    def framework_to_executor(self: Agent, message: agent_pb2.FrameworkToExecutorMessage) -> None:
        executor = self.executors.get((message.framework_id.value, message.executor_id.value))
        if executor is None or not executor.alive or executor.stream is None:
            log.info(
                "a framework message for executor %s of framework %s is dropped: it is not "
                "subscribed here", message.executor_id.value, message.framework_id.value,
            )
            return
        executor.send(Event(type=Event.MESSAGE, message=Event.Message(data=message.data)))

    def kill_executor_task(
        self: Agent, record: TaskRecord, policy: mesos_pb2.KillPolicy | None
    ) -> None:
        executor = record.executor
        assert executor is not None
        if record.task_id in executor.queued:
            executor.queued.remove(record.task_id)
            self._update(
                record, mesos_pb2.TASK_KILLED, message="Killed before it reached its executor",
                source=TaskStatus.SOURCE_AGENT,
            )
            return
        kill = Event.Kill()
        kill.task_id.value = record.task_id
        if policy is not None:
            kill.kill_policy.CopyFrom(policy)
        if not executor.send(Event(type=Event.KILL, kill=kill)):
            log.info("kill of task %s waits: executor %s is not connected",
                     record.task_id, executor.executor_id)
            executor.pending_kills[record.task_id] = policy

    def shutdown_executor(self: Agent, framework_id: str, executor_id: str) -> None:
        executor = self.executors.get((framework_id, executor_id))
        if executor is None or not executor.alive:
            log.info("SHUTDOWN of executor %s of framework %s, unknown here; ignored",
                     executor_id, framework_id)
            return
        self._shutdown_executor(executor)

    def _shutdown_executor(self: Agent, executor: ExecutorRecord) -> None:
        """SHUTDOWN, then the grace period, then the container is killed."""
        if executor.state in (TERMINATING, TERMINATED):
            return
        executor.state = TERMINATING
        if executor.timer is not None:
            executor.timer.cancel()
            executor.timer = None
        grace = self._executor_grace(executor.info)
        log.info("shutting down executor %s of framework %s (grace %gs)",
                 executor.executor_id, executor.framework_id, grace)
        if executor.send(Event(type=Event.SHUTDOWN)):
            executor.timer = asyncio.get_running_loop().call_later(
                grace, self._kill_executor, executor
            )
        else:
            self._kill_executor(executor)  # Nobody to tell: as Mesos, destroy it at once.

    def _kill_executor(self: Agent, executor: ExecutorRecord) -> None:
        """Destroy the container (SIGKILL to its process group), as Mesos does when the
        executor's time is up: it had its grace period to end its tasks."""
        executor.timer = None
        if executor.container is not None and executor.container.exit_status is None:
            self.containerizer.destroy(executor.container)

    def _executor_timed_out(self: Agent, executor: ExecutorRecord, reason: int) -> None:
        executor.timer = None
        if executor.state not in (REGISTERING,) and not executor.recovered:
            return
        what = "register" if reason == TaskStatus.REASON_EXECUTOR_REGISTRATION_TIMEOUT else "re-register"
        log.warning("executor %s of framework %s did not %s in time; killing it",
                    executor.executor_id, executor.framework_id, what)
        executor.timeout_reason = reason
        executor.state = TERMINATING
        self._kill_executor(executor)

    # ------------------------------------------------------------------ its end

    def _executor_container_exited(self: Agent, container: Container, exit_status: ExitStatus) -> None:
        key = (container.spec.framework_id, container.spec.executor_id)
        executor = self.executors.get(key)
        if executor is None or executor.container is not container:
            return
        self._executor_ended(executor, exit_status)

    def _executor_ended(self: Agent, executor: ExecutorRecord, exit_status: ExitStatus) -> None:
        if executor.timer is not None:
            executor.timer.cancel()
            executor.timer = None
        executor.state = TERMINATED
        if executor.stream is not None:
            executor.stream.close()  # type: ignore[attr-defined]
            executor.stream = None
        reason = executor.timeout_reason or TaskStatus.REASON_EXECUTOR_TERMINATED
        if executor.timeout_reason == TaskStatus.REASON_EXECUTOR_REGISTRATION_TIMEOUT:
            message = "Executor did not register within " + format_duration(
                self.config.executor_registration_timeout)
        elif executor.timeout_reason == TaskStatus.REASON_EXECUTOR_REREGISTRATION_TIMEOUT:
            message = "Executor did not re-register within " + format_duration(
                self.config.executor_reregistration_timeout)
        else:
            message = f"Executor terminated: {exit_status.message.replace('Command ', '', 1)}"
        log.info("executor %s of framework %s ended: %s",
                 executor.executor_id, executor.framework_id, exit_status.message)
        for task_id in sorted(executor.tasks):
            record = self.tasks.get((executor.framework_id, task_id))
            if record is None or record.executor is not executor:
                continue
            if record.state not in TERMINAL_STATES:
                self._update(
                    record, mesos_pb2.TASK_FAILED, message=message, reason=reason,
                    source=TaskStatus.SOURCE_AGENT,
                )
        executor.queued.clear()
        self._send_exited(executor.framework_id, executor.executor_id, wait_status(exit_status))
        del self.executors[executor.key]
        # Its sandbox and checkpoint go once its tasks' ends are acknowledged (or now).
        if not any(
            (executor.framework_id, t) in self.tasks for t in executor.tasks
        ):
            self._schedule_executor_gc(executor)
        self._maybe_finish_framework_shutdown(executor.framework_id)

    def _schedule_executor_gc(self: Agent, executor: ExecutorRecord) -> None:
        paths = [p for p in (executor.sandbox, executor.run_dir) if p is not None]
        if paths:
            self.collector.schedule(paths)

    def executor_task_forgotten(self: Agent, record: TaskRecord) -> None:
        """A task's terminal update was acknowledged: the last one of an ended executor lets
        its sandbox be collected."""
        executor = record.executor
        if executor is None:
            return
        executor.tasks.discard(record.task_id)  # A long-lived executor forgets its old tasks.
        if not executor.alive and not any(
            (executor.framework_id, t) in self.tasks for t in executor.tasks
        ):
            self._schedule_executor_gc(executor)

    # ------------------------------------------------------------------ usage

    def add_executor_usage(
        self: Agent, report: agent_pb2.UsageReport, stats: Mapping[str, ProcessStats]
    ) -> None:
        """Each live executor's container in the usage report, as Mesos's /monitor/statistics
        shows it: its ExecutorInfo, its running tasks, executor plus tasks allocated."""
        for executor in self.executors.values():
            sample = stats.get(executor.container_id)
            if sample is None or not executor.alive:
                continue
            entry = report.usage.executors.add()
            entry.executor_info.CopyFrom(executor.info)
            entry.container_id.value = executor.container_id
            try:
                allocated = Resources.from_proto(executor.info.resources)
            except ResourceError:
                allocated = Resources()
            for task_id in sorted(executor.tasks):
                record = self.tasks.get((executor.framework_id, task_id))
                if record is None or not record.running:
                    continue
                allocated = allocated + record.resources
                task = entry.tasks.add(name=record.info.name)
                task.id.value = task_id
                task.resources.extend(record.resources.to_proto())
            entry.allocated.extend(allocated.to_proto())
            s = entry.statistics
            s.timestamp = sample.timestamp
            s.processes = sample.processes
            s.threads = sample.threads
            s.cpus_user_time_secs = sample.cpus_user_time_secs
            s.cpus_system_time_secs = sample.cpus_system_time_secs
            s.mem_rss_bytes = sample.mem_rss_bytes
            s.cpus_usage = sample.cpus_usage
            if allocated.cpus:
                s.cpus_limit = allocated.cpus
            if allocated.mem:
                s.mem_limit_bytes = int(allocated.mem * MB)

    # ------------------------------------------------------------------ recovery

    def recover_executor_run(self: Agent, run: RecoveredRun, info: mesos_pb2.ExecutorInfo) -> int:
        """Re-attach to an executor of the previous agent run; 1 if it still lives."""
        from daemons.agent.agent import TaskRecord

        assert self.agent_id is not None
        sandbox = sandbox_path(
            self.config.work_dir, self.agent_id, run.framework_id, run.executor_id,
            run.container_id,
        )
        executor = ExecutorRecord(
            run.framework_id, info, run.container_id, run_dir=run.directory, sandbox=sandbox,
            recovered=True,
        )
        ended = bool(run.container.get("ended"))
        if ended and all(
            not t.pending and t.statuses and t.statuses[-1].state in TERMINAL_STATES
            for t in run.tasks
        ):
            # Ended, and every end acknowledged: only its sandbox is left, for the collector.
            self.collector.schedule([sandbox, run.directory])
            return 0
        pending_tasks = False
        for task in run.tasks:
            statuses = list(task.statuses)
            state = statuses[-1].state if statuses else mesos_pb2.TASK_STAGING
            if state in TERMINAL_STATES and not task.pending:
                continue  # Ended and acknowledged.
            try:
                resources = Resources.from_proto(task.info.resources)
            except ResourceError:
                resources = Resources()
            record = TaskRecord(run.framework_id, task.info, resources)
            record.statuses = statuses
            record.state = state
            record.container_id = run.container_id
            record.run_dir = run.directory
            record.task_dir = self.checkpoint.task_dir(run.directory, task.info.task_id.value)
            record.sandbox = sandbox
            record.executor = executor
            executor.tasks.add(record.task_id)
            if state == mesos_pb2.TASK_STAGING:
                executor.queued.append(record.task_id)
            self.tasks[(run.framework_id, record.task_id)] = record
            for status in task.pending:
                self.status_updates.update(run.framework_id, status)
            pending_tasks = True
        if not run.container:
            if pending_tasks:
                self._executor_lost_on_recovery(executor)
            return 0
        spec = LaunchSpec(
            agent_id=self.agent_id, framework_id=run.framework_id, executor_id=run.executor_id,
            task_id="", command=info.command.value, container_id=run.container_id,
            run_dir=run.directory,
        )
        self.executors[executor.key] = executor
        executor.container = self.containerizer.recover(
            spec, run.container, self._executor_container_exited,
            exit_wait_status=run.exit_status, ended=ended,
        )
        live = executor.container.pid and not ended
        if live:
            if self.config.recover == "cleanup":
                executor.timeout_reason = TaskStatus.REASON_AGENT_RESTARTED
                executor.state = TERMINATING
                self.containerizer.destroy(executor.container)
            else:
                executor.state = RUNNING
        return 1 if live else 0

    def _executor_lost_on_recovery(self: Agent, executor: ExecutorRecord) -> None:
        """An executor whose container was never checkpointed: its tasks failed."""
        self.executors[executor.key] = executor
        asyncio.get_running_loop().call_soon(
            self._executor_ended, executor, ExitStatus.unknown(False)
        )

    def start_reregistration_timers(self: Agent) -> None:
        """After recovery: executors have `--executor_reregistration_timeout` to come back."""
        loop = asyncio.get_running_loop()
        for executor in self.executors.values():
            if executor.recovered and executor.state == RUNNING:
                executor.timer = loop.call_later(
                    self.config.executor_reregistration_timeout,
                    self._executor_timed_out, executor,
                    TaskStatus.REASON_EXECUTOR_REREGISTRATION_TIMEOUT,
                )


def _now() -> float:
    return time.time()


__all__ = [
    "AgentExecutors",
    "ExecutorCallError",
    "ExecutorRecord",
    "wait_status",
]
