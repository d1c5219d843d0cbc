"""Task launch through the containerizer alone: the launcher against the per-task supervisor.

Launches `--tasks` `true` tasks through one real `Containerizer` (with `--isolation`, and
each container checkpointed as the agent does), waits for every exit status and for the
cleanup (cgroups removed), and reports tasks per second and the agent loop's own time per
launch (what `launch()` blocks for). `--task_launcher both` alternates 'supervisor' (a dash
supervisor per task: dash, setsid, env, sh, the command, sleep) and 'launcher' (the agent's
long-lived launcher forks each task) over `--rounds` rounds in the same run, so a burst of
load on the machine hits both alike. Never a timed test.

    .venv/bin/python benchmarks/launch.py [--tasks 300] [--rounds 3] [--isolation cgroups/v1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemons.agent.containerizer import Containerizer, LaunchSpec  # noqa: E402
from daemons.agent.isolation import MB, Limits, parse_isolation  # noqa: E402


async def one_round(kind: str, isolation_flag: str, tasks: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="launch-bench-") as work:
        root = Path(work)
        containerizer = Containerizer(root, parse_isolation(isolation_flag), task_launcher=kind)
        containerizer.prepare()  # As the agent does at start-up.
        containers = []
        blocked = 0.0
        started = time.perf_counter()
        for i in range(tasks):
            run_dir = root / "meta" / f"run{i}"
            run_dir.mkdir(parents=True)
            spec = LaunchSpec("A-S0", "F-0", f"t{i}", f"t{i}", "true",
                              limits=Limits(0.1, 32 * MB), run_dir=run_dir)
            before = time.perf_counter()
            containers.append(containerizer.launch(spec))
            blocked += time.perf_counter() - before
            if i % 50 == 49:
                await asyncio.sleep(0)  # Let exits be handled as the agent's loop would.
        statuses = await asyncio.gather(*(containerizer.wait(c) for c in containers))
        await containerizer.drain()
        elapsed = time.perf_counter() - started
        containerizer.close()
    assert all(s.exit_code == 0 for s in statuses), [s for s in statuses if s.exit_code != 0][:3]
    return {"tasks_per_second": tasks / elapsed, "launch_ms": blocked / tasks * 1000}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--isolation", default="cgroups/v1")
    parser.add_argument("--task_launcher", default="both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    kinds = ["supervisor", "launcher"] if args.task_launcher == "both" else [args.task_launcher]
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for kind in kinds:
            results[kind].append(await one_round(kind, args.isolation, args.tasks))
    for kind, rounds in results.items():
        row = {
            "task_launcher": kind,
            "isolation": args.isolation,
            "tasks": args.tasks,
            "rounds": len(rounds),
            "tasks_per_second_median": round(statistics.median(r["tasks_per_second"] for r in rounds), 1),
            "launch_ms_median": round(statistics.median(r["launch_ms"] for r in rounds), 2),
        }
        if args.json:
            print(json.dumps(row))
        else:
            print(f"{kind:<10} {args.tasks} 'true' tasks ({args.isolation}, checkpointed): "
                  f"{row['tasks_per_second_median']} tasks/s, launch() blocks "
                  f"{row['launch_ms_median']} ms per task (median of {len(rounds)} rounds)")


if __name__ == "__main__":
    asyncio.run(main())
