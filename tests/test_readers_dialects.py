"""CSV as spreadsheets and databases write it, each arriving cell for cell: the bytes of each
fixture are those the tool writes (encoding, BOM, line ends, quoting, NULLs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cxconsole.importing import InputError
from cxconsole.importing.readers import RowProblem, Source, inspect, open_rows


def read(path: Path, **kwargs: Any) -> tuple[Source, list[tuple[int, list[Any]]], int]:
    """The source, every (key, values) pair, and the blank lines skipped."""
    source = inspect(path, **kwargs)
    with open_rows(source) as stream:
        rows = list(stream)
        return source, rows, stream.blank_lines


def test_excel_german_cp1252_with_sep_line(tmp_path: Path) -> None:
    # Excel on Windows, "CSV (Trennzeichen-getrennt)" in a German locale, a "sep=;" line added
    # so that other locales open it: cp1252, CR LF, ';', decimal commas, quotes only where
    # needed, an Alt+Enter line break inside a cell as a bare LF, empty rows of the used range.
    text = (
        "sep=;\r\n"
        "Vorname;Nachname;E-Mail;Betrag;Notiz\r\n"
        'Jürgen;Müller;jm@example.de;1,50;"Straße 5; Hinterhaus"\r\n'
        ";;;;\r\n"
        'Zoë;O\'Brien;zo@example.ie;12,00;"sagt ""Grüß Gott""\nzweite Zeile"\r\n'
        "François;Lefèvre;fl@example.fr;€ 3,20;\r\n"
    )
    path = tmp_path / "excel-de.csv"
    path.write_bytes(text.encode("cp1252"))
    source, rows, blank = read(path)
    assert (source.encoding, source.delimiter, source.delimiter_how) == ("cp1252", ";", "sep= line")
    assert source.newline == "\r\n" and source.sep_line
    assert source.headers == ["Vorname", "Nachname", "E-Mail", "Betrag", "Notiz"]
    assert any("a guess" in w for w in source.warnings)  # cp1252 is never read silently
    assert "cp1252" in source.summary() and "semicolon" in source.summary()
    assert rows == [
        (3, ["Jürgen", "Müller", "jm@example.de", "1,50", "Straße 5; Hinterhaus"]),
        (5, ["Zoë", "O'Brien", "zo@example.ie", "12,00", 'sagt "Grüß Gott"\nzweite Zeile']),
        (7, ["François", "Lefèvre", "fl@example.fr", "€ 3,20", ""]),
    ]
    assert blank == 1


def test_excel_csv_utf8_with_bom_sep_line_and_trailing_empty_cells(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8 (Comma delimited)": a BOM, CR LF; the used range is wider than the
    # header, so every row carries empty cells past it.
    text = (
        '\ufeff"sep=,"\r\n'
        " Email , Mobile ,,\r\n"
        "a@example.com,+61412345678,,\r\n"
        " , , , \r\n"
        "b@example.com,0412 345 678,,\r\n"
    )
    path = tmp_path / "excel-utf8.csv"
    path.write_bytes(text.encode("utf-8"))
    source, rows, blank = read(path)
    assert (source.encoding, source.delimiter) == ("utf-8-sig", ",")
    assert source.headers == ["Email", "Mobile"]  # trimmed, trailing empty names dropped
    assert rows == [
        (3, ["a@example.com", "+61412345678"]),
        (5, ["b@example.com", "0412 345 678"]),
    ]
    assert blank == 1


def test_libreoffice_all_text_quoted_lf(tmp_path: Path) -> None:
    # LibreOffice Calc, "Quote all text cells" on: UTF-8 without BOM, LF, numbers unquoted.
    text = (
        '"Name","Email","Score","Comment"\n'
        '"Ana","ana@example.com",7,"likes ""fast"" replies"\n'
        '"Bo","bo@example.com",,"line one\nline two"\n'
        "\n"
        '"Cy","cy@example.com",10,""\n'
    )
    path = tmp_path / "libreoffice.csv"
    path.write_bytes(text.encode("utf-8"))
    source, rows, blank = read(path)
    assert (source.encoding, source.delimiter, source.newline) == ("utf-8", ",", "\n")
    assert rows == [
        (2, ["Ana", "ana@example.com", "7", 'likes "fast" replies']),
        (3, ["Bo", "bo@example.com", "", "line one\nline two"]),
        (6, ["Cy", "cy@example.com", "10", ""]),
    ]
    assert blank == 1


def test_google_sheets_download(tmp_path: Path) -> None:
    # Google Sheets, File > Download > CSV: UTF-8, CR LF, quotes only where needed, the grid's
    # empty columns kept as trailing commas, a multi-line cell with LF inside its quotes.
    text = (
        "Email,Phone,Note,,\r\n"
        "1@example.com,10,,,\r\n"
        '2@example.com,20,"a, b",,\r\n'
        '3@example.com,30,"x\ny",,\r\n'
        ",,,,\r\n"
    )
    path = tmp_path / "sheets.csv"
    path.write_bytes(text.encode("utf-8"))
    source, rows, blank = read(path)
    assert (source.delimiter, source.newline) == (",", "\r\n")
    assert source.headers == ["Email", "Phone", "Note"]
    assert rows == [
        (2, ["1@example.com", "10", ""]),
        (3, ["2@example.com", "20", "a, b"]),
        (4, ["3@example.com", "30", "x\ny"]),
    ]
    assert blank == 1


def test_psql_copy_csv_header(tmp_path: Path) -> None:
    # psql: \copy (select ...) to 'f.csv' csv header; NULL is an empty unquoted field, an
    # empty string is "", a value with a comma, quote or line break is quoted.
    text = (
        "id,email,first_name,active,created_at,notes\n"
        '1,a@example.com,Ann,t,2024-01-02 10:00:00+00,"said ""hi"", left"\n'
        '2,b@example.com,,f,2024-01-03 11:30:00+00,""\n'
        '3,c@example.com,Cé,t,2024-01-04 09:15:00+00,"two\nlines"\n'
    )
    path = tmp_path / "psql.csv"
    path.write_bytes(text.encode("utf-8"))
    source, rows, _blank = read(path)
    assert source.delimiter == ","
    assert rows == [
        (2, ["1", "a@example.com", "Ann", "t", "2024-01-02 10:00:00+00", 'said "hi", left']),
        (3, ["2", "b@example.com", "", "f", "2024-01-03 11:30:00+00", ""]),
        (4, ["3", "c@example.com", "Cé", "t", "2024-01-04 09:15:00+00", "two\nlines"]),
    ]


def test_mysql_tab_separated_with_null_and_escapes(tmp_path: Path) -> None:
    # SELECT ... INTO OUTFILE (a header row added by a UNION): tabs, never quoted, \N for NULL,
    # backslash escapes for a tab, a line break and a backslash inside values.
    text = (
        "id\temail\tname\tnotes\n"
        "1\ta@example.com\tAnn\t\\N\n"
        '2\tb@example.com\t\\N\tsaid "hi"\\tthen\\nleft C:\\\\tmp\n'
        "3\tc@example.com\tCé\t\\0\n"
    )
    path = tmp_path / "mysql.tsv"
    path.write_bytes(text.encode("utf-8"))
    source, rows, _blank = read(path)
    assert (source.delimiter, source.escapes, source.quotechar) == ("\t", "backslash", "")
    assert any("MySQL" in w for w in source.warnings)
    assert rows[:2] == [
        (2, ["1", "a@example.com", "Ann", ""]),
        (3, ["2", "b@example.com", "", 'said "hi"\tthen\nleft C:\\tmp']),
    ]
    key, problem = rows[2]
    assert key == 4 and isinstance(problem, RowProblem) and "NUL" in problem.reason


def test_psql_copy_text_format_with_header(tmp_path: Path) -> None:
    # psql: \copy t to 'f.txt' with (format text, header): tabs, \N for NULL, backslash escapes.
    text = "id\temail\tnote\n1\ta@example.com\t\\N\n2\tb@example.com\tx\\ty\\\\z\n"
    path = tmp_path / "pg.txt"
    path.write_bytes(text.encode("utf-8"))
    source, rows, _blank = read(path)
    assert (source.delimiter, source.escapes) == ("\t", "backslash")
    assert rows == [(2, ["1", "a@example.com", ""]), (3, ["2", "b@example.com", "x\ty\\z"])]


@pytest.mark.parametrize(
    ("delimiter", "name"),
    [("^", "caret"), ("|", "pipe"), ("\x1f", "unit separator"), ("\t", "tab"), (";", "semicolon")],
)
@pytest.mark.parametrize("quoted", [False, True])
def test_delimiters_are_detected(tmp_path: Path, delimiter: str, name: str, quoted: bool) -> None:
    q = '"' if quoted else ""
    rows = [["Email", "Name", "Amount"], ["a@example.com", "Ann, Jr", "1,5"]]
    rows += [[f"u{i}@example.com", f"{q}N {i}{q}", f"{i},25"] for i in range(5)]
    path = tmp_path / "d.txt"
    path.write_text("".join(delimiter.join(r) + "\n" for r in rows), "utf-8")
    source, read_rows, _blank = read(path)
    assert source.delimiter == delimiter and name in source.summary()
    assert read_rows[0] == (2, ["a@example.com", "Ann, Jr", "1,5"])
    assert read_rows[-1] == (7, ["u4@example.com", "N 4", "4,25"])


def test_a_chosen_delimiter_wins_and_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("Name;City, Country\nAnn;Paris, France\nBo;Rome, Italy\n", "utf-8")
    source, rows, _blank = read(path, delimiter=";")
    assert (source.delimiter, source.delimiter_how) == (";", "chosen")
    assert source.headers == ["Name", "City, Country"]
    assert rows == [(2, ["Ann", "Paris, France"]), (3, ["Bo", "Rome, Italy"])]
    assert "delimiter ';' (semicolon, chosen)" in source.summary()
    assert read(path, delimiter="tab")[0].delimiter == "\t"
    with pytest.raises(InputError, match="not a delimiter"):
        inspect(path, delimiter="ab")


def test_trailing_empty_fields_blank_lines_and_extra_values(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,amount\n1,10,\n2,20, , \n   \n\t\n,\n3,30,x,\n4\n", "utf-8")
    _source, rows, blank = read(path)
    assert rows[0] == (2, ["1", "10"])
    assert rows[1] == (3, ["2", "20"])
    key, problem = rows[2]
    assert key == 7 and isinstance(problem, RowProblem)
    assert problem.reason.startswith("row has 4 fields, the header has 2: extra value 'x'")
    key, short = rows[3]  # never padded: its values could be under the wrong columns
    assert key == 8 and isinstance(short, RowProblem)
    assert short.reason.startswith("row has 1 field, the header has 2:")
    assert short.raw == "4"
    assert blank == 3


def test_an_empty_header_name_is_named_and_its_values_kept(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("Email,  ,Name\na@example.com,x,Ann\n", "utf-8")
    source, rows, _blank = read(path)
    assert source.headers == ["Email", "column 2", "Name"]
    assert rows == [(2, ["a@example.com", "x", "Ann"])]


def test_old_mac_cr_line_ends_and_a_stray_lf_in_them(tmp_path: Path) -> None:
    # Excel's "CSV (Macintosh)": CR alone ends each line.
    path = tmp_path / "mac.csv"
    path.write_bytes(b'Email,Name\ra@example.com,"Two\rlines"\r\rb@example.com,Bo\r')
    source, rows, blank = read(path)
    assert source.newline == "\r"
    assert rows == [(2, ["a@example.com", "Two\rlines"]), (5, ["b@example.com", "Bo"])]
    assert blank == 1
    path.write_bytes(b"Email,Name\ra@example.com,Ann\rb@example.com,B\no\r")
    with pytest.raises(InputError) as caught, open_rows(inspect(path)) as stream:
        list(stream)
    assert (caught.value.line, caught.value.kind) == (3, "newline")
    assert "an LF alone" in caught.value.message


def test_xlsx_blank_rows_extra_cells_and_duplicate_headers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append([" Email ", "Name"])
    sheet.append(["a@example.com", "Ann"])
    sheet.append([None, "  "])
    sheet.append(["b@example.com", "Bo", "stray"])
    sheet.append(["c@example.com", "Cy", ""])
    path = tmp_path / "book.xlsx"
    book.save(path)
    source, rows, blank = read(path)
    assert source.headers == ["Email", "Name"] and source.key_unit == "line"
    assert rows[0] == (2, ["a@example.com", "Ann"])
    key, problem = rows[1]
    assert key == 4 and isinstance(problem, RowProblem)
    assert problem.reason.startswith("row has 3 cells, the header has 2: extra value 'stray'")
    assert rows[2] == (5, ["c@example.com", "Cy"])
    assert blank == 1
    sheet["C1"] = "email"
    book.save(path)
    with pytest.raises(InputError) as caught:
        inspect(path)
    assert caught.value.line == 1 and "columns 1 and 3 are both named 'email'" in str(caught.value)
