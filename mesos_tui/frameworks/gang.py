"""`gang`: an MPI-style job that needs N slots at once, or none at all.

    python -m mesos_tui.frameworks.gang 4 --cpus 1 --mem 64 --timeout 30 --master M -- ./solver

Gang scheduling on resource offers, as the Mesos paper's MPI port had to do it:

1. Offers are **held**, not used at once: a slot is `--cpus`/`--mem`; an agent's held offers
   together hold `floor` of them. Offers arrive agent by agent, over several OFFERS events.
2. Only when the held offers hold all N slots does the gang launch, all ranks together. An
   ACCEPT takes the offers of one agent, so the gang sends one ACCEPT per agent it uses, but
   only after the plan covers every rank: never a partial gang. Held offers it does not use
   are declined.
3. A held offer is declined (with a short filter, so it comes back) after `--hold` seconds
   without the gang completing, or sooner than the master's `--offer_timeout` would rescind
   it; a RESCIND drops it from the held set. This keeps a waiting gang from hoarding the
   cluster, and from planning on offers that are gone.
4. After `--timeout` seconds without a launch it gives up: declines everything it holds and
   exits 1, saying how many slots it needed and the most it ever held at once.
5. Every rank runs CMD (through the shell) with `GANG_RANK`, `GANG_SIZE` and `GANG_HOSTS` in its
   environment. If one rank fails, the others are killed and the whole gang is retried (up to
   `--max_retries` times), as an MPI job dies with any of its processes. If an ACCEPT fails
   half-way (an offer rescinded under it), the launched ranks are killed and it waits again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc

from daemons.common import tls
from daemons.common.durations import parse_duration
from daemons.common.resources import Resources
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.proto import master_pb2, master_pb2_grpc, mesos_pb2
from mesos_tui.client.files import LogSourceError
from mesos_tui.client.scheduler import DriverError, SchedulerDriver, offer_resources, task_info
from mesos_tui.frameworks.common import (
    TERMINAL_STATES,
    Progress,
    TaskFramework,
    add_common_flags,
    framework_info,
    offer_role,
    positive_float,
    positive_int,
    run_cli,
    run_framework,
    sandbox_tail,
    state_name,
)

log = logging.getLogger(__name__)

DEFAULT_HOLD_SECONDS = 2.0
RETURN_REFUSE_SECONDS = 0.2  # Offers given back while waiting: let them come back soon.


def slots_in(available: Resources, slot: Resources) -> int:
    """How many `slot`s fit in `available`."""
    n = 0
    while available.contains(slot) and n < 100_000:
        available = available - slot
        n += 1
    return n


@dataclass
class Rank:
    rank: int
    task_id: str
    agent_id: str
    state: int = mesos_pb2.TASK_STAGING
    message: str = ""


@dataclass
class LaunchRecord:
    """One gang launch: all its ranks, and the agents its ACCEPTs went to."""

    at: float
    task_ids: list[str]
    agents: list[str]
    complete: bool = True  # False: an ACCEPT failed and the launched ranks were killed.


@dataclass
class GangStats:
    max_slots_held: int = 0
    max_agents_held: int = 0
    declined_after_hold: int = 0
    rescinded: int = 0
    launches: list[LaunchRecord] = field(default_factory=list)


class Gang(TaskFramework):
    """Holds offers until N slots fit at once, then launches all N ranks together."""

    def __init__(
        self,
        size: int,
        command: str,
        slot: Resources,
        *,
        timeout: float = 60.0,
        hold_seconds: float = DEFAULT_HOLD_SECONDS,
        max_retries: int = 2,
        progress: Progress | None = None,
    ) -> None:
        super().__init__("gang", max_retries=max_retries, progress=progress)
        self.suppress_when_idle = False
        self.size = size
        self.command = command
        self.slot = slot
        self.timeout = timeout
        self.hold_seconds = hold_seconds
        self.held: dict[str, tuple[mesos_pb2.Offer, float]] = {}
        self.ranks: dict[str, Rank] = {}
        self.attempt = 0
        self.waiting_since: float | None = None
        self.launched = False
        self.finished_ranks = 0
        self.stats = GangStats()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ offers

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        self.driver = driver
        if self.launched or self.done.is_set() or self.waiting_since is None:
            await self._decline(offers, self.idle_refuse_seconds)
            return
        now = time.monotonic()
        for offer in offers:
            self.held[offer.id.value] = (offer, now)
        self._changed.set()
        await self.try_launch()

    async def rescind(self, driver: SchedulerDriver, offer_id: mesos_pb2.OfferID) -> None:  # type: ignore[override]
        if self.held.pop(offer_id.value, None) is not None:
            self.stats.rescinded += 1

    def slots_by_agent(self) -> dict[str, int]:
        totals: dict[str, Resources] = {}
        for offer, _ in self.held.values():
            aid = offer.agent_id.value
            totals[aid] = totals.get(aid, Resources()) + offer_resources(offer)
        return {aid: slots_in(total, self.slot) for aid, total in totals.items()}

    async def try_launch(self) -> None:
        slots = self.slots_by_agent()
        have = sum(slots.values())
        self.stats.max_slots_held = max(self.stats.max_slots_held, have)
        self.stats.max_agents_held = max(
            self.stats.max_agents_held, sum(1 for n in slots.values() if n)
        )
        self.progress.update("slots", min(have, self.size), "holding offers")
        if have < self.size:
            return
        # A plan for every rank, before any ACCEPT: fill the agents with the most slots first.
        plan: dict[str, list[int]] = {}
        rank = 0
        for aid, n in sorted(slots.items(), key=lambda kv: (-kv[1], kv[0])):
            take = min(n, self.size - rank)
            if take:
                plan[aid] = list(range(rank, rank + take))
                rank += take
        assert rank == self.size
        self.attempt += 1
        hosts = ",".join(aid for aid in plan for _ in plan[aid])
        by_agent: dict[str, list[mesos_pb2.Offer]] = {}
        for offer, _ in self.held.values():
            by_agent.setdefault(offer.agent_id.value, []).append(offer)
        self.held.clear()
        unused = [o for aid, offers in by_agent.items() if aid not in plan for o in offers]
        await self._decline(unused, self.idle_refuse_seconds)
        self.launched = True
        self.waiting_since = None
        self.ranks.clear()
        self.finished_ranks = 0
        record = LaunchRecord(at=time.monotonic(), task_ids=[], agents=list(plan))
        self.stats.launches.append(record)
        assert self.driver is not None
        for aid, ranks in plan.items():
            offers = by_agent[aid]
            role = offer_role(offers[0])
            infos = []
            for r in ranks:
                tid = f"gang-{self.attempt}-rank-{r}"
                env = {"GANG_RANK": str(r), "GANG_SIZE": str(self.size), "GANG_HOSTS": hosts}
                infos.append(
                    task_info(
                        tid,
                        f"gang rank {r}",
                        aid,
                        self.command,
                        self.slot,
                        shell=True,
                        environment=env,
                        role=role,
                    )
                )
                self.ranks[tid] = Rank(r, tid, aid)
                record.task_ids.append(tid)
            try:
                await self.driver.launch(
                    offers, infos, mesos_pb2.Filters(refuse_seconds=self.idle_refuse_seconds)
                )
                self.launched_tasks += len(infos)
            except DriverError as e:
                self.say(f"gang: an ACCEPT failed ({e}); killing the ranks launched so far")
                record.complete = False
                for r in infos:
                    self.ranks[r.task_id.value].state = mesos_pb2.TASK_DROPPED
                await self.abort_attempt("an ACCEPT failed half-way")
                return
        self.say(
            f"gang: launched {self.size} ranks at once on {len(plan)} agent"
            f"{'s' if len(plan) != 1 else ''} (attempt {self.attempt})"
        )
        self.progress.update("slots", self.size, "launched")

    async def expire_held(self) -> None:
        """Give back offers held too long; give up after the timeout."""
        now = time.monotonic()
        old = [o for o, since in self.held.values() if now - since >= self.hold_seconds]
        if old:
            for o in old:
                self.held.pop(o.id.value, None)
            self.stats.declined_after_hold += len(old)
            await self._decline(old, RETURN_REFUSE_SECONDS)
        if self.waiting_since is not None and now - self.waiting_since >= self.timeout:
            held = list(o for o, _ in self.held.values())
            self.held.clear()
            await self._decline(held, RETURN_REFUSE_SECONDS)
            self.finish(
                1,
                f"gave up after {self.timeout:g}s: the gang needs {self.size} slots of "
                f"{self.slot} at once, and at most {self.stats.max_slots_held} were offered at "
                f"once (on {self.stats.max_agents_held} agent"
                f"{'s' if self.stats.max_agents_held != 1 else ''}); nothing was launched"
                + (" in the last attempt" if self.attempt else ""),
            )

    async def watch(self) -> None:
        """Wake at the next hold expiry or the timeout."""
        while not self.done.is_set():
            now = time.monotonic()
            deadlines = [since + self.hold_seconds for _, since in self.held.values()]
            if self.waiting_since is not None:
                deadlines.append(self.waiting_since + self.timeout)
            wait = max(0.0, min(deadlines) - now) if deadlines else None
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
            if not self.launched:
                await self.expire_held()

    # ------------------------------------------------------------------ ranks

    async def start(self) -> None:
        self.waiting_since = time.monotonic()
        self.progress.bar("slots", f"gang of {self.size}", self.size, noun="slots")
        await self.revive()
        self._changed.set()

    async def revive(self) -> None:
        """Clear the long filters left by earlier declines, so every agent offers again."""
        if self.driver is not None:
            try:
                await self.driver.revive()
                self.revives += 1
            except DriverError as e:
                log.info("revive not sent: %s", e)

    async def abort_attempt(self, why: str) -> None:
        """Kill the ranks still alive; retry the gang if allowed."""
        assert self.driver is not None
        for r in self.ranks.values():
            if r.state not in TERMINAL_STATES:
                with contextlib.suppress(DriverError):
                    await self.driver.kill(r.task_id, r.agent_id)
        self.launched = False
        if self.attempt > self.max_retries:
            self.finish(
                1, f"gave up after {self.attempt} attempt{'s' if self.attempt != 1 else ''}: {why}"
            )
            return
        self.say(f"gang: attempt {self.attempt} failed ({why}); retrying the whole gang")
        self.waiting_since = time.monotonic()
        await self.revive()
        self._changed.set()

    async def update(self, driver: SchedulerDriver, status: mesos_pb2.TaskStatus) -> None:  # type: ignore[override]
        r = self.ranks.get(status.task_id.value)
        if r is None:
            return
        previous = r.state
        r.state = status.state
        if status.state not in TERMINAL_STATES or previous in TERMINAL_STATES:
            return
        if status.state == mesos_pb2.TASK_FINISHED:
            self.finished_ranks += 1
            self.progress.update("slots", self.size, f"{self.finished_ranks} ranks finished")
            if self.finished_ranks == self.size:
                self.finish(0)
            return
        if not self.launched or self.done.is_set():
            return  # This attempt was already aborted (its ranks were killed): nothing to do.
        why = f"rank {r.rank} ({r.task_id}) ended {state_name(status.state)}"
        if status.message:
            why += f": {status.message}"
        if status.agent_id.value and driver.master and driver.framework_id:
            try:
                tail = await asyncio.wait_for(
                    sandbox_tail(
                        driver.master, status.agent_id.value, driver.framework_id, r.task_id
                    ),
                    10,
                )
                why += (
                    "\n  stderr tail:\n" + "\n".join("  | " + line for line in tail.splitlines())
                    if tail.strip()
                    else "\n  (its stderr is empty)"
                )
            except (LogSourceError, grpc.aio.AioRpcError, TimeoutError) as e:
                why += f"\n  (stderr not readable: {e})"
        await self.abort_attempt(why)


async def offer_timeout_of(master: str) -> float | None:
    """The master's --offer_timeout in seconds, from GET_FLAGS (None: never, or unknown)."""
    try:
        async with tls.channel(master, options=CHANNEL_OPTIONS) as ch:
            stub = master_pb2_grpc.MasterStub(ch)
            r = await stub.Call(master_pb2.Call(type=master_pb2.Call.GET_FLAGS), timeout=5)
    except grpc.aio.AioRpcError:
        return None
    for flag in r.get_flags.flags:
        if flag.name == "offer_timeout" and flag.value not in ("", "None", "none"):
            with contextlib.suppress(ValueError, TypeError):
                return float(parse_duration(flag.value))
    return None


async def gang(
    size: int,
    command: str,
    master: str,
    *,
    slot: Resources | str = "cpus:1;mem:64",
    timeout: float = 60.0,
    hold_seconds: float = DEFAULT_HOLD_SECONDS,
    max_retries: int = 2,
    progress: Progress | None = None,
    role: str = "*",
    install_signals: bool = False,
) -> tuple[int, Gang]:
    """Run a gang; answer (exit code, the framework with `stats`)."""
    if isinstance(slot, str):
        slot = Resources.parse(slot)
    offer_timeout = await offer_timeout_of(master)
    if offer_timeout is not None:
        hold_seconds = min(hold_seconds, offer_timeout * 0.8)
    fw = Gang(
        size,
        command,
        slot,
        timeout=timeout,
        hold_seconds=hold_seconds,
        max_retries=max_retries,
        progress=progress,
    )

    async def body(driver) -> None:  # noqa: ANN001
        await fw.subscribed_event.wait()
        await fw.start()
        await fw.watch()

    code = await run_framework(
        fw, framework_info("gang", role), master, body=body, install_signals=install_signals
    )
    return code, fw


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gang", description="Run N copies of a command at once (MPI-style gang), or none."
    )
    parser.add_argument("size", type=positive_int, help="ranks that must run at once")
    add_common_flags(parser)
    parser.add_argument("--cpus", type=positive_float, default=1.0, help="cpus per rank")
    parser.add_argument("--mem", type=positive_float, default=64.0, help="MB per rank")
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=60.0,
        help="seconds to wait for all slots before giving up (default 60)",
    )
    parser.add_argument(
        "--hold",
        type=positive_float,
        default=DEFAULT_HOLD_SECONDS,
        help="seconds to hold an offer before giving it back (default 2)",
    )
    parser.usage = "gang N [--cpus C] [--mem M] [--timeout T] --master M -- CMD ..."
    args = list(sys.argv[1:] if argv is None else argv)
    cmd = args[args.index("--") + 1 :] if "--" in args else []
    ns = parser.parse_args(args[: args.index("--")] if "--" in args else args)
    if not cmd:
        parser.error("give the command after --, as in: gang 4 -- hostname")
    command = cmd[0] if len(cmd) == 1 else shlex.join(cmd)
    result = run_cli(
        ns.quiet,
        lambda progress: gang(
            ns.size,
            command,
            ns.master,
            slot=Resources.parse(f"cpus:{ns.cpus};mem:{ns.mem}"),
            timeout=ns.timeout,
            hold_seconds=ns.hold,
            max_retries=ns.max_retries,
            progress=progress,
            role=ns.role,
            install_signals=True,
        ),
    )
    if result is None:
        return 130
    code, fw = result
    if code == 0:
        print(f"gang: all {ns.size} ranks finished")
        return 0
    print(f"gang: {fw.error_message or 'failed'}", file=sys.stderr)
    return code or 1


if __name__ == "__main__":
    sys.exit(main())
