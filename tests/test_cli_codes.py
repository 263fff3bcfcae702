"""The `codes` and `decode` commands: in-process through their own parser, and as subprocesses."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxconsole.commands import codes, decode

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).parent / "fixtures" / "seeds"
QP_401 = (SEEDS / "qp_import_401.txt").read_text(encoding="utf-8")
HEAVY = ("textual", "httpx", "pydantic", "keyring")


def run(argv: list[str], capsys, monkeypatch, stdin: bytes | None = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="cxconsole")
    sub = parser.add_subparsers(dest="command")
    codes.add_parser(sub)
    decode.add_parser(sub)
    args = parser.parse_args(argv)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    rc = args.handler(args)
    out, err = capsys.readouterr()
    return rc, out, err


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "120"
    return env


class TestCodes:
    def test_1010_lists_questionpro_and_webex(self, capsys, monkeypatch):
        rc, out, _ = run(["codes", "1010"], capsys, monkeypatch)
        assert rc == 0
        lines = out.splitlines()
        assert lines[0].split()[:5] == ["VENDOR", "CODE", "NAME", "HTTP", "RETRYABLE"]
        assert lines[1].split()[:5] == ["questionpro", "1010", "UNAUTHORIZED", "401", "never"]
        assert lines[2].split()[:5] == ["webex", "1010", "NOT_PROCESSED", "200", "never"]

    def test_one_match_prints_the_full_entry(self, capsys, monkeypatch):
        rc, out, _ = run(["codes", "109"], capsys, monkeypatch)
        assert rc == 0
        assert out.startswith("Noojee Contact 109 TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS (HTTP 400)")
        for label in ("vendor says:", "meaning:", "retryable:     after_pause", "what to do:"):
            assert label in out

    def test_full_prints_every_match_in_full(self, capsys, monkeypatch):
        rc, out, _ = run(
            ["codes", "1013", "--vendor", "questionpro", "--full"], capsys, monkeypatch
        )
        assert rc == 0
        assert "API call limit exceeded" in out and "permission to access the resource" in out

    def test_json_has_the_contract_keys(self, capsys, monkeypatch):
        rc, out, _ = run(["codes", "1010", "--json"], capsys, monkeypatch)
        data = json.loads(out)
        assert rc == 0 and [e["vendor"] for e in data] == ["questionpro", "webex"]
        for item in data:
            assert set(item) == set(codes.JSON_KEYS)

    def test_filters(self, capsys, monkeypatch):
        rc, out, _ = run(["codes", "--retryable", "after_pause", "--json"], capsys, monkeypatch)
        assert rc == 0 and {e["code"] for e in json.loads(out)} == {"103", "109"}
        rc, out, _ = run(["codes", "--vendor", "webex", "--json"], capsys, monkeypatch)
        assert rc == 0 and {e["vendor"] for e in json.loads(out)} == {"webex"}

    def test_no_match_exits_1_and_suggests(self, capsys, monkeypatch):
        rc, out, err = run(["codes", "unauthorised"], capsys, monkeypatch)
        assert rc == 1 and out == ""
        assert "no catalog entry matches 'unauthorised'" in err
        assert "closest:" in err and "questionpro 1010 UNAUTHORIZED" in err

    def test_no_match_json_prints_empty_array(self, capsys, monkeypatch):
        rc, out, _ = run(["codes", "zzzz-none", "--json"], capsys, monkeypatch)
        assert rc == 1 and json.loads(out) == []

    def test_unknown_vendor_is_a_usage_error(self, capsys, monkeypatch):
        rc, _, err = run(["codes", "--vendor", "acme"], capsys, monkeypatch)
        assert rc == 2 and "questionpro" in err


class TestDecode:
    def test_the_documents_401_body_bare_on_stdin(self, capsys, monkeypatch):
        rc, out, _ = run(["decode"], capsys, monkeypatch, stdin=QP_401.encode())
        assert rc == 0
        assert out.startswith("QuestionPro CX 1010 UNAUTHORIZED (HTTP 401)")
        assert "what to do:" in out and "profile" in out
        assert "vendor: QuestionPro CX (body has response.error)" in out
        assert "body repaired: unquoted value at line 4" in out

    def test_capture_file_with_status_line(self, capsys, monkeypatch, tmp_path):
        capture = tmp_path / "reply.txt"
        body = '{"statuscode": 1010, "description": "The request was not processed."}'
        capture.write_bytes(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{body}".encode()
        )
        rc, out, _ = run(["decode", str(capture)], capsys, monkeypatch)
        assert rc == 0 and out.startswith("Webex Campaign 1010 NOT_PROCESSED (HTTP 200)")

    def test_json_output(self, capsys, monkeypatch):
        rc, out, _ = run(["decode", "--json", "-"], capsys, monkeypatch, stdin=QP_401.encode())
        data = json.loads(out)
        assert rc == 0
        assert (data["vendor"], data["code"], data["name"], data["ok"]) == (
            "questionpro",
            "1010",
            "UNAUTHORIZED",
            False,
        )
        for key in ("http_status", "message", "meaning", "retryable", "action", "recognised"):
            assert key in data

    def test_status_and_vendor_options(self, capsys, monkeypatch):
        rc, out, _ = run(
            ["decode", "--vendor", "questionpro", "--status", "429", "--json"],
            capsys,
            monkeypatch,
            stdin=b"",
        )
        data = json.loads(out)
        assert rc == 0 and (data["code"], data["retryable"]) == ("429", "yes")
        assert "HTTP 429 from --status" in data["recognised"]

    def test_success_is_recognised(self, capsys, monkeypatch):
        body = (SEEDS / "qp_import_success.txt").read_bytes()
        rc, out, _ = run(["decode"], capsys, monkeypatch, stdin=body)
        assert rc == 0 and out.startswith("QuestionPro CX: success")

    def test_not_recognised_exits_1_with_closest(self, capsys, monkeypatch):
        rc, out, _ = run(["decode"], capsys, monkeypatch, stdin=b"HTTP/1.1 401\n\n")
        assert rc == 1
        assert out.startswith("not recognised")
        assert "closest matches:" in out and "QuestionPro CX 1010 UNAUTHORIZED" in out

    def test_missing_file_is_a_usage_error(self, capsys, monkeypatch, tmp_path):
        rc, _, err = run(["decode", str(tmp_path / "nope.txt")], capsys, monkeypatch)
        assert rc == 2 and "cannot read" in err


# Through the real entry point. These need every module in cli.COMMANDS to exist.


def cli(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxconsole", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=subprocess_env(),
        timeout=60,
    )


def test_subprocess_codes_1010():
    done = cli("codes", "1010")
    assert done.returncode == 0, done.stderr
    assert "questionpro" in done.stdout and "webex" in done.stdout
    assert "UNAUTHORIZED" in done.stdout and "NOT_PROCESSED" in done.stdout


def test_subprocess_codes_no_match():
    done = cli("codes", "no-such-code-anywhere")
    assert done.returncode == 1
    assert "no catalog entry matches" in done.stderr


def test_subprocess_decode_the_documents_401_on_stdin():
    done = cli("decode", stdin=QP_401)
    assert done.returncode == 0, done.stderr
    assert "QuestionPro CX 1010 UNAUTHORIZED" in done.stdout
    assert "what to do:" in done.stdout


ISSUE_109 = '{"code": 109, "message": "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS"}'


def test_subprocess_decode_recognises_the_109_body_without_a_vendor():
    done = cli("decode", stdin=ISSUE_109)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Noojee Contact 109 TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS")
    assert "matched by:    the message or name equals one entry's name" in done.stdout
    assert "recognised by name: message 'TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS'" in done.stdout
    data = json.loads(cli("decode", "--json", stdin=ISSUE_109).stdout)
    assert (data["vendor"], data["code"], data["matched_by"]) == ("noojee", "109", "name")
    assert data["how"] == "the message or name equals one entry's name"
    for key in codes.JSON_KEYS:
        assert data[key] is not None, key


def test_subprocess_decode_not_recognised():
    done = cli("decode", "--json", stdin="HTTP/1.1 418\n\nteapot")
    assert done.returncode == 1
    assert json.loads(done.stdout)["name"] is None


PROBE = """
import sys
{body}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print("HEAVY=" + ",".join(heavy))
"""


def probe(body: str) -> str:
    code = PROBE.format(body=body, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
        env=subprocess_env(), timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.rsplit("HEAVY=", 1)[1].strip()


def test_catalog_and_its_commands_load_nothing_heavy():
    body = """
import cxconsole.catalog as c
c.decode_reply(401, '{"response": {"error": {"id": 1010}}}')
import argparse
from cxconsole.commands import codes, decode
p = argparse.ArgumentParser(); s = p.add_subparsers(); codes.add_parser(s); decode.add_parser(s)
a = p.parse_args(["codes", "1010"])
a.handler(a)
"""
    assert probe(body) == ""


def test_running_codes_through_the_cli_loads_nothing_heavy():
    body = """
import runpy
sys.argv = ["cxconsole", "codes", "1010"]
try:
    runpy.run_module("cxconsole", run_name="__main__")
except SystemExit as exc:
    assert exc.code == 0, exc.code
"""
    assert probe(body) == ""


def test_the_cli_builds_only_the_named_commands_parser():
    body = """
import runpy
sys.argv = ["cxconsole", "decode", "-"]
sys.stdin = __import__("io").TextIOWrapper(__import__("io").BytesIO(b'{"code": 109}'))
try:
    runpy.run_module("cxconsole", run_name="__main__")
except SystemExit as exc:
    assert exc.code == 0, exc.code
others = ("profile", "importer", "tickets", "sandbox", "codes")
loaded = [m for m in sys.modules if m in {f"cxconsole.commands.{o}" for o in others}]
assert not loaded, loaded
for slow in ("typing", "dataclasses", "tomllib", "importlib.resources", "difflib"):
    assert slow not in sys.modules, slow
"""
    assert probe(body) == ""


def test_the_command_word_is_found_after_the_global_options():
    from cxconsole.cli import build_parser, command_named

    assert command_named(["--sandbox", "--theme", "codes", "import", "x"]) == "import"
    assert command_named(["codes", "1010"]) == "codes"
    assert command_named(["--version"]) is None
    assert command_named(["nope"]) is None
    names = build_parser("import")._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(names) == ["import"]
    assert len(build_parser(None)._subparsers._group_actions[0].choices) == 6  # type: ignore[union-attr]


@pytest.mark.parametrize("argv", [["codes", "--help"], ["decode", "--help"]])
def test_help(argv, capsys):
    parser = argparse.ArgumentParser(prog="cxconsole")
    sub = parser.add_subparsers()
    codes.add_parser(sub)
    decode.add_parser(sub)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(argv)
    assert exc.value.code == 0
    assert argv[0] in capsys.readouterr().out
