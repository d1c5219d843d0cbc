"""`?`: every key the app answers to, with its binding id (for keys.toml); keys that are
Textual's own (the command palette, quit, the command bar's editing) say "built in"."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mesos_tui.tui.resilient import Resilient


class HelpScreen(Resilient, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]], keymap_file: str) -> None:
        super().__init__()
        self.sections = sections
        self.keymap_file = keymap_file

    def compose(self) -> ComposeResult:
        # One table per section, the same column widths in all: the KEY column as wide as
        # the longest keys (not the longest section title), the ID column whole (keys.toml
        # needs the exact id), the action taking what is left and wrapping.
        rows = [[(", ".join(_pretty(k) for k in b.key.split(",")), b.description or b.action,
                  b.id or "(built in)") for b in bindings] for _, bindings in self.sections]
        key_width = min(16, max((len(r[0]) for sec in rows for r in sec), default=3))
        id_width = max((len(r[2]) for sec in rows for r in sec), default=2)
        # A narrow terminal keeps what a key does; the ids (for keys.toml) need the room.
        show_ids = self.app.size.width >= key_width + id_width + 30
        with VerticalScroll(id="help-box"):
            yield Static(Text.assemble(("KEY".ljust(key_width + 1), "bold"), ("ACTION", "bold"),
                                       no_wrap=True))
            for (title, _), section in zip(self.sections, rows, strict=True):
                yield Static(Text(f" {title} ", style="bold reverse"), classes="help-section")
                table = Table(box=None, expand=True, padding=(0, 1, 0, 0), show_header=False)
                table.add_column("KEY", style="bold cyan", width=key_width)  # wraps at ", "
                table.add_column("ACTION", ratio=1)
                if show_ids:
                    table.add_column("ID", style="dim", no_wrap=True, width=id_width)
                for keys, action, binding_id in section:
                    cells = [Text(keys), Text(action)] + ([Text(binding_id)] if show_ids else [])
                    table.add_row(*cells)
                yield Static(table)
            yield Static(("\nThe right column is each key's id. " if show_ids else
                          "\nWiden the terminal to see each key's id. ") + "Keys are remapped in "
                         f"{self.keymap_file}, e.g. "
                         '[keys] "task.kill" = "ctrl+x"', id="help-footer", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


_NAMES = {"slash": "/", "exclamation_mark": "!", "question_mark": "?", "colon": ":",
          "space": "space", "escape": "esc"}


def _pretty(key: str) -> str:
    return _NAMES.get(key, key)
