"""How long one allocation cycle takes on a big, entirely free cluster.

Builds a `HierarchicalAllocator` with N agents and M frameworks spread over R roles, then
repeats K times: give every agent's resources back (not timed), time one `allocate()`.
Prints the cycle time (median, min, max) and the number of offers per cycle; `--json` prints
one JSON object instead. A benchmark prints figures; it is never a timed test.

    .venv/bin/python benchmarks/allocator.py --agents 10000 --frameworks 1000 --repeat 7
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemons.common.resources import Resources  # noqa: E402
from daemons.master.allocator import HierarchicalAllocator  # noqa: E402

AGENT = "cpus:8;mem:16384;disk:100000;ports:[31000-32000]"


def build(
    agents: int, frameworks: int, roles: int, role_sorter: str, framework_sorter: str
) -> HierarchicalAllocator:
    weights = {f"role-{r}": 1.0 + r % 3 for r in range(roles)}
    allocator = HierarchicalAllocator(role_sorter, framework_sorter, weights=weights, seed=42)
    total = Resources.parse(AGENT)
    for i in range(agents):
        allocator.add_agent(f"agent-{i:06d}", total)
    for i in range(frameworks):
        allocator.add_framework(f"framework-{i:05d}", f"role-{i % roles}")
    return allocator


def free_everything(allocator: HierarchicalAllocator, agent_ids: list[str]) -> None:
    for agent_id in agent_ids:
        for framework_id, held in allocator.allocated(agent_id).items():
            allocator.recover(agent_id, framework_id, held)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=10_000)
    p.add_argument("--frameworks", type=int, default=1_000)
    p.add_argument("--roles", type=int, default=4)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--role-sorter", default="drf", choices=("drf", "priority", "random"))
    p.add_argument("--framework-sorter", default="drf", choices=("drf", "priority", "random"))
    p.add_argument("--profile", action="store_true", help="cProfile one extra cycle")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    started = time.perf_counter()
    allocator = build(
        args.agents, args.frameworks, max(1, args.roles), args.role_sorter, args.framework_sorter
    )
    build_s = time.perf_counter() - started
    agent_ids = [f"agent-{i:06d}" for i in range(args.agents)]

    cycles: list[float] = []
    offers = 0
    now = 0.0
    for _ in range(max(1, args.repeat)):
        free_everything(allocator, agent_ids)
        now += 1.0
        t0 = time.perf_counter()
        allocations = allocator.allocate(now)
        cycles.append((time.perf_counter() - t0) * 1000)
        offers = len(allocations)

    if args.profile:
        free_everything(allocator, agent_ids)
        profiler = cProfile.Profile()
        profiler.runcall(allocator.allocate, now + 1.0)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(12)

    result = {
        "agents": args.agents,
        "frameworks": args.frameworks,
        "roles": args.roles,
        "repeat": len(cycles),
        "cycle_ms_median": round(statistics.median(cycles), 2),
        "cycle_ms_min": round(min(cycles), 2),
        "cycle_ms_max": round(max(cycles), 2),
        "offers": offers,
        "build_s": round(build_s, 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"agents={args.agents} frameworks={args.frameworks} roles={args.roles} "
            f"cycles={len(cycles)}: median {result['cycle_ms_median']} ms, "
            f"min {result['cycle_ms_min']} ms, max {result['cycle_ms_max']} ms, "
            f"{offers} offers per cycle (build {result['build_s']} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
