"""A yes/no question for destructive actions; Cancel has the focus, so Enter cancels."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from mesos_tui.tui.resilient import Resilient


class ConfirmScreen(Resilient, ModalScreen[bool]):
    """Answers True only if the user moves to the action button and presses it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,n", "cancel", "Cancel", id="confirm.cancel"),
        Binding("left,right,tab,shift+tab", "switch", "Switch button", show=False,
                id="confirm.switch"),
    ]

    def __init__(self, title: str, body: str, action_label: str = "Kill") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.action_label = action_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(self.title_text, id="confirm-title")
            yield Label(self.body, id="confirm-body")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(self.action_label, id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_switch(self) -> None:
        cancel = self.query_one("#cancel", Button)
        confirm = self.query_one("#confirm", Button)
        (confirm if cancel.has_focus else cancel).focus()
