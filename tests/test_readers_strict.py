"""Values are read as the operator wrote them, or the row or the file is refused naming why:
a UTF-8 file with a bad byte, a formula with no saved value, a JSON key given twice, a CSV row
shorter than its header, a reading option the file does not fit. Real files on disk; where
sending matters, the command line against the sandbox."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from import_support import cli, read_rejects, record, write_profiles

from cxconsole.importing.readers import inspect, open_rows
from cxconsole.sandbox.server import SandboxServer

# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


# -- #2: one bad byte in a UTF-8 file ------------------------------------------------------------


def test_a_utf8_file_with_one_bad_byte_stops_at_its_line_and_sends_nothing(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = ["email,first_name,transaction_date"]
    rows += [f"u{i}@x.com,Zoë{i},14/01/2026" for i in range(5000)]
    data = ("\n".join(rows) + "\n").encode()
    at = data.find("Zoë4000".encode())
    path = tmp_path / "badbyte2.csv"
    path.write_bytes(data[:at] + b"\xff" + data[at:])  # line 4,002, inside the sampled blocks
    code, out, err = cli("import", str(path), "--profile", "qp", "--json")
    assert code == 2, (out, err)
    result = json.loads(out)
    assert (result["state"], result["outcome"]) == ("input_error", "nothing")
    assert "line 4002" in result["message"].replace(",", ""), result["message"]
    assert "0xff" in result["message"] and "UTF-8" in result["message"]
    assert record(sandbox_reset.url)["questionpro"] == []
    code, out, err = cli("import", str(path), "--profile", "qp", "--dry-run")
    assert code == 2 and "4002" in err.replace(",", ""), (out, err)


def test_a_valid_utf8_file_is_utf8_wherever_its_sampled_blocks_cut_a_character(
    tmp_path: Path,
) -> None:
    # The middle and end blocks start and end at arbitrary bytes, so inside a two-byte
    # character for one of these paddings; that cut is not a fault of the file.
    for pad in range(4):
        path = tmp_path / f"big{pad}.csv"
        body = "".join(f"{'x' * pad}Zoë{i},Ünal Çelik Øre\n" for i in range(15_000))
        path.write_bytes(("name,other\n" + body).encode())
        assert path.stat().st_size > 3 * 64 * 1024
        source = inspect(path)
        assert (source.encoding, source.encoding_how) == ("utf-8", "valid UTF-8"), pad


def test_a_cp1252_file_is_still_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes(b"Email,Name\n" + "a@x.com,Müller Café\n".encode("cp1252") * 50)
    source = inspect(path)
    assert source.encoding == "cp1252" and any("a guess" in w for w in source.warnings)
    with open_rows(source) as rows:
        assert next(iter(rows))[1] == ["a@x.com", "Müller Café"]


# -- #19: a reading option the file does not fit ------------------------------------------------


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (
            ["--encoding", "utf-16"],
            "cannot be read as utf-16, the encoding chosen",
        ),
        (
            ["--encoding", "utf-32"],
            "not valid utf-32, the encoding chosen",
        ),
        (["--format", "xlsx"], "not an XLSX workbook"),
    ],
)
def test_a_reading_option_the_file_does_not_fit_is_an_input_error_naming_it(
    option: list[str],
    said: str,
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "basic.csv"
    path.write_text("email,first_name,transaction_date\na@x.com,Ann,14/01/2026\n", "utf-8")
    code, out, err = cli("import", str(path), "--profile", "qp", *option, "--json")
    assert code == 2, (out, err)
    result = json.loads(out)
    assert (result["state"], result["outcome"]) == ("input_error", "nothing")
    message = result["message"]
    assert said in message and "basic.csv" in message and option[0] in message, message
    assert "internal error" not in err + out and "Traceback" not in err
    assert record(sandbox_reset.url)["questionpro"] == []


def test_format_xlsx_reads_a_workbook_whatever_its_name(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["email", "name"])
    book.active.append(["a@x.com", "Ann"])
    path = tmp_path / "export.csv"  # a workbook under a CSV name
    book.save(path)
    source = inspect(path, format="xlsx")
    with open_rows(source) as rows:
        assert list(rows) == [(2, ["a@x.com", "Ann"])]


# -- #8: a CSV row shorter than its header ---------------------------------------------------


def test_a_short_csv_row_is_rejected_naming_its_line_and_counts_never_padded(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "short2.csv"
    path.write_text(
        "email,transaction_date,first_name,last_name\n"
        "s1@x.com,14/01/2026,Lee\n"
        "s2@x.com,14/01/2026,Kim,Park\n",
        "utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    code, out, err = cli(
        "import", str(path), "--profile", "qp", "--rejects", str(rejects), "--json"
    )
    assert code == 1, (out, err)
    result = json.loads(out)
    assert (result["rows_imported"], result["rows_invalid"]) == (1, 1), result
    got = record(sandbox_reset.url)["questionpro"]
    assert [c["email"] for c in got] == ["s2@x.com"]
    assert got[0]["firstName"] == "Kim" and got[0]["lastName"] == "Park"
    rows = read_rejects(rejects)
    assert set(rows) == {2}
    assert "row has 3 fields, the header has 4" in rows[2]["reason"], rows[2]
    assert rows[2]["email"] == "s1@x.com,14/01/2026,Lee"  # the row as written, whole


# -- #7: a JSON key given twice ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["json", "jsonl"])
def test_a_json_record_giving_a_key_twice_is_rejected_naming_the_key(
    kind: str, sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    twice = (
        '{"email":"j7@x.com","email":"dup@x.com","mobile":"0412345674",'
        '"transaction_date":"2026-01-14"}'
    )
    nested = (
        '{"email":"n@x.com","transaction_date":"2026-01-14","products":[{"sku":"a","sku":"b"}]}'
    )
    fine = '{"email":"ok@x.com","mobile":"0412345675","transaction_date":"2026-01-14"}'
    path = tmp_path / f"a.{kind}"
    if kind == "json":
        path.write_text(f"[{twice},\n{nested},\n{fine}]\n", "utf-8")
    else:
        path.write_text(f"{twice}\n{nested}\n{fine}\n", "utf-8")
    rejects = tmp_path / "rejects.jsonl"  # a JSON file's rejects are JSON Lines
    args = ["--profile", "qp", "--region", "AU", "--rejects", str(rejects), "--json"]
    code, out, err = cli("import", str(path), *args)
    assert code == 1, (out, err)
    result = json.loads(out)
    assert (result["rows_imported"], result["rows_invalid"]) == (1, 2), result
    assert [c["email"] for c in record(sandbox_reset.url)["questionpro"]] == ["ok@x.com"]
    rows = read_rejects(rejects)
    assert set(rows) == {1, 2}
    assert "the key 'email' is given twice" in rows[1]["reason"], rows[1]
    assert "'j7@x.com', then 'dup@x.com'" in rows[1]["reason"]
    assert "the key 'sku' is given twice" in rows[2]["reason"], rows[2]
    assert '"j7@x.com", "email": "dup@x.com"' in rows[1]["record"]  # both values, as written


def test_an_envelope_member_giving_a_key_twice_is_not_a_record(tmp_path: Path) -> None:
    path = tmp_path / "env.json"
    path.write_text('{"meta":{"x":1,"x":2},"data":[{"email":"a@x.com"}]}', "utf-8")
    with open_rows(inspect(path)) as rows:
        assert list(rows) == [(1, ["a@x.com"])]


# -- #4: XLSX formulas with no saved value ----------------------------------------------------


def _workbook(path: Path) -> Path:
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["email", "first_name", "mobile", "transaction_date"])
    sheet.append(["x1@x.com", "Ann", 412345678, datetime.datetime(2026, 1, 14)])
    sheet.append(["x2@x.com", '=UPPER("bob")', "0412345679", "03/04/2026"])
    sheet.append(['="x5"&"@x.com"', "Eve", "0412345671", datetime.datetime(2026, 2, 1, 13, 45)])
    book.save(path)  # openpyxl writes formulas without their results, as many exporters do
    return path


def test_a_formula_with_no_saved_value_rejects_its_row_naming_the_cell(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = _workbook(tmp_path / "x.xlsx")
    rejects = tmp_path / "rejects.csv"
    args = ["--profile", "qp", "--day-first", "--region", "AU", "--rejects", str(rejects)]
    code, out, err = cli("import", str(path), *args, "--json")
    assert code == 1, (out, err)
    result = json.loads(out)
    assert (result["rows_imported"], result["rows_invalid"]) == (1, 2), result
    assert [c["email"] for c in record(sandbox_reset.url)["questionpro"]] == ["x1@x.com"]
    rows = read_rejects(rejects)
    assert set(rows) == {3, 4}
    assert "formula with no saved value in cell B3 ('first_name')" in rows[3]["reason"]
    assert "formula with no saved value in cell A4 ('email')" in rows[4]["reason"]
    assert "save the file in Excel" in rows[4]["reason"]
    # The rows whole, in their columns, each formula as written (kept from running: ').
    assert [rows[3][h] for h in ("email", "first_name", "mobile", "transaction_date")] == [
        "x2@x.com", "'=UPPER(\"bob\")", "0412345679", "03/04/2026"
    ]  # fmt: skip
    assert rows[4]["email"] == '\'="x5"&"@x.com"' and rows[4]["first_name"] == "Eve"
    assert rows[4]["transaction_date"] == "2026-02-01T13:45:00"


def test_an_xlsx_row_the_reader_rejects_reaches_the_fix_pane_and_rejects_whole(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    import asyncio

    import openpyxl

    from cxconsole.client import CXClient
    from cxconsole.context import Context
    from cxconsole.importing import ImportOptions, prepare_import
    from cxconsole.importing.fixes import load_fixable

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["email", "first_name", "transaction_date"])
    sheet.append(["a@x.com", "Ann", "14/01/2026"])
    sheet.append(["b@x.com", "=A2&A3", "14/01/2026"])  # no saved value
    sheet.append(["c@x.com", "Cy", "14/01/2026", "stray"])  # a cell with no column
    path = tmp_path / "f.xlsx"
    book.save(path)
    ctx = Context.for_sandbox(sandbox_reset.url)

    async def go() -> tuple[Any, ...]:
        async with CXClient() as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"), path, options=ImportOptions(), client=client
            )
            summary = await run.run()
            return summary, await asyncio.to_thread(load_fixable, run), run.rejects_path

    summary, rows, rejects_path = asyncio.run(go())
    assert (summary.rows_imported, summary.rows_invalid) == (1, 2)
    fixable = {row.key: row for row in rows}
    assert fixable[3].values == ["b@x.com", "=A2&A3", "14/01/2026"]
    assert fixable[4].values == ["c@x.com", "Cy", "14/01/2026"]
    assert not fixable[3].editable and not fixable[4].editable  # fixed in the file
    with rejects_path.open(encoding="utf-8", newline="") as fh:
        listed = {int(r[0]): r[4:] for r in csv.reader(fh) if r[0].isdigit()}
    assert listed == {
        3: ["b@x.com", "'=A2&A3", "14/01/2026"],
        4: ["c@x.com", "Cy", "14/01/2026", "stray"],
    }


def test_a_formula_whose_value_is_saved_is_read_as_that_value(tmp_path: Path) -> None:
    import zipfile

    built = _workbook(tmp_path / "built.xlsx")
    path = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                # as Excel saves them: the text result, and an empty text result
                data = data.replace(b'<c r="B3"><f>', b'<c r="B3" t="str"><f>')
                data = data.replace(b'UPPER("bob")</f><v />', b'UPPER("bob")</f><v>BOB</v>')
                data = data.replace(b'<c r="A4"><f>', b'<c r="A4" t="str"><f>')
                data = data.replace(b'"@x.com"</f><v />', b'"@x.com"</f><v></v>')
            out.writestr(item, data)
    with open_rows(inspect(path)) as rows:
        got = {key: values for key, values in rows}
    assert got[3][:2] == ["x2@x.com", "BOB"]
    assert got[4][:2] == ["", "Eve"]  # a saved empty result is an empty value, as written


def test_unsaved_formulas_are_found_in_cells_written_without_coordinates(tmp_path: Path) -> None:
    import re
    import zipfile

    built = _workbook(tmp_path / "built.xlsx")
    path = tmp_path / "bare.xlsx"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb' r="[A-Z]*\d+"', b"", data)  # no "r" on rows or cells
            out.writestr(item, data)
    with open_rows(inspect(path)) as rows:
        got = {key: getattr(values, "reason", values) for key, values in rows}
    assert "cell B3 ('first_name')" in got[3] and "cell A4 ('email')" in got[4]
    assert got[2][:2] == ["x1@x.com", "Ann"]
