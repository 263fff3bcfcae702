"""Every column of the file is sent, or named and left out on the operator's word.

Two ``--map`` options that disagree are refused naming both; a column an explicit mapping
pushes out of its automatic field is named; a column with values that no field takes stops the
import (exit 2, nothing sent) until it is mapped or skipped (``--skip``, ``--skip-unmapped``),
however deep in the file its first value is; a column empty in every row is named, not
required. The CLI runs as a subprocess against the sandbox over HTTP; what the vendor got is
read from the sandbox's record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from import_support import cli, faults, record, write_csv, write_profiles

from cxconsole.sandbox.server import SandboxServer

HEADER = ["email", "Cell", "Given", "transaction_date", "Notes", "Blank"]
ROW = ["a@example.com", "+61412345678", "Ann", "14/01/2026", "VIP", ""]


# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


@pytest.fixture
def url(sandbox_reset: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> str:
    write_profiles(monkeypatch, sandbox_reset.url)
    return sandbox_reset.url


def qp_sent(url: str) -> list[dict[str, Any]]:
    return record(url)["questionpro"]


def unmapped(tmp_path: Path, name: str = "unmapped.csv") -> Path:
    return write_csv(tmp_path / name, HEADER, [ROW])


def result(out: str) -> dict[str, Any]:
    from cxconsole.commands.importer import RESULT_KEYS

    data = json.loads(out)
    assert list(data) == list(RESULT_KEYS), data
    return data


# -- --map options that disagree ---------------------------------------------------------------
def test_two_maps_for_one_column_or_one_field_are_refused_naming_both(
    url: str, tmp_path: Path
) -> None:
    basic = write_csv(
        tmp_path / "basic.csv",
        ["email", "first_name", "last_name", "mobile", "transaction_date"],
        [["a@example.com", "Ann", "Lee", "+61412345678", "14/01/2026"]],
    )
    cases = {
        "one column, two fields": (["--map", "email=email", "--map", "email=mobile"],),
        "one field, two columns": (
            ["--map", "first_name=firstName", "--map", "last_name=firstName"],
        ),
        "a field and a skip": (["--map", "first_name=firstName", "--skip", "first_name"],),
    }
    for name, (options,) in cases.items():
        for dry in ([], ["--dry-run"]):
            code, out, err = cli("import", str(basic), "--profile", "qp", *options, *dry)
            said = [f"{a} {b}" for a, b in zip(options[::2], options[1::2], strict=True)]
            assert code == 2, (name, out, err)
            assert all(s in err for s in said), (name, err)
            assert "nothing was sent" in err and "Traceback" not in err, (name, err)
        code, out, _err = cli("import", str(basic), "--profile", "qp", *options, "--json")
        data = result(out)
        assert (code, data["exit_code"], data["state"]) == (2, 2, "input_error"), name
        assert all(s in data["message"] for s in said), (name, data)
    # The same option twice agrees with itself.
    code, _out, err = cli(
        "import", str(basic), "--profile", "qp", "--map", "email=email", "--map", "email=email"
    )
    assert code == 0, err
    assert len(qp_sent(url)) == 1


def test_a_column_pushed_out_of_its_field_is_named_and_sent_only_when_skipped(
    url: str, tmp_path: Path
) -> None:
    basic = write_csv(
        tmp_path / "basic.csv",
        ["email", "first_name", "mobile", "transaction_date"],
        [["a@example.com", "b@example.com", "+61412345678", "14/01/2026"]],
    )
    code, out, err = cli("import", str(basic), "--profile", "qp", "--map", "first_name=email")
    assert code == 2, (out, err)
    assert "1 column would not be sent: email (its field email now comes from 'first_name')" in err
    assert qp_sent(url) == [], "nothing sent"
    code, out, err = cli(
        "import", str(basic), "--profile", "qp", "--map", "first_name=email", "--skip", "email"
    )
    assert code == 0, err
    assert "email (skipped; its field email now comes from 'first_name')" in out
    assert [r["email"] for r in qp_sent(url)] == ["b@example.com"]


def test_a_column_named_exactly_for_a_field_wins_over_a_look_alike(
    url: str, tmp_path: Path
) -> None:
    row = ["agent@corp.com", "14/01/2026", "cust@x.com"]
    path = write_csv(tmp_path / "agent.csv", ["e_mail", "transaction_date", "email"], [row])
    code, out, err = cli("import", str(path), "--profile", "qp", "--skip-unmapped")
    assert code == 0, (out, err)
    assert "email -> email" in err and "not sent: e_mail (skipped)" in err, err
    assert [r["email"] for r in qp_sent(url)] == ["cust@x.com"]


def test_a_skipped_columns_field_goes_to_the_next_column_that_names_it(
    url: str, tmp_path: Path
) -> None:
    row = ["agent@corp.com", "14/01/2026", "cust@x.com"]
    path = write_csv(tmp_path / "skip.csv", ["E-mail", "transaction_date", "mail"], [row])
    code, out, err = cli("import", str(path), "--profile", "qp", "--skip", "E-mail")
    assert code == 0, (out, err)
    assert "mail -> email" in err, err
    assert "E-mail (skipped; its field email now comes from 'mail')" in out, out
    assert [r["email"] for r in qp_sent(url)] == ["cust@x.com"]


def test_map_names_a_column_whose_header_holds_an_equals_sign(url: str, tmp_path: Path) -> None:
    row = ["agent@corp.com", "14/01/2026", "cust@x.com"]
    path = write_csv(tmp_path / "eq.csv", ["e=mail", "transaction_date", "email"], [row])
    code, out, err = cli("import", str(path), "--profile", "qp", "--map", "e=mail=firstName")
    assert code == 0, (out, err)
    assert [(r["email"], r["firstName"]) for r in qp_sent(url)] == [
        ("cust@x.com", "agent@corp.com")
    ]
    code, out, err = cli("import", str(path), "--profile", "qp", "--map", "e=mail=", "--dry-run")
    assert code == 0, (out, err)
    assert "not sent: e=mail (skipped)" in err, err


# -- columns with values that no field takes -----------------------------------------------------
def test_columns_not_mapped_stop_the_import_and_the_dry_run_naming_them(
    url: str, tmp_path: Path
) -> None:
    path = unmapped(tmp_path)
    for dry in ([], ["--dry-run"]):
        code, out, err = cli("import", str(path), "--profile", "qp", *dry)
        assert code == 2, (dry, out, err)
        assert "2 columns would not be sent: Given (not mapped), Notes (not mapped)" in err
        assert "--map COLUMN=FIELD" in err and "--skip COLUMN" in err
        assert "Blank" not in err.split("would not be sent")[1].split(".")[0], err
        code, out, _err = cli("import", str(path), "--profile", "qp", "--json", *dry)
        data = result(out)
        assert (code, data["state"], data["outcome"]) == (2, "input_error", "nothing")
        listed = {c["column"]: c for c in data["columns_not_sent"]}
        assert set(listed) == {"Given", "Notes", "Blank"}, data
        assert listed["Given"]["reason"] == listed["Notes"]["reason"] == "unmapped"
        assert listed["Given"]["filled"] is True
    assert qp_sent(url) == [], "nothing was sent"


def test_a_value_deep_in_the_file_stops_the_preflight_and_the_dry_run_alike(
    url: str, tmp_path: Path
) -> None:
    rows = [[f"u{i}@example.com", "14/01/2026", "late" if i == 300 else ""] for i in range(400)]
    path = write_csv(tmp_path / "late.csv", ["email", "transaction_date", "Notes"], rows)
    verdicts = []
    for dry in ([], ["--dry-run"]):
        code, out, err = cli("import", str(path), "--profile", "qp", "--json", *dry)
        data = result(out)
        verdicts.append((code, data["state"], data["rows_imported"]))
        # Where its first value lies: the operator finds it in the file (line 302: the header,
        # then row 300 counted from 0).
        said = "1 column would not be sent: Notes (not mapped; a value at line 302)"
        assert said in data["message"], data
        assert [(c["column"], c["line"]) for c in data["columns_not_sent"]] == [("Notes", 302)]
    assert verdicts == [(2, "input_error", 0)] * 2
    assert qp_sent(url) == []
    code, out, err = cli("import", str(path), "--profile", "qp", "--skip", "Notes")
    assert code == 0, err
    assert "columns not sent: Notes (skipped)" in out
    assert len(qp_sent(url)) == 400


def test_skipped_columns_are_left_out_named_and_never_reach_the_vendor(
    url: str, tmp_path: Path
) -> None:
    path = unmapped(tmp_path)
    code, out, err = cli(
        "import", str(path), "--profile", "qp", "--skip", "Given", "--skip", "notes", "--json"
    )
    assert code == 0, err
    data = result(out)
    assert data["outcome"] == "complete"
    listed = {c["column"]: (c["reason"], c["filled"]) for c in data["columns_not_sent"]}
    assert listed == {
        "Given": ("skipped", True),
        "Notes": ("skipped", True),
        "Blank": ("empty", False),  # empty in every row: named, no --skip needed
    }
    sent = qp_sent(url)
    assert len(sent) == 1 and not {"Ann", "VIP"} & {str(v) for v in sent[0].values()}
    # Before anything is sent, the run names them on stderr.
    code, out, err = cli("import", str(unmapped(tmp_path, "u2.csv")), "--profile", "qp",
                         "--skip-unmapped", "--dry-run")  # fmt: skip
    assert code == 0, err
    assert "not sent: Given (skipped), Notes (skipped), Blank (skipped)" in err
    assert "columns not sent: Given (skipped), Notes (skipped)" in out


def test_a_saved_mapping_holds_the_skips_for_the_next_file(url: str, tmp_path: Path) -> None:
    first = unmapped(tmp_path, "first.csv")
    saved = tmp_path / "qp-mapping.toml"
    code, _out, err = cli(
        "import", str(first), "--profile", "qp", "--skip-unmapped", "--save-mapping", str(saved)
    )
    assert code == 0, err
    row = ["b@example.com", "+61412345679", "Bo", "15/01/2026", "x", ""]
    second = write_csv(tmp_path / "second.csv", HEADER, [row])
    code, out, err = cli("import", str(second), "--profile", "qp", "--mapping", str(saved))
    assert code == 0, err
    assert "Given (skipped)" in out and "Notes (skipped)" in out
    assert sorted(r["email"] for r in qp_sent(url)) == ["a@example.com", "b@example.com"]


def test_resume_refuses_a_skip_that_differs_from_the_runs(url: str, tmp_path: Path) -> None:
    path = unmapped(tmp_path)
    faults(url, rate=1.0, faults=["500"])
    code, out, err = cli("import", str(path), "--profile", "qp", "--skip", "Given", "--skip",
                         "Notes", "--json")  # fmt: skip
    assert code == 1 and result(out)["rows_failed"] == 1, err
    faults(url, rate=0.0)
    code, out, err = cli("import", str(path), "--profile", "qp", "--skip", "Cell",
                         "--resume", "last")  # fmt: skip
    assert code == 2 and "the mapping differs from the run's" in err and "'Cell'" in err, err
    assert qp_sent(url) == []
    code, out, err = cli("import", str(path), "--profile", "qp", "--skip", "Given",
                         "--skip-unmapped", "--resume", "last")  # fmt: skip
    assert code == 0, err
    assert len(qp_sent(url)) == 1


def test_a_passthrough_vendor_names_a_column_it_now_sends_as_it_is(
    url: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "wx.csv", ["Mobile", "Email Address", "Work Mail"],
        [["+447330000001", "a@example.com", "w@example.com"]],
    )  # fmt: skip
    code, _out, err = cli(
        "import", str(path), "--profile", "wx", "--map", "Work Mail=Email Address"
    )
    assert code == 0, err
    assert "column 'Email Address' is sent as it is" in err, err


def late_key_file(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    else:
        path.write_text(json.dumps(records, indent=1), "utf-8")
    return path


def test_a_json_key_first_given_deep_in_the_file_is_a_column_like_the_others(
    url: str, tmp_path: Path
) -> None:
    # Record 1,100 is the first to give "Notes": far past the records read for the preview.
    records: list[dict[str, Any]] = [
        {"email": f"u{i}@example.com", "transaction_date": "14/01/2026"} for i in range(1, 1201)
    ]
    records[1099]["Notes"] = "VIP"
    for name in ("late.json", "late.jsonl"):
        path = late_key_file(tmp_path, name, records)
        for dry in ([], ["--dry-run"]):
            code, out, err = cli("import", str(path), "--profile", "qp", "--json", *dry)
            data = result(out)
            assert (code, data["state"], data["rows_imported"]) == (2, "input_error", 0), data
            # A JSON array's record, a JSON Lines file's line (the same number here).
            unit = "record" if name.endswith(".json") else "line"
            said = f"1 column would not be sent: Notes (not mapped; a value at {unit} 1,100)"
            assert said in data["message"], data
            listed = {c["column"]: c for c in data["columns_not_sent"]}
            assert listed["Notes"]["filled"] is True, data
        assert qp_sent(url) == []
    code, out, err = cli("import", str(path), "--profile", "qp", "--map", "Notes=firstName")
    assert code == 0, err
    sent = {r["email"]: r for r in qp_sent(url)}
    assert len(sent) == 1200 and sent["u1100@example.com"]["firstName"] == "VIP"


def test_a_passthrough_vendor_takes_a_late_json_key_as_a_column(url: str, tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [
        {"Mobile": f"+4473300{i:05d}", "Email Address": f"u{i}@example.com"} for i in range(1, 1101)
    ]
    records[1049]["Secret"] = "not for the vendor"
    path = late_key_file(tmp_path, "wx.json", records)
    # The operator can leave it out by name, as any column: it never reaches the vendor.
    code, out, err = cli("import", str(path), "--profile", "wx", "--skip", "Secret", "--json")
    assert code == 0, err
    data = result(out)
    assert {c["column"]: c["reason"] for c in data["columns_not_sent"]} == {"Secret": "skipped"}
    sent = record(url)["webex"]
    assert len(sent) == 1100 and not any("Secret" in r for r in sent), sent[:1]


# -- the screen: the same rule, worded there -----------------------------------------------------
async def test_the_screen_refuses_columns_not_mapped_and_asks_once_for_a_late_one(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from conftest import wait_until
    from test_imports_screen import SIZE, open_imports, set_up, text
    from textual.widgets import Static

    from cxconsole.app import CXApp
    from cxconsole.context import Context
    from cxconsole.widgets.import_mapping import SKIP, MappingTable

    url = sandbox_reset.url
    path = unmapped(tmp_path)
    rows = [[f"u{i}@example.com", "14/01/2026", "late" if i == 40 else ""] for i in range(50)]
    late = write_csv(tmp_path / "late.csv", ["email", "transaction_date", "Notes"], rows)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-questionpro", batch=10)
        status = screen.query_one("#mapping-status", Static)
        await wait_until(lambda: "would not be sent" in text(status), pilot=pilot)
        assert "Given (not mapped), Notes (not mapped)" in text(status)
        table = screen.query_one(MappingTable)
        assert "not mapped" in str(table.get_cell("Given", "target"))
        await pilot.press("f5")
        toasts = lambda: [str(n.message) for n in app._notifications]  # noqa: E731
        await wait_until(lambda: any("would not be sent" in t for t in toasts()), pilot=pilot)
        assert type(app.screen).__name__ != "Confirm"
        screen.choose_field("Given", SKIP)
        screen.choose_field("Notes", SKIP)
        await wait_until(lambda: "columns sent" in text(status), pilot=pilot)
        assert "skipped" in str(table.get_cell("Given", "target"))
        await pilot.press("f5")
        await wait_until(lambda: type(app.screen).__name__ == "Confirm", pilot=pilot)
        question = " ".join(str(app.screen.query_one(Static).render()).split())
        assert "Not sent: Given (skipped), Notes (skipped)" in question, question
        await pilot.press("y")
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        assert screen.summary.rows_imported == 1
        sent = qp_sent(url)
        assert len(sent) == 1 and "VIP" not in {str(v) for v in sent[0].values()}

        # A value past the rows the set-up shows: the pre-flight asks, once, before sending.
        await pilot.press("f2")
        screen.setup_pane.choose_file(late)
        await wait_until(
            lambda: screen.setup_pane.path == late and "2 of 3 columns sent" in text(status),
            pilot=pilot,
        )
        await pilot.press("f5")
        await wait_until(lambda: type(app.screen).__name__ == "Confirm", pilot=pilot)
        await pilot.press("y")
        await wait_until(
            lambda: (
                type(app.screen).__name__ == "Confirm"
                and "would not be sent" in str(app.screen.query_one(Static).render())
            ),
            20,
            pilot=pilot,
        )
        assert len(qp_sent(url)) == 1, "nothing more sent before the answer"
        # Asked again, although the first question named it: it says why (a value the set-up
        # did not show, and where).
        question = " ".join(str(app.screen.query_one(Static).render()).split())
        assert "Notes (not mapped; a value at line 42)" in question, question
        await pilot.press("y")
        await wait_until(
            lambda: screen.summary is not None and screen.summary.rows_total == 50, 20, pilot=pilot
        )
        assert screen.summary.rows_imported == 50, screen.summary
        assert "skipped" in str(table.get_cell("Notes", "target"))
        assert len(qp_sent(url)) == 51
