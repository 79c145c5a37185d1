"""Blocks of an HTML page: main content only, page furniture left out."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Declaration, Doctype, ProcessingInstruction

from checker.reader._blocks import Found

_SKIP_TAGS = frozenset({"nav", "footer", "aside", "script", "style", "noscript", "form", "template",
                        "svg", "iframe", "object", "button", "select", "head", "title", "meta", "link"})
_FURNITURE = re.compile(r"(?:^|[-_])(?:nav|navbar|navigation|menu|breadcrumbs?|footer|skip|skiplink|"
                        r"cookies?|sidebar)(?:[-_]|$)", re.I)
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu",
                              "menubar", "dialog", "alertdialog"})
_BLOCK_KINDS = {"p": "paragraph", "li": "list_item", "td": "table_cell", "th": "table_cell",
                "dt": "paragraph", "dd": "paragraph", "blockquote": "paragraph", "figcaption": "paragraph",
                **{f"h{n}": "heading" for n in range(1, 7)}}
_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i",
                     "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
                     "time", "u", "var", "wbr", "del", "ins", "big", "tt", "nobr"})
_BREAK = "\u2028"
_SPACES = re.compile(r"[^\S\u2028]+")
_BREAK_SPACES = re.compile(r" ?\u2028[ \u2028]*")


def html_blocks(markup: str) -> list[Found]:
    """Blocks of the page's main content, in document order."""
    soup = BeautifulSoup(markup, "lxml")
    root = _content_root(soup)
    for tag in list(root.find_all(True)):
        if not tag.decomposed and _is_furniture(tag):
            tag.decompose()
    collector = _Collector()
    collector.walk(root, "paragraph", 0)
    return collector.found


def _content_root(soup: BeautifulSoup) -> Tag:
    for candidate in (soup.find("main"), soup.find(attrs={"role": "main"}), soup.find("article")):
        if isinstance(candidate, Tag):
            return candidate
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup


def _is_furniture(tag: Tag) -> bool:
    if tag.name in _SKIP_TAGS or tag.has_attr("hidden") or tag.get("aria-hidden") == "true":
        return True
    if tag.name == "header" and not tag.find(re.compile(r"^h[1-6]$")):
        return True
    if str(tag.get("role", "")).lower() in _FURNITURE_ROLES:
        return True
    if "display:none" in str(tag.get("style", "")).replace(" ", "").lower():
        return True
    tokens = list(tag.get("class") or []) + [str(tag.get("id", ""))]
    return any(_FURNITURE.search(token) for token in tokens if token)


def _clean(parts: list[str]) -> str:
    text = _SPACES.sub(" ", "".join(parts))
    return _BREAK_SPACES.sub("\n", text).strip(" \n")


class _Collector:
    def __init__(self) -> None:
        self.found: list[Found] = []

    def flush(self, parts: list[str], kind: str, level: int, labels: tuple[str, ...] = ()) -> None:
        text = _clean(parts)
        parts.clear()
        if text:
            self.found.append(Found(kind, text, level=level, labels=tuple(label for label in labels if label != text)))

    def walk(self, node: Tag, kind: str, level: int, labels: tuple[str, ...] = ()) -> None:
        parts: list[str] = []
        for child in node.children:
            if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                parts.append(str(child))
            elif isinstance(child, Tag):
                self._child(child, parts, kind, level, labels)
        self.flush(parts, kind, level, labels)

    def _child(self, child: Tag, parts: list[str], kind: str, level: int, labels: tuple[str, ...]) -> None:
        if child.name == "br":
            parts.append(_BREAK)
        elif child.name in _BLOCK_KINDS:
            self.flush(parts, kind, level, labels)
            child_kind = _BLOCK_KINDS[child.name]
            if child.name == "p" and kind in ("list_item", "table_cell"):
                child_kind = kind  # <li><p>...</p></li> is still a list item
            child_labels = _cell_labels(child) if child.name in ("td", "th") else labels
            self.walk(child, child_kind, int(child.name[1]) if child_kind == "heading" else 0, child_labels)
        elif child.name in _INLINE and not child.find(lambda tag: tag.name in _BLOCK_KINDS):
            parts.append(_inline_text(child))
        else:
            self.flush(parts, kind, level, labels)
            self.walk(child, kind, level, labels)


def _plain(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


def _cell_labels(cell: Tag) -> tuple[str, ...]:
    """Column header and row label of a table cell, where the table has them."""
    row = cell.find_parent("tr")
    table = row.find_parent("table") if row else None
    if row is None or table is None:
        return ()
    cells = row.find_all(["td", "th"], recursive=False)
    column = next((index for index, item in enumerate(cells) if item is cell), 0)
    first = table.find("tr")
    header = ""
    if first is not None and first is not row:
        top = first.find_all(["td", "th"], recursive=False)
        if column < len(top) and all(item.name == "th" for item in top):
            header = _plain(top[column])
    row_label = _plain(cells[0]) if column and cells else ""
    return tuple(label for label in (header, row_label) if label)


def _inline_text(tag: Tag) -> str:
    pieces: list[str] = []
    for node in tag.descendants:
        if isinstance(node, Tag) and node.name == "br":
            pieces.append(_BREAK)
        elif isinstance(node, NavigableString) and not isinstance(node, (Comment, Doctype)):
            pieces.append(str(node))
    return "".join(pieces)
