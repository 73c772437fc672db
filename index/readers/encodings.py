"""Bytes to text: what a file really is (from its first bytes) and how it is encoded.

UTF-8 with or without a BOM, UTF-16 with or without one, UTF-8 with stray legacy bytes, and
legacy code pages (cp1252, EUC-KR, Shift-JIS...) detected by charset-normalizer; known binary
formats under a text extension are named so the user can give the file its real extension.
"""

from __future__ import annotations

import re
import unicodedata

from charset_normalizer import from_bytes


class ReadError(Exception):
    """A file or record that cannot be read; the message says why."""


# The first bytes of formats that turn up under a wrong extension, and what they are.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a DOCX, XLSX or .zip file)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc, .xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
)


_STRAY = re.compile("[\udc80-\udcff]+")  # bytes that are not UTF-8, as surrogateescape has them
_NON_ASCII = re.compile("[\x80-\ud7ff\ue000-\U0010ffff]")


def file_kind(data: bytes) -> str | None:
    """What ``data`` looks like from its first bytes ("a JPEG image"), or None if unknown."""
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def _utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 without a byte order mark (NUL in every other byte), else None."""
    sample = data[:8192]
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        encoding = "utf-16-le"
    elif even > 0.3 * half and odd < 0.05 * half:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data[: len(data) // 2 * 2].decode(encoding)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    return text if controls <= len(text) // 100 else None


def decode(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the detected encoding (cp1252, EUC-KR…).

    A ``charset`` the sender declared (an HTTP header) is tried first; if it is unknown or does
    not fit the bytes, the bytes speak for themselves.
    """
    if charset and data:
        try:
            return data.decode(charset).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            pass
    if not data.strip():
        raise ReadError("empty file")
    kind = file_kind(data)
    if kind:
        raise ReadError(f"binary file (not text): it looks like {kind}; give it its real extension")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise ReadError("binary file (not text)")
        return utf16
    try:
        return data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError:
        pass
    mixed = _utf8_with_strays(data)
    if mixed is not None:
        return mixed
    best = from_bytes(data).best()
    if best is None:
        raise ReadError("cannot detect the text encoding; save the file as UTF-8")
    text = str(best)
    # On short Latin-script texts the detector guesses among look-alike single-byte code pages
    # (cp775, cp1250…) and garbles "café – “quoted” €5"; cp1252, by far the most common legacy
    # one, wins whenever it reads the bytes at least as plausibly.
    if best.encoding != "cp1252" and len(text) == len(data) and _latin_script(text):
        try:
            latin = data.decode("cp1252")
        except UnicodeDecodeError:
            return text
        if _latin_script(latin) and _odd_in_words(latin) <= _odd_in_words(text):
            return latin
    return text


def _utf8_with_strays(data: bytes) -> str | None:
    """UTF-8 with lone legacy bytes (cp1252 text pasted into a UTF-8 file), each decoded alone.

    Only when the file has real UTF-8 characters and every invalid byte stands alone: in
    EUC-KR, Shift-JIS and the like, the non-ASCII bytes come in runs.
    """
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    strays = _STRAY.findall(text)
    if not strays or any(len(s) > 1 for s in strays) or not _NON_ASCII.search(text):
        return None
    return _STRAY.sub(lambda m: _cp1252_byte(ord(m[0]) - 0xDC00), text)


def _cp1252_byte(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return bytes([byte]).decode("latin-1")


def _latin_script(text: str) -> bool:
    """True if every letter of ``text`` is a Latin one (so no Cyrillic, Hangul, CJK…)."""
    return all(
        ch.isascii() or not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN")
        for ch in text
    )


def _odd_in_words(text: str) -> int:
    """Symbols wedged between letters ("Za¿ó³æ"): the mark of a wrongly chosen code page."""
    return sum(
        1
        for i in range(1, len(text) - 1)
        if not text[i].isascii()
        and not text[i].isalpha()
        and text[i - 1].isalpha()
        and text[i + 1].isalpha()
    )


def clean_text(text: str) -> str:
    """Normalise newlines and strip trailing spaces: this is the exact text quotes come from."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()
