"""Usage sampling cost: microseconds per task per sample, with N running tasks.

Launches `--tasks` `sleep` tasks through the real containerizer (with the given isolation:
cgroups read a few files per container, `none`/posix walk the process table with psutil), then
times `Containerizer.usage()` (what the agent does every --usage_interval) over `--samples`
samples. Prints one line per isolation (`--json` for machines). Never a timed test.

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


async def measure(flag: str, tasks: int, samples: int) -> dict[str, object]:
    isolation = parse_isolation(flag)
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
            await containerizer.usage()  # Prime the CPU counters.
            started = time.perf_counter()
            for _ in range(samples):
                stats = await containerizer.usage()
            elapsed = time.perf_counter() - started
            assert len(stats) == tasks, len(stats)
        finally:
            for c in containers:
                containerizer.kill(c, 0)
            await asyncio.gather(*(containerizer.wait(c) for c in containers))
            await containerizer.drain()
    per = elapsed / samples / tasks * 1e6
    return {"isolation": isolation.describe(), "tasks": tasks, "us_per_task_sample": round(per, 1)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--isolation", default="cgroups/v1,none")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for flag in args.isolation.split(","):
        try:
            results.append(await measure(flag, args.tasks, args.samples))
        except IsolationError as e:
            results.append({"isolation": flag, "skipped": str(e)})
    for r in results:
        if args.json:
            print(json.dumps(r))
        elif "skipped" in r:
            print(f"{r['isolation']}: skipped ({r['skipped']})")
        else:
            print(f"{r['isolation']}: {r['us_per_task_sample']} us per task per sample "
                  f"with {r['tasks']} tasks")


if __name__ == "__main__":
    asyncio.run(main())
