"""The line under the header: the view's title, and the keys that switch views.

The keys are drawn as keys (a chip per key, the current view marked), not as "1 agents ·
2 frameworks", which read as counts next to the header's real counts. What does not fit
the width is left out: the key strip first (the footer has the keys too), then the title
is shortened.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from mesos_tui.tui.resilient import Resilient

VIEW_KEYS = (("1", "agents"), ("2", "frameworks"), ("3", "tasks"), ("4", "offers"),
             ("5", "events"), ("6", "roles"), ("7", "pulse"), (":", "command"), ("?", "help"))


class ViewTitle(Resilient, Widget):
    DEFAULT_CSS = """
    ViewTitle { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = ""
        self.view = ""

    def show(self, view: str, title: str) -> None:
        self.view, self.title = view, title
        self.refresh()

    def render(self) -> Text:
        width = max(0, self.content_size.width)
        title = Text(self.title, style="bold")
        strip = Text()
        for key, name in VIEW_KEYS:
            current = name == self.view
            strip.append(f" {key} ", style="bold black on yellow" if current else "bold reverse")
            strip.append(f" {name} ", style="bold underline" if current else "")
        if title.cell_len + 3 + strip.cell_len <= width:
            gap = width - title.cell_len - strip.cell_len
            return Text.assemble(title, " " * gap, strip, no_wrap=True)
        title.truncate(width, overflow="ellipsis")
        return title
