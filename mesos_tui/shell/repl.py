"""`mesos-tui shell`: the prompt-toolkit REPL, `-c` one-shot mode and piped scripts.

    mesos-tui shell [--master host:port | zk://host:port/path] [-c "COMMAND"]
                    [--connect_timeout SECONDS]

Three front ends over one command registry (`mesos_tui.shell.registry`):

A master that cannot be reached is one line saying what was tried: `-c` and piped scripts
give up after `--connect_timeout` (default 10 s); the REPL says so once and keeps retrying
in the background. A malformed --master is one line and exit status 2.

- a terminal: a pgcli-style `PromptSession` with file history, auto-suggestion from history,
  completion of commands, flags, task ids and names, agents and frameworks, and a bottom
  toolbar with the connection state; state changes of the shell's tasks are printed above
  the prompt; `kill` of several tasks asks first; Ctrl+C stops a running command;
- `-c "COMMAND"`: run one command, print plain columns, exit 0, 1 (failed) or 2 (bad
  command); `launch` waits until its tasks run and `kill` until they are dead;
- stdin not a terminal: run its lines one by one, like `-c` each, with no prompt; the exit
  status is 1 if any line failed. A `kill` of several tasks needs `-y` there.

Leaving the shell never kills tasks: its framework fails over and a later shell takes it
back. Logs go to `$XDG_DATA_HOME/mesos-tui/shell.log`, never to the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any

from daemons.common.detector import DetectorError
from daemons.common.flags import DURATION, OneLineParser
from mesos_tui.client.sources import OPERATOR_MASTER, check_operator_master
from mesos_tui.frameworks.queue import DEFAULT_FAILOVER_TIMEOUT
from mesos_tui.shell.errors import EXIT_FAILED, EXIT_OK
from mesos_tui.shell.registry import REGISTRY, CommandResult, Registry, complete
from mesos_tui.shell.session import CONNECT_TIMEOUT, ShellSession, default_master

PROMPT = "mesos> "


def data_dir() -> Path:
    """`$XDG_DATA_HOME/mesos-tui`, or `~/.local/share/mesos-tui`."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "mesos-tui"


def _setup_logging(path: Path | None) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    if path is None:
        root.addHandler(logging.NullHandler())
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="mesos-tui shell",
        description="A shell for the cluster: launch, kill, list and filter tasks.",
        allow_abbrev=False,
    )
    p.add_argument(
        "--master", type=OPERATOR_MASTER, default=None,
        help="the master: host:port (gRPC, a mesos-tui master), http[s]://host:port or "
        "zk://host:port/path (Mesos's operator HTTP API: any Mesos master) (default "
        "$MESOS_MASTER or 127.0.0.1:5050)",
    )
    p.add_argument(
        "--connect_timeout", "--connect-timeout", dest="connect_timeout", type=DURATION,
        default=CONNECT_TIMEOUT,
        help="how long -c and piped commands try to reach the master before giving up "
        f"(default {CONNECT_TIMEOUT:g}s; 0: keep trying); the interactive shell keeps retrying",
    )
    p.add_argument("-c", "--command", dest="command", help="run one command and exit")
    p.add_argument("--history", help="history file (default $XDG_DATA_HOME/mesos-tui/history)")
    p.add_argument(
        "--failover-timeout", "--failover_timeout", dest="failover_timeout", type=float,
        default=DEFAULT_FAILOVER_TIMEOUT,
        help="seconds the shell's tasks outlive the shell before the master kills them "
        f"(default {DEFAULT_FAILOVER_TIMEOUT:g})",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `mesos-tui shell` (argv without the word `shell`); the exit status."""
    p = parser()
    ns = p.parse_args(list(argv) if argv is not None else None)
    if ns.master is None:
        try:
            ns.master = check_operator_master(default_master())
        except DetectorError as e:
            p.error(f"bad value in $MESOS_MASTER: {e}")
    _setup_logging(data_dir() / "shell.log")
    interactive = ns.command is None and sys.stdin.isatty() and sys.stdout.isatty()
    session = ShellSession(
        ns.master,
        interactive=interactive,
        wait=not interactive,
        failover_timeout=ns.failover_timeout,
        connect_timeout=ns.connect_timeout,
    )
    if ns.command is not None:
        return _run(_one(session, ns.command))
    if not sys.stdin.isatty():
        return _run(_piped(session, sys.stdin))
    if not interactive:
        # stdin is a terminal but stdout is not (`mesos-tui shell > file`): still a REPL.
        session.interactive = True
        session.wait = False
    history = Path(ns.history) if ns.history else data_dir() / "history"
    return _run(_repl(session, history))


def _run(main_coro: Coroutine[Any, Any, int], cleanup_timeout: float = 1.0) -> int:
    """`asyncio.run`, except that the clean-up after `main_coro` is bounded: a gRPC read that
    ignores its cancellation (seen in the scheduler driver's stop) must not keep the shell
    from exiting. Then the output is flushed and the process ends at once."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        code = loop.run_until_complete(main_coro)
    except KeyboardInterrupt:
        code = 130
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    stuck = False
    if pending:
        done, still = loop.run_until_complete(asyncio.wait(pending, timeout=cleanup_timeout))
        stuck = bool(still)
    if stuck:
        logging.getLogger(__name__).warning(
            "%d task(s) ignored cancellation at exit; exiting without waiting", len(still)
        )
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    with contextlib.suppress(Exception):
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    asyncio.set_event_loop(None)
    loop.close()
    return code


# ------------------------------------------------------------------------------ -c and pipes


def _install_task_dump() -> None:
    """MESOS_TUI_DEBUG=1: SIGUSR1 prints every asyncio task's stack to stderr."""
    loop = asyncio.get_running_loop()

    def dump() -> None:
        for t in asyncio.all_tasks(loop):
            print(f"task {t.get_name()} {t!r:.120}", file=sys.stderr)
            coro = t.get_coro()
            while coro is not None:
                frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
                if frame is not None:
                    print(f"    {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}",
                          file=sys.stderr)
                coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)

    loop.add_signal_handler(signal.SIGUSR1, dump)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _report(result: CommandResult) -> int:
    """Print a finished command's text (errors to stderr); answer its exit status."""
    if result.text:
        stream = sys.stdout if result.ok else sys.stderr
        stream.write(result.text.rstrip("\n") + "\n")
        stream.flush()
    if result.ok:
        return EXIT_OK
    return result.code or EXIT_FAILED


async def _run_line(session: ShellSession, line: str, registry: Registry = REGISTRY) -> CommandResult:
    """Run a line, printing as it goes; Ctrl+C (SIGINT) stops the command, not the shell."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(registry.run(line, session, out=_write))
    installed = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        installed = True
    try:
        return await task
    except asyncio.CancelledError:
        if asyncio.current_task() is not None and asyncio.current_task().cancelling():  # type: ignore[union-attr]
            raise
        return CommandResult(False, "interrupted", 130)
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)


async def _one(session: ShellSession, line: str) -> int:
    if os.environ.get("MESOS_TUI_DEBUG"):
        _install_task_dump()
    try:
        return _report(await _run_line(session, line))
    finally:
        await session.close()


async def _piped(session: ShellSession, stream) -> int:  # noqa: ANN001 (a text stream)
    loop = asyncio.get_running_loop()
    status = EXIT_OK
    try:
        while True:
            line = await loop.run_in_executor(None, stream.readline)
            if not line:
                break
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            result = await _run_line(session, line)
            code = _report(result)
            if code:
                status = code if status == EXIT_OK else status
            if result.quit:
                break
    finally:
        await session.close()
    return status


# ------------------------------------------------------------------------------ the REPL


def _completer(registry: Registry, session: ShellSession):  # noqa: ANN202
    from prompt_toolkit.completion import Completer, Completion

    class ShellCompleter(Completer):
        """Completion from the registry: commands, flags, ids and names of the session."""

        def get_completions(self, document, complete_event) -> Iterable[Completion]:  # noqa: ANN001
            for c in complete(registry, document.text_before_cursor, session):
                yield Completion(c.text, start_position=c.start, display_meta=c.meta)

    return ShellCompleter()


async def _repl(session: ShellSession, history_path: Path, registry: Registry = REGISTRY) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.patch_stdout import patch_stdout
    from prompt_toolkit.shortcuts import print_formatted_text

    try:
        history_path.parent.mkdir(parents=True, exist_ok=True)
        history = FileHistory(str(history_path))
    except OSError:
        history = InMemoryHistory()
    prompt: PromptSession[str] = PromptSession(
        history=history,
        auto_suggest=AutoSuggestFromHistory(),
        completer=_completer(registry, session),
        complete_while_typing=True,
        bottom_toolbar=lambda: " " + session.toolbar(),
        refresh_interval=0.5,
    )

    def say(text: str, style: str = "") -> None:
        print_formatted_text(FormattedText([(style, text)]))

    session.status_listeners.append(lambda line: say(f"* {line}", "ansicyan"))
    session.connection_listeners.append(lambda line: say(f"* {line}", "ansiyellow"))
    session.start()
    say(f"mesos-tui shell on {session.master}: type help for the commands, Ctrl+D to leave")
    status = EXIT_OK
    try:
        with patch_stdout(raw=True):
            while True:
                try:
                    line = await prompt.prompt_async(PROMPT)
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                if not line.strip():
                    continue
                result = await _run_line(session, line, registry)
                if result.confirm is not None:
                    try:
                        answer = await PromptSession().prompt_async(
                            f"{result.confirm.prompt} [y/N] "
                        )
                    except (KeyboardInterrupt, EOFError):
                        answer = ""
                    if answer.strip().lower() not in ("y", "yes"):
                        say("cancelled")
                        continue
                    result = await _run_line(session, result.confirm.line, registry)
                if result.text:
                    say(result.text.rstrip("\n"), "" if result.ok else "ansired")
                if result.quit:
                    break
    finally:
        await session.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
