"""Plain data that flows through the engine: blocks, statements, findings.

Everything here is a frozen dataclass of plain values, so the web app and the batch can
store, compare and serialise them without knowing how the engine works.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

ROLE_PROTOCOL = "protocol"
ROLE_DOCUMENT = "document"

BLOCK_KINDS = ("heading", "paragraph", "list_item", "table_cell")
#: the kinds of contradiction the engine reports (a detector each; "contact" also from the service directory)
FINDING_KINDS = ("action", "contact", "medication", "negation", "numeric", "timing")


class DocumentError(Exception):
    """A file could not be read as a document. The message names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Block:
    """A run of text from one structural element; ``start:end`` indexes ``Extracted.text``."""

    kind: str
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...] = ()
    level: int = 0


@dataclass(frozen=True)
class Extracted:
    """The text of a file as read, and its blocks in reading order."""

    text: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Piece:
    """One statement as cut from the extracted text: a sentence or a bullet item."""

    text: str
    start: int
    end: int
    context: tuple[str, ...] = ()
    block_kind: str = "paragraph"


def text_key(text: str) -> str:
    """Stable key of a statement's wording (whitespace-insensitive), for caches and fingerprints."""
    normalised = " ".join(text.split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Statement:
    """A statement of a protocol or a department document, located in its file."""

    path: str
    role: str
    text: str
    start: int
    end: int
    department: str = ""
    context: tuple[str, ...] = ()
    scope: str = ""
    position: int = 0

    @property
    def key(self) -> str:
        return text_key(self.text)

    @property
    def lead_in(self) -> str:
        """The sentence that introduces this list item ("Come back if you have:"), or ""."""
        return self.context[-1] if self.context and self.context[-1].rstrip().endswith(":") else ""

    @property
    def judged_text(self) -> str:
        """What the statement says, read with its lead-in: "Come back if you have: Vomiting".
        Alignment embeds it and the judge reads it; findings still quote ``text``."""
        return f"{self.lead_in} {self.text}" if self.lead_in else self.text

    @property
    def uid(self) -> str:
        return f"{self.path}#{self.start}-{self.end}"


@dataclass(frozen=True)
class Finding:
    """A contradiction between a document statement and a protocol (or another document).

    ``statement_spans`` and ``source_spans`` are ``(start, end)`` offsets into the two
    statements' texts: the differing facts to highlight.
    """

    kind: str
    severity: str
    score: float
    explanation: str
    statement: Statement
    source: Statement
    statement_spans: tuple[tuple[int, int], ...] = ()
    source_spans: tuple[tuple[int, int], ...] = ()
    facts: tuple[tuple[str, str], ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """Same clash, same fingerprint across re-runs: paths, wordings and kind, not offsets."""
        parts = (self.kind, self.statement.path, self.statement.key, self.source.path, self.source.key)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a finding (the ``--format jsonl`` contract)."""
        return {
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "severity": self.severity,
            "score": round(self.score, 4),
            "explanation": self.explanation,
            "document": self.statement.path,
            "department": self.statement.department,
            "statement": self.statement.text,
            "statement_span": [self.statement.start, self.statement.end],
            "statement_highlights": [list(span) for span in self.statement_spans],
            "source": self.source.path,
            "source_role": self.source.role,
            "source_statement": self.source.text,
            "source_span": [self.source.start, self.source.end],
            "source_highlights": [list(span) for span in self.source_spans],
            "facts": dict(self.facts),
        }

