"""Isolators: what keeps a task to its `cpus` and `mem`, and how its usage is read back.

`--isolation` takes Mesos's names; `parse_isolation` turns them into an `Isolation`:
- `cgroups/v1` (or `cgroups/cpu`, `cgroups/mem`, `cgroups/pids`, comma-separated): a cgroup per
  container in each v1 hierarchy, `<mount>/<cgroups_root>/<container_id>`, with
  `cpu.shares` and the CFS quota (`cpu.cfs_quota_us` over `cpu.cfs_period_us`),
  `memory.limit_in_bytes` (and `memory.memsw.limit_in_bytes` where swap is accounted), and
  `pids.max`. `cpuacct` is joined too when mounted apart, for the CPU figures.
- `cgroups/v2`: the same in the unified hierarchy: `cpu.max`, `cpu.weight`, `memory.max`,
  `pids.max`.
- `posix/cpu,posix/mem`: no kernel enforcement; rlimits (no core dumps) and a watchdog that
  SIGKILLs a task whose process tree's RSS goes over its `mem` (checked every
  `--memory_check_interval`).
- default (`best`): cgroups v2 when its cpu and memory controllers are usable, else v1 when
  its hierarchies are writable, else posix.

Cgroups sit under the hierarchy's root (`/sys/fs/cgroup/memory/mesos-tui/<id>`, like Mesos's
`--cgroups_root`) and are removed when their container ends, after everything left in them
has been SIGKILLed. The supervisor (supervisor.py) joins them before it starts the task.

A task over its memory ends with a `Limitation`: the cgroup's OOM kill counter
(`memory.oom_control`'s `oom_kill` on v1, `memory.events` on v2) or the watchdog says so, and
the message carries the numbers as Mesos's does ("Memory limit exceeded: Requested: 64MB
Maximum Used: 64MB").

`sample` gives a container's CPU time, RSS, process counts and OOM state from its cgroups when
it has them, `None` meaning: measure with psutil. Its `CgroupCounters` open the few counter
files once (v1: `cpuacct.stat`, `memory.stat`, `cgroup.procs`, `tasks`, `memory.oom_control`;
v2: `cpu.stat`, `memory.stat`, `cgroup.procs`, `cgroup.threads`, `memory.events`) and `pread`
them each sample: about a microsecond a file, where opening a cgroup file costs five or six.
The open files are bounded (`COUNTER_FD_SHARE` of the soft `RLIMIT_NOFILE` for all containers);
past that a container's files are opened for each sample instead. `read_usage` is that
open-each-time path. An open counter file does not keep its cgroup from being removed: reads
of a removed cgroup's files fail with ENODEV, and `remove` closes them first anyway.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import resource
import signal
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

MB = 1024 * 1024
CFS_PERIOD_US = 100_000
MIN_CFS_QUOTA_US = 1_000
MIN_SHARES = 2
CGROUP_V1_CONTROLLERS = ("cpu", "cpuacct", "memory", "pids")
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class IsolationError(Exception):
    """`--isolation` asks for something this host cannot do; the message says what."""


@dataclass(slots=True, frozen=True)
class Limits:
    """What one container may use (None: no limit)."""

    cpus: float | None = None
    mem_bytes: int | None = None


@dataclass(slots=True, frozen=True)
class Limitation:
    """Why the isolator ended a container (a TaskStatus reason name and its message)."""

    reason: str
    message: str


@dataclass(slots=True, frozen=True)
class CgroupUsage:
    cpu_user_secs: float
    cpu_system_secs: float
    rss_bytes: int
    mem_total_bytes: int
    processes: int
    threads: int


def memory_message(limit_bytes: int, used_bytes: int) -> str:
    return (
        f"Memory limit exceeded: Requested: {limit_bytes // MB}MB "
        f"Maximum Used: {used_bytes // MB}MB"
    )


# ------------------------------------------------------------------------------ discovery


def cgroup_mounts(mountinfo: str = "/proc/self/mountinfo") -> tuple[dict[str, Path], Path | None]:
    """The v1 hierarchies (controller -> mount point) and the v2 mount point, if any."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    try:
        with open(mountinfo) as f:
            lines = f.read().splitlines()
    except OSError:
        return v1, v2
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        rest = right.split()
        if len(fields) < 5 or len(rest) < 3:
            continue
        mount_point = Path(fields[4].replace("\\040", " "))
        if rest[0] == "cgroup2":
            v2 = v2 or mount_point
        elif rest[0] == "cgroup":
            for option in rest[2].split(","):
                if option in CGROUP_V1_CONTROLLERS:
                    v1.setdefault(option, mount_point)
    return v1, v2


def _writable_dir(path: Path) -> bool:
    try:
        path.mkdir(exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


# ------------------------------------------------------------------------------ isolation


@dataclass(slots=True)
class ContainerCgroups:
    """One container's cgroup directories (one per hierarchy it joined)."""

    version: int
    paths: dict[str, Path]  # controller -> directory; v2: {"unified": dir}
    limits: Limits = field(default_factory=Limits)
    counters: CgroupCounters | None = field(default=None, repr=False, compare=False)
    removed: bool = field(default=False, repr=False, compare=False)  # no counters opened after

    def dirs(self) -> list[Path]:
        return list(dict.fromkeys(self.paths.values()))

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs()]

    def path(self, controller: str) -> Path | None:
        if self.version == 2:
            return self.paths.get("unified")
        return self.paths.get(controller)

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "paths": {k: str(v) for k, v in self.paths.items()},
            "cpus": self.limits.cpus,
            "mem_bytes": self.limits.mem_bytes,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ContainerCgroups:
        paths = data.get("paths") or {}
        assert isinstance(paths, dict)
        cpus = data.get("cpus")
        mem = data.get("mem_bytes")
        return cls(
            version=int(data.get("version") or 1),  # type: ignore[call-overload]
            paths={str(k): Path(str(v)) for k, v in paths.items()},
            limits=Limits(
                float(cpus) if cpus is not None else None,  # type: ignore[arg-type]
                int(mem) if mem is not None else None,  # type: ignore[call-overload]
            ),
        )


# Share of the soft RLIMIT_NOFILE that usage counter files may hold open, over all containers.
COUNTER_FD_SHARE = 0.25


class _FdBudget:
    """How many counter files may be open at once (threads sample and remove concurrently)."""

    def __init__(self) -> None:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        limit = soft if soft != resource.RLIM_INFINITY else 65536
        self.left = int(limit * COUNTER_FD_SHARE)
        self.lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self.lock:
            if self.left < n:
                return False
            self.left -= n
            return True

    def give(self, n: int) -> None:
        with self.lock:
            self.left += n


_BUDGET = _FdBudget()
# Opening a container's counters and removing its cgroups exclude each other (both are rare:
# once per container), so no counter files are opened for cgroups already removed.
_COUNTERS_LOCK = threading.Lock()


class CgroupCounters:
    """One container's usage counter files, opened once and read with `pread` each sample.

    Files that cannot be kept open (over the fd budget) are opened for each read. A lock
    keeps `close` (from the thread that removes the cgroups) from freeing an fd number while a
    sample (another thread) reads it: a reused number would read some other file.
    """

    __slots__ = ("_paths", "_fds", "_lock", "_closed")

    def __init__(self, paths: dict[str, str]) -> None:
        self._paths = paths  # counter name -> file path
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False
        if _BUDGET.take(len(paths)):
            try:
                for name, path in paths.items():
                    self._fds[name] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                self._close_fds()
                _BUDGET.give(len(paths))
                raise

    @property
    def kept_open(self) -> bool:
        return bool(self._fds)

    def read(self) -> dict[str, bytes]:
        """Every counter file's content; OSError when the cgroup is gone."""
        with self._lock:
            if self._closed:
                raise FileNotFoundError(errno.ENOENT, "the container's cgroups were removed")
            if self._fds:
                return {name: os.pread(fd, 8192, 0) for name, fd in self._fds.items()}
        out: dict[str, bytes] = {}
        for name, path in self._paths.items():
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                out[name] = os.read(fd, 8192)
            finally:
                os.close(fd)
        return out

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._fds:
                self._close_fds()
                _BUDGET.give(len(self._paths))

    def _close_fds(self) -> None:
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = {}


def _field(data: bytes, key: bytes) -> int:
    """The value of `key` in a `key value` per line counter file (0 when absent)."""
    at = data.find(key + b" ")
    while at > 0 and data[at - 1] != 10:  # Not at a line start: a longer key ends the same way.
        at = data.find(key + b" ", at + 1)
    if at < 0:
        return 0
    end = data.find(b"\n", at)
    try:
        return int(data[at + len(key) + 1 : end if end >= 0 else None])
    except ValueError:
        return 0


@dataclass(slots=True)
class Isolation:
    """The isolators of one agent (see the module docstring)."""

    name: str = "none"
    cgroup_version: int = 0  # 0: no cgroups
    controllers: tuple[str, ...] = ()  # "cpu", "memory", "pids"
    hierarchies: dict[str, Path] = field(default_factory=dict)  # controller -> mount (v1)
    unified: Path | None = None  # v2 mount
    cgroups_root: str = "mesos-tui"
    enable_cfs: bool = True
    pids_max: int = 0  # 0: no limit
    memory_watchdog: bool = False  # posix/mem
    ulimits: tuple[str, ...] = ()

    @property
    def cgroups(self) -> bool:
        return self.cgroup_version > 0

    def describe(self) -> str:
        if self.cgroup_version == 1:
            joined = sorted({*self.controllers, *self._extra_v1()})
            return f"cgroups/v1 ({','.join(joined)} under {self.cgroups_root}/)"
        if self.cgroup_version == 2:
            return f"cgroups/v2 ({','.join(self.controllers)} under {self.unified}/{self.cgroups_root})"
        if self.memory_watchdog:
            return "posix/cpu,posix/mem (rlimits and a memory watchdog)"
        return self.name

    def _extra_v1(self) -> list[str]:
        return ["cpuacct"] if "cpu" in self.controllers and "cpuacct" in self.hierarchies else []

    # ---------------------------------------------------------------------------- cgroups

    def create(self, container_id: str, limits: Limits) -> ContainerCgroups | None:
        """Make the container's cgroups and set its limits; OSError when the kernel refuses."""
        if not self.cgroups:
            return None
        if self.cgroup_version == 2:
            assert self.unified is not None
            path = self.unified / self.cgroups_root / container_id
            cgroups = ContainerCgroups(2, {"unified": path}, limits)
            path.mkdir()
        else:
            paths: dict[str, Path] = {}
            for controller in (*self.controllers, *self._extra_v1()):
                mount = self.hierarchies[controller]
                paths[controller] = mount / self.cgroups_root / container_id
            cgroups = ContainerCgroups(1, paths, limits)
            for directory in cgroups.dirs():
                directory.mkdir()
        try:
            self._set_limits(cgroups)
        except OSError:
            self.remove(cgroups)
            raise
        return cgroups

    def _set_limits(self, cgroups: ContainerCgroups) -> None:
        limits = cgroups.limits
        cpu = cgroups.path("cpu") if "cpu" in self.controllers else None
        memory = cgroups.path("memory") if "memory" in self.controllers else None
        pids = cgroups.path("pids") if "pids" in self.controllers else None
        if cgroups.version == 1:
            if cpu is not None and limits.cpus:
                _write(cpu / "cpu.shares", max(MIN_SHARES, int(limits.cpus * 1024)))
                if self.enable_cfs:
                    _write(cpu / "cpu.cfs_period_us", CFS_PERIOD_US)
                    quota = max(MIN_CFS_QUOTA_US, int(limits.cpus * CFS_PERIOD_US))
                    _write(cpu / "cpu.cfs_quota_us", quota)
            if memory is not None and limits.mem_bytes:
                _write(memory / "memory.limit_in_bytes", limits.mem_bytes)
                memsw = memory / "memory.memsw.limit_in_bytes"
                if memsw.exists():
                    _write(memsw, limits.mem_bytes)
        else:
            if cpu is not None and limits.cpus:
                _write(cpu / "cpu.weight", min(10_000, max(1, int(limits.cpus * 100))))
                if self.enable_cfs:
                    quota = max(MIN_CFS_QUOTA_US, int(limits.cpus * CFS_PERIOD_US))
                    _write(cpu / "cpu.max", f"{quota} {CFS_PERIOD_US}")
            if memory is not None and limits.mem_bytes:
                _write(memory / "memory.max", limits.mem_bytes)
        if pids is not None and self.pids_max > 0:
            _write(pids / "pids.max", self.pids_max)

    def kill_all(self, cgroups: ContainerCgroups, rounds: int = 20) -> None:
        """SIGKILL every process left in the container's cgroups (forks included)."""
        if cgroups.version == 2:
            path = cgroups.dirs()[0]
            with contextlib.suppress(OSError):
                _write(path / "cgroup.kill", 1)
                return
        for _ in range(rounds):
            pids = procs(cgroups)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def remove(self, cgroups: ContainerCgroups) -> bool:
        """Remove the container's cgroups (empty them first); False if one stays busy."""
        with _COUNTERS_LOCK:
            cgroups.removed = True
            if cgroups.counters is not None:
                cgroups.counters.close()
        self.kill_all(cgroups)
        ok = True
        for directory in cgroups.dirs():
            for attempt in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY or attempt == 49:
                        log.warning("cannot remove cgroup %s: %s", directory, e.strerror)
                        ok = False
                        break
                    self.kill_all(cgroups, rounds=1)
                    time.sleep(0.002)  # A SIGKILLed process takes a moment to leave.
        return ok

    # ---------------------------------------------------------------------------- reading

    def limitation(self, cgroups: ContainerCgroups | None) -> Limitation | None:
        """A memory limitation if the kernel OOM-killed something in the container."""
        if cgroups is None or "memory" not in self.controllers:
            return None
        memory = cgroups.path("memory")
        if memory is None or not cgroups.limits.mem_bytes:
            return None
        limit = cgroups.limits.mem_bytes
        if cgroups.version == 1:
            control = _keyed(memory / "memory.oom_control")
            if "oom_kill" in control:
                hit = control["oom_kill"] > 0
            else:
                hit = control.get("under_oom", 0) > 0  # Kernels before 4.13.
        else:
            hit = _keyed(memory / "memory.events").get("oom_kill", 0) > 0
        if not hit:
            return None
        peak_file = "memory.max_usage_in_bytes" if cgroups.version == 1 else "memory.peak"
        peak = _int(memory / peak_file) or limit
        return Limitation("REASON_CONTAINER_LIMITATION_MEMORY", memory_message(limit, peak))

    def read_usage(self, cgroups: ContainerCgroups | None) -> CgroupUsage | None:
        """The container's usage from its cgroups; None when they cannot say (use psutil)."""
        if cgroups is None:
            return None
        try:
            if cgroups.version == 1:
                acct = cgroups.paths.get("cpuacct")
                memory = cgroups.paths.get("memory")
                if acct is None or memory is None:
                    return None
                ticks = _keyed(acct / "cpuacct.stat")
                stat = _keyed(memory / "memory.stat")
                tasks = _count_lines(memory / "tasks")
                return CgroupUsage(
                    cpu_user_secs=ticks.get("user", 0) / _CLK_TCK,
                    cpu_system_secs=ticks.get("system", 0) / _CLK_TCK,
                    rss_bytes=stat.get("total_rss", stat.get("rss", 0)),
                    mem_total_bytes=_int(memory / "memory.usage_in_bytes"),
                    processes=_count_lines(memory / "cgroup.procs"),
                    threads=tasks,
                )
            path = cgroups.dirs()[0]
            if not (path / "memory.stat").exists():
                return None
            cpu = _keyed(path / "cpu.stat")
            stat = _keyed(path / "memory.stat")
            return CgroupUsage(
                cpu_user_secs=cpu.get("user_usec", 0) / 1e6,
                cpu_system_secs=cpu.get("system_usec", 0) / 1e6,
                rss_bytes=stat.get("anon", 0),
                mem_total_bytes=_int(path / "memory.current"),
                processes=_count_lines(path / "cgroup.procs"),
                threads=_count_lines(path / "cgroup.threads"),
            )
        except OSError:
            return None


    def sample(
        self, cgroups: ContainerCgroups | None
    ) -> tuple[CgroupUsage, Limitation | None] | None:
        """The container's usage and its memory limitation (if the kernel OOM-killed in it),
        from its counter files kept open; None when its cgroups cannot say (use psutil)."""
        if cgroups is None:
            return None
        try:
            counters = cgroups.counters
            if counters is None:
                paths = self._counter_paths(cgroups)
                if paths is None:
                    return None
                with _COUNTERS_LOCK:
                    if cgroups.removed:
                        return None
                    counters = cgroups.counters = CgroupCounters(paths)
            data = counters.read()
        except OSError:
            return None
        oom = data.get("oom")
        if cgroups.version == 1:
            cpu = data["cpu"]
            user = _field(cpu, b"user") / _CLK_TCK
            system = _field(cpu, b"system") / _CLK_TCK
            memory = data["memory"]
            rss = _field(memory, b"total_rss") or _field(memory, b"rss")
            total = rss + (_field(memory, b"total_cache") or _field(memory, b"cache"))
            hit = oom is not None and (
                _field(oom, b"oom_kill") > 0 if b"oom_kill " in oom else _field(oom, b"under_oom") > 0
            )
        else:
            cpu = data["cpu"]
            user = _field(cpu, b"user_usec") / 1e6
            system = _field(cpu, b"system_usec") / 1e6
            memory = data["memory"]
            rss = _field(memory, b"anon")
            total = rss + _field(memory, b"file")
            hit = oom is not None and _field(oom, b"oom_kill") > 0
        usage = CgroupUsage(
            cpu_user_secs=user,
            cpu_system_secs=system,
            rss_bytes=rss,
            mem_total_bytes=total,
            processes=data["procs"].count(b"\n"),
            threads=data["threads"].count(b"\n"),
        )
        # The peak is read (once, by opening it) only when there was an OOM kill.
        return usage, self.limitation(cgroups) if hit else None

    def _counter_paths(self, cgroups: ContainerCgroups) -> dict[str, str] | None:
        """The counter files `sample` reads for `cgroups` (None: they cannot tell usage)."""
        watch_oom = "memory" in self.controllers and bool(cgroups.limits.mem_bytes)
        if cgroups.version == 1:
            acct = cgroups.paths.get("cpuacct")
            memory = cgroups.paths.get("memory")
            if acct is None or memory is None:
                return None
            paths = {
                "cpu": f"{acct}/cpuacct.stat",
                "memory": f"{memory}/memory.stat",
                "procs": f"{memory}/cgroup.procs",
                "threads": f"{memory}/tasks",
            }
            if watch_oom:
                paths["oom"] = f"{memory}/memory.oom_control"
            return paths
        path = cgroups.dirs()[0]
        if not (path / "memory.stat").exists():
            return None
        paths = {
            "cpu": f"{path}/cpu.stat",
            "memory": f"{path}/memory.stat",
            "procs": f"{path}/cgroup.procs",
            "threads": f"{path}/cgroup.threads",
        }
        if watch_oom:
            paths["oom"] = f"{path}/memory.events"
        return paths


def procs(cgroups: ContainerCgroups) -> set[int]:
    found: set[int] = set()
    for directory in cgroups.dirs():
        with contextlib.suppress(OSError):
            found.update(int(x) for x in (directory / "cgroup.procs").read_text().split())
    return found


def _write(path: Path, value: object) -> None:
    with open(path, "w") as f:
        f.write(str(value))


def _int(path: Path) -> int:
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _keyed(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(" ")
                with contextlib.suppress(ValueError):
                    out[key] = int(value)
    except OSError:
        pass
    return out


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return f.read().count(b"\n")


# ------------------------------------------------------------------------------ the flag


V1_NAMES = {"cgroups/cpu": "cpu", "cgroups/mem": "memory", "cgroups/pids": "pids"}
POSIX_NAMES = {"posix/cpu", "posix/mem"}


def parse_isolation(
    flag: str,
    *,
    cgroups_root: str = "mesos-tui",
    enable_cfs: bool = True,
    pids_max: int = 0,
    mounts: tuple[dict[str, Path], Path | None] | None = None,
) -> Isolation:
    """The `Isolation` for `--isolation`; IsolationError when the host cannot give it."""
    names = [n.strip() for n in flag.split(",") if n.strip()] or ["best"]
    v1, v2 = mounts if mounts is not None else cgroup_mounts()
    common = {"cgroups_root": cgroups_root, "enable_cfs": enable_cfs, "pids_max": pids_max}
    unknown = [
        n for n in names
        if n not in ("best", "none", "cgroups/v1", "cgroups/v2", "cgroups/all", *V1_NAMES)
        and n not in POSIX_NAMES
    ]
    if unknown:
        raise IsolationError(
            f"unknown isolator {unknown[0]!r} (known: cgroups/v2, cgroups/v1, cgroups/cpu, "
            "cgroups/mem, cgroups/pids, posix/cpu, posix/mem, none)"
        )
    if names == ["none"]:
        return Isolation(name="none")
    if names == ["best"]:
        for version in (2, 1):
            try:
                return _cgroups(version, ("cpu", "memory", "pids"), v1, v2, common, best=True)
            except IsolationError as e:
                log.debug("cgroups/v%d unusable: %s", version, e)
        return _posix()
    if any(n.startswith("cgroups/") for n in names):
        if "cgroups/v2" in names:
            version = 2
            wanted: tuple[str, ...] = ("cpu", "memory", "pids")
        else:
            version = 1
            if any(n in ("cgroups/v1", "cgroups/all") for n in names):
                wanted = ("cpu", "memory", "pids")
            else:
                wanted = tuple(V1_NAMES[n] for n in names if n in V1_NAMES)
        isolation = _cgroups(version, wanted, v1, v2, common, best=False)
        if "posix/mem" in names and "memory" not in isolation.controllers:
            isolation.memory_watchdog = True
        return isolation
    return _posix()


def _posix() -> Isolation:
    return Isolation(name="posix/cpu,posix/mem", memory_watchdog=True, ulimits=("c=0",))


def _cgroups(
    version: int,
    wanted: Iterable[str],
    v1: dict[str, Path],
    v2: Path | None,
    common: dict[str, object],
    best: bool,
) -> Isolation:
    wanted = tuple(wanted)
    root = str(common["cgroups_root"])
    if version == 2:
        if v2 is None:
            raise IsolationError("cgroups/v2: no cgroup2 hierarchy is mounted")
        try:
            available = (v2 / "cgroup.controllers").read_text().split()
        except OSError as e:
            raise IsolationError(f"cgroups/v2: cannot read {v2}/cgroup.controllers: {e}") from None
        required = ("cpu", "memory")
        missing = [c for c in required if c not in available]
        if missing:
            raise IsolationError(
                f"cgroups/v2: the hierarchy at {v2} has no {' or '.join(missing)} controller"
            )
        controllers = tuple(c for c in wanted if c in available)
        top = v2 / root
        try:
            enable = " ".join(f"+{c}" for c in controllers)
            _write(v2 / "cgroup.subtree_control", enable)
            top.mkdir(exist_ok=True)
            _write(top / "cgroup.subtree_control", enable)
        except OSError as e:
            raise IsolationError(f"cgroups/v2: cannot delegate controllers under {top}: {e}") from None
        return Isolation(
            name="cgroups/v2", cgroup_version=2, controllers=controllers, unified=v2,
            **common,  # type: ignore[arg-type]
        )
    controllers = []
    for controller in wanted:
        mount = v1.get(controller)
        if mount is None:
            if best and controller == "pids":
                continue  # An old kernel without the pids controller: do without.
            raise IsolationError(f"cgroups/v1: no {controller} hierarchy is mounted")
        if not _writable_dir(mount / root):
            raise IsolationError(f"cgroups/v1: cannot create {mount / root} (need root?)")
        controllers.append(controller)
    if "cpu" in controllers and "cpuacct" in v1 and v1["cpuacct"] != v1["cpu"]:
        if not _writable_dir(v1["cpuacct"] / root):
            raise IsolationError(f"cgroups/v1: cannot create {v1['cpuacct'] / root}")
    return Isolation(
        name="cgroups/v1", cgroup_version=1, controllers=tuple(controllers),
        hierarchies=dict(v1), **common,  # type: ignore[arg-type]
    )
