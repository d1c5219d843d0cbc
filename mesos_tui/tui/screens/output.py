"""What a `:` command printed (`:tasks state:running`, `:agents`, `:help`): a panel over the
view, closed with esc, q or enter."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from mesos_tui.tui.resilient import Resilient


class OutputScreen(Resilient, ModalScreen[None]):
    """The plain-text output of one command, as the shell prints it (no markup)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close", id="output.close"),
    ]

    def __init__(self, line: str, text: str, ok: bool = True) -> None:
        super().__init__()
        self.line = line
        self.text = text
        self.ok = ok

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="output-box") as box:
            box.border_title = f":{self.line}"
            box.border_subtitle = "esc close"
            yield Static(Text(self.text, style="" if self.ok else "red", no_wrap=True,
                              overflow="ellipsis"), id="output-text")
            yield Label("? lists the keys · : runs another command", id="output-help")

    def on_mount(self) -> None:
        self.query_one("#output-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)
