"""The seed's wordcount experiment: one text file counted at several parallelisms.

    .venv/bin/python benchmarks/wordcount.py              # 200 MB, parallelism 1, 2, 4
    .venv/bin/python benchmarks/wordcount.py --size 20 --parallelism 1,2 --json

It generates `--size` MB of deterministic text (a Zipf-like vocabulary of 50,000 words, seeded),
starts a local cluster (`LocalCluster`: a real master and `--agents` agent processes; agents
report usage every 0.5 s so short runs still get samples), and runs the `wordcount` framework
at each parallelism (maps = reducers = the parallelism, one cpu per task). For each run it
prints the elapsed time (subscription to result), the peak CPU (cores) and peak memory of the
framework's tasks summed over the agents' AGENT_USAGE reports, and the tasks' own accounting
(CPU seconds and the largest RSS, from getrusage). A first row counts the file in this process
with the same code, without the cluster: the floor that the overheads sit on. Every run must
give the identical count, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mesos_tui.frameworks._wordcount_task import count_range  # noqa: E402
from mesos_tui.frameworks.wordcount import wordcount  # noqa: E402
from mesos_tui.local import LocalCluster  # noqa: E402

MB = 2**20


def generate(path: str, size: int, seed: int = 2011) -> None:
    """About `size` bytes of text: lines of 4-16 words from a Zipf-like vocabulary."""
    rng = random.Random(seed)
    vocab = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 10)))
        for _ in range(50_000)
    ]
    cum = []
    acc = 0.0
    for i in range(len(vocab)):
        acc += 1.0 / (i + 1)
        cum.append(acc)
    with open(path, "w", encoding="ascii") as f:
        written = 0
        while written < size:
            words = rng.choices(vocab, cum_weights=cum, k=8192)
            lines = []
            i = 0
            while i < len(words):
                n = rng.randint(4, 16)
                lines.append(" ".join(words[i : i + n]))
                i += n
            chunk = "\n".join(lines) + "\n"
            f.write(chunk)
            written += len(chunk)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=float, default=200, help="MB of text (default 200)")
    parser.add_argument("--parallelism", default="1,2,4", help="comma-separated (default 1,2,4)")
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--agent-resources", default="cpus:2;mem:4096")
    parser.add_argument("--cpus", type=float, default=1.0, help="cpus per task")
    parser.add_argument("--mem", type=float, default=512.0, help="MB per task")
    parser.add_argument("--input", help="count this file instead of generating one")
    parser.add_argument("--executors", action="store_true",
                        help="also run each parallelism on custom executors (wordcount --executors)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    ns = parser.parse_args()
    levels = [int(p) for p in ns.parallelism.split(",") if p.strip()]

    folder = tempfile.mkdtemp(prefix="bench-wordcount-")
    path = ns.input or os.path.join(folder, "input.txt")
    if not ns.input:
        t = time.monotonic()
        generate(path, int(ns.size * MB))
        print(
            f"generated {os.path.getsize(path) / MB:.1f} MB in {time.monotonic() - t:.1f}s",
            file=sys.stderr,
        )
    size = os.path.getsize(path)

    rows = []
    t = time.monotonic()
    reference = count_range(path, 0, size)
    rows.append(
        {
            "run": "in-process Counter",
            "parallelism": 0,
            "seconds": time.monotonic() - t,
            "peak_cpus": None,
            "peak_mem_mb": None,
            "task_cpu_seconds": None,
            "task_max_rss_mb": None,
        }
    )
    expected = dict(reference)
    del reference

    # Agents sample usage every 0.5 s (the default 2 s would miss short runs).
    os.environ["MESOS_USAGE_INTERVAL"] = "0.5"
    try:
        with LocalCluster(agents=ns.agents, agent_resources=ns.agent_resources) as cluster:
            for p, on_executors in [(p, e) for p in levels for e in ([False, True] if ns.executors else [False])]:
                code, fw = asyncio.run(
                    wordcount(
                        path,
                        cluster.master,
                        parallelism=p,
                        reducers=p,
                        resources=f"cpus:{ns.cpus};mem:{ns.mem}",
                        scratch=os.path.join(folder, f"scratch-{p}{'-x' if on_executors else ''}"),
                        timeout=1800,
                        executors=on_executors,
                    )
                )
                if code != 0 or fw.result is None:
                    print(f"parallelism {p}: failed: {fw.error_message}", file=sys.stderr)
                    return 1
                r = fw.result
                if r.counts != expected:
                    print(
                        f"parallelism {p}: the count differs from the in-process one",
                        file=sys.stderr,
                    )
                    return 1
                rows.append(
                    {
                        "run": f"wordcount -p {p}" + (" --executors" if on_executors else ""),
                        "parallelism": p,
                        "seconds": r.elapsed,
                        "peak_cpus": r.usage.cpus,
                        "peak_mem_mb": r.usage.mem_bytes / MB,
                        "usage_samples": r.usage.samples,
                        "task_cpu_seconds": r.task_cpu_seconds,
                        "task_max_rss_mb": r.task_max_rss_bytes / MB,
                    }
                )
    finally:
        os.environ.pop("MESOS_USAGE_INTERVAL", None)
        import shutil

        shutil.rmtree(folder, ignore_errors=True)

    meta = {
        "size_mb": size / MB,
        "words": sum(expected.values()),
        "distinct": len(expected),
        "agents": ns.agents,
        "agent_resources": ns.agent_resources,
        "host_cpus": os.cpu_count(),
    }
    if ns.json:
        print(json.dumps({"meta": meta, "runs": rows}, indent=2))
        return 0
    print(
        f"{meta['size_mb']:.1f} MB, {meta['words']} words ({meta['distinct']} distinct); "
        f"{ns.agents} agents of {ns.agent_resources} on a {meta['host_cpus']}-cpu host"
    )
    header = (
        f"{'run':<28} {'elapsed s':>9} {'peak cpu':>9} {'peak mem MB':>11} "
        f"{'task cpu-s':>10} {'max rss MB':>10}"
    )
    print(header)
    print("-" * len(header))

    def fmt(v: float | None, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    for row in rows:
        print(
            f"{row['run']:<28} {row['seconds']:>9.2f} {fmt(row['peak_cpus'], '.2f'):>9} "
            f"{fmt(row['peak_mem_mb'], '.1f'):>11} {fmt(row['task_cpu_seconds'], '.2f'):>10} "
            f"{fmt(row['task_max_rss_mb'], '.1f'):>10}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
