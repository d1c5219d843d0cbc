"""`?`: every key the app answers to, with its binding id (for keys.toml); keys that are
Textual's own (the command palette, quit, the command bar's editing) say "built in"."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]], keymap_file: str) -> None:
        super().__init__()
        self.sections = sections
        self.keymap_file = keymap_file

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, padding=(0, 1), show_header=True,
                      header_style="bold")
        table.add_column("KEY", style="bold cyan", no_wrap=True)
        table.add_column("ACTION")
        table.add_column("ID (remap in keys.toml)", style="dim")
        for title, bindings in self.sections:
            table.add_row(f"[bold reverse] {title} [/]", "", "")
            for b in bindings:
                keys = ", ".join(_pretty(k) for k in b.key.split(","))
                table.add_row(keys, b.description or b.action, b.id or "(built in)")
        with VerticalScroll(id="help-box"):
            yield Static(table)
            yield Static(f"\nKeys are remapped in {self.keymap_file}: "
                         '[keys] "task.kill" = "ctrl+x"', id="help-footer")

    def action_close(self) -> None:
        self.dismiss(None)


_NAMES = {"slash": "/", "exclamation_mark": "!", "question_mark": "?", "colon": ":",
          "space": "space", "escape": "esc"}


def _pretty(key: str) -> str:
    return _NAMES.get(key, key)
