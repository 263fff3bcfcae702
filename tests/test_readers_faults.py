"""Structural faults deep inside a file: raised at their true physical line, with the lines
around it, after every row before them was read as written; row faults yielded in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxconsole.importing import InputError
from cxconsole.importing.readers import RowProblem, inspect, open_rows

LINES = 50_000
FAULT = 40_001


def record(n: int) -> str:
    """The text of line ``n`` (n >= 2) of a generated file."""
    return f"user{n}@example.com,Name {n},City {n % 97}"


def cells(n: int) -> list[str]:
    return [f"user{n}@example.com", f"Name {n}", f"City {n % 97}"]


def write(path: Path, faults: dict[int, str], *, end: str = "\n", encoding: str = "utf-8") -> None:
    """A 50,000-line CSV (header on line 1) with some lines replaced by raw text; a replaced
    line's text is written as it is, its own line end included ("" drops the line, to keep
    the numbers after a replacement of two lines)."""
    out = bytearray(f"Email,Name,City{end}".encode(encoding))
    for n in range(2, LINES + 1):
        if n in faults:
            text = faults[n]
            out += text.encode(encoding, errors="surrogateescape")
        else:
            out += f"{record(n)}{end}".encode(encoding)
    path.write_bytes(bytes(out))


def read_until_fault(path: Path, **kwargs: Any) -> tuple[list[tuple[int, list[Any]]], InputError]:
    source = inspect(path, **kwargs)
    got: list[tuple[int, list[Any]]] = []
    with pytest.raises(InputError) as caught, open_rows(source) as stream:
        for key, values in stream:
            got.append((key, values))
    return got, caught.value


def assert_read_before(got: list[tuple[int, list[Any]]], last: int = FAULT - 1) -> None:
    assert len(got) == last - 1
    assert got[0] == (2, cells(2))
    assert got[-1] == (last, cells(last))
    assert all(key == n for (key, _), n in zip(got, range(2, last + 1), strict=True))


def assert_context(error: InputError, line: int) -> None:
    marked = [row for row in error.context.splitlines() if row.startswith(">")]
    assert len(marked) == 1 and marked[0].startswith(f"> {line} |")
    assert f"  {line - 1} | {record(line - 1)}" in error.context


def test_an_undecodable_byte_in_a_file_guessed_utf8_names_its_line_and_the_guess(
    tmp_path: Path,
) -> None:
    path = tmp_path / "late.csv"
    write(path, {FAULT: "m\udc92ller@example.com,M\udcfcller,Berlin\n"})
    assert inspect(path).encoding == "utf-8"  # the bad byte is outside the sampled blocks
    got, error = read_until_fault(path)
    assert_read_before(got)
    assert error.line == FAULT and error.kind == "encoding"
    assert "byte 0x92" in error.message and "utf-8" in error.message
    assert "guessed" in error.message and "cp1252" in error.message
    assert_context(error, FAULT)
    assert "m\\x92ller@example.com" in error.context
    # chosen, it says so; chosen right, the file reads whole
    _got, chosen = read_until_fault(path, encoding="utf-8")
    assert chosen.line == FAULT and "the encoding chosen" in chosen.message
    source = inspect(path, encoding="cp1252")
    with open_rows(source) as stream:
        rows = dict(stream)
    assert rows[FAULT] == ["m\u2019ller@example.com", "Müller", "Berlin"]
    assert len(rows) == LINES - 1


def test_a_byte_cp1252_leaves_undefined_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    write(path, {FAULT: "a\udc81@example.com,x,y\n"}, encoding="cp1252")
    got, error = read_until_fault(path, encoding="cp1252")
    assert_read_before(got)
    assert (error.line, error.kind) == (FAULT, "encoding")
    assert "byte 0x81" in error.message


def test_a_multibyte_character_cut_by_the_read_buffer_is_not_a_fault(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    # 3-byte characters on every line: some straddle the 1 MB reads
    path.write_text("Name,City\n" + "".join(f"€{n}€,Zürich\n" for n in range(200_000)), "utf-8")
    with open_rows(inspect(path)) as stream:
        rows = list(stream)
    assert len(rows) == 200_000 and rows[-1] == (200_001, ["€199999€", "Zürich"])


def test_a_quote_never_closed_names_the_line_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    write(path, {FAULT: 'user@example.com,"Name 40001,City\n'})
    got, error = read_until_fault(path)
    assert_read_before(got)
    assert (error.line, error.kind) == (FAULT, "quote")
    assert "never closed" in error.message and "ends inside it" in error.message
    assert_context(error, FAULT)


def test_a_quote_that_swallows_whole_records_is_refused(tmp_path: Path) -> None:
    # Opened on 40,001 and "closed" by a stray quote nine lines later: the record parses,
    # but the lines inside it have the header's three fields.
    path = tmp_path / "swallow.csv"
    write(path, {FAULT: 'user@example.com,"Name 40001,City\n', FAULT + 9: 'x@y.org,Doe",City\n'})
    got, error = read_until_fault(path)
    assert_read_before(got)
    assert (error.line, error.kind) == (FAULT, "quote")
    assert f"closes on line {FAULT + 9}" in error.message
    assert "fields of a record of their own" in error.message


def test_a_quote_closed_by_the_next_quoted_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "closed.csv"
    write(path, {FAULT: 'user@example.com,"Name 40001,City\n', FAULT + 4: 'x@y.org,"Q",City\n'})
    got, error = read_until_fault(path)
    assert_read_before(got)
    assert (error.line, error.kind) == (FAULT, "quote")
    assert f"runs on to line {FAULT + 4}" in error.message


def test_a_quoted_value_spanning_more_lines_than_any_note_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    body = "".join(f"note {i}\n" for i in range(150))
    write(path, {FAULT: f'user@example.com,"{body}",City\n'})
    got, error = read_until_fault(path)
    assert_read_before(got)
    assert error.line == FAULT and "spans 151 lines" in error.message


def test_real_multiline_notes_with_commas_are_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    note = "Called, no answer.\nEmailed, no reply.\nWill call back, Monday."
    write(path, {FAULT: f'user@example.com,"{note}",City\n', FAULT + 1: "", FAULT + 2: ""})
    with open_rows(inspect(path)) as stream:
        rows = dict(stream)
    assert rows[FAULT] == ["user@example.com", note, "City"]
    assert rows[FAULT + 3] == cells(FAULT + 3)  # numbered after the note's 3 lines
    assert FAULT + 1 not in rows and len(rows) == LINES - 3


def test_a_lone_cr_inside_a_line_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    write(path, {FAULT: "user@example.com,Na\rme,City\n"})
    got, error = read_until_fault(path)
    assert_read_before(got)
    assert (error.line, error.kind) == (FAULT, "newline")
    assert "a CR alone" in error.message
    assert "Na\\rme" in error.context


def test_a_lone_lf_in_a_crlf_file_names_its_line_but_quoted_ones_are_values(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lf.csv"
    faults = {
        30_000: 'user@example.com,"Two\nlines",City\r\n',  # Excel's own multi-line cell
        30_001: "",
        FAULT: "user@example.com,Na\nme,City\r\n",
    }
    write(path, faults, end="\r\n")
    assert inspect(path).newline == "\r\n"
    got, error = read_until_fault(path)
    assert (error.line, error.kind) == (FAULT, "newline")
    assert "LF alone" in error.message
    # every row before it, the quoted line break kept, the lines after it numbered on
    assert len(got) == FAULT - 3
    assert dict(got)[30_000] == ["user@example.com", "Two\nlines", "City"]
    assert got[-1] == (FAULT - 1, cells(FAULT - 1))


def test_a_nul_byte_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    write(path, {FAULT: "user@example.com,Na\x00me,City\n"})
    got, error = read_until_fault(path)
    assert_read_before(got)
    assert (error.line, error.kind) == (FAULT, "nul")
    assert "Na\\0me" in error.context


def test_a_row_wider_than_the_header_is_a_row_problem_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wide.csv"
    faults = {FAULT: "user@example.com,Smith, John,City\n", FAULT + 1: f"{record(FAULT + 1)},,  \n"}
    write(path, faults)
    with open_rows(inspect(path)) as stream:
        rows = list(stream)
    assert len(rows) == LINES - 1
    key, problem = rows[FAULT - 2]
    assert key == FAULT and isinstance(problem, RowProblem)
    assert problem.reason.startswith("row has 4 fields, the header has 3: extra value 'City'")
    assert problem.raw == "user@example.com,Smith, John,City"
    assert rows[FAULT - 1] == (FAULT + 1, cells(FAULT + 1))  # trailing empties dropped
    assert rows[-1] == (LINES, cells(LINES))


def test_a_stray_quote_inside_one_line_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    write(path, {FAULT: 'user@example.com,"Jane "JJ" Doe",City\n'})
    with open_rows(inspect(path)) as stream:
        rows = list(stream)
    assert len(rows) == LINES - 1
    key, problem = rows[FAULT - 2]
    assert key == FAULT and isinstance(problem, RowProblem) and "doubled" in problem.reason
    assert problem.raw == 'user@example.com,"Jane "JJ" Doe",City'
    assert rows[FAULT - 1] == (FAULT + 1, cells(FAULT + 1))


def jsonl(n: int) -> str:
    return json.dumps({"email": f"user{n}@example.com", "n": n})


def test_a_broken_json_line_is_a_row_problem_deep_inside(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    lines = [jsonl(n) for n in range(1, LINES + 1)]
    lines[FAULT - 1] = '{"email": "broken'
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with open_rows(inspect(path)) as stream:
        rows = list(stream)
    assert len(rows) == LINES
    assert rows[FAULT - 2] == (FAULT - 1, [f"user{FAULT - 1}@example.com", str(FAULT - 1)])
    key, problem = rows[FAULT - 1]
    assert key == FAULT and isinstance(problem, RowProblem)
    assert "not valid JSON" in problem.reason and problem.raw == '{"email": "broken'


def test_an_undecodable_byte_in_json_lines_and_json_names_its_line(tmp_path: Path) -> None:
    lines = [jsonl(n) for n in range(1, LINES + 1)]
    lines[FAULT - 1] = '{"email": "m\udcfcller@example.com", "n": 0}'
    path = tmp_path / "leads.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8", errors="surrogateescape"))
    got, error = read_until_fault(path)
    assert (error.line, error.kind) == (FAULT, "encoding") and len(got) == FAULT - 1
    assert got[-1] == (FAULT - 1, [f"user{FAULT - 1}@example.com", str(FAULT - 1)])
    # a JSON array, one record per line after "[" on line 1
    path = tmp_path / "leads.json"
    path.write_bytes(("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8", "surrogateescape"))
    got, error = read_until_fault(path)
    assert (error.line, error.kind) == (FAULT + 1, "encoding")
    assert len(got) == FAULT - 1 and got[-1][0] == FAULT - 1  # keyed by record


def test_a_nul_byte_near_the_start_names_its_line_too(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    write(path, {5: "user@example.com,Na\x00me,City\n"})
    with pytest.raises(InputError) as caught:
        inspect(path)
    assert (caught.value.line, caught.value.kind) == (5, "nul")
    assert "> 5 | user@example.com,Na\\0me,City" in caught.value.context
