"""`wordcount`: Hadoop/Spark-style map and reduce over one text file, as a Mesos framework.

    python -m mesos_tui.frameworks.wordcount big.txt --master 127.0.0.1:5050 --parallelism 2

The input is cut into `--parallelism` byte ranges; each map task (a real process on an agent,
`python -m mesos_tui.frameworks._wordcount_task map ...`) counts the words of its range, moved
to word boundaries so that no word is cut or counted twice, and writes its counts partitioned
by word hash; then `--reducers` reduce tasks merge one partition each. The agents share this
host, so a scratch folder plays HDFS. A word is a run of non-whitespace bytes, lowercased
(ASCII): the result equals `collections.Counter(data.lower().split())` on the whole file.

It prints the top `--top` words as `WORD COUNT`, `total N` (all words), `distinct N`, the
elapsed time, and what its tasks used: peak CPU cores and peak memory summed over the agents'
AGENT_USAGE reports, and the tasks' own CPU seconds and largest RSS (from getrusage).
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from daemons.common.resources import Resources
from mesos_tui.frameworks.common import (
    Progress,
    TaskFramework,
    TaskSpec,
    UsagePeak,
    UsageWatcher,
    add_common_flags,
    format_usage,
    framework_info,
    module_executor,
    positive_float,
    positive_int,
    python_command,
    run_cli,
    run_framework,
    task_environment,
)

TASK_MODULE = "mesos_tui.frameworks._wordcount_task"


@dataclass
class WordCountResult:
    counts: dict[bytes, int]
    total: int
    elapsed: float
    usage: UsagePeak
    task_cpu_seconds: float = 0.0
    task_max_rss_bytes: int = 0
    maps: int = 0
    reducers: int = 0
    top: list[tuple[bytes, int]] = field(default_factory=list)


def byte_ranges(size: int, parts: int) -> list[tuple[int, int]]:
    """`parts` contiguous ranges covering `[0, size)` (word alignment happens in the task)."""
    return [(size * i // parts, size * (i + 1) // parts) for i in range(parts)]


class WordCount(TaskFramework):
    """Maps, then reduces; the result is in `result` once `done`."""

    def __init__(
        self,
        path: str,
        scratch: str,
        *,
        parallelism: int = 2,
        reducers: int | None = None,
        resources: Resources | None = None,
        max_retries: int = 2,
        progress: Progress | None = None,
        extra_env: dict[str, str] | None = None,
        executors: bool = False,
    ) -> None:
        super().__init__("wordcount", max_retries=max_retries, progress=progress)
        # With `executors`, map i and reduce i run on executor `wordcount-i` (one Python
        # process per slot, started once per agent) instead of a process per task.
        self.executors = executors
        self.path = os.path.abspath(path)
        self.scratch = scratch
        self.parallelism = parallelism
        self.reducers = reducers or parallelism
        self.resources = resources or Resources.parse("cpus:1;mem:256")
        self.extra_env = extra_env or {}
        self.maps_done = 0
        self.reduces_done = 0
        self.started = time.monotonic()
        self.result: WordCountResult | None = None
        self.usage: UsageWatcher | None = None

    def map_dir(self, i: int) -> str:
        return os.path.join(self.scratch, f"map-{i}")

    def reduce_file(self, r: int) -> str:
        return os.path.join(self.scratch, f"reduce-{r}.pkl")

    def _slot(self, spec: TaskSpec, i: int) -> TaskSpec:
        if self.executors:
            spec.executor = module_executor(f"wordcount-{i % self.parallelism}", self.extra_env)
        return spec

    def map_specs(self) -> list[TaskSpec]:
        size = os.path.getsize(self.path)
        self.progress.bar("map", "map", self.parallelism)
        self.progress.bar("reduce", "reduce", self.reducers)
        return [
            self._slot(self.new_spec(
                f"map-{i}",
                python_command(
                    TASK_MODULE,
                    "map",
                    "--input",
                    self.path,
                    "--start",
                    start,
                    "--end",
                    end,
                    "--reducers",
                    self.reducers,
                    "--out",
                    self.map_dir(i),
                ),
                self.resources,
                environment=task_environment(self.extra_env),
            ), i)
            for i, (start, end) in enumerate(byte_ranges(size, self.parallelism))
        ]

    def reduce_specs(self) -> list[TaskSpec]:
        maps = ",".join(self.map_dir(i) for i in range(self.parallelism))
        return [
            self._slot(self.new_spec(
                f"reduce-{r}",
                python_command(
                    TASK_MODULE,
                    "reduce",
                    "--maps",
                    maps,
                    "--partition",
                    r,
                    "--out",
                    self.reduce_file(r),
                ),
                self.resources,
                environment=task_environment(self.extra_env),
            ), r)
            for r in range(self.reducers)
        ]

    async def task_started(self, spec: TaskSpec) -> None:
        self._show()

    async def task_finished(self, spec: TaskSpec) -> None:
        if spec.key.startswith("map-"):
            self.maps_done += 1
            if self.maps_done == self.parallelism:
                await self.add(self.reduce_specs())
        else:
            self.reduces_done += 1
            if self.reduces_done == self.reducers:
                self.collect()
                self.finish(0)
        self._show()

    async def task_retrying(self, spec: TaskSpec) -> None:
        await super().task_retrying(spec)
        self._show()

    def _show(self) -> None:
        running = sum(1 for s in self.running() if s.key.startswith("map-"))
        self.progress.update("map", self.maps_done, f"{running} running" if running else "")
        running = sum(1 for s in self.running() if s.key.startswith("reduce-"))
        self.progress.update("reduce", self.reduces_done, f"{running} running" if running else "")

    def collect(self) -> None:
        counts: dict[bytes, int] = {}
        cpu, rss = 0.0, 0
        for r in range(self.reducers):
            with open(self.reduce_file(r), "rb") as f:
                counts.update(pickle.load(f))
        stats_files = [os.path.join(self.map_dir(i), "stats.json") for i in range(self.parallelism)]
        stats_files += [self.reduce_file(r) + ".stats.json" for r in range(self.reducers)]
        for name in stats_files:
            try:
                with open(name) as f:
                    st = json.load(f)
                cpu += st["cpu_seconds"]
                rss = max(rss, st["max_rss_bytes"])
            except (OSError, ValueError, KeyError):
                pass
        self.result = WordCountResult(
            counts=counts,
            total=sum(counts.values()),
            elapsed=time.monotonic() - self.started,
            usage=self.usage.peak if self.usage else UsagePeak(),
            task_cpu_seconds=cpu,
            task_max_rss_bytes=rss,
            maps=self.parallelism,
            reducers=self.reducers,
        )


def top_words(counts: dict[bytes, int], k: int) -> list[tuple[bytes, int]]:
    """The k most frequent words; ties broken by the word, so the listing is deterministic."""
    return heapq.nsmallest(k, counts.items(), key=lambda item: (-item[1], item[0]))


async def wordcount(
    path: str,
    master: str,
    *,
    parallelism: int = 2,
    reducers: int | None = None,
    resources: Resources | str = "cpus:1;mem:256",
    max_retries: int = 2,
    scratch: str | None = None,
    progress: Progress | None = None,
    role: str = "*",
    timeout: float | None = None,
    extra_env: dict[str, str] | None = None,
    install_signals: bool = False,
    executors: bool = False,
) -> tuple[int, WordCount]:
    """Run a word count; answer (exit code, the framework with `.result` or `.error_message`)."""
    if isinstance(resources, str):
        resources = Resources.parse(resources)
    own_scratch = scratch is None
    scratch = scratch or tempfile.mkdtemp(prefix="wordcount-")
    fw = WordCount(
        path,
        scratch,
        parallelism=parallelism,
        reducers=reducers,
        resources=resources,
        max_retries=max_retries,
        progress=progress,
        extra_env=extra_env,
        executors=executors,
    )
    watcher = UsageWatcher(master)
    fw.usage = watcher
    watcher.start()

    async def body(driver) -> None:  # noqa: ANN001
        await fw.subscribed_event.wait()
        watcher.framework_id = driver.framework_id
        fw.started = time.monotonic()
        await fw.add(fw.map_specs())

    try:
        code = await run_framework(
            fw,
            framework_info("wordcount", role),
            master,
            body=body,
            timeout=timeout,
            install_signals=install_signals,
        )
    finally:
        await watcher.stop()
        if own_scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if fw.result is not None:
        fw.result.usage = watcher.peak
    return code, fw


def report(result: WordCountResult, top: int, out=None) -> None:  # noqa: ANN001
    out = out or sys.stdout
    for word, n in top_words(result.counts, top):
        print(f"{word.decode('utf-8', errors='replace')} {n}", file=out)
    print(f"total {result.total}", file=out)
    print(f"distinct {len(result.counts)}", file=out)
    print(
        f"elapsed {result.elapsed:.2f}s ({result.maps} maps, {result.reducers} reduces)", file=out
    )
    print(format_usage(result.usage), file=out)
    print(
        f"tasks' own accounting: {result.task_cpu_seconds:.2f} cpu-seconds, "
        f"largest rss {result.task_max_rss_bytes / 2**20:.1f} MB",
        file=out,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wordcount", description="Count the words of a file with map and reduce tasks."
    )
    parser.add_argument("file", help="the text file to count")
    add_common_flags(parser)
    parser.add_argument("--parallelism", type=positive_int, default=2, help="map tasks")
    parser.add_argument(
        "--reducers",
        type=positive_int,
        default=None,
        help="reduce tasks (default: the parallelism)",
    )
    parser.add_argument("--cpus", type=positive_float, default=1.0, help="cpus per task")
    parser.add_argument("--mem", type=positive_float, default=256.0, help="MB per task")
    parser.add_argument("--top", type=int, default=10, help="how many words to print")
    parser.add_argument(
        "--executors",
        action="store_true",
        help="run the tasks on custom executors (one Python process per slot, reused by its "
        "map and reduce) instead of a process per task; the tasks' CPU and RSS figures are "
        "then their executor process's so far",
    )
    parser.add_argument(
        "--scratch",
        default=None,
        help="the shared folder for intermediate files (default: a temp dir)",
    )
    ns = parser.parse_args(argv)
    if not os.path.isfile(ns.file):
        parser.error(f"{ns.file}: no such file")
    result = run_cli(
        ns.quiet,
        lambda progress: wordcount(
            ns.file,
            ns.master,
            parallelism=ns.parallelism,
            reducers=ns.reducers,
            resources=Resources.parse(f"cpus:{ns.cpus};mem:{ns.mem}"),
            max_retries=ns.max_retries,
            scratch=ns.scratch,
            progress=progress,
            role=ns.role,
            install_signals=True,
            executors=ns.executors,
        ),
    )
    if result is None:
        return 130
    code, fw = result
    if code == 0 and fw.result is not None:
        report(fw.result, ns.top)
        return 0
    print(f"wordcount: {fw.error_message or 'failed'}", file=sys.stderr)
    return code or 1


if __name__ == "__main__":
    sys.exit(main())
