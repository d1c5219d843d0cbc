"""The containerizer: runs each task under a supervisor, in its cgroups, in a Mesos sandbox.

A container is one command task. `launch` makes its sandbox
`<work_dir>/slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>/` (with `stdout`,
`stderr` and the `runs/latest` link), creates its cgroups with their limits (isolation.py),
and spawns the task's supervisor (supervisor.py), which joins the cgroups, starts the task in
a new session and holds its exit status. The agent reads the task's pid from the supervisor
(one short blocking read of a pipe, about a millisecond) and checkpoints both pids with their
start times. `kill` sends SIGTERM to the task's process group, waits a grace period, then
SIGKILLs it. `usage` reads each container's cgroups, or samples its process tree with psutil.

Exits are noticed without a thread per task: a pidfd on the task (`os.pidfd_open`, which works
for processes that are not our children) is watched by the event loop; when it turns readable
the task is a zombie held by its supervisor, and its exact wait status is read from
`/proc/<pid>/stat`, checkpointed, and only then is the supervisor (and whatever is left in the
cgroups) killed and the cgroups removed, in a worker thread. Where pidfds are missing, tasks
are polled instead.

`recover` re-attaches to the containers of a previous run of the agent (found in the
checkpoint): a task still running is watched again; a task that ended while the agent was
down is a zombie whose status is read at once; a task whose supervisor went away with it has
an unknown status (`ExitStatus.lost`). A pid is trusted only with its recorded start time and
boot id, so a reused pid is never taken for the task.

With `posix/mem` a watchdog reads each task tree's RSS every `memory_check_interval` and
SIGKILLs a task over its memory; under cgroups the kernel does that and the exit (or the next
usage sample) finds the OOM kill in the cgroup's counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import select
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from daemons.agent.checkpoint import Checkpoint
from daemons.agent.isolation import (
    ContainerCgroups,
    Isolation,
    Limitation,
    Limits,
    memory_message,
)
from daemons.agent.monitor import ProcessStats, ProcessTreeSampler, tree_rss
from daemons.agent.supervisor import (
    EXIT_CGROUP,
    EXIT_RLIMIT,
    boot_id,
    same_process,
    start_time,
    supervisor_argv,
)
from daemons.agent.users import TaskUser, switch_argv

log = logging.getLogger(__name__)

# What a task inherits from the agent's own environment; everything else it is given explicitly.
INHERITED_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TERM",
)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_POLL_INTERVAL = 0.1  # Only without pidfds.


_PID_READ_TIMEOUT = 10.0  # The supervisor writes the task's pid within a millisecond or so.


class LaunchError(Exception):
    """A container could not be started (bad command, sandbox error); the message says why."""


@dataclass(slots=True)
class LaunchSpec:
    """What to run, in plain Python: converted from a TaskInfo by the agent."""

    agent_id: str
    framework_id: str
    executor_id: str
    task_id: str
    command: str
    shell: bool = True
    arguments: Sequence[str] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    ports: Sequence[int] = ()
    limits: Limits = field(default_factory=Limits)
    container_id: str | None = None  # Chosen by the caller (to checkpoint first), else a uuid.
    run_dir: Path | None = None  # Where to checkpoint the container (None: not checkpointed).
    user: TaskUser | None = None  # Who the task runs as (users.py); None: the agent's user.


@dataclass(slots=True, frozen=True)
class ExitStatus:
    """How a container's main process ended."""

    exit_code: int | None  # Set when it exited.
    signal: int | None  # Set when a signal ended it.
    killed: bool  # True when it ended after we were asked to kill it.
    limitation: Limitation | None = None  # The isolator ended it (over its memory).
    lost: bool = False  # Nobody could tell how it ended (its supervisor was gone).

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.limitation is None and not self.lost

    @property
    def message(self) -> str:
        if self.limitation is not None:
            return self.limitation.message
        if self.lost:
            return "Command's exit status is unknown: its supervisor ended before it"
        if self.signal is not None:
            return f"Command terminated with signal {signal_name(self.signal)}"
        return f"Command exited with status {self.exit_code}"

    @classmethod
    def from_wait_status(
        cls, status: int, killed: bool, limitation: Limitation | None = None
    ) -> ExitStatus:
        if os.WIFSIGNALED(status):
            return cls(None, os.WTERMSIG(status), killed, limitation)
        return cls(os.waitstatus_to_exitcode(status), None, killed, limitation)

    @classmethod
    def unknown(cls, killed: bool, limitation: Limitation | None = None) -> ExitStatus:
        return cls(None, None, killed, limitation, lost=True)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


ExitCallback = Callable[["Container", ExitStatus], None]


@dataclass(slots=True, eq=False)
class Container:
    """One running (or just ended) task, its supervisor, cgroups and sandbox."""

    container_id: str
    spec: LaunchSpec
    sandbox: Path
    pid: int  # The task: leader of its own session and process group.
    started_at: float
    supervisor_pid: int | None = None
    pid_start: int | None = None  # Start times (clock ticks after boot) of both.
    supervisor_start: int | None = None
    cgroups: ContainerCgroups | None = None
    process: subprocess.Popen[bytes] | None = None  # The supervisor, when we spawned it.
    recovered: bool = False
    exit_status: ExitStatus | None = None
    kill_requested: bool = False
    limitation: Limitation | None = None
    # The task is released (its supervisor is `sleep` and sent it "go"). A signal asked for
    # before waits for that: the supervisor's shell would reap a task that died earlier, and
    # its exit status would be lost.
    released: bool = False
    deferred_signal: int | None = None
    _pidfd: int | None = None
    _kill_timer: asyncio.TimerHandle | None = None
    _on_exit: ExitCallback | None = None
    _waiters: list[asyncio.Future[ExitStatus]] = field(default_factory=list)

    def checkpoint_data(self) -> dict[str, object]:
        return {
            "container_id": self.container_id,
            "sandbox": str(self.sandbox),
            "pid": self.pid,
            "pid_start": self.pid_start,
            "supervisor_pid": self.supervisor_pid,
            "supervisor_start": self.supervisor_start,
            "boot_id": boot_id(),
            "started_at": self.started_at,
            "cgroups": self.cgroups.to_json() if self.cgroups is not None else None,
        }


def sandbox_path(
    work_dir: Path, agent_id: str, framework_id: str, executor_id: str, container_id: str
) -> Path:
    """Mesos's sandbox layout."""
    return (
        work_dir
        / "slaves"
        / agent_id
        / "frameworks"
        / framework_id
        / "executors"
        / executor_id
        / "runs"
        / container_id
    )


def _check_id(kind: str, value: str) -> None:
    if not value or value in (".", "..") or "/" in value or "\0" in value:
        raise LaunchError(f"bad {kind} {value!r}: it cannot be used in a sandbox path")


class Containerizer:
    """Launches, kills, watches, measures and recovers task containers."""

    def __init__(
        self,
        work_dir: str | os.PathLike[str],
        isolation: Isolation | None = None,
        memory_check_interval: float = 0.1,
    ) -> None:
        self.work_dir = Path(work_dir).resolve()
        self.isolation = isolation or Isolation()
        self.memory_check_interval = max(0.005, memory_check_interval)
        self._containers: dict[str, Container] = {}
        self._sampler = ProcessTreeSampler()
        self._use_pidfd = hasattr(os, "pidfd_open")
        self._watchdog: asyncio.TimerHandle | None = None
        self._cleanups: set[asyncio.Future[None]] = set()
        if signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:
            # Inherited by the supervisors, it would make them reap (and lose) task statuses.
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    # ---------------------------------------------------------------------------- queries

    def get(self, container_id: str) -> Container | None:
        return self._containers.get(container_id)

    def containers(self) -> list[Container]:
        return list(self._containers.values())

    # ---------------------------------------------------------------------------- launch

    def launch(self, spec: LaunchSpec, on_exit: ExitCallback | None = None) -> Container:
        """Start `spec` in a fresh sandbox; raises LaunchError. `on_exit` is called once."""
        loop = asyncio.get_running_loop()
        for kind, value in (
            ("agent id", spec.agent_id),
            ("framework id", spec.framework_id),
            ("executor id", spec.executor_id),
        ):
            _check_id(kind, value)
        if not spec.command and not spec.arguments:
            raise LaunchError("the task has no command to run")
        container_id = spec.container_id or str(uuid.uuid4())
        _check_id("container id", container_id)
        sandbox = sandbox_path(
            self.work_dir, spec.agent_id, spec.framework_id, spec.executor_id, container_id
        )
        env = self._environment(spec, sandbox, container_id)
        if spec.shell:
            argv: list[str] = ["/bin/sh", "-c", spec.command]
        else:
            executable = spec.command or list(spec.arguments)[0]
            found = shutil.which(executable, path=env.get("PATH")) if "/" not in executable else (
                executable if os.access(executable, os.X_OK) and os.path.isfile(executable) else None
            )
            if found is None:
                raise LaunchError(f"cannot run {executable!r}: No such file or directory")
            argv = [executable, *list(spec.arguments)[1:]]
        if spec.user is not None:
            argv = switch_argv(spec.user, argv)
            env.update(spec.user.env())
        try:
            sandbox.mkdir(parents=True)
            _point_latest(sandbox)
            (sandbox / "stdout").touch()
            (sandbox / "stderr").touch()
            if spec.user is not None and spec.user.switch:
                # Mesos chowns the sandbox to the task's user: it is theirs to write in.
                for path in (sandbox, sandbox / "stdout", sandbox / "stderr"):
                    os.chown(path, spec.user.uid, spec.user.gid, follow_symlinks=False)
            stderr = open(sandbox / "stderr", "ab")  # noqa: SIM115 - closed right after spawn
        except OSError as e:
            raise LaunchError(f"cannot create the sandbox {sandbox}: {e.strerror or e}") from None
        try:
            cgroups = self.isolation.create(container_id, spec.limits)
        except OSError as e:
            stderr.close()
            raise LaunchError(f"cannot create the container's cgroups: {e.strerror or e}") from None
        procs = cgroups.procs_files() if cgroups is not None else []
        read_end, write_end = os.pipe()
        go_read, go_write = os.pipe()
        try:
            process = subprocess.Popen(
                supervisor_argv(procs, list(self.isolation.ulimits), argv),
                stdin=go_read,
                stdout=write_end,
                stderr=stderr,
                cwd=sandbox,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        except (OSError, ValueError, TypeError) as e:
            os.close(read_end)
            os.close(go_write)
            if cgroups is not None:
                self.isolation.remove(cgroups)
            what = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise LaunchError(f"cannot start the task's supervisor: {what}") from None
        finally:
            os.close(write_end)
            os.close(go_read)
            stderr.close()
        pid = _read_pid(read_end)
        if pid is None:
            os.close(read_end)
            os.close(go_write)
            try:
                code = process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
            if cgroups is not None:
                self.isolation.remove(cgroups)
            why = {
                EXIT_CGROUP: "it could not join the container's cgroups",
                EXIT_RLIMIT: "it could not set the container's rlimits",
            }.get(code, f"it exited with status {code}")
            raise LaunchError(f"the task's supervisor failed: {why} (see the sandbox's stderr)")
        container = Container(
            container_id=container_id,
            spec=spec,
            sandbox=sandbox,
            pid=pid,
            started_at=time.time(),
            supervisor_pid=process.pid,
            pid_start=start_time(pid),
            supervisor_start=start_time(process.pid),
            cgroups=cgroups,
            process=process,
            _on_exit=on_exit,
        )
        if spec.run_dir is not None:
            try:
                Checkpoint.write_container(spec.run_dir, container.checkpoint_data())
            except OSError as e:
                log.error("cannot checkpoint container %s: %s", container_id, e.strerror or e)
        self._containers[container_id] = container
        loop.add_reader(read_end, self._supervisor_ready, loop, container, read_end, go_write, 0)
        self._watch(loop, container)
        self._arm_watchdog(loop)
        return container

    def _supervisor_ready(
        self,
        loop: asyncio.AbstractEventLoop,
        container: Container,
        read_end: int,
        go_write: int,
        tries: int,
    ) -> None:
        """Let the task run once its supervisor has become `sleep` (which never reaps)."""
        if tries == 0:
            try:
                more = os.read(read_end, 64)
            except BlockingIOError:
                return
            if more:
                return  # Not EOF yet: the supervisor is still the shell.
            loop.remove_reader(read_end)
            os.close(read_end)
        exe = _comm(container.supervisor_pid or 0)
        if exe == "dash" and tries < 1000 and container.exit_status is None:
            loop.call_later(0.0005, self._supervisor_ready, loop, container, -1, go_write, tries + 1)
            return
        container.released = True
        if container.deferred_signal is not None:
            _signal_group(container.pid, container.deferred_signal)
        with contextlib.suppress(OSError):
            os.write(go_write, b"\n")
        os.close(go_write)

    def _environment(self, spec: LaunchSpec, sandbox: Path, container_id: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in INHERITED_ENV or k.startswith("LC_")}
        env.setdefault("PATH", DEFAULT_PATH)
        env.update(spec.environment)
        env.update(
            MESOS_SANDBOX=str(sandbox),
            MESOS_DIRECTORY=str(sandbox),
            MESOS_AGENT_ID=spec.agent_id,
            MESOS_SLAVE_ID=spec.agent_id,
            MESOS_FRAMEWORK_ID=spec.framework_id,
            MESOS_EXECUTOR_ID=spec.executor_id,
            MESOS_CONTAINER_ID=container_id,
        )
        if spec.task_id:  # Not for a custom executor, which runs many tasks.
            env["MESOS_TASK_ID"] = spec.task_id
        for i, port in enumerate(spec.ports):
            env[f"PORT{i}"] = str(port)
        if spec.ports:
            env["PORT"] = str(spec.ports[0])
            env["PORTS"] = ",".join(str(p) for p in spec.ports)
        return env

    # ---------------------------------------------------------------------------- recovery

    def recover(
        self,
        spec: LaunchSpec,
        saved: Mapping[str, object],
        on_exit: ExitCallback | None = None,
        exit_wait_status: int | None = None,
        ended: bool = False,
    ) -> Container:
        """Re-attach to a container of a previous agent run (`saved`: its container.json).

        `ended` with `exit_wait_status`: its status was already checkpointed. Else a live task
        is watched again, and a task that is gone without a zombie is reported `lost`. In
        every case `on_exit` comes later, from the event loop, never from inside this call.
        """
        loop = asyncio.get_running_loop()
        container_id = str(saved.get("container_id") or spec.container_id)
        cgroups_data = saved.get("cgroups")
        container = Container(
            container_id=container_id,
            spec=spec,
            sandbox=Path(str(saved.get("sandbox") or "")),
            pid=int(saved.get("pid") or 0),  # type: ignore[call-overload]
            started_at=float(saved.get("started_at") or time.time()),  # type: ignore[arg-type]
            supervisor_pid=_opt_int(saved.get("supervisor_pid")),
            pid_start=_opt_int(saved.get("pid_start")),
            supervisor_start=_opt_int(saved.get("supervisor_start")),
            cgroups=ContainerCgroups.from_json(cgroups_data)  # type: ignore[arg-type]
            if isinstance(cgroups_data, dict)
            else None,
            recovered=True,
            _on_exit=on_exit,
        )
        self._containers[container_id] = container
        same_boot = saved.get("boot_id") == boot_id()
        alive = (
            same_boot
            and container.pid > 0
            and same_process(container.pid, container.pid_start) is not None
        )
        if ended:
            status = (
                ExitStatus.from_wait_status(exit_wait_status, False)
                if exit_wait_status is not None
                else ExitStatus.unknown(False)
            )
            loop.call_soon(self._finish, container, status)
        elif not alive:
            loop.call_soon(self._finish, container, ExitStatus.unknown(False))
        else:
            self._watch(loop, container)
            self._arm_watchdog(loop)
        return container

    def destroy(self, container: Container) -> None:
        """SIGKILL the task's whole process group now (recovery with --recover=cleanup)."""
        container.kill_requested = True
        _signal_group(container.pid, signal.SIGKILL)

    # ---------------------------------------------------------------------------- exits

    def _watch(self, loop: asyncio.AbstractEventLoop, container: Container) -> None:
        if self._use_pidfd:
            try:
                container._pidfd = os.pidfd_open(container.pid)
            except ProcessLookupError:
                loop.call_soon(self._reap, container)
                return
            except OSError as e:
                if e.errno not in (errno.ENOSYS, errno.EPERM):
                    raise
                self._use_pidfd = False
            else:
                loop.add_reader(container._pidfd, self._reap, container)
                return
        loop.call_later(_POLL_INTERVAL, self._poll, loop, container)

    def _poll(self, loop: asyncio.AbstractEventLoop, container: Container) -> None:
        if container.exit_status is None and not self._reap(container):
            loop.call_later(_POLL_INTERVAL, self._poll, loop, container)

    def _reap(self, container: Container) -> bool:
        """Collect the exit of `container` if it ended; True when it did."""
        if container.exit_status is not None:
            return True
        stat = same_process(container.pid, container.pid_start)
        if stat is not None and stat.state not in ("Z", "X"):
            return False  # Still running (a poll, or a spurious wakeup).
        limitation = container.limitation or self.isolation.limitation(container.cgroups)
        if stat is None or stat.state == "X":
            # Reaped by someone else: its supervisor was gone. The status is lost.
            status = ExitStatus.unknown(container.kill_requested, limitation)
        else:
            status = ExitStatus.from_wait_status(
                stat.exit_code, container.kill_requested, limitation
            )
        self._finish(container, status)
        return True

    def _finish(self, container: Container, exit_status: ExitStatus) -> None:
        if container.exit_status is not None:
            return
        if container._pidfd is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(container._pidfd)
            os.close(container._pidfd)
            container._pidfd = None
        if container._kill_timer is not None:
            container._kill_timer.cancel()
            container._kill_timer = None
        container.exit_status = exit_status
        if container.spec.run_dir is not None:
            wait_status = _wait_status(exit_status)
            try:
                Checkpoint.write_exit_status(container.spec.run_dir, wait_status)
            except OSError as e:
                log.error("cannot checkpoint the exit of %s: %s", container.container_id, e)
        # The status is safe: now the supervisor, and whatever the task left behind, can go.
        _signal_group(container.pid, signal.SIGKILL)
        self._release(container)
        if container.process is not None:
            container.process.returncode = container.process.returncode or 0
        self._containers.pop(container.container_id, None)
        self._sampler.forget(container.container_id)
        for waiter in container._waiters:
            if not waiter.done():
                waiter.set_result(exit_status)
        container._waiters.clear()
        if container._on_exit is not None:
            try:
                container._on_exit(container, exit_status)
            except Exception:
                log.error("handling the exit of container %s failed", container.container_id)
                log.debug("exit callback error", exc_info=True)

    def _release(self, container: Container) -> None:
        """Kill the supervisor and remove the cgroups, off the event loop."""
        supervisor = container.supervisor_pid
        if supervisor is not None and (
            container.process is not None
            or same_process(supervisor, container.supervisor_start) is not None
        ):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(supervisor, signal.SIGKILL)
        process = container.process
        cgroups = container.cgroups
        if process is None and cgroups is None:
            return

        def release() -> None:
            if process is not None:
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(process.pid, 0)
            if cgroups is not None:
                self.isolation.remove(cgroups)

        future = asyncio.get_running_loop().run_in_executor(None, release)
        self._cleanups.add(future)
        future.add_done_callback(self._cleanups.discard)

    async def drain(self) -> None:
        """Wait for pending cleanups (supervisors reaped, cgroups removed)."""
        while self._cleanups:
            await asyncio.gather(*list(self._cleanups), return_exceptions=True)

    async def wait(self, container: Container) -> ExitStatus:
        """The exit status of `container`, once it has ended."""
        if container.exit_status is not None:
            return container.exit_status
        future: asyncio.Future[ExitStatus] = asyncio.get_running_loop().create_future()
        container._waiters.append(future)
        return await asyncio.shield(future)

    # ---------------------------------------------------------------------------- kill

    def kill(self, container: Container, grace_period: float) -> None:
        """SIGTERM the container's process group, then SIGKILL it after `grace_period` s."""
        if container.exit_status is not None or container.kill_requested:
            return
        container.kill_requested = True
        _signal_container(container, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        container._kill_timer = loop.call_later(
            max(0.0, grace_period), _signal_container, container, signal.SIGKILL
        )

    def limit(self, container: Container, limitation: Limitation) -> None:
        """The isolator ends `container`: it broke a limit."""
        if container.exit_status is not None or container.limitation is not None:
            return
        log.info("container %s: %s; killing it", container.container_id, limitation.message)
        container.limitation = limitation
        _signal_container(container, signal.SIGKILL)

    # ---------------------------------------------------------------------------- watchdog

    def _arm_watchdog(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.isolation.memory_watchdog and self._watchdog is None:
            self._watchdog = loop.call_later(self.memory_check_interval, self._check_memory, loop)

    def _check_memory(self, loop: asyncio.AbstractEventLoop) -> None:
        """posix/mem: SIGKILL a task whose process tree's RSS is over its `mem`."""
        self._watchdog = None
        watched = False
        for container in list(self._containers.values()):
            limit = container.spec.limits.mem_bytes
            if not limit or container.exit_status is not None or container.limitation:
                continue
            watched = True
            rss = tree_rss(container.pid)
            if rss > limit:
                self.limit(
                    container,
                    Limitation("REASON_CONTAINER_LIMITATION_MEMORY", memory_message(limit, rss)),
                )
        if watched:
            self._arm_watchdog(loop)

    # ---------------------------------------------------------------------------- usage

    async def usage(self) -> dict[str, ProcessStats]:
        """Per running container, its statistics (read off the loop)."""
        containers = {c.container_id: c for c in self._containers.values()}
        if not containers:
            return {}
        stats = await asyncio.to_thread(self._sample, containers)
        for container_id, container in containers.items():
            if container_id not in self._containers:
                self._sampler.forget(container_id)  # It ended while we sampled.
                continue
            limitation = stats.pop(f"limit:{container_id}", None)
            if isinstance(limitation, Limitation):
                self.limit(container, limitation)
        return {k: v for k, v in stats.items() if isinstance(v, ProcessStats)}

    def _sample(self, containers: Mapping[str, Container]) -> dict[str, object]:
        out: dict[str, object] = {}
        by_tree: dict[str, int] = {}
        for container_id, container in containers.items():
            cgroups = container.cgroups
            usage = self.isolation.read_usage(cgroups)
            if usage is None:
                by_tree[container_id] = container.pid
                continue
            supervisor = 1 if container.supervisor_pid else 0  # It sits in the cgroup too.
            out[container_id] = self._sampler.from_totals(
                container_id,
                usage.cpu_user_secs,
                usage.cpu_system_secs,
                usage.rss_bytes,
                max(0, usage.processes - supervisor),
                max(0, usage.threads - supervisor),
            )
            limitation = self.isolation.limitation(cgroups)
            if limitation is not None:
                out[f"limit:{container_id}"] = limitation
        if by_tree:
            out.update(self._sampler.sample(by_tree))
        return out

    def close(self) -> None:
        """Stop watching (the agent is stopping); the processes keep running."""
        loop = asyncio.get_running_loop()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for container in self._containers.values():
            if container._pidfd is not None:
                loop.remove_reader(container._pidfd)
                os.close(container._pidfd)
                container._pidfd = None
            if container._kill_timer is not None:
                container._kill_timer.cancel()
            if container.process is not None:
                # Tell subprocess not to fuss about a child it will never wait for.
                container.process.returncode = 0


def _comm(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def _read_pid(fd: int) -> int | None:
    """The task pid the supervisor writes first on its stdout, or None if it wrote none."""
    data = b""
    deadline = time.monotonic() + _PID_READ_TIMEOUT
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 64)
        if not chunk:
            break
        data += chunk
    try:
        return int(data.split(b"\n", 1)[0])
    except ValueError:
        return None


def _wait_status(status: ExitStatus) -> int | None:
    if status.lost:
        return None
    if status.signal is not None:
        return status.signal & 0x7F
    return ((status.exit_code or 0) & 0xFF) << 8


def _opt_int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None


def _point_latest(sandbox: Path) -> None:
    """Make `runs/latest` point to this run, replacing the link atomically."""
    latest = sandbox.parent / "latest"
    temporary = sandbox.parent / f".latest-{sandbox.name}"
    os.symlink(sandbox.name, temporary)
    os.replace(temporary, latest)


def _signal_container(container: Container, sig: int) -> None:
    """Signal the task now, or once its supervisor has released it (see Container.released).
    SIGKILL asked for later wins over an earlier SIGTERM."""
    if container.released or container.recovered:
        _signal_group(container.pid, sig)
    elif container.deferred_signal != signal.SIGKILL:
        container.deferred_signal = sig


def _signal_group(pgid: int, sig: int) -> None:
    """Signal the task's process group, and the task itself: the supervisor reports the pid
    right after its fork, so the task may not have called setsid() (made the group) yet."""
    if pgid <= 0:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pgid, sig)
