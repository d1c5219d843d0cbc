"""Usage sampling cost: microseconds per task per sample, with N running tasks.

Launches `--tasks` `sleep` tasks through the real containerizer (with the given isolation),
then times, over `--samples` samples of the same tasks in the same run:
- `agent`: `Containerizer.usage()`, what the agent does every --usage_interval (under cgroups:
  the counter files kept open and read with pread; without: psutil over each process tree);
- `cgroup files, opened each sample`: the previous cgroup path (`Isolation.read_usage` and
  `limitation`, which open each counter file for every sample);
- `psutil`: `ProcessTreeSampler` over each task's process tree, as for a task without cgroups.
Prints one line per path and isolation (`--json` for machines). Never a timed test.

    .venv/bin/python benchmarks/usage.py [--tasks 100] [--samples 20] [--isolation cgroups/v1,none]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemons.agent.containerizer import Containerizer, LaunchSpec  # noqa: E402
from daemons.agent.isolation import MB, IsolationError, Limits, parse_isolation  # noqa: E402
from daemons.agent.monitor import ProcessTreeSampler  # noqa: E402


def _per_task(started: float, samples: int, tasks: int) -> float:
    return round((time.perf_counter() - started) / samples / tasks * 1e6, 1)


async def measure(flag: str, tasks: int, samples: int) -> list[dict[str, object]]:
    isolation = parse_isolation(flag)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as work:
        containerizer = Containerizer(Path(work), isolation)
        containers = [
            containerizer.launch(
                LaunchSpec("A-S0", "F-0", f"t{i}", f"t{i}", "sleep 600",
                           limits=Limits(0.1, 32 * MB))
            )
            for i in range(tasks)
        ]
        try:
            await containerizer.usage()  # Prime the CPU counters (and open the cgroup files).
            started = time.perf_counter()
            for _ in range(samples):
                stats = await containerizer.usage()
            rows.append({"path": "agent (Containerizer.usage)",
                         "us_per_task_sample": _per_task(started, samples, tasks)})
            assert len(stats) == tasks, len(stats)
            if isolation.cgroups:
                started = time.perf_counter()
                for _ in range(samples):
                    for c in containers:
                        assert isolation.read_usage(c.cgroups) is not None
                        isolation.limitation(c.cgroups)
                rows.append({"path": "cgroup files, opened each sample (before)",
                             "us_per_task_sample": _per_task(started, samples, tasks)})
            sampler = ProcessTreeSampler()
            roots = {c.container_id: c.pid for c in containers}
            started = time.perf_counter()
            for _ in range(samples):
                assert len(sampler.sample(roots)) == tasks
            rows.append({"path": "psutil process trees",
                         "us_per_task_sample": _per_task(started, samples, tasks)})
        finally:
            for c in containers:
                containerizer.kill(c, 0)
            await asyncio.gather(*(containerizer.wait(c) for c in containers))
            await containerizer.drain()
    for row in rows:
        row.update(isolation=isolation.describe(), tasks=tasks, samples=samples)
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--isolation", default="cgroups/v1,none")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: list[dict[str, object]] = []
    for flag in args.isolation.split(","):
        try:
            results.extend(await measure(flag, args.tasks, args.samples))
        except IsolationError as e:
            results.append({"isolation": flag, "skipped": str(e)})
    for r in results:
        if args.json:
            print(json.dumps(r))
        elif "skipped" in r:
            print(f"{r['isolation']}: skipped ({r['skipped']})")
        else:
            print(f"{r['isolation']}: {r['path']}: {r['us_per_task_sample']} us per task per "
                  f"sample with {r['tasks']} tasks")

if __name__ == "__main__":
    asyncio.run(main())
