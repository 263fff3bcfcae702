"""Home's pictures, driven through Pilot: tickets by time left per profile, and the last runs
with their outcome, at 80 columns with no column cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import wait_until
from import_support import cli, write_csv
from rich.text import Text
from textual.widgets import DataTable

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.screens.home import RUN_COLUMNS, Col, fit_columns
from cxconsole.tickets.query import TicketQuery
from cxconsole.widgets.home_pictures import TicketBuckets, outcome_bar, split_cells


def test_split_cells_adds_up_and_shows_every_part():
    assert sum(split_cells([1870, 307, 423, 0], 30)) == 30
    assert split_cells([1000, 1, 0], 10)[1] == 1  # one ticket still shows
    assert split_cells([0, 0], 10) == [0, 0]
    bar = outcome_bar(40, 3, 45, {"success": "green", "error": "red"}, 10)
    assert bar.cell_len == 10 and "░" in bar.plain


def test_fit_columns_drops_by_rank_never_cuts():
    row = {"when": "2026-12-02 01:20", "file": "x" * 40, "profile": "p" * 19, "outcome": ""}
    rows = [{**row, "imported": "1,000", "listed": "12", "state": "resumable"}]
    kept = [c.key for c in fit_columns(RUN_COLUMNS, rows, 78)]
    assert "state" in kept and "outcome" in kept and "when" in kept
    assert "listed" not in kept  # the outcome bar shows it; it goes first
    wide = [c.key for c in fit_columns(RUN_COLUMNS, rows, 200)]
    assert wide == [c.key for c in RUN_COLUMNS]
    assert fit_columns((Col("a", "A", 0),), rows, 1)[0].key == "a"  # one column always stays


def test_fit_columns_at_80_keeps_what_tells_runs_apart():
    """The outcome is a 10-cell bar: measured as the text of its counts it took 28 cells, and
    at 80 columns Home dropped File, Profile and Imported, leaving When, Outcome, State."""
    row = {
        "when": "2026-12-07 01:56",
        "when_short": "07 Dec 01:56",
        "file": "big-spreadsheet-export.csv",
        "profile": "sandbox-questionpro",
        "outcome": (29900, None, 400, 200000),
        "imported": "29,900",
        "listed": "?",
        "unknown": "400",
        "state": "⟳ cancelled · resumable",
    }
    kept = [c.key for c in fit_columns(RUN_COLUMNS, [row], 78)]
    assert kept == ["when_short", "file", "outcome", "state"], kept  # the time said shorter
    # A shorter profile name keeps the profile too.
    # Room left by a column that does not fit goes to the narrower ones after it: the counts
    # of unknown rows stay in view (the bar alone drew them as ????).
    partly = {**row, "file": "rej.csv", "profile": "qpx or qpalt (was qpnew)"}
    partly |= {"state": "◐ finished, partly", "listed": "800", "unknown": "800"}
    kept = [c.key for c in fit_columns(RUN_COLUMNS, [partly], 78)]
    assert "unknown" in kept and "imported" in kept and "file" in kept, kept
    done = {**row, "profile": "qp-prod", "state": "✓ finished"}
    kept = [c.key for c in fit_columns(RUN_COLUMNS, [done], 78)]
    assert kept == ["when", "file", "profile", "outcome", "state"], kept


async def test_home_pictures_tickets_by_time_left_and_run_outcomes(sandbox_reset, tmp_path: Path):
    header = ["First Name", "E-mail", "Mobile", "Transaction Date", "Ref"]
    rows = [[f"F{i}", f"u{i}@example.com", f"+614123456{i:02d}", "14/01/2020", f"r{i}"]
            for i in range(1, 21)]  # fmt: skip
    rows[4][1] = "bad@nowhere"  # one rejected row
    data = write_csv(tmp_path / "customers.csv", header, rows)
    code, _out, err = cli(
        "--sandbox", "import", str(data), "--profile", "sandbox-questionpro", "--skip", "Ref"
    )
    assert code == 1, err  # a row was rejected

    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url))
    async with app.run_test(size=(80, 24)) as pilot:
        runs = app.screen.query_one("#runs", DataTable)
        await wait_until(lambda: runs.row_count == 1, 20, pilot=pilot)
        labels = [str(c.label) for c in runs.ordered_columns]
        assert "State" in labels and "Outcome" in labels and "When" in labels
        row = runs.get_row_at(0)
        state = str(row[labels.index("State")])
        assert state in {"finished", "completed"} or "finish" in state, state
        bar = row[labels.index("Outcome")]
        assert isinstance(bar, Text) and bar.cell_len == 10
        colours = {str(span.style) for span in bar.spans}
        assert app.theme_variables["success"] in colours
        assert app.theme_variables["error"] in colours  # the rejected row shows
        assert sum(c.get_render_width(runs) for c in runs.ordered_columns) <= 80

        buckets = app.screen.query_one(TicketBuckets)
        await wait_until(
            lambda: buckets.lines and buckets.lines[0].loading is None, 20, pilot=pilot
        )
        line = buckets.lines[0]
        assert line.name == "sandbox-questionpro" and not line.note
        assert sum(line.counts.values()) == 2600  # counts add up to the profile's tickets
        assert line.counts["overdue"] > 0
        # Counted into the app's shared ticket cache, in pages as large as the server serves.
        assert app.tickets_cache.complete(TicketQuery("sandbox-questionpro", per_page=100))


async def test_a_profiles_file_that_cannot_be_read_still_lists_the_runs(
    sandbox_reset, tmp_path: Path, isolated_home: Path
):
    """It said "No profiles yet: press 2 to add one" and "No import runs yet" beside a banner
    naming the broken file, though runs existed."""
    from cxconsole.keystore import FileStore, Secrets
    from cxconsole.paths import config_dir
    from cxconsole.profiles import ProfileStore

    data = write_csv(
        tmp_path / "one.csv", ["E-mail", "Transaction Date"], [["a@x.com", "14/01/2020"]]
    )
    code, _out, err = cli("--sandbox", "import", str(data), "--profile", "sandbox-questionpro")
    assert code == 0, err
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles.toml").write_text("[profiles.qp\nbroken = ", encoding="utf-8")

    ctx = Context(ProfileStore(), Secrets(FileStore(isolated_home / "secrets.toml")))
    app = CXApp(ctx=ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        runs = app.screen.query_one("#runs", DataTable)
        await wait_until(lambda: runs.row_count == 1, 20, pilot=pilot, what="the run listed")
        empty = app.screen.query_one("#profiles-empty")
        assert "could not be read" in str(empty.render())
        assert "No profiles yet" not in str(empty.render())


async def test_a_profile_whose_tickets_cannot_be_counted_says_why_whole(sandbox_reset):
    """It said "not counted: 1010 QuestionPro CX refused tickets page 1: 1010 UNAUTHORIZED - I",
    the error's text cut at 60 characters, mid-word, at any width."""
    from cxconsole.profiles import Profile

    ctx = Context.for_sandbox(sandbox_reset.url)
    ctx.profiles.put(Profile(name="qbad", vendor="questionpro", base_url=f"{sandbox_reset.url}/qp"))
    ctx.secrets.set("qbad", "wrong-key-000")
    app = CXApp(ctx=ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        buckets = app.screen.query_one(TicketBuckets)

        def qbad() -> Any:
            return next((line for line in buckets.lines if line.name == "qbad"), None)

        await wait_until(lambda: qbad() is not None and qbad().note, 20, pilot=pilot)
        assert qbad().note == "not counted: 1010 UNAUTHORIZED: Incorrect API Key"
        await pilot.pause()
        shown = [line for line in str(buckets.render()).splitlines() if line.startswith("qbad")]
        assert shown and shown[0].endswith("Incorrect API Key"), shown  # whole at 80 columns
        assert "wrong-key-000" not in str(buckets.render())
