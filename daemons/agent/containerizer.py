"""The containerizer: runs each task as a real process group in a Mesos-layout sandbox.

A container is one command task. `launch` makes its sandbox
`<work_dir>/slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>/` (with `stdout`,
`stderr` and the `runs/latest` link), starts the command in a new session (so it leads its own
process group), and calls back once when the process exits. `kill` sends SIGTERM to the group,
waits a grace period, then SIGKILLs it. `usage` samples each container's process tree.

Exits are noticed without a thread per child: a pidfd (`os.pidfd_open`, Linux >= 5.3) is
watched by the event loop and the child reaped with `waitpid(WNOHANG)` when it turns readable;
where pidfds are missing, live children are polled instead. Isolators (cgroups) and recovery
of containers across agent restarts will plug in behind this same interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from daemons.agent.monitor import ProcessStats, ProcessTreeSampler

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


@dataclass(slots=True, frozen=True)
class ExitStatus:
    """How a container's main process ended."""

    exit_code: int | None  # Set when it exited.
    signal: int | None  # Set when a signal ended it.
    killed: bool  # True when it ended after we were asked to kill it.

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0

    @property
    def message(self) -> str:
        if self.signal is not None:
            return f"Command terminated with signal {signal_name(self.signal)}"
        return f"Command exited with status {self.exit_code}"

    @classmethod
    def from_wait_status(cls, status: int, killed: bool) -> ExitStatus:
        if os.WIFSIGNALED(status):
            return cls(exit_code=None, signal=os.WTERMSIG(status), killed=killed)
        return cls(exit_code=os.waitstatus_to_exitcode(status), signal=None, killed=killed)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


ExitCallback = Callable[["Container", ExitStatus], None]


@dataclass(slots=True, eq=False)
class Container:
    """One running (or just ended) task process and its sandbox."""

    container_id: str
    spec: LaunchSpec
    sandbox: Path
    pid: int
    started_at: float
    process: subprocess.Popen[bytes] | None = None
    exit_status: ExitStatus | None = None
    kill_requested: bool = False
    _pidfd: int | None = None
    _kill_timer: asyncio.TimerHandle | None = None
    _on_exit: ExitCallback | None = None
    _waiters: list[asyncio.Future[ExitStatus]] = field(default_factory=list)


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
    """Launches, kills, watches and measures task containers (plain POSIX process groups)."""

    def __init__(self, work_dir: str | os.PathLike[str]) -> None:
        self.work_dir = Path(work_dir).resolve()
        self._containers: dict[str, Container] = {}
        self._sampler = ProcessTreeSampler()
        self._use_pidfd = hasattr(os, "pidfd_open")

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
        container_id = str(uuid.uuid4())
        sandbox = sandbox_path(
            self.work_dir, spec.agent_id, spec.framework_id, spec.executor_id, container_id
        )
        try:
            sandbox.mkdir(parents=True)
            _point_latest(sandbox)
            stdout = open(sandbox / "stdout", "ab")  # noqa: SIM115 - closed right after spawn
        except OSError as e:
            raise LaunchError(f"cannot create the sandbox {sandbox}: {e.strerror or e}") from None
        try:
            stderr = open(sandbox / "stderr", "ab")  # noqa: SIM115
        except OSError as e:
            stdout.close()
            raise LaunchError(f"cannot create the sandbox {sandbox}: {e.strerror or e}") from None
        env = self._environment(spec, sandbox, container_id)
        if spec.shell:
            argv: list[str] = ["/bin/sh", "-c", spec.command]
            executable = "/bin/sh"
        else:
            argv = list(spec.arguments) or [spec.command]
            executable = spec.command or argv[0]
        try:
            process = subprocess.Popen(
                argv,
                executable=executable,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=sandbox,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as e:
            what = e.strerror or str(e)
            raise LaunchError(f"cannot run {executable!r}: {what}") from None
        except (ValueError, TypeError) as e:
            raise LaunchError(f"cannot run {executable!r}: {e}") from None
        finally:
            stdout.close()
            stderr.close()
        container = Container(
            container_id=container_id,
            spec=spec,
            sandbox=sandbox,
            pid=process.pid,
            started_at=time.time(),
            process=process,
            _on_exit=on_exit,
        )
        self._containers[container_id] = container
        self._watch(loop, container)
        return container

    def _environment(self, spec: LaunchSpec, sandbox: Path, container_id: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in INHERITED_ENV or k.startswith("LC_")}
        env.setdefault("PATH", DEFAULT_PATH)
        env.update(spec.environment)
        env.update(
            MESOS_SANDBOX=str(sandbox),
            MESOS_DIRECTORY=str(sandbox),
            MESOS_TASK_ID=spec.task_id,
            MESOS_AGENT_ID=spec.agent_id,
            MESOS_SLAVE_ID=spec.agent_id,
            MESOS_FRAMEWORK_ID=spec.framework_id,
            MESOS_EXECUTOR_ID=spec.executor_id,
            MESOS_CONTAINER_ID=container_id,
        )
        for i, port in enumerate(spec.ports):
            env[f"PORT{i}"] = str(port)
        if spec.ports:
            env["PORT"] = str(spec.ports[0])
            env["PORTS"] = ",".join(str(p) for p in spec.ports)
        return env

    # ---------------------------------------------------------------------------- exits

    def _watch(self, loop: asyncio.AbstractEventLoop, container: Container) -> None:
        if self._use_pidfd:
            try:
                container._pidfd = os.pidfd_open(container.pid)
            except OSError as e:
                if e.errno not in (errno.ENOSYS, errno.EPERM):
                    raise
                self._use_pidfd = False
            else:
                loop.add_reader(container._pidfd, self._reap, container)
                return
        loop.call_later(_POLL_INTERVAL, self._poll, loop, container)

    def _poll(self, loop: asyncio.AbstractEventLoop, container: Container) -> None:
        if not self._reap(container):
            loop.call_later(_POLL_INTERVAL, self._poll, loop, container)

    def _reap(self, container: Container) -> bool:
        """Collect the exit of `container` if it ended; True when it did."""
        try:
            pid, status = os.waitpid(container.pid, os.WNOHANG)
        except ChildProcessError:
            # Somebody else reaped it; we cannot know how it ended.
            pid, status = container.pid, 255 << 8
        if pid == 0:
            return False
        if container._pidfd is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(container._pidfd)
            os.close(container._pidfd)
            container._pidfd = None
        if container._kill_timer is not None:
            container._kill_timer.cancel()
            container._kill_timer = None
        # Whatever the task left behind in its process group goes with it.
        _signal_group(container.pid, signal.SIGKILL)
        exit_status = ExitStatus.from_wait_status(status, container.kill_requested)
        container.exit_status = exit_status
        if container.process is not None:
            container.process.returncode = os.waitstatus_to_exitcode(status)
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
        return True

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
        _signal_group(container.pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        container._kill_timer = loop.call_later(
            max(0.0, grace_period), _signal_group, container.pid, signal.SIGKILL
        )

    # ---------------------------------------------------------------------------- usage

    async def usage(self) -> dict[str, ProcessStats]:
        """Per running container, its process tree's statistics (sampled off the loop)."""
        roots = {c.container_id: c.pid for c in self._containers.values()}
        if not roots:
            return {}
        stats = await asyncio.to_thread(self._sampler.sample, roots)
        for container_id in roots:
            if container_id not in self._containers:
                self._sampler.forget(container_id)  # It ended while we sampled.
        return stats

    def close(self) -> None:
        """Stop watching (the agent is stopping); the processes keep running."""
        loop = asyncio.get_running_loop()
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


def _point_latest(sandbox: Path) -> None:
    """Make `runs/latest` point to this run, replacing the link atomically."""
    latest = sandbox.parent / "latest"
    temporary = sandbox.parent / f".latest-{sandbox.name}"
    os.symlink(sandbox.name, temporary)
    os.replace(temporary, latest)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
