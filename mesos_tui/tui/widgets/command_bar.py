"""The `:` command bar (k9s-style): view names, app commands, then the shell's commands."""

from __future__ import annotations

from textual.suggester import SuggestFromList
from textual.widgets import Input

VIEW_WORDS = ["agents", "frameworks", "tasks", "offers", "events"]
APP_WORDS = ["kill", "pause", "resume", "step", "filter", "logs", "help", "quit"]


class CommandBar(Input):
    """An Input shown at the bottom while a command is typed."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(
            placeholder=":agents :tasks :offers … or a shell command (kill ID, pause, step)",
            suggester=SuggestFromList(VIEW_WORDS + APP_WORDS, case_sensitive=False),
            id=id,
        )

    def open(self) -> None:
        self.value = ""
        self.add_class("-visible")
        self.focus()

    def close(self) -> None:
        self.value = ""
        self.remove_class("-visible")
