"""Mapping columns onto vendor fields: automatic, overridden, saved, checked; product folding."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxconsole.importing import ColumnMapping, MappingError, build_mapping, fields_for
from cxconsole.importing.mapping import auto_map, normalise, parse_override
from cxconsole.importing.records import ProductFolder, RowPlan
from cxconsole.sandbox.server import SandboxServer
from cxconsole.vendors import get_vendor
from cxconsole.vendors.expoints import CustomerDataColumn, Expoints

QP = get_vendor("questionpro")
XP_COLUMNS = [
    CustomerDataColumn(Id=15, Required=True, Name="First_name_customer", DisplayName="First name"),
    CustomerDataColumn(Id=18, Required=True, Name="Business Unit", DisplayName="BU"),
    CustomerDataColumn(Id=20, Required=False, Name="EmployeeId", DisplayName="EmployeeId"),
    CustomerDataColumn(Id=21, Required=True, Archived=True, Name="Old", DisplayName="Old"),
]


def test_normalise() -> None:
    assert normalise("E-Mail Address") == normalise("email_address") == "emailaddress"
    assert normalise("Prénom") == "prenom"


def test_auto_map_by_names_labels_and_synonyms() -> None:
    headers = ["E-mail", "First Name", "surname", "MSISDN", "Purchase Date", "Notes", "Product"]
    mapping = auto_map(headers, fields_for(QP))
    assert mapping.columns == {
        "E-mail": "email",
        "First Name": "firstName",
        "surname": "lastName",
        "MSISDN": "mobile",
        "Purchase Date": "transactionDate",
        "Product": "productName",
    }
    assert mapping.target("Notes") is None  # QuestionPro: unmapped columns are not sent


def test_each_field_goes_to_the_most_exact_column() -> None:
    # "Email" names the field exactly; "mail" only by synonym: the exact one wins.
    mapping = auto_map(["mail", "Email"], fields_for(QP))
    assert mapping.columns == {"Email": "email"}


def test_a_header_that_is_a_fields_name_or_label_beats_a_look_alike() -> None:
    # "e_mail" and "E mail" normalise to the field's name and label, but only "email" and
    # "Mobile" are them: the exact ones win whatever the order.
    headers = ["e_mail", "mobile_", "E mail", "EMAIL", "Mobile"]
    assert auto_map(headers, fields_for(QP)).columns == {"EMAIL": "email", "Mobile": "mobile"}
    assert auto_map(["E mail", "e-mail"], fields_for(QP)).columns == {"e-mail": "email"}


def test_a_field_whose_column_is_skipped_or_moved_goes_to_the_next_that_names_it() -> None:
    headers = ["E-mail", "mail", "transaction_date"]
    fields = fields_for(QP)
    skipped, _ = build_mapping(headers, fields, vendor="questionpro", passthrough=False,
                               overrides=["E-mail="])  # fmt: skip
    assert skipped.columns == {"E-mail": "", "mail": "email", "transaction_date": "transactionDate"}
    moved, _ = build_mapping(headers, fields, vendor="questionpro", passthrough=False,
                             overrides=["E-mail=firstName"])  # fmt: skip
    assert moved.included(headers) == {
        "E-mail": "firstName", "mail": "email", "transaction_date": "transactionDate"
    }  # fmt: skip
    # A saved mapping gave E-mail the field; a later skip frees it all the same.
    saved = ColumnMapping({"E-mail": "email"}, "questionpro")
    again, _ = build_mapping(headers, fields, vendor="questionpro", passthrough=False,
                             saved=saved, overrides=["E-mail="])  # fmt: skip
    assert again.target("mail") == "email" and again.skipped("E-mail")


async def test_the_set_up_works_the_mapping_out_again_after_a_skip(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from cxconsole.context import Context
    from cxconsole.importing.setup import SKIP, ImportSetup

    path = tmp_path / "m.csv"
    path.write_text("E-mail,transaction_date,mail\nagent@corp.com,14/01/2026,c@x.com\n", "utf-8")
    setup = ImportSetup()
    await setup.open_profile(Context.for_sandbox(sandbox_reset.url).account("sandbox-questionpro"))
    await setup.open_file(path)
    assert setup.mapping is not None and setup.mapping.target("mail") is None
    setup.choose("E-mail", SKIP)
    assert setup.mapping.target("mail") == "email"


def test_map_splits_at_the_last_equals_sign() -> None:
    assert parse_override("e=mail=firstName") == ("e=mail", "firstName")
    assert parse_override("e=mail=") == ("e=mail", "")
    assert parse_override("Notes=-") == ("Notes", "")
    with pytest.raises(MappingError, match="expected COLUMN=FIELD"):
        parse_override("=email")


def test_passthrough_vendors_send_unmapped_columns_under_their_header() -> None:
    webex = get_vendor("webex")
    mapping, _ = build_mapping(
        ["Mobile", "Email Address", "Account"], fields_for(webex), vendor="webex", passthrough=True
    )
    assert mapping.included(["Mobile", "Email Address", "Account"]) == {
        "Mobile": "msisdn",
        "Email Address": "emailid",
        "Account": "Account",
    }


def test_overrides_saved_mappings_and_errors(tmp_path: Path) -> None:
    headers = ["Mail", "Phone", "Extra", "Date"]
    fields = fields_for(QP)
    mapping, _ = build_mapping(
        headers,
        fields,
        vendor="questionpro",
        passthrough=False,
        overrides=["Extra=custom1", "Phone="],
    )
    assert mapping.included(headers) == {
        "Mail": "email",
        "Extra": "custom1",
        "Date": "transactionDate",
    }
    for suffix in (".toml", ".json"):
        path = mapping.save(tmp_path / f"map{suffix}")
        assert ColumnMapping.load(path).columns == mapping.columns
    again, warnings = build_mapping(
        [*headers, "More"],
        fields,
        vendor="questionpro",
        passthrough=False,
        saved=ColumnMapping({"Extra": "custom2", "Gone": "custom3"}, "questionpro"),
    )
    assert again.columns["Extra"] == "custom2"
    assert warnings == ["the saved mapping's column 'Gone' is not in this file"]
    with pytest.raises(MappingError, match="unknown column 'Nope'"):
        build_mapping(
            headers, fields, vendor="questionpro", passthrough=False, overrides=["Nope=email"]
        )
    with pytest.raises(MappingError, match="unknown field 'nofield'"):
        build_mapping(
            headers, fields, vendor="questionpro", passthrough=False, overrides=["Extra=nofield"]
        )
    # Passthrough: a column sent under its own header may collide with a mapped one.
    webex = get_vendor("webex")
    with pytest.raises(MappingError, match="both mapped onto 'emailid'"):
        build_mapping(
            ["emailid", "Mail"],
            fields_for(webex),
            vendor="webex",
            passthrough=True,
            overrides=["Mail=emailid"],
        )


def test_expoints_columns_by_name_or_display_name_and_required_before_sending() -> None:
    xp = Expoints()
    fields = fields_for(xp, xp.column_fields(XP_COLUMNS))
    headers = ["Email", "First_name_customer", "BU", "employeeid"]
    mapping, _ = build_mapping(headers, fields, vendor="expoints", passthrough=False)
    assert mapping.included(headers) == {
        "Email": "Email",
        "First_name_customer": "data:15",
        "BU": "data:18",
        "employeeid": "data:20",
    }
    with pytest.raises(MappingError, match=r"required field\(s\) not mapped.*BU \(data:18\)"):
        build_mapping(["Email", "First name"], fields, vendor="expoints", passthrough=False)


def test_questionpro_rows_of_one_contact_fold_into_products() -> None:
    headers = ["Email", "Date", "Product", "Brand", "Price"]
    fields = fields_for(QP)
    mapping, _ = build_mapping(
        headers, fields, vendor="questionpro", passthrough=False, overrides=["Price=pCustom2"]
    )
    plan = RowPlan(headers, mapping, fields, date_format=QP.date_format)
    assert plan.folds
    rows = [
        ["a@example.com", "14/01/2020", "TV", "LG", "$699"],
        ["a@example.com", "14/01/2020", "Laptop", "Microsoft", "$599"],
        ["", "", "Mouse", "Logi", ""],  # a continuation row: products only
        ["b@example.com", "15/01/2020", "Phone", "", ""],
    ]
    folder = ProductFolder()
    done = []
    for line, values in enumerate(rows, 2):
        record, product = plan.build(values)
        item, why = folder.add(record, product, line, values)
        assert why is None
        if item:
            done.append(item)
    done.append(folder.finish())
    first, second = done
    assert first.lines == [2, 3, 4]
    assert first.record == {
        "email": "a@example.com",
        "transactionDate": "14/01/2020",
        "products": [
            {"productName": "TV", "productGroup": "LG", "pCustom2": "$699"},
            {"productName": "Laptop", "productGroup": "Microsoft", "pCustom2": "$599"},
            {"productName": "Mouse", "productGroup": "Logi"},
        ],
    }
    assert second.record["products"] == [{"productName": "Phone"}]
