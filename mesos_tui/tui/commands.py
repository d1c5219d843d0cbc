"""The `:` command bar's back end: the app's own commands, then the shell's registry.

The shell (`mesos_tui.shell.registry`, written separately) owns commands such as `launch`,
`ls`, `logs`. The command bar needs only this from it:

    run(line: str, context: object | None = None) -> str | CommandResult-like | awaitable

a module-level `run`, or an object `REGISTRY`/`registry` with a `run` method. The result may
be a string, or an object with `ok` and `text` (or `output`/`message`). `ShellCommands` adapts
whichever exists, and says plainly when the shell is not there yet.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(slots=True)
class CommandResult:
    ok: bool
    text: str


class CommandRunner(Protocol):
    async def run(self, line: str) -> CommandResult: ...


class ShellCommands:
    """Runs a line through the shell's command registry, if the shell is installed."""

    def __init__(self, context: object | None = None, module: str = "mesos_tui.shell.registry"):
        self.context = context
        self.module = module
        self._run: Callable[..., Any] | None = None
        self._loaded = False

    def _load(self) -> Callable[..., Any] | None:
        if self._loaded:
            return self._run
        self._loaded = True
        try:
            mod = importlib.import_module(self.module)
        except ImportError:
            return None
        fn = getattr(mod, "run", None)
        if fn is None:
            reg = getattr(mod, "REGISTRY", None) or getattr(mod, "registry", None)
            fn = getattr(reg, "run", None)
        self._run = fn if callable(fn) else None
        return self._run

    @property
    def available(self) -> bool:
        return self._load() is not None

    async def run(self, line: str) -> CommandResult:
        fn = self._load()
        if fn is None:
            word = line.split()[0] if line.split() else line
            return CommandResult(False, f"unknown command {word!r} (the shell's commands are not available yet)")
        try:
            params = inspect.signature(fn).parameters
            takes_context = "context" in params or len(params) >= 2
        except (TypeError, ValueError):
            takes_context = False
        try:
            result = fn(line, context=self.context) if takes_context else fn(line)
            if inspect.isawaitable(result):
                result = await result
        except Exception as e:  # a command's failure is a message, never a crash
            return CommandResult(False, f"{type(e).__name__}: {e}")
        return normalize(result)


def normalize(result: Any) -> CommandResult:
    if result is None:
        return CommandResult(True, "")
    if isinstance(result, CommandResult):
        return result
    if isinstance(result, str):
        return CommandResult(True, result)
    ok = bool(getattr(result, "ok", True))
    for attr in ("text", "output", "message"):
        value = getattr(result, attr, None)
        if isinstance(value, str):
            return CommandResult(ok, value)
    return CommandResult(ok, str(result))
