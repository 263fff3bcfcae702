"""The fields an import maps onto, pinned for every vendor and settings variant: deriving them
from the request models must not move a label, a synonym or a place in the pickers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from cxconsole.catalog import lenient_json
from cxconsole.importing import fields_for
from cxconsole.vendors import get_vendor
from cxconsole.vendors.base import TargetField
from cxconsole.vendors.expoints import CustomerDataColumn, Expoints

FIXTURES = Path(__file__).parent / "fixtures"
PINNED = FIXTURES / "target_fields.json"


def expoints_columns() -> list[TargetField]:
    """The document's data columns (one archived column added), as Expoints' targets."""
    seed = lenient_json((FIXTURES / "seeds" / "expoints_customerdatacolumn.txt").read_text())
    columns = [CustomerDataColumn.model_validate(c) for c in seed["CustomerDataColumns"]]
    columns.append(CustomerDataColumn(Id=99, Archived=True, Name="Old", DisplayName="Old"))
    return Expoints.column_fields(columns)


def webex_columns() -> list[TargetField]:
    """A datastore's columns as the metadata call makes them: two of our own, four new."""
    return [
        TargetField("msisdn", "msisdn", "text", group="datastore", max_length=20),
        TargetField("emailid", "emailid", "email", group="datastore", max_length=120),
        TargetField("Ref", "Ref", group="datastore", max_length=40),
        TargetField("Joined", "Joined", "date", group="datastore"),
        TargetField("Visits", "Visits", "int", group="datastore"),
        TargetField("Opted in", "Opted in", "bool", group="datastore"),
    ]


#: name -> (vendor, settings or None for the adapter's bare list, fetched fields).
VARIANTS: dict[str, tuple[str, dict[str, Any] | None, Any]] = {
    "questionpro": ("questionpro", None, list),
    "questionpro default": ("questionpro", {}, list),
    "questionpro month-first": ("questionpro", {"date_order": "month-first"}, list),
    "expoints": ("expoints", None, list),
    "expoints default": ("expoints", {}, list),
    "expoints portal": ("expoints", {"type_batch": "1"}, list),
    "expoints columns": ("expoints", {}, expoints_columns),
    "expoints portal columns": ("expoints", {"type_batch": "1"}, expoints_columns),
    "webex": ("webex", None, list),
    "webex default": ("webex", {}, list),
    "webex datastore": ("webex", {"datastore-id": "1466", "feed-id": "1499"}, webex_columns),
    "noojee": ("noojee", None, list),
    "noojee default": ("noojee", {}, list),
}


def listed(variant: str) -> list[dict[str, Any]]:
    vendor_name, settings, fetched = VARIANTS[variant]
    vendor = get_vendor(vendor_name)
    if settings is None:
        fields = vendor.target_fields(fetched())
    else:
        fields = fields_for(vendor, fetched(), vendor.settings_model.model_validate(settings))
    return [as_json(f) for f in fields]


def as_json(field: TargetField) -> dict[str, Any]:
    # JSON has no tuples: that they stay tuples (the field hashable) is checked here.
    assert isinstance(field.synonyms, tuple)
    assert field.limits is None or isinstance(field.limits, tuple)
    found = json.loads(json.dumps(dataclasses.asdict(field)))
    if field.group == "data":
        # A data column's synonyms were once a set, in no fixed order: compared as a set.
        found["synonyms"] = sorted(found["synonyms"])
    return dict(found)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_target_fields_are_as_pinned(variant: str) -> None:
    pinned = json.loads(PINNED.read_text("utf-8"))
    assert set(pinned) == set(VARIANTS)
    assert listed(variant) == pinned[variant]


if __name__ == "__main__":  # writes the pin: only ever from a version known to be right
    lines = [
        f" {json.dumps(v)}: [\n"
        + ",\n".join(f"  {json.dumps(f, ensure_ascii=False)}" for f in listed(v))
        + "\n ]"
        for v in VARIANTS
    ]
    PINNED.write_text("{\n" + ",\n".join(lines) + "\n}\n", "utf-8")
