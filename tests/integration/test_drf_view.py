"""The offers view tells the truth about DRF, against real daemons (Pilot on a live master).

- The DRF table is the allocator's current state: after tasks end and a framework goes away
  while the allocator is paused, the table on screen is what GET_STATE's sorter says, and the
  framework that went away is gone from it.
- A step (`n`) shows the table as it stood before the cycle (not after), who got the agent,
  and why the frameworks ahead of it were skipped (filtered by a decline, suppressed).
- `d` runs the classic DRF example live: A ends with 3 tasks, B with 2, on screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.geometry import Region

from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.scheduler import SchedulerDriver, offer_resources, task_info
from mesos_tui.frameworks import drf_example
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.widgets.offers_view import OffersView
from tests.cluster import Cluster, RecordingScheduler
from tests.tui.conftest import screen_text

SIZE = (160, 45)
C = master_pb2.Call
KEEP = mesos_pb2.Filters(refuse_seconds=0)  # give the rest back, no filter
LONG = mesos_pb2.Filters(refuse_seconds=3600)


async def redrawn(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Draw the offers view's panels from the mirror now (not on the next 10 Hz tick)."""
    app.view("offers").update_panels()
    await pilot.pause()


async def until(pilot: Any, what: str, ready: Callable[[], Any], timeout: float = 30) -> Any:
    """Let the app run until `ready()` is truthy (the stream's events arrive meanwhile)."""
    deadline = time.monotonic() + timeout
    while not (value := ready()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
    return value


def panel_lines(app: MesosApp, selector: str) -> list[str]:
    """What a panel of the offers view draws, line by line (also what is scrolled away)."""
    w = app.query_one(selector)
    return [s.text.rstrip() for s in w.render_lines(Region(0, 0, w.size.width, w.size.height))]


def row_of(lines: list[str], name: str) -> str:
    found = [line for line in lines if f" {name} " in f" {line} "]
    assert found, f"no row for {name!r} in:\n" + "\n".join(lines)
    return found[0]


class Launcher(RecordingScheduler):
    """Launches `count` tasks of `demand` running `command` on its first offer; gives back the
    rest of that offer and declines every later one (without a filter, or with `refuse`)."""

    def __init__(self, prefix: str, demand: str, command: str, count: int = 1,
                 refuse: mesos_pb2.Filters = KEEP) -> None:
        super().__init__()
        self.prefix, self.demand, self.command, self.count = prefix, demand, command, count
        self.refuse = refuse
        self.launched: list[str] = []

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        self.record("offers", offers)
        for offer in offers:
            if not self.launched and offer_resources(offer).contains(
                    _times(self.demand, self.count)):
                tasks = []
                for i in range(self.count):
                    tid = f"{self.prefix}{i + 1}"
                    self.launched.append(tid)
                    tasks.append(task_info(tid, tid, offer.agent_id, self.command, self.demand))
                await driver.launch([offer], tasks, self.refuse)
            else:
                await driver.decline([offer], self.refuse)


class Decliner(RecordingScheduler):
    """Declines everything for an hour."""

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        self.record("offers", offers)
        await driver.decline(offers, LONG)


def _times(demand: str, n: int) -> Any:
    from daemons.common.resources import Resources

    one = Resources.parse(demand)
    total = Resources()
    for _ in range(n):
        total = total + one
    return total


def shares_of(state: master_pb2.SorterState) -> dict[str, tuple[float, str, dict[str, float]]]:
    return {
        c.name: (round(c.dominant_share, 4), c.dominant_resource,
                 {s.resource: round(s.share, 4) for s in c.shares})
        for c in state.frameworks
    }


def mirror_shares(view: Any) -> dict[str, tuple[float, str, dict[str, float]]]:
    return {
        c.name: (round(c.dominant_share, 4), c.dominant_resource,
                 {k: round(v, 4) for k, v in c.shares.items()})
        for c in view.frameworks
    }


async def test_drf_table_is_the_allocators_state_after_tasks_end_while_paused(
    cluster: Cluster, tmp_path: Path,
) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:4;mem:4096;disk:1000")
    go = tmp_path / "go"
    wait_for_go = f"while [ ! -e {go} ]; do sleep 0.05; done"
    app = MesosApp(cluster.master_address, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, "the snapshot", lambda: app.mirror.subscribed)
        await pilot.press("4")
        # "short" runs two tasks that end when told; "leaver" runs one and then goes away.
        short = Launcher("s", "cpus:1;mem:512", wait_for_go, count=2, refuse=LONG)
        await cluster.framework("short", short)
        await until(pilot, "short's tasks", lambda: len(short.launched) == 2)
        leaver = Launcher("l", "cpus:1;mem:1024", "sleep 300", refuse=LONG)
        leaver_driver, _ = await cluster.framework("leaver", leaver)
        # short declined the rest for an hour, so the leaver is offered it.
        await until(pilot, "leaver's task", lambda: leaver.launched)

        def running() -> bool:
            return sum(t.state_name == "running" for t in app.mirror.tasks.values()) == 3

        await until(pilot, "three running tasks", running)
        await cluster.operator.call(C.PAUSE_ALLOCATOR)
        await until(pilot, "the pause", lambda: app.mirror.allocator.paused)

        # While paused: short's tasks end and the leaver tears down.
        go.touch()
        await leaver_driver.stop(failover=False)

        def settled() -> bool:
            s = app.mirror.sorter
            names = {c.name for c in s.frameworks} if s else set()
            done = [t for t in app.mirror.tasks.values() if t.id.startswith("s")]
            return (names == {"short"} and len(done) == 2
                    and all(t.state_name == "finished" for t in done))

        await until(pilot, "short's tasks to finish and the leaver to go", settled)
        state = (await cluster.operator.call(C.GET_STATE)).get_state.sorter
        assert app.mirror.allocator.paused
        # short holds nothing now (its tasks ended, nothing is offered while paused).
        assert shares_of(state) == {"short": (0.0, "", {})}

        def shown() -> bool:
            return mirror_shares(app.mirror.sorter) == shares_of(state)

        await until(pilot, "the mirror to show the master's table", shown)
        await redrawn(app, pilot)
        lines = panel_lines(app, "#sorter-panel")
        assert "holds nothing" in row_of(lines, "short")
        assert not [line for line in lines if "leaver" in line], lines
        assert "PAUSED" in screen_text(app)


async def test_a_step_shows_the_shares_before_the_cycle_and_why_others_were_skipped(
    cluster: Cluster,
) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:4;mem:4096;disk:1000")
    await cluster.operator.call(C.PAUSE_ALLOCATOR)
    app = MesosApp(cluster.master_address, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, "the snapshot", lambda: app.mirror.subscribed)
        await pilot.press("4")
        # holder takes half the agent's cpus and a quarter of its memory.
        holder = Launcher("h", "cpus:2;mem:1024", "sleep 300")
        await cluster.framework("holder", holder)
        await cluster.operator.call(C.RUN_ALLOCATION)
        await until(pilot, "holder's task to run", lambda: any(
            t.state_name == "running" for t in app.mirror.tasks.values()))
        # decliner is offered the rest (its share is 0, the lowest) and declines it for an
        # hour; quiet asks for no offers at all.
        decliner = Decliner()
        await cluster.framework("decliner", decliner)
        quiet_driver, _ = await cluster.framework("quiet", Decliner())
        await quiet_driver.suppress()
        await until(pilot, "quiet to be suppressed", lambda: app.mirror.sorter and any(
            c.name == "quiet" and c.suppressed for c in app.mirror.sorter.frameworks))
        await cluster.operator.call(C.RUN_ALLOCATION)
        await decliner.next("offers")
        await until(pilot, "the decline", lambda: any(
            r.outcome == "declined" for r in app.mirror.timeline))

        before = (await cluster.operator.call(C.GET_STATE)).get_state.sorter
        assert shares_of(before)["holder"] == (0.5, "cpus", {"cpus": 0.5, "mem": 0.25})
        await pilot.press("n")  # one explained cycle
        step = await until(pilot, "the step", lambda: app.mirror.last_step)
        # The before table is the state before the cycle, not after it.
        assert mirror_shares(step.before) == shares_of(before)
        assert {c.name: round(c.dominant_share, 4) for c in step.after.frameworks}[
            "holder"] == 1.0  # offered the rest: offered counts as allocated
        (decision,) = step.decisions
        assert decision.name == "holder"
        reasons = {k.name: k.reason for k in decision.skipped}
        assert reasons == {"decliner": "filtered", "quiet": "suppressed"}

        await redrawn(app, pilot)
        lines = panel_lines(app, "#step-panel")
        text = "\n".join(lines)
        assert "offered counts as allocated until declined" in " ".join(text.split())
        before_at = lines.index(next(x for x in lines if x.startswith("Before the cycle")))
        after_at = lines.index(next(x for x in lines if x.startswith("After the cycle")))
        holder_before = row_of(lines[before_at:after_at], "holder")
        holder_after = row_of(lines[after_at:], "holder")
        assert "50.0%" in holder_before and "25.0%" in holder_before, holder_before
        assert "100.0%" in holder_after, holder_after
        assert "holds nothing" in row_of(lines[before_at:after_at], "decliner")
        flat = " ".join(text.split())
        assert "→ offered to holder" in flat
        assert "skipped decliner: filtered: it declined" in flat
        assert "skipped quiet: suppressed: it asked for no offers" in flat


async def test_the_classic_drf_example_ends_with_a_3_tasks_and_b_2_on_screen(
    cluster: Cluster,
) -> None:
    await cluster.start_master(allocation_interval="0.2secs")
    # Another agent (declined by A and B); 2 GB per cpu like the example's own.
    await cluster.start_agent("cpus:2;mem:4096;disk:1000")
    app = MesosApp(cluster.master_address, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, "the snapshot", lambda: app.mirror.subscribed)
        await pilot.press("4")
        view = app.query_one(OffersView)
        await pilot.press("d")
        await until(pilot, "the example to start", view.example_running)

        def outcome() -> str | None:
            text = view.example_text()
            return str(text) if text is not None and "Outcome:" in str(text) else None

        found = await until(pilot, "the example's outcome", outcome, timeout=60)
        assert "A 3 tasks, B 2 tasks" in found, found
        assert "As in the paper" in found, found
        await redrawn(app, pilot)
        flat = " ".join("\n".join(panel_lines(app, "#example-panel")).split())
        assert "Outcome: A 3 tasks, B 2 tasks" in flat, flat
        assert "A: 3 tasks" in flat and "B: 2 tasks" in flat, flat
        tasks = {fw.name: fw.tasks for fw in app.mirror.frameworks.values()
                 if fw.name in drf_example.EXPECTED and not fw.completed}
        assert tasks == drf_example.EXPECTED

        await pilot.press("d")  # stop it: A, B and the agent go away
        process = view.example_process
        assert process is not None
        await until(pilot, "the example to stop", lambda: process.returncode is not None,
                    timeout=30)
        assert process.returncode == 0
        state = await cluster.operator.state()
        assert not [f for f in state.get_frameworks.frameworks
                    if f.framework_info.name in drf_example.EXPECTED]
        assert not [t for t in state.get_tasks.tasks if t.state == mesos_pb2.TASK_RUNNING]
