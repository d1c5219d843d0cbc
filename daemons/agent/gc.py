"""Sandbox garbage collection: finished containers' directories go after `--gc_delay`.

Mesos's policy. A finished container's sandbox (and its checkpoint) is scheduled for removal
`--gc_delay` after it ended. Every `--disk_watch_interval` the agent looks at the disk of its
work dir; when it fills up, the delay shrinks:

    allowed age = gc_delay * max(0, 1 - gc_disk_headroom - disk usage)

and anything older than that goes now. So with the default headroom of 0.1, a disk 90% full
keeps nothing. The class does no I/O of its own beyond `remove` (injected: the agent runs it in
a worker thread) and takes its clock and disk reading as functions, so tests drive it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

WEEK = 7 * 24 * 3600.0


def disk_usage_fraction(path: Path) -> float:
    usage = shutil.disk_usage(path)
    return usage.used / usage.total if usage.total else 0.0


class SandboxCollector:
    """Paths waiting to be removed, each with the time its container finished."""

    def __init__(
        self,
        gc_delay: float = WEEK,
        gc_disk_headroom: float = 0.1,
        clock: Callable[[], float] = time.time,
        disk_usage: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.gc_delay = gc_delay
        self.gc_disk_headroom = min(max(gc_disk_headroom, 0.0), 1.0)
        self._clock = clock
        self._disk_usage = disk_usage
        self._heap: list[tuple[float, int, tuple[Path, ...]]] = []
        self._sequence = itertools.count()
        self.allowed_age = gc_delay

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, paths: Iterable[Path], finished_at: float | None = None) -> None:
        when = self._clock() if finished_at is None else finished_at
        heapq.heappush(self._heap, (when, next(self._sequence), tuple(paths)))

    def watch_disk(self) -> float:
        """Re-read the disk and recompute how old a sandbox may get; answer that age."""
        usage = self._disk_usage()
        self.allowed_age = self.gc_delay * max(0.0, 1.0 - self.gc_disk_headroom - usage)
        return self.allowed_age

    def due(self) -> list[Path]:
        """Take every path whose time has come (by the last disk reading)."""
        now = self._clock()
        out: list[Path] = []
        while self._heap and now - self._heap[0][0] >= self.allowed_age:
            _, _, paths = heapq.heappop(self._heap)
            out.extend(paths)
        return out

    def next_due_in(self) -> float | None:
        """Seconds until the oldest path is due (by the current allowed age), or None."""
        if not self._heap:
            return None
        return max(0.0, self._heap[0][0] + self.allowed_age - self._clock())


def remove_paths(paths: Iterable[Path]) -> int:
    """Remove each path; a container's run directory takes its executor's directory with it
    once no run is left there (`executors/<id>/runs/<container>`: else one empty executor
    directory and a dangling `runs/latest` link stay behind per task, for ever)."""
    removed = 0
    for path in paths:
        try:
            if path.is_symlink() or path.is_file():
                path.unlink()
            else:
                shutil.rmtree(path)
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("cannot remove %s: %s", path, e.strerror or e)
            continue
        if path.parent.name == "runs" and path.parent.parent.parent.name == "executors":
            _prune_executor_dir(path.parent.parent)
    return removed


def _prune_executor_dir(executor_dir: Path) -> None:
    """Remove an executor's directory that holds no run any more (only, perhaps, the
    `runs/latest` link to a removed run)."""
    runs = executor_dir / "runs"
    try:
        entries = list(runs.iterdir())
        if any(not (e.name == "latest" and e.is_symlink() and not e.exists()) for e in entries):
            return
        for e in entries:
            e.unlink()
        runs.rmdir()
        executor_dir.rmdir()
    except FileNotFoundError:
        pass
    except OSError as e:
        # A new run of the same executor may have just appeared: leave it be.
        log.debug("cannot prune %s: %s", executor_dir, e.strerror or e)
