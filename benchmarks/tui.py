"""TUI benchmark: event-to-screen latency and time to first paint, on a big synthetic cluster.

A headless `MesosApp` (Textual's test driver, 160x45) is fed through its `ClusterMirror` at a
steady rate (default 200 events/s: task updates, new tasks, offers and their ends, usage
reports, allocation cycles) on a cluster of 1,000 agents and 10,000 tasks. An event's
latency is the time from when it was applied to the mirror until the screen refresh that
includes it has been painted (Textual's `call_after_refresh`). First paint is timed from app
start to the first painted frame of the tasks view, and for switching to the tasks view.

    .venv/bin/python benchmarks/tui.py [--agents 1000] [--tasks 10000] [--rate 200]
                                       [--seconds 5] [--json]

Targets (issue 13): event-to-screen p99 <= 50 ms at 200 events/s in every view; first paint of
10,000 tasks <= 0.15 s. `--baseline` measures each view again with the 10 Hz redraw timer alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mesos_tui.client.mirror import ClusterMirror  # noqa: E402
from mesos_tui.tui import synthetic  # noqa: E402
from mesos_tui.tui.app import MesosApp  # noqa: E402

SIZE = (160, 45)


class TimedApp(MesosApp):
    """MesosApp that records which applied events each painted refresh carried."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.applied: list[float] = []  # when each event was applied
        self.latencies: list[float] = []
        self.refresh_costs: list[float] = []
        self._done = 0

    def apply(self, event) -> None:  # type: ignore[no-untyped-def]
        self.mirror.apply(event)
        self.applied.append(time.perf_counter())

    def refresh_views(self) -> None:
        cut = len(self.applied)
        start = time.perf_counter()
        super().refresh_views()
        self.refresh_costs.append(time.perf_counter() - start)
        first = self._done

        def painted() -> None:
            now = time.perf_counter()
            self.latencies.extend(now - t for t in self.applied[first:cut])

        self._done = cut
        if cut > first:
            self.call_after_refresh(painted)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def make_mirror(agents: int, tasks: int, frameworks: int) -> ClusterMirror:
    m = ClusterMirror()
    m.apply(synthetic.snapshot(agents=agents, frameworks=frameworks, tasks=tasks,
                               offers=min(50, agents), now=time.time()))
    return m


async def first_paint(agents: int, tasks: int, frameworks: int) -> dict[str, float]:
    mirror = make_mirror(agents, tasks, frameworks)
    start = time.perf_counter()
    app = MesosApp(mirror=mirror, connect=False, keymap={}, initial_view="tasks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        startup = time.perf_counter() - start
        await pilot.press("1")
        await pilot.pause()
        loop = asyncio.get_running_loop()
        painted: asyncio.Future[float] = loop.create_future()
        t0 = time.perf_counter()
        app.show_view("tasks")
        app.call_after_refresh(lambda: painted.set_result(time.perf_counter()))
        switch = await painted - t0
        t0 = time.perf_counter()
        app.tasks_view.set_filter("state:running")
        painted2: asyncio.Future[float] = loop.create_future()
        app.call_after_refresh(lambda: painted2.set_result(time.perf_counter()))
        filt = await painted2 - t0
    return {"startup_to_first_paint_s": startup, "switch_to_tasks_paint_s": switch,
            "filter_10k_paint_s": filt}


async def latency(view: str, agents: int, tasks: int, frameworks: int, rate: float,
                  seconds: float, fixed_timer: bool = False) -> dict[str, float]:
    mirror = make_mirror(agents, tasks, frameworks)
    app = TimedApp(mirror=mirror, connect=False, keymap={}, initial_view=view)
    if fixed_timer:  # the baseline: redraws by the 10 Hz sweep only, as before
        mirror.on_applied = None
    stream = synthetic.EventStream(agents=agents, frameworks=frameworks, tasks=tasks)
    events = [stream.next() for _ in range(int(rate * seconds))]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        interval = 1.0 / rate
        for i, ev in enumerate(events):
            due = start + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            app.apply(ev)
        elapsed = time.perf_counter() - start
        await asyncio.sleep(0.3)  # let the last refreshes paint
        await pilot.pause()
    lat = app.latencies
    return {
        "view": view + (" (10 Hz timer)" if fixed_timer else ""),  # type: ignore[dict-item]
        "events": len(events),
        "achieved_rate": len(events) / elapsed,
        "painted": len(lat),
        "p50_ms": 1000 * percentile(lat, 50),
        "p99_ms": 1000 * percentile(lat, 99),
        "max_ms": 1000 * max(lat) if lat else float("nan"),
        "refresh_mean_ms": 1000 * statistics.fmean(app.refresh_costs or [0]),
        "refresh_p99_ms": 1000 * percentile(app.refresh_costs, 99),
    }


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    paint = await first_paint(args.agents, args.tasks, args.frameworks)
    runs = []
    for view in args.views.split(","):
        runs.append(await latency(view, args.agents, args.tasks, args.frameworks, args.rate,
                                  args.seconds))
        if args.baseline:
            runs.append(await latency(view, args.agents, args.tasks, args.frameworks, args.rate,
                                      args.seconds, fixed_timer=True))
    return {"agents": args.agents, "tasks": args.tasks, "frameworks": args.frameworks,
            "rate": args.rate, "first_paint": paint, "latency": runs}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", type=int, default=1000)
    p.add_argument("--tasks", type=int, default=10_000)
    p.add_argument("--frameworks", type=int, default=20)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--views", default="tasks,agents,offers,events")
    p.add_argument("--json", action="store_true")
    p.add_argument("--baseline", action="store_true",
                   help="also measure each view with redraws by the 10 Hz timer only")
    args = p.parse_args()
    result = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    fp = result["first_paint"]
    print(f"cluster: {args.agents} agents, {args.tasks} tasks, {args.frameworks} frameworks; "
          f"{args.rate:g} events/s for {args.seconds:g}s per view; {SIZE[0]}x{SIZE[1]} headless")
    print(f"first paint: app start -> tasks view painted {fp['startup_to_first_paint_s']:.3f} s"  # type: ignore[index]
          f" | switch to tasks view {fp['switch_to_tasks_paint_s']:.3f} s"  # type: ignore[index]
          f" | filter 10k tasks {fp['filter_10k_paint_s']:.3f} s  (target < 0.5 s)")  # type: ignore[index]
    for r in result["latency"]:  # type: ignore[attr-defined]
        print(f"event-to-screen [{r['view']:>20}]: p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
              f"  max {r['max_ms']:6.1f} ms  ({r['painted']} events at {r['achieved_rate']:.0f}/s;"
              f" refresh mean {r['refresh_mean_ms']:.1f} ms, p99 {r['refresh_p99_ms']:.1f} ms)"
              "  (target p99 <= 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
