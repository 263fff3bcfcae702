"""A file's preview for the import screen: what it is, how it is read, and its first rows."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from cxconsole.importing.readers import RowProblem, Source, inspect, open_rows


@dataclass
class Sniff:
    """``source`` says format, encoding, delimiter, sheet, headers and warnings; ``rows`` are
    the first rows as ``(line, values)`` with values as text."""

    source: Source
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def format(self) -> str:
        return self.source.format

    @property
    def encoding(self) -> str | None:
        return self.source.encoding

    @property
    def delimiter(self) -> str | None:
        return self.source.delimiter

    @property
    def headers(self) -> list[str]:
        return self.source.headers

    @property
    def warnings(self) -> list[str]:
        return self.source.warnings


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def sniff(
    path: str | os.PathLike[str],
    *,
    rows: int = 20,
    encoding: str | None = None,
    sheet: str | None = None,
    json_key: str | None = None,
    format: str | None = None,
    delimiter: str | None = None,
) -> Sniff:
    """Detect how to read ``path`` and read its first ``rows`` rows (blocking: use a thread).

    Raises :class:`~cxconsole.importing.errors.InputError` for a file that cannot be read.
    """
    source = inspect(
        path,
        encoding=encoding,
        sheet=sheet,
        json_key=json_key,
        format=format,
        delimiter=delimiter,
    )
    preview: list[tuple[int, list[str]]] = []
    with open_rows(source) as stream:
        for line, values in islice(stream, rows):
            if isinstance(values, RowProblem):
                preview.append((line, [f"<{values.reason}>"]))
                continue
            preview.append((line, [_show(v) for v in values]))
    return Sniff(source, preview)
