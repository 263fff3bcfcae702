"""Readers of CSV, JSON, JSON Lines and XLSX files: rows streamed in constant memory, strictly.

:func:`inspect` works out what a file is (format, encoding, CSV dialect, sheet, JSON envelope,
headers); :func:`open_rows` then streams ``(key, values)`` pairs, ``values`` aligned with the
headers. The key is a unique int that names the row to the operator, in the unit
``Source.key_unit`` (and ``RowStream.key_unit``) says:

* ``"line"`` (CSV, JSON Lines, XLSX): the 1-based physical line of the file where the record
  starts (the sheet row for XLSX), blank lines and quoted line breaks counted, as an editor
  numbers them;
* ``"record"`` (JSON arrays): the 1-based ordinal of the element in the array, so the records
  of a minified file, all on line 1, each have their own key.

Every byte read is hashed on the way, so the journal can tell later whether the file changed.

Structural faults stop the reading with :class:`InputError` at their true line, with the text
around it (``InputError.context``): a byte that does not decode under the chosen or guessed
encoding (never another encoding in its place), a NUL character, a line longer than
``MAX_LINE``, and in CSV:

* a line end that would split or join records: a CR alone inside a line outside quotes (any
  file), an LF alone ending a record of a file whose lines end with CR LF (an LF inside a quoted
  value is the value's own line break, as Excel writes them);
* an unterminated quote: a quoted value that crosses a line end and (a) runs to the end of the
  file or past ``MAX_LINE`` characters, (b) is "closed" by a quote that text follows (the opening
  quote of a later value), (c) spans more than ``MAX_FIELD_LINES`` lines, or (d) swallows lines
  that have the shape of a record of their own: split at the delimiter they give exactly the
  header's number of fields (one such line when the header has 4 or more columns, two when it
  has 2 or 3). The fault is reported at the line where the quote opened.

Row faults are yielded in the row's place as a :class:`RowProblem` (with its reason) and the
reading goes on: a CSV record with more non-empty fields than the header (never truncated;
trailing empty or blank fields past the header are dropped) or fewer (never padded: its values
would land under the wrong columns), a stray quote inside one line (``"a"b``), a JSON Lines
line that is not JSON, a JSON element that is not an object, a JSON record that gives a key
twice.

Blank and whitespace-only lines (and records of empty fields only) are skipped, never yielded;
``RowStream.blank_lines`` counts them. CSV dialects: Excel's ``sep=X`` first line is honoured (it
is not the header); the delimiter is one of ``DELIMITERS`` (comma, semicolon, tab, pipe, caret,
unit separator), detected or given; a tab-separated file with ``\\N`` cells is a database's text
(MySQL, PostgreSQL COPY): ``\\N`` is empty and backslash escapes are decoded. Header names are
trimmed, an empty one is called ``column N``, and two columns of the same name (case aside) are
an :class:`InputError`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain, repeat
from operator import add
from pathlib import Path
from typing import Any

from cxconsole.importing.encoding import (
    SAMPLE_BYTES,
    DecodedText,
    context_at,
    detect_encoding,
    line_mark,
)
from cxconsole.importing.errors import InputError
from cxconsole.importing.jsonstream import JsonArrayStream, NumberHooks, dumps
from cxconsole.importing.validate import TextCell

FORMATS = ("csv", "json", "jsonl", "xlsx")
MAX_LINE = 8 << 20  # a physical line (or one quoted field) longer than this is a broken file
MAX_FIELD_LINES = 100  # a quoted value spanning more lines than this is an unterminated quote
CHUNK = 1 << 20
HEADER_SCAN = 1000  # JSON records read ahead (the preview's); their keys come first
DELIMITERS = (",", ";", "\t", "|", "^", "\x1f")
DELIMITER_NAMES = {
    ",": "comma",
    ";": "semicolon",
    "\t": "tab",
    "|": "pipe",
    "^": "caret",
    "\x1f": "unit separator",
    "\x1e": "record separator",
}
_DELIMITER_ALIASES = {name: char for char, name in DELIMITER_NAMES.items()} | {
    "\\t": "\t",
    "us": "\x1f",
    "\\x1f": "\x1f",
    "rs": "\x1e",
    "\\x1e": "\x1e",
}

csv.field_size_limit(MAX_LINE)

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_NUMBER_LIKE = re.compile(r"\s*\d+(?:\.\d+)?\s*")
_DATA_LIKE = re.compile(r"^[\d\s+\-/.:,()]+$")
# Excel's first-line directive; some writers quote it or pad it with delimiters.
_MYSQL_NULL = re.compile(r"(?:^|\t)\\N(?:\t|\r?$)", re.MULTILINE)
_MYSQL_ESCAPE = re.compile(r"\\(.?)", re.DOTALL)
_MYSQL_CHARS = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "Z": "\x1a", "\\": "\\"}
_SEP_LINE = re.compile(r'\ufeff?"?sep=([^\r\n"])"?[^\r\n]*?(\r\n|\n|\r|$)', re.IGNORECASE)


class RowProblem(list[Any]):
    """Stands in for a row that could not be read (a broken JSON line, a row wider than the
    header): an empty list with a reason, so the fast path's length check sends it to the slow
    path. ``cells``: the row's cells when they are known all the same (an XLSX row), for the
    rejects file and the Fix pane to show in their columns; else ``raw`` is the text."""

    def __init__(self, reason: str, raw: str, cells: list[Any] | None = None) -> None:
        super().__init__()
        self.reason = reason
        self.raw = raw
        self.cells = cells


@dataclass
class Source:
    """What a file is and how to read it; the preview shows it, the journal keeps it."""

    path: Path
    format: str
    size: int
    encoding: str | None = None
    encoding_how: str = ""
    delimiter: str | None = None
    delimiter_how: str = ""  # "detected", "chosen", "sep= line"
    quotechar: str | None = None
    newline: str = "\n"  # "\n", "\r\n" (LF alone is then a fault outside quotes) or "\r"
    sep_line: bool = False  # the first line is Excel's "sep=X" directive
    escapes: str = ""  # "backslash": a database's tab-separated text, \N for NULL
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    json_key: str | None = None
    # JSON: every key of every record, to the file's end (None until inspect reads them)
    keys: list[str] | None = None
    headers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hashing: bool = True  # hash the bytes read (the journal's proof of the file); not in dry runs

    @property
    def key_unit(self) -> str:
        """What a row's key counts: "record" (JSON arrays) or "line" (the others)."""
        return "record" if self.format == "json" else "line"

    @property
    def delimiter_name(self) -> str | None:
        if self.delimiter is None:
            return None
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def summary(self) -> str:
        parts = [self.format.upper()]
        if self.encoding:
            parts.append(f"{self.encoding} ({self.encoding_how})")
        if self.delimiter is not None:
            how = f", {self.delimiter_how}" if self.delimiter_how else ""
            parts.append(f"delimiter {self.delimiter!r} ({self.delimiter_name}{how})")
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.json_key:
            parts.append(f"records under {self.json_key!r}")
        parts.append(f"{len(self.headers)} columns")
        return ", ".join(parts)

    def settings(self) -> dict[str, Any]:
        """How the file was read: enough to read it again the same way on resume."""
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
            "newline": self.newline,
            "escapes": self.escapes,
            "sheet": self.sheet,
            "json_key": self.json_key,
        }


def parse_delimiter(text: str) -> str:
    """A delimiter as an operator writes it: one character, or a name ("tab", "pipe", ...)."""
    char = _DELIMITER_ALIASES.get(text.strip().lower(), text) if len(text) != 1 else text
    if len(char) != 1 or char in "\r\n\"'" or char.isalnum():
        names = ", ".join(DELIMITER_NAMES.values())
        raise InputError(f"not a delimiter: {text!r} (one character, or one of: {names})")
    return char


# -- low-level I/O ---------------------------------------------------------------------------
class HashingReader(io.RawIOBase):
    """A raw file that hashes and counts every byte read through it (``hashing=False``: only
    counts, for a dry run, which is never resumed)."""

    def __init__(self, raw: io.RawIOBase, hashing: bool = True) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.hashing = hashing
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        if n:
            if self.hashing:
                self.sha.update(memoryview(buffer)[:n])
            self.count += n
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_text(source: Source, *, nul: bool = False) -> tuple[DecodedText, HashingReader]:
    """The file's text, decoded strictly (faults at their line), and the raw reader under it."""
    raw = HashingReader(open(source.path, "rb", buffering=0), source.hashing)  # noqa: SIM115
    text = DecodedText(
        raw,
        source.encoding or "utf-8",
        how=source.encoding_how,
        path=source.path,
        newline=source.newline,
        nul=nul,
    )
    return text, raw


class Lines:
    """Physical lines of a text, each with its end, never more than ``MAX_LINE`` characters
    held; split one megabyte at a time (faster than iterating a file, and safe on a 200 MB line).

    With ``lone`` (a file of CR LF line ends), the numbers of lines that end with an LF alone
    are appended to it, for the CSV reader to tell a quoted line break from a stray one. The
    lines of the current and previous chunks stay at hand (:meth:`text`) for row problems.
    """

    def __init__(
        self, text: DecodedText, path: Path, newline: str, lone: deque[int] | None = None
    ) -> None:
        self._text = text
        self.path = path
        self.mark = line_mark(newline)
        self.lone = lone
        self._parts: list[str] = []
        self._first = 1
        self._old: list[str] = []
        self._old_first = 1

    def _keep(self, parts: list[str], first: int) -> None:
        self._old, self._old_first = self._parts, self._first
        self._parts, self._first = parts, first

    def text(self, first: int, last: int) -> str:
        """Lines ``first`` to ``last`` (without their ends) if still held, else ""."""
        found = []
        for number in range(first, last + 1):
            if self._first <= number < self._first + len(self._parts):
                found.append(self._parts[number - self._first])
            elif self._old_first <= number < self._old_first + len(self._old):
                found.append(self._old[number - self._old_first])
            else:
                return ""
        return self.mark.join(part.rstrip("\r") for part in found)

    def __iter__(self) -> Iterator[str]:
        # The lines of a chunk come out of C (a map over its parts, chained): no Python frame
        # resumed per line.
        return chain.from_iterable(self._chunks())

    def _chunks(self) -> Iterator[Iterable[str]]:
        """Each chunk's whole lines, ends put back, once the chunk is kept for :meth:`text`."""
        read = self._text.read
        mark = self.mark
        lone = self.lone
        carry = ""
        line = 1
        while True:
            chunk = read(CHUNK)
            if not chunk:
                if carry:
                    self._keep([carry], line)
                    yield (carry,)
                return
            buf = carry + chunk if carry else chunk
            parts = buf.split(mark)
            carry = parts.pop()
            if len(carry) > MAX_LINE:
                raise InputError(
                    f"a line longer than {MAX_LINE >> 20} MB: this is not a file of records "
                    "(or its line ends are not \\n, \\r\\n or \\r)",
                    path=self.path,
                    line=line + len(parts),
                    kind="size",
                )
            if lone is not None and parts and buf.count("\r\n") != len(parts):
                lone.extend(line + i for i, part in enumerate(parts) if part[-1:] != "\r")
            self._keep(parts, line)
            line += len(parts)
            yield map(add, parts, repeat(mark, len(parts)))


# -- detection -------------------------------------------------------------------------------
def detect_format(path: Path, head: bytes, chosen: str | None = None) -> str:
    """csv, json, jsonl or xlsx: from the content first, the extension second."""
    if chosen:
        if chosen not in FORMATS:
            raise InputError(f"unknown format {chosen!r}; choose one of {', '.join(FORMATS)}")
        if chosen == "xlsx" and not head.startswith(b"PK\x03\x04"):
            raise InputError(
                "not an XLSX workbook (an XLSX file is a zip archive), though --format xlsx "
                "(the format chosen) says so; leave out --format, or choose the file's format",
                path=path,
            )
        return chosen
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            "this is an old Excel .xls (or another OLE) file: save it as .xlsx or CSV", path=path
        )
    by_name = _EXTENSIONS.get(path.suffix.lower())
    if by_name == "xlsx":
        raise InputError("named .xlsx but not an XLSX (zip) file", path=path)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"[", b"{"):
        first, _, rest = text.partition(b"\n")
        if text[:1] == b"{" and rest.lstrip()[:1] == b"{":
            try:
                record = json.loads(first)
            except ValueError:
                return "json"
            if by_name != "jsonl" and _envelope(record, rest.lstrip().partition(b"\n")[0]):
                return "json"  # read as JSON, which names what follows the envelope
            return "jsonl"
        if by_name in (None, "json", "jsonl", "csv"):
            return by_name if by_name in ("json", "jsonl") else "json"
    return by_name or "csv"


def _envelope(first: Any, second: bytes) -> bool:
    """Whether a first line that is a JSON object is an envelope of records (an array of
    objects under a key) rather than a JSON Lines record: it holds nothing but arrays and
    objects, or the line after it shares none of its keys (records share theirs)."""
    if not isinstance(first, dict) or not any(
        isinstance(v, list) and v and all(isinstance(x, dict) for x in v) for v in first.values()
    ):
        return False
    if all(isinstance(v, (list, dict)) for v in first.values()):
        return True
    try:
        after = json.loads(second)
    except ValueError:
        return False
    return isinstance(after, dict) and first.keys().isdisjoint(after)


def _newline(sample: str) -> str:
    """The line end most lines of the sample have: "\\r\\n", "\\n" or "\\r" (old Mac)."""
    crlf = sample.count("\r\n")
    lf = sample.count("\n") - crlf
    cr = sample.count("\r") - crlf
    if cr > lf + crlf:
        return "\r"
    return "\r\n" if crlf > lf else "\n"


def _sniff_dialect(sample: str, delimiter: str | None = None) -> tuple[str, str, str]:
    """(delimiter, quotechar, newline) from a text sample, with clevercsv when needed."""
    newline = _newline(sample)
    mark = line_mark(newline)
    # clevercsv's time grows fast with the sample: 16 KB decide as well as 64 KB.
    cut = sample.rfind(mark, 0, 16 * 1024)
    sample = sample[: cut + 1] if cut > 0 else sample[: 16 * 1024]
    if delimiter is None:
        delimiter = _obvious_delimiter(sample, mark)
        if delimiter is not None:
            return delimiter, '"', newline
        # Imported only when needed: clevercsv spends ~0.6 s building a Unicode table.
        from clevercsv import Detector

        dialect = Detector().detect(sample, delimiters=list(DELIMITERS))
        delimiter = dialect.delimiter if dialect and dialect.delimiter else ""
        if not delimiter:
            # One column, or clevercsv could not tell: the delimiter the first line has most of.
            first = sample.split(mark, 1)[0]
            counts = {d: first.count(d) for d in DELIMITERS}
            best = max(counts, key=counts.__getitem__)
            delimiter = best if counts[best] else ","
        if dialect and dialect.quotechar:
            return delimiter, dialect.quotechar, newline
    # clevercsv may see too few quoted fields to call it; a field that opens with '"'
    # is quoting, a '"' only inside values (a 5" screen) is not.
    opens = re.search(rf'(?:^|{re.escape(delimiter)})"', sample, re.MULTILINE)
    return delimiter, '"' if opens or '"' not in sample else "", newline


def _obvious_delimiter(sample: str, mark: str) -> str | None:
    """The delimiter when no sniffing is needed: no quotes at all, and exactly one candidate
    that appears the same number of times on every line (ties, such as ';' with decimal
    commas, go to clevercsv)."""
    if '"' in sample or "'" in sample:
        return None
    lines = [line for line in sample.split(mark)[:-1] if line.strip()][:50]
    if len(lines) < 2:
        return None
    steady = [
        d for d in DELIMITERS if lines[0].count(d) and len({ln.count(d) for ln in lines}) == 1
    ]
    return steady[0] if len(steady) == 1 else None


def clean_headers(
    raw: list[Any], *, path: object = None, line: int | None = None, strict: bool = False
) -> tuple[list[str], list[str]]:
    """Headers made usable: trimmed, trailing empties dropped, empties named ``column N``;
    the warnings say what was changed. Two names equal but for case: with ``strict`` (a header
    row) an :class:`InputError` naming both columns, else (JSON keys) the second is numbered."""
    names = [("" if v is None else str(v)).strip().lstrip("\ufeff").strip() for v in raw]
    while names and not names[-1]:
        names.pop()
    warnings: list[str] = []
    seen: dict[str, int] = {}
    headers: list[str] = []
    for index, name in enumerate(names, 1):
        if not name:
            name = f"column {index}"
            warnings.append(f"column {index} has no header; it is called {name!r}")
        key = name.casefold()
        if key in seen:
            if strict:
                first = seen[key]
                raise InputError(
                    f"columns {first} and {index} are both named {name!r}"
                    + ("" if headers[first - 1] == name else f" ({headers[first - 1]!r})")
                    + ": rename one of them",
                    path=path,
                    line=line,
                    kind="header",
                )
            n = 2
            while f"{name} ({n})".casefold() in seen:
                n += 1
            new = f"{name} ({n})"
            warnings.append(
                f"header {name!r} appears again in column {index}; that one is called {new!r}"
            )
            name, key = new, new.casefold()
        seen[key] = index
        headers.append(name)
    return headers, warnings


def _check_header(headers: list[str], path: Path, line: int) -> None:
    data_like = [h for h in headers if "@" in h or _DATA_LIKE.match(h)]
    if data_like:
        raise InputError(
            f"the first row looks like data, not a header ({data_like[0]!r}); "
            "add a header row naming the columns",
            path=path,
            line=line,
            kind="header",
        )


def inspect(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    json_key: str | None = None,
    format: str | None = None,
    delimiter: str | None = None,
) -> Source:
    """Work out how to read ``path``; raise :class:`InputError` for what cannot be read.

    ``encoding`` and ``delimiter`` (CSV) override what would be detected.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError("not a regular file", path=path)
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror or exc})", path=path) from None
    if size == 0:
        raise InputError("the file is empty", path=path)
    kind = detect_format(path, head, format)
    source = Source(path=path, format=kind, size=size, json_key=json_key)
    if kind == "xlsx":
        source.sheet = sheet
    else:
        guess = detect_encoding(path, encoding)
        source.encoding, source.encoding_how = guess.encoding, guess.how
        if guess.how.startswith("guessed"):
            source.warnings.append(
                f"the file does not say its encoding and is not UTF-8: it is read as "
                f"{guess.encoding}, a guess; check accented letters in the preview, or choose "
                "the encoding"
            )
        if kind == "csv":
            _csv_dialect(source, head.decode(guess.encoding, errors="replace"), delimiter)
        else:
            source.keys = all_keys(source)
    with open_rows(source) as rows:
        source.headers = list(rows.headers)
        source.warnings += rows.warnings
        source.sheet = getattr(rows, "sheet", source.sheet)
        source.sheets = list(getattr(rows, "sheets", []))
        source.json_key = getattr(rows, "json_key", source.json_key)
    return source


def _csv_dialect(source: Source, sample: str, delimiter: str | None) -> None:
    given = parse_delimiter(delimiter) if delimiter else None
    directive = _SEP_LINE.match(sample)
    if directive:
        source.sep_line = True
        sample = sample[directive.end() :]
        if given is None:
            given = directive.group(1)
            source.delimiter_how = "sep= line"
    if given is not None and not source.delimiter_how:
        source.delimiter_how = "chosen"
    source.delimiter, source.quotechar, source.newline = _sniff_dialect(sample, given)
    if not source.delimiter_how:
        source.delimiter_how = "detected"
    if source.delimiter == "\t" and _MYSQL_NULL.search(sample):
        # MySQL's SELECT ... INTO OUTFILE (mysqldump --tab) and PostgreSQL's COPY text format:
        # never quoted, \N for NULL, backslash escapes.
        source.escapes, source.quotechar = "backslash", ""
        source.warnings.append(
            "read as a database's tab-separated text (MySQL, PostgreSQL COPY): \\N is an "
            "empty value, and the backslash "
            "escapes \\t, \\n, \\r and \\\\ are a tab, a line break, a CR and a backslash"
        )


def all_keys(source: Source) -> list[str]:
    """Every key of every record of a JSON or JSON Lines file, in the order first seen: its
    columns, so a key that only a late record gives is a column like the others (mapped,
    skipped, or stopping the import), never dropped. Read to the file's end or to its first
    fault, which the reading of the rows reports at its line."""
    text, raw = open_text(dataclasses.replace(source, hashing=False))
    keys: dict[str, None] = {}
    records: Iterable[Any]
    try:
        if source.format == "json":
            stream = JsonArrayStream(text, source.path, source.json_key)
            records = (record for _line, record in stream)
        else:
            records = _jsonl_objects(Lines(text, source.path, "\n"))
        for record in records:
            if isinstance(record, dict) and not keys.keys() >= record.keys():
                keys.update(dict.fromkeys(str(k) for k in record))
    except (InputError, RecursionError):
        pass
    finally:
        raw.close()
    return list(keys)


def _jsonl_objects(lines: Iterable[str]) -> Iterator[Any]:
    decode = json.JSONDecoder().decode
    for line in lines:
        text = line.strip()
        if text[:1] == "{":
            try:
                yield decode(text)
            except ValueError:
                continue


# -- row streams -----------------------------------------------------------------------------
class RowStream:
    """Rows of one file: ``headers``, then ``(key, values)`` pairs; a context manager.

    ``key_unit`` says what the keys count ("line" or "record"); ``blank_lines`` how many blank
    lines (or empty records) were skipped so far.
    """

    headers: list[str]
    warnings: list[str]
    size: int
    key_unit: str = "line"
    blank_lines: int = 0

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        raise NotImplementedError

    def bytes_read(self) -> int:
        raise NotImplementedError

    def digest(self) -> str:
        """SHA-256 of the bytes read so far (the whole file once the rows are exhausted)."""
        raise NotImplementedError

    def fraction(self) -> float | None:
        return min(1.0, self.bytes_read() / self.size) if self.size else None

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shown(values: list[str], limit: int = 3) -> str:
    cut = [repr(v if len(v) <= 40 else v[:39] + "…") for v in values[:limit]]
    more = len(values) - limit
    return ", ".join(cut) + (f" and {more} more" if more > 0 else "")


class CsvRows(RowStream):
    def __init__(self, source: Source) -> None:
        self.path = source.path
        self.size = source.size
        self.blank_lines = 0
        self._source = source
        self._text, self._raw = open_text(source, nul=True)
        self.delimiter = source.delimiter or ","
        self.mark = line_mark(source.newline)
        # A file of CR LF line ends: records that end with an LF alone are faults.
        self._lone: deque[int] | None = deque() if source.newline == "\r\n" else None
        self._lines = Lines(self._text, source.path, source.newline, self._lone)
        quotechar = source.quotechar or None
        self._reader = csv.reader(
            iter(self._lines),
            delimiter=self.delimiter,
            quotechar=quotechar or '"',
            quoting=csv.QUOTE_MINIMAL if quotechar else csv.QUOTE_NONE,
            doublequote=True,
            strict=True,
        )
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

    # -- faults ----------------------------------------------------------------------------
    def _error(self, message: str, line: int, kind: str) -> InputError:
        context = context_at(self.path, self._text.encoding, self.mark, line)
        return InputError(message, path=self.path, line=line, kind=kind, context=context)

    def _csv_fault(self, exc: csv.Error, start: int) -> RowProblem:
        """The row problem a csv error is, or the :class:`InputError` it is raised as."""
        text = str(exc)
        end = self._reader.line_num
        if "unexpected end of data" in text:
            raise self._error(
                f'a quote (") opened in the record that starts on line {start} is never '
                f"closed: the file ends inside it (line {end}), the lines after it swallowed",
                start,
                "quote",
            )
        if "field larger than field limit" in text:
            raise self._error(
                f'a value longer than {MAX_LINE >> 20} MB from line {start}: a quote (") '
                "opened and never closed?",
                start,
                "quote",
            )
        if "new-line" in text:
            alone = "an LF" if self.mark == "\r" else "a CR"
            raise self._error(
                f"{alone} alone inside the line, outside quotes: a line break that would "
                "split this record in two (or join two records); remove it, or quote the value",
                end,
                "newline",
            )
        if "expected after" in text:
            if end > start:
                raise self._error(
                    f"a quoted value opens on line {start} and runs on to line {end}, where the "
                    "quote that ends it is followed by more text: a quote is missing (or not "
                    f"doubled) and lines {start + 1}-{end} are swallowed",
                    start,
                    "quote",
                )
            return RowProblem(
                'a quote ends a value and more text follows it (like "a"b): a quote inside '
                'a quoted value must be doubled ("")',
                self._lines.text(start, end),
            )
        raise self._error(text, end, "")

    def _check_span(self, line: int, values: list[str]) -> None:
        """A record whose quoted values cross line ends: refused when one of them looks like an
        unterminated quote (see the module's docstring)."""
        mark = self.mark
        width = len(self.headers)
        need = 1 if width >= 4 else 2
        opened = line
        for value in values:
            if mark not in value:
                continue
            pieces = value.split(mark)
            spans = len(pieces) - 1
            shaped = 0
            if width >= 2:
                full = width - 1
                delimiter = self.delimiter
                shaped = sum(1 for piece in pieces[1:] if piece.count(delimiter) == full)
            if spans > MAX_FIELD_LINES or shaped >= need:
                why = (
                    f"it spans {spans + 1} lines"
                    if spans > MAX_FIELD_LINES
                    else f"lines inside it have the {width} fields of a record of their own"
                )
                raise self._error(
                    f"a quoted value opens on line {opened} and closes on line {opened + spans}, "
                    f'and {why}: an unterminated quote (") swallows the lines after it',
                    opened,
                    "quote",
                )
            opened += spans

    # -- reading ---------------------------------------------------------------------------
    def _read_header(self) -> None:
        reader = self._reader
        if self._source.sep_line:
            with contextlib.suppress(csv.Error, StopIteration):
                next(reader)  # Excel's "sep=;": a directive, not the header
        header: list[str] | None = None
        prev = reader.line_num
        try:
            for values in reader:
                if any(v.strip() for v in values):
                    header = values
                    break
                self.blank_lines += 1
                prev = reader.line_num
        except csv.Error as exc:
            problem = self._csv_fault(exc, prev + 1)
            raise self._error(
                f"the header row cannot be read: {problem.reason}", prev + 1, "quote"
            ) from None
        if header is None:
            raise InputError("no header row: the file holds only blank lines", path=self.path)
        self.header_line = prev + 1
        self.headers, self.warnings = clean_headers(
            header, path=self.path, line=self.header_line, strict=True
        )
        _check_header(self.headers, self.path, self.header_line)

    def _odd(self, line: int, end: int, values: list[str]) -> list[str] | None:
        """A row off the fast path: None for a blank one, trailing empties dropped, or the
        :class:`RowProblem` of a row wider than the header."""
        if not any(v and not v.isspace() for v in values):
            self.blank_lines += 1
            return None
        width = len(self.headers)
        if len(values) > width:
            extra = [v for v in values[width:] if v and not v.isspace()]
            if extra:
                raw = self._lines.text(line, end) or self.delimiter.join(values)
                return RowProblem(
                    f"row has {len(values)} fields, the header has {width}: extra "
                    f"value{'s' if len(extra) > 1 else ''} {_shown(extra)} (a delimiter or a "
                    "quote inside a value?)",
                    raw,
                )
            return values[:width]
        if len(values) < width:
            # Never padded: a field left out shifts the values after it into the wrong columns.
            raw = self._lines.text(line, end) or self.delimiter.join(values)
            missing = self.headers[len(values)]
            return RowProblem(
                f"row has {len(values)} field{'s' if len(values) > 1 else ''}, the header has "
                f"{width}: a value or a delimiter is missing, so the values could be under the "
                f"wrong columns (nothing for {missing!r} onwards); write every field, even an "
                "empty one",
                raw,
            )
        return values

    def _lone_lf(self, end: int, values: list[str]) -> None:
        lone = self._lone
        assert lone is not None
        while lone and lone[0] <= end:
            if lone.popleft() == end and any(v and not v.isspace() for v in values):
                raise self._error(
                    "the line ends with an LF alone, but this file's lines end with CR LF: a "
                    "line break inside a value that is not quoted splits its record in two",
                    end,
                    "newline",
                )

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        if self._source.escapes == "backslash":
            return self._unescaped(self._rows())
        return self._rows()

    def _unescaped(self, rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
        """A database's text values: \\N an empty value, backslash escapes decoded."""
        for line, values in rows:
            if isinstance(values, RowProblem):
                yield line, values
                continue
            try:
                yield line, [_unescape(v) for v in values]
            except ValueError as exc:
                yield line, RowProblem(str(exc), self._lines.text(line, line))

    def _rows(self) -> Iterator[tuple[int, list[Any]]]:
        reader = self._reader
        width = len(self.headers)
        lone = self._lone if self._lone is not None else ()
        odd = self._odd
        prev = reader.line_num
        while True:
            try:
                for values in reader:
                    line = prev + 1
                    prev = end = reader.line_num
                    if end != line:
                        self._check_span(line, values)
                    if lone:
                        self._lone_lf(end, values)
                    if len(values) == width:
                        first = values[0]
                        if first and not first.isspace():
                            yield line, values
                            continue
                    row = odd(line, end, values)
                    if row is not None:
                        yield line, row
                return
            except csv.Error as exc:
                start = prev + 1
                problem = self._csv_fault(exc, start)
                prev = reader.line_num
                yield start, problem

    def bytes_read(self) -> int:
        return self._raw.count

    def digest(self) -> str:
        return self._raw.sha.hexdigest()

    def close(self) -> None:
        self._raw.close()


def _unescape(value: str) -> str:
    if value == "\\N":
        return ""
    if "\\" not in value:
        return value

    def char(match: re.Match[str]) -> str:
        found = match.group(1)
        if found == "0":
            raise ValueError("a NUL character (written \\0) in a value")
        if not found:
            raise ValueError(
                "a value ends with a backslash: an escaped line break, which splits the "
                "record in two here (export with the line breaks written as \\n)"
            )
        return _MYSQL_CHARS.get(found, found)

    return _MYSQL_ESCAPE.sub(char, value)


def _text(value: Any) -> Any:
    """A JSON value as the pipeline wants it: text, except nested lists and objects."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = getattr(value, "text", None)  # a number, as written in the file (1.10, 1e2)
    if isinstance(text, str):
        return text
    if isinstance(value, (int, float)):
        return str(value)
    return value  # lists and objects: QuestionPro's nested products, or an error later


class _RecordRows(RowStream):
    """Shared by JSON and JSON Lines: headers are the keys of the first records."""

    path: Path
    _raw: HashingReader

    def _learn_headers(
        self, records: Iterator[tuple[int, Any]], known: list[str] | None = None
    ) -> None:
        self._records = records
        self._ahead: list[tuple[int, Any]] = []
        keys: dict[str, None] = {}
        for item in records:
            self._ahead.append(item)
            if isinstance(item[1], dict):
                keys.update(dict.fromkeys(str(k) for k in item[1]))
            if len(self._ahead) >= HEADER_SCAN:
                break
        if not self._ahead:
            raise InputError("no records in the file", path=self.path)
        keys.update(dict.fromkeys(known or ()))  # the later records' keys (all_keys)
        if not keys:
            raise InputError("no record is a JSON object with keys", path=self.path)
        self.headers, self.warnings = clean_headers(list(keys))
        self._keys = list(keys)
        self._known = frozenset(keys)

    def _convert(self, key: int, record: Any) -> tuple[int, list[Any]]:
        if isinstance(record, _Broken):
            return key, RowProblem(record.reason, record.raw)
        if not isinstance(record, dict):
            kind = type(record).__name__
            return key, RowProblem(f"a JSON {kind}, not an object", dumps(record))
        if len(record) > len(self._keys) or not self._known.issuperset(record):
            # Only when the file changed after its keys were read: its value would be lost.
            unseen = [str(k) for k in record if k not in self._known]
            return key, RowProblem(
                f"the record gives {_shown(unseen)}, not among the file's keys when it was "
                "opened (was the file changed since?): open the file again",
                dumps(record),
            )
        return key, [_text(record.get(k)) for k in self._keys]

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        ahead, self._ahead = self._ahead, []
        for key, record in ahead:
            yield self._convert(key, record)
        for key, record in self._records:
            yield self._convert(key, record)

    def bytes_read(self) -> int:
        return self._raw.count

    def digest(self) -> str:
        return self._raw.sha.hexdigest()

    def close(self) -> None:
        self._raw.close()


class JsonRows(_RecordRows):
    """A JSON array (or the array in an envelope): keyed by record ordinal, 1-based."""

    key_unit = "record"

    def __init__(self, source: Source) -> None:
        self.path = source.path
        self.size = source.size
        self.blank_lines = 0
        self._text, self._raw = open_text(source)
        self._twice = _KeysTwice()
        self._stream = JsonArrayStream(self._text, source.path, source.json_key, self._twice)
        records = self._twice.marked(
            (n, record) for n, (_line, record) in enumerate(self._stream, 1)
        )
        try:
            self._learn_headers(records, source.keys)
        except BaseException:
            self.close()
            raise
        self.json_key = self._stream.key


class JsonlRows(_RecordRows):
    def __init__(self, source: Source) -> None:
        self.path = source.path
        self.size = source.size
        self.blank_lines = 0
        self._text, self._raw = open_text(source)
        self._lines = Lines(self._text, source.path, "\n")
        self._twice = _KeysTwice()
        self._numbers = NumberHooks()
        self._decoder = self._numbers.decoder(self._twice)
        try:
            self._learn_headers(self._twice.marked(self._parsed()), source.keys)
        except BaseException:
            self.close()
            raise

    def _parsed(self) -> Iterator[tuple[int, Any]]:
        for line, text in enumerate(self._lines, 1):
            text = text.strip()
            if not text:
                self.blank_lines += 1
                continue
            try:
                record = self._decoder.decode(text)
            except ValueError as exc:
                self._twice.found.clear()
                yield line, _Broken(f"not valid JSON ({exc})", text)
                continue
            except RecursionError:
                self._twice.found.clear()
                yield line, _Broken("not valid JSON (nested too deeply to read)", text[:200])
                continue
            reason = self._numbers.check(record)
            yield line, _Broken(reason, text) if reason else record

    def _convert(self, key: int, record: Any) -> tuple[int, list[Any]]:
        if isinstance(record, _Broken):
            return key, RowProblem(record.reason, record.raw)
        return super()._convert(key, record)


@dataclass(slots=True)
class _Broken:
    reason: str
    raw: str


class _KeysTwice:
    """The ``object_pairs_hook`` of a record's JSON: a dict, as json makes, noting each key an
    object gives twice (json would keep the last value silently); :meth:`marked` turns a
    record that gave one into a :class:`_Broken` naming the key and its values."""

    __slots__ = ("found", "pairs")

    def __init__(self) -> None:
        self.found: list[tuple[str, list[Any]]] = []
        self.pairs: list[tuple[Any, Any]] = []  # the last object's, once a key came twice

    def __call__(self, pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
        record = dict(pairs)
        if len(record) != len(pairs):
            seen: dict[str, list[Any]] = {}
            for key, value in pairs:
                seen.setdefault(key, []).append(value)
            self.found += [(k, v) for k, v in seen.items() if len(v) > 1]
        if self.found:  # the record's own object is the last one parsed: kept whole for raw
            self.pairs = pairs
        return record

    def marked(self, records: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        """The records as parsed (each parsed as it is pulled), a record with a key given
        twice (at any depth) as a :class:`_Broken`."""
        found = self.found
        for key, record in records:
            if found:
                name, values = found[0]
                shown = ", then ".join(
                    _shown([v if isinstance(v, str) else dumps(v)], 1) for v in values
                )
                more = {k for k, _v in found} - {name}
                also = f" (and {_shown(sorted(more))})" if more else ""
                times = "twice" if len(values) == 2 else f"{len(values)} times"
                reason = (
                    f"the key {name!r} is given {times} in the record{also} ({shown}): only "
                    "one value can be sent; keep the one meant"
                )
                found.clear()
                raw = ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in self.pairs)
                record = _Broken(reason, "{" + raw + "}")
            yield key, record


def _cell(value: Any) -> Any:
    """An XLSX cell value as text; dates and times stay objects for the date parser."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Text that reads like a number stays marked as text: never an Excel serial number.
        return TextCell(value) if _NUMBER_LIKE.fullmatch(value) else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (int, datetime, date, time)):
        return str(value) if isinstance(value, int) else value
    return str(value)


class XlsxRows(RowStream):
    def __init__(self, source: Source) -> None:
        import zipfile

        from openpyxl import load_workbook

        self.path = source.path
        self.size = source.size
        self.blank_lines = 0
        from openpyxl.utils.exceptions import InvalidFileException

        # Opened as a stream, so the content decides, not the name (openpyxl refuses a
        # workbook named .csv even when --format xlsx says what it is).
        self._fh = open(source.path, "rb")  # noqa: SIM115 (closed by close())
        try:
            self._book = load_workbook(self._fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException) as exc:
            self._fh.close()
            raise InputError(f"not a readable XLSX workbook ({exc})", path=self.path) from None
        try:
            self._open(source)
        except BaseException:
            self.close()
            raise
        self._digest: str | None = None

    def _open(self, source: Source) -> None:
        self.sheets = list(self._book.sheetnames)
        name = source.sheet or self.sheets[0]
        if name not in self.sheets:
            raise InputError(
                f"no sheet named {name!r}; sheets: {', '.join(self.sheets)}", path=self.path
            )
        self.sheet = name
        self._sheet = self._book[name]
        self._max_row = self._sheet.max_row or 0
        self._row = 0
        self._rows = self._sheet.iter_rows(min_row=1, values_only=True)
        header = None
        for number, values in enumerate(self._rows, 1):
            self._row = number
            if any(v is not None and str(v).strip() for v in values):
                header = values
                break
            self.blank_lines += 1
        if header is None:
            raise InputError(f"sheet {name!r} is empty", path=self.path)
        self.headers, self.warnings = clean_headers(
            list(header), path=f"{self.path} (sheet {name!r})", line=self._row, strict=True
        )
        _check_header(self.headers, self.path, self._row)

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        row = self._row
        width = len(self.headers)
        # Read when the rows are (not when only the headers are): one scan of the sheet's XML.
        unsaved = _unsaved_formulas(self.path, getattr(self._sheet, "_worksheet_path", ""))
        for values in self._rows:
            row += 1
            self._row = row
            cells = [_cell(v) for v in values]
            if unsaved and row in unsaved:
                problem = self._unsaved_in(unsaved[row], cells)
                if problem is not None:
                    yield row, problem
                    continue
            if not any(c != "" and not (type(c) is str and c.isspace()) for c in cells):
                self.blank_lines += 1
                continue
            if len(cells) > width:
                extra = [c for c in cells[width:] if c != "" and not str(c).isspace()]
                if extra:
                    shown = _shown([str(c) for c in extra])
                    yield (
                        row,
                        RowProblem(
                            f"row has {len(cells)} cells, the header has {width}: extra "
                            f"value{'s' if len(extra) > 1 else ''} {shown}",
                            "\t".join(str(c) for c in cells),
                            cells,
                        ),
                    )
                    continue
                cells = cells[:width]
            yield row, cells

    def _unsaved_in(
        self, cells: dict[int, tuple[str, str]], values: list[Any]
    ) -> RowProblem | None:
        """The problem of a row holding formulas whose value the file does not hold (in the
        header's columns; an empty cell there would otherwise be sent as an empty value). Its
        cells are kept, each formula as written in the cell's place."""
        width = len(self.headers)
        named = [
            f"{coordinate} ({self.headers[col - 1]!r})"
            for col, (coordinate, _formula) in cells.items()
            if col <= width
        ]
        if not named:
            return None
        values = list(values)
        for col, (_coordinate, formula) in cells.items():
            values.extend([""] * (col - len(values)))
            values[col - 1] = formula
        while len(values) > width and values[-1] == "":
            values.pop()  # the sheet's width, past the header: nothing to show
        return RowProblem(
            f"a formula with no saved value in cell{'s' if len(named) > 1 else ''} "
            f"{', '.join(named)}: the file holds the formula but not its result; open and "
            "save the file in Excel (or recalculate it) so the values are stored",
            "\t".join(str(c) for c in values),
            values,
        )

    def bytes_read(self) -> int:
        return 0

    def fraction(self) -> float | None:
        return min(1.0, self._row / self._max_row) if self._max_row else None

    def digest(self) -> str:
        # The zip is read at random; hash the file itself once.
        if self._digest is None:
            self._digest = file_sha256(self.path)
        return self._digest

    def close(self) -> None:
        self._book.close()
        self._fh.close()


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _unsaved_formulas(path: Path, member: str) -> dict[int, dict[int, tuple[str, str]]]:
    """Cells of a sheet holding a formula and no saved result, with the formula as written:
    ``{row: {column: ("B3", "=A3*2")}}`` (a shared formula's other cells name the cell that
    writes it).

    Read with ``data_only`` (the saved results), such a cell is None, as an empty cell is;
    only the sheet's XML tells them apart. Files written by programs (openpyxl, many
    exporters) hold formulas without results until Excel saves them. A sheet with no formula
    at all costs one scan of its bytes; only one with formulas is parsed.
    """
    import zipfile
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

    member = member.lstrip("/")
    if not member:
        return {}
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as fh:
            tail = b""
            while chunk := fh.read(CHUNK):
                if _FORMULA_TAG.search(tail + chunk):
                    break
                tail = chunk[-64:]
            else:
                return {}
        found: dict[int, dict[int, tuple[str, str]]] = {}
        shared: dict[str, str] = {}  # a shared formula's index -> the cell that writes it
        with zipfile.ZipFile(path) as archive, archive.open(member) as fh:
            row = column = 0  # counted as openpyxl counts them where "r" is left out
            for event, element in iterparse(fh, events=("start", "end")):
                local = element.tag.rpartition("}")[2]
                if event == "start":
                    if local == "row":
                        row = int(element.get("r") or row + 1)
                        column = 0
                    continue
                if local != "c":
                    if local == "row":
                        element.clear()
                    continue
                coordinate = element.get("r")
                if coordinate:
                    row, column = coordinate_to_tuple(coordinate)
                else:
                    column += 1
                    coordinate = f"{get_column_letter(column)}{row}"
                formula = value = None
                for child in element:
                    name = child.tag.rpartition("}")[2]
                    if name == "f":
                        formula = child
                    elif name == "v":
                        value = child
                if formula is None:
                    continue
                written = _formula(formula, shared, coordinate)
                # A cached result is a <v>; an empty one holds a text result only (t="str").
                if value is None or (not value.text and element.get("t") != "str"):
                    found.setdefault(row, {})[column] = (coordinate, written)
        return found
    except (KeyError, OSError, zipfile.BadZipFile, SyntaxError, ValueError):
        return {}  # openpyxl read it; what it reads is checked as it always was


def _formula(element: Any, shared: dict[str, str], coordinate: str) -> str:
    """A formula as the cell shows it; a shared formula's other cells name where it is."""
    index = element.get("si")
    text: str | None = element.text
    if text:
        if index is not None:
            shared.setdefault(index, coordinate)
        return "=" + text
    where = shared.get(index or "")
    return f"=(the formula of {where}, shared)" if where else "=(a shared formula)"


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


_STREAMS: dict[str, Callable[[Source], RowStream]] = {
    "csv": CsvRows,
    "json": JsonRows,
    "jsonl": JsonlRows,
    "xlsx": XlsxRows,
}


def open_rows(source: Source) -> RowStream:
    """Open the file as described; the stream has read the headers already."""
    try:
        return _STREAMS[source.format](source)
    except FileNotFoundError:
        raise InputError("no such file", path=source.path) from None
