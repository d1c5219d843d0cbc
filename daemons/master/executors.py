"""The master's side of custom executors: validation, accounting, messages, and their end.

A task with `TaskInfo.executor` runs under that executor (Mesos's ExecutorInfo) rather than
the agent's command executor. The master, as Mesos's does:

- validates the ExecutorInfo (an id usable as a path, `framework_id` the caller's, a command,
  valid resources, a non-negative `shutdown_grace_period`, type CUSTOM) and refuses an
  executor id that the framework already runs on that agent with a different ExecutorInfo;
- charges the executor's resources once per (framework, executor) on an agent, with its first
  task, and holds them until the agent reports the executor ended (`exited_executor`), when
  they go back to the allocator and the scheduler gets a FAILURE event with the wait status;
- routes framework messages: scheduler MESSAGE -> agent -> executor, and the executor's
  MESSAGE -> scheduler MESSAGE event; scheduler SHUTDOWN asks the agent to shut one down.

The mixin keeps this apart from master.py; it uses the master's state and helpers only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from daemons.common.resources import ResourceError, Resources
from daemons.master.state import Agent, Executor, Framework
from daemons.proto import agent_pb2, master_pb2, mesos_pb2, scheduler_pb2

if TYPE_CHECKING:
    from daemons.master.master import Master

log = logging.getLogger("mesos.master")

SchedEvent = scheduler_pb2.Event
MAX_MESSAGE_BYTES = 1024 * 1024  # A framework message is small; bulk data goes elsewhere.


def _bad_id(value: str) -> bool:
    return len(value) > 256 or any(c in value for c in "/\0") or value in (".", "..")


class MasterExecutors:
    """Mixed into Master."""

    # ------------------------------------------------------------------ validation

    def _validate_executor(
        self: Master,
        fw: Framework,
        agent: Agent,
        executor: mesos_pb2.ExecutorInfo,
        in_call: dict[str, mesos_pb2.ExecutorInfo],
    ) -> str | None:
        """Mesos's executor validation for a LAUNCH; None when the ExecutorInfo is good.
        `in_call`: executors started by earlier tasks of the same ACCEPT."""
        eid = executor.executor_id.value
        if not eid:
            return "'ExecutorInfo.executor_id' must be set"
        if _bad_id(eid):
            return f"Executor id {eid!r} is invalid: at most 256 characters, no '/' or NUL"
        if executor.framework_id.value != fw.framework_id:
            return (
                "ExecutorInfo has an invalid FrameworkID (Actual: "
                f"{executor.framework_id.value} vs Expected: {fw.framework_id})"
            )
        if executor.HasField("type") and executor.type != mesos_pb2.ExecutorInfo.CUSTOM:
            return "'ExecutorInfo.type' must be 'CUSTOM'"
        if not executor.HasField("command"):
            return "'ExecutorInfo.command' must be set"
        if not executor.command.value:
            return "Executor's `CommandInfo` is invalid: no command value to execute"
        if executor.command.uris:
            return "Executor's `CommandInfo.uris` are not supported by this cluster (no fetcher)"
        if executor.HasField("shutdown_grace_period") and (
            executor.shutdown_grace_period.nanoseconds < 0
        ):
            return "ExecutorInfo's 'shutdown_grace_period' must be non-negative"
        try:
            Resources.from_proto(executor.resources)
        except ResourceError as e:
            return f"Executor uses invalid resources: {e}"
        existing = fw.executors.get((agent.agent_id, eid))
        known = existing.info if existing is not None else in_call.get(eid)
        if known is not None and known != executor:
            return (
                f"ExecutorInfo is not compatible with existing ExecutorInfo with same "
                f"ExecutorID {eid!r} on agent {agent.agent_id}"
            )
        return None

    def _executor_resources(
        self: Master, fw: Framework, agent: Agent, executor: mesos_pb2.ExecutorInfo,
        in_call: dict[str, mesos_pb2.ExecutorInfo],
    ) -> Resources:
        """What a LAUNCH must take for the executor: its resources, unless it is there already."""
        eid = executor.executor_id.value
        if (agent.agent_id, eid) in fw.executors or eid in in_call:
            return Resources()
        return Resources.from_proto(executor.resources)

    def _add_executor(
        self: Master, fw: Framework, agent: Agent, info: mesos_pb2.ExecutorInfo
    ) -> Executor:
        key = (agent.agent_id, info.executor_id.value)
        ex = fw.executors.get(key)
        if ex is None:
            executor_info = mesos_pb2.ExecutorInfo()
            executor_info.CopyFrom(info)
            ex = Executor(
                fw.framework_id, info.executor_id.value, agent.agent_id, executor_info,
                Resources.from_proto(info.resources),
            )
            fw.executors[key] = ex
            agent.executors[ex.key] = ex
        return ex

    def _adopt_executors(
        self: Master, agent: Agent, infos: list[mesos_pb2.ExecutorInfo]
    ) -> None:
        """Re-registration: the executors the agent says it runs are what the master holds for
        it (an executor it no longer reports has ended)."""
        reported: set[tuple[str, str]] = set()
        for info in infos:
            fid, eid = info.framework_id.value, info.executor_id.value
            fw = self.frameworks.get(fid)
            if fw is None or not eid or _bad_id(eid):
                continue
            try:
                Resources.from_proto(info.resources)
            except ResourceError:
                continue
            reported.add((fid, eid))
            self._add_executor(fw, agent, info)
        for key, ex in list(agent.executors.items()):
            if key not in reported:
                self._drop_executor(ex)

    def _drop_executor(self: Master, ex: Executor) -> None:
        """Forget an executor (its resources are the caller's to give back, if held)."""
        agent = self.agents.get(ex.agent_id)
        if agent is not None and agent.executors.get(ex.key) is ex:
            del agent.executors[ex.key]
        fw = self.frameworks.get(ex.framework_id)
        if fw is not None and fw.executors.get((ex.agent_id, ex.executor_id)) is ex:
            del fw.executors[(ex.agent_id, ex.executor_id)]

    def _drop_framework_executors(self: Master, fw: Framework) -> None:
        for ex in list(fw.executors.values()):
            self._drop_executor(ex)

    # ------------------------------------------------------------------ scheduler calls

    def framework_message(self: Master, fw: Framework, message: scheduler_pb2.Call.Message) -> None:
        """Scheduler MESSAGE: to the executor, through its agent (best effort, as Mesos)."""
        from daemons.master.master import CallError

        agent_id, eid = message.agent_id.value, message.executor_id.value
        if not agent_id or not eid:
            raise CallError("INVALID_ARGUMENT", "MESSAGE needs message.agent_id and message.executor_id")
        if len(message.data) > MAX_MESSAGE_BYTES:
            raise CallError(
                "INVALID_ARGUMENT",
                f"MESSAGE data is {len(message.data)} bytes; at most {MAX_MESSAGE_BYTES}",
            )
        agent = self.agents.get(agent_id)
        if agent is None:
            raise CallError("NOT_FOUND", f"agent {agent_id} is not registered")
        if agent.link is None:
            log.info("Dropping a message to executor %s: agent %s is disconnected", eid, agent_id)
            return
        m = agent_pb2.FrameworkToExecutorMessage(data=message.data)
        m.slave_id.value = agent_id
        m.framework_id.value = fw.framework_id
        m.executor_id.value = eid
        agent.link.send(agent_pb2.MasterMessage(framework_to_executor=m))

    def shutdown_executor(self: Master, fw: Framework, shutdown: scheduler_pb2.Call.Shutdown) -> None:
        """Scheduler SHUTDOWN: the agent sends the executor SHUTDOWN, then kills it after its
        grace period; its tasks end TASK_KILLED or TASK_FAILED, and a FAILURE event follows."""
        from daemons.master.master import CallError

        agent_id, eid = shutdown.agent_id.value, shutdown.executor_id.value
        if not agent_id or not eid:
            raise CallError("INVALID_ARGUMENT", "SHUTDOWN needs shutdown.agent_id and shutdown.executor_id")
        agent = self.agents.get(agent_id)
        if agent is None:
            raise CallError("NOT_FOUND", f"agent {agent_id} is not registered")
        if agent.link is None:
            log.info("Dropping SHUTDOWN of executor %s: agent %s is disconnected", eid, agent_id)
            return
        m = agent_pb2.ShutdownExecutorMessage()
        m.executor_id.value = eid
        m.framework_id.value = fw.framework_id
        agent.link.send(agent_pb2.MasterMessage(shutdown_executor=m))

    # ------------------------------------------------------------------ agent messages

    def executor_to_framework(
        self: Master, agent: Agent, message: agent_pb2.ExecutorToFrameworkMessage
    ) -> None:
        fw = self.frameworks.get(message.framework_id.value)
        if fw is None or fw.stream is None:
            log.info(
                "Dropping a message from executor %s: framework %s is not connected",
                message.executor_id.value, message.framework_id.value,
            )
            return
        event = SchedEvent(type=SchedEvent.MESSAGE)
        event.message.agent_id.value = agent.agent_id
        event.message.executor_id.CopyFrom(message.executor_id)
        event.message.data = message.data
        fw.stream.send(event)

    def executor_exited(self: Master, agent: Agent, message: agent_pb2.ExitedExecutorMessage) -> None:
        """The agent says an executor ended: give back its resources, tell its scheduler."""
        fid, eid = message.framework_id.value, message.executor_id.value
        fw = self.frameworks.get(fid)
        if fw is None:
            return
        ex = fw.executors.get((agent.agent_id, eid))
        if ex is not None:
            self._drop_executor(ex)
            if ex.resources:
                self.allocator.recover(agent.agent_id, fid, ex.resources)
                self.request_allocation([agent.agent_id])
            self._publish_agent(agent)
        log.info(
            "Executor %s of framework %s on agent %s exited with status %d",
            eid, fid, agent.agent_id, message.status,
        )
        if fw.stream is not None:
            event = SchedEvent(type=SchedEvent.FAILURE)
            event.failure.agent_id.value = agent.agent_id
            event.failure.executor_id.value = eid
            event.failure.status = message.status
            fw.stream.send(event)

    # ------------------------------------------------------------------ views

    def get_executors(self: Master) -> master_pb2.Response.GetExecutors:
        r = master_pb2.Response.GetExecutors()
        for fw in self.frameworks.values():
            for ex in fw.executors.values():
                item = r.executors.add(executor_info=ex.info)
                item.agent_id.value = ex.agent_id
        return r
