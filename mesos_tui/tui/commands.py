"""The `:` command bar's back end: the shell's command registry, run in the TUI's session.

The TUI and the shell are one product: every shell command (`launch`, `kill`, `tasks`,
`agents`, `frameworks`, `offers`, `filter`, `help`, ...) runs here through
`mesos_tui.shell.registry` in a `ShellSession` that shares the app's mirror and operator
client, so `:launch --name t -- sleep 30` starts the task under the shell's framework, and a
later `mesos-tui shell -c "kill t"` finds it. The app keeps a few words of its own (view
names, `pause`/`resume`/`step`, `logs`), see `MesosApp._command`.

`ShellCommands.run(line)` answers the registry's `CommandResult` (`ok`, `text`, `confirm`,
`quit`) and never raises; `CommandSuggester` completes the bar from the same registry.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.suggester import Suggester

from mesos_tui.shell.registry import REGISTRY, CommandResult, Registry, complete
from mesos_tui.shell.session import ShellSession

__all__ = ["CommandResult", "CommandSuggester", "ShellCommands"]


class ShellCommands:
    """Runs `:` lines through the shell's registry in one session."""

    def __init__(self, session: ShellSession, registry: Registry = REGISTRY) -> None:
        self.session = session
        self.registry = registry

    async def run(self, line: str) -> CommandResult:
        return await self.registry.run(line, self.session, interactive=True)

    def suggest(self, value: str, extra_words: Iterable[str] = ()) -> str | None:
        """The line completed with the first candidate, or None."""
        words = value.split()
        if not words or (len(words) == 1 and not value.endswith(" ")):
            head = words[0] if words else ""
            if not head:
                return None
            pool = sorted(set(self.registry.names(aliases=False)) | set(extra_words))
            for word in pool:
                if word.startswith(head) and word != head:
                    return value + word[len(head):]
            return None
        try:
            found = complete(self.registry, value, self.session)
        except Exception:  # completion must never get in the way of typing
            return None
        for c in found:
            start = len(value) + c.start
            if c.text != value[start:]:
                return value[:start] + c.text
        return None


class CommandSuggester(Suggester):
    """Inline completion for the `:` bar: command names, flags, task ids and names, agents,
    frameworks and filter fields, from the registry (as the shell's Tab does)."""

    def __init__(self, commands: ShellCommands, extra_words: Iterable[str] = ()) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.commands = commands
        self.extra_words = tuple(extra_words)

    async def get_suggestion(self, value: str) -> str | None:
        return self.commands.suggest(value, self.extra_words)
