"""The `:` command bar (k9s-style): a view name, or any shell command (`launch`, `kill`,
`tasks FILTER`, `help`, ...), completed inline from the shell's registry (→ accepts)."""

from __future__ import annotations

from textual.suggester import Suggester
from textual.widgets import Input

PLACEHOLDER = (":tasks :offers … a view · launch --name t -- sleep 30 · kill NAME · "
               "tasks state:running · help")


class CommandBar(Input):
    """An Input shown at the bottom while a command is typed."""

    def __init__(self, suggester: Suggester | None = None, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, suggester=suggester, id=id)

    def open(self) -> None:
        self.value = ""
        self.add_class("-visible")
        self.focus()

    def close(self) -> None:
        self.value = ""
        self.remove_class("-visible")
