"""Valid example requests and auth for each emulated vendor (tests, benches, demos)."""

from __future__ import annotations

from typing import Any

from cxconsole.sandbox.config import SANDBOX_SECRETS

QP_HEADERS = {"api-key": SANDBOX_SECRETS["questionpro"]}
XP_HEADERS = {"Authorization": f"Bearer {SANDBOX_SECRETS['expoints']}"}
WX_HEADERS = {"authorization": f"Bearer {SANDBOX_SECRETS['webex']}"}
NJ_KEY = SANDBOX_SECRETS["noojee"]

QP_IMPORT = "/qp/a/api/v2/cx/transactions/import"
QP_DETRACTORS = "/qp/a/api/v2/cx/tickets/detractors"
XP_ADD = "/expoints/external/api/v3/customer/add"
WX_RECORDS = "/webex/campaignapi/resources/v3/datastores/records"
NJ_API = "/noojee/servicemanager/rest/CampaignAPI"
NJ_TARGET = {"fTemplateId": "11", "fCampaignId": "21", "fAllocationId": "31"}


def qp_contact(n: int, **changes: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "firstName": "First",
        "lastName": f"Contact {n}",
        "mobile": f"+1012345{n:04d}",
        "segmentCode": "S1",
        "transactionDate": "14/01/2020",
        "email": f"contact{n}@example.com",
        "custom1": "Additional",
        "products": [{"productName": "60 inch TV", "productGroup": "LG"}],
    }
    contact.update(changes)
    return contact


def xp_customer(n: int, **changes: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "Email": f"customer{n}@example.com",
        "PhoneNumber": "+31612345678",
        "SendDate": "2025-01-18T05:53:05.4618467+01:00",
        "TransactionDate": "2025-01-17",
        "Data": [
            {"CustomerDataColumnId": 15, "Value": "John"},
            {"CustomerDataColumnId": 16, "Value": "Do"},
            {"CustomerDataColumnId": 18, "Value": "Business unit X"},
            {"CustomerDataColumnId": 19, "Value": "Product Y"},
        ],
    }
    customer.update(changes)
    return customer


def xp_batch(customers: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    batch: dict[str, Any] = {
        "ApproveAutomatically": True,
        "EndDate": "2025-02-18T00:00:00+01:00",
        "SendTime": "2025-01-18T11:30:00+01:00",
        "IsTest": True,
        "TypeBatch": 0,
        "AllowDuplicateEmail": False,
        "NotificationEmailAddresses": "ops@example.com",
        "BatchName": "sandbox test",
        "Customers": customers,
    }
    batch.update(changes)
    return batch


def wx_body(records: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "datastore-id": "1466",
        "feed-id": "1499",
        "records": records
        if records is not None
        else [
            {"msisdn": "+442332223424", "firstname": "John Smith", "emailid": "j1@example.com"},
            {"msisdn": "+442332223425", "firstname": "John Smith", "emailid": "j2@example.com"},
            {"msisdn": "+442332223422", "firstname": "John Smith"},
        ],
    }
    body.update(changes)
    return body


def nj_lead(n: int, **changes: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "firstName": f"Lead{n}",
        "lastName": "Smith",
        "phone1": f"+614123{n:05d}",
        "email": f"lead{n}@example.com",
    }
    lead.update(changes)
    return lead


def nj_params(**changes: str) -> dict[str, str]:
    return {**NJ_TARGET, "apiKey": NJ_KEY, **changes}
