"""Messages a view posts for the app to act on: open a row's detail screen, or drill down
to the tasks of an agent or a framework (k9s-style)."""

from __future__ import annotations

from textual.message import Message


class ShowDetail(Message):
    """Enter on a row: `kind` is "agent" or "framework", `key` its id."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__()
        self.kind = kind
        self.key = key


class DrillTasks(Message):
    """`t` on a row: the tasks view, filtered to the tasks of that agent or framework."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__()
        self.kind = kind
        self.key = key
