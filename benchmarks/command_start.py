"""Command start: how long a person waits for a command, beside `python -c pass`.

Times, in interleaved rounds (so a burst of load on the machine hits every command alike):
`python -c pass` (the floor: the same interpreter, nothing imported), then `--help` of
mesos-execute, mesos-tui, mesos-master and mesos-agent, and `mesos-tui shell -c tasks` and
`mesos-execute --command true` against a real idle cluster (one master and one agent on
loopback, started and stopped here). Prints the median wall time of each in milliseconds and
its ratio to the floor. With `--baseline TREE` (another checkout, e.g. the main branch) each
command also runs from that tree, in the same rounds, and its median is printed beside.
Never a timed test.

    .venv/bin/python benchmarks/command_start.py [--rounds 11] [--baseline ../main] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.cluster import Cluster  # noqa: E402

# Each command is run the way its console script runs it: import the entry and call main.
ENTRY = {
    "mesos-execute": "from mesos_tui.execute import main; main()",
    "mesos-tui": "import sys; from mesos_tui.cli import main; sys.exit(main())",
    "mesos-master": "from daemons.master.main import main; main()",
    "mesos-agent": "import sys; from daemons.agent.main import main; sys.exit(main())",
}


def _argv(program: str, *args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY[program], *args]


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    # Run from the tree being timed: `python -c` puts the working directory first on sys.path.
    done = subprocess.run(argv, env=env, cwd=env["PYTHONPATH"], capture_output=True, timeout=60)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:]) or argv}: exit {done.returncode}\n"
                         f"{done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline", help="another source tree to time the same commands from")
    args = parser.parse_args()
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("MESOS_")]:
        del env[key]
    trees = {"": env}
    if args.baseline:
        base = dict(env)
        base["PYTHONPATH"] = str(Path(args.baseline).resolve())
        trees["baseline"] = base
    env["PYTHONPATH"] = str(REPO)
    with tempfile.TemporaryDirectory() as root:
        cluster = Cluster(Path(root))
        try:
            await cluster.start_master()
            await cluster.start_agent("cpus:4;mem:4096")
            master = cluster.master_address
            commands: dict[str, list[str]] = {
                "python -c pass": [sys.executable, "-c", "pass"],
                "mesos-execute --help": _argv("mesos-execute", "--help"),
                "mesos-tui --help": _argv("mesos-tui", "--help"),
                "mesos-master --help": _argv("mesos-master", "--help"),
                "mesos-agent --help": _argv("mesos-agent", "--help"),
                "mesos-tui shell -c tasks": _argv(
                    "mesos-tui", "shell", "--master", master, "-c", "tasks"
                ),
            }
            times: dict[tuple[str, str], list[float]] = {}
            for i in range(args.rounds):
                for tree, tree_env in trees.items():
                    for name, argv in commands.items():
                        if tree and name == "python -c pass":
                            continue
                        sample = await asyncio.to_thread(_time, argv, tree_env)
                        times.setdefault((name, tree), []).append(sample)
                    run = _argv(
                        "mesos-execute", "--master", master, "--name", f"start-{tree}{i}",
                        "--command", "true", "--resources", "cpus:0.1;mem:32",
                    )
                    sample = await asyncio.to_thread(_time, run, tree_env)
                    times.setdefault(("mesos-execute --command true", tree), []).append(sample)
        finally:
            await cluster.close()
    floor = statistics.median(times[("python -c pass", "")])
    for (name, tree), samples in times.items():
        if tree:
            continue
        median = statistics.median(samples)
        row: dict[str, object] = {
            "command": name, "median_ms": round(median, 1), "min_ms": round(min(samples), 1),
            "vs_python": round(median / floor, 2),
        }
        base = times.get((name, "baseline"))
        if base:
            row["baseline_median_ms"] = round(statistics.median(base), 1)
        if args.json:
            print(json.dumps(row))
        else:
            beside = f"   baseline {row['baseline_median_ms']:7.1f} ms" if base else ""
            print(f"{name:<30} {median:7.1f} ms median (min {min(samples):6.1f}) "
                  f"{median / floor:5.2f}x python -c pass{beside}")


if __name__ == "__main__":
    asyncio.run(main())
