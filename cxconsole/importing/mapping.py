"""Mapping file columns onto a vendor's target fields: automatic, editable, saved and reused.

A column named exactly (case aside) as a field's name or label takes it first; then columns
are matched by normalised names (``E-mail`` = ``email``, ``First Name`` = ``firstname``)
against each field's name, label and synonyms, then by a few synonyms common to every vendor
(``msisdn`` / ``mobile`` / ``phone``). A mapping is saved as TOML or JSON and read
back with ``--mapping FILE``; ``--map COLUMN=FIELD`` changes one column, and two that
disagree are refused. Vendors that pass columns through (Webex Campaign, Noojee) send an
unmapped column under its own header; for the others, a column no field takes is named
(:func:`left_out`), and one that holds values stops the import until it is mapped or skipped.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxconsole.importing.errors import ColumnsNotSent, MappingError
from cxconsole.vendors.base import TargetField, Vendor, VendorSettings

IGNORE = ""  # a column mapped to this is left out of the import

#: Synonyms every vendor shares, by field kind (the adapters add their own per field).
KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "emailid", "email id"),
    "phone": (
        "phone",
        "mobile",
        "msisdn",
        "cell",
        "cellphone",
        "mobile number",
        "mobile phone",
        "phone number",
        "telephone",
        "tel",
    ),
}
#: A QuestionPro JSON record may carry its ``products`` already nested (the vendor's own format).
PRODUCTS_FIELD = TargetField("products", "Products (nested list)", group="products")


def normalise(name: str) -> str:
    """Case, accents, spaces and punctuation removed: ``E-Mail Address`` -> ``emailaddress``."""
    text = unicodedata.normalize("NFKD", str(name)).casefold()
    return re.sub(r"[\W_]+", "", "".join(c for c in text if not unicodedata.combining(c)))


def fields_for(
    vendor: Vendor, extra: Sequence[TargetField] = (), settings: VendorSettings | None = None
) -> list[TargetField]:
    """The vendor's import targets (for a profile's ``settings`` when given), plus the nested
    products list where products exist."""
    fields = vendor.target_fields(extra)
    if settings is not None:
        fields = vendor.fields_for_settings(fields, settings)
    if any(f.group == "product" for f in fields):
        fields.append(PRODUCTS_FIELD)
    return fields


@dataclass
class ColumnMapping:
    """Which column goes to which field: ``{header: field}``; ``""`` leaves a column out.

    Columns absent from ``columns`` are not imported, except by passthrough vendors, which
    send them under their own header (``passthrough=True`` records that choice).
    """

    columns: dict[str, str] = field(default_factory=dict)
    vendor: str | None = None
    passthrough: bool = False

    def target(self, header: str) -> str | None:
        """The key a column is sent under, or None when it is not sent."""
        if header in self.columns:
            return self.columns[header] or None
        return header if self.passthrough else None

    def give(self, header: str, name: str) -> None:
        """Column ``header`` takes field ``name`` (IGNORE: left out); the field moves here from
        any column that had it (which a passthrough vendor then sends under its own header)."""
        if name != IGNORE:
            for other, key in list(self.columns.items()):
                if key == name and other != header:
                    del self.columns[other]
        self.columns[header] = name

    def skipped(self, header: str) -> bool:
        """Whether the column is left out on purpose (a skip choice, ``COLUMN=``)."""
        return self.columns.get(header) == IGNORE

    def included(self, headers: Iterable[str]) -> dict[str, str]:
        """{header: key} for the columns that are sent."""
        found = {}
        for header in headers:
            key = self.target(header)
            if key:
                found[header] = key
        return found

    def to_dict(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "passthrough": self.passthrough, "columns": self.columns}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMapping:
        columns = data.get("columns", {})
        if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            raise MappingError("a mapping's 'columns' must map column names to field names")
        return cls(dict(columns), data.get("vendor"), bool(data.get("passthrough", False)))

    # -- files -----------------------------------------------------------------------------
    def save(
        self, path: str | os.PathLike[str], *, inputs: tuple[os.PathLike[str] | str, ...] = ()
    ) -> Path:
        """Write as TOML (``.toml``) or JSON (anything else).

        Only over nothing, an empty file or an earlier mapping: never over one of ``inputs``
        (the file being imported) or any other file, such as the profiles or a customer file.
        """
        from cxconsole.storage import OutputPathError, check_output_path

        path = check_output_path(path, inputs=inputs, option="mapping")
        if path.exists() and path.stat().st_size and not _holds_a_mapping(path):
            raise OutputPathError(
                path,
                "exists and is not a mapping: a mapping is only ever written over an "
                "earlier mapping; choose a new path",
                option="mapping",
            )
        data = {k: v for k, v in self.to_dict().items() if v is not None}
        if path.suffix.lower() == ".toml":
            import tomli_w

            text = tomli_w.dumps(data)
        else:
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ColumnMapping:
        path = Path(path)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise MappingError(f"{path}: cannot read the mapping ({exc.strerror or exc})") from None
        try:
            data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise MappingError(f"{path}: not a valid mapping file ({exc})") from None
        if not isinstance(data, dict):
            raise MappingError(f"{path}: a mapping file holds an object with 'columns'")
        try:
            return cls.from_dict(data)
        except MappingError as exc:
            raise MappingError(f"{path}: {exc}") from None


class FieldIndex:
    """Finds a target field by name, label or synonym, exactly or normalised."""

    def __init__(self, fields: Sequence[TargetField]) -> None:
        self.fields = list(fields)
        self.by_name = {f.name: f for f in fields}
        # A header that is a field's name or label (case aside) outranks every look-alike:
        # ``e_mail`` normalises to ``email`` too, but a column named ``email`` means the field.
        self.exact: dict[str, TargetField] = {}
        for f in fields:
            self.exact.setdefault(f.name.strip().casefold(), f)
        for f in fields:
            self.exact.setdefault(f.label.strip().casefold(), f)
        # Tiers: the field's own name, its label, its synonyms, then the shared synonyms.
        self.tiers: list[dict[str, TargetField]] = [{}, {}, {}, {}]
        for f in fields:
            self.tiers[0].setdefault(normalise(f.name), f)
            self.tiers[1].setdefault(normalise(f.label), f)
            for synonym in f.synonyms:
                self.tiers[2].setdefault(normalise(synonym), f)
            for synonym in KIND_SYNONYMS.get(f.kind, ()):
                self.tiers[3].setdefault(normalise(synonym), f)

    def match(self, text: str) -> tuple[int, TargetField] | None:
        """(rank, field): 0 for a field's exact name or label, then 1.. by tier normalised."""
        exact = self.exact.get(str(text).strip().casefold())
        if exact is not None:
            return 0, exact
        key = normalise(text)
        if not key:
            return None
        for tier, table in enumerate(self.tiers, start=1):
            if key in table:
                return tier, table[key]
        return None

    def resolve(self, text: str) -> TargetField | None:
        """A field named on the command line or in a mapping file."""
        if text in self.by_name:
            return self.by_name[text]
        found = self.match(text)
        return found[1] if found else None

    def describe(self) -> str:
        return ", ".join(f.name for f in self.fields)


def auto_map(
    headers: Sequence[str],
    fields: Sequence[TargetField],
    *,
    passthrough: bool = False,
    decided: Iterable[str] = (),
    taken: Iterable[str] = (),
) -> ColumnMapping:
    """The best guess: each field gets the column that names it most exactly (left first).

    ``decided`` columns (an explicit choice made for them) are left to that choice and
    ``taken`` fields (given to a column explicitly) are not guessed: so a field whose column
    was skipped or moved goes to the next column that names it, as if that column were alone.
    """
    index = FieldIndex(fields)
    skip = set(decided)
    candidates = []
    for position, header in enumerate(headers):
        found = index.match(header) if header not in skip else None
        if found:
            candidates.append((found[0], position, header, found[1]))
    columns: dict[str, str] = {}
    owned = set(taken)
    for _tier, _position, header, target in sorted(candidates, key=lambda c: (c[0], c[1])):
        if target.name in owned or header in columns:
            continue
        columns[header] = target.name
        owned.add(target.name)
    ordered = {h: columns[h] for h in headers if h in columns}
    return ColumnMapping(ordered, passthrough=passthrough)


def find_header(headers: Sequence[str], name: str) -> str | None:
    """The header ``name`` means: itself, else the one header equal to it folded or normalised."""
    if name in headers:
        return name
    folded = [h for h in headers if h.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    normal = [h for h in headers if normalise(h) == normalise(name)]
    return normal[0] if len(normal) == 1 else None


def parse_override(text: str) -> tuple[str, str]:
    """``COLUMN=FIELD`` (``COLUMN=`` or ``COLUMN=-`` leaves the column out).

    Split at the last ``=``: no field name holds one, but a header may (``e=mail=firstName``).
    """
    column, sep, target = text.rpartition("=")
    if not sep or not column.strip():
        raise MappingError(f"--map {text!r}: expected COLUMN=FIELD (COLUMN= to leave it out)")
    target = target.strip()
    return column.strip(), "" if target == "-" else target


@dataclass(frozen=True, slots=True)
class Override:
    """One explicit choice for a column: a field, or :data:`IGNORE`; ``said`` is how the
    operator wrote it (``--map email=mobile``), to name it in a message."""

    column: str
    target: str
    said: str

    @classmethod
    def of(cls, text: str | Override) -> Override:
        if isinstance(text, Override):
            return text
        column, target = parse_override(text)
        return cls(column, target, f"--map {text}")


def field_named(index: FieldIndex, target: str, said: str, *, passthrough: bool) -> str:
    """The field ``target`` names (its name, label or synonym), IGNORE for a skip, or with
    ``passthrough`` the target as written. Raises :class:`MappingError` naming ``said`` (where
    the operator wrote it) for a field the vendor does not have."""
    if target == IGNORE:
        return IGNORE
    found = index.resolve(target)
    if found is None and not passthrough:
        raise MappingError(f"{said}: unknown field {target!r}; fields: {index.describe()}")
    return found.name if found else target


def resolve_overrides(
    overrides: Sequence[str | Override],
    headers: Sequence[str],
    fields: Sequence[TargetField],
    *,
    passthrough: bool,
) -> list[tuple[str, str]]:
    """``(header, field name or IGNORE)`` for each override, in order; checked.

    Raises :class:`MappingError` for an unknown column or field, and for two overrides that
    disagree: one column given two fields (or a field and a skip), or one field given to two
    columns; both are named, since which one was meant cannot be guessed.
    """
    index = FieldIndex(fields)
    by_header: dict[str, tuple[str, Override]] = {}
    by_field: dict[str, tuple[str, Override]] = {}
    resolved: list[tuple[str, str]] = []
    for item in map(Override.of, overrides):
        header = find_header(headers, item.column)
        if header is None:
            raise MappingError(
                f"{item.said}: unknown column {item.column!r}; the file's columns: "
                + ", ".join(headers)
            )
        name = field_named(index, item.target, item.said, passthrough=passthrough)
        earlier = by_header.get(header)
        if earlier is not None and earlier[0] != name:
            raise MappingError(
                f"{earlier[1].said} and {item.said} both say where column {header!r} goes; "
                "give one",
                conflict=(earlier[1].said, item.said),
            )
        other = by_field.get(name) if name != IGNORE else None
        if other is not None and other[0] != header:
            raise MappingError(
                f"{other[1].said} and {item.said} both map a column onto field {name!r}; give one",
                conflict=(other[1].said, item.said),
            )
        by_header[header] = (name, item)
        if name != IGNORE:
            by_field[name] = (header, item)
        resolved.append((header, name))
    return resolved


def build_mapping(
    headers: Sequence[str],
    fields: Sequence[TargetField],
    *,
    vendor: str,
    passthrough: bool,
    saved: ColumnMapping | None = None,
    overrides: Sequence[str | Override] = (),
) -> tuple[ColumnMapping, list[str]]:
    """Automatic mapping, then a saved one, then ``--map`` overrides; checked.

    Returns the mapping and warnings (saved columns this file does not have). Raises
    :class:`MappingError` for an unknown column or field, two columns on one field, two
    overrides that disagree, or a required field left unmapped.
    """
    index = FieldIndex(fields)
    warnings: list[str] = []
    chosen: list[tuple[str, str]] = []  # (header, field or IGNORE), in the order given
    if saved is not None:
        if saved.vendor and saved.vendor != vendor:
            raise MappingError(f"the saved mapping is for {saved.vendor}, not {vendor}")
        for column, target in saved.columns.items():
            header = find_header(headers, column)
            if header is None:
                warnings.append(f"the saved mapping's column {column!r} is not in this file")
                continue
            name = field_named(index, target, "mapping file", passthrough=passthrough)
            chosen.append((header, name))
    chosen += resolve_overrides(overrides, headers, fields, passthrough=passthrough)
    final: dict[str, str] = {}  # each column's last word, in the order last said
    for header, name in chosen:
        final.pop(header, None)
        final[header] = name
    mapping = auto_map(
        headers,
        fields,
        passthrough=passthrough,
        decided=final,
        taken=[n for n in final.values() if n != IGNORE],
    )
    mapping.vendor = vendor
    for header, name in final.items():
        mapping.give(header, name)

    check_mapping(mapping, headers, fields)
    return mapping, warnings


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A column of the file that is not sent.

    ``skipped``: the operator left it out (a skip choice, ``COLUMN=``, a saved mapping's
    skip). ``filled``: True once a value is seen in it; False when the whole file was read
    and it holds none; None while only part of the file was read. ``field`` and ``by``: the
    field it would have had automatically, which an explicit choice gave to column ``by``.
    """

    column: str
    skipped: bool
    filled: bool | None = None
    field: str | None = None
    by: str | None = None
    first: int | None = None  # the line of its first value, where the reading saw it
    unit: str = "line"  # what ``first`` counts: a line, or a JSON array's record

    @property
    def blocking(self) -> bool:
        """It holds values, and nobody said to leave it out: the import may not send."""
        return not self.skipped and self.filled is True

    @property
    def reason(self) -> str:
        if self.skipped:
            return "skipped"
        if self.filled is False:
            return "empty"
        return "taken" if self.by is not None else "unmapped"

    def said(self) -> str:
        """``Notes (skipped)``, ``email (its field email now comes from 'first_name')``."""
        words = {"skipped": "skipped", "empty": "empty in every row", "unmapped": "not mapped"}
        why = words.get(self.reason, "")
        if self.skipped and self.filled is False:
            why = "skipped, empty in every row"
        if self.by is not None:
            taken = f"its field {self.field} now comes from {self.by!r}"
            why = f"{why}; {taken}" if self.reason != "taken" else taken
        if self.filled and not self.skipped and self.first:
            why = f"{why}; a value at {self.unit} {self.first:,}"
        return f"{self.column} ({why})"

    def as_json(self) -> dict[str, object]:
        return {
            "column": self.column,
            "reason": self.reason,
            "filled": self.filled,
            "field": self.field,
            "by": self.by,
            "line": self.first,
        }


def displaced(
    mapping: ColumnMapping, headers: Sequence[str], fields: Sequence[TargetField]
) -> dict[str, tuple[str, str]]:
    """{column: (field, by)}: columns whose automatic field a choice gave to column ``by``."""
    auto = auto_map(headers, fields, passthrough=mapping.passthrough)
    owners = {key: header for header, key in mapping.included(headers).items()}
    found = {}
    for header in headers:
        field_name = auto.columns.get(header)
        by = owners.get(field_name) if field_name else None
        if field_name and by is not None and by != header:
            found[header] = (field_name, by)
    return found


def left_out(
    mapping: ColumnMapping,
    headers: Sequence[str],
    fields: Sequence[TargetField],
    filled: Iterable[str] | Mapping[str, int] = (),
    *,
    whole_file: bool = False,
    unit: str = "line",
) -> list[LeftOut]:
    """Every column that is not sent, in the file's order. ``filled`` names the columns a
    value was seen in (a mapping: with the line of the first); ``whole_file`` says the whole
    file was read (the others are empty)."""
    seen = set(filled)
    lines = filled if isinstance(filled, Mapping) else {}
    moved = displaced(mapping, headers, fields)
    found = []
    for header in headers:
        if mapping.target(header):
            continue
        field_name, by = moved.get(header, (None, None))
        state = True if header in seen else (False if whole_file else None)
        found.append(
            LeftOut(header, mapping.skipped(header), state, field_name, by, lines.get(header), unit)
        )
    return found


def check_left_out(columns: Sequence[LeftOut]) -> None:
    """Refuse while a column that holds values is neither mapped nor skipped."""
    blocking = [c for c in columns if c.blocking]
    if blocking:
        raise ColumnsNotSent(
            tuple(c.column for c in blocking),
            tuple(c.said() for c in blocking),
            [c.as_json() for c in columns],
        )


def check_mapping(
    mapping: ColumnMapping,
    headers: Sequence[str],
    fields: Sequence[TargetField],
    vendor: Vendor | None = None,
) -> None:
    """Refuse two columns on one field, required fields no column feeds, and a requirement
    met by one of several values (e-mail or mobile; a phone number) that no column can meet."""
    owners: dict[str, str] = {}
    for header, key in mapping.included(headers).items():
        if key in owners:
            raise MappingError(
                f"columns {owners[key]!r} and {header!r} are both mapped onto {key!r}",
                columns=(owners[key], header),
            )
        owners[key] = header
    missing = [f for f in fields if f.required and f.name not in owners]
    if missing:
        names = ", ".join(f"{f.label} ({f.name})" for f in missing)
        raise MappingError(
            f"required field(s) not mapped from any column: {names}",
            missing=tuple(f.name for f in missing),
        )
    by_name = {f.name: f for f in fields}
    kinds = {
        key: by_name[key].kind
        if key in by_name
        else (vendor.passthrough_kind(key) if vendor is not None else "text")
        for key in owners
    }
    unmet = [label for label, keys in requirement_groups(fields, kinds, vendor) if not keys]
    if unmet:
        raise MappingError(
            f"no column gives {' nor '.join(unmet)}, which every record needs",
            missing=tuple(unmet),
        )


def describe_mapping(
    mapping: ColumnMapping, headers: Sequence[str], fields: Sequence[TargetField]
) -> list[str]:
    """One line per column, for the CLI and the journal: ``E-mail -> email (E-mail)``."""
    labels = {f.name: f.label for f in fields}
    lines = []
    for header in headers:
        key = mapping.target(header)
        if key is None:
            lines.append(f"{header} -> (not imported)")
        else:
            label = labels.get(key)
            lines.append(f"{header} -> {key}" + (f" ({label})" if label and label != key else ""))
    return lines


def requirement_groups(
    fields: Sequence[TargetField], kinds: Mapping[str, str], vendor: Vendor | None
) -> list[tuple[str, tuple[str, ...]]]:
    """(label, keys sent) of each requirement met by any one of several values: the fields
    of a ``one_of`` group, and the vendor's required kinds (keys of that kind)."""
    found: dict[str, list[str]] = {}
    for f in fields:
        if f.one_of:
            found.setdefault(f.one_of, [])
            if f.name in kinds:
                found[f.one_of].append(f.name)
    if vendor is not None:
        for kind, label in vendor.required_kinds.items():
            found.setdefault(label, []).extend(k for k, v in kinds.items() if v == kind)
    return [(label, tuple(keys)) for label, keys in found.items()]


def _holds_a_mapping(path: Path) -> bool:
    """Whether ``path`` holds what :meth:`ColumnMapping.save` writes, and nothing else (a
    profiles file or a customer file may parse as TOML or JSON too)."""
    try:
        text = path.read_text("utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError, tomllib.TOMLDecodeError):
        return False
    return (
        isinstance(data, dict)
        and isinstance(data.get("columns"), dict)
        and set(data) <= {"vendor", "passthrough", "columns"}
    )
