"""Many lightweight agents in one asyncio process, speaking the real `AgentLink` protocol.

For the failover benchmark: 1,000 agents with 10 tasks each cost one process here, not 1,000
agent daemons and 10,000 `sleep`s. Each emulated agent does what a real one does on the link
(daemons/proto/agent.proto), and nothing else:

1. find the leader through ZooKeeper (one shared `ZooKeeperDetector`), open
   `AgentLink.Connect`, send `register` (no id the first time; afterwards a re-registration
   with `agent_info.id`, every task it holds as a `mesos.v1.Task` and their FrameworkInfos);
2. answer `ping` with `pong`; "run" a task the master sends by answering TASK_RUNNING at once
   (a status update with a uuid, resent after every registration until acknowledged); answer
   `kill_task` and `shutdown_framework` with TASK_KILLED;
3. when the link breaks, back off uniformly in [0, backoff * 2^failures] (capped at 10 s, as
   the real agent's --registration_backoff_factor), wait for ZooKeeper to name a leader other
   than the one that failed, and register again.

Progress goes to stdout as JSON lines: `{"event": "registered", "master": "ip:port",
"count": N, "at": <time.time()>}` when all agents are registered with that master, and
`{"event": "tasks", "running": n, "unacknowledged": u}` when the count of running tasks
changes and nothing is left unacknowledged.

    python -m benchmarks.emulated_agents --master zk://127.0.0.1:2181/mesos --agents 1000 \\
        --tasks-per-agent 10
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import logging
import os
import random
import signal
import sys
import time
import uuid

import grpc

from daemons.common.detector import detector_for
from daemons.common.resources import Resources
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.proto import agent_pb2, agent_pb2_grpc, mesos_pb2

log = logging.getLogger("emulated-agents")

TERMINAL = frozenset(
    {mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED, mesos_pb2.TASK_LOST}
)
BACKOFF_CAP = 10.0
REGISTRATION_TIMEOUT = 10.0


def emit(kind: str, **fields: object) -> None:
    fields["event"] = kind
    print(json.dumps(fields, sort_keys=True), flush=True)


class Census:
    """What all agents of this process have done: registrations per master, tasks."""

    def __init__(self, agents: int) -> None:
        self.agents = agents
        self.registered: dict[str, set[int]] = {}
        # Per master: when each agent first dialled it and when it was registered by it.
        self.dialled: dict[str, dict[int, float]] = {}
        self.answered: dict[str, dict[int, float]] = {}
        self.attempts: dict[str, dict[int, int]] = {}  # dials it took, per agent
        self.running = 0
        self.unacknowledged = 0
        self._reported: tuple[int, int] | None = None

    def on_registered(self, index: int, master: str, attempts: int = 1) -> None:
        self.attempts.setdefault(master, {})[index] = attempts
        for other, members in self.registered.items():
            if other != master and index in members:
                members.discard(index)
                if not members:  # everyone left that master: its next term starts afresh
                    self.dialled.pop(other, None)
                    self.answered.pop(other, None)
                    self.attempts.pop(other, None)
        members = self.registered.setdefault(master, set())
        before = len(members)
        members.add(index)
        self.answered.setdefault(master, {}).setdefault(index, time.time())
        if before < self.agents <= len(members):
            dialled = sorted(self.dialled.get(master, {}).values())
            waits = sorted(
                self.answered[master][i] - self.dialled[master][i]
                for i in self.answered[master]
                if i in self.dialled.get(master, {})
            )
            emit(
                "registered",
                master=master,
                count=len(members),
                at=time.time(),
                first_dial=dialled[0] if dialled else None,
                median_dial=dialled[len(dialled) // 2] if dialled else None,
                last_dial=dialled[-1] if dialled else None,
                median_wait=waits[len(waits) // 2] if waits else None,
                max_wait=waits[-1] if waits else None,
                attempts=dict(collections.Counter(self.attempts[master].values())),
            )

    def on_dial(self, index: int, master: str) -> None:
        self.dialled.setdefault(master, {}).setdefault(index, time.time())

    def tasks_changed(self, running: int, unacknowledged: int) -> None:
        self.running += running
        self.unacknowledged += unacknowledged
        now = (self.running, self.unacknowledged)
        if self.unacknowledged == 0 and now != self._reported:
            self._reported = now
            emit("tasks", running=self.running, unacknowledged=0, at=time.time())


class EmulatedAgent:
    def __init__(
        self,
        index: int,
        detector,
        resources: Resources,
        census: Census,
        backoff: float,  # noqa: ANN001
    ) -> None:
        self.index = index
        self.detector = detector
        self.resources = resources
        self.census = census
        self.backoff = backoff
        self.agent_id = ""
        self.tasks: dict[tuple[str, str], mesos_pb2.Task] = {}
        self.frameworks: dict[str, mesos_pb2.FrameworkInfo] = {}
        self.pending: dict[bytes, agent_pb2.StatusUpdate] = {}  # unacknowledged, by uuid
        self.outbox: asyncio.Queue[agent_pb2.AgentMessage] | None = None
        self.channel_options = list(CHANNEL_OPTIONS)
        # One gRPC channel per master address for every agent of this process (the streams
        # share one HTTP/2 connection either way, through gRPC's global subchannel pool): a
        # channel object per agent cost the emulator more CPU than the master spent on them.
        self.channels: dict[str, grpc.aio.Channel] | None = None
        self.dials = 0  # since the last registration
        self.registrations = 0

    # ---------------------------------------------------------------- registration

    def registration(self) -> agent_pb2.RegisterAgent:
        info = mesos_pb2.AgentInfo(hostname=f"emulated-{self.index}", port=5051)
        info.resources.extend(self.resources.to_proto())
        message = agent_pb2.RegisterAgent(
            agent_info=info, version="emulated", files_address=f"emulated-{self.index}:5051"
        )
        if self.agent_id:
            message.agent_info.id.value = self.agent_id
            message.tasks.extend(self.tasks.values())
            fids = {t.framework_id.value for t in self.tasks.values()}
            message.frameworks.extend(
                self.frameworks[f] for f in sorted(fids) if f in self.frameworks
            )
        return message

    async def run(self) -> None:
        previous: str | None = None
        failures = 0
        while True:
            address = await self.detector.detect(previous)
            previous = address
            self.dials += 1
            registrations = self.registrations
            try:
                await self.session(address)
            except (grpc.aio.AioRpcError, ConnectionError, TimeoutError) as e:
                log.debug("agent %d at %s: %s", self.index, address, e)
            finally:
                self.outbox = None
            # A link that got as far as `registered` resets the back-off, however it ended.
            failures = 0 if self.registrations != registrations else failures + 1
            ceiling = min(self.backoff * 2 ** max(0, failures - 1), BACKOFF_CAP)
            await asyncio.sleep(random.uniform(0.0, ceiling))

    async def session(self, address: str) -> None:
        self.census.on_dial(self.index, address)
        if self.channels is None:
            async with grpc.aio.insecure_channel(address, options=self.channel_options) as channel:
                await self._session_on(channel, address)
            return
        channel = self.channels.get(address)
        if channel is None:
            channel = self.channels[address] = grpc.aio.insecure_channel(
                address, options=self.channel_options
            )
        await self._session_on(channel, address)

    async def _session_on(self, channel: grpc.aio.Channel, address: str) -> None:
        call = agent_pb2_grpc.AgentLinkStub(channel).Connect()
        writer: asyncio.Task[None] | None = None
        try:
            await call.write(agent_pb2.AgentMessage(register=self.registration()))
            first = await asyncio.wait_for(call.read(), REGISTRATION_TIMEOUT)
            if first is grpc.aio.EOF or first.WhichOneof("message") != "registered":
                return
            self.agent_id = first.registered.agent_id.value
            self.outbox = asyncio.Queue()
            self.census.on_registered(self.index, address, self.dials)
            self.dials = 0
            self.registrations += 1
            for update in self.pending.values():
                self.outbox.put_nowait(agent_pb2.AgentMessage(status_update=update))
            writer = asyncio.create_task(self._write(call, self.outbox))
            while True:
                message = await call.read()
                if message is grpc.aio.EOF:
                    return
                self.handle(message)
        finally:
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writer
            call.cancel()

    async def _write(self, call, outbox: asyncio.Queue[agent_pb2.AgentMessage]) -> None:  # noqa: ANN001
        while True:
            await call.write(await outbox.get())

    def send(self, message: agent_pb2.AgentMessage) -> None:
        if self.outbox is not None:
            self.outbox.put_nowait(message)

    # ---------------------------------------------------------------- master messages

    def handle(self, message: agent_pb2.MasterMessage) -> None:
        kind = message.WhichOneof("message")
        if kind == "ping":
            self.send(agent_pb2.AgentMessage(pong=agent_pb2.Pong(seq=message.ping.seq)))
        elif kind == "run_task":
            self.run_task(message.run_task)
        elif kind == "kill_task":
            key = (message.kill_task.framework_id.value, message.kill_task.task_id.value)
            if key in self.tasks:
                self.update(key, mesos_pb2.TASK_KILLED)
        elif kind == "shutdown_framework":
            fid = message.shutdown_framework.framework_id.value
            for key in [k for k in self.tasks if k[0] == fid]:
                self.update(key, mesos_pb2.TASK_KILLED)
        elif kind == "acknowledgement":
            update = self.pending.pop(message.acknowledgement.uuid, None)
            if update is not None:
                key = (update.framework_id.value, update.status.task_id.value)
                running = 0
                if update.status.state in TERMINAL:
                    self.tasks.pop(key, None)
                self.census.tasks_changed(running, -1)

    def run_task(self, run: agent_pb2.RunTask) -> None:
        fid = run.framework_info.id.value
        self.frameworks[fid] = run.framework_info
        info = run.task
        task = mesos_pb2.Task(name=info.name, state=mesos_pb2.TASK_STAGING)
        task.task_id.CopyFrom(info.task_id)
        task.framework_id.value = fid
        task.agent_id.value = self.agent_id
        task.executor_id.value = info.task_id.value
        task.resources.extend(info.resources)
        self.tasks[(fid, info.task_id.value)] = task
        self.update((fid, info.task_id.value), mesos_pb2.TASK_RUNNING)

    def update(self, key: tuple[str, str], state: int) -> None:
        task = self.tasks[key]
        was_running = task.state == mesos_pb2.TASK_RUNNING
        status = mesos_pb2.TaskStatus(
            state=state,
            source=mesos_pb2.TaskStatus.SOURCE_EXECUTOR,
            timestamp=time.time(),
            uuid=uuid.uuid4().bytes,
        )
        status.task_id.value = key[1]
        status.agent_id.value = self.agent_id
        task.state = state
        task.statuses.append(status)
        update = agent_pb2.StatusUpdate(status=status, latest_state=state)
        update.framework_id.value = key[0]
        self.pending[status.uuid] = update
        running = (state == mesos_pb2.TASK_RUNNING) - was_running
        self.census.tasks_changed(running, 1)
        self.send(agent_pb2.AgentMessage(status_update=update))


async def main_async(ns: argparse.Namespace) -> None:
    census = Census(ns.agents)
    detector = detector_for(ns.master)
    if ns.recheck is not None and hasattr(detector, "RECHECK"):
        detector.RECHECK = ns.recheck  # type: ignore[attr-defined]
    resources = Resources.parse(
        ns.resources or f"cpus:{ns.tasks_per_agent};mem:{128 * ns.tasks_per_agent}"
    )
    agents = [
        EmulatedAgent(ns.first_index + i, detector, resources, census, ns.backoff)
        for i in range(ns.agents)
    ]
    if ns.local_subchannels:
        for agent in agents:
            agent.channel_options.append(("grpc.use_local_subchannel_pool", 1))
    else:
        shared: dict[str, grpc.aio.Channel] = {}
        for agent in agents:
            agent.channels = shared
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = []
    for agent in agents:
        tasks.append(asyncio.create_task(agent.run()))
        await asyncio.sleep(0)  # spread the first registrations a little
    emit("started", agents=ns.agents, pid=os.getpid())
    await stop.wait()
    for t in tasks:
        t.cancel()
    detector.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.emulated_agents", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--master", required=True, help="zk://host:port/path (or host:port)")
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument(
        "--first-index", type=int, default=0,
        help="number this process's agents from here (hostnames emulated-N), so that several "
        "emulator processes present distinct agents",
    )
    parser.add_argument(
        "--tasks-per-agent", type=int, default=10, help="sizes each agent's resources"
    )
    parser.add_argument(
        "--resources", default="", help="each agent's resources (default: cpus:K;mem:128K)"
    )
    parser.add_argument(
        "--backoff", type=float, default=1.0, help="registration back-off factor, seconds"
    )
    parser.add_argument(
        "--recheck",
        type=float,
        default=None,
        help="ZooKeeperDetector.RECHECK: how long detect(previous) waits before answering "
        "the same leader again (default: the detector's own, 2 s)",
    )
    parser.add_argument(
        "--local-subchannels",
        action="store_true",
        help="give each channel its own gRPC subchannel pool (the real agent shares the global one)",
    )
    ns = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("EMULATED_LOG_LEVEL", "WARNING"), stream=sys.stderr)
    asyncio.run(main_async(ns))


if __name__ == "__main__":
    main()
