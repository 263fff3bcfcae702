"""The error-code catalog: every documented code is there, right, and findable."""

from __future__ import annotations

from importlib import resources

import pytest

import cxconsole.catalog as catalog
from cxconsole.catalog import (
    all_entries,
    build,
    closest,
    format_entry,
    lenient_json,
    lookup,
    parse_lenient,
    search,
    vendor_shape,
    vendor_title,
    vendors,
)
from cxconsole.catalog.build import read_vendor as _read

# (vendor, code, HTTP status) of every code in the vendors' documents and our own, listed by hand
# so that a TOML edit cannot silently drop one.
DOCUMENTED = [
    ("questionpro", "1000", 400),
    ("questionpro", "1001", 400),
    ("questionpro", "1002", 400),
    ("questionpro", "1003", 400),
    ("questionpro", "1010", 401),
    ("questionpro", "1011", 403),
    ("questionpro", "1013", 403),
    ("questionpro", "1013", 429),
    ("questionpro", "1026", 500),
    ("questionpro", "1040", 404),
    ("questionpro", "429", 429),
    ("expoints", "200", 200),
    ("expoints", "400", 400),
    ("expoints", "401", 401),
    ("expoints", "403", 403),
    ("expoints", "408", 408),
    ("expoints", "429", 429),
    ("expoints", "500", 500),
    ("expoints", "503", 503),
    ("webex", "0", 200),
    ("webex", "1010", 200),
    ("webex", "430", 401),
    ("webex", "498", 498),
    ("webex", "405", 405),
    ("webex", "429", 429),
    ("webex", "499", 499),
    ("webex", "500", 500),
    ("webex", "1001", None),
    ("webex", "1002", None),
    ("noojee", "0", 200),
    *[("noojee", str(c), 400) for c in (101, 102, 104, 105, 106, 107, 108, 109, 110, 111, 112)],
    ("noojee", "103", 500),
    *[("noojee", str(c), 400) for c in (114, 115, 116, 117)],
    ("noojee", "401", 401),
    *[("http", str(c), c) for c in (408, 429, 500, 502, 503, 504)],
    *[
        ("cxconsole", c, None)
        for c in (
            "CONNECT_ERROR",
            "TIMEOUT",
            "UNKNOWN_OUTCOME",
            "MALFORMED_REPLY",
            "NO_KEYRING",
            "BAD_SECRET",
        )
    ],
]


def test_vendors_in_order_with_titles():
    assert vendors() == ["questionpro", "expoints", "webex", "noojee", "http", "cxconsole"]
    assert vendor_title("questionpro") == "QuestionPro CX"
    assert vendor_title("webex") == "Webex Campaign"
    assert vendor_title("nobody") == "nobody"


@pytest.mark.parametrize(("vendor", "code", "status"), DOCUMENTED)
def test_every_documented_code_is_in_the_catalog(vendor, code, status):
    entry = lookup(vendor, code, status)
    assert entry is not None, (vendor, code)
    assert (entry.vendor, entry.code, entry.http_status) == (vendor, code, status)


def test_catalog_holds_nothing_undocumented():
    documented = {(v, c, s) for v, c, s in DOCUMENTED}
    held = {(e.vendor, e.code, e.http_status) for e in all_entries()}
    assert held == documented


def test_every_entry_is_complete():
    for e in all_entries():
        assert e.retryable in ("yes", "after_pause", "never"), e
        assert e.name and e.message and e.meaning and e.action and e.docs, e
        assert e.http_status is None or 100 <= e.http_status <= 599, e


def test_vendor_messages_verbatim():
    assert lookup("questionpro", "1000").message == "Invalid URL parameters"
    assert lookup("questionpro", 1010).message == "Incorrect API Key"
    assert lookup("questionpro", "1013", 403).message == (
        "The user does not have permission to access the resource"
    )
    assert lookup("questionpro", "1013", 429).message == "API call limit exceeded"
    assert lookup("questionpro", "1026").message == "We are not able to process your request"
    assert lookup("webex", "1010").message == "The request was not processed."
    assert lookup("expoints", "503").message.startswith("The server is unable to proces the")
    assert lookup("noojee", "109").message.startswith(
        "There are too many concurrent insert/update API requests."
    )
    assert lookup("noojee", "401").message == "Invalid apiKey"


def test_noojee_names_as_printed_and_113_absent():
    assert lookup("noojee", "106").name == "INVALID_DISPOSTION"
    assert lookup("noojee", "107").name == "DISPOSTION_ISNT_SET_AND_NOCHANGE_SPECIFIED"
    assert lookup("noojee", "109").name == "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS"
    assert lookup("noojee", "113") is None
    text = resources.files("cxconsole.catalog").joinpath("data", "noojee.toml").read_text()
    assert "113 does not exist" in text


def test_documented_disagreements_and_assumptions_are_said():
    assert "1003" in lookup("questionpro", "1000").meaning
    assert "disagree" in lookup("questionpro", "1000").meaning
    assert "Assumed" in lookup("noojee", "401").meaning
    assert "429" in lookup("questionpro", "1013", 403).meaning


@pytest.mark.parametrize(
    ("vendor", "code", "status", "retryable"),
    [
        *[("http", str(c), c, "yes") for c in (408, 429, 500, 502, 503, 504)],
        ("webex", "429", None, "yes"),
        ("webex", "500", None, "yes"),
        ("questionpro", "1026", None, "yes"),
        ("questionpro", "429", None, "yes"),
        ("expoints", "429", None, "yes"),
        ("expoints", "503", None, "yes"),
        ("noojee", "109", None, "after_pause"),
        ("noojee", "103", None, "after_pause"),
        ("noojee", "105", None, "never"),
        ("noojee", "110", None, "never"),
        ("webex", "499", None, "never"),
        ("webex", "1001", None, "never"),
        ("webex", "1002", None, "never"),
        ("webex", "1010", None, "never"),
        ("questionpro", "1010", None, "never"),
        ("questionpro", "1013", 429, "never"),
        ("questionpro", "1002", None, "never"),
        ("cxconsole", "UNKNOWN_OUTCOME", None, "never"),
        ("cxconsole", "CONNECT_ERROR", None, "yes"),
    ],
)
def test_retryable_rules_the_client_relies_on(vendor, code, status, retryable):
    assert lookup(vendor, code, status).retryable == retryable


def test_success_entries_and_ok_codes_agree():
    ok = {(e.vendor, e.code) for e in all_entries() if e.ok}
    assert ok == {("expoints", "200"), ("webex", "0"), ("noojee", "0")}
    for vendor in vendors():
        assert set(vendor_shape(vendor).ok_codes) == {c for v, c in ok if v == vendor}


def test_lookup_prefers_the_entry_at_the_http_status():
    assert lookup("questionpro", "1013", 403).name == "FORBIDDEN"
    assert lookup("questionpro", "1013", 429).name == "TOO_MANY_REQUESTS"
    assert lookup("questionpro", 1013).http_status == 403  # the first documented one
    assert lookup("questionpro", "1013", 500).http_status == 403
    assert lookup("QuestionPro", " 1010 ").code == "1010"
    assert lookup("cxconsole", "timeout").code == "TIMEOUT"
    assert lookup("questionpro", "9999") is None
    assert lookup("nobody", "1010") is None


def test_search_exact_code_first_across_vendors():
    found = search("1010")
    assert [(e.vendor, e.code) for e in found[:2]] == [("questionpro", "1010"), ("webex", "1010")]
    assert [e.vendor for e in search("1010", vendor="webex")] == ["webex"]


def test_search_by_status_name_and_words():
    by_status = search("401")
    assert ("expoints", "401") in [(e.vendor, e.code) for e in by_status]
    assert ("questionpro", "1010") in [(e.vendor, e.code) for e in by_status]
    assert [e.code for e in search("dispostion")] == ["106", "107"]
    assert any(e.code == "109" for e in search("CONCURRENT"))
    assert {e.vendor for e in search("datacenter")} >= {"questionpro"}
    assert search("no such thing at all") == []


def test_search_filters():
    pause = search(retryable="after_pause")
    assert {(e.vendor, e.code) for e in pause} == {("noojee", "103"), ("noojee", "109")}
    assert all(e.vendor == "http" for e in search(vendor="http"))
    assert len(search()) == len(all_entries())


def test_closest_suggests_near_names():
    assert closest("unauthorised")[0].name.lower() == "unauthorized"
    assert closest("") == []


def test_format_entry_has_every_part():
    text = format_entry(lookup("questionpro", "1010"))
    for part in ("QuestionPro CX", "1010", "UNAUTHORIZED", "HTTP 401", "Incorrect API Key"):
        assert part in text
    for label in ("meaning:", "retryable:", "what to do:", "docs:"):
        assert label in text
    assert "HTTP not documented" in format_entry(lookup("webex", "1001"))


def test_every_exported_name_resolves():
    for name in catalog.__all__:
        assert getattr(catalog, name) is not None
    with pytest.raises(AttributeError):
        catalog.no_such_name  # noqa: B018


def test_a_broken_vendor_file_is_refused():
    good = (
        '[reply]\n[[entries]]\ncode = "1"\nname = "N"\nmessage = "m"\nmeaning = "m"\naction = "a"\n'
    )
    assert _read("x", good + 'retryable = "never"\n')[5][0][0] == "1"
    with pytest.raises(ValueError, match="retryable"):
        _read("x", good + 'retryable = "maybe"\n')
    with pytest.raises(ValueError, match="unknown keys"):
        _read("x", good + 'retryable = "never"\nretryble = "yes"\n')
    with pytest.raises(ValueError, match="must match"):
        _read("y", 'vendor = "x"\n')
    with pytest.raises(ValueError, match="unknown"):
        _read("x", "[reply]\nsignatures = []\n")
    with pytest.raises(ValueError, match="unknown advice keys"):
        _read("x", good + 'retryable = "never"\n[entries.advice]\nweb = "x"\n')


def test_the_generated_literal_is_in_sync_with_the_toml_files():
    # The store answers from _data.py; the TOML files are what people edit.
    assert build.OUTPUT.read_text(encoding="utf-8") == build.render(build.read_all()), (
        "cxconsole/catalog/_data.py is out of date: run python -m cxconsole.catalog.build"
    )
    assert build.main(["--check"]) == 0


def test_the_store_answers_without_reading_toml():
    import subprocess
    import sys

    code = (
        "import sys; from cxconsole.catalog import lookup; lookup('noojee', '109'); "
        "print(sorted(m for m in ('tomllib', 'importlib.resources', 'typing', 'dataclasses') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


class TestLenientJson:
    def test_real_json_takes_the_fast_path(self):
        assert parse_lenient('{"a": [1, 2.5, true, null]}') == ({"a": [1, 2.5, True, None]}, [])
        assert lenient_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}

    def test_trailing_commas(self):
        assert lenient_json('{"a": [1, 2,], "b": {"c": 1,},}') == {"a": [1, 2], "b": {"c": 1}}

    def test_unquoted_value_with_and_without_comma(self):
        text = '{\n"docs": www.questionpro.com/api/error-codes.html\n"name": "X",\n"id": "1"\n}'
        value, notes = parse_lenient(text)
        assert value == {"docs": "www.questionpro.com/api/error-codes.html", "name": "X", "id": "1"}
        assert notes == ["unquoted value at line 2", "missing comma at line 3"]
        assert lenient_json('{"docs": https://x.example/a?b=1, "n": 2}') == {
            "docs": "https://x.example/a?b=1",
            "n": 2,
        }
        assert lenient_json('{"a": www.x.com}') == {"a": "www.x.com"}

    def test_single_quotes_and_python_literals(self):
        assert lenient_json("{'a': 'it\\'s', 'b': True, 'c': None}") == {
            "a": "it's",
            "b": True,
            "c": None,
        }
        assert lenient_json("{'q': 'say \"hi\"'}") == {"q": 'say "hi"'}

    def test_noojee_stray_comma_and_several_values(self):
        text = '{"f1": "v1", "f2" ,: "v2"} , {"f1": "v3", "f2" ,: "v4"}'
        value, notes = parse_lenient(text)
        assert value == [{"f1": "v1", "f2": "v2"}, {"f1": "v3", "f2": "v4"}]
        assert any("stray comma" in n for n in notes)

    def test_unquoted_keys_comments_and_truncation(self):
        assert lenient_json("{a: 1, // note\n b: [1, 2]}") == {"a": 1, "b": [1, 2]}
        value, notes = parse_lenient('{"a": {"b": [1, 2')
        assert value == {"a": {"b": [1, 2]}}
        assert any("truncated" in n for n in notes)

    @pytest.mark.parametrize(
        "hopeless",
        ["", "   ", "<html><body>502 Bad Gateway</body></html>", "Internal Server Error", "{:}",
         '{"a" 1}', '{"a": "unterminated', "[" * 5000, b"\x00\x01\x02\xff"],
    )  # fmt: skip
    def test_hopeless_input_raises_value_error(self, hopeless):
        with pytest.raises(ValueError):
            lenient_json(hopeless)
