"""The engine's front door: read files into statements, then check statements for contradictions.

Plain data in, plain data out. The web app and the nightly batch use only this module and
``checker.records`` / ``checker.settings``::

    engine = Engine(load_settings())
    protocol = engine.read("protocols/fasting.md", data, role="protocol")
    sheet = engine.read("documents/surgery/leaflet.md", data, role="document", department="surgery")
    result = engine.check(protocol, sheet)
    for finding in result.findings: ...

The model is loaded on first use, so an ``Engine`` is cheap to build.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable, Iterable, Sequence

import numpy as np

from checker.align import Alignment, align
from checker.embeddings import EmbeddingStore
from checker.directory import ServiceIndex
from checker.judge import Judge, merge_findings
from checker.judgements import JudgementCache
from checker.reader import extract
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, DocumentError, Finding, Statement
from checker.scope import scope_line
from checker.settings import Settings, load_settings
from checker.statements import split_statements

__all__ = ["Engine", "CheckResult", "DocumentError"]


@dataclass
class CheckResult:
    """Findings of one check, best first, and counters of the work it did. ``pairs_judged``
    counts the aligned pairs the judge looked at; ``judgements_computed`` those it had not seen
    before (the rest came from the judgement cache)."""

    findings: list[Finding]
    embeddings_computed: int = 0
    embeddings_reused: int = 0
    pairs_judged: int = 0
    judgements_computed: int = 0
    judgements_reused: int = 0
    alignments: list[Alignment] = field(default_factory=list)


class Engine:
    """Reads documents and finds contradictions; holds the model and the embedding cache."""

    def __init__(self, settings: Settings | None = None, store: EmbeddingStore | None = None,
                 judge: Judge | None = None) -> None:
        self.settings = settings or load_settings()
        self.store = store or EmbeddingStore(self.settings)
        self.judge = judge or Judge(cache=JudgementCache(self.settings.cache_dir))

    def read(self, path: str, data: bytes, role: str, department: str = "") -> list[Statement]:
        """Statements of one file. ``path`` is the name shown in findings; its suffix picks the
        format. Raises :class:`DocumentError` (message names the file) on unreadable input."""
        if role not in (ROLE_PROTOCOL, ROLE_DOCUMENT):
            raise ValueError(f"role must be {ROLE_PROTOCOL!r} or {ROLE_DOCUMENT!r}, not {role!r}")
        extracted = extract(PurePosixPath(path).name, data, display_path=path)
        pieces = split_statements(extracted)
        if not pieces:
            raise DocumentError(path, "no statements found (the file has no readable sentences)")
        scope = scope_line(pieces)
        return [
            Statement(path=path, role=role, text=piece.text, start=piece.start, end=piece.end,
                      department=department, context=piece.context, scope=scope, position=index)
            for index, piece in enumerate(pieces)
        ]

    def embed(self, statements: Sequence[Statement],
              progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Unit-length embeddings, one row per statement (read with its list lead-in), from the cache
        where possible."""
        return self.store.embed([statement.judged_text for statement in statements], progress)

    def combine(self, judged: list[Finding], index: ServiceIndex, targets: set[str] | None, min_score: float
                ) -> list[Finding]:
        """The final findings: judged alignments plus the service directory's contact findings,
        one per document statement. Callers that align and judge in parts (the nightly batch)
        finish with this, so they report exactly what :meth:`check` reports."""
        directory = [self.judge.calibrate(finding) for finding in index.findings(targets)]
        return merge_findings(list(judged) + directory, min_score)

    def check(self, protocols: Sequence[Statement], documents: Sequence[Statement],
              only_paths: Iterable[str] | None = None, min_score: float | None = None,
              progress: Callable[[int, int], None] | None = None) -> CheckResult:
        """Findings for document statements against protocols (and against other departments'
        documents on topics no protocol covers).

        ``only_paths``: report only findings that involve a document with one of these paths
        (all other statements still serve as context); ``None`` reports everything.
        ``progress(done, total)``: called while new embeddings are computed.
        """
        computed_before, reused_before = self.store.computed, self.store.reused
        judged_before, judgements_reused_before = self.judge.cache.judged, self.judge.cache.reused
        protocol_vectors = self.embed(protocols, progress)
        document_vectors = self.embed(documents, progress)
        targets = None if only_paths is None else set(only_paths)
        alignments = align(protocols, protocol_vectors, documents, document_vectors, self.settings, targets)
        threshold = self.settings.min_score if min_score is None else min_score
        findings = self.combine(self.judge.judge_alignments(alignments, threshold),
                                ServiceIndex(protocols, documents), targets, threshold)
        return CheckResult(
            findings=findings,
            embeddings_computed=self.store.computed - computed_before,
            embeddings_reused=self.store.reused - reused_before,
            pairs_judged=sum(len(alignment.candidates) for alignment in alignments),
            judgements_computed=self.judge.cache.judged - judged_before,
            judgements_reused=self.judge.cache.reused - judgements_reused_before,
            alignments=alignments,
        )
