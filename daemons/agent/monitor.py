"""The usage monitor: what each task's processes and the whole host use, measured with psutil.

`ProcessTreeSampler` measures each container's process tree (the task process and all its
descendants, found through `/proc/<pid>/task/<pid>/children`, with no walk over the whole
process table): one `oneshot()` read per process. CPU use in cores is the growth of the tree's
CPU time (including reaped children) over the wall time since the previous sample. Containers
with cgroups are measured from those instead (`from_totals`: the same CPU-rate bookkeeping,
figures read by isolation.py). `tree_rss` is the posix memory watchdog's cheap reading:
`/proc/<pid>/statm` of the task and its descendants. `HostSampler` measures the host.
`build_usage_report` turns the samples into the `UsageReport` the agent sends the master.

Samplers are called from a worker thread (`asyncio.to_thread`), so they keep only their own
state and never touch the agent's.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import psutil

from daemons.common.resources import Resources
from daemons.proto import agent_pb2

MB = 1024 * 1024


@dataclass(slots=True, frozen=True)
class ProcessStats:
    """One sample of a container's process tree."""

    timestamp: float
    processes: int
    threads: int
    cpus_user_time_secs: float
    cpus_system_time_secs: float
    mem_rss_bytes: int
    cpus_usage: float  # Cores in use since the previous sample (0 on the first).


@dataclass(slots=True, frozen=True)
class HostStats:
    timestamp: float
    cpus_usage: float  # Cores busy since the previous sample.
    mem_used_bytes: int
    mem_total_bytes: int


class ProcessTreeSampler:
    """Samples process trees by root pid, remembering CPU totals between samples."""

    def __init__(self) -> None:
        self._previous: dict[str, tuple[float, float]] = {}  # key -> (wall time, cpu seconds)
        self._lock = threading.Lock()

    def forget(self, key: str) -> None:
        with self._lock:
            self._previous.pop(key, None)

    def _rate(self, key: str, now: float, total: float) -> float:
        with self._lock:
            previous = self._previous.get(key)
            self._previous[key] = (now, total)
        if previous is not None and now > previous[0]:
            return max(0.0, (total - previous[1]) / (now - previous[0]))
        return 0.0

    def from_totals(
        self,
        key: str,
        user: float,
        system: float,
        rss: int,
        processes: int,
        threads: int,
    ) -> ProcessStats:
        """A sample from figures read elsewhere (a container's cgroups)."""
        now = time.time()
        return ProcessStats(
            timestamp=now,
            processes=processes,
            threads=threads,
            cpus_user_time_secs=user,
            cpus_system_time_secs=system,
            mem_rss_bytes=rss,
            cpus_usage=self._rate(key, now, user + system),
        )

    def sample(self, roots: Mapping[str, int]) -> dict[str, ProcessStats]:
        out: dict[str, ProcessStats] = {}
        for key, root in roots.items():
            stats = self._sample_tree(key, root, _Children())
            if stats is not None:
                out[key] = stats
        return out

    def _sample_tree(
        self, key: str, root: int, children: Mapping[int, list[int]]
    ) -> ProcessStats | None:
        now = time.time()
        user = system = 0.0
        rss = threads = processes = 0
        stack = [root]
        seen: set[int] = set()
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            stack.extend(children.get(pid, ()))
            try:
                proc = psutil.Process(pid)
                with proc.oneshot():
                    times = proc.cpu_times()
                    rss += proc.memory_info().rss
                    threads += proc.num_threads()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                if pid == root:
                    return None
                continue
            processes += 1
            user += times.user
            system += times.system
            if pid == root:
                # What the task's own reaped children used counts too.
                user += times.children_user
                system += times.children_system
        usage = self._rate(key, now, user + system)
        return ProcessStats(
            timestamp=now,
            processes=processes,
            threads=threads,
            cpus_user_time_secs=user,
            cpus_system_time_secs=system,
            mem_rss_bytes=rss,
            cpus_usage=usage,
        )


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tree_rss(root: int, limit: int = 10_000) -> int:
    """RSS in bytes of `root` and its descendants (children of each main thread)."""
    total = 0
    stack = [root]
    seen = 0
    while stack and seen < limit:
        pid = stack.pop()
        seen += 1
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * _PAGE
            with open(f"/proc/{pid}/task/{pid}/children", "rb") as f:
                stack.extend(int(x) for x in f.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


class _Children(dict[int, list[int]]):
    """Children of a process, read from `/proc/<pid>/task/<pid>/children` when asked (no walk
    over the whole process table, which would cost more than all of a task's own reads)."""

    def __missing__(self, pid: int) -> list[int]:
        try:
            with open(f"/proc/{pid}/task/{pid}/children", "rb") as f:
                found = [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            found = []
        self[pid] = found
        return found

    def get(self, pid: int, default: object = None) -> list[int]:  # type: ignore[override]
        return self[pid]


class HostSampler:
    """Samples the host's CPU (in busy cores) and memory."""

    def __init__(self) -> None:
        self._previous: tuple[float, float] | None = None  # (busy seconds, total seconds)
        self._cpus = psutil.cpu_count(logical=True) or 1

    def sample(self) -> HostStats:
        times = psutil.cpu_times()
        total = sum(times)
        idle = times.idle + getattr(times, "iowait", 0.0)
        busy = total - idle
        usage = 0.0
        if self._previous is not None and total > self._previous[1]:
            share = (busy - self._previous[0]) / (total - self._previous[1])
            usage = max(0.0, min(1.0, share)) * self._cpus
        self._previous = (busy, total)
        memory = psutil.virtual_memory()
        return HostStats(
            timestamp=time.time(),
            cpus_usage=usage,
            mem_used_bytes=memory.total - memory.available,
            mem_total_bytes=memory.total,
        )


@dataclass(slots=True, frozen=True)
class RunningTask:
    """What the usage report says about one running task, besides its measurements."""

    framework_id: str
    executor_id: str
    task_id: str
    task_name: str
    container_id: str
    resources: Resources


def build_usage_report(
    tasks: Iterable[RunningTask],
    stats: Mapping[str, ProcessStats],
    total: Resources,
    host: HostStats,
) -> agent_pb2.UsageReport:
    report = agent_pb2.UsageReport()
    usage = report.usage
    for task in tasks:
        sample = stats.get(task.container_id)
        if sample is None:
            continue
        executor = usage.executors.add()
        executor.executor_info.executor_id.value = task.executor_id
        executor.executor_info.framework_id.value = task.framework_id
        executor.executor_info.name = f"Command Executor (Task: {task.task_id})"
        executor.allocated.extend(task.resources.to_proto())
        executor.container_id.value = task.container_id
        entry = executor.tasks.add(name=task.task_name)
        entry.id.value = task.task_id
        entry.resources.extend(task.resources.to_proto())
        s = executor.statistics
        s.timestamp = sample.timestamp
        s.processes = sample.processes
        s.threads = sample.threads
        s.cpus_user_time_secs = sample.cpus_user_time_secs
        s.cpus_system_time_secs = sample.cpus_system_time_secs
        s.mem_rss_bytes = sample.mem_rss_bytes
        s.cpus_usage = sample.cpus_usage
        if task.resources.cpus:
            s.cpus_limit = task.resources.cpus
        if task.resources.mem:
            s.mem_limit_bytes = int(task.resources.mem * MB)
    usage.total.extend(total.to_proto())
    report.host.timestamp = host.timestamp
    report.host.cpus_usage = host.cpus_usage
    report.host.mem_rss_bytes = host.mem_used_bytes
    report.host.mem_total_bytes = host.mem_total_bytes
    report.host.cpus_limit = float(psutil.cpu_count(logical=True) or 1)
    return report
