"""`mesos-execute`: run one command as a task on the cluster and wait for it to end.

Mesos's own tool, with its flags and its output. It subscribes a framework, waits for an offer
that fits the task (declining the others with a short filter), launches the task there, prints
every status update, optionally kills the task after `--kill_after`, and tears its framework
down on exit. The exit status is 0 when the task ends TASK_FINISHED and 1 for any other
terminal state; bad flags end it with one line and status 2.

It never waits silently for resources no agent has: after a few offer rounds without a fit
(or a while without any offer) it asks the operator API for the registered agents. If none of
them could ever hold the task it says so and exits 1; if one could but is busy, it says once
that it is waiting, and keeps waiting.

    mesos-execute --master 127.0.0.1:5050 --name hello --command "echo hello" \\
        --resources "cpus:0.1;mem:32"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc

from daemons.common import flags as F
from daemons.common import tls
from daemons.common.resources import Resources
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.common.states import TERMINAL_STATES
from daemons.proto import master_pb2, master_pb2_grpc, mesos_pb2
from mesos_tui.client.scheduler import (
    DriverError,
    Scheduler,
    SchedulerDriver,
    command_info,
    current_user,
    offer_resources,
    task_info,
)

# Offer rounds without a fit, or seconds without any offer, before asking about the agents.
NO_FIT_ROUNDS = 3
NO_OFFER_SECONDS = 3.0
CONNECT_TIMEOUT = 10.0  # --connect_timeout: how long to try to reach a master before giving up
DECLINE_SECONDS = 1.0  # Offers that do not fit come back soon, in case they grow.

T = TypeVar("T")


def _env_json(text: str) -> dict[str, str]:
    """`--env`: a JSON object of variables, or the path of a file holding one."""
    raw = text
    path = text[len("file://") :] if text.startswith("file://") else text
    if not text.lstrip().startswith("{") and os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            raw = f.read()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"bad --env {text!r}: not a JSON object ({e.msg})") from None
    if not isinstance(value, dict):
        raise ValueError(f'bad --env {text!r}: expected a JSON object like {{"NAME": "value"}}')
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _flag_type(kind: str, convert: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type whose errors become mesos-execute's one-line flag errors."""

    def parse(text: str) -> T:
        try:
            return convert(text)
        except (ValueError, KeyError, TypeError) as e:
            raise argparse.ArgumentTypeError(str(e) or f"{text!r} is not {kind}") from None

    parse.__name__ = kind
    return parse


ENV = _flag_type("a JSON object", _env_json)


def _capabilities(text: str) -> list[int]:
    """`--framework_capabilities`: names like PARTITION_AWARE, comma separated (or JSON)."""
    names: list[str]
    stripped = text.strip()
    if stripped.startswith("[") or stripped.startswith("{"):
        value = json.loads(stripped)
        items = value.get("capabilities", []) if isinstance(value, dict) else value
        names = [i["type"] if isinstance(i, dict) else str(i) for i in items]
    else:
        names = [n.strip() for n in stripped.split(",") if n.strip()]
    known = mesos_pb2.FrameworkInfo.Capability.Type
    out = []
    for name in names:
        try:
            out.append(known.Value(name.upper()))
        except ValueError:
            raise ValueError(
                f"unknown framework capability {name!r} "
                f"(known: {', '.join(n for n in known.keys() if n != 'UNKNOWN')})"
            ) from None
    return out


CAPABILITIES = _flag_type("framework capabilities", _capabilities)


def flag_set() -> F.FlagSet:
    fs = F.FlagSet("mesos-execute", "Run one command as a task on a Mesos-like cluster.")
    fs.add("master", F.MASTER, help="the master: host:port or zk://host:port/path", required=True)
    fs.add("name", F.STR, help="the task's name (and id)", required=True)
    fs.add("command", F.STR, help="the command to run")
    fs.add("shell", F.BOOL, default=True, help="run the command through /bin/sh -c")
    fs.add("resources", F.RESOURCES, default="cpus:1;mem:128", help="what the task asks for")
    fs.add("role", F.STR, default="*", help="the framework's role")
    fs.add("env", ENV, help='environment variables as a JSON object, as in {"NAME": "value"}')
    fs.add("kill_after", F.DURATION, help="kill the task this long after it is running")
    fs.add("framework_name", F.STR, default="mesos-execute instance", help="the framework's name")
    fs.add("checkpoint", F.BOOL, default=False, help="ask the agent to checkpoint the task")
    fs.add("principal", F.STR, help="the principal to register the framework with")
    fs.add(
        "framework_capabilities",
        CAPABILITIES,
        help="framework capabilities, comma separated, as in PARTITION_AWARE",
    )
    fs.add("partition_aware", F.BOOL, default=False, help="enable the PARTITION_AWARE capability")
    fs.add(
        "connect_timeout", F.DURATION, default=CONNECT_TIMEOUT,
        help="give up when no master answers within this long (0: keep trying)",
    )
    return fs


def format_update(status: mesos_pb2.TaskStatus, name: str) -> str:
    """A status update as Mesos's mesos-execute prints it."""
    lines = [
        f"Received status update {mesos_pb2.TaskState.Name(status.state)} for task '{name}'"
    ]
    if status.HasField("message"):
        lines.append(f"  message: '{status.message}'")
    if status.HasField("source"):
        lines.append(f"  source: {mesos_pb2.TaskStatus.Source.Name(status.source)}")
    if status.HasField("reason"):
        lines.append(f"  reason: {mesos_pb2.TaskStatus.Reason.Name(status.reason)}")
    if status.HasField("healthy"):
        lines.append(f"  healthy?: {str(status.healthy).lower()}")
    return "\n".join(lines)


def _size(resources: Resources, request: Resources) -> tuple[float, float]:
    """How close `resources` come to holding `request`, the yardstick for "the largest offer":
    first the worst-covered resource's fraction, then the covered fractions summed."""
    names = list(request.scalars) or list(resources.scalars)
    fractions = [min(resources.scalar(n) / (request.scalar(n) or 1.0), 1.0) for n in names]
    return (min(fractions, default=0.0), sum(fractions))


class Execute(Scheduler):
    """The scheduler behind mesos-execute: one task, then done."""

    def __init__(
        self,
        name: str,
        command: mesos_pb2.CommandInfo,
        resources: Resources,
        role: str,
        kill_after: float | None,
        out=None,  # noqa: ANN001 (a text stream)
    ) -> None:
        self.name = name
        self.command = command
        self.resources = resources
        self.role = role
        self.kill_after = kill_after
        self.out = out or sys.stdout
        self.exit_code: int | None = None
        self.done = asyncio.Event()
        self.launched = False
        self.state: int | None = None  # the latest state printed
        self.largest_offer: Resources | None = None
        self.rounds_without_fit = 0
        self.last_offer_at = time.monotonic()
        self.said_waiting = False
        self.checking = False
        self._kill_task: asyncio.Task[None] | None = None

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def finish(self, code: int) -> None:
        if self.exit_code is None:
            self.exit_code = code
        self.done.set()

    async def subscribed(self, driver, framework_id, master_info) -> None:  # type: ignore[override]
        if self.launched and not self.done.is_set():
            # Back after a disconnect or a master failover: an update may have been lost while
            # we were away, so ask for the task's state rather than wait for one.
            await driver.reconcile([self.name])
        else:
            self.say(f"Subscribed with ID '{framework_id.value}'")
        self.last_offer_at = time.monotonic()

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        self.last_offer_at = time.monotonic()
        if self.launched or self.done.is_set():
            await driver.decline(offers, mesos_pb2.Filters(refuse_seconds=3600))
            return
        chosen: mesos_pb2.Offer | None = None
        rest: list[mesos_pb2.Offer] = []
        for offer in offers:
            have = offer_resources(offer)
            if self.largest_offer is None or _size(have, self.resources) > _size(
                self.largest_offer, self.resources
            ):
                self.largest_offer = have
            if chosen is None and have.contains(self.resources):
                chosen = offer
            else:
                rest.append(offer)
        if rest:
            await driver.decline(rest, mesos_pb2.Filters(refuse_seconds=DECLINE_SECONDS))
        if chosen is None:
            self.rounds_without_fit += 1
            if self.rounds_without_fit >= NO_FIT_ROUNDS:
                await self.check_agents(driver)
            return
        role = chosen.allocation_info.role if chosen.HasField("allocation_info") else None
        task = task_info(
            self.name, self.name, chosen.agent_id, self.command, self.resources, role=role
        )
        await driver.launch([chosen], [task], mesos_pb2.Filters(refuse_seconds=3600))
        self.launched = True
        self.say(f"Submitted task '{self.name}' to agent '{chosen.agent_id.value}'")
        with contextlib.suppress(DriverError):
            await driver.suppress()

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        if status.task_id.value != self.name:
            return
        if status.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION and status.state == self.state:
            return  # the answer to our own RECONCILE, and nothing changed
        self.state = status.state
        self.say(format_update(status, self.name))
        if (
            status.state == mesos_pb2.TASK_RUNNING
            and self.kill_after is not None
            and self._kill_task is None
        ):
            self._kill_task = asyncio.create_task(self._kill_later(driver, status.agent_id))
        if status.state in TERMINAL_STATES:
            if self._kill_task is not None:
                self._kill_task.cancel()
            self.finish(0 if status.state == mesos_pb2.TASK_FINISHED else 1)

    async def _kill_later(self, driver: SchedulerDriver, agent_id: mesos_pb2.AgentID) -> None:
        assert self.kill_after is not None
        await asyncio.sleep(self.kill_after)
        while not self.done.is_set():
            try:
                await driver.kill(self.name, agent_id)
                return
            except DriverError as e:
                print(f"mesos-execute: kill not sent yet ({e}); retrying", file=sys.stderr)
                await asyncio.sleep(1.0)

    async def error(self, driver, message: str) -> None:  # type: ignore[override]
        if getattr(driver, "error_kind", "") == "address":
            print(f"mesos-execute: {message}", file=sys.stderr)  # not a master at all
        else:
            print(f"mesos-execute: the master refused the framework: {message}", file=sys.stderr)
        self.finish(1)

    async def disconnected(self, driver) -> None:  # type: ignore[override]
        print("mesos-execute: disconnected from the master; reconnecting", file=sys.stderr)

    async def watch_for_starvation(self, driver: SchedulerDriver, say_waiting: bool = True) -> None:
        """Ask about the agents when no offer has come for a while; say so (once) when the
        master does not answer and nothing else will (`say_waiting`: no --connect_timeout)."""
        started = time.monotonic()
        said_no_master = not say_waiting
        while not self.done.is_set() and not self.launched:
            await asyncio.sleep(0.5)
            if (
                not said_no_master
                and driver.framework_id is None
                and time.monotonic() - started >= NO_OFFER_SECONDS
            ):
                said_no_master = True
                print(
                    f"mesos-execute: cannot reach the master at {driver.master_spec} yet: "
                    f"{driver.problem or 'no answer'}; retrying (Ctrl+C stops)",
                    file=sys.stderr,
                    flush=True,
                )
            if driver.connected and time.monotonic() - self.last_offer_at >= NO_OFFER_SECONDS:
                await self.check_agents(driver)
                self.last_offer_at = time.monotonic()

    async def check_agents(self, driver: SchedulerDriver) -> None:
        """Exit if no registered agent could ever hold the task; say once if one is busy."""
        if self.checking or self.launched or self.done.is_set() or driver.master is None:
            return
        self.checking = True
        try:
            agents = await get_agents(driver.master)
        except grpc.aio.AioRpcError as e:
            print(f"mesos-execute: could not list the agents: {e.details()}", file=sys.stderr)
            return
        finally:
            self.checking = False
        self.rounds_without_fit = 0
        totals = [
            Resources.from_proto(a.total_resources)
            for a in agents.agents
            if a.active or not a.HasField("active")
        ]
        if any(total.contains(self.resources) for total in totals):
            if not self.said_waiting:
                self.said_waiting = True
                self.say(
                    f"Waiting for resources: task '{self.name}' asks for {self.resources}, "
                    "which an agent has but is using now"
                )
            return
        largest_agent = max(totals, key=lambda r: _size(r, self.resources), default=None)
        offer_text = (
            f"the largest offer seen was {self.largest_offer}"
            if self.largest_offer is not None
            else "no offer was seen"
        )
        agent_text = (
            f"largest agent: {largest_agent}" if largest_agent is not None else "no agent registered"
        )
        self.say(
            f"No agent can run task '{self.name}': it asks for {self.resources} "
            f"and {offer_text} ({agent_text})"
        )
        self.finish(1)


async def get_agents(address: str) -> master_pb2.Response.GetAgents:
    async with tls.channel(address, options=CHANNEL_OPTIONS) as channel:
        stub = master_pb2_grpc.MasterStub(channel)
        response = await stub.Call(master_pb2.Call(type=master_pb2.Call.GET_AGENTS), timeout=10)
    return response.get_agents


def framework_info(ns) -> mesos_pb2.FrameworkInfo:  # noqa: ANN001 (argparse.Namespace)
    info = mesos_pb2.FrameworkInfo(
        name=ns.framework_name,
        user=current_user(),
        role=ns.role,
        checkpoint=bool(ns.checkpoint),
    )
    if ns.principal:
        info.principal = ns.principal
    caps = set(ns.framework_capabilities or ())
    if ns.partition_aware:
        caps.add(mesos_pb2.FrameworkInfo.Capability.PARTITION_AWARE)
    for cap in sorted(caps):
        info.capabilities.add(type=cap)
    return info


async def execute(ns, out=None) -> int:  # noqa: ANN001
    """Run the task the flags describe; answer the exit status."""
    command = command_info(ns.command, shell=ns.shell, environment=ns.env)
    scheduler = Execute(ns.name, command, ns.resources, ns.role, ns.kill_after, out)
    driver = SchedulerDriver(scheduler, framework_info(ns), ns.master)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: scheduler.finish(130))
    await driver.start()
    patience = ns.connect_timeout or 0.0
    watcher = asyncio.create_task(scheduler.watch_for_starvation(driver, patience <= 0))
    stopped = asyncio.create_task(driver.run())
    done = asyncio.create_task(scheduler.done.wait())
    give_up = asyncio.create_task(_give_up_unless_subscribed(driver, scheduler, ns.master, patience))
    try:
        await asyncio.wait({stopped, done}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        give_up.cancel()
        watcher.cancel()
        done.cancel()
        await driver.stop()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await stopped
    return scheduler.exit_code if scheduler.exit_code is not None else 1


async def _give_up_unless_subscribed(
    driver: SchedulerDriver, scheduler: Execute, master: str, patience: float
) -> None:
    """End with one line saying what was tried when no master answers within `patience`
    seconds (0: never give up)."""
    if patience <= 0:
        return
    try:
        await driver.wait_subscribed(patience)
    except TimeoutError:
        print(
            f"mesos-execute: cannot reach the master at {master}: "
            f"{driver.problem or 'no answer'} (gave up after {patience:g}s; "
            "--connect_timeout sets how long)",
            file=sys.stderr,
            flush=True,
        )
        scheduler.finish(1)
    except DriverError:
        pass  # the driver stopped: its error says why


def main(argv: Sequence[str] | None = None) -> None:
    fs = flag_set()
    ns = fs.parse(argv)
    from mesos_tui.cli import tls_settings_error

    if tls_settings_error("mesos-execute") is not None:
        sys.exit(2)
    # The driver's own log lines are not for this terminal: what matters is said in one line.
    logging.getLogger().addHandler(logging.NullHandler())
    if not ns.command:
        fs.parser.error("flag --command is required")
    if not ns.name.strip():
        fs.parser.error("flag --name must not be empty")
    try:
        code = asyncio.run(execute(ns))
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
