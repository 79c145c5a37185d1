"""Decoding text files, and finding blocks in markdown and plain text in place."""
from __future__ import annotations

import re
import unicodedata

from checker.reader._blocks import Found

# A text file with more than this share of control characters is not really text.
_MAX_CONTROL_SHARE = 0.02
_MAX_STRAY_CONTROLS = 3
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")


class NotText(ValueError):
    """The bytes do not look like a text file."""


def decode_text(data: bytes) -> str:
    """Decode text bytes: UTF-8 (BOM aware), UTF-16 with a BOM, else Windows-1252/Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotText("does not look like a text file (broken UTF-16)") from exc
    else:
        if b"\x00" in data:
            raise NotText("does not look like a text file (it contains binary data)")
        text = _decode_8bit(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    _check_controls(text)
    return text


def _decode_8bit(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte.
        return data.decode("latin-1")


def _check_controls(text: str) -> None:
    if not text:
        return
    sample = text[:200_000]
    controls = sum(1 for ch in sample if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc")
    if controls > max(_MAX_STRAY_CONTROLS, _MAX_CONTROL_SHARE * len(sample)):
        raise NotText("does not look like a text file (it contains binary data)")


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end-without-newline, line) for every line."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        out.append((pos, pos + len(line), line))
        pos += len(raw)
    return out


def _trimmed(start: int, line: str, lstrip: int = 0) -> tuple[int, int]:
    """Span of ``line[lstrip:]`` without surrounding whitespace, as file offsets."""
    body = line[lstrip:]
    left = len(body) - len(body.lstrip())
    return start + lstrip + left, start + lstrip + len(body.rstrip())


# ---- markdown ---------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_MD_LIST = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,3}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_MD_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MD_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_MD_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_MD_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")


def markdown_blocks(text: str) -> list[Found]:
    """Blocks of a markdown file, spans pointing into ``text``, markers left out."""
    return _Markdown(text).blocks()


class _Markdown:
    """Line-by-line markdown reader; ``open_block`` is the block a next line may extend."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        self.found: list[Found] = []
        self.open_block: Found | None = None
        self.header_cells: list[str] = []

    def blocks(self) -> list[Found]:
        in_fence = in_comment = False
        for index in range(_skip_front_matter(self.lines), len(self.lines)):
            start, _, line = self.lines[index]
            if in_comment or line.lstrip().startswith("<!--"):
                in_comment = "-->" not in line
                self.open_block = None
            elif _MD_FENCE.match(line):
                in_fence, self.open_block = not in_fence, None
            elif not in_fence:
                self._line(index, start, line)
        return self.found

    def _line(self, index: int, start: int, line: str) -> None:
        if not line.strip():
            self.open_block, self.header_cells = None, []
        elif self._setext(line):
            self.open_block = None
        elif _MD_RULE.match(line):
            self.open_block = None
        elif heading := _MD_HEADING.match(line):
            span = _trimmed(start + heading.start(2), heading.group(2))
            self._add(Found("heading", "", span[0], span[1], level=len(heading.group(1))), extendable=False)
        elif line.lstrip().startswith("|"):
            self._table_row(index, start, line)
        elif item := _MD_LIST.match(line):
            span = _trimmed(start, line, item.end())
            self._add(Found("list_item", "", span[0], span[1]), extendable=True)
        else:
            self._text_line(start, line)

    def _add(self, block: Found, extendable: bool) -> None:
        self.found.append(block)
        self.open_block = block if extendable else None

    def _setext(self, line: str) -> bool:
        block = self.open_block
        if not _MD_SETEXT.match(line) or block is None or block.kind != "paragraph" \
                or "\n" in self.text[block.start:block.end]:
            return False
        block.kind, block.level = "heading", 1 if line.strip()[0] == "=" else 2
        return True

    def _table_row(self, index: int, start: int, line: str) -> None:
        self.open_block = None
        if _MD_TABLE_SEP.match(line):
            return
        cells = _table_cells(start, line)
        following = self.lines[index + 1][2] if index + 1 < len(self.lines) else ""
        if "-" in following and _MD_TABLE_SEP.match(following):
            self.header_cells = [self.text[s:e] for s, e in cells]
        self.found.extend(_cell_blocks(self.text, cells, self.header_cells))

    def _text_line(self, start: int, line: str) -> None:
        quote = _MD_QUOTE.match(line)
        span = _trimmed(start, line, quote.end() if quote else 0)
        if span[0] == span[1]:
            return
        block = self.open_block
        if block is not None and (block.kind == "paragraph" or line[:1] in " \t"):
            block.end = span[1]
        else:
            self._add(Found("paragraph", "", span[0], span[1]), extendable=True)


def _skip_front_matter(lines: list[tuple[int, int, str]]) -> int:
    if not lines or lines[0][2].strip() != "---":
        return 0
    for index in range(1, min(len(lines), 60)):
        if lines[index][2].strip() in ("---", "..."):
            return index + 1
    return 0


def _table_cells(start: int, line: str) -> list[tuple[int, int]]:
    cells: list[tuple[int, int]] = []
    body_start = line.index("|") + 1
    stripped_end = len(line.rstrip())
    if line.rstrip().endswith("|"):
        stripped_end -= 1
    pos = body_start
    for part in line[body_start:stripped_end].split("|"):
        s, e = _trimmed(start + pos, part)
        cells.append((s, e))
        pos += len(part) + 1
    return cells


def _cell_blocks(text: str, cells: list[tuple[int, int]], header: list[str]) -> list[Found]:
    out: list[Found] = []
    row_label = text[cells[0][0]:cells[0][1]] if cells else ""
    for column, (s, e) in enumerate(cells):
        if s == e:
            continue
        labels = tuple(label for label in (
            header[column] if column < len(header) else "",
            row_label if column else "",
        ) if label and label != text[s:e])
        out.append(Found("table_cell", "", s, e, labels=labels))
    return out


# ---- plain text -------------------------------------------------------------------------

_TXT_LIST = re.compile(r"^[ \t]*(?:[-*•▪●◦–]|\d{1,3}[.)])[ \t]+")
_TXT_BRACKET = re.compile(r"^[ \t]*\[([^\]\n]+)\][ \t]*$")
_LABELLED = re.compile(r"^[ \t]*[A-Z][\w'’-]*(?: [\w'’-]+){0,2}:[ \t]")
_TERMINAL = tuple(".!?:;\"”’)")
_SHORT = 60
_HEADING_WORDS = 8
_WRAP_WIDTH = 55
_WRAP_SHARE = 0.8


def _is_caps_heading(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    stripped = line.strip()
    return (2 <= len(letters) and len(stripped) <= 80 and len(stripped.split()) <= _HEADING_WORDS
            and all(ch.isupper() for ch in letters)
            and "__" not in stripped and not stripped.endswith((".", "!", "?")))


def _is_title_line(line: str, before_blank: bool, after_blank: bool) -> bool:
    stripped = line.strip()
    return (before_blank and after_blank and len(stripped) <= _SHORT and len(stripped.split()) <= _HEADING_WORDS
            and not stripped.endswith(_TERMINAL)
            and stripped[:1].isupper() and "__" not in stripped and ":" not in stripped
            and not stripped[-1:].isdigit())


def _continues(previous: Found, prev_line: str, line: str, wrap: float) -> bool:
    """Whether ``line`` carries on the block of ``prev_line`` (hard-wrapped text)."""
    if previous.kind not in ("paragraph", "list_item") or _LABELLED.match(line):
        return False
    stripped, prev = line.strip(), prev_line.rstrip()
    if previous.kind == "list_item" and line[:1] in " \t":
        return True
    if prev.endswith(_TERMINAL):
        return stripped[:1].islower()
    return stripped[:1].islower() or len(prev) >= wrap


def plain_blocks(text: str) -> list[Found]:
    """Blocks of a plain-text file: one per line unless a line is a wrapped continuation."""
    lines = _lines(text)
    # Only lines near the file's longest were wrapped by an editor; shorter ones ended there.
    wrap = max(_WRAP_WIDTH, _WRAP_SHARE * max((len(line.rstrip()) for _, _, line in lines), default=0))
    found: list[Found] = []
    previous: Found | None = None
    prev_line = ""
    for index, (start, end, line) in enumerate(lines):
        if not line.strip():
            previous = None
            continue
        # A title may sit right under another heading ("NORTHGATE" / "Wound care").
        before_blank = index == 0 or not lines[index - 1][2].strip() or previous is not None \
            and previous.kind == "heading"
        after_blank = index + 1 >= len(lines) or not lines[index + 1][2].strip()
        item = _plain_line(start, line, before_blank, after_blank)
        if item.kind == "paragraph" and previous is not None and _continues(previous, prev_line, line, wrap):
            previous.end = _trimmed(start, line)[1]
        else:
            found.append(item)
            previous = item
        prev_line = line
    return found


def _plain_line(start: int, line: str, before_blank: bool, after_blank: bool) -> Found:
    bracket = _TXT_BRACKET.match(line)
    if bracket:
        s, e = _trimmed(start + bracket.start(1), bracket.group(1))
        return Found("heading", "", s, e, level=3)
    item = _TXT_LIST.match(line)
    if item:
        s, e = _trimmed(start, line, item.end())
        return Found("list_item", "", s, e)
    s, e = _trimmed(start, line)
    if _is_caps_heading(line):
        return Found("heading", "", s, e, level=1)
    if _is_title_line(line, before_blank, after_blank):
        return Found("heading", "", s, e, level=2)
    return Found("paragraph", "", s, e)
