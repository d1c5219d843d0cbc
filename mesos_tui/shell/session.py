"""A shell session: the cluster as the operator stream tells it, the shell's framework, and the
session's settings (default filter, whether commands wait for their effect).

One `ShellSession` backs a REPL, a `-c` run, a piped script, or the TUI's `:` bar. It keeps a
`ClusterMirror` current from the operator event stream (its own `OperatorClient`, or the TUI's
mirror and client when attached to them), so every command reads the same live picture and
completion costs no round trip. Commands that must see their effect (a `-c "kill t1 -y"` that
exits once the task is dead) await it on that stream: `wait_for(predicate)` is woken by each
event, never by a timer.

The command-queue framework (`mesos_tui.frameworks.queue`) starts on the first `launch`. It
subscribes again as the framework an earlier shell left failing over (same name and user, not
connected), so tasks launched by an earlier `-c` run are this session's tasks too.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from mesos_tui.client.mirror import (
    TERMINAL_STATES,
    AgentView,
    ClusterMirror,
    FrameworkView,
    TaskView,
    short_id,
)
from mesos_tui.client.operator import (
    CONNECTED,
    RECONNECTING,
    CallResult,
    ConnectionStatus,
    OperatorClient,
)
from mesos_tui.client.sources import operator_source
from mesos_tui.frameworks.queue import (
    DEFAULT_FAILOVER_TIMEOUT,
    FRAMEWORK_NAME,
    CommandQueue,
)
from mesos_tui.shell.errors import CommandError, ambiguous
from mesos_tui.shell.filters import TaskFilter, task_values

log = logging.getLogger(__name__)

DEFAULT_MASTER = "127.0.0.1:5050"
CONNECT_TIMEOUT = 10.0

EventListener = Callable[[Any], None]
LineListener = Callable[[str], None]


class TaskKiller(Protocol):
    """Who sends KILL_TASK: the session's `OperatorClient`, or the TUI's control (which
    tests fake)."""

    async def kill_task(self, task_id: str, framework_id: str | None = None) -> CallResult: ...


def default_master() -> str:
    return os.environ.get("MESOS_MASTER") or DEFAULT_MASTER


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or "root"


class ShellSession:
    """The state one shell (or the TUI's command bar) works with."""

    def __init__(
        self,
        master: str = "",
        *,
        mirror: ClusterMirror | None = None,
        operator: OperatorClient | None = None,
        control: TaskKiller | None = None,
        interactive: bool = False,
        wait: bool = False,
        failover_timeout: float = DEFAULT_FAILOVER_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.master = master
        self.interactive = interactive
        self.wait = wait  # commands wait for their effect (-c and piped mode)
        self.failover_timeout = failover_timeout
        self.connect_timeout = connect_timeout
        self.stop_timeout = 1.0  # how long close() waits for the framework's driver to stop
        self.default_filter: TaskFilter | None = None
        # Why commands must not change the cluster (a replay), or None.
        self.read_only: str | None = None
        self.owns_stream = mirror is None
        self.mirror = mirror if mirror is not None else ClusterMirror()
        self.operator = operator
        self.control = control  # kills go here when set (the TUI's), else to `operator`
        self.queue: CommandQueue | None = None
        self.status_listeners: list[LineListener] = []  # our tasks' state changes, as lines
        self.event_listeners: list[EventListener] = []  # every operator event
        # One line when the master becomes unreachable (and why), one when it is back.
        self.connection_listeners: list[LineListener] = []
        self._trouble: str | None = None  # what the last "unreachable" line said
        self._gave_up: str | None = None  # a script's session gave up reaching the master
        self._stream_task: asyncio.Task[None] | None = None
        self._tick = asyncio.Event()
        self._queue_lock = asyncio.Lock()
        self._status: ConnectionStatus | None = None

    # -------------------------------------------------------------------------- connection

    def start(self) -> None:
        """Start following the master's event stream in the background (idempotent)."""
        if not self.owns_stream or self._stream_task is not None:
            return
        if not self.master:
            return
        if self.operator is None:
            self.operator = operator_source(
                self.master, on_event=self._on_event, on_status=self._on_status
            )
        self._stream_task = asyncio.create_task(self.operator.run(), name="shell-operator")

    async def ensure_ready(self, timeout: float | None = None) -> None:
        """Wait until the mirror holds the master's snapshot; a CommandError if it cannot."""
        if self.mirror.subscribed:
            return
        if not self.master and self.operator is None:
            raise CommandError("no master to talk to: start the shell with --master host:port")
        if not self.owns_stream:
            raise CommandError(f"not connected to the master yet ({self.connection_text})")
        self.start()
        if self._gave_up is not None and not self.interactive:
            # A script already waited its --connect_timeout: its next lines fail at once
            # (still checked against a connection made meanwhile, above).
            raise CommandError(self._gave_up)
        patience = timeout or self.connect_timeout

        def permanent() -> bool:
            return self._status is not None and self._status.permanent

        try:
            await self.wait_for(
                lambda: self.mirror.subscribed or permanent(),
                patience if patience > 0 else None,
            )
        except TimeoutError:
            self._gave_up = (
                f"cannot reach the master at {self.master}: {self.problem or 'no answer'} "
                f"(gave up after {patience:g}s; --connect_timeout sets how long)"
            )
            raise CommandError(self._gave_up) from None
        if not self.mirror.subscribed:
            self._gave_up = self.problem or f"{self.master} is not a Mesos master"
            raise CommandError(self._gave_up)

    @property
    def problem(self) -> str | None:
        """Why the session is not connected, in one line (None when it is)."""
        if self.operator is not None:
            return self.operator.problem
        return None

    @property
    def killer(self) -> TaskKiller | None:
        """What kills tasks: the control given, else the operator client."""
        return self.control if self.control is not None else self.operator

    @property
    def connected(self) -> bool:
        if self.operator is not None:
            return self.operator.status.phase == CONNECTED
        return self.mirror.subscribed

    @property
    def connection_text(self) -> str:
        if self.operator is not None:
            return self.operator.status.text
        return "connected" if self.mirror.subscribed else f"not connected to {self.master}"

    def _on_status(self, status: ConnectionStatus) -> None:
        self._status = status
        if status.phase == CONNECTED and self._trouble is not None:
            self._trouble = None
            self._say_connection(f"connected to the master at {status.address}")
        elif status.phase == RECONNECTING and self._trouble is None and status.failing:
            self._trouble = status.detail
            self._say_connection(
                f"cannot reach the master at {self.master}: {status.detail}; "
                "retrying in the background (the toolbar shows the state)"
            )
        self._wake()

    def _say_connection(self, line: str) -> None:
        for listener in list(self.connection_listeners):
            try:
                listener(line)
            except Exception:
                log.exception("connection listener failed")

    def _on_event(self, event: Any) -> None:
        self.mirror.apply(event)
        for listener in list(self.event_listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed")
        self._wake()

    def notify(self) -> None:
        """For a session attached to someone else's mirror: call after applying events, so
        that waits see them."""
        self._wake()

    def _wake(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> None:
        """Until `predicate()` holds, re-checked after every event. Raises TimeoutError."""

        async def loop() -> None:
            while not predicate():
                await self._tick.wait()

        await asyncio.wait_for(loop(), timeout)

    async def close(self) -> None:
        """Leave: the framework fails over (its tasks keep running), the stream stops."""
        if self.queue is not None:
            with contextlib.suppress(Exception):
                await self.queue.stop(failover=True, timeout=self.stop_timeout)
        if self.owns_stream and self.operator is not None:
            self.operator.stop()
            if self._stream_task is not None:
                self._stream_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._stream_task
            await self.operator.close()

    # -------------------------------------------------------------------------- framework

    async def framework(self) -> CommandQueue:
        """The shell's command-queue framework, subscribed (started on first use)."""
        if self.read_only:
            raise CommandError(f"not launched: {self.read_only}")
        async with self._queue_lock:
            q = self.queue
            if q is not None and q.driver is not None and not q.driver.stopped:
                return q
            if not self.master:
                raise CommandError("no master to launch on: start the shell with --master")
            master = self.scheduler_master()
            q = CommandQueue()
            q.listeners.append(self._on_task_status)
            reuse = self.reusable_framework_id()
            try:
                await q.start(
                    master, framework_id=reuse, failover_timeout=self.failover_timeout
                )
            except Exception as e:
                raise CommandError(f"the shell's framework could not subscribe: {e}") from None
            self.queue = q
            return q

    def scheduler_master(self) -> str:
        """Where the shell's framework subscribes: the master's own address. Our scheduler
        driver speaks gRPC, which only a mesos-tui master serves (on its HTTP port): over
        http:// or zk:// it is used only when the master showed it is one (an Apache Mesos
        master is watched, not launched on)."""
        master = self.master
        if not master.lower().startswith(("http://", "https://", "zk://")):
            return master
        operator = self.operator
        if operator is not None and self.mirror.subscribed and not getattr(
                operator, "streams_extensions", True):
            raise CommandError(
                "not launched: this shell reaches this master over its operator HTTP API, "
                "which cannot launch tasks (a framework does, through the scheduler API); "
                "launch with a Mesos framework, or run the shell on a mesos-tui master")
        if master.lower().startswith("zk://"):
            return master  # the driver finds the leader in ZooKeeper itself
        return master.split("://", 1)[1].split("/", 1)[0]

    def reusable_framework_id(self) -> str | None:
        """An earlier shell's framework that is failing over (same name, same user)."""
        user = _user()
        found = [
            fw for fw in self.mirror.frameworks.values()
            if fw.name == FRAMEWORK_NAME and not fw.completed and not fw.connected
            and (not fw.user or fw.user == user)
        ]
        if not found:
            return None
        found.sort(key=lambda fw: (fw.tasks, fw.registered))
        return found[-1].id

    @property
    def framework_id(self) -> str | None:
        return self.queue.framework_id if self.queue is not None else None

    def _on_task_status(self, status: Any) -> None:
        if not self.status_listeners:
            return
        from daemons.proto import mesos_pb2

        tid = status.task_id.value
        state = mesos_pb2.TaskState.Name(status.state)
        where = self.mirror.agent_hostname(status.agent_id.value) if status.agent_id.value else ""
        text = f"{tid} {state}" + (f" on {where}" if where else "")
        if status.HasField("reason") and status.state in TERMINAL_STATES:
            text += f" ({mesos_pb2.TaskStatus.Reason.Name(status.reason)})"
        if status.message and status.state in TERMINAL_STATES:
            text += f": {status.message}"
        for listener in list(self.status_listeners):
            listener(text)

    # -------------------------------------------------------------------------- lookups

    def values(self, task: TaskView) -> dict[str, list[str]]:
        return task_values(task, self.mirror.agents, self.mirror.frameworks)

    def tasks(
        self, flt: TaskFilter | None = None, include_terminal: bool = False,
        use_default: bool = True,
    ) -> list[TaskView]:
        """Tasks matching the session's default filter and `flt`, oldest first."""
        combined = self.default_filter if use_default else None
        if flt is not None:
            combined = flt.and_(combined) if combined is not None else flt
        everything = include_terminal or (combined is not None and combined.mentions("state"))
        out = []
        for t in list(self.mirror.tasks.values()):
            if not everything and t.state in TERMINAL_STATES:
                continue
            if combined is not None and combined and not combined.match(self.values(t)):
                continue
            out.append(t)
        out.sort(key=lambda t: (t.started, t.id))
        return out

    def find_tasks(self, word: str, *, active_only: bool = True) -> list[TaskView]:
        """Tasks `word` names: an exact id, then an exact name, then a unique id prefix.
        Empty when nothing matches; CommandError when a prefix is ambiguous."""
        pool = [
            t for t in list(self.mirror.tasks.values())
            if not active_only or t.state not in TERMINAL_STATES
        ]
        exact = [t for t in pool if t.id == word]
        if exact:
            return exact
        named = [t for t in pool if t.name == word]
        if named:
            return named
        ids = sorted({t.id for t in pool if t.id.startswith(word)})
        if len(ids) > 1:
            raise CommandError(ambiguous(word, ids))
        return [t for t in pool if ids and t.id == ids[0]]

    def find_task(self, word: str) -> TaskView:
        """One task by id, name or unique id prefix; active tasks first, then finished ones."""
        for active_only in (True, False):
            found = self.find_tasks(word, active_only=active_only)
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                found.sort(key=lambda t: t.started)
                if active_only:
                    names = [f"{t.id} ({self.mirror.framework_name(t.framework_id)})" for t in found]
                    raise CommandError(ambiguous(word, names))
                return found[-1]  # the latest of finished tasks of that name
        raise CommandError(f"no task {word!r} (see tasks --all)")

    def find_agent(self, word: str) -> AgentView:
        agents = list(self.mirror.agents.values())
        for match in (
            lambda a: a.id == word,
            lambda a: a.hostname == word,
            lambda a: a.id.startswith(word),
            lambda a: a.hostname.startswith(word),
        ):
            hits = [a for a in agents if match(a)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise CommandError(ambiguous(word, [f"{a.hostname} ({a.id})" for a in hits], "agent"))
        known = ", ".join(sorted(a.hostname or a.id for a in agents)[:5]) or "none registered"
        raise CommandError(f"no agent {word!r} (agents: {known})")

    def framework_of(self, task: TaskView) -> FrameworkView | None:
        return self.mirror.frameworks.get(task.framework_id)

    def agent_address(self, agent_id: str) -> str:
        """Where an agent serves its Files API: the `ip:port` of its pid `slave(1)@ip:port`,
        else its hostname and port."""
        agent = self.mirror.agents.get(agent_id)
        if agent is None:
            raise CommandError(f"agent {short_id(agent_id)} is not registered")
        if agent.pid and "@" in agent.pid:
            return agent.pid.split("@", 1)[1]
        return agent.files_address

    # -------------------------------------------------------------------------- completion

    def task_ids(self) -> list[tuple[str, str]]:
        tasks = sorted(self.mirror.tasks.values(), key=lambda t: t.state in TERMINAL_STATES)
        return [(t.id, f"{t.name} {t.state_name}") for t in tasks]

    def task_names(self) -> list[str]:
        return [t.name for t in self.mirror.tasks.values() if t.name]

    def agent_names(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for a in self.mirror.agents.values():
            if a.hostname:
                out.append((a.hostname, short_id(a.id)))
            out.append((a.id, a.hostname))
        return out

    def framework_names(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for f in self.mirror.frameworks.values():
            if f.name:
                out.append((f.name, short_id(f.id)))
        return list(dict.fromkeys(out))

    # -------------------------------------------------------------------------- toolbar

    def toolbar(self) -> str:
        parts = [self.connection_text]
        if self.mirror.subscribed:
            c = self.mirror.counts()  # what the TUI's header counts
            parts.append(f"{c.agents} agents, {c.tasks_active} active tasks")
        if self.queue is not None and self.queue.driver is not None:
            q = self.queue
            state = "subscribed" if q.connected else "reconnecting"
            fid = short_id(q.framework_id or "")
            parts.append(f"framework {fid} {state}" + (f", {len(q.pending)} queued" if q.pending else ""))
        if self.default_filter:
            parts.append(f"filter: {self.default_filter.text}")
        return " | ".join(parts)


# ------------------------------------------------------------------------------ sessions

_SESSIONS: dict[str, ShellSession] = {}
_DETACHED: ShellSession | None = None


def session_for(context: Any) -> ShellSession:
    """The session for a `run(line, context)` call:

    - a `ShellSession`: itself;
    - an object with a `shell_session` attribute holding one: that;
    - a master address (str), or an object with `master` (and optionally `mirror` and
      `operator`/`client`, which the session then shares): one session per master, kept;
    - None: a session without a cluster (help works; cluster commands say what is missing).
    """
    global _DETACHED
    if isinstance(context, ShellSession):
        return context
    if context is not None:
        attached = getattr(context, "shell_session", None)
        if isinstance(attached, ShellSession):
            return attached
        master = context if isinstance(context, str) else getattr(context, "master", None)
        if isinstance(master, str) and master:
            session = _SESSIONS.get(master)
            if session is None:
                mirror = getattr(context, "mirror", None)
                operator = getattr(context, "operator", None) or getattr(context, "client", None)
                session = ShellSession(
                    master,
                    mirror=mirror if isinstance(mirror, ClusterMirror) else None,
                    operator=operator if isinstance(operator, OperatorClient) else None,
                    interactive=True,
                )
                _SESSIONS[master] = session
            return session
    if _DETACHED is None:
        _DETACHED = ShellSession("")
    return _DETACHED


def age(seconds_since_epoch: float, now: float | None = None) -> str:
    """`3s`, `5m`, `2h`, `4d`."""
    if not seconds_since_epoch:
        return "-"
    d = max(0.0, (now or time.time()) - seconds_since_epoch)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if d >= size:
            return f"{int(d // size)}{unit}"
    return f"{int(d)}s"


def names(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    return ", ".join(items[:limit]) + (f", ... ({len(items)} in all)" if len(items) > limit else "")
