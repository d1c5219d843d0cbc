"""What the view ACLs cost a GET_STATE: filtering a big state for one principal.

Builds a GET_STATE of T tasks over F frameworks (each framework runs as one of U users), then
times, K times each, what the front door does for GET_STATE (`calls.visible_state`): build the
state (the baseline: no ACLs), and build it then filter it for a principal allowed to see one
user's frameworks and tasks (view_frameworks, view_tasks). Prints the medians and what the
filter adds; `--json` prints one JSON object instead. A benchmark prints figures; it is never
a timed test.

    .venv/bin/python benchmarks/acl_filter.py --tasks 10000 --frameworks 100 --users 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemons.common.auth import Acls  # noqa: E402
from daemons.common.resources import Resources  # noqa: E402
from daemons.master import calls  # noqa: E402
from daemons.master.master import Master, MasterConfig  # noqa: E402
from daemons.master.state import Framework, Task  # noqa: E402
from daemons.proto import mesos_pb2  # noqa: E402


def build(tasks: int, frameworks: int, users: int) -> Master:
    master = Master(MasterConfig())
    resources = Resources.parse("cpus:0.1;mem:32")
    for f in range(frameworks):
        fid = f"fw-{f:04d}"
        info = mesos_pb2.FrameworkInfo(name=f"framework {f}", user=f"user{f % users}")
        info.id.value = fid
        master.frameworks[fid] = Framework(fid, info, "*", registered_time=0.0)
        master.allocator.add_framework(fid, "*")
    for t in range(tasks):
        fid = f"fw-{t % frameworks:04d}"
        tid = f"task-{t:06d}"
        info = mesos_pb2.TaskInfo(name=tid)
        info.task_id.value = tid
        info.command.value = "sleep 1000"
        master.frameworks[fid].tasks[tid] = Task(
            tid, fid, "agent-0", tid, mesos_pb2.TASK_RUNNING, resources, info
        )
    return master


def timed(fn, repeat: int) -> float:  # noqa: ANN001
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--frameworks", type=int, default=100)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    ns = parser.parse_args()
    master = build(ns.tasks, ns.frameworks, ns.users)
    acls = Acls.parse({
        action: [
            {"principals": {"values": ["alice"]}, "users": {"values": ["user0"]}},
            {"principals": {"type": "NONE"}, "users": {"type": "ANY"}},
        ]
        for action in ("view_frameworks", "view_tasks")
    })
    baseline = timed(lambda: calls.visible_state(master, "alice"), ns.repeat)
    master.config.auth = replace(master.config.auth, acls=acls)
    seen = calls.visible_state(master, "alice")
    filtered = timed(lambda: calls.visible_state(master, "alice"), ns.repeat)
    figures = {
        "tasks": ns.tasks, "frameworks": ns.frameworks, "users": ns.users,
        "get_state_ms": round(baseline * 1000, 2),
        "get_state_filtered_ms": round(filtered * 1000, 2),
        "filter_adds_ms": round((filtered - baseline) * 1000, 2),
        "tasks_seen": len(seen.get_tasks.tasks),
    }
    if ns.json:
        print(json.dumps(figures))
        return
    print(f"GET_STATE of {ns.tasks} tasks, {ns.frameworks} frameworks, {ns.users} users "
          f"(median of {ns.repeat})")
    print(f"  no ACLs (baseline)      {figures['get_state_ms']:8.2f} ms")
    print(f"  filtered for one user   {figures['get_state_filtered_ms']:8.2f} ms "
          f"({figures['tasks_seen']} tasks seen)")
    print(f"  the filter adds         {figures['filter_adds_ms']:8.2f} ms")


if __name__ == "__main__":
    main()
