"""From a row of values to the record a vendor is sent: the per-row plan, and product folding.

:class:`RowPlan` is compiled once per run from the headers, the mapping and the target
fields: a list of ``(column index, key, check)`` walked for every row, so a row costs a few
dictionary stores and the checks of its e-mail, phone and date columns. :class:`ProductFolder`
joins consecutive rows of one QuestionPro contact into one contact with several ``products``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from functools import partial
from typing import Any, NamedTuple

from cxconsole.importing.mapping import ColumnMapping
from cxconsole.importing.validate import DEFAULT_REGION, Check, DateCheck, RowError, make_check
from cxconsole.vendors.base import TargetField


class RowPlan:
    """How to turn one row into ``(record, product)``; raises :class:`RowError` when it can't."""

    def __init__(
        self,
        headers: Sequence[str],
        mapping: ColumnMapping,
        fields: Sequence[TargetField],
        *,
        date_format: str,
        region: str = DEFAULT_REGION,
        day_first: bool | None = None,
        date_orders: dict[str, bool] | None = None,
        text_only: bool = False,
    ) -> None:
        self.headers = list(headers)
        self.text_only = text_only  # every value is a str (CSV): simpler code per column
        self.width = len(headers)
        by_name = {f.name: f for f in fields}
        self.labels: dict[str, str] = {}
        self.contact: list[tuple[int, str, Check | None]] = []
        self.product: list[tuple[int, str, Check | None]] = []
        self.nested: int | None = None  # column holding a nested products list
        self.passthrough = mapping.passthrough
        self.sent_headers = set()
        self.date_checks: dict[str, DateCheck] = {}  # key -> its check, which learns the order
        for index, header in enumerate(headers):
            key = mapping.target(header)
            if not key:
                continue
            self.sent_headers.add(header)
            target = by_name.get(key)
            kind = target.kind if target else "text"
            label = target.label if target else key
            self.labels[key] = label
            order = day_first if day_first is not None else (date_orders or {}).get(key)
            check = make_check(kind, label, date_format=date_format, region=region, day_first=order)
            if isinstance(check, DateCheck):
                self.date_checks[key] = check
            if target is not None and target.group == "products":
                self.nested = index
            elif target is not None and target.group == "product":
                self.product.append((index, key, check))
            else:
                self.contact.append((index, key, check))
        self.required = [
            (f.name, f.label) for f in fields if f.required and f.group not in ("product",)
        ]
        self.product_fields = {f.name for f in fields if f.group == "product"}
        self.build = self._compile()

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
        """``build(values) -> (record, product)`` as straight-line code for this mapping.

        The row loop runs a million times a second's worth of columns: a generated function
        with one block per mapped column avoids the per-column loop and tuple unpacking, and
        is about twice as fast as the loop it replaces.
        """
        # Keys, labels and checks enter as the factory's arguments (fast closure cells),
        # never as source text: headers of passthrough columns come from the file.
        names: list[str] = ["RowError", "_other", "_nested"]
        values: list[Any] = [RowError, self._other, self._nested]

        def bind(value: Any) -> str:
            names.append(f"a{len(names)}")
            values.append(value)
            return names[-1]

        code: list[str] = ["    def build(values):", "        record = {}"]

        def column(index: int, key: str, check: Check | None, target: str) -> None:
            k = bind(key)
            if check is None and self.text_only:
                code.extend(
                    [
                        f"        v = values[{index}].strip()",
                        "        if v:",
                        f"            {target}[{k}] = v",
                    ]
                )
            elif check is None:
                code.extend(
                    [
                        f"        v = values[{index}]",
                        "        if v:",
                        "            if v.__class__ is str:",
                        "                v = v.strip()",
                        "                if v:",
                        f"                    {target}[{k}] = v",
                        "            else:",
                        f"                {target}[{k}] = _other({k}, v)",
                    ]
                )
            elif self.text_only and hasattr(check, "inline"):
                # The fast path as a C-level call right here; the check only when it fails.
                how, probe = check.inline()
                p, c = bind(probe), bind(check)
                sent, passed = ("v", "h") if how == "test" else ("h", "h.__class__ is str")
                code.extend(
                    [
                        f"        v = values[{index}]",
                        "        if v and not v.isspace():",
                        f"            h = {p}(v)",
                        f"            if {passed}:",
                        f"                {target}[{k}] = {sent}",
                        "            else:",
                        f"                {target}[{k}] = {c}(v)",
                    ]
                )
            else:
                # A closure where the check has one: the hot path without attribute lookups.
                fast = getattr(check, "fast", None)
                c = bind(fast() if fast is not None else check)
                test = (
                    "not v.isspace()"
                    if self.text_only
                    else "(v.__class__ is not str or not v.isspace())"
                )
                code.extend(
                    [
                        f"        v = values[{index}]",
                        f"        if v and {test}:",
                        f"            {target}[{k}] = {c}(v)",
                    ]
                )

        for index, key, check in self.contact:
            column(index, key, check, "record")
        for key, label in self.required:
            code.append(f"        if {bind(key)} not in record:")
            code.append(f"            raise RowError({bind(label)}, 'required, but empty')")
        if self.product:
            code.append("        product = {}")
            for index, key, check in self.product:
                column(index, key, check, "product")
        else:
            code.append("        product = None")
        if self.nested is not None:
            code.append(f"        record['products'] = _nested(values[{self.nested}])")
        code.append("        return record, product")
        source = f"def make({', '.join(names)}):\n" + "\n".join(code) + "\n    return build\n"
        env: dict[str, Any] = {}
        exec(source, env)
        return env["make"](*values)

    def _other(self, key: str, value: Any) -> str:
        """A text field given something other than text (an XLSX number or date, JSON)."""
        if isinstance(value, (list, dict)):
            raise RowError(self.labels.get(key, key), "a nested list or object, expected text")
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

    def normalise_row(self, values: list[Any]) -> tuple[list[Any], dict[str, Any] | None]:
        """A row that is not exactly as wide as the headers: padded, or its extras explained.

        Returns the full-width values and the extra keys of a JSON record (passthrough).
        Raises :class:`RowError` for values in columns that have no header.
        """
        extra = None
        if len(values) > self.width and isinstance(values[-1], dict):
            extra = values[-1]
            values = values[:-1]
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
        return values, extra


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
    def _append(item: Item, product: dict | None, record: dict, line: int, row: Any) -> None:
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
