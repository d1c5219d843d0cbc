"""The one command registry behind the shell's REPL, its `-c` mode and the TUI's `:` bar.

Commands are registered once, litecli style, with a decorator that says everything the REPL,
completion and help need: the name, aliases, a one-line help, flags (with value kinds) and
positional arguments (with kinds that completion understands: a task, an agent, a filter, a
command line after `--`):

    @command("kill", help="kill tasks", flags=[Flag("-y", "--yes", help="do not ask")],
             args=[Arg("target", kind=TASK_OR_FILTER, many=True)])
    async def kill(ctx: CommandContext, args: Args) -> CommandResult | None: ...

`run(line, context)` parses a line and runs it, answering a `CommandResult` (`ok`, `text`,
and `confirm` when the command wants a yes first). It never raises: a bad command, a bad
flag, an unknown task are all `ok=False` with one line saying what was wrong.

Parsing: words split on whitespace, quotes group ('...' or "..."), backslashes are literal
(so filters keep their regular expressions). Flags are `--name value`, `--name=value` or a
boolean `-y`; `--` ends the flags, and for a command that takes a command line (`launch`) the
raw text after `--` is that command line, exactly as typed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mesos_tui.shell.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    UsageError,
    ambiguous,
)

__all__ = [
    "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "REGISTRY", "Arg", "Args", "CommandContext",
    "CommandError", "CommandResult", "Confirmation", "Flag", "Registry", "UsageError",
    "ambiguous", "command", "complete", "resolve_unique", "run",
]

log = logging.getLogger(__name__)

# Argument kinds (what completion offers and how values are checked).
STR = "str"
INT = "int"
FLOAT = "float"
BOOL = "bool"
TASK = "task"  # a task id (a unique prefix will do) or name
TASK_OR_FILTER = "task-or-filter"
FILTER = "filter"
AGENT = "agent"  # an agent id (prefix) or hostname
FRAMEWORK = "framework"
COMMAND_NAME = "command-name"
COMMAND_LINE = "command-line"  # the rest of the line after `--`


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag: `Flag("-y", "--yes")` is boolean; give `kind` for a flag with a value."""

    short: str | None
    long: str
    kind: str = BOOL
    help: str = ""
    default: Any = None
    metavar: str = ""

    @property
    def dest(self) -> str:
        return self.long.lstrip("-").replace("-", "_")

    @property
    def takes_value(self) -> bool:
        return self.kind != BOOL

    @property
    def spelling(self) -> str:
        names = f"{self.short}, {self.long}" if self.short else self.long
        if self.takes_value:
            names += f" {self.metavar or self.kind.upper()}"
        return names


@dataclass(frozen=True, slots=True)
class Arg:
    """A positional argument; `many` collects all remaining words into a list."""

    name: str
    kind: str = STR
    required: bool = True
    many: bool = False
    help: str = ""


@dataclass(slots=True)
class Confirmation:
    """A command that wants a yes first: `line` is what to run once the user agreed."""

    prompt: str
    line: str
    count: int
    items: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CommandResult:
    """What a command answers. `text` is its output (or error); `confirm` is set when it did
    nothing yet and wants a yes; `quit` asks the front end to end the session."""

    ok: bool = True
    text: str = ""
    code: int = EXIT_OK
    confirm: Confirmation | None = None
    quit: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return self.confirm is not None

    @classmethod
    def error(cls, message: str, code: int = EXIT_FAILED) -> CommandResult:
        return cls(False, message, code or EXIT_FAILED)


class Args(dict[str, Any]):
    """Parsed arguments: flag dests and positional names -> values (attribute access too;
    an argument wins over a dict method of the same name, so `args.clear` is the flag)."""

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_") and dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return super().__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Output(Protocol):
    def __call__(self, text: str) -> None: ...


@dataclass(slots=True)
class CommandContext:
    """What a command runs with: the session (cluster, framework, default filter), where its
    output goes, and how the front end behaves."""

    session: Any
    out: Output
    line: str = ""
    interactive: bool = False  # a person at a terminal (the REPL, or the TUI)
    streaming: bool = False  # output reaches the user as it is written (not collected)

    def print(self, text: str = "") -> None:
        self.out(text + "\n")


Handler = Callable[[CommandContext, Args], Awaitable[CommandResult | str | None]]


@dataclass(slots=True)
class Command:
    name: str
    handler: Handler
    help: str
    aliases: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    args: tuple[Arg, ...] = ()
    needs_cluster: bool = True
    details: str = ""

    def flag(self, word: str) -> Flag | None:
        for f in self.flags:
            if word == f.long or (f.short is not None and word == f.short):
                return f
        return None

    @property
    def usage(self) -> str:
        parts = [self.name]
        for f in self.flags:
            parts.append(f"[{f.short or f.long}{' ' + (f.metavar or f.kind.upper()) if f.takes_value else ''}]")
        for a in self.args:
            if a.kind == COMMAND_LINE:
                parts.append("-- " + a.name.upper())
                continue
            text = a.name.upper() + ("..." if a.many else "")
            parts.append(text if a.required else f"[{text}]")
        return " ".join(parts)


# ------------------------------------------------------------------------------ words


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # with quotes removed
    start: int  # span in the line, quotes included
    end: int
    quoted: bool = False


def split_line(line: str, partial: bool = False) -> list[Word]:
    """Words of a line with their spans. Quotes group; backslashes are literal. An
    unterminated quote is a UsageError unless `partial` (completion of a half-typed line)."""
    words: list[Word] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        buf: list[str] = []
        quoted = False
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch in "'\"":
                quoted = True
                close = line.find(ch, i + 1)
                if close < 0:
                    if not partial:
                        raise UsageError(f"unterminated {ch} quote")
                    buf.append(line[i + 1 :])
                    i = n
                    break
                buf.append(line[i + 1 : close])
                i = close + 1
            else:
                buf.append(ch)
                i += 1
        words.append(Word("".join(buf), start, i, quoted))
    return words


# ------------------------------------------------------------------------------ parsing


def _convert(cmd: Command, flag: Flag, value: str) -> Any:
    if flag.kind == INT:
        try:
            return int(value)
        except ValueError:
            raise UsageError(f"{cmd.name}: {flag.long} expects a whole number, got {value!r}") from None
    if flag.kind == FLOAT:
        try:
            return float(value)
        except ValueError:
            raise UsageError(f"{cmd.name}: {flag.long} expects a number, got {value!r}") from None
    return value


def _looks_like_flag(text: str) -> bool:
    return len(text) > 1 and text[0] == "-" and not text[1].isdigit() and text != "--"


def _unwrap(command_line: str) -> str:
    """`'echo hi; sleep 9'` -> `echo hi; sleep 9`: a command line that is one quoted word
    was quoted to keep it together (as for mesos-execute --command), not to name a program
    with spaces in its name."""
    text = command_line.strip()
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0] and text[0] not in text[1:-1]:
        return text[1:-1].strip()
    return text


@dataclass(slots=True)
class Invocation:
    command: Command
    args: Args


class Registry:
    """Commands by name and alias; parsing, running, help and completion read it."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self._by_name: dict[str, Command] = {}

    def register(self, cmd: Command) -> Command:
        for name in (cmd.name, *cmd.aliases):
            if name in self._by_name:
                raise ValueError(f"command name {name!r} is registered twice")
            self._by_name[name] = cmd
        self.commands[cmd.name] = cmd
        return cmd

    def command(
        self,
        name: str,
        *,
        help: str,
        aliases: Iterable[str] = (),
        flags: Iterable[Flag] = (),
        args: Iterable[Arg] = (),
        needs_cluster: bool = True,
        details: str = "",
    ) -> Callable[[Handler], Handler]:
        """Decorator: register `handler` as command `name`."""

        def wrap(handler: Handler) -> Handler:
            self.register(
                Command(name, handler, help, tuple(aliases), tuple(flags), tuple(args),
                        needs_cluster, details)
            )
            return handler

        return wrap

    def get(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def names(self, aliases: bool = True) -> list[str]:
        return sorted(self._by_name if aliases else self.commands)

    # -------------------------------------------------------------------------- parse

    def parse(self, line: str) -> Invocation | None:
        """A line -> the command and its arguments; None for an empty line. Raises
        UsageError with one line saying what is wrong."""
        words = split_line(line)
        if not words:
            return None
        head = words[0].text
        cmd = self.get(head)
        if cmd is None:
            near = [n for n in self.names() if n.startswith(head[:2])] if head else []
            hint = f"; did you mean {' or '.join(near[:3])}?" if near else ""
            raise UsageError(f"unknown command {head!r}{hint} (type help for the commands)")
        args = Args()
        for f in cmd.flags:
            args[f.dest] = False if f.kind == BOOL else f.default
        positional: list[Word] = []
        rest: str | None = None
        line_arg = next((a for a in cmd.args if a.kind == COMMAND_LINE), None)
        i = 1
        while i < len(words):
            w = words[i]
            if w.text == "--" and not w.quoted:
                if line_arg is not None:
                    rest = line[w.end :].strip()
                    break
                positional.extend(words[i + 1 :])
                break
            if not w.quoted and _looks_like_flag(w.text):
                name, eq, value = w.text.partition("=")
                flag = cmd.flag(name)
                if flag is None:
                    known = ", ".join(f.long for f in cmd.flags) or "none"
                    raise UsageError(f"{cmd.name}: unknown flag {name} (flags: {known})")
                if flag.takes_value:
                    if not eq:
                        if i + 1 >= len(words):
                            raise UsageError(f"{cmd.name}: {flag.long} needs a value")
                        i += 1
                        value = words[i].text
                    args[flag.dest] = _convert(cmd, flag, value)
                else:
                    if eq:
                        raise UsageError(f"{cmd.name}: {flag.long} takes no value")
                    args[flag.dest] = True
                i += 1
                continue
            if line_arg is not None and len(positional) >= sum(
                1 for a in cmd.args if a.kind != COMMAND_LINE
            ):
                # The first word that is not a flag starts the command line (`launch sleep 9`).
                rest = line[w.start :].strip()
                break
            positional.append(w)
            i += 1
        self._bind(cmd, positional, rest, args)
        return Invocation(cmd, args)

    def _bind(self, cmd: Command, words: list[Word], rest: str | None, args: Args) -> None:
        texts = [w.text for w in words]
        for a in cmd.args:
            if a.kind == COMMAND_LINE:
                if not rest:
                    if a.required:
                        raise UsageError(
                            f"{cmd.name}: give the command to run after --, as in: "
                            f"{cmd.name} -- sleep 60"
                        )
                    args[a.name] = ""
                else:
                    args[a.name] = _unwrap(rest)
                continue
            if a.many:
                args[a.name] = texts
                texts = []
            elif texts:
                args[a.name] = texts.pop(0)
            else:
                args[a.name] = None
            if a.required and not args[a.name]:
                raise UsageError(f"{cmd.name}: missing {a.name.upper()} (usage: {cmd.usage})")
        if texts:
            raise UsageError(
                f"{cmd.name}: unexpected argument {texts[0]!r} (usage: {cmd.usage})"
            )

    # -------------------------------------------------------------------------- run

    async def run(
        self,
        line: str,
        context: Any = None,
        out: Output | None = None,
        interactive: bool | None = None,
    ) -> CommandResult:
        """Run one line. Output goes to `out` as it is produced, or (no `out`) into the
        result's text. Never raises, except cancellation."""
        from mesos_tui.shell.session import session_for

        chunks: list[str] = []
        sink: Output = out if out is not None else chunks.append
        name = ""
        try:
            inv = self.parse(line)
            if inv is None:
                return CommandResult()
            name = inv.command.name
            session = session_for(context)
            ctx = CommandContext(
                session, sink, line,
                interactive if interactive is not None else session.interactive,
                streaming=out is not None,
            )
            if inv.command.needs_cluster:
                await session.ensure_ready()
            result = await inv.command.handler(ctx, inv.args)
        except CommandError as e:
            message = str(e)
            if name and not message.startswith(name):
                message = f"{name}: {message}"
            result = CommandResult.error(message, e.code)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug: one line for the user, the traceback for the log
            log.exception("command %r failed", line)
            result = CommandResult.error(f"internal error: {type(e).__name__}: {e} (see the log)")
        if result is None:
            result = CommandResult()
        elif isinstance(result, str):
            result = CommandResult(True, result)
        if chunks:
            collected = "".join(chunks).rstrip("\n")
            result.text = f"{collected}\n{result.text}" if result.text else collected
        return result

    # -------------------------------------------------------------------------- help

    def help_text(self, name: str | None = None) -> str:
        if name:
            cmd = self.get(name)
            if cmd is None:
                raise UsageError(f"help: no command {name!r} (type help for the commands)")
            lines = [f"usage: {cmd.usage}", "", cmd.help]
            if cmd.details:
                lines += ["", cmd.details]
            if cmd.aliases:
                lines += ["", "aliases: " + ", ".join(cmd.aliases)]
            if cmd.flags:
                lines += ["", "flags:"]
                width = max(len(f.spelling) for f in cmd.flags)
                lines += [f"  {f.spelling:<{width}}  {f.help}" for f in cmd.flags]
            return "\n".join(lines)
        width = max(len(n) for n in self.commands)
        lines = [f"  {c.name:<{width}}  {c.help}" for c in self.commands.values()]
        return "commands:\n" + "\n".join(lines) + "\n\ntype help COMMAND for its flags"


# ------------------------------------------------------------------------------ resolving


def resolve_unique(
    word: str, candidates: Iterable[str], what: str = "task"
) -> str:
    """`word` as one of `candidates`: exact, or the one candidate it is a prefix of.
    Raises CommandError when none or several match (naming a few)."""
    pool = list(dict.fromkeys(candidates))
    if word in pool:
        return word
    hits = [c for c in pool if c.startswith(word)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise CommandError(f"no {what} {word!r}")
    raise CommandError(ambiguous(word, hits, what))


# ------------------------------------------------------------------------------ completion


class CompletionSource(Protocol):
    """What completion needs from a session: names it can offer right now."""

    def task_ids(self) -> list[tuple[str, str]]: ...  # (id, meta)
    def task_names(self) -> list[str]: ...
    def agent_names(self) -> list[tuple[str, str]]: ...  # (id or hostname, meta)
    def framework_names(self) -> list[tuple[str, str]]: ...


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str  # replaces the word being typed
    start: int  # negative: how many characters before the cursor it replaces
    meta: str = ""


FILTER_FIELD_WORDS = (
    "state:", "name:", "agent:", "framework:", "id:", "role:", "reason:", "command:",
)
STATE_WORDS = ("running", "staging", "starting", "killing", "finished", "failed", "killed",
               "lost", "error", "dropped", "unreachable")


def complete(
    registry: Registry, before_cursor: str, source: CompletionSource | None = None
) -> list[Candidate]:
    """Completion candidates for the text left of the cursor: command names, then the
    command's flags, flag values and positional values of the right kind."""
    words = split_line(before_cursor, partial=True)
    at_word_start = not before_cursor or before_cursor[-1].isspace()
    current = "" if at_word_start else (words[-1].text if words else "")
    done = words if at_word_start else words[:-1]
    if not done:
        return [
            Candidate(n, -len(current), registry.get(n).help if registry.get(n) else "")  # type: ignore[union-attr]
            for n in registry.names()
            if n.startswith(current)
        ]
    cmd = registry.get(done[0].text)
    if cmd is None:
        return []
    if any(w.text == "--" for w in done[1:]):
        return []  # the command line of `launch`: not ours to complete
    previous = done[-1].text if len(done) > 1 else ""
    prev_flag = cmd.flag(previous) if _looks_like_flag(previous) else None
    if prev_flag is not None and prev_flag.takes_value:
        return _values(prev_flag.kind, current, source)
    out: list[Candidate] = []
    if current.startswith("-") or not current:
        used = {w.text.partition("=")[0] for w in done[1:]}
        for f in cmd.flags:
            if f.long in used or (f.short and f.short in used):
                continue
            if f.long.startswith(current):
                out.append(Candidate(f.long, -len(current), f.help))
        if any(a.kind == COMMAND_LINE for a in cmd.args) and "--".startswith(current):
            out.append(Candidate("--", -len(current), "then the command to run"))
        if current.startswith("-"):
            return out
    positional = [w for w in done[1:] if not _looks_like_flag(w.text)]
    kinds = [a for a in cmd.args if a.kind != COMMAND_LINE]
    arg = None
    if kinds:
        arg = kinds[min(len(positional), len(kinds) - 1)]
        if len(positional) >= len(kinds) and not kinds[-1].many:
            arg = None
    if arg is not None:
        out.extend(_values(arg.kind, current, source, registry))
    return out


def _values(
    kind: str, current: str, source: CompletionSource | None, registry: Registry | None = None
) -> list[Candidate]:
    n = -len(current)
    if kind == COMMAND_NAME and registry is not None:
        return [Candidate(c, n) for c in registry.names(aliases=False) if c.startswith(current)]
    if source is None:
        return []
    out: list[Candidate] = []
    try:
        if kind in (TASK, TASK_OR_FILTER):
            out += [Candidate(t, n, meta) for t, meta in source.task_ids() if t.startswith(current)]
            ids = {c.text for c in out}
            out += [
                Candidate(name, n, "name") for name in sorted(set(source.task_names()))
                if name.startswith(current) and name not in ids
            ]
        if kind == AGENT:
            out += [Candidate(a, n, m) for a, m in source.agent_names() if a.startswith(current)]
        if kind == FRAMEWORK:
            out += [Candidate(f, n, m) for f, m in source.framework_names() if f.startswith(current)]
        if kind in (FILTER, TASK_OR_FILTER):
            out += _filter_values(current, source)
    except RuntimeError:  # the mirror changed under us; the next keystroke completes again
        return []
    return out


def _filter_values(current: str, source: CompletionSource) -> list[Candidate]:
    neg = "!" if current.startswith("!") else ""
    body = current[len(neg):]
    n = -len(current)
    field_name, sep, value = body.partition(":")
    if not sep:
        return [Candidate(neg + f, n, "filter field") for f in FILTER_FIELD_WORDS
                if f.startswith(body) and body]
    key = field_name.lower()
    values: list[tuple[str, str]] = []
    if key in ("state", "s"):
        values = [(s, "") for s in STATE_WORDS]
    elif key in ("agent", "host"):
        values = source.agent_names()
    elif key in ("framework", "fw"):
        values = source.framework_names()
    elif key == "name":
        values = [(t, "") for t in sorted(set(source.task_names()))]
    elif key == "id":
        values = source.task_ids()
    prefix = f"{neg}{field_name}:"
    return [
        Candidate(_quote_word(prefix + v), n, m) for v, m in values if v.startswith(value)
    ]


def _quote_word(text: str) -> str:
    if any(c.isspace() for c in text):
        field_name, _, value = text.partition(":")
        return f'{field_name}:"{value}"'
    return text


REGISTRY = Registry()
command = REGISTRY.command


async def run(line: str, context: Any = None) -> CommandResult:
    """Run one command line through the registry (the TUI's `:` bar calls this).

    `context` is a `ShellSession`, an object with a `shell_session` attribute, or one with a
    `master` address (a session is then made for it and kept); see `session_for`."""
    return await REGISTRY.run(line, context)


# The commands register themselves on import.
from mesos_tui.shell import commands as _commands  # noqa: E402,F401
