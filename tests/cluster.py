"""A real cluster for tests: master and agent processes on loopback, and clients to drive them.

`Cluster` starts `python -m daemons.master.main` and `python -m daemons.agent.main` on free
loopback ports with work dirs under the test's tmp_path, waits until they are ready by polling
the operator API (GET_HEALTH, then GET_AGENTS) against a deadline, writes each process's
output to `<root>/<name>.log`, and on `close()` kills every process it started and everything
they started (tasks included, even those of an agent killed earlier), so no process outlives
the test.

`OperatorClient` makes operator calls and waits for conditions over GET_STATE or the event
stream. `RecordingScheduler` records a framework's callbacks so a test can await them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
import psutil

from daemons.common import tls
from daemons.common.auth import Credential, grpc_metadata
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.proto import master_pb2, master_pb2_grpc, mesos_pb2
from mesos_tui.client.scheduler import Scheduler, SchedulerDriver, current_user

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")

READY_TIMEOUT = 20.0
WAIT_TIMEOUT = 15.0
POLL = 0.05
_TOKEN_VAR = "TEST_CLUSTER_TOKEN"  # Marks every process a cluster started (and their tasks).


class ClusterError(AssertionError):
    """The cluster did not come up, or a condition was not met in time."""


class DaemonExited(ClusterError):
    """A master or agent process ended while the test needed it."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def poll_until(
    check: Callable[[], Awaitable[T | None]],
    timeout: float,
    what: str,
    interval: float = POLL,
) -> T:
    """Call `check` every `interval` until it answers something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = await check()
            if value:
                return value
        except grpc.aio.AioRpcError as e:
            last_error = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_error.code().name} {last_error.details()})" if last_error else ""
            raise ClusterError(f"timed out after {timeout:g}s waiting for {what}{extra}")
        await asyncio.sleep(interval)


# ------------------------------------------------------------------------------ processes


@dataclass
class Daemon:
    """One master or agent process."""

    name: str
    argv: list[str]
    port: int
    work_dir: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    agent_id: str | None = None
    seen_pids: set[int] = field(default_factory=set)
    host: str = "127.0.0.1"  # the address it serves on (another "host" in tests/netns.py)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def remember_descendants(self) -> None:
        """Note the process tree now, so it can be cleaned up after the parent is gone."""
        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(self.proc.pid)
            self.seen_pids.update(c.pid for c in parent.children(recursive=True))

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` (SIGKILL by default) and, for SIGKILL, reap the process. The tasks of a
        killed agent live on (as with Mesos); `Cluster.close` ends them."""
        self.remember_descendants()
        if self.alive:
            self.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Cluster:
    """Real master and agents for one test; use as `async with Cluster(tmp_path) as c:`."""

    def __init__(
        self, root: Path, env: dict[str, str] | None = None,
        client_tls: tls.TlsConfig | None = None,
    ) -> None:
        """`env`: extra environment of every daemon (LIBPROCESS_SSL_*); `client_tls`: how the
        cluster's own operator client dials the master."""
        self.root = Path(root)
        self.env = dict(env or {})
        self.client_tls = client_tls or tls.TlsConfig()
        self.root.mkdir(parents=True, exist_ok=True)
        self.token = uuid.uuid4().hex
        self.master: Daemon | None = None
        self.agents: list[Daemon] = []
        self.daemons: list[Daemon] = []
        self.drivers: list[SchedulerDriver] = []
        self._operator: OperatorClient | None = None
        # What the cluster's own operator client authenticates as (tests of authentication).
        self.operator_credential: Credential | None = None

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---------------------------------------------------------------------------- starting

    def _spawn(
        self, name: str, module: str, port: int, work_dir: Path, args: list[str],
        prefix: list[str] | None = None, host: str = "127.0.0.1",
    ) -> Daemon:
        """Start `python -m module args` (behind `prefix`, e.g. `ip netns exec NS`)."""
        work_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.root / f"{name}.log"
        argv = [*(prefix or []), sys.executable, "-m", module, *args]
        env = dict(os.environ)
        env[_TOKEN_VAR] = self.token
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("PYTEST_CURRENT_TEST", None)
        for key in [k for k in env if k.startswith(("MESOS_", tls.ENV_PREFIX))]:
            del env[key]  # Flags must come from the command line (or self.env) only.
        env.update(self.env)
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                argv,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        daemon = Daemon(name, argv, port, work_dir, log_path, proc, host=host)
        self.daemons.append(daemon)
        return daemon

    async def start_master(self, **flags: object) -> Daemon:
        """Start the master (flags as keywords: `offer_timeout="1secs"`) and wait until it is
        healthy."""
        port = free_port()
        work_dir = self.root / "master"
        args = ["--ip", "127.0.0.1", "--port", str(port), "--work_dir", str(work_dir)]
        flags.setdefault("allocation_interval", "0.1secs")
        args += _flag_args(flags)
        self.master = self._spawn("master", "daemons.master.main", port, work_dir, args)
        if self._operator is not None:
            await self._operator.close()
        self._operator = OperatorClient(
            self.master.address, self.client_tls, credential=self.operator_credential
        )
        master = self.master

        async def healthy() -> bool:
            self._check_alive(master)
            response = await self.operator.call(master_pb2.Call.GET_HEALTH, timeout=1.0)
            return response.get_health.healthy

        await self._ready(master, healthy, "the master to answer GET_HEALTH healthy")
        return master

    def agent_master(self) -> str:
        """What agents are given as --master."""
        if self.master is None:
            raise ClusterError("start the master first")
        return self.master.address

    async def start_agent(
        self, resources: str = "cpus:2;mem:1024", *, wait: bool = True, **flags: object
    ) -> Daemon:
        """Start an agent with `resources` and wait until the master lists it."""
        master = self.agent_master()
        port = free_port()
        n = len(self.agents)
        work_dir = self.root / f"agent{n}"
        args = [
            "--master", master, "--ip", "127.0.0.1", "--port", str(port),
            "--work_dir", str(work_dir), "--resources", resources,
        ]
        if os.geteuid() == 0:
            # The suite's frameworks run as the user running it (root here), as Mesos's
            # drivers do; agents run root tasks only when told. Tests of that rule say false.
            flags.setdefault("allow_root_tasks", "true")
        args += _flag_args(flags)
        known = {a.agent_info.id.value for a in (await self.operator.agents()).agents}
        agent = self._spawn(f"agent{n}", "daemons.agent.main", port, work_dir, args)
        self.agents.append(agent)
        if wait:

            async def registered() -> str | None:
                self._check_alive(agent)
                for a in (await self.operator.agents()).agents:
                    if a.agent_info.id.value not in known:
                        return a.agent_info.id.value
                return None

            agent.agent_id = await self._ready(agent, registered, f"{agent.name} to register")
        return agent

    async def _ready(self, daemon: Daemon, check: Callable[[], Awaitable[T | None]], what: str) -> T:
        try:
            return await poll_until(check, READY_TIMEOUT, what)
        except DaemonExited:
            raise
        except ClusterError as e:
            raise ClusterError(f"{e}\n--- {daemon.name} output ---\n{daemon.log_tail()}") from None

    def _check_alive(self, daemon: Daemon) -> None:
        if not daemon.alive:
            raise DaemonExited(
                f"{daemon.name} exited with status {daemon.proc.returncode}\n"
                f"--- {daemon.name} output ---\n{daemon.log_tail()}"
            )

    @property
    def operator(self) -> OperatorClient:
        if self._operator is None:
            raise ClusterError("no master started")
        return self._operator

    @property
    def master_address(self) -> str:
        if self.master is None:
            raise ClusterError("no master started")
        return self.master.address

    # ---------------------------------------------------------------------------- frameworks

    async def framework(
        self,
        name: str = "test",
        scheduler: RecordingScheduler | None = None,
        *,
        role: str = "*",
        capabilities: Iterable[int] = (),
        failover_timeout: float = 0.0,
        implicit_acknowledgements: bool = True,
        user: str | None = None,
        credential: Credential | None = None,
        wait: bool = True,
        checkpoint: bool = False,
    ) -> tuple[SchedulerDriver, RecordingScheduler]:
        """Subscribe a framework and wait until it is subscribed (its tasks run as `user`,
        by default the user running the tests)."""
        rec = scheduler or RecordingScheduler()
        info = mesos_pb2.FrameworkInfo(
            name=name, user=user or current_user(), role=role,
            failover_timeout=failover_timeout, checkpoint=checkpoint,
        )
        for cap in capabilities:
            info.capabilities.add(type=cap)  # type: ignore[arg-type]
        driver = SchedulerDriver(
            rec, info, self.master_address,
            implicit_acknowledgements=implicit_acknowledgements,
            backoff_base=0.05, backoff_cap=0.5, credential=credential,
        )
        self.drivers.append(driver)
        await driver.start()
        if wait:
            await driver.wait_subscribed(WAIT_TIMEOUT)
        return driver, rec

    # ---------------------------------------------------------------------------- teardown

    def logs(self) -> str:
        """Every process's output, for a failure report."""
        parts = []
        for d in self.daemons:
            parts.append(f"===== {d.name} ({' '.join(d.argv[2:])}) =====\n{d.log_tail(200)}")
        return "\n".join(parts)

    async def close(self) -> None:
        for driver in self.drivers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(driver.stop(failover=True), 5)
        if self._operator is not None:
            await self._operator.close()
            self._operator = None
        self.kill_all()

    def kill_all(self) -> None:
        """SIGKILL every daemon, every process they started, and anything else carrying the
        cluster's token or running in its directory (tasks of agents killed earlier)."""
        pids: set[int] = set()
        for d in self.daemons:
            d.remember_descendants()
            pids.add(d.proc.pid)
            pids.update(d.seen_pids)
        me = os.getpid()
        # Two passes: a launcher or supervisor may start a process while the first pass kills
        # (a launch already under way); the second pass gets those. What outlives both is a
        # leak the test should hear of.
        for _ in range(2):
            pids.update(self._strays())
            procs = []
            for pid in pids - {me}:
                with contextlib.suppress(psutil.Error):
                    p = psutil.Process(pid)
                    p.kill()
                    procs.append(p)
            deadline = time.monotonic() + 5
            while procs and time.monotonic() < deadline:
                procs = [p for p in procs if _running(p)]
                if procs:
                    time.sleep(0.01)
            for d in self.daemons:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    d.proc.wait(timeout=5)
            left = self._strays()
            if not left:
                return
            pids = set(left)
        raise ClusterError(f"processes left behind: {sorted(left)}")

    def _strays(self) -> set[int]:
        root = str(self.root)
        me = os.getpid()
        found: set[int] = set()
        for p in psutil.process_iter(["pid", "cwd", "environ"]):
            if p.pid == me:
                continue
            info = p.info
            cwd = info.get("cwd") or ""
            env = info.get("environ") or {}
            if env.get(_TOKEN_VAR) == self.token or cwd == root or cwd.startswith(root + os.sep):
                found.add(p.pid)
        return found


def _running(p: psutil.Process) -> bool:
    """Still a live process (a killed one that is only waiting to be reaped does not count)."""
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _flag_args(flags: dict[str, object]) -> list[str]:
    out = []
    for name, value in flags.items():
        if value is None:
            continue
        out.append(f"--{name}={value}")
    return out


# ------------------------------------------------------------------------------ operator API


class OperatorClient:
    """The operator API of one master, for tests."""

    def __init__(
        self, address: str, tls_config: tls.TlsConfig | None = None,
        credential: Credential | None = None,
    ) -> None:
        self.address = address
        self.channel = tls.channel(address, CHANNEL_OPTIONS, tls_config or tls.TlsConfig())
        self.stub = master_pb2_grpc.MasterStub(self.channel)
        self.metadata = grpc_metadata(credential)

    async def close(self) -> None:
        await self.channel.close()

    async def call(
        self, type: int, timeout: float = 5.0, **fields: Any
    ) -> master_pb2.Response:
        """One operator call: `call(master_pb2.Call.GET_STATE)`."""
        return await self.stub.Call(  # type: ignore[arg-type]
            master_pb2.Call(type=type, **fields), timeout=timeout, metadata=self.metadata
        )

    async def state(self) -> master_pb2.Response.GetState:
        return (await self.call(master_pb2.Call.GET_STATE)).get_state

    async def agents(self) -> master_pb2.Response.GetAgents:
        return (await self.call(master_pb2.Call.GET_AGENTS)).get_agents

    async def frameworks(self) -> master_pb2.Response.GetFrameworks:
        return (await self.call(master_pb2.Call.GET_FRAMEWORKS)).get_frameworks

    async def tasks(self) -> master_pb2.Response.GetTasks:
        return (await self.call(master_pb2.Call.GET_TASKS)).get_tasks

    async def wait_for(
        self,
        predicate: Callable[[master_pb2.Response.GetState], T | None],
        timeout: float = WAIT_TIMEOUT,
        what: str = "a condition on GET_STATE",
    ) -> T:
        """Poll GET_STATE until `predicate(state)` is truthy; answer its value."""

        async def check() -> T | None:
            return predicate(await self.state())

        return await poll_until(check, timeout, what)

    @contextlib.asynccontextmanager
    async def events(self) -> AsyncIterator[EventStream]:
        """The operator event stream (`Master.Subscribe`), starting with SUBSCRIBED."""
        stream = self.stub.Subscribe(
            master_pb2.Call(type=master_pb2.Call.SUBSCRIBE), metadata=self.metadata
        )
        try:
            yield EventStream(stream)
        finally:
            stream.cancel()


class EventStream:
    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.seen: list[master_pb2.Event] = []

    async def next(
        self,
        predicate: Callable[[master_pb2.Event], bool] = lambda e: True,
        timeout: float = WAIT_TIMEOUT,
    ) -> master_pb2.Event:
        """The next event matching `predicate` (others are skipped, but kept in `seen`)."""

        async def read() -> master_pb2.Event:
            while True:
                event = await self._stream.read()
                if event is grpc.aio.EOF:
                    raise ClusterError("the operator event stream ended")
                self.seen.append(event)
                if predicate(event):
                    return event

        try:
            return await asyncio.wait_for(read(), timeout)
        except TimeoutError:
            raise ClusterError(f"no matching operator event within {timeout:g}s") from None


# ------------------------------------------------------------------------------ frameworks


class RecordingScheduler(Scheduler):
    """Records every callback as `(kind, payload, monotonic time)`; tests await them.

    Kinds: "subscribed" (FrameworkID), "offers" (list of Offer), "rescind" (OfferID),
    "update" (TaskStatus), "error" (str), "disconnected" (None), "message", "failure".
    """

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, float]] = []
        self._changed = asyncio.Event()
        self._cursor: dict[str, int] = {}

    def record(self, kind: str, payload: Any) -> None:
        self.events.append((kind, payload, time.monotonic()))
        self._changed.set()

    def all(self, kind: str) -> list[Any]:
        return [p for k, p, _ in self.events if k == kind]

    def updates(self, task_id: str) -> list[mesos_pb2.TaskStatus]:
        return [s for s in self.all("update") if s.task_id.value == task_id]

    async def next(
        self,
        kind: str,
        predicate: Callable[[Any], bool] = lambda p: True,
        timeout: float = WAIT_TIMEOUT,
    ) -> Any:
        """The next `kind` callback after the last one `next` answered for that kind that
        matches `predicate`."""
        _, payload, _ = await self.next_timed(kind, predicate, timeout)
        return payload

    async def next_timed(
        self,
        kind: str,
        predicate: Callable[[Any], bool] = lambda p: True,
        timeout: float = WAIT_TIMEOUT,
    ) -> tuple[str, Any, float]:
        deadline = time.monotonic() + timeout
        while True:
            start = self._cursor.get(kind, 0)
            for i in range(start, len(self.events)):
                k, payload, at = self.events[i]
                if k == kind and predicate(payload):
                    self._cursor[kind] = i + 1
                    return k, payload, at
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(k, _brief(p)) for k, p, _ in self.events[-12:]]
                raise ClusterError(f"no {kind!r} callback within {timeout:g}s; last seen: {seen}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def subscribed(self, driver, framework_id, master_info) -> None:  # type: ignore[override]
        self.record("subscribed", framework_id)

    async def offers(self, driver, offers) -> None:  # type: ignore[override]
        self.record("offers", offers)

    async def rescind(self, driver, offer_id) -> None:  # type: ignore[override]
        self.record("rescind", offer_id)

    async def update(self, driver, status) -> None:  # type: ignore[override]
        self.record("update", status)

    async def message(self, driver, agent_id, executor_id, data) -> None:  # type: ignore[override]
        self.record("message", data)

    async def failure(self, driver, agent_id, executor_id, status) -> None:  # type: ignore[override]
        self.record("failure", (agent_id, executor_id, status))

    async def error(self, driver, message) -> None:  # type: ignore[override]
        self.record("error", message)

    async def disconnected(self, driver) -> None:  # type: ignore[override]
        self.record("disconnected", None)


def _brief(payload: Any) -> str:
    if isinstance(payload, mesos_pb2.TaskStatus):
        return f"{payload.task_id.value}:{mesos_pb2.TaskState.Name(payload.state)}"
    if isinstance(payload, list):
        return f"{len(payload)} offers"
    if hasattr(payload, "value"):
        return str(payload.value)
    return repr(payload)


def state_name(state: int) -> str:
    return mesos_pb2.TaskState.Name(state)  # type: ignore[arg-type]
