"""Readers on real files: encodings, dialects, envelopes, sheets, and files that cannot be read."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from import_support import isolate, main, write_profiles

from cxconsole.importing import InputError, sniff
from cxconsole.importing.readers import RowProblem, inspect, open_rows


def rows_of(path: Path, **kwargs: object) -> list[tuple[int, list[object]]]:
    source = inspect(path, **kwargs)  # type: ignore[arg-type]
    with open_rows(source) as stream:
        return list(stream)


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffE-mail,Name\nåsa@example.com,Åsa\n".encode())
    found = sniff(path)
    assert found.encoding == "utf-8-sig"
    assert found.headers == ["E-mail", "Name"]
    assert found.rows == [(2, ["åsa@example.com", "Åsa"])]


def test_semicolons_with_decimal_commas_and_quoted_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text(
        'Name;Amount;Email\n"Smith; J";1,5;a@example.com\nDoe;2,75;c@example.org\n'
        "Roe;3,25;d@example.org\n",
        "utf-8",
    )
    found = sniff(path)
    assert found.delimiter == ";"
    assert found.rows[0] == (2, ["Smith; J", "1,5", "a@example.com"])
    assert len(found.rows) == 3


def test_cp1252_is_detected_as_cp1252_not_cp1250(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    text = "Name;Straße;Notes\n" + "Müller;Hauptstraße 5;café \u201cquoted\u201d \u2013 €5\n" * 20
    path.write_bytes(text.encode("cp1252"))
    found = sniff(path)
    assert found.encoding == "cp1252"
    assert found.rows[0][1] == ["Müller", "Hauptstraße 5", "café \u201cquoted\u201d \u2013 €5"]
    # and the override wins
    assert sniff(path, encoding="latin-1").encoding == "iso8859-1"


def test_utf16_with_bom_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("Name\tEmail\nZoë\tz@example.io\n".encode("utf-16"))
    found = sniff(path)
    assert (found.encoding, found.delimiter) == ("utf-16", "\t")
    assert found.rows == [(2, ["Zoë", "z@example.io"])]


def test_quoted_newlines_blank_lines_and_trailing_empty_columns(tmp_path: Path) -> None:
    path = tmp_path / "pipes.csv"
    path.write_text('a|b|c||\n1|"multi\nline"|3\n\n\n4|5|6||\n\n', "utf-8")
    found = sniff(path)
    assert found.delimiter == "|"
    assert found.headers == ["a", "b", "c"]
    # line numbers are those of the file, quoted newlines and blank lines counted
    assert [line for line, _ in found.rows] == [2, 6]
    assert found.rows[0][1][:3] == ["1", "multi\nline", "3"]


def test_duplicate_headers_stop_and_empty_headers_are_named(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("\nEmail,e-mail,EMAIL,Name\nx@example.com,y@example.com,z,N\n", "utf-8")
    with pytest.raises(InputError) as caught:
        sniff(path)
    assert caught.value.line == 2
    assert "columns 1 and 3 are both named 'EMAIL' ('Email')" in caught.value.message
    path.write_text("Email,,Name\nx@example.com,z,N\n", "utf-8")
    found = sniff(path)
    assert found.headers == ["Email", "column 2", "Name"]
    assert any("column 2 has no header" in w for w in found.warnings)
    assert found.rows == [(2, ["x@example.com", "z", "N"])]


def test_xlsx_first_and_chosen_sheet_with_dates(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "Contacts"
    first.append(["Email", "Mobile", "Transaction Date", "Count"])
    first.append(["a@example.com", 61412345678, dt.datetime(2020, 1, 14, 10, 30), 3.0])
    first.append([])
    first.append(["b@example.com", "+61412345679", dt.date(2020, 2, 1), 2.5])
    other = book.create_sheet("Other")
    other.append(["Name"])
    other.append(["Only here"])
    path = tmp_path / "book.xlsx"
    book.save(path)

    found = sniff(path)
    assert found.format == "xlsx"
    assert found.source.sheets == ["Contacts", "Other"]
    rows = rows_of(path)
    assert rows[0] == (2, ["a@example.com", "61412345678", dt.datetime(2020, 1, 14, 10, 30), "3"])
    assert rows[1][0] == 4  # the sheet's own row number, the blank row counted
    assert rows[1][1][3] == "2.5"
    assert rows_of(path, sheet="Other") == [(2, ["Only here"])]
    with pytest.raises(InputError, match="no sheet named 'Nope'"):
        inspect(path, sheet="Nope")


def test_json_envelope_is_streamed_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "contacts.json"
    path.write_text(
        '{"total": 2, "meta": {"x": [1, 2]},\n "contacts": [\n'
        '  {"email": "a@example.com", "n": 1},\n'
        '  {"email": "c@example.com", "products": [{"productName": "TV"}], "extra": true},\n'
        "]}\n",  # a trailing comma, as the vendors' documents print them
        "utf-8",
    )
    found = sniff(path)
    assert found.source.json_key == "contacts"
    rows = rows_of(path)
    # keyed by record (1-based), not by line: see test_readers_keys.py
    assert rows[0] == (1, ["a@example.com", "1", "", ""])
    assert rows[1] == (2, ["c@example.com", "", [{"productName": "TV"}], "true"])


def test_json_array_larger_than_the_read_buffer(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    records = [{"email": f"user{i}@example.com", "note": "x" * 200} for i in range(8000)]
    path.write_text(json.dumps(records, indent=1), "utf-8")  # about 2 MB, several buffers
    rows = rows_of(path)
    assert len(rows) == 8000
    assert rows[-1][1][0] == "user7999@example.com"
    assert [key for key, _ in rows] == list(range(1, 8001))  # record ordinals


def test_json_lines_with_a_blank_and_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text('{"phone": "+61412345678"}\n\n{"phone": "+61412345679", "x": 1}\n{bad\n')
    rows = rows_of(path)
    assert [line for line, _ in rows] == [1, 3, 4]
    assert rows[1][1] == ["+61412345679", "1"]
    assert rows[2][1] == [] and "not valid JSON" in rows[2][1].reason  # type: ignore[attr-defined]


# -- files that cannot be imported: a clear message naming the file (and line), exit 2 --------
BAD_FILES = {
    "empty.csv": (b"", "the file is empty"),
    "binary.csv": (bytes(range(256)) * 8, "binary file"),
    "truncated.json": (b'[{"email": "a@example.com"},\n {"email": "b@exa', "truncated JSON"),
    "noheader.csv": (b"a@example.com,1\nb@example.com,2\n", "looks like data, not a header"),
    "blank.csv": (b"\n\n\n", "no header row"),
    "object.json": (b'{"count": 3, "name": "x"}', "holds no array of records"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_end_with_a_clear_message_and_exit_2(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    write_profiles(monkeypatch, "http://127.0.0.1:9")  # never reached: the file fails first
    content, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    code, _out, err = main(capsys, "import", str(path), "--profile", "qp")
    assert code == 2
    assert message in err
    assert str(path) in err
    assert "Traceback" not in err


def test_a_200_mb_line_is_refused_without_reading_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    write_profiles(monkeypatch, "http://127.0.0.1:9")
    path = tmp_path / "long.csv"
    with path.open("wb") as fh:
        fh.write(b"Email,Notes\na@example.com,")
        block = b"x" * (1 << 20)
        for _ in range(200):
            fh.write(block)
        fh.write(b"\n")
    code, _out, err = main(capsys, "import", str(path), "--profile", "qp")
    assert code == 2
    assert "line 2" in err and "longer than 8 MB" in err
    assert "Traceback" not in err


def test_a_bad_row_in_the_middle_is_rejected_not_fatal(tmp_path: Path) -> None:
    # A row with more values than headers is a row problem (rejected), not a file problem.
    path = tmp_path / "wide.csv"
    path.write_text("Email,Name\na@example.com,A\nb@example.com,B,extra\nc@x.org,C\n", "utf-8")
    rows = rows_of(path)
    assert rows[1] == (3, []) and isinstance(rows[1][1], RowProblem)
    assert rows[1][1].reason.startswith("row has 3 fields, the header has 2: extra value 'extra'")
    assert rows[1][1].raw == "b@example.com,B,extra"
    assert rows[2] == (4, ["c@x.org", "C"])


def test_undecodable_bytes_late_in_a_utf8_file_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "".join(f"user{i}@example.com,Name {i}\n" for i in range(30_000))
    path.write_bytes(b"Email,Name\n" + body.encode() + "Müller,x\n".encode("cp1252"))
    # sampled from the middle and the end too: cp1252 is noticed before reading
    found = sniff(path)
    assert found.encoding == "cp1252"


def test_plain_files_are_read_without_loading_clevercsv(tmp_path):
    """clevercsv costs ~0.6 s at import; a file with one obvious delimiter does not need it
    (decimal commas in the values included), and a quoted file still does."""
    import subprocess
    import sys

    plain = tmp_path / "plain.csv"
    plain.write_text("name;email;amount\nAna;ana@example.com;12\nBob;bob@example.com;7\n")
    decimal = tmp_path / "decimal.csv"
    decimal.write_text("name;amount\nAna;1,5\nBob;2,0\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('"name","note"\n"Ana","a, b; c"\n"Bob","d"\n')
    code = (
        "import sys\n"
        "from cxconsole.importing import sniff\n"
        "found = sniff(sys.argv[1])\n"
        "print(found.source.delimiter, 'clevercsv' in sys.modules)\n"
    )
    out = [
        subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        ).stdout.split()
        for path in (plain, decimal, quoted)
    ]
    assert out == [[";", "False"], [";", "False"], [",", "True"]]
