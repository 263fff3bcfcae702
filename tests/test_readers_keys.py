"""Row keys: record ordinals for JSON arrays (all on line 1 when minified), lines elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

from cxconsole.importing.readers import RowProblem, inspect, open_rows


def test_a_minified_json_array_keys_every_record_apart(tmp_path: Path) -> None:
    records: list[object] = []
    for i in range(1, 31):
        # every third record is not an object: 10 bad records, all on line 1
        records.append(f"bad {i}" if i % 3 == 0 else {"email": f"u{i}@example.com", "n": i})
    path = tmp_path / "min.json"
    path.write_text(json.dumps(records, separators=(",", ":")), "utf-8")
    source = inspect(path)
    assert source.key_unit == "record"
    with open_rows(source) as stream:
        assert stream.key_unit == "record"
        rows = list(stream)
    assert [key for key, _ in rows] == list(range(1, 31))
    bad = [key for key, values in rows if isinstance(values, RowProblem)]
    assert bad == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert rows[0] == (1, ["u1@example.com", "1"])
    assert rows[2][1].reason == "a JSON str, not an object"  # type: ignore[attr-defined]


def test_the_other_formats_key_by_line(tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"email": "a@example.com"}\n\n{"email": "b@example.com"}\n', "utf-8")
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("email\na@example.com\n\nb@example.com\n", "utf-8")
    for path, keys in ((jsonl, [1, 3]), (csv_path, [2, 4])):
        source = inspect(path)
        assert source.key_unit == "line"
        with open_rows(source) as stream:
            assert [key for key, _ in stream] == keys
            assert stream.key_unit == "line" and stream.blank_lines == 1


def test_broken_json_inside_an_array_names_its_line_with_context(tmp_path: Path) -> None:
    import pytest

    from cxconsole.importing import InputError

    lines = ["["] + [json.dumps({"email": f"u{i}@example.com"}) + "," for i in range(2, 3000)]
    lines[2000] = '{"email": "u2001@example.com" "n": 1},'
    path = tmp_path / "broken.json"
    path.write_text("\n".join(lines) + '\n{"email": "last@example.com"}]\n', "utf-8")
    got = []
    with pytest.raises(InputError) as caught, open_rows(inspect(path)) as stream:
        got.extend(key for key, _ in stream)
    assert caught.value.line == 2001 and "invalid JSON" in caught.value.message
    assert "> 2001 | " in caught.value.context
    assert got == list(range(1, 2000))
