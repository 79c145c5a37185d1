"""Turning a list of found blocks into ``Block`` records with heading paths."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from checker.records import Block, Extracted

JOINER = "\n\n"


@dataclass
class Found:
    """A block as a format reader finds it, before offsets and heading paths are fixed.

    ``rank`` orders headings for nesting (lower is outer); it defaults to ``level``.
    ``labels`` are extra context labels (table column header, row label).
    """

    kind: str
    text: str
    start: int = 0
    end: int = 0
    level: int = 0
    rank: int | None = None
    labels: tuple[str, ...] = ()


def _with_paths(found: Iterable[Found]) -> tuple[Block, ...]:
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    for item in found:
        if item.kind == "heading":
            rank = item.level if item.rank is None else item.rank
            while stack and stack[-1][0] >= rank:
                stack.pop()
            path = tuple(text for _, text in stack)
            stack.append((rank, item.text))
        else:
            path = tuple(text for _, text in stack) + item.labels
        blocks.append(Block(kind=item.kind, text=item.text, start=item.start, end=item.end,
                            heading_path=path, level=item.level if item.kind == "heading" else 0))
    return tuple(blocks)


def from_spans(text: str, found: list[Found]) -> Extracted:
    """Blocks that already point into ``text`` (markdown, plain text)."""
    for item in found:
        item.text = text[item.start:item.end]
    return Extracted(text=text, blocks=_with_paths(f for f in found if f.text))


def joined(found: list[Found]) -> Extracted:
    """Blocks whose texts are joined with a blank line to make the extracted text."""
    parts: list[str] = []
    kept: list[Found] = []
    offset = 0
    for item in found:
        if not item.text:
            continue
        if parts:
            offset += len(JOINER)
        item.start, item.end = offset, offset + len(item.text)
        offset = item.end
        parts.append(item.text)
        kept.append(item)
    return Extracted(text=JOINER.join(parts), blocks=_with_paths(kept))
