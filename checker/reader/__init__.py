"""Reading uploaded files (markdown, text, HTML, Word, PDF) into text and blocks.

``extract`` is the one entry point: the filename's suffix picks the format, and anything
that cannot be read becomes a :class:`~checker.records.DocumentError` naming the file.
"""
from __future__ import annotations

from pathlib import Path, PurePath
from typing import Callable

from checker.reader._blocks import from_spans, joined
from checker.reader._docx import BadDocx, docx_blocks
from checker.reader._html import html_blocks
from checker.reader._pdf import BadPdf, pdf_blocks
from checker.reader._text import NotText, decode_text, markdown_blocks, plain_blocks
from checker.records import DocumentError, Extracted

__all__ = ["SUPPORTED_SUFFIXES", "extract", "read_file"]

SUPPORTED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf")


def _markdown(data: bytes) -> Extracted:
    text = decode_text(data)
    return from_spans(text, markdown_blocks(text))


def _plain(data: bytes) -> Extracted:
    text = decode_text(data)
    return from_spans(text, plain_blocks(text))


def _html(data: bytes) -> Extracted:
    return joined(html_blocks(decode_text(data)))


def _docx(data: bytes) -> Extracted:
    return joined(docx_blocks(data))


def _pdf(data: bytes) -> Extracted:
    return joined(pdf_blocks(data))


_READERS: dict[str, Callable[[bytes], Extracted]] = {
    ".md": _markdown, ".markdown": _markdown, ".txt": _plain,
    ".html": _html, ".htm": _html, ".docx": _docx, ".pdf": _pdf,
}


def extract(filename: str, data: bytes, display_path: str | None = None) -> Extracted:
    """Text and blocks of one file; the suffix of ``filename`` (any case) picks the format.

    Raises :class:`DocumentError` (named ``display_path`` or ``filename``) with a reason a
    person can act on: unsupported type, empty, not what the suffix says, damaged, encrypted,
    or without any text.
    """
    name = display_path or filename
    suffix = PurePath(filename).suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        shown = f"'{suffix}'" if suffix else "(no extension)"
        raise DocumentError(name, f"unsupported file type {shown}; expected one of "
                                  f"{', '.join(SUPPORTED_SUFFIXES)}")
    if not data:
        raise DocumentError(name, "the file is empty")
    try:
        extracted = reader(data)
    except (NotText, BadDocx, BadPdf) as exc:
        raise DocumentError(name, str(exc)) from exc
    except DocumentError:
        raise
    except Exception as exc:  # a library failing on odd input must not escape as a crash
        raise DocumentError(name, f"could not be read ({type(exc).__name__}: {exc})") from exc
    if not extracted.text.strip():
        raise DocumentError(name, "the file has no text (it is empty or only whitespace)")
    return extracted


def read_file(path: Path, display_path: str | None = None) -> Extracted:
    """Read ``path`` from disk and :func:`extract` it; unreadable paths raise DocumentError."""
    name = display_path or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DocumentError(name, f"could not be opened ({exc.strerror or exc})") from exc
    return extract(Path(path).name, data, display_path=name)
