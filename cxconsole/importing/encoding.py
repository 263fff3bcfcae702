"""Which text encoding a file is in: a BOM, then strict UTF-8, then charset-normalizer's guess."""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

from cxconsole.importing.errors import InputError

SAMPLE_BYTES = 64 * 1024

# UTF-32 LE starts with the UTF-16 LE BOM, so it is tested first.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset-normalizer reads Western European text (cp1252, what Excel on Windows writes) as
# cp1250 or one of these relatives (DESIGN §7): among them, cp1252 is by far the likeliest.
_WESTERN_GUESSES = frozenset(
    {
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "latin_1",
        "iso8859_2",
        "iso8859_9",
        "iso8859_15",
        "iso8859_16",
        "mac_roman",
        "mac_latin2",
    }
)


@dataclass(frozen=True, slots=True)
class EncodingGuess:
    """The encoding to read with, and how it was found (shown in the preview)."""

    encoding: str
    how: str  # "BOM", "valid UTF-8", "chosen", "guessed (...)"


def check_encoding(name: str) -> str:
    """The codec's canonical name; raise InputError for one Python does not know."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(
            f"unknown encoding {name!r} (try utf-8, cp1252, latin-1, utf-16)"
        ) from None


def samples(path: Path, size: int) -> tuple[bytes, bytes]:
    """The head of the file, and a few blocks from its middle and end (encodings lie late)."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        rest = b""
        if size > 3 * SAMPLE_BYTES:
            for where in (size // 2, size - SAMPLE_BYTES):
                fh.seek(where)
                rest += fh.read(SAMPLE_BYTES) + b"\n"
        elif size > SAMPLE_BYTES:
            rest = fh.read()
    return head, rest


def _utf8(data: bytes, *, partial_start: bool) -> bool:
    if partial_start:
        # A block cut from the middle may start inside a multi-byte character.
        data = data.lstrip(bytes(range(0x80, 0xC0)))
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text with no BOM: every other byte is NUL in mostly-ASCII text."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def detect_encoding(path: Path, chosen: str | None = None) -> EncodingGuess:
    """The encoding of a text file; ``chosen`` (``--encoding``) wins over any detection."""
    if chosen:
        return EncodingGuess(check_encoding(chosen), "chosen")
    size = os.path.getsize(path)
    head, rest = samples(path, size)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return EncodingGuess(name, "BOM")
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            return EncodingGuess(utf16, "guessed (NUL bytes between ASCII letters)")
        offset = head.index(b"\x00")
        raise InputError(
            f"this is a binary file, not text (a NUL byte at offset {offset})", path=path
        )
    if _utf8(head, partial_start=False) and (not rest or _utf8(rest, partial_start=True)):
        return EncodingGuess("utf-8", "valid UTF-8")
    from charset_normalizer import from_bytes

    best = from_bytes(head + rest).best()
    if best is None:
        raise InputError("this does not look like text in any known encoding", path=path)
    guess = best.encoding
    if guess in _WESTERN_GUESSES:
        try:
            (head + rest).decode("cp1252")
        except UnicodeDecodeError:
            return EncodingGuess("latin-1", f"guessed (charset-normalizer said {guess})")
        return EncodingGuess("cp1252", f"guessed (charset-normalizer said {guess})")
    return EncodingGuess(check_encoding(guess), "guessed")
