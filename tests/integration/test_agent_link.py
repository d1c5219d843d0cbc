"""The agent against a scripted master over real gRPC on loopback, running real tasks.

`ScriptedMaster` serves `AgentLink.Connect` the way agent.proto says a master does: it answers
`register` with `registered` (or refuses with an error status when told to), records every
agent message, and lets the test send run_task / kill_task / acknowledgement / ping /
shutdown_framework. The real master's own integration tests come with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import psutil
import pytest

from daemons.agent.agent import Agent, AgentConfig
from daemons.common.detector import StandaloneDetector
from daemons.common.resources import Resources
from daemons.proto import agent_pb2, agent_pb2_grpc, mesos_pb2

FW = "F-0000"
AGENT_ID = "M-S0"
TIMEOUT = 10


class Connection:
    def __init__(self, registration: agent_pb2.RegisterAgent) -> None:
        self.registration = registration
        self.outbox: asyncio.Queue[agent_pb2.MasterMessage | None] = asyncio.Queue()


class ScriptedMaster(agent_pb2_grpc.AgentLinkServicer):
    def __init__(self, ping_interval: float = 0.0) -> None:
        self.ping_interval = ping_interval
        self.refusals: list[tuple[grpc.StatusCode, str]] = []
        self.connections: list[Connection] = []
        self.connected = asyncio.Condition()
        self.updates: asyncio.Queue[agent_pb2.StatusUpdate] = asyncio.Queue()
        self.usage: asyncio.Queue[agent_pb2.UsageReport] = asyncio.Queue()
        self.pongs: asyncio.Queue[int] = asyncio.Queue()
        self.server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.server = grpc.aio.server()
        agent_pb2_grpc.add_AgentLinkServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port(f"127.0.0.1:{port}")
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(None)
            self.server = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def Connect(  # noqa: N802
        self,
        request_iterator: AsyncIterator[agent_pb2.AgentMessage],
        context: grpc.aio.ServicerContext,
    ) -> None:
        first = await context.read()
        assert first.WhichOneof("message") == "register"
        if self.refusals:
            code, details = self.refusals.pop(0)
            await context.abort(code, details)
        connection = Connection(first.register)
        agent_id = first.register.agent_info.id.value or AGENT_ID
        await context.write(
            agent_pb2.MasterMessage(
                registered=agent_pb2.AgentRegistered(
                    agent_id=mesos_pb2.AgentID(value=agent_id),
                    ping_interval_seconds=self.ping_interval,
                )
            )
        )
        async with self.connected:
            self.connections.append(connection)
            self.connected.notify_all()
        reader = asyncio.create_task(self._read(context))
        try:
            while True:
                message = await connection.outbox.get()
                if message is None:
                    return  # The test hung up.
                await context.write(message)
        finally:
            reader.cancel()

    async def _read(self, context: grpc.aio.ServicerContext) -> None:
        while True:
            message = await context.read()
            if message is grpc.aio.EOF:
                return
            kind = message.WhichOneof("message")
            if kind == "status_update":
                await self.updates.put(message.status_update)
            elif kind == "usage":
                await self.usage.put(message.usage)
            elif kind == "pong":
                await self.pongs.put(message.pong.seq)

    async def connection(self, number: int = 1) -> Connection:
        """The `number`th registration (1: the first), once it has happened."""
        async with self.connected:
            await asyncio.wait_for(
                self.connected.wait_for(lambda: len(self.connections) >= number), TIMEOUT
            )
        return self.connections[number - 1]

    def send(self, message: agent_pb2.MasterMessage) -> None:
        self.connections[-1].outbox.put_nowait(message)

    def hang_up(self) -> None:
        self.connections[-1].outbox.put_nowait(None)

    async def update(self) -> agent_pb2.StatusUpdate:
        return await asyncio.wait_for(self.updates.get(), TIMEOUT)

    def ack(self, update: agent_pb2.StatusUpdate) -> None:
        ack = agent_pb2.StatusUpdateAcknowledgement(uuid=update.status.uuid)
        ack.framework_id.CopyFrom(update.framework_id)
        ack.task_id.CopyFrom(update.status.task_id)
        self.send(agent_pb2.MasterMessage(acknowledgement=ack))

    async def acked_states(self, count: int) -> list[agent_pb2.StatusUpdate]:
        """Receive and acknowledge `count` updates."""
        out = []
        for _ in range(count):
            update = await self.update()
            self.ack(update)
            out.append(update)
        return out

    def run(
        self,
        task_id: str,
        command: str,
        *,
        shell: bool = True,
        arguments: tuple[str, ...] = (),
        resources: str = "cpus:0.1;mem:32",
        killing: bool = False,
        grace: float | None = None,
        max_completion_time: float | None = None,
    ) -> None:
        run = agent_pb2.RunTask()
        run.framework_info.id.value = FW
        run.framework_info.name = "test"
        if killing:
            run.framework_info.capabilities.add(
                type=mesos_pb2.FrameworkInfo.Capability.TASK_KILLING_STATE
            )
        task = run.task
        task.name = f"task {task_id}"
        task.task_id.value = task_id
        task.agent_id.value = AGENT_ID
        task.resources.extend(Resources.parse(resources).to_proto())
        task.command.value = command
        task.command.shell = shell
        task.command.arguments.extend(arguments)
        if grace is not None:
            task.kill_policy.grace_period.nanoseconds = int(grace * 1e9)
        if max_completion_time is not None:
            task.max_completion_time.nanoseconds = int(max_completion_time * 1e9)
        self.send(agent_pb2.MasterMessage(run_task=run))

    def kill(self, task_id: str, framework_id: str = FW) -> None:
        kill = agent_pb2.KillTask()
        kill.framework_id.value = framework_id
        kill.task_id.value = task_id
        self.send(agent_pb2.MasterMessage(kill_task=kill))


def states(updates: list[agent_pb2.StatusUpdate]) -> list[str]:
    return [mesos_pb2.TaskState.Name(u.status.state) for u in updates]


@pytest.fixture
async def master() -> AsyncIterator[ScriptedMaster]:
    master = ScriptedMaster()
    await master.start()
    try:
        yield master
    finally:
        await master.stop()


def make_agent(work_dir: Path, master: ScriptedMaster, **overrides: object) -> Agent:
    config = AgentConfig(
        work_dir=work_dir,
        resources=Resources.parse("cpus:2;mem:1024;disk:100;ports:[31000-31010]"),
        port=0,
        hostname="agent-host",
        attributes={"rack": "r1", "zone": "a"},
        executor_shutdown_grace_period=5.0,
        registration_backoff_factor=0.05,
        usage_interval=0.2,
        status_update_retry_interval=0.3,
        allow_root_tasks=True,  # the scripted frameworks run as the suite's user (root)
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return Agent(config, StandaloneDetector(master.address))


@pytest.fixture
async def agent(tmp_path: Path, master: ScriptedMaster) -> AsyncIterator[Agent]:
    agent = make_agent(tmp_path / "work", master)
    await agent.start()
    try:
        yield agent
    finally:
        await agent.stop()
        for record in list(agent.tasks.values()):
            if record.running and record.container is not None:
                _kill_container(record.container.pid)


async def test_registration_describes_the_agent(master: ScriptedMaster, agent: Agent) -> None:
    connection = await master.connection()
    registration = connection.registration
    info = registration.agent_info
    assert not info.HasField("id")
    assert info.hostname == "agent-host"
    assert info.port == agent.files_port != 0
    assert registration.files_address == f"127.0.0.1:{agent.files_port}"
    assert Resources.from_proto(info.resources) == agent.config.resources
    assert {a.name: a.text.value for a in info.attributes} == {"rack": "r1", "zone": "a"}
    await asyncio.wait_for(agent.registered.wait(), TIMEOUT)
    assert agent.agent_id == AGENT_ID


async def test_task_runs_to_finished_with_acknowledged_updates(
    master: ScriptedMaster, agent: Agent
) -> None:
    await master.connection()
    master.run("t1", "echo hello; echo oops >&2")
    updates = await master.acked_states(3)
    assert states(updates) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    container_ids = {u.status.container_status.container_id.value for u in updates}
    assert len(container_ids) == 1
    pids = {u.status.container_status.executor_pid for u in updates}
    assert len(pids) == 1 and 0 not in pids
    for update in updates:
        status = update.status
        assert update.framework_id.value == FW
        assert len(status.uuid) == 16
        assert abs(status.timestamp - time.time()) < 30
        assert status.source == mesos_pb2.TaskStatus.SOURCE_EXECUTOR
        assert status.agent_id.value == AGENT_ID
        assert status.executor_id.value == "t1"
        assert status.task_id.value == "t1"
    assert len({u.status.uuid for u in updates}) == 3
    assert updates[-1].status.message == "Command exited with status 0"
    sandbox = (
        agent.config.work_dir
        / "slaves"
        / AGENT_ID
        / "frameworks"
        / FW
        / "executors"
        / "t1"
        / "runs"
        / container_ids.pop()
    )
    assert (sandbox / "stdout").read_text() == "hello\n"
    assert (sandbox / "stderr").read_text() == "oops\n"
    # Once its terminal update is acknowledged the task is forgotten; the sandbox stays.
    await _until(lambda: not agent.tasks)
    assert sandbox.is_dir()


async def test_unacknowledged_update_is_resent_and_never_after_its_ack(
    master: ScriptedMaster, agent: Agent
) -> None:
    await master.connection()
    master.run("t1", "sleep 100")
    starting = await master.update()
    again = await master.update()  # Not acknowledged: sent again, same uuid.
    assert again.status.uuid == starting.status.uuid
    assert again.status.state == mesos_pb2.TASK_STARTING
    assert again.latest_state == mesos_pb2.TASK_RUNNING
    master.ack(again)
    running = await master.update()
    assert running.status.state == mesos_pb2.TASK_RUNNING
    master.ack(running)
    # Nothing is resent now: wait well past a few retry intervals.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(master.updates.get(), 1.0)
    master.kill("t1")
    killed = await master.update()
    assert killed.status.state == mesos_pb2.TASK_KILLED
    assert killed.status.message == "Command terminated with signal SIGTERM"
    master.ack(killed)


async def test_failed_command_and_failed_launch(master: ScriptedMaster, agent: Agent) -> None:
    await master.connection()
    master.run("t1", "exit 3")
    failed = await master.acked_states(3)
    assert states(failed) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]
    assert failed[-1].status.message == "Command exited with status 3"
    master.run("t2", "/no/such/program", shell=False, arguments=("prog",))
    (launch_failed,) = await master.acked_states(1)
    assert states([launch_failed]) == ["TASK_FAILED"]
    status = launch_failed.status
    assert status.reason == mesos_pb2.TaskStatus.REASON_CONTAINER_LAUNCH_FAILED
    assert status.source == mesos_pb2.TaskStatus.SOURCE_AGENT
    assert "/no/such/program" in status.message
    assert "No such file or directory" in status.message
    await _until(lambda: not agent.tasks)


async def test_kill_with_killing_state_and_task_kill_policy(
    master: ScriptedMaster, agent: Agent
) -> None:
    await master.connection()
    master.run("t1", "trap '' TERM; echo ready; sleep 100 & wait", killing=True, grace=0.5)
    await master.acked_states(2)
    stdout = _sandbox(agent, "t1") / "stdout"
    await _until(lambda: stdout.read_text() == "ready\n")
    started = time.monotonic()
    master.kill("t1")
    updates = await master.acked_states(2)
    assert states(updates) == ["TASK_KILLING", "TASK_KILLED"]
    assert updates[1].status.message == "Command terminated with signal SIGKILL"
    assert 0.4 < time.monotonic() - started < 5  # The task's grace (0.5 s), not the flag's.


async def test_max_completion_time_fails_the_task(master: ScriptedMaster, agent: Agent) -> None:
    await master.connection()
    master.run("slow", "sleep 100", max_completion_time=0.3)
    updates = await master.acked_states(3)
    assert states(updates) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]
    status = updates[-1].status
    assert status.reason == mesos_pb2.TaskStatus.REASON_MAX_COMPLETION_TIME_REACHED
    assert "maximum completion time" in status.message


async def test_a_silent_master_is_left_and_found_again(tmp_path: Path) -> None:
    master = ScriptedMaster(ping_interval=0.2)  # It promises pings, then never sends one.
    await master.start()
    agent = make_agent(tmp_path / "work", master)
    await agent.start()
    try:
        await master.connection(1)
        started = time.monotonic()
        second = await master.connection(2)
        assert 0.9 < time.monotonic() - started < TIMEOUT
        assert second.registration.agent_info.id.value == AGENT_ID
    finally:
        await agent.stop()
        await master.stop()


async def test_kill_of_an_unknown_task_is_lost(master: ScriptedMaster, agent: Agent) -> None:
    await master.connection()
    master.kill("ghost")
    (lost,) = await master.acked_states(1)
    assert lost.status.state == mesos_pb2.TASK_LOST
    assert lost.status.message == "Task unknown to the agent"
    assert lost.status.reason == mesos_pb2.TaskStatus.REASON_TASK_UNKNOWN
    assert lost.status.source == mesos_pb2.TaskStatus.SOURCE_AGENT


async def test_ping_is_answered_with_the_same_seq(master: ScriptedMaster, agent: Agent) -> None:
    await master.connection()
    for seq in (7, 8, 1234567890123):
        master.send(agent_pb2.MasterMessage(ping=agent_pb2.Ping(seq=seq)))
        assert await asyncio.wait_for(master.pongs.get(), TIMEOUT) == seq


async def test_reregistration_after_a_break_carries_tasks_and_resends_heads(
    master: ScriptedMaster, agent: Agent
) -> None:
    await master.connection()
    master.run("t1", "sleep 100")
    master.run("t2", "echo done")
    first = [await master.update(), await master.update()]
    assert {u.status.task_id.value for u in first} == {"t1", "t2"}
    for update in first:
        master.ack(update)
    # t1: RUNNING comes next; t2: RUNNING. Leave them unacknowledged and hang up.
    pending = {u.status.task_id.value: u for u in [await master.update(), await master.update()]}
    master.hang_up()
    connection = await master.connection(2)
    registration = connection.registration
    assert registration.agent_info.id.value == AGENT_ID
    tasks = {t.task_id.value: t for t in registration.tasks}
    assert set(tasks) == {"t1", "t2"}
    t1 = tasks["t1"]
    assert t1.framework_id.value == FW
    assert t1.executor_id.value == "t1"
    assert t1.agent_id.value == AGENT_ID
    assert t1.name == "task t1"
    assert t1.state == mesos_pb2.TASK_RUNNING
    assert Resources.from_proto(t1.resources) == Resources.parse("cpus:0.1;mem:32")
    assert [s.state for s in t1.statuses] == [mesos_pb2.TASK_STARTING, mesos_pb2.TASK_RUNNING]
    assert t1.status_update_uuid == pending["t1"].status.uuid
    await _until(lambda: agent.tasks[(FW, "t2")].state == mesos_pb2.TASK_FINISHED)
    assert [f.id.value for f in registration.frameworks] == [FW]
    # After re-registering, each task's head (the unacknowledged RUNNING) is sent at once.
    resent = {u.status.task_id.value: u for u in [await master.update(), await master.update()]}
    assert {k: u.status.uuid for k, u in resent.items()} == {
        k: u.status.uuid for k, u in pending.items()
    }
    for update in resent.values():
        master.ack(update)
    finished = await master.update()
    assert (finished.status.task_id.value, finished.status.state) == ("t2", mesos_pb2.TASK_FINISHED)
    master.ack(finished)
    master.kill("t1")
    await master.acked_states(1)


async def test_refused_registration_is_retried(
    tmp_path: Path, master: ScriptedMaster, caplog: pytest.LogCaptureFixture
) -> None:
    master.refusals.append((grpc.StatusCode.FAILED_PRECONDITION, "agent is not welcome yet"))
    agent = make_agent(tmp_path / "work", master)
    await agent.start()
    try:
        await master.connection()
        await asyncio.wait_for(agent.registered.wait(), TIMEOUT)
        assert agent.link.registrations == 1
        lines = [r.getMessage() for r in caplog.records if "not welcome" in r.getMessage()]
        assert len(lines) == 1
        assert "FAILED_PRECONDITION" in lines[0]
        assert "\n" not in lines[0]
    finally:
        await agent.stop()


async def test_agent_waits_for_a_master_that_comes_later(tmp_path: Path) -> None:
    master = ScriptedMaster()
    await master.start()
    port = master.port
    await master.stop()  # Nobody listens there now.
    agent = make_agent(tmp_path / "work", master)
    await agent.start()
    try:
        await asyncio.sleep(0.3)  # Let it fail a few times.
        assert not agent.registered.is_set()
        late = ScriptedMaster()
        await late.start(port)
        try:
            await late.connection()
            await asyncio.wait_for(agent.registered.wait(), TIMEOUT)
        finally:
            await agent.stop()
            await late.stop()
    finally:
        await agent.stop()


async def test_usage_reports_running_tasks_and_host(master: ScriptedMaster, agent: Agent) -> None:
    await master.connection()
    master.run("busy", "while :; do :; done", resources="cpus:0.5;mem:64")
    await master.acked_states(2)
    report = None
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        report = await asyncio.wait_for(master.usage.get(), TIMEOUT)
        if report.usage.executors and report.usage.executors[0].statistics.cpus_usage > 0.2:
            break
    assert report is not None
    (executor,) = report.usage.executors
    assert executor.executor_info.executor_id.value == "busy"
    assert executor.executor_info.framework_id.value == FW
    assert [t.id.value for t in executor.tasks] == ["busy"]
    assert executor.tasks[0].name == "task busy"
    assert Resources.from_proto(executor.allocated) == Resources.parse("cpus:0.5;mem:64")
    assert executor.container_id.value == agent.tasks[(FW, "busy")].container.container_id
    stats = executor.statistics
    assert stats.cpus_limit == 0.5
    assert stats.mem_limit_bytes == 64 * 1024 * 1024
    assert stats.processes >= 1 and stats.threads >= 1
    assert stats.mem_rss_bytes > 0
    assert stats.cpus_usage > 0.2
    assert stats.cpus_user_time_secs > 0
    assert stats.timestamp > 0
    assert Resources.from_proto(report.usage.total) == agent.config.resources
    assert 0 < report.host.mem_rss_bytes <= report.host.mem_total_bytes
    assert report.host.cpus_usage > 0
    master.kill("busy")
    await master.acked_states(1)


async def test_shutdown_framework_kills_its_tasks_and_drops_it(
    master: ScriptedMaster, agent: Agent
) -> None:
    await master.connection()
    master.run("a", "sleep 100")
    master.run("b", "sleep 100")
    for _ in range(4):
        master.ack(await master.update())
    shutdown = agent_pb2.ShutdownFramework(framework_id=mesos_pb2.FrameworkID(value=FW))
    master.send(agent_pb2.MasterMessage(shutdown_framework=shutdown))
    await _until(lambda: not agent.tasks)
    assert FW not in agent.frameworks


async def test_files_api_serves_the_task_sandbox(master: ScriptedMaster, agent: Agent) -> None:
    await master.connection()
    master.run("t1", "echo from-the-task")
    updates = await master.acked_states(3)
    container_id = updates[0].status.container_status.container_id.value
    async with grpc.aio.insecure_channel(agent.files_address) as channel:
        stub = agent_pb2_grpc.FilesStub(channel)
        path = f"{AGENT_ID}/frameworks/{FW}/executors/t1/runs/latest/stdout"
        read = await stub.Read(agent_pb2.ReadFileRequest(path=path))
        assert read.data == b"from-the-task\n"
        listing = await stub.List(
            agent_pb2.ListFilesRequest(path=f"{AGENT_ID}/frameworks/{FW}/executors/t1/runs")
        )
        assert {f.path.rsplit("/", 1)[1] for f in listing.files} == {container_id, "latest"}


async def test_agent_process_stops_on_sigterm_and_leaves_tasks_running(
    tmp_path: Path, master: ScriptedMaster
) -> None:
    work = tmp_path / "work"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "daemons.agent.main",
        "--master",
        master.address,
        "--ip",
        "127.0.0.1",
        "--port",
        "0",
        "--work_dir",
        str(work),
        "--resources",
        "cpus:2;mem:1024",
        "--registration_backoff_factor",
        "0.05",
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        connection = await master.connection()
        resources = Resources.from_proto(connection.registration.agent_info.resources)
        assert (resources.cpus, resources.mem) == (2, 1024)
        assert resources.ranges["ports"] == ((31000, 32000),)  # Detected, as Mesos does.
        master.run("survivor", "sleep 100")
        updates = await master.acked_states(2)
        pid = updates[1].status.container_status.executor_pid
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
        stderr = (await process.stderr.read()).decode()  # type: ignore[union-attr]
        assert "Traceback" not in stderr
        os.kill(pid, 0)  # Still running.
        with open(f"/proc/{pid}/stat") as f:
            assert f.read().split(") ")[1][0] != "Z"
        _kill_container(pid)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _kill_container(pid: int) -> None:
    """SIGKILL a task's process group and its supervisor or launcher (its parent, which holds
    its exit; with no agent left to have it reaped, it would stay)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{ppid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        holder = argv[0].endswith(b"sleep") or any(a.endswith(b"launcher.py") for a in argv)
        supervisor = ppid if holder else None
    except (OSError, ValueError, IndexError):
        supervisor = None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    if supervisor is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(supervisor, signal.SIGKILL)


def _sandbox(agent: Agent, task_id: str) -> Path:
    record = agent.tasks[(FW, task_id)]
    assert record.container is not None
    return record.container.sandbox


async def _until(condition: object, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def test_hostile_master_messages_write_nothing_outside_and_cost_nothing(
    master: ScriptedMaster, agent: Agent, tmp_path: Path
) -> None:
    """Whoever answers as the master: a framework id of `../../..` must not make the agent
    write its checkpoint outside its work dir, a ports range to 2^32 must not become a list of
    billions, invalid UTF-8 is dropped; the agent goes on running real tasks."""
    await master.connection()
    before = {p for p in tmp_path.rglob("*")}
    for framework_id, task_id in (
        ("../../../../../../escaped-fw", "t-a"),
        ("..", "t-b"),
        (FW, "../../escaped-task"),
        ("fw/with/slashes", "t-c"),
    ):
        run = agent_pb2.RunTask()
        run.framework_info.id.value = framework_id
        run.framework_info.name = "hostile"
        run.task.name = "x"
        run.task.task_id.value = task_id
        run.task.agent_id.value = AGENT_ID
        run.task.resources.extend(Resources.parse("cpus:0.1;mem:32").to_proto())
        run.task.command.value = "touch pwned"
        master.send(agent_pb2.MasterMessage(run_task=run))
    # Ports to 2^32: refused by validation before anything is built.
    wide = agent_pb2.RunTask()
    wide.framework_info.id.value = FW
    wide.task.name = "wide"
    wide.task.task_id.value = "wide"
    wide.task.agent_id.value = AGENT_ID
    wide.task.command.value = "true"
    ports = wide.task.resources.add(name="ports", type=mesos_pb2.Value.RANGES)
    ports.ranges.range.add(begin=31000, end=2**32)
    master.send(agent_pb2.MasterMessage(run_task=wide))
    # A task id with invalid UTF-8 (what a proto2 string becomes then: bytes).
    raw = agent_pb2.MasterMessage(run_task=wide).SerializeToString().replace(b"wide", b"w\xffde")
    master.send(agent_pb2.MasterMessage.FromString(raw))

    master.run("after", "echo still-here")
    updates = await master.acked_states(3)
    assert states(updates) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert {u.status.task_id.value for u in updates} == {"after"}
    work = tmp_path / "work"
    created = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in created if not p.is_relative_to(work)]
    assert outside == [], outside
    assert not list(tmp_path.rglob("pwned")) and not list(tmp_path.rglob("escaped*"))
    assert psutil.Process().memory_info().rss < 1024 * 2**20
