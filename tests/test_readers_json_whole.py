"""JSON files are read to their end and sent as written: whatever follows the records, a
second array of records, a key given twice in the envelope, NaN/Infinity, a file nested too
deeply and an --encoding that is no text encoding are input errors naming the line or option;
numbers keep the text they are written with. The command line against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from import_support import cli, read_rejects, record, write_profiles

from cxconsole.sandbox.server import SandboxServer

ROW = '{"email":"%s@x.com","transaction_date":"14/01/2026"}'
A, B = ROW % "a", ROW % "b"


# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


NOT_ONE_ARRAY = {
    "two_keys": (f'{{"a":[{A}],\n"b":[{B}]}}', 2, "more than one array of records ('a', 'b')"),
    "two_arrays": (f"[{A}]\n[{B}]\n", 2, "another JSON array after the end"),
    "key_twice": (f'{{"data":[{A}],\n"data":[{B}]}}', 2, "the key 'data' is given twice"),
    "truncated": (f'{{"data":[{A}],\n"more":{{"x":[{B[:20]}', 2, "truncated JSON"),
    "trailing": (f"[{A}]\n\nnot json\n", 3, "'n' after the end of the JSON document"),
    "object_after": (f'{{"data":[{A}]}}\n,{{"x":1}}', 2, "',' after the end"),
    # An envelope on one line and an object after it: not JSON Lines (not a record per line).
    "envelope_then_object": (f'{{"data":[{A}]}}\n{{"x":1}}\n', 2, "'{' after the end"),
    "envelope_twice": (f'{{"data":[{A}]}}\n{{"data":[{B}]}}\n', 2, "'{' after the end"),
    "envelope_then_page": (f'{{"data":[{A}],"total":1}}\n{{"page":2}}\n', 2, "'{' after the end"),
}


@pytest.mark.parametrize("name", sorted(NOT_ONE_ARRAY))
def test_whatever_follows_the_records_is_read_and_refused_naming_its_line(
    name: str, sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    text, line, message = NOT_ONE_ARRAY[name]
    path = tmp_path / f"{name}.json"
    path.write_text(text, "utf-8")
    for extra in ([], ["--dry-run"]):
        code, out, err = cli("import", str(path), "--profile", "qp", *extra, "--json")
        assert code == 2, (out, err)
        result = json.loads(out)
        assert (result["state"], result["outcome"]) == ("input_error", "nothing"), result
        assert message in result["message"], result["message"]
        assert f"line {line}" in result["message"], result["message"]
    assert record(sandbox_reset.url)["questionpro"] == []


def test_json_key_chooses_among_two_arrays_and_the_rest_is_still_read(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "two.json"
    path.write_text(f'{{"a":[{A}],\n"b":[{B}]}}', "utf-8")
    code, out, err = cli("import", str(path), "--profile", "qp", "--json-key", "b", "--json")
    assert code == 0, (out, err)
    assert [c["email"] for c in record(sandbox_reset.url)["questionpro"]] == ["b@x.com"]
    path.write_text(f'{{"a":[{A}],\n"b":[{B}],\n"c":[{B}', "utf-8")  # cut off after "b"
    code, out, err = cli("import", str(path), "--profile", "qp", "--json-key", "b", "--json")
    assert code == 2 and "line 3" in json.loads(out)["message"], (out, err)


def test_json_numbers_are_sent_as_written(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "numbers.json"
    path.write_text(
        '[{"email":"a@x.com","first_name":1.10,"last_name":1e2,"transaction_date":"14/01/2026"},'
        '\n{"email":"b@x.com","first_name":1e400,"last_name":7,"transaction_date":"14/01/2026"}]',
        "utf-8",
    )
    code, out, err = cli("import", str(path), "--profile", "qp", "--json")
    assert code == 0, (out, err)
    sent = {c["email"]: c for c in record(sandbox_reset.url)["questionpro"]}
    assert (sent["a@x.com"]["firstName"], sent["a@x.com"]["lastName"]) == ("1.10", "1e2")
    assert (sent["b@x.com"]["firstName"], sent["b@x.com"]["lastName"]) == ("1e400", "7")


def test_nan_and_infinity_are_not_json_and_name_their_line_and_field(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "nan.json"
    path.write_text(f'[{A},\n{{"email":"c@x.com","first_name":NaN}}]', "utf-8")
    for extra in ([], ["--dry-run"]):
        code, out, err = cli("import", str(path), "--profile", "qp", *extra, "--json")
        assert code == 2, (out, err)
        message = json.loads(out)["message"]
        assert "line 2" in message and "'first_name' holds NaN" in message, message
    assert record(sandbox_reset.url)["questionpro"] == []
    # JSON Lines: the line is its row, rejected naming the field; the others are sent.
    path = tmp_path / "inf.jsonl"
    path.write_text(f'{A}\n{{"email":"c@x.com","first_name":-Infinity}}\n', "utf-8")
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli(
        "import", str(path), "--profile", "qp", "--rejects", str(rejects), "--json"
    )
    assert code == 1, (out, err)
    assert [c["email"] for c in record(sandbox_reset.url)["questionpro"]] == ["a@x.com"]
    assert "'first_name' holds -Infinity" in read_rejects(rejects)[2]["reason"]


def test_a_json_file_nested_too_deeply_is_an_input_error(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "deep.json"
    path.write_text("[\n" + "[" * 100_000 + "]" * 100_000 + "]", "utf-8")
    code, out, err = cli("import", str(path), "--profile", "qp", "--dry-run", "--json")
    assert code == 2, (out, err)
    result = json.loads(out)
    assert result["state"] == "input_error", result
    assert "line 2" in result["message"] and "nested too deeply" in result["message"]
    assert "Traceback" not in err


@pytest.mark.parametrize("codec", ["rot13", "hex", "base64", "zlib", "uu", "idna"])
def test_an_encoding_that_is_not_a_text_encoding_is_an_input_error(
    codec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, "http://127.0.0.1:9")  # never reached: the option fails first
    path = tmp_path / "basic.csv"
    path.write_text("email,transaction_date\na@x.com,14/01/2026\n", "utf-8")
    args = ["--profile", "qp", "--dry-run", "--json", "--encoding", codec]
    code, out, err = cli("import", str(path), *args)
    assert code == 2, (out, err)
    result = json.loads(out)
    assert result["state"] == "input_error", result
    assert f"--encoding {codec!r} is not a text encoding" in result["message"]
