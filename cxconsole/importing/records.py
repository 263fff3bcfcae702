"""From a row of values to the record a vendor is sent: the per-row plan, and product folding.

:class:`RowPlan` is made once per run from the headers, the mapping and the target fields: a
list of ``(column index, key, check)`` walked by a plain closure for every row, so a row costs
a few dictionary stores and the checks of its e-mail, phone and date columns.
:class:`ProductFolder` joins consecutive rows of one QuestionPro contact into one contact with
several ``products``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from functools import partial
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any, NamedTuple

from cxconsole.importing.mapping import ColumnMapping, LeftOut, left_out, requirement_groups
from cxconsole.importing.validate import Check, DateCheck, PhoneCheck, RowError, make_check
from cxconsole.vendors.base import TargetField, Vendor

Steps = list[tuple[int, str, Check | None]]


class RowPlan:
    """How to turn one row into ``(record, product)``; raises :class:`RowError` when it can't.

    Requirements are checked per row on rows that carry contact values (a folded QuestionPro
    row that only adds a product carries none): each required field, and each group of which
    one value must be there (QuestionPro's e-mail or mobile, Noojee's phone number).
    """

    def __init__(
        self,
        headers: Sequence[str],
        mapping: ColumnMapping,
        fields: Sequence[TargetField],
        *,
        date_format: str,
        region: str | None = None,
        day_first: bool | None = None,
        date_orders: dict[str, bool] | None = None,
        text_only: bool = False,
        serials: bool = False,
        vendor: Vendor | None = None,
        values: dict[str, str] | None = None,
        unit: str = "line",
    ) -> None:
        self.headers = list(headers)
        self.unit = unit  # what a row's number counts: a line, or a JSON array's record
        self.text_only = text_only  # every value is a str (CSV)
        self.width = len(headers)
        by_name = {f.name: f for f in fields}
        self.labels: dict[str, str] = {}
        self.kinds: dict[str, str] = {}  # key sent -> its kind
        self.contact: list[tuple[int, str, Check | None]] = []
        self.product: list[tuple[int, str, Check | None]] = []
        self.nested: int | None = None  # column holding a nested products list
        self.passthrough = mapping.passthrough
        self.sent_headers = set()
        self.date_checks: dict[str, DateCheck] = {}  # key -> its check, which learns the order
        self.phone_checks: dict[str, PhoneCheck] = {}  # key -> its check, which counts
        for index, header in enumerate(headers):
            key = mapping.target(header)
            if not key:
                continue
            self.sent_headers.add(header)
            target = by_name.get(key)
            if target is not None:
                kind: str = target.kind
            else:
                kind = vendor.passthrough_kind(key) if vendor is not None else "text"
            label = target.label if target else key
            self.labels[key] = label
            self.kinds[key] = kind
            order = day_first if day_first is not None else (date_orders or {}).get(key)
            check = make_check(
                kind,
                label,
                date_format=target.format if target is not None and target.format else date_format,
                region=region,
                day_first=order,
                limits=target.limits if target is not None else None,
                max_length=target.max_length if target is not None else None,
                serials=serials,  # Excel serial numbers are dates in an XLSX file only
            )
            if isinstance(check, DateCheck):
                self.date_checks[key] = check
            elif isinstance(check, PhoneCheck):
                self.phone_checks[key] = check
            if target is not None and target.group == "products":
                self.nested = index
            elif target is not None and target.group == "product":
                self.product.append((index, key, check))
            else:
                self.contact.append((index, key, check))
        self.required = [
            (f.name, f.label) for f in fields if f.required and f.group not in ("product",)
        ]
        self.groups = requirement_groups(fields, self.kinds, vendor)
        self.product_fields = {f.name for f in fields if f.group == "product"}
        self.values = dict(values or {})  # given to every record where the file gives none
        self.mapping = mapping
        self.fields = list(fields)
        # Columns not sent, watched while the file is read: one that holds a value and that
        # nobody skipped stops the import (check_left_out); one that never does is named.
        self.watch = [
            (index, header)
            for index, header in enumerate(self.headers)
            if not mapping.target(header)
        ]
        self.filled: dict[str, int] = {}  # watched columns a value was seen in: its first line
        self.build = self._compile()

    def left_out(self, *, whole_file: bool) -> list[LeftOut]:
        """The columns not sent, with what reading showed of them so far."""
        return left_out(
            self.mapping,
            self.headers,
            self.fields,
            self.filled,
            whole_file=whole_file,
            unit=self.unit,
        )

    def seen(
        self, values: Sequence[Any], watch: list[tuple[int, str]], line: int = 0
    ) -> list[tuple[int, str]]:
        """Note the watched columns that hold a value in ``values`` (at ``line``); returns those
        still to watch (the reading loop stops calling once none are left)."""
        left = []
        width = len(values)
        for index, header in watch:
            value = values[index] if index < width else None
            if value in ("", None) or (type(value) is str and value.isspace()):
                left.append((index, header))
            else:
                self.filled[header] = line
        return left

    def date_orders(self) -> dict[str, bool]:
        """The day-or-month order each date column settled on (columns that settled)."""
        return {
            key: check.day_first
            for key, check in self.date_checks.items()
            if check.day_first is not None
        }

    @property
    def folds(self) -> bool:
        """Rows carry products, so consecutive rows of one contact are joined."""
        return bool(self.product) or self.nested is not None

    def _compile(self) -> Callable[[list[Any]], tuple[dict[str, Any], dict[str, Any] | None]]:
        """``build(values) -> (record, product)`` for this mapping, as plain closures."""
        other = self._other
        contact = [(index, key, _direct(check)) for index, key, check in self.contact]
        product_steps = [(index, key, _direct(check)) for index, key, check in self.product]
        required = self.required
        groups = [(label, frozenset(keys)) for label, keys in self.groups if keys]
        nested, nested_of = self.nested, self._nested
        folds = self.folds
        given = list(self.values.items())

        def fill(values: list[Any], steps: Steps, into: dict[str, Any]) -> None:
            for index, key, check in steps:
                value = values[index]
                if not value:
                    continue
                if value.__class__ is str:
                    if check is None:
                        value = value.strip()
                        if value:
                            into[key] = value
                    elif not value.isspace():
                        into[key] = check(value)
                else:
                    into[key] = other(key, value) if check is None else check(value)

        # A CSV row holds text only: its plain and its checked columns in two loops, without
        # asking each cell its type (the reading loop's hot path). Other rows go through fill.
        text_only = self.text_only
        plain = [(i, k) for i, k, c in contact if c is None]
        checked = [(i, k, c) for i, k, c in contact if c is not None]

        def build(values: list[Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
            record: dict[str, Any] = {}
            if text_only:
                for index, key in plain:
                    value = values[index].strip()
                    if value:
                        record[key] = value
                for index, key, check in checked:
                    value = values[index]
                    if value and not value.isspace():
                        record[key] = check(value)
            else:
                fill(values, contact, record)
            # The requirements in this same function: a call of its own per row cost the
            # pre-flight about 2%.
            if record or not folds:
                if not record:
                    raise RowError("row", "no value in any of the columns sent")
                for key, value in given:
                    if key not in record:
                        record[key] = value
                for key, label in required:
                    if key not in record:
                        raise RowError(label, "required, but empty")
                for label, keys in groups:
                    if record.keys().isdisjoint(keys):
                        raise RowError(label, "required: every value of it is empty")
            product: dict[str, Any] | None = None
            if product_steps:
                product = {}
                fill(values, product_steps, product)
            if nested is not None:
                record["products"] = nested_of(values[nested])
            return record, product

        return build

    def _other(self, key: str, value: Any) -> str:
        """A text field given something other than text (an XLSX number or date, JSON)."""
        if isinstance(value, (list, dict)):
            raise RowError(self.labels.get(key, key), "a nested list or object, expected text")
        if isinstance(value, str):  # an XLSX text cell marked as such (TextCell)
            return value.strip()
        if isinstance(value, datetime) and value.time() == time() and value.tzinfo is None:
            return value.date().isoformat()  # an XLSX date cell: openpyxl gives midnight
        if isinstance(value, (datetime, date, time)):
            return value.isoformat()
        return str(value)

    def has_contact(self, values: list[Any]) -> bool:
        """Whether the row has any contact (non-product) value: it starts a contact."""
        width = len(values)
        for index, _key, _check in self.contact:
            if index < width:
                value = values[index]
                if value and not (type(value) is str and value.isspace()):
                    return True
        return False

    def _nested(self, value: Any) -> list[dict[str, Any]]:
        if value in ("", None):
            return []
        if isinstance(value, str):
            return [{"productName": value.strip()}]
        if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
            raise RowError("products", "expected a list of product objects")
        unknown = {k for p in value for k in p} - self.product_fields
        if unknown:
            raise RowError("products", f"unknown product field(s): {', '.join(sorted(unknown))}")
        return [{k: str(v) for k, v in p.items() if v not in (None, "")} for p in value]

    def normalise_row(self, values: list[Any]) -> list[Any]:
        """A row that is not exactly as wide as the headers, padded to their width.

        Raises :class:`RowError` for values in columns that have no header.
        """
        if len(values) > self.width:
            spill = [v for v in values[self.width :] if v not in ("", None)]
            if spill:
                raise RowError(
                    f"column {self.width + 1}",
                    f"the row has {len(values)} values but the header names {self.width} "
                    "columns (a delimiter or quote inside a value?)",
                )
            values = values[: self.width]
        elif len(values) < self.width:
            values = list(values) + [""] * (self.width - len(values))
        return values


def _direct(check: Check | None) -> Check | None:
    """The check's own ``__call__``, bound: the row loop calls it without going through the
    type's call slot, which costs a check object as much again as a plain function call."""
    if check is None or isinstance(check, (FunctionType, BuiltinFunctionType, MethodType)):
        return check
    call: Check = check.__call__  # type: ignore[operator]  # mypy cannot bind a Callable
    return call


class Item(NamedTuple):
    """One record to send, with the source rows it came from (rows > 1 for folded contacts).

    A tuple, made with ``tuple.__new__`` in the reading loop: a third of the cost of a
    dataclass, a million times per million rows.
    """

    record: dict[str, Any]
    lines: Sequence[int]
    rows: Sequence[Any]  # each row's values, for the rejects file


#: ``make_item((record, lines, rows))``: an Item without a Python-level call.
make_item: Callable[[tuple[Any, Any, Any]], Item] = partial(tuple.__new__, Item)


class ProductFolder:
    """Joins consecutive rows of one QuestionPro contact into one contact with ``products``.

    Rows belong to the same contact when they share the e-mail (else the mobile, else every
    contact field), or when a row holds product columns only (a continuation row).
    """

    key_fields: tuple[str, ...] = ("email", "mobile")

    def __init__(self) -> None:
        self.current: Item | None = None
        self._key: Any = None
        self._dead_head: int | None = None  # a rejected contact row: its continuations follow

    def _key_of(self, record: dict[str, Any]) -> Any:
        for name in self.key_fields:
            value = record.get(name)
            if value:
                return (name, value.casefold() if isinstance(value, str) else value)
        return tuple(sorted((k, str(v)) for k, v in record.items() if k != "products"))

    def add(
        self, record: dict[str, Any], product: dict[str, Any] | None, line: int, row: Any
    ) -> tuple[Item | None, str | None]:
        """(the contact this row completes, or None; a reason to reject this row, or None)."""
        products_only = all(k == "products" for k in record)
        if products_only:
            if self._dead_head is not None:
                return None, f"continues the contact on line {self._dead_head}, which was rejected"
            if self.current is None:
                return None, "product columns only, and no contact row before it"
            self._append(self.current, product, record, line, row)
            return None, None
        key = self._key_of(record)
        if self.current is not None and key == self._key:
            self._append(self.current, product, record, line, row)
            return None, None
        done = self.current
        self._dead_head = None
        record.setdefault("products", [])
        if product:
            record["products"].append(product)
        self.current = make_item((record, [line], [row]))
        self._key = key
        return done, None

    def head_rejected(self, line: int) -> Item | None:
        """A contact row was rejected: close the open contact; its continuations are orphans."""
        done, self.current, self._key = self.current, None, None
        self._dead_head = line
        return done

    @staticmethod
    def _append(
        item: Item, product: dict[str, Any] | None, record: dict[str, Any], line: int, row: Any
    ) -> None:
        # A folded contact's lines and rows are lists (made in add), so they can grow.
        assert isinstance(item.lines, list) and isinstance(item.rows, list)
        if product:
            item.record["products"].append(product)
        item.record["products"].extend(record.get("products", []))
        item.lines.append(line)
        item.rows.append(row)

    def finish(self) -> Item | None:
        done, self.current, self._key = self.current, None, None
        return done
