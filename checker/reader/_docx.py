"""Blocks of a Word (.docx) file: body paragraphs and tables in order."""
from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from checker.reader._blocks import Found

# A .docx is a zip archive: these bound what unpacking may cost, so a small upload cannot expand
# into gigabytes (a "zip bomb"). Real documents unpack to a few MB, text parts compress ~10x.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBER_RATIO = 100
_RATIO_APPLIES_FROM = 1024 * 1024
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)
_SPACES = re.compile(r"[^\S\n]+")


class BadDocx(ValueError):
    """The bytes are not a readable .docx file."""


def docx_blocks(data: bytes) -> list[Found]:
    """Blocks of the document body: headings, paragraphs, list items, table cells."""
    _check_container(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on broken packages
        raise BadDocx(f"is not a valid .docx file ({type(exc).__name__}: {exc})") from exc
    found: list[Found] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            block = _paragraph(item)
            if block is not None:
                found.append(block)
        elif isinstance(item, Table):
            found.extend(_table(item))
    return found


def _check_container(data: bytes) -> None:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadDocx("is an old Word (.doc) file or a password-protected document; "
                      "save it as an unprotected .docx and upload again")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BadDocx("is not a valid .docx file (it is not a zip archive; the file may be damaged)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise BadDocx("is not a valid .docx file (word/document.xml is missing)")
            _check_unpacked_size(archive.infolist())
    except zipfile.BadZipFile as exc:
        raise BadDocx(f"is not a valid .docx file ({exc})") from exc


def _check_unpacked_size(members: list[zipfile.ZipInfo]) -> None:
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise BadDocx(f"unpacks to {unpacked // (1024 * 1024)} MB, more than the limit of "
                      f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB; it was refused as a possible zip bomb")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= _RATIO_APPLIES_FROM and ratio > MAX_MEMBER_RATIO:
            raise BadDocx(f"has a part ({member.filename}) that unpacks {ratio:.0f} times its packed size; "
                          "it was refused as a possible zip bomb")


def _style_name(paragraph: Paragraph) -> str:
    try:
        style = paragraph.style
        return (style.name or "") if style is not None else ""
    except (KeyError, AttributeError, ValueError):
        return ""


def _is_numbered(paragraph: Paragraph) -> bool:
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def _paragraph(paragraph: Paragraph) -> Found | None:
    text = _SPACES.sub(" ", paragraph.text).strip()
    if not text:
        return None
    style = _style_name(paragraph)
    heading = _HEADING_STYLE.match(style)
    if heading:
        level = int(heading.group(1))
        return Found("heading", text, level=level)
    if style.lower() in ("title", "subtitle"):
        # Title sits above "Heading 1" in the heading path.
        return Found("heading", text, level=1, rank=0 if style.lower() == "title" else 1)
    if style.lower().startswith("list") or _is_numbered(paragraph):
        return Found("list_item", text)
    return Found("paragraph", text)


def _table(table: Table) -> list[Found]:
    found: list[Found] = []
    seen: set[object] = set()  # the cell elements themselves: merged cells repeat them
    header: list[str] = []
    for row_index, row in enumerate(table.rows):
        cells = [_SPACES.sub(" ", cell.text).strip() for cell in row.cells]
        if row_index == 0:
            header = cells
        for column, cell in enumerate(row.cells):
            if cell._tc in seen or not cells[column]:
                continue
            seen.add(cell._tc)
            labels = tuple(label for label in (
                header[column] if row_index and column < len(header) else "",
                cells[0] if column else "",
            ) if label and label != cells[column])
            found.append(Found("table_cell", cells[column], labels=labels))
    return found
