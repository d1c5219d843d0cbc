"""The shell's commands, registered into `mesos_tui.shell.registry.REGISTRY`.

Each command reads the session's mirror of the cluster (kept by the operator event stream),
acts through the operator API (KILL_TASK) or the shell's command-queue framework (launch),
and writes plain text: tables with a header and columns separated by two spaces, no colour,
states spelled as Mesos spells them (`TASK_RUNNING`).

In a session that waits (`-c` and piped input), `launch` returns once its tasks are running
(or have failed) and `kill` once its tasks are dead; in the REPL and the TUI they return at
once and the state changes arrive as they happen.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import re
import shlex
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

from daemons.common.resources import ResourceError, Resources
from mesos_tui.client.files import AgentFiles, LogSourceError
from mesos_tui.client.mirror import TERMINAL_STATES, Scalars, TaskView, short_id
from mesos_tui.frameworks.queue import LaunchRequest
from mesos_tui.shell.filters import FilterError, TaskFilter
from mesos_tui.shell.registry import (
    AGENT,
    BOOL,
    COMMAND_LINE,
    COMMAND_NAME,
    FILTER,
    FLOAT,
    FRAMEWORK,
    INT,
    REGISTRY,
    STR,
    TASK,
    TASK_OR_FILTER,
    Arg,
    Args,
    CommandContext,
    CommandError,
    CommandResult,
    Confirmation,
    Flag,
    UsageError,
    command,
)
from mesos_tui.shell.session import ShellSession, age, names

DEFAULT_CPUS = 0.1
DEFAULT_MEM = 32.0
LAUNCH_TIMEOUT = 60.0
KILL_TIMEOUT = 20.0
QUIET_EVENTS = frozenset({"AGENT_USAGE", "ALLOCATION", "HEARTBEAT", "AGENT_UPDATED"})
_NAME_OK = re.compile(r"[^A-Za-z0-9_.-]+")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain columns: left-aligned, two spaces apart, the last column unpadded."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        parts = [c.ljust(widths[i]) for i, c in enumerate(r[:-1])] + [r[-1]]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _num(value: float) -> str:
    return f"{value:g}"


def _state(state_name: str) -> str:
    return "TASK_" + state_name.upper()


def _session(ctx: CommandContext) -> ShellSession:
    return ctx.session


def _parse_filter(words: Sequence[str]) -> TaskFilter | None:
    if not words:
        return None
    try:
        return TaskFilter.from_words(words)
    except FilterError as e:
        raise CommandError(str(e)) from None


# ------------------------------------------------------------------------------ launch


@command(
    "launch",
    aliases=("run",),
    help="launch a command as task(s) under the shell's framework",
    flags=[
        Flag(None, "--name", STR, "task name (default: the command's first word)", metavar="N"),
        Flag(None, "--cpus", FLOAT, f"cpus per task (default {DEFAULT_CPUS:g})", DEFAULT_CPUS, "C"),
        Flag(None, "--mem", FLOAT, f"memory per task in MB (default {DEFAULT_MEM:g})", DEFAULT_MEM, "M"),
        Flag(None, "--disk", FLOAT, "disk per task in MB (default none)", 0.0, "D"),
        Flag(None, "--count", INT, "launch K tasks named NAME-1..NAME-K", 1, "K"),
        Flag(None, "--agent", AGENT, "run only on this agent (id, id prefix or hostname)", metavar="A"),
        Flag(None, "--timeout", FLOAT, f"seconds -c waits for RUNNING (default {LAUNCH_TIMEOUT:g})",
             LAUNCH_TIMEOUT, "S"),
    ],
    args=[Arg("command", COMMAND_LINE, help="the shell command the task runs")],
    details="The task id is its name, or the name plus a short suffix when a task of the "
    "shell's\nframework already uses that id. Example: launch --name web --count 3 -- sleep 600",
)
async def launch(ctx: CommandContext, args: Args) -> CommandResult | None:
    s = _session(ctx)
    if args.count < 1:
        raise UsageError("launch: --count must be at least 1")
    if args.count > 1000:
        raise UsageError("launch: --count is at most 1000 at a time")
    if args.cpus <= 0 or args.mem <= 0 or args.disk < 0:
        raise UsageError("launch: --cpus and --mem must be more than 0, --disk not negative")
    text = f"cpus:{_num(args.cpus)};mem:{_num(args.mem)}" + (
        f";disk:{_num(args.disk)}" if args.disk else ""
    )
    try:
        resources = Resources.parse(text)
    except ResourceError as e:
        raise UsageError(f"launch: bad resources {text}: {e}") from None
    name = args.name if args.name is not None else _default_name(args.command)
    if not name or "/" in name or len(name) > 200:
        raise UsageError("launch: --name must be 1-200 characters without '/'")

    agent_id = None
    if args.agent:
        agent = s.find_agent(args.agent)
        agent_id = agent.id
        candidates = [agent]
    else:
        candidates = [a for a in s.mirror.agents.values() if a.active]
    fits = [
        a for a in candidates
        if a.total.cpus >= args.cpus and a.total.mem >= args.mem and a.total.disk >= args.disk
    ]
    if not fits:
        biggest = max(candidates, key=lambda a: (a.total.cpus, a.total.mem), default=None)
        where = (
            f"largest: {biggest.hostname} cpus:{_num(biggest.total.cpus)};"
            f"mem:{_num(biggest.total.mem)};disk:{_num(biggest.total.disk)}"
            if biggest else "no agent is registered"
        )
        raise CommandError(f"launch: no agent can ever hold {text} ({where})")

    q = await s.framework()
    taken = {t.id for t in s.mirror.tasks.values() if t.framework_id == q.framework_id}
    taken |= {tid for tid, rec in q.tasks.items()}
    task_names = [name] if args.count == 1 else [f"{name}-{i}" for i in range(1, args.count + 1)]
    requests = []
    for n in task_names:
        tid = n
        while tid in taken:
            tid = f"{n}.{uuid.uuid4().hex[:4]}"
        taken.add(tid)
        requests.append(LaunchRequest(tid, n, args.command, resources, agent_id))
    ids = q.submit(requests)
    if q.framework_id:
        for tid in ids:
            s.mirror.note_command(q.framework_id, tid, args.command)  # for `command:` filters

    if not s.wait:
        where = f" on {s.mirror.agent_hostname(agent_id)}" if agent_id else ""
        ctx.print(f"queued {names(ids)} ({text}{where})")
        return None
    try:
        records = await q.wait(ids, timeout=args.timeout)
        timed_out = False
    except TimeoutError:
        records = {tid: q.tasks[tid] for tid in ids if tid in q.tasks}
        timed_out = True
    rows, problems = [], []
    for tid in ids:
        rec = records.get(tid)
        if rec is None:
            continue
        host = s.mirror.agent_hostname(rec.agent_id) if rec.agent_id else "-"
        rows.append((tid, rec.name, rec.state_name, host))
        if rec.queued:
            q.cancel(tid)
            problems.append(f"{tid} not launched: no offer fit it within {args.timeout:g}s")
        elif rec.state_name not in ("TASK_RUNNING", "TASK_FINISHED"):
            detail = rec.message or rec.reason
            if rec.terminal:
                problems.append(f"{tid} {rec.state_name}" + (f": {detail}" if detail else ""))
            elif timed_out:
                problems.append(f"{tid} still {rec.state_name} after {args.timeout:g}s")
    if q.error:
        problems.append(f"the framework was refused: {q.error}")
    ctx.print(table(("ID", "NAME", "STATE", "AGENT"), rows))
    if problems:
        return CommandResult.error("launch: " + "; ".join(problems))
    return None


def _default_name(command_line: str) -> str:
    first = command_line.split()[0] if command_line.split() else "task"
    base = first.rsplit("/", 1)[-1]
    return _NAME_OK.sub("", base) or "task"


# ------------------------------------------------------------------------------ kill


@command(
    "kill",
    help="kill tasks by ids, id prefixes, names or a filter (asks before a filter or name "
    "kills more than one)",
    flags=[Flag("-y", "--yes", BOOL, "kill more than one task without asking")],
    args=[Arg("target", TASK_OR_FILTER, many=True, help="ID, NAME or FILTER")],
    details="Words that each name one task (an id, a unique id prefix or a name) kill those\n"
    "tasks, as in: kill a-1 a-2. Anything else is a filter (see help tasks), as in:\n"
    "kill name:^web- state:running -y. A filter, or a name several tasks share, asks before\n"
    "killing more than one. Kills go through the master's operator API, so any task can be "
    "killed.",
)
async def kill(ctx: CommandContext, args: Args) -> CommandResult | None:
    s = _session(ctx)
    words: list[str] = args.target
    victims, named = _kill_targets(s, words)
    what = " ".join(words)
    if not victims:
        raise CommandError(f"kill: no active task matches {what!r} (see tasks)")
    ids = [t.id for t in victims]
    if len(victims) > 1 and not args.yes and not named:
        return CommandResult(
            ok=False,
            text=f"kill: needs confirmation: {len(victims)} tasks match {what!r} "
            f"({names(ids)}); add -y to kill them without asking",
            confirm=Confirmation(
                prompt=f"Kill {len(victims)} tasks ({names(ids)})?",
                line=f"{ctx.line.strip()} -y",
                count=len(victims),
                items=ids,
            ),
        )
    killer = s.killer
    if killer is None:
        raise CommandError("kill: not connected to a master")
    problems = []
    sent: list[TaskView] = []
    for t in victims:
        result = await killer.kill_task(t.id, t.framework_id)
        if result.ok:
            sent.append(t)
        else:
            problems.append(f"{t.id}: {result.message}")
    if sent and s.wait:
        keys = [t.key for t in sent]

        def dead() -> bool:
            return all(
                (task := s.mirror.tasks.get(k)) is None or task.state in TERMINAL_STATES
                for k in keys
            )

        try:
            await s.wait_for(dead, KILL_TIMEOUT)
        except TimeoutError:
            pass
        rows = []
        for t in sent:
            now = s.mirror.tasks.get(t.key, t)
            rows.append((now.id, now.name, _state(now.state_name)))
            if now.state not in TERMINAL_STATES:
                problems.append(f"{now.id} still {_state(now.state_name)} after {KILL_TIMEOUT:g}s")
        ctx.print(table(("ID", "NAME", "STATE"), rows))
    elif sent:
        ctx.print(f"kill sent: {names(t.id for t in sent)}")
    if problems:
        return CommandResult.error("kill: " + "; ".join(problems))
    return None


def _kill_targets(s: ShellSession, words: Sequence[str]) -> tuple[list[TaskView], bool]:
    """The tasks `words` name, and whether each word named exactly one of them (a list the
    person spelled out: no confirmation needed)."""
    if words and all(_plain(w) for w in words):
        found = [s.find_tasks(w, active_only=True) for w in words]
        if all(found):
            victims = list({t.key: t for group in found for t in group}.values())
            return victims, len(words) > 1 and all(len(group) == 1 for group in found)
        missing = [w for w, group in zip(words, found, strict=True) if not group]
    else:
        missing = []
    flt = _parse_filter(words)
    matched = s.tasks(flt, use_default=False) if flt is not None else []
    if not matched and missing and len(missing) < len(words):
        # Some words name tasks and the rest name none (nor do they work as a filter): say
        # which, rather than "no task matches" the whole line.
        raise CommandError(f"kill: no active task {names(repr(w) for w in missing)} (see tasks)")
    return matched, False


def _plain(word: str) -> bool:
    """A word that may be a task id or name (not a filter with fields or negation)."""
    return not word.startswith("!") and not re.match(r"[A-Za-z_]+:", word)


@command(
    "teardown",
    help="tear a framework down: the master removes it and kills all its tasks (asks first)",
    flags=[Flag("-y", "--yes", BOOL, "tear down without asking")],
    args=[Arg("framework", FRAMEWORK, help="its id, a unique id prefix, or its name")],
    details="Mesos's operator TEARDOWN call, which every Mesos master has (where a single\n"
    "task cannot be killed by an operator, as on Apache Mesos, this is the operator's way).",
)
async def teardown(ctx: CommandContext, args: Args) -> CommandResult | None:
    s = _session(ctx)
    word: str = args.framework
    live = [f for f in s.mirror.frameworks.values() if not f.completed]
    for match in (lambda f: f.id == word, lambda f: f.name == word,
                  lambda f: f.id.startswith(word)):
        found = [f for f in live if match(f)]
        if found:
            break
    if not found:
        raise CommandError(f"teardown: no registered framework {word!r} (see frameworks)")
    if len(found) > 1:
        raise CommandError(f"teardown: {word!r} names {len(found)} frameworks "
                           f"({names(f'{f.name} {f.id}' for f in found)}); give its id")
    fw = found[0]
    label = f"{fw.name or short_id(fw.id)} ({fw.id})"
    if not args.yes:
        return CommandResult(
            ok=False,
            text=f"teardown: needs confirmation: {label} and its {fw.tasks} active tasks; "
            "add -y to tear it down without asking",
            confirm=Confirmation(prompt=f"Tear down {label}? Its {fw.tasks} tasks are killed.",
                                 line=f"{ctx.line.strip()} -y", count=1, items=[label]),
        )
    if s.read_only:
        raise CommandError(f"teardown: not sent: {s.read_only}")
    sender = getattr(s.killer, "teardown", None)
    if sender is None:
        raise CommandError("teardown: not connected to a master")
    result = await sender(fw.id)
    if not result.ok:
        raise CommandError(f"teardown: {result.message}")
    ctx.print(f"teardown sent: {label}")
    return None


# ------------------------------------------------------------------------------ views

_FILTER_HELP = (
    "FILTER: words that must all match. A word is a case-insensitive regular expression\n"
    "searched in the id, name, state, agent and framework; field:regex searches one field\n"
    "(state: name: agent: framework: id: role: reason: command:); !word negates a word,\n"
    "and a lone ! first negates the whole filter. Example: tasks state:running !name:^tmp"
)


@command(
    "tasks",
    aliases=("ls", "ps"),
    help="list active tasks (matching FILTER and the session's default filter)",
    flags=[Flag("-a", "--all", BOOL, "include finished, failed and killed tasks")],
    args=[Arg("filter", FILTER, required=False, many=True)],
    details=_FILTER_HELP + "\nA filter on state: (as in state:killed) includes finished tasks.",
)
async def tasks(ctx: CommandContext, args: Args) -> None:
    s = _session(ctx)
    flt = _parse_filter(args.filter)
    rows = []
    for t in s.tasks(flt, include_terminal=args.all):
        rows.append((
            t.id, t.name, _state(t.state_name), s.mirror.agent_hostname(t.agent_id),
            s.mirror.framework_name(t.framework_id), _num(t.cpus), _num(t.mem),
        ))
    ctx.print(table(("ID", "NAME", "STATE", "AGENT", "FRAMEWORK", "CPUS", "MEM"), rows))


def _res(s: Scalars, disk: bool = False) -> str:
    """Figures in Mesos's resource syntax: `cpus:0.2;mem:64` (disk only where asked)."""
    text = f"cpus:{_num(s.cpus)};mem:{_num(s.mem)}"
    return text + f";disk:{_num(s.disk)}" if disk else text


def _used(cpus: float, mem: float, measured: bool) -> str:
    return f"cpus:{_num(round(cpus, 3))};mem:{mem:.0f}" if measured else "-"


_FIGURES_HELP = (
    "ALLOCATED is what the non-terminal tasks hold (Mesos's used_resources), OFFERED what\n"
    "outstanding offers hold, USED what the tasks' containers were measured using (- before\n"
    "the first measurement). The TUI's views show the same figures."
)


@command(
    "agents",
    help="list agents: tasks, allocated, offered, measured use and total resources",
    details=_FIGURES_HELP + " An agent's USED is its own tasks', never its host's.",
)
async def agents(ctx: CommandContext, args: Args) -> None:
    s = _session(ctx)
    rows = []
    for a in sorted(s.mirror.agents.values(), key=lambda a: (a.hostname, a.id)):
        rows.append((
            a.id, a.hostname, a.state, a.tasks, _res(a.allocated, disk=True),
            _res(a.offered, disk=True), _used(a.used_cpus, a.used_mem, a.has_usage),
            _res(a.total, disk=True), s.agent_address(a.id),
        ))
    ctx.print(table(("ID", "HOSTNAME", "STATE", "TASKS", "ALLOCATED", "OFFERED", "USED", "TOTAL",
                     "ADDRESS"), rows))


@command(
    "frameworks",
    aliases=("fw",),
    help="list frameworks: tasks, allocated, offered and measured use",
    flags=[Flag("-a", "--all", BOOL, "include completed (torn down) frameworks")],
    details=_FIGURES_HELP,
)
async def frameworks(ctx: CommandContext, args: Args) -> None:
    s = _session(ctx)
    rows = []
    for f in sorted(s.mirror.frameworks.values(), key=lambda f: (f.registered, f.id)):
        if f.completed and not args.all:
            continue
        rows.append((
            f.id, f.name, f.state, f.role, f.tasks, _res(f.allocated), _res(f.offered),
            _used(f.used_cpus, f.used_mem, f.has_usage),
        ))
    ctx.print(table(("ID", "NAME", "STATE", "ROLE", "TASKS", "ALLOCATED", "OFFERED", "USED"),
                    rows))


@command(
    "offers",
    help="list outstanding offers (--recent: the latest offers and how each ended)",
    flags=[Flag(None, "--recent", INT, "show the last N offers with their outcome", 0, "N")],
)
async def offers(ctx: CommandContext, args: Args) -> None:
    s = _session(ctx)
    now = time.time()
    if args.recent:
        recs = list(s.mirror.timeline)[-args.recent:]
        rows = [
            (short_id(o.id), s.mirror.framework_name(o.framework_id), o.hostname,
             o.resources_text, o.outcome, o.detail, age(o.sent, now))
            for o in recs
        ]
        ctx.print(table(("ID", "FRAMEWORK", "AGENT", "RESOURCES", "OUTCOME", "DETAIL", "AGE"), rows))
        return
    rows = [
        (o.id, s.mirror.framework_name(o.framework_id), o.hostname, o.resources_text,
         age(o.sent, now))
        for o in sorted(s.mirror.offers.values(), key=lambda o: o.sent)
    ]
    ctx.print(table(("ID", "FRAMEWORK", "AGENT", "RESOURCES", "AGE"), rows))


# ------------------------------------------------------------------------------ logs


@command(
    "logs",
    aliases=("log",),
    help="print a task's stdout (or --stderr); --follow keeps printing as it grows",
    flags=[
        Flag("-f", "--follow", BOOL, "keep printing as the file grows, until the task ends "
             "(Ctrl+C stops)"),
        Flag(None, "--stderr", BOOL, "stderr instead of stdout"),
        Flag(None, "--tail", INT, "only the last N lines", 0, "N"),
    ],
    args=[Arg("task", TASK, help="task id (a unique prefix will do) or name")],
)
async def logs(ctx: CommandContext, args: Args) -> None:
    s = _session(ctx)
    task = s.find_task(args.task)
    if args.follow and not ctx.streaming:
        raise CommandError("logs --follow: open the task's log view to follow it here")
    address = s.agent_address(task.agent_id)
    which = "stderr" if args.stderr else "stdout"
    if getattr(s.operator, "transport", "grpc") == "http":  # any Mesos agent: /files/read
        from mesos_tui.client.files_http import HttpAgentFiles

        files: Any = HttpAgentFiles(address)
    else:
        files = AgentFiles(address)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    try:
        path = await files.resolve_sandbox(
            task.agent_id, task.framework_id, task.executor_id, task.id, which
        )
        offset = 0
        chunks: list[str] = []
        while True:  # what is there now
            reply = await files.read(path, offset)
            if not reply.data:
                break
            chunks.append(decoder.decode(reply.data))
            offset = reply.offset + len(reply.data)
            if offset >= reply.size:
                break
        text = "".join(chunks)
        if args.tail:
            text = "".join(text.splitlines(keepends=True)[-args.tail:])
        if text:
            ctx.out(text)
        if args.follow:
            await _follow_until_ended(
                ctx, s, task, files, path, offset, decoder, which, not text or text.endswith("\n")
            )
        elif text and not text.endswith("\n"):
            ctx.out("\n")
    except LogSourceError as e:
        raise CommandError(f"logs: {e}") from None
    finally:
        await files.close()


async def _follow_until_ended(
    ctx: CommandContext, s: ShellSession, task: TaskView, files: AgentFiles, path: str,
    offset: int, decoder: codecs.IncrementalDecoder, which: str, at_line_start: bool,
) -> None:
    """Print the file as it grows while the task runs; once it has ended (it may have
    already), print what is left, and say that the log is complete."""

    def current() -> TaskView:
        return s.mirror.tasks.get(task.key, task)

    def ended() -> bool:
        return current().state in TERMINAL_STATES

    position = offset
    tail_newline = at_line_start
    was_running = not ended()

    def emit(data: bytes) -> None:
        nonlocal position, tail_newline
        position += len(data)
        text = decoder.decode(data)
        if text:
            tail_newline = text.endswith("\n")
            ctx.out(text)

    if was_running:
        async def pump() -> None:
            async for data in files.follow(path, position):
                emit(data)

        pumping = asyncio.ensure_future(pump())
        waiting = asyncio.ensure_future(s.wait_for(ended, None))
        try:
            done, _ = await asyncio.wait({pumping, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (pumping, waiting):
                t.cancel()
            await asyncio.gather(pumping, waiting, return_exceptions=True)
        if pumping in done and not pumping.cancelled():
            pumping.result()  # what broke the stream (a LogSourceError), else it just ended
    # The task has ended, so the file is complete: read what the stream had not brought yet.
    while True:
        reply = await files.read(path, position)
        if not reply.data:
            break
        emit(reply.data)
        if position >= reply.size:
            break
    rest = decoder.decode(b"", final=True)
    if rest:
        tail_newline = rest.endswith("\n")
        ctx.out(rest)
    if not tail_newline:
        ctx.out("\n")
    state = _state(current().state_name)
    if was_running:
        ctx.print(f"-- task {task.id} ended {state}: end of its {which}")
    else:
        ctx.print(f"-- task {task.id} is {state} (it had ended): end of its {which}, "
                  "nothing more will come")


# ------------------------------------------------------------------------------ session


@command(
    "filter",
    help="set the session's default task filter (no FILTER: show it; --clear: remove it)",
    flags=[Flag(None, "--clear", BOOL, "remove the default filter")],
    args=[Arg("filter", FILTER, required=False, many=True)],
    needs_cluster=False,
    details=_FILTER_HELP,
)
async def filter_(ctx: CommandContext, args: Args) -> None:
    s = _session(ctx)
    if args.clear:
        s.default_filter = None
        ctx.print("default filter cleared")
        return
    flt = _parse_filter(args.filter)
    if flt is None:
        ctx.print(f"default filter: {s.default_filter.text}" if s.default_filter else "no default filter")
        return
    s.default_filter = flt
    ctx.print(f"default filter: {flt.text}")


@command(
    "watch",
    help="print the cluster's events as they happen (Ctrl+C stops)",
    flags=[
        Flag(None, "--all", BOOL, "include usage and allocation events"),
        Flag(None, "--limit", INT, "stop after N events", 0, "N"),
    ],
)
async def watch(ctx: CommandContext, args: Args) -> None:
    s = _session(ctx)
    if not ctx.streaming or not s.owns_stream:
        raise CommandError("watch: the TUI shows events in its events view")
    mirror = s.mirror
    seen = mirror.events_total
    lines: asyncio.Queue[str] = asyncio.Queue()

    def on_event(_event: object) -> None:
        nonlocal seen
        fresh = mirror.events_total - seen
        seen = mirror.events_total
        for rec in list(mirror.events)[-fresh:] if fresh > 0 else []:
            if rec.kind in QUIET_EVENTS and not args.all:
                continue
            stamp = time.strftime("%H:%M:%S", time.localtime(rec.at))
            lines.put_nowait(f"{stamp} {rec.kind:<17} {rec.text}")

    s.event_listeners.append(on_event)
    try:
        printed = 0
        while not args.limit or printed < args.limit:
            ctx.print(await lines.get())
            printed += 1
    finally:
        s.event_listeners.remove(on_event)


# ------------------------------------------------------------------------------ frameworks

FRAMEWORKS = ("wordcount", "pi", "gang", "batch")


@command(
    "start",
    help="run one of the frameworks from the Mesos paper's world: wordcount, pi, gang, batch",
    args=[
        Arg("framework", STR, help=", ".join(FRAMEWORKS)),
        Arg("arguments", COMMAND_LINE, required=False, help="the framework's own arguments"),
    ],
    details="Examples: start pi 10 1000   start wordcount big.txt --parallelism 2\n"
    "           start gang 3 --cpus 1 -- sleep 5   start batch -- --job 'sleep 1'\n"
    "The framework is a process of its own with its own scheduler, on this cluster. The shell\n"
    "shows its output and waits for it (Ctrl+C stops it); from the TUI it runs in the\n"
    "background and its output goes to a log file.",
)
async def start(ctx: CommandContext, args: Args) -> CommandResult | None:
    s = _session(ctx)
    name = args.framework
    if name not in FRAMEWORKS:
        raise UsageError(f"start: no framework {name!r}; choose one of {', '.join(FRAMEWORKS)}")
    if not s.master:
        raise CommandError("start: no master to run it against: start the shell with --master")
    try:
        extra = shlex.split(args.arguments or "")
    except ValueError as e:
        raise UsageError(f"start: bad arguments: {e}") from None
    argv = [sys.executable, "-m", f"mesos_tui.frameworks.{name}", "--master", s.master, *extra]
    if not ctx.streaming:
        log_dir = os.path.join(
            os.environ.get("XDG_STATE_HOME", os.path.expanduser("~/.local/state")),
            "mesos-tui", "frameworks",
        )
        os.makedirs(log_dir, exist_ok=True)
        log_path = os.path.join(log_dir, f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.log")
        with open(log_path, "wb") as log:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,
            )
        return CommandResult(text=f"started {name} (pid {proc.pid}); its output: {log_path}")
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            ctx.print(raw.decode(errors="replace").rstrip("\n"))
        code = await proc.wait()
    except asyncio.CancelledError:
        if proc.returncode is None:
            proc.terminate()  # the framework tears itself down on SIGTERM
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
        raise
    if code != 0:
        return CommandResult.error(f"start: {name} exited with status {code}")
    return None


@command(
    "help",
    aliases=("?",),
    help="list the commands, or show one command's usage and flags",
    args=[Arg("command", COMMAND_NAME, required=False)],
    needs_cluster=False,
)
async def help_(ctx: CommandContext, args: Args) -> None:
    ctx.print(REGISTRY.help_text(args.command))


@command("quit", aliases=("exit",), help="leave the shell (launched tasks keep running)",
         needs_cluster=False)
async def quit_(ctx: CommandContext, args: Args) -> CommandResult:
    return CommandResult(quit=True)
