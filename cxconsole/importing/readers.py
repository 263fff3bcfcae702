"""Readers of CSV, JSON, JSON Lines and XLSX files: rows streamed in constant memory.

:func:`inspect` works out what a file is (format, encoding, CSV dialect, sheet, JSON envelope,
headers); :func:`open_rows` then streams ``(line, values)`` pairs, where ``line`` is the source
line (CSV, JSON, JSON Lines) or sheet row (XLSX) where the row starts, and ``values`` is a list
aligned with the headers. Every byte read is hashed on the way, so the journal can tell later
whether the file changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from cxconsole.importing.encoding import SAMPLE_BYTES, detect_encoding
from cxconsole.importing.errors import InputError
from cxconsole.importing.jsonstream import JsonArrayStream

FORMATS = ("csv", "json", "jsonl", "xlsx")
MAX_LINE = 8 << 20  # a physical line (or one quoted field) longer than this is a broken file
CHUNK = 1 << 20
HEADER_SCAN = 1000  # JSON records read ahead to learn their keys
DELIMITERS = (",", ";", "\t", "|")

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
_DATA_LIKE = re.compile(r"^[\d\s+\-/.:,()]+$")


class RowProblem(list):
    """Stands in for a row that could not be read (a broken JSON line): an empty list with
    a reason, so the fast path's length check sends it to the slow path."""

    def __init__(self, reason: str, raw: str) -> None:
        super().__init__()
        self.reason = reason
        self.raw = raw


@dataclass
class Source:
    """What a file is and how to read it; the preview shows it, the journal keeps it."""

    path: Path
    format: str
    size: int
    encoding: str | None = None
    encoding_how: str = ""
    delimiter: str | None = None
    quotechar: str | None = None
    newline: str = "\n"
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    json_key: str | None = None
    headers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hashing: bool = True  # hash the bytes read (the journal's proof of the file); not in dry runs

    def summary(self) -> str:
        parts = [self.format.upper()]
        if self.encoding:
            parts.append(f"{self.encoding} ({self.encoding_how})")
        if self.delimiter is not None:
            parts.append(f"delimiter {self.delimiter!r}")
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
            "sheet": self.sheet,
            "json_key": self.json_key,
        }


# -- low-level I/O ---------------------------------------------------------------------------
class HashingReader(io.RawIOBase):
    """A raw file that hashes and counts every byte read through it (``hashing=False``: only
    counts, for a dry run, which is never resumed)."""

    def __init__(self, raw: IO[bytes], hashing: bool = True) -> None:
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


def open_text(path: Path, encoding: str, hashing: bool = True) -> tuple[IO[str], HashingReader]:
    raw = HashingReader(open(path, "rb", buffering=0), hashing)  # noqa: SIM115 - closed by the stream
    text = io.TextIOWrapper(io.BufferedReader(raw, CHUNK), encoding=encoding, newline="")
    return text, raw


def split_lines(fh: IO[str], path: Path, newline: str = "\n") -> Iterator[str]:
    """Physical lines, each with its end, never more than ``MAX_LINE`` characters held.

    Faster than iterating the file (one ``split`` per megabyte) and safe on a 200 MB line,
    which iterating a file would load whole.
    """
    carry = ""
    read = fh.read
    line = 1
    while True:
        try:
            chunk = read(CHUNK)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the text is not valid {exc.encoding} (byte 0x{exc.object[exc.start]:02x}); "
                "choose the file's encoding with --encoding (cp1252, latin-1, utf-16, ...)",
                path=path,
                line=line,
            ) from None
        if not chunk:
            if carry:
                yield carry
            return
        parts = (carry + chunk).split(newline)
        carry = parts.pop()
        if len(carry) > MAX_LINE:
            raise InputError(
                f"a line longer than {MAX_LINE >> 20} MB: this is not a CSV file of records "
                "(or its line ends are not \\n, \\r\\n or \\r)",
                path=path,
                line=line + len(parts),
            )
        line += len(parts)
        for part in parts:
            yield part + newline


# -- detection -------------------------------------------------------------------------------
def detect_format(path: Path, head: bytes, chosen: str | None = None) -> str:
    """csv, json, jsonl or xlsx: from the content first, the extension second."""
    if chosen:
        if chosen not in FORMATS:
            raise InputError(f"unknown format {chosen!r}; choose one of {', '.join(FORMATS)}")
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
                json.loads(first)
            except ValueError:
                return "json"
            return "jsonl"
        if by_name in (None, "json", "jsonl", "csv"):
            return by_name if by_name in ("json", "jsonl") else "json"
    return by_name or "csv"


def _sniff_dialect(sample: str) -> tuple[str, str, str]:
    """(delimiter, quotechar, newline) from a text sample, with clevercsv (DESIGN §7)."""
    newline = "\n" if "\n" in sample or "\r" not in sample else "\r"
    # clevercsv's time grows fast with the sample: 16 KB decide as well as 64 KB.
    cut = sample.rfind(newline, 0, 16 * 1024)
    sample = sample[: cut + 1] if cut > 0 else sample[: 16 * 1024]
    obvious = _obvious_delimiter(sample, newline)
    if obvious:
        return obvious, '"', newline
    # Imported only when needed: clevercsv spends ~0.6 s building a Unicode table at import.
    from clevercsv import Detector

    dialect = Detector().detect(sample, delimiters=list(DELIMITERS))
    delimiter = dialect.delimiter if dialect and dialect.delimiter else ""
    if not delimiter:
        # One column, or clevercsv could not tell: take the delimiter the first line has most of.
        first = sample.split(newline, 1)[0]
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.__getitem__)
        delimiter = best if counts[best] else ","
    quotechar = dialect.quotechar if dialect and dialect.quotechar else ""
    if not quotechar:
        # clevercsv may see too few quoted fields to call it; a field that opens with '"'
        # is quoting, a '"' only inside values (a 5" screen) is not.
        opens = re.search(rf'(?:^|{re.escape(delimiter)})"', sample, re.MULTILINE)
        quotechar = '"' if opens or '"' not in sample else ""
    return delimiter, quotechar, newline


def _obvious_delimiter(sample: str, newline: str) -> str | None:
    """The delimiter when no sniffing is needed: no quotes at all, and exactly one candidate
    that appears the same number of times on every line (ties, such as ';' with decimal
    commas, go to clevercsv)."""
    if '"' in sample or "'" in sample:
        return None
    lines = [line for line in sample.split(newline)[:-1] if line.strip()][:50]
    if len(lines) < 2:
        return None
    steady = [
        d for d in DELIMITERS if lines[0].count(d) and len({ln.count(d) for ln in lines}) == 1
    ]
    return steady[0] if len(steady) == 1 else None


def clean_headers(raw: list[Any]) -> tuple[list[str], list[str]]:
    """Headers made usable: trimmed, trailing empties dropped, empties named, duplicates
    numbered; the warnings say what was changed."""
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
        )


def inspect(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    json_key: str | None = None,
    format: str | None = None,
) -> Source:
    """Work out how to read ``path``; raise :class:`InputError` for what cannot be read."""
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
        if kind == "csv":
            text = head.decode(guess.encoding, errors="replace")
            source.delimiter, source.quotechar, source.newline = _sniff_dialect(text)
    with open_rows(source) as rows:
        source.headers = list(rows.headers)
        source.warnings = list(rows.warnings)
        source.sheet = getattr(rows, "sheet", source.sheet)
        source.sheets = list(getattr(rows, "sheets", []))
        source.json_key = getattr(rows, "json_key", source.json_key)
    return source


# -- row streams -----------------------------------------------------------------------------
class RowStream:
    """Rows of one file: ``headers``, then ``(line, values)`` pairs; a context manager."""

    headers: list[str]
    warnings: list[str]
    size: int

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


class CsvRows(RowStream):
    def __init__(self, source: Source) -> None:
        self.path = source.path
        self.size = source.size
        self._text, self._raw = open_text(source.path, source.encoding or "utf-8", source.hashing)
        quotechar = source.quotechar or None
        self._reader = csv.reader(
            split_lines(self._text, source.path, source.newline),
            delimiter=source.delimiter or ",",
            quotechar=quotechar or '"',
            quoting=csv.QUOTE_MINIMAL if quotechar else csv.QUOTE_NONE,
            doublequote=True,
            strict=False,
        )
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

    def _read_header(self) -> None:
        header: list[str] | None = None
        try:
            for values in self._reader:
                if any(v.strip() for v in values):
                    header = values
                    break
        except csv.Error as exc:
            raise self._csv_error(exc) from None
        if header is None:
            raise InputError("no header row: the file holds only blank lines", path=self.path)
        self.header_line = self._reader.line_num
        self.headers, self.warnings = clean_headers(header)
        _check_header(self.headers, self.path, self.header_line)

    def _csv_error(self, exc: csv.Error) -> InputError:
        text = str(exc)
        if "field larger than field limit" in text:
            text = (
                f'a field longer than {MAX_LINE >> 20} MB: probably a quote (") opened and '
                "never closed"
            )
        return InputError(text, path=self.path, line=self._reader.line_num)

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        reader = self._reader
        prev = reader.line_num
        try:
            for values in reader:
                line = prev + 1
                prev = reader.line_num
                if values and (values[0] or any(values)):
                    yield line, values
        except csv.Error as exc:
            raise self._csv_error(exc) from None

    def bytes_read(self) -> int:
        return self._raw.count

    def digest(self) -> str:
        return self._raw.sha.hexdigest()

    def close(self) -> None:
        self._text.close()


def _text(value: Any) -> Any:
    """A JSON value as the pipeline wants it: text, except nested lists and objects."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value  # lists and objects: QuestionPro's nested products, or an error later


class _RecordRows(RowStream):
    """Shared by JSON and JSON Lines: headers are the keys of the first records."""

    path: Path
    _raw: HashingReader
    _text: IO[str]

    def _learn_headers(self, records: Iterator[tuple[int, Any]]) -> None:
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
        if not keys:
            raise InputError("no record is a JSON object with keys", path=self.path)
        self.headers, self.warnings = clean_headers(list(keys))
        self._keys = list(keys)
        self._known = frozenset(keys)

    def _convert(self, line: int, record: Any) -> tuple[int, list[Any]]:
        if not isinstance(record, dict):
            kind = type(record).__name__
            return line, RowProblem(f"a JSON {kind}, not an object", json.dumps(record))
        values = [_text(record.get(k)) for k in self._keys]
        if len(record) > len(self._keys) or not self._known.issuperset(record):
            extra = {str(k): _text(v) for k, v in record.items() if k not in self._known}
            if extra:
                values.append(extra)
        return line, values

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        ahead, self._ahead = self._ahead, []
        for line, record in ahead:
            yield self._convert(line, record)
        for line, record in self._records:
            yield self._convert(line, record)

    def bytes_read(self) -> int:
        return self._raw.count

    def digest(self) -> str:
        return self._raw.sha.hexdigest()

    def close(self) -> None:
        self._text.close()


class JsonRows(_RecordRows):
    def __init__(self, source: Source) -> None:
        self.path = source.path
        self.size = source.size
        self._text, self._raw = open_text(source.path, source.encoding or "utf-8", source.hashing)
        self._stream = JsonArrayStream(self._text, source.path, source.json_key)
        try:
            self._learn_headers(iter(self._stream))
        except UnicodeDecodeError as exc:
            self.close()
            raise InputError(f"not valid {exc.encoding}; try --encoding", path=self.path) from None
        except InputError:
            self.close()
            raise
        self.json_key = self._stream.key


class JsonlRows(_RecordRows):
    def __init__(self, source: Source) -> None:
        self.path = source.path
        self.size = source.size
        self._text, self._raw = open_text(source.path, source.encoding or "utf-8", source.hashing)
        try:
            self._learn_headers(self._lines())
        except InputError:
            self.close()
            raise

    def _lines(self) -> Iterator[tuple[int, Any]]:
        for line, text in enumerate(split_lines(self._text, self.path), 1):
            text = text.strip()
            if not text:
                continue
            try:
                yield line, json.loads(text)
            except ValueError as exc:
                yield line, _Broken(f"not valid JSON ({exc})", text)

    def _convert(self, line: int, record: Any) -> tuple[int, list[Any]]:
        if isinstance(record, _Broken):
            return line, RowProblem(record.reason, record.raw)
        return super()._convert(line, record)


@dataclass(slots=True)
class _Broken:
    reason: str
    raw: str


def _cell(value: Any) -> Any:
    """An XLSX cell value as text; dates and times stay objects for the date parser."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
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
        try:
            self._book = load_workbook(source.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise InputError(f"not a readable XLSX workbook ({exc})", path=self.path) from None
        self.sheets = list(self._book.sheetnames)
        name = source.sheet or self.sheets[0]
        if name not in self.sheets:
            self._book.close()
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
            if any(v not in (None, "") for v in values):
                header = values
                break
        if header is None:
            self._book.close()
            raise InputError(f"sheet {name!r} is empty", path=self.path)
        self.headers, self.warnings = clean_headers(list(header))
        _check_header(self.headers, self.path, self._row)
        self._digest: str | None = None

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        row = self._row
        for values in self._rows:
            row += 1
            self._row = row
            cells = [_cell(v) for v in values]
            if any(c != "" for c in cells):
                yield row, cells

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


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


_STREAMS: dict[str, type[RowStream]] = {
    "csv": CsvRows,
    "json": JsonRows,
    "jsonl": JsonlRows,
    "xlsx": XlsxRows,
}


def open_rows(source: Source) -> RowStream:
    """Open the file as described; the stream has read the headers already."""
    try:
        return _STREAMS[source.format](source)  # type: ignore[call-arg]
    except FileNotFoundError:
        raise InputError("no such file", path=source.path) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the text is not valid {exc.encoding}; choose the encoding with --encoding",
            path=source.path,
        ) from None
