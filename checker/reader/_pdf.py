"""Blocks of a PDF: page text, with wrapped lines joined back into paragraphs."""
from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader

from checker.reader._blocks import Found

_BULLET = re.compile(r"^(?:[•●▪■◦○◆►▸‣∙·\uf0b7\uf0a7\uf0d8\x7f\x95–*-]|\d{1,3}[.)])\s+")
_PAGE_FURNITURE = re.compile(r"^(?:page\s+)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.I)
_SPACES = re.compile(r"\s+")
_TERMINAL = tuple(".!?:;")
_HEADING_MAX = 70
_FULL_LINE_SHARE = 0.7


class BadPdf(ValueError):
    """The bytes are not a readable, text-bearing PDF."""


def pdf_blocks(data: bytes) -> list[Found]:
    """Paragraphs, list items and likely headings of every page, in order."""
    reader = _open(data)
    found: list[Found] = []
    any_text = False
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # pypdf raises many kinds on damaged content streams
            raise BadPdf(f"could not be read (page {number}: {type(exc).__name__}: {exc})") from exc
        any_text = any_text or any(ch.isalnum() for ch in text)
        found.extend(_page_blocks(text))
    if not any_text:
        raise BadPdf("has no extractable text (it looks like a scanned image); "
                     "upload a text-based PDF, a .docx or a .txt copy")
    return found


def _open(data: bytes) -> PdfReader:
    if not data.lstrip()[:1024].count(b"%PDF"):
        raise BadPdf("is not a PDF file (the %PDF header is missing)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:
        raise BadPdf(f"could not be read as a PDF ({type(exc).__name__}: {exc})") from exc
    if encrypted and not _opens_without_password(reader):
        raise BadPdf("is encrypted (password-protected); upload an unprotected copy")
    try:
        if len(reader.pages) == 0:
            raise BadPdf("has no pages")
    except BadPdf:
        raise
    except Exception as exc:
        raise BadPdf(f"could not be read as a PDF ({type(exc).__name__}: {exc})") from exc
    return reader


def _opens_without_password(reader: PdfReader) -> bool:
    # Files locked only against editing open with an empty password; those we can read.
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def _page_blocks(text: str) -> list[Found]:
    lines = [_SPACES.sub(" ", raw).strip() for raw in text.splitlines()]
    lines = [line if not _PAGE_FURNITURE.match(line) else "" for line in lines]
    # A line much shorter than the page's longest ends its paragraph: it was not wrapped.
    full = _FULL_LINE_SHARE * max((len(line) for line in lines), default=0)
    found: list[Found] = []
    current: Found | None = None
    previous = ""
    for line in lines:
        if not line:
            current, previous = None, ""
            continue
        bullet = _BULLET.match(line)
        if bullet:
            current = Found("list_item", line[bullet.end():])
            found.append(current)
        elif current is not None and _continues(previous, line, full):
            current.text = _join(current.text, line)
        elif _looks_like_heading(line, full):
            found.append(Found("heading", line, level=1))
            current = None
        else:
            current = Found("paragraph", line)
            found.append(current)
        previous = line
    return found


def _continues(previous: str, line: str, full: float) -> bool:
    if line[:1].islower():
        return True
    return len(previous) >= full and not previous.endswith(_TERMINAL)


def _looks_like_heading(line: str, full: float) -> bool:
    return len(line) < min(full, _HEADING_MAX) and not line.endswith(_TERMINAL) and line[:1].isupper()


def _join(text: str, line: str) -> str:
    # A word broken across lines ("medi-" / "cine") is put back together.
    if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].islower():
        return text[:-1] + line
    return f"{text} {line}"
