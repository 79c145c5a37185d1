"""A small stand-in engine for tests that need exact control over findings.

It reads files with the real reader and statement splitter, and reports a clash when a
document statement and a protocol statement have the same words but different numbers.
Only the finding-sync tests use it; everything else runs the real ``checker.engine.Engine``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Iterable, Sequence

from checker.reader import extract
from checker.records import DocumentError, Finding, Statement
from checker.statements import split_statements

NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class FakeResult:
    findings: list[Finding]
    embeddings_computed: int = 0
    embeddings_reused: int = 0
    pairs_judged: int = 0
    alignments: list = field(default_factory=list)


class FakeEngine:
    """``read`` like the real engine (without scope lines); ``check`` by numbers only."""

    def __init__(self) -> None:
        self.calls: list[set[str] | None] = []

    def read(self, path: str, data: bytes, role: str, department: str = "") -> list[Statement]:
        pieces = split_statements(extract(PurePosixPath(path).name, data, display_path=path))
        if not pieces:
            raise DocumentError(path, "no statements found")
        return [Statement(path=path, role=role, text=p.text, start=p.start, end=p.end, department=department,
                          context=p.context, position=i) for i, p in enumerate(pieces)]

    def check(self, protocols: Sequence[Statement], documents: Sequence[Statement],
              only_paths: Iterable[str] | None = None, min_score: float | None = None) -> FakeResult:
        targets = None if only_paths is None else set(only_paths)
        self.calls.append(targets)
        findings = [self._clash(d, p) for d in documents if targets is None or d.path in targets
                    for p in protocols if _words(d.text) == _words(p.text) and _numbers(d.text) != _numbers(p.text)]
        return FakeResult(findings=findings, pairs_judged=len(documents) * len(protocols))

    @staticmethod
    def _clash(document: Statement, protocol: Statement) -> Finding:
        return Finding(kind="quantity", severity="high", score=0.9,
                       explanation=f"{_numbers(document.text)} vs {_numbers(protocol.text)}",
                       statement=document, source=protocol,
                       statement_spans=tuple(m.span() for m in NUMBER.finditer(document.text)),
                       source_spans=tuple(m.span() for m in NUMBER.finditer(protocol.text)))


def _words(text: str) -> str:
    return " ".join(NUMBER.sub("#", text.lower()).split())


def _numbers(text: str) -> list[str]:
    return NUMBER.findall(text)
