"""Which text encoding a file is in (a BOM, then strict UTF-8, then charset-normalizer's guess),
and the file's text decoded strictly, a byte that does not decode named at its physical line."""

from __future__ import annotations

import codecs
import os
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cxconsole.importing.errors import InputError

if TYPE_CHECKING:
    from _typeshed import StrPath, SupportsRead

SAMPLE_BYTES = 64 * 1024
UTF8_BUT = "UTF-8 in its samples but for"

# UTF-32 LE starts with the UTF-16 LE BOM, so it is tested first.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset-normalizer reads Western European text (cp1252, what Excel on Windows writes) as
# cp1250 or one of these relatives: among them, cp1252 is by far the likeliest.
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
        # Guessed for small Western files too (a few accented letters look Baltic or DOS to
        # the guesser): cp1252, said to be a guess, is right far more often.
        "cp775",
        "cp437",
        "cp850",
        "cp852",
        "cp858",
        "cp1258",
        "iso8859_3",
        "iso8859_4",
        "iso8859_10",
        "iso8859_13",
        "iso8859_14",
        "mac_iceland",
        "mac_turkish",
    }
)


@dataclass(frozen=True, slots=True)
class EncodingGuess:
    """The encoding to read with, and how it was found (shown in the preview)."""

    encoding: str
    how: str  # "BOM", "valid UTF-8", "chosen", "guessed (...)"


# Codecs Python files under text encodings that read no file: domain-name labels, and one
# that refuses everything.
_NOT_FOR_FILES = frozenset({"idna", "punycode", "undefined"})


def check_encoding(name: str) -> str:
    """The codec's canonical name; raise InputError for one that is not a text encoding."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise InputError(
            f"unknown encoding {name!r} (try utf-8, cp1252, latin-1, utf-16)"
        ) from None
    # rot13, base64, zlib, hex ... are bytes-to-bytes or str-to-str transforms.
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FOR_FILES:
        raise InputError(
            f"--encoding {name!r} is not a text encoding (try utf-8, cp1252, latin-1, utf-16)"
        )
    return info.name


def samples(path: Path, size: int) -> list[tuple[bytes, bool, bool]]:
    """The head of the file, and a few blocks from its middle and end (encodings lie late):
    ``(data, cut_at_start, cut_at_end)``, a cut block possibly starting or ending inside a
    multi-byte character."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        blocks = [(head, False, size > SAMPLE_BYTES)]
        if size > 3 * SAMPLE_BYTES:
            for where in (size // 2, size - SAMPLE_BYTES):
                fh.seek(where)
                blocks.append((fh.read(SAMPLE_BYTES), True, where + SAMPLE_BYTES < size))
        elif size > SAMPLE_BYTES:
            blocks.append((fh.read(), False, False))
    return blocks


_CONTINUATION = bytes(range(0x80, 0xC0))
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # the bytes surrogateescape could not decode
_NON_ASCII = re.compile("[^\x00-\x7f]")


def utf8_counts(blocks: list[tuple[bytes, bool, bool]]) -> tuple[int, int]:
    """How many multi-byte UTF-8 characters the blocks hold, and how many bytes in them are
    not UTF-8 (a character cut at a block's edge counts as neither)."""
    good = bad = 0
    for data, cut_start, cut_end in blocks:
        if cut_start:
            data = data[:4].lstrip(_CONTINUATION) + data[4:]
        # final=False leaves a character cut at the end undecoded, not counted as a fault
        text, _used = codecs.utf_8_decode(data, "surrogateescape", not cut_end)
        not_utf8 = len(_NOT_UTF8.findall(text))
        bad += not_utf8
        good += len(_NON_ASCII.findall(text)) - not_utf8
    return good, bad


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
    blocks = samples(path, size)
    head = blocks[0][0]
    for bom, name in _BOMS:
        if head.startswith(bom):
            return EncodingGuess(name, "BOM")
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            return EncodingGuess(utf16, "guessed (NUL bytes between ASCII letters)")
        offset = head.index(b"\x00")
        controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
        if controls * 100 > len(head):
            raise InputError(
                f"this is a binary file, not text (a NUL byte at offset {offset})", path=path
            )
        # Text with a stray NUL: named at its line, like one found further in.
        line = head.count(b"\n", 0, offset) + 1
        raise InputError(
            "a NUL character (byte 0) in the text: a binary file, or text damaged in "
            "transfer; remove it",
            path=path,
            line=line,
            kind="nul",
            context=context_at(path, "latin-1", "\n", line),
        )
    good, bad = utf8_counts(blocks)
    if not bad:
        return EncodingGuess("utf-8", "valid UTF-8")
    if good:
        # Characters written in UTF-8 and bytes that are not: no encoding reads every
        # character as written (cp1252 would garble the UTF-8 ones), so the file is read as
        # UTF-8 and stops at its first bad byte, naming the line.
        return EncodingGuess("utf-8", f"{UTF8_BUT} {bad} byte{'s' if bad > 1 else ''}")
    from charset_normalizer import from_bytes

    sample = b"\n".join(data for data, _start, _end in blocks)
    best = from_bytes(sample).best()
    if best is None:
        raise InputError("this does not look like text in any known encoding", path=path)
    guess = best.encoding
    if guess in _WESTERN_GUESSES:
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:
            return EncodingGuess("latin-1", f"guessed (charset-normalizer said {guess})")
        return EncodingGuess("cp1252", f"guessed (charset-normalizer said {guess})")
    return EncodingGuess(check_encoding(guess), "guessed")


CHUNK = 1 << 20
CONTEXT_WIDTH = 160  # characters of a line shown around a fault
_VISIBLE = {i: f"\\x{i:02x}" for i in range(32)} | {0: "\\0", 9: "\\t", 13: "\\r", 10: "\\n"}


def line_mark(newline: str) -> str:
    """The character that ends a physical line: LF, or CR in a file of old Mac line ends."""
    return "\r" if newline == "\r" else "\n"


class DecodedText:
    """The text of a binary stream, decoded strictly in chunks, with the line ends counted.

    A byte that does not decode (and, with ``nul=True``, a NUL character) raises
    :class:`InputError` at its physical line, saying which encoding and how it was chosen.
    """

    def __init__(
        self,
        raw: SupportsRead[bytes | None],
        encoding: str,
        *,
        how: str = "",
        path: StrPath | None = None,
        newline: str = "\n",
        nul: bool = False,
    ) -> None:
        self._raw = raw
        self.encoding = encoding
        self.how = how
        self.path = path
        self.mark = line_mark(newline)
        self.nul = nul
        self.lines = 0  # line ends in the text returned so far
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._done = False
        self._fault: InputError | None = None

    def read(self, size: int = CHUNK) -> str:
        """Up to about ``size`` characters; "" at the end of the file.

        At a fault, the text before it is returned first and the fault raised by the next
        call, so a reader yields every row before the faulty line.
        """
        if self._fault is not None:
            raise self._fault
        while not self._done:
            data = self._raw.read(size)
            assert data is not None, "a blocking stream"  # a raw stream's read() may say None
            state = self._decoder.getstate()
            try:
                text = self._decoder.decode(data, not data)
            except UnicodeDecodeError as exc:
                text, self._fault = self._undecodable(exc, state)
                self._done = True
            except UnicodeError as exc:  # utf-16 or utf-32 chosen for a file with no BOM
                text, self._done = "", True
                self._fault = InputError(
                    f"the file cannot be read as {self.encoding}"
                    + (", the encoding chosen for this file" if self.how == "chosen" else "")
                    + f": {exc}; choose another ({self.encoding}-le or "
                    f"{self.encoding}-be for {self.encoding.upper()} with no byte-order mark)",
                    path=self.path,
                    line=self.lines + 1,
                    kind="encoding",
                )
            else:
                if not data:
                    self._done = True
                if self.nul and "\x00" in text:
                    text = text[: text.index("\x00")]
                    line = self.lines + text.count(self.mark) + 1
                    self._done = True
                    self._fault = InputError(
                        "a NUL character (byte 0) in the text: a binary file, or text damaged "
                        "in transfer; remove it",
                        path=self.path,
                        line=line,
                        kind="nul",
                        context=context_at(self.path, self.encoding, self.mark, line),
                    )
            if not text:
                if self._fault is not None:
                    raise self._fault
                continue
            self.lines += text.count(self.mark)
            return text
        return ""

    def _undecodable(
        self, exc: UnicodeDecodeError, state: tuple[bytes, int]
    ) -> tuple[str, InputError]:
        """The text before the bad byte, and the error naming its line."""
        data = exc.object if isinstance(exc.object, bytes) else bytes(exc.object)
        try:
            decoder = codecs.getincrementaldecoder(self.encoding)("replace")
            decoder.setstate((b"", state[1]))
            before = decoder.decode(data[: exc.start])
        except Exception:  # only the line count is at stake
            before = data[: exc.start].decode("latin-1")
        line = self.lines + before.count(self.mark) + 1
        shown = " ".join(f"0x{b:02x}" for b in data[exc.start : exc.end][:4])
        if self.how == "chosen":
            why = f"{self.encoding}, the encoding chosen for this file; choose another"
        elif self.how == "BOM":
            why = (
                f"{self.encoding}, which the file's byte-order mark declares; the file mixes "
                "encodings or is damaged; choose another encoding to read it anyway"
            )
        elif self.how.startswith(UTF8_BUT):
            why = (
                "UTF-8, while the file's other accented letters are written in UTF-8: the file "
                "mixes encodings or is damaged; correct this byte, or choose an encoding to "
                "read the whole file in"
            )
        else:
            why = (
                f"{self.encoding}, the encoding guessed from samples of the file "
                f"({self.how or 'guessed'}); choose the file's encoding"
            )
        return before, InputError(
            f"byte {shown} cannot be read: it is not valid {why} "
            "(for example cp1252, latin-1 or utf-16)",
            path=self.path,
            line=line,
            kind="encoding",
            context=context_at(self.path, self.encoding, self.mark, line),
        )


def first_foreign_line(path: StrPath, encoding: str, mark: str = "\n") -> tuple[int, str]:
    """The first line whose bytes are not UTF-8, as ``encoding`` reads it: ``(line, text)``,
    control characters made visible and a long line cut; line 1 when every line's bytes are
    UTF-8 (a UTF-16 file without a BOM)."""
    sep = mark.encode("ascii")
    number, carry, found = 1, b"", None
    with open(path, "rb") as fh:
        while found is None:
            data = fh.read(CHUNK)
            parts = (carry + data).split(sep)
            carry = parts.pop() if data else b""
            for part in parts:
                try:
                    part.decode("utf-8")
                except UnicodeDecodeError:
                    found = part
                    break
                number += 1
            if not data:
                break
        if found is None:
            fh.seek(0)
            number, found = 1, fh.read(4 * CONTEXT_WIDTH)
            text = found.decode(encoding, "replace").split(mark)[0]
        else:
            text = found.decode(encoding, "replace")
    shown = text.rstrip("\r").translate(_VISIBLE)
    if len(shown) > CONTEXT_WIDTH:
        shown = shown[: CONTEXT_WIDTH - 1] + "…"
    return number, shown


def context_at(path: StrPath | None, encoding: str, mark: str, line: int, around: int = 2) -> str:
    """The lines around ``line`` of a text file, that line marked with ">", long lines cut and
    control characters made visible; read again from the start (only when reporting a fault)."""
    if path is None:
        return ""
    before: deque[str] = deque(maxlen=around + 1)
    after: list[str] = []
    number = 1
    carry = ""
    try:
        decoder = codecs.getincrementaldecoder(encoding)("backslashreplace")
        with open(path, "rb") as fh:
            while number <= line + around:
                data = fh.read(CHUNK)
                text = carry + decoder.decode(data, not data)
                parts = text.split(mark)
                carry = parts.pop() if data else ""
                if not data and parts[-1:] == [""]:
                    parts.pop()
                for part in parts:
                    if number <= line:
                        before.append(part)
                    elif number <= line + around:
                        after.append(part)
                    number += 1
                if not data:
                    break
    except (OSError, LookupError, UnicodeError):
        return ""
    first = line - len(before) + 1
    width = len(str(line + len(after)))
    out = []
    for offset, text in enumerate([*before, *after]):
        number = first + offset
        shown = text.rstrip("\r") if mark == "\n" else text
        shown = shown.translate(_VISIBLE)
        if len(shown) > CONTEXT_WIDTH:
            shown = shown[: CONTEXT_WIDTH - 1] + "…"
        out.append(f"{'>' if number == line else ' '} {number:>{width}} | {shown}")
    return "\n".join(out)
