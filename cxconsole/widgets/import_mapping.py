"""The column mapping of an import: a table of file columns, a field picker, mapping files.

The table shows, for every column of the file, a sample value and the vendor field it goes to
(or that it is skipped, or, for vendors that take any column, sent as it is). Enter opens
:class:`FieldPicker`: type to filter the vendor's fields, enter to choose. Mappings are saved
as named files (TOML) in the config dir, or anywhere by path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from cxconsole.importing.mapping import ColumnMapping
    from cxconsole.vendors.base import TargetField

SKIP = "__skip__"  # the column is left out
AS_IS = "__as_is__"  # a passthrough vendor gets the column under its own header


def target_label(field: TargetField | None, key: str | None, header: str) -> str:
    if key is None:
        return "— skipped"
    if field is None:
        return f"as is: {key}" if key == header else key
    return f"{field.label} ({field.name})" if field.label != field.name else field.name


class MappingTable(DataTable[Text]):
    """One row per file column; the row key is the column's header."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def show(
        self,
        headers: Sequence[str],
        samples: dict[str, str],
        mapping: ColumnMapping,
        fields: Sequence[TargetField],
        chosen: set[str],
    ) -> None:
        """Redraw for ``mapping``; the cursor stays on the column it was on."""
        keep = self.cursor_row
        by_name = {f.name: f for f in fields}
        self.clear(columns=True)
        self.add_column("File column", key="column")
        self.add_column("Sample", key="sample")
        # How the field was chosen, and ✱ on a field the vendor needs: short, so the table
        # stays whole at 80 columns (the picker and the status line say the requirement whole).
        self.add_column("How", key="note")
        self.add_column("→ Vendor field", key="target")
        for header in headers:
            key = mapping.target(header)
            field = by_name.get(key) if key else None
            label = target_label(field, key, header)
            if key is None and not mapping.skipped(header):
                label = "— not mapped"  # neither sent nor skipped: the set-up says so
            note = "chosen" if header in chosen else ("auto" if key else "")
            if field is not None and (field.required or field.one_of):
                note = f"{note} ✱".strip()
            sample = samples.get(header, "")
            self.add_row(
                Text(header, style="bold"),
                Text(sample[:24] + ("…" if len(sample) > 24 else ""), style="dim"),
                Text(note, style="dim"),
                Text(label, style="" if key else "dim"),
                key=header,
            )
        if self.row_count:
            self.move_cursor(row=min(keep, self.row_count - 1), animate=False)

    @property
    def current_header(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None


class FieldPicker(ModalScreen[str | None]):
    """Which vendor field a column goes to; dismissed with a field name, SKIP or AS_IS."""

    DEFAULT_CSS = """
    FieldPicker { align: center middle; }
    FieldPicker > Vertical {
        width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    FieldPicker Input { margin: 1 0 0 0; background: $panel; }
    FieldPicker OptionList { height: auto; max-height: 20; border: none; }
    FieldPicker #picker-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="field_picker.cancel"),
        Binding("down", "down", "Next field", id="field_picker.down", show=False),
        Binding("up", "up", "Previous field", id="field_picker.up", show=False),
    ]

    def __init__(
        self,
        header: str,
        fields: Sequence[TargetField],
        mapping: ColumnMapping,
        headers: Sequence[str],
        *,
        passthrough: bool,
    ) -> None:
        super().__init__()
        self.header = header
        self.fields = list(fields)
        self.passthrough = passthrough
        self.owner = {key: h for h, key in mapping.included(headers).items()}
        self.current = mapping.target(header)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]Map column[/b] {_escape(self.header)} [b]onto[/b]")
            yield Input(placeholder="type to filter the fields", id="picker-filter", compact=True)
            yield OptionList(id="picker-options")
            yield Static(
                "enter: choose · esc: cancel · a field used by another column moves here",
                id="picker-hint",
            )

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _options(self, text: str) -> list[Option]:
        needle = text.casefold().strip()
        options = [Option("— skip: do not import this column", id=SKIP)]
        if self.passthrough:
            options.append(Option(f"as is: send it as {self.header!r}", id=AS_IS))
        for f in self.fields:
            words = f"{f.label} {f.name} {' '.join(f.synonyms)}".casefold()
            if needle and needle not in words:
                continue
            tags: list[str] = [f.kind] if f.kind != "text" else []
            if f.required:
                tags.append("required")
            elif f.one_of:
                tags.append(f"required: {f.one_of}")
            other = self.owner.get(f.name)
            if other is not None and other != self.header:
                tags.append(f"now from {other!r}")
            if f.name == self.current:
                tags.append("current")
            prompt = Text.assemble(
                (target_label(f, f.name, self.header), "bold" if f.required or f.one_of else ""),
                ("  " + " · ".join(tags), "dim") if tags else "",
            )
            options.append(Option(prompt, id=f.name))
        if needle:
            options = [o for o in options if o.id not in (SKIP, AS_IS)] + [
                o for o in options if o.id in (SKIP, AS_IS)
            ]
        return options

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(text))
        index = 0
        if not text:  # unfiltered: start on the column's current choice
            names = {f.name for f in self.fields}
            wanted = self.current if self.current in names else SKIP
            if self.passthrough and self.current == self.header and self.header not in names:
                wanted = AS_IS
            for i in range(options.option_count):
                if options.get_option_at_index(i).id == wanted:
                    index = i
        if options.option_count:
            options.highlighted = index

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def mappings_dir() -> Path:
    from cxconsole.paths import config_dir

    return config_dir() / "mappings"


def mapping_path(text: str) -> Path:
    """A bare name is a file in the mappings folder; anything with a / or a suffix is a path."""
    text = text.strip()
    if "/" in text or text.endswith((".toml", ".json")) or text.startswith("~"):
        return Path(text).expanduser()
    return mappings_dir() / f"{text}.toml"


class MappingFilePrompt(ModalScreen[Path | None]):
    """Save or load a mapping: a name (kept in the config dir) or a path; lists saved ones."""

    DEFAULT_CSS = """
    MappingFilePrompt { align: center middle; }
    MappingFilePrompt > Vertical {
        width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    MappingFilePrompt Input { margin: 1 0 0 0; background: $panel; }
    MappingFilePrompt OptionList { height: auto; max-height: 12; border: none; }
    MappingFilePrompt .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="mapping_file.cancel"),
    ]

    def __init__(self, mode: str, suggestion: str = "", saved: Sequence[Path] = ()) -> None:
        super().__init__()
        self.mode = mode  # "save" or "load"
        self.suggestion = suggestion
        self.saved = list(saved)

    def compose(self) -> ComposeResult:
        verb = "Save the mapping as" if self.mode == "save" else "Load a mapping"
        with Vertical():
            yield Static(f"[b]{verb}[/b]")
            yield Input(
                value=self.suggestion,
                placeholder="a name (kept in the config dir) or a path to a .toml / .json",
                id="mapping-name",
                compact=True,
            )
            yield Static(f"names are kept in {mappings_dir()}", classes="hint", markup=False)
            if self.saved:
                yield Static("Saved mappings (enter to pick):", classes="hint")
                yield OptionList(
                    *(Option(p.stem, id=str(p)) for p in self.saved), id="mapping-saved"
                )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#mapping-name")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(mapping_path(event.value))

    @on(OptionList.OptionSelected, "#mapping-saved")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(Path(event.option.id))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
