"""What the seed frameworks (wordcount, pi, gang, batch) share, built on the scheduler driver.

- `TaskSpec` and `TaskFramework`: a scheduler that keeps a queue of tasks to run, packs them
  first-fit into the offers it gets (each agent's offers accepted in one ACCEPT), retries a
  failed task a bounded number of times under a fresh task id, fetches the tail of a failed
  task's stderr through the agent's Files API, and behaves as Mesos's framework development
  guide asks: it declines what it cannot use with a long filter and SUPPRESSes offers when its
  queue is empty, and REVIVEs when work is added.
- `UsageWatcher`: follows the operator event stream and sums the AGENT_USAGE reports of one
  framework's tasks, keeping the peak CPU (cores) and peak memory (RSS) across all agents.
- `Progress`: rich progress bars on a terminal's stderr, plain lines otherwise.
- `run_framework`: subscribe, run until the framework says it is done, tear down; Ctrl+C ends
  it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import grpc

from daemons.common import tls
from daemons.common.flags import DURATION, MASTER, one_line_errors
from daemons.common.resources import Resources
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.common.states import TERMINAL_STATES
from daemons.proto import master_pb2, master_pb2_grpc, mesos_pb2
from mesos_tui.client.files import AgentFiles, LogSourceError
from mesos_tui.client.operator import OperatorClient
from mesos_tui.client.scheduler import (
    DriverError,
    Scheduler,
    SchedulerDriver,
    current_user,
    offer_resources,
    task_info,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


IDLE_REFUSE_SECONDS = 3600.0  # Nothing to run: do not offer me this again soon.
BUSY_REFUSE_SECONDS = 1.0  # Work waits but did not fit: offer again soon (it may have grown).
STDERR_TAIL_BYTES = 2048
STDERR_TAIL_LINES = 10
DEFAULT_MAX_RETRIES = 2

# Where this checkout lives, so a task runs the same code as the framework that launched it.
SOURCE_ROOT = str(Path(__file__).resolve().parent.parent.parent)


def python_command(module: str, *args: object) -> list[str]:
    """argv running `python -m module args...` with the framework's own interpreter."""
    return [sys.executable, "-m", module, *(str(a) for a in args)]


def task_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a Python task needs to import this checkout."""
    env = {"PYTHONPATH": SOURCE_ROOT, "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(extra or {})
    return env


def state_name(state: int) -> str:
    return mesos_pb2.TaskState.Name(state)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ progress


class Progress:
    """Progress of a job: rich bars on a terminal's stderr, plain lines elsewhere.

    `bar(key, description, total)` adds a bar; `update(key, completed, info)` moves it;
    `say(line)` prints a line above the bars (or plainly). Plain mode prints a line only when
    something changed, so logs stay short.
    """

    def __init__(
        self, stream: IO[str] | None = None, rich: bool | None = None, quiet: bool = False
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        if rich is None:
            rich = not quiet and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._rich: Any = None
        self._ids: dict[str, Any] = {}
        self._plain: dict[str, tuple[int, int, str]] = {}
        self._last: dict[str, str] = {}
        self._noun: dict[str, str] = {}
        if rich:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._rich.start()

    def bar(self, key: str, description: str, total: int, noun: str = "done") -> None:
        if self._rich is not None:
            self._ids[key] = self._rich.add_task(description, total=total, info="")
        else:
            self._plain[key] = (-1, total, description)
            self._noun[key] = noun

    def update(self, key: str, completed: int, info: str = "") -> None:
        if self._rich is not None:
            if key in self._ids:
                self._rich.update(self._ids[key], completed=completed, info=info)
            return
        _, total, description = self._plain.get(key, (-1, 0, key))
        noun = self._noun.get(key, "done")
        text = f"{description}: {completed}/{total} {noun}" + (f", {info}" if info else "")
        self._plain[key] = (completed, total, description)
        if self._last.get(key) != text:
            self._last[key] = text
            self.say(text)

    def say(self, line: str) -> None:
        if self.quiet:
            return
        if self._rich is not None:
            self._rich.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None


# ------------------------------------------------------------------------------ tasks


@dataclass
class TaskSpec:
    """One logical task (a map, a job, a rank) and its attempts."""

    key: str
    name: str
    command: list[str] | str
    resources: Resources
    environment: dict[str, str] = field(default_factory=dict)
    shell: bool = False
    state: str = "queued"  # queued, staging, running, finished, failed, killed
    attempts: int = 0
    task_id: str = ""  # The current (or last) attempt's task id.
    agent_id: str = ""
    queued_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    message: str = ""
    stderr_tail: str = ""
    data: Any = None  # What the framework keeps with it (results, ...).
    # Run on this custom executor (its command a python_command, see _module_executor.py)
    # rather than as a command task.
    executor: mesos_pb2.ExecutorInfo | None = None

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed", "killed")


def on_executor(info: mesos_pb2.TaskInfo, spec: TaskSpec) -> None:
    """Make `info` a task of `spec.executor`: its `python -m module args` command becomes
    TaskInfo.data for _module_executor (a call of the module's main in that process)."""
    from mesos_tui.frameworks._module_executor import task_data

    assert spec.executor is not None and isinstance(spec.command, list)
    module, argv = spec.command[2], spec.command[3:]  # [python, -m, module, *argv]
    info.ClearField("command")
    info.executor.CopyFrom(spec.executor)
    info.data = task_data(module, argv)


def module_executor(executor_id: str, extra_env: dict[str, str] | None = None) -> mesos_pb2.ExecutorInfo:
    """An ExecutorInfo running _module_executor with this checkout (no resources of its own:
    its tasks carry them)."""
    info = mesos_pb2.ExecutorInfo(name=f"python module executor {executor_id}")
    info.executor_id.value = executor_id
    info.command.shell = False
    info.command.value = sys.executable
    info.command.arguments.extend([sys.executable, "-m", "mesos_tui.frameworks._module_executor"])
    for name, value in task_environment(extra_env).items():
        info.command.environment.variables.add(name=name, value=value)
    return info


def fits_first(
    pending: Sequence[TaskSpec], available: Resources
) -> tuple[list[TaskSpec], Resources]:
    """First-fit: the pending specs (in order) that fit in `available`, and what is left."""
    chosen: list[TaskSpec] = []
    for spec in pending:
        if available.contains(spec.resources):
            chosen.append(spec)
            available = available - spec.resources
    return chosen, available


def group_by_agent(offers: Iterable[mesos_pb2.Offer]) -> dict[str, list[mesos_pb2.Offer]]:
    by_agent: dict[str, list[mesos_pb2.Offer]] = {}
    for offer in offers:
        by_agent.setdefault(offer.agent_id.value, []).append(offer)
    return by_agent


def offers_total(offers: Iterable[mesos_pb2.Offer]) -> Resources:
    total = Resources()
    for offer in offers:
        total = total + offer_resources(offer)
    return total


def offer_role(offer: mesos_pb2.Offer) -> str | None:
    return offer.allocation_info.role if offer.HasField("allocation_info") else None


async def agent_files_address(master: str, agent_id: str) -> str | None:
    """The `host:port` of an agent's Files API, from GET_AGENTS (`slave(1)@ip:port`)."""
    async with tls.channel(master, options=CHANNEL_OPTIONS) as channel:
        stub = master_pb2_grpc.MasterStub(channel)
        response = await stub.Call(master_pb2.Call(type=master_pb2.Call.GET_AGENTS), timeout=5)
    for agent in response.get_agents.agents:
        if agent.agent_info.id.value == agent_id and "@" in agent.pid:
            return agent.pid.split("@", 1)[1]
    return None


async def sandbox_tail(
    master: str,
    agent_id: str,
    framework_id: str,
    task_id: str,
    file: str = "stderr",
    nbytes: int = STDERR_TAIL_BYTES,
    lines: int = STDERR_TAIL_LINES,
) -> str:
    """The last lines of a task's sandbox file, read through the agent's Files API."""
    address = await agent_files_address(master, agent_id)
    if address is None:
        raise LogSourceError(f"agent {agent_id} is not registered (or serves no Files API)")
    files = AgentFiles(address)
    try:
        path = await files.resolve_sandbox(agent_id, framework_id, task_id, task_id, file)
        reply = await files.read(path, offset=-nbytes)
    finally:
        await files.close()
    text = reply.data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


async def sandbox_read(
    master: str, agent_id: str, framework_id: str, task_id: str, file: str = "stdout"
) -> bytes:
    """A whole (small) sandbox file, through the agent's Files API."""
    address = await agent_files_address(master, agent_id)
    if address is None:
        raise LogSourceError(f"agent {agent_id} is not registered (or serves no Files API)")
    files = AgentFiles(address)
    try:
        path = await files.resolve_sandbox(agent_id, framework_id, task_id, task_id, file)
        reply = await files.read(path, offset=0)
    finally:
        await files.close()
    return reply.data


def failure_report(spec: TaskSpec) -> str:
    """The lines a person reads when a task failed for good."""
    head = (
        f"{spec.key} failed after {spec.attempts} attempt"
        f"{'s' if spec.attempts != 1 else ''} (last: {spec.task_id} on agent "
        f"{spec.agent_id or '?'}): {spec.message or 'no message'}"
    )
    if not spec.stderr_tail.strip():
        return head + "\n  (its stderr is empty)"
    tail = "\n".join("  | " + line for line in spec.stderr_tail.splitlines())
    return f"{head}\n  stderr tail:\n{tail}"


class TaskFramework(Scheduler):
    """A scheduler that runs a queue of `TaskSpec`s, retrying failures a bounded number of times.

    Subclasses add specs (`add`) and react in `task_finished` / `task_failed`; `finish(code)`
    ends the run. Offers are packed first-fit in queue order; each agent's offers go in one
    ACCEPT. With nothing queued the framework declines with a long filter and suppresses
    offers; `add` revives them.
    """

    def __init__(
        self,
        name: str,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        progress: Progress | None = None,
        idle_refuse_seconds: float = IDLE_REFUSE_SECONDS,
        busy_refuse_seconds: float = BUSY_REFUSE_SECONDS,
    ) -> None:
        self.name = name
        self.max_retries = max_retries
        self.progress = progress or Progress(quiet=True)
        self.idle_refuse_seconds = idle_refuse_seconds
        self.busy_refuse_seconds = busy_refuse_seconds
        self.driver: SchedulerDriver | None = None
        self.pending: deque[TaskSpec] = deque()
        self.specs: dict[str, TaskSpec] = {}
        self.by_task_id: dict[str, TaskSpec] = {}
        self.suppressed = False
        self.done = asyncio.Event()
        self.exit_code: int | None = None
        self.error_message: str | None = None
        self.launched_tasks = 0
        self.subscribed_event = asyncio.Event()
        self.suppress_when_idle = True
        self.revives = 0
        self.suppressions = 0
        self._long_filters = False
        self._offers_lock = asyncio.Lock()

    # -------------------------------------------------------------------- the framework's API

    def say(self, line: str) -> None:
        self.progress.say(line)

    def finish(self, code: int, message: str | None = None) -> None:
        if self.exit_code is None:
            self.exit_code = code
            if message:
                self.error_message = message
        self.done.set()

    def new_spec(
        self,
        key: str,
        command: list[str] | str,
        resources: Resources | str,
        *,
        name: str | None = None,
        environment: dict[str, str] | None = None,
        shell: bool = False,
    ) -> TaskSpec:
        if isinstance(resources, str):
            resources = Resources.parse(resources)
        return TaskSpec(
            key=key,
            name=name or key,
            command=command,
            resources=resources,
            environment=dict(environment or {}),
            shell=shell,
        )

    async def add(self, specs: Iterable[TaskSpec]) -> None:
        """Queue specs to run; revive offers if they were suppressed."""
        for spec in specs:
            spec.state = "queued"
            spec.queued_at = time.time()
            spec.started_at = spec.finished_at = None
            self.specs[spec.key] = spec
            self.pending.append(spec)
        await self.sync_offers()

    async def sync_offers(self) -> None:
        """Make the master's view match the queue: REVIVE when work waits and offers are
        suppressed or filtered for long; SUPPRESS when nothing waits. One call at a time (two
        concurrent unary calls may arrive in either order), re-checked until stable."""
        async with self._offers_lock:
            while self.driver is not None and not self.done.is_set():
                try:
                    if self.pending and (self.suppressed or self._long_filters):
                        self.suppressed = self._long_filters = False
                        self.revives += 1
                        await self.driver.revive()
                    elif not self.pending and not self.suppressed and self.suppress_when_idle:
                        self.suppressed = True
                        self.suppressions += 1
                        await self.driver.suppress()
                    else:
                        return
                except DriverError as e:
                    log.info("offer control not sent: %s (resynced on subscribe)", e)
                    return

    async def _decline(self, offers: Sequence[mesos_pb2.Offer], refuse_seconds: float) -> None:
        """Decline with a filter; a decline that cannot be sent is harmless (the offers go back
        when the framework goes, or are rescinded)."""
        if self.driver is None:
            return
        if refuse_seconds > self.busy_refuse_seconds:
            self._long_filters = True
        try:
            await self.driver.decline(offers, mesos_pb2.Filters(refuse_seconds=refuse_seconds))
        except DriverError as e:
            log.info("decline not sent: %s", e)

    async def _suppress(self) -> None:
        if not self.suppressed and self.driver is not None:
            try:
                await self.driver.suppress()
                self.suppressed = True
            except DriverError as e:
                log.info("suppress not sent: %s", e)

    def task_id_for(self, spec: TaskSpec) -> str:
        """A fresh id per attempt (task ids are never reused within a framework)."""
        return f"{self.name}-{spec.key}-{spec.attempts}"

    def running(self) -> list[TaskSpec]:
        return [s for s in self.specs.values() if s.state in ("staging", "running")]

    # -------------------------------------------------------------------- hooks

    async def task_started(self, spec: TaskSpec) -> None:
        """A task is running."""

    async def task_finished(self, spec: TaskSpec) -> None:
        """A task ended TASK_FINISHED."""

    async def task_failed(self, spec: TaskSpec) -> None:
        """A task failed and has no retries left. Default: end the run with a report."""
        self.finish(1, failure_report(spec))

    async def task_retrying(self, spec: TaskSpec) -> None:
        self.say(
            f"{self.name}: task {spec.key} attempt {spec.attempts} ended: {spec.message}; "
            f"retrying ({spec.attempts}/{self.max_retries + 1})"
        )

    # -------------------------------------------------------------------- callbacks

    async def subscribed(self, driver, framework_id, master_info) -> None:  # type: ignore[override]
        self.driver = driver
        self.subscribed_event.set()
        # After a (re)subscription the master's view of suppression is whatever we last sent;
        # make it match the queue.
        self.suppressed = False
        self._long_filters = True  # Unknown after a reconnection: revive if work waits.
        await self.sync_offers()

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        self.driver = driver
        if self.done.is_set() or not self.pending:
            await self._decline(offers, self.idle_refuse_seconds)
            if not self.pending:
                await self.sync_offers()
            return
        unused: list[mesos_pb2.Offer] = []
        for agent_id, agent_offers in group_by_agent(offers).items():
            if not self.pending:
                unused.extend(agent_offers)
                continue
            chosen, _ = fits_first(list(self.pending), offers_total(agent_offers))
            if not chosen:
                unused.extend(agent_offers)
                continue
            role = offer_role(agent_offers[0])
            infos = []
            for spec in chosen:
                self.pending.remove(spec)
                spec.attempts += 1
                spec.task_id = self.task_id_for(spec)
                spec.agent_id = agent_id
                spec.state = "staging"
                spec.message = ""
                self.by_task_id[spec.task_id] = spec
                info = task_info(
                    spec.task_id,
                    spec.name,
                    agent_id,
                    spec.command,
                    spec.resources,
                    shell=spec.shell,
                    environment=spec.environment,
                    role=role,
                )
                if spec.executor is not None:
                    on_executor(info, spec)
                infos.append(info)
            refuse = self.busy_refuse_seconds if self.pending else self.idle_refuse_seconds
            if refuse > self.busy_refuse_seconds:
                self._long_filters = True
            try:
                await driver.launch(agent_offers, infos, mesos_pb2.Filters(refuse_seconds=refuse))
                self.launched_tasks += len(infos)
            except DriverError as e:
                log.warning("launch refused: %s; requeueing", e)
                for spec in chosen:
                    spec.attempts -= 1
                    spec.state = "queued"
                    self.by_task_id.pop(spec.task_id, None)
                    self.pending.appendleft(spec)
        if unused:
            refuse = self.busy_refuse_seconds if self.pending else self.idle_refuse_seconds
            await self._decline(unused, refuse)
        if not self.pending:
            await self.sync_offers()

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        spec = self.by_task_id.get(status.task_id.value)
        if spec is None or spec.task_id != status.task_id.value or spec.done:
            return
        state = status.state
        if state in (mesos_pb2.TASK_RUNNING, mesos_pb2.TASK_STARTING):
            if spec.state != "running":
                spec.state = "running"
                spec.started_at = time.time()
                await self.task_started(spec)
            return
        if state not in TERMINAL_STATES:
            return
        spec.finished_at = time.time()
        if state == mesos_pb2.TASK_FINISHED:
            spec.state = "finished"
            await self.task_finished(spec)
            return
        spec.message = f"{state_name(state)}" + (f": {status.message}" if status.message else "")
        if state == mesos_pb2.TASK_KILLED and self.done.is_set():
            spec.state = "killed"
            return
        if spec.attempts <= self.max_retries and not self.done.is_set():
            spec.state = "queued"
            await self.task_retrying(spec)
            await self.add([spec])
            return
        spec.state = "failed"
        if status.agent_id.value and driver.master and driver.framework_id:
            try:
                spec.stderr_tail = await asyncio.wait_for(
                    sandbox_tail(
                        driver.master, status.agent_id.value, driver.framework_id, spec.task_id
                    ),
                    10,
                )
            except (LogSourceError, grpc.aio.AioRpcError, TimeoutError) as e:
                spec.stderr_tail = f"(stderr not readable: {e})"
        await self.task_failed(spec)

    async def error(self, driver, message: str) -> None:  # type: ignore[override]
        if getattr(driver, "error_kind", "") == "address":
            self.finish(1, message)  # --master names something that is not a master
        else:
            self.finish(1, f"the master refused the framework: {message}")

    async def disconnected(self, driver) -> None:  # type: ignore[override]
        self.say(f"{self.name}: disconnected from the master; reconnecting")


# ------------------------------------------------------------------------------ usage


@dataclass
class UsagePeak:
    cpus: float = 0.0  # cores
    mem_bytes: int = 0
    samples: int = 0


class UsageWatcher:
    """Peak CPU and memory of one framework's tasks, from AGENT_USAGE on the operator stream.

    Each agent reports its tasks' usage every `--usage_interval`; the cluster-wide figure at a
    moment is the sum over agents of each one's latest report for the framework.
    """

    def __init__(self, master: str) -> None:
        self.master = master
        self.framework_id: str | None = None
        self.peak = UsagePeak()
        self._latest: dict[str, tuple[float, int]] = {}
        self._client = OperatorClient(master, on_event=self._on_event)
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._client.run(), name="usage-watcher")

    def _on_event(self, event: master_pb2.Event) -> None:
        if event.type == master_pb2.Event.SUBSCRIBED:
            self.connected.set()
            return
        if event.type != master_pb2.Event.AGENT_USAGE or self.framework_id is None:
            return
        usage = event.agent_usage
        cpus, mem, seen = 0.0, 0, False
        for ex in usage.usage.executors:
            if ex.executor_info.framework_id.value != self.framework_id:
                continue
            seen = True
            cpus += ex.statistics.cpus_usage
            mem += ex.statistics.mem_rss_bytes
        agent = usage.agent_id.value
        if not seen and agent not in self._latest:
            return
        self._latest[agent] = (cpus, mem)
        if seen:
            self.peak.samples += 1
        total_cpus = sum(c for c, _ in self._latest.values())
        total_mem = sum(m for _, m in self._latest.values())
        self.peak.cpus = max(self.peak.cpus, total_cpus)
        self.peak.mem_bytes = max(self.peak.mem_bytes, total_mem)

    async def stop(self) -> None:
        self._client.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._client.close()


def format_usage(peak: UsagePeak) -> str:
    if peak.samples == 0:
        return "resources: no usage sample arrived while the tasks ran (they were too short)"
    return (
        f"resources: peak cpu {peak.cpus:.2f} cores, peak mem {peak.mem_bytes / 2**20:.1f} MB "
        f"({peak.samples} usage samples)"
    )


# ------------------------------------------------------------------------------ running


def framework_info(
    name: str, role: str = "*", principal: str | None = None
) -> mesos_pb2.FrameworkInfo:
    info = mesos_pb2.FrameworkInfo(
        name=name,
        user=current_user(),
        role=role,
        failover_timeout=0.0,
    )
    if principal:
        info.principal = principal
    return info


async def run_framework(
    scheduler: TaskFramework,
    info: mesos_pb2.FrameworkInfo,
    master: str,
    *,
    body: Callable[[SchedulerDriver], Any] | None = None,
    timeout: float | None = None,
    install_signals: bool = True,
    connect_timeout: float | None = None,
) -> int:
    """Subscribe `scheduler`, run until it finishes (or the driver stops), tear it down.

    `body(driver)`, if given, is awaited alongside (to add work once subscribed). Answers the
    exit code: the scheduler's, 1 if the driver stopped first, 130 on SIGINT/SIGTERM.
    """
    driver = SchedulerDriver(scheduler, info, master, backoff_base=0.05, backoff_cap=1.0)
    scheduler.driver = driver
    if connect_timeout is None:
        connect_timeout = _COMMAND_LINE_CONNECT_TIMEOUT
    loop = asyncio.get_running_loop()
    if install_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, lambda: scheduler.finish(130, "interrupted"))
    await driver.start()
    stopped = asyncio.create_task(driver.run())
    nag = asyncio.create_task(
        _say_while_unsubscribed(driver, scheduler, master, patience=connect_timeout)
    )
    done = asyncio.create_task(scheduler.done.wait())
    extra = asyncio.create_task(_run_body(driver, scheduler, body)) if body else None
    try:
        finished, _ = await asyncio.wait(
            {stopped, done}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not finished:
            scheduler.finish(1, f"timed out after {timeout:g}s")
        elif stopped in finished and not scheduler.done.is_set():
            reason = driver.error_message or "the scheduler driver stopped"
            with contextlib.suppress(Exception):
                stopped.result()
            scheduler.finish(1, reason)
    finally:
        if extra is not None:
            extra.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await extra
        done.cancel()
        nag.cancel()
        await driver.stop()  # TEARDOWN: the master kills the framework's tasks.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await stopped
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)
    return scheduler.exit_code if scheduler.exit_code is not None else 1


async def _say_while_unsubscribed(
    driver: SchedulerDriver, scheduler: TaskFramework, master: str, every: float = 5.0,
    patience: float | None = None,
) -> None:
    """Never wait silently: say once, with what failed, that the master does not answer (the
    driver keeps retrying quietly), and say when it does. With `patience` (a command line's
    --connect_timeout), give up after that long instead, in one line."""
    if patience:
        try:
            await driver.wait_subscribed(patience)
        except TimeoutError:
            scheduler.finish(
                1, f"cannot reach the master at {master}: {driver.problem or 'no answer'} "
                f"(gave up after {patience:g}s; --connect_timeout sets how long)",
            )
        except DriverError:
            pass
        return
    said = False
    while True:
        try:
            await driver.wait_subscribed(every)
            if said:
                scheduler.say(f"{scheduler.name}: reached the master at {driver.master}")
            return
        except TimeoutError:
            if not said:
                said = True
                scheduler.say(
                    f"{scheduler.name}: cannot reach the master at {master}: "
                    f"{driver.problem or 'no answer'}; still trying (Ctrl+C stops)"
                )
        except DriverError:
            return


async def _run_body(
    driver: SchedulerDriver, scheduler: TaskFramework, body: Callable[[SchedulerDriver], Any]
) -> None:
    try:
        await body(driver)
    except asyncio.CancelledError:
        raise
    except Exception as e:
        log.exception("framework body failed")
        scheduler.finish(1, f"{type(e).__name__}: {e}")


def run_cli(quiet: bool, job: Callable[[Progress], Coroutine[Any, Any, T]]) -> T | None:
    """Run a framework's job from its command line, with progress on stderr. None when it was
    interrupted with Ctrl+C (the caller exits 130); the progress display is always closed.
    The driver's own log lines stay off the terminal (the framework says what matters)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    progress = Progress(quiet=quiet)
    try:
        return asyncio.run(job(progress))
    except KeyboardInterrupt:
        return None
    finally:
        progress.close()


# A framework's command line gives up when no master answers within --connect_timeout; the
# frameworks run by the demo (no command line of their own) keep trying. Set by the flag.
DEFAULT_CONNECT_TIMEOUT = 15.0
_COMMAND_LINE_CONNECT_TIMEOUT: float | None = None


class _ConnectTimeout(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        global _COMMAND_LINE_CONNECT_TIMEOUT
        _COMMAND_LINE_CONNECT_TIMEOUT = values or None  # type: ignore[assignment]
        setattr(namespace, self.dest, values)


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """--master, --max_retries, --role, --quiet (Mesos's underscore names; dashes work too).
    The parser's errors become one line and exit status 2; a malformed --master is one."""
    global _COMMAND_LINE_CONNECT_TIMEOUT
    one_line_errors(parser)
    _COMMAND_LINE_CONNECT_TIMEOUT = DEFAULT_CONNECT_TIMEOUT
    parser.add_argument(
        "--connect_timeout", "--connect-timeout", type=DURATION, action=_ConnectTimeout,
        default=DEFAULT_CONNECT_TIMEOUT,
        help=f"give up when no master answers within this long (default "
        f"{DEFAULT_CONNECT_TIMEOUT:g}s; 0: keep trying)",
    )
    parser.add_argument(
        "--master",
        type=MASTER,
        default=os.environ.get("MESOS_MASTER"),
        required="MESOS_MASTER" not in os.environ,
        help="the master: host:port or zk://host:port/path",
    )
    parser.add_argument(
        "--max_retries",
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        help="times a failed task is retried (default 2)",
    )
    parser.add_argument("--role", default="*", help="the framework's role")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def run_main(coro_factory: Callable[[], Any]) -> int:
    """asyncio.run a framework's coroutine; Ctrl+C is 130."""
    try:
        return int(asyncio.run(coro_factory()))
    except KeyboardInterrupt:
        return 130
