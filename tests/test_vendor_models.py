"""The vendors' request and reply models hold the documents' own examples, every batch an
adapter builds fits its vendor's request model, and the request models are the one description
of the fields an import maps onto."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, ValidationError
from test_target_fields import VARIANTS

from cxconsole.catalog import lenient_json
from cxconsole.importing import ColumnMapping, fields_for
from cxconsole.importing.records import ProductFolder, RowPlan
from cxconsole.profiles import Profile
from cxconsole.vendors import VENDOR_NAMES, get_vendor
from cxconsole.vendors.base import Target, TargetField, Vendor
from cxconsole.vendors.expoints import CustomerDataColumn, ImportCustomersRequest
from cxconsole.vendors.noojee import InsertLeadsRequest, NoojeeReply
from cxconsole.vendors.questionpro import ImportReply, ImportRequest, TicketPage
from cxconsole.vendors.record_fields import fields_of
from cxconsole.vendors.webex import AddRecordsReply, AddRecordsRequest

SEEDS = Path(__file__).parent / "fixtures" / "seeds"


def seed(name: str):
    return lenient_json(SEEDS.joinpath(name).read_text("utf-8"))


def test_document_examples_fit_the_models():
    request = ImportRequest.model_validate(seed("qp_import_request.txt"))
    assert len(request.contacts) == 2 and len(request.contacts[0].products) == 2
    assert ImportReply.model_validate(seed("qp_import_success.txt")).importCount == 2
    page = TicketPage.model_validate(seed("qp_tickets_200.txt"))
    assert [t.ticketID for t in page.response] == [414, 413]
    assert page.pagination.totalPages == 1
    columns = seed("expoints_customerdatacolumn.txt")["CustomerDataColumns"]
    assert [CustomerDataColumn.model_validate(c).Id for c in columns] == [14, 15, 16, 18, 19, 20]
    records = AddRecordsRequest.model_validate(seed("webex_records_request.txt"))
    assert records.datastore_id == "1466" and len(records.records) == 5
    assert records.records[3].model_extra == {"accountid": "bc12434"}
    leads = InsertLeadsRequest.model_validate(seed("noojee_leads_request.txt"))
    assert [lead.model_extra for lead in leads.root][1] == {
        "fieldname1": "lead 2 field 1 value",
        "fieldname2": "lead 2 field 2 value",
    }


@pytest.mark.parametrize(
    ("vendor", "settings", "records", "model"),
    [
        (
            "questionpro",
            {},
            [
                {
                    "email": "a@example.com",
                    "transactionDate": "14/01/2020",
                    "products": [{"productName": "TV"}],
                }
            ],
            ImportRequest,
        ),
        (
            "expoints",
            {},
            [{"Email": "a@example.com", "data:15": "Ana"}],
            ImportCustomersRequest,
        ),
        (
            "webex",
            {"datastore-id": "1466", "feed-id": "1499"},
            [{"msisdn": "+442332223424", "firstname": "Ana"}],
            AddRecordsRequest,
        ),
        (
            "noojee",
            {"template_id": 12, "campaign_id": 23, "allocation_id": 34},
            [{"phone": "+61412345678", "njExternalLeadId": "cx-1-0", "njPriority": 5}],
            InsertLeadsRequest,
        ),
    ],
)
def test_built_batches_fit_the_request_models(vendor, settings, records, model):
    profile = Profile(name="p", vendor=vendor, base_url="http://127.0.0.1:1", settings=settings)
    url, _, body = profile.adapter.build_batch(
        profile.resolved_base_url(), profile.vendor_settings(), records
    )
    assert url.startswith("http://127.0.0.1:1/")
    model.model_validate(body)


def test_reply_models_read_failures_that_come_with_http_200():
    webex = AddRecordsReply.model_validate(
        {"statuscode": 1010, "description": "The request was not processed."}
    )
    assert webex.statuscode == 1010 and webex.trans_id is None
    noojee = NoojeeReply.model_validate(
        {"type": "error", "code": 105, "message": "DUPLICATE", "entities": [{"index": 1}]}
    )
    assert noojee.code == 105 and noojee.entities == [{"index": 1}]


REQUESTS: dict[str, type[BaseModel]] = {
    "questionpro": ImportRequest,
    "expoints": ImportCustomersRequest,
    "webex": AddRecordsRequest,
    "noojee": InsertLeadsRequest,
}
#: A file's value for a field of each kind, as an operator would write it.
SAMPLES = {
    "text": "Ana",
    "email": "ana@example.com",
    "phone": "+61 412 345 678",
    "date": "2020-01-14",
    "datetime": "2020-01-14 09:30",
    "int": "50",
    "bool": "yes",
}
#: Columns a passthrough vendor sends under their own names (Noojee's lead needs a phone).
OWN_COLUMNS = {"webex": {"Account": "bc12434"}, "noojee": {"Home phone": "+61 2 9876 5432"}}
WITH_SETTINGS = [v for v, (_vendor, settings, _f) in VARIANTS.items() if settings is not None]


def declared(vendor: Vendor) -> dict[str, str]:
    """Every key the vendor's record models know (a field's alias where it has one) -> the
    group an import puts it in."""
    return {
        info.alias or name: group
        for model, group in vendor.record_models
        for name, info in model.model_fields.items()
    }


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_the_targets_are_the_request_models_fields(name: str) -> None:
    vendor = get_vendor(name)
    assert vendor.record_models, "each vendor describes its record with a request model"
    targets = vendor.target_fields()
    marked = [f.name for model, group in vendor.record_models for f in fields_of(model, group)]
    assert [f.name for f in targets] == marked and marked
    known = declared(vendor)
    assert {f.name: f.group for f in targets}.items() <= known.items()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_field_offered_is_the_models_or_the_vendors_own(variant: str) -> None:
    vendor_name, settings, fetched = VARIANTS[variant]
    vendor = get_vendor(vendor_name)
    settings_model = vendor.settings_model.model_validate(settings or {})
    known = declared(vendor)
    for f in fields_for(vendor, fetched(), settings_model):
        if f.group in ("data", "datastore"):  # the account's own, listed by the vendor
            assert f in fetched() or f.name in known, f
        else:  # "products": the contact's nested list, a field of the model too
            assert known.get(f.name) == ("" if f.group == "products" else f.group), f


@pytest.mark.parametrize("variant", WITH_SETTINGS)
def test_a_row_mapping_every_field_builds_a_batch_the_request_model_takes(variant: str) -> None:
    vendor_name, settings, fetched = VARIANTS[variant]
    vendor = get_vendor(vendor_name)
    profile = Profile(
        name="p", vendor=vendor_name, base_url="http://127.0.0.1:1", settings=settings or {}
    )
    fields = [
        f for f in fields_for(vendor, fetched(), profile.vendor_settings()) if f.group != "products"
    ]
    own = OWN_COLUMNS.get(vendor_name, {})
    headers = [f"column {f.name}" for f in fields] + list(own)
    mapping = ColumnMapping(
        {f"column {f.name}": f.name for f in fields}, vendor_name, vendor.passthrough
    )
    plan = RowPlan(
        headers,
        mapping,
        fields,
        date_format=vendor.output_date_format(profile.vendor_settings()),
        vendor=vendor,
    )
    row = [SAMPLES[f.kind] for f in fields] + list(own.values())
    record, product = plan.build(row)
    if plan.folds:
        folder = ProductFolder()
        assert folder.add(record, product, 2, row)[1] is None
        item = folder.finish()
        assert item is not None
        record = item.record
    _url, _params, body = vendor.build_batch(
        profile.resolved_base_url(), profile.vendor_settings(), [record]
    )
    request = REQUESTS[vendor_name].model_validate(body)
    # Nothing was dropped or turned into another type on the way in.
    assert request.model_dump(by_alias=True, exclude_unset=True) == body
    sent = str(body)
    assert all(str(value) in sent for value in record.values() if not isinstance(value, list))


def test_the_request_models_refuse_a_field_the_vendor_does_not_know() -> None:
    contact = {"email": "a@example.com", "transactionDate": "14/01/2020"}
    ImportRequest.model_validate({"contacts": [contact]})
    with pytest.raises(ValidationError, match="custom11"):
        ImportRequest.model_validate({"contacts": [{**contact, "custom11": "x"}]})
    with pytest.raises(ValidationError, match="pCustom6"):
        ImportRequest.model_validate({"contacts": [{**contact, "products": [{"pCustom6": "x"}]}]})
    with pytest.raises(ValidationError, match="transactionDate"):
        ImportRequest.model_validate({"contacts": [{"email": "a@example.com"}]})
    envelope = {"ApproveAutomatically": True}
    with pytest.raises(ValidationError, match="Name"):
        ImportCustomersRequest.model_validate({**envelope, "Customers": [{"Name": "Ana"}]})
    with pytest.raises(ValidationError, match="njPriority"):
        InsertLeadsRequest.model_validate([{"phone": "+61412345678", "njPriority": 101}])


def test_fields_of_reads_kind_and_limits_from_the_type() -> None:
    class Record(BaseModel):
        plain: Annotated[str | None, Target("Plain")] = None
        count: Annotated[int, Target("Count"), Field(ge=1, le=9)]
        flag: Annotated[bool | None, Target("Flag")] = None
        code: Annotated[str | None, Target("Code"), Field(max_length=4, alias="the-code")] = None
        unmapped: str | None = None

    assert fields_of(Record, "g") == [
        TargetField("plain", "Plain", group="g"),
        TargetField("count", "Count", "int", required=True, group="g", limits=(1, 9)),
        TargetField("flag", "Flag", "bool", group="g"),
        TargetField("the-code", "Code", group="g", max_length=4),
    ]

    class HalfBounded(BaseModel):
        count: Annotated[int | None, Target("Count"), Field(ge=1)] = None

    with pytest.raises(TypeError, match="count: an import's limits need both ge and le"):
        fields_of(HalfBounded)


def test_a_vendor_without_record_models_offers_only_what_it_fetched() -> None:
    class Bare(Vendor):
        name = "bare"
        title = "Bare"

        def default_base_url(self, settings: Any) -> str:
            return ""

        def auth(self, secret: Any, settings: Any) -> Any:
            return None

        def build_batch(self, base: str, settings: Any, records: Any) -> Any:
            return "", None, []

        async def test_connection(self, *args: Any) -> Any:
            return None

    fetched = TargetField("col", "Col", group="data")
    assert Bare().target_fields() == [] and Bare().target_fields([fetched]) == [fetched]
