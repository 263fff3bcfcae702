"""The help screen (``?``): every key of the screen underneath, with its id for the keymap."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; max-height: 30; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, target: Screen[Any]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]Keys: {self.target.__class__.__name__.removesuffix('Screen')}[/b]")
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(
                "Screens: 1-5. In a text field digits are typed: Escape leaves the field, then "
                "1-5.  F1 (or ? outside a field) lists these keys.  ctrl+p: command palette.\n"
                'Remap any key by its id in settings.toml: [keymap] "<id>" = "<keys>"',
                classes="muted",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Id")
        seen: set[tuple[str, str]] = set()
        for active in self.target.active_bindings.values():
            binding = active.binding
            label = binding.description or binding.action
            display = self.app.get_key_display(binding)
            # Each key once: as it is shown (two keys of one binding never share a name).
            if (display, label) in seen or not label:
                continue
            seen.add((display, label))
            table.add_row(display, label, binding.id or "")
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
