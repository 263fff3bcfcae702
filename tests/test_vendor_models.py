"""The vendors' request and reply models hold the documents' own examples, and every batch an
adapter builds fits its vendor's request model."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxconsole.catalog import lenient_json
from cxconsole.profiles import Profile
from cxconsole.vendors.expoints import CustomerDataColumn, ImportCustomersRequest
from cxconsole.vendors.noojee import NoojeeReply
from cxconsole.vendors.questionpro import ImportReply, ImportRequest, TicketPage
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


@pytest.mark.parametrize(
    ("vendor", "settings", "records", "model"),
    [
        (
            "questionpro",
            {},
            [{"email": "a@example.com", "products": [{"productName": "TV"}]}],
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
