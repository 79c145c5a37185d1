"""Judging aligned pairs: does a document statement contradict its source, how, and how surely?

Each detector in :mod:`checker.detectors` looks for one kind of contradiction; the judge runs
them in order, keeps the most confident verdict (its rule score: the detector's confidence,
discounted when the two statements were only loosely aligned), and turns it into a
:class:`Finding`. One finding per document statement: the clearest clash it has. Its score is
the calibrated estimate of its precision (:mod:`checker.calibration`), which is what
``min_score`` is compared with.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

from checker.align import Alignment
from checker.calibration import Calibration, Evidence, default_calibration
from checker.judgements import JudgementCache, pair_key
from checker.detectors import DETECTORS, PairContext, Verdict, agrees, different_cases
from checker.detectors.base import different_phases
from checker.detectors.contact import hours_agree
from checker.facts import facts_of
from checker.ordinals import different_steps
from checker.records import ROLE_DOCUMENT, Finding, Statement

_LOOSE, _TIGHT = 0.4, 0.9


def alignment_weight(similarity: float) -> float:
    """1.0 for near-identical statements, 0.7 for barely aligned ones."""
    position = min(1.0, max(0.0, (similarity - _LOOSE) / (_TIGHT - _LOOSE)))
    return 0.7 + 0.3 * position


class Judge:
    """Stateless apart from the facts cache: safe to share. ``calibration=None`` leaves every
    score the raw rule score (what ``training/fit_calibration.py`` fits on)."""

    def __init__(self, calibration: Calibration | None = None, calibrated: bool = True,
                 cache: JudgementCache | None = None) -> None:
        self.calibration = (calibration or default_calibration()) if calibrated else None
        self.cache = cache or JudgementCache()

    def calibrate(self, finding: Finding, similarity: float | None = None, rank: int | None = None) -> Finding:
        """The finding with its score turned into estimated precision (unchanged without a calibration)."""
        if self.calibration is None:
            return finding
        return dataclasses.replace(finding, score=self.pair_score(
            finding.kind, finding.severity, finding.score, finding.statement.text, finding.source.text,
            similarity, rank, finding.source.role == ROLE_DOCUMENT))

    def pair_score(self, kind: str, severity: str, rule_score: float, statement_text: str, source_text: str,
                   similarity: float | None, rank: int | None = 0, document_source: bool = False) -> float:
        """Estimated precision of a verdict on one pair (the rule score without a calibration)."""
        if self.calibration is None:
            return rule_score
        return self.calibration.score(Evidence(kind, severity, rule_score, statement_text, source_text,
                                               similarity, rank, document_source))

    def verdict(self, document_text: str, source_text: str, similarity: float, doc_vs_doc: bool = False
                ) -> tuple[Verdict, float] | None:
        """The strongest verdict on one pair and its rule score, or None when they agree; a pair
        judged before (same texts, similarity and kind of source) comes from the cache."""
        key = pair_key(document_text, source_text, similarity, doc_vs_doc)
        return self.cache.judged_or(key, lambda: self._judge(document_text, source_text, similarity, doc_vs_doc))

    def _judge(self, document_text: str, source_text: str, similarity: float, doc_vs_doc: bool
               ) -> tuple[Verdict, float] | None:
        doc, src = facts_of(document_text), facts_of(source_text)
        if different_cases(doc, src) or different_phases(doc, src) or different_steps(document_text, source_text):
            return None
        context = PairContext(similarity, doc_vs_doc)
        best: tuple[Verdict, float] | None = None
        for detector in DETECTORS:
            verdict = detector(doc, src, context)
            if verdict is None:
                continue
            score = round(verdict.confidence * alignment_weight(similarity), 4)
            if best is None or score > best[1]:
                best = (verdict, score)
        return best

    def judge_pair(self, statement: Statement, source: Statement, similarity: float) -> Finding | None:
        """The pair read as the reader meets it: each list item with its lead-in."""
        if _drugs_apart(statement, source):
            return None
        result = self.verdict(statement.judged_text, source.judged_text, similarity, source.role == ROLE_DOCUMENT)
        if result is None:
            return None
        verdict, score = result
        return Finding(kind=verdict.kind, severity=verdict.severity, score=score, explanation=verdict.explanation,
                       statement=statement, source=source,
                       statement_spans=_own_spans(verdict.doc_spans, statement),
                       source_spans=_own_spans(verdict.source_spans, source), facts=verdict.facts)

    @staticmethod
    def _restated(alignment: Alignment, similarity: float) -> bool:
        """A closer source that gives the same number means the clash is with a different rule."""
        doc = facts_of(alignment.statement.judged_text)
        return any(c.similarity >= similarity and agrees(doc, facts_of(c.source.judged_text))
                   for c in alignment.candidates)

    @staticmethod
    def _hours_restated(alignment: Alignment) -> bool:
        """Any candidate giving exactly the statement's opening hours names the place it is about:
        other hours in the same list belong to other services."""
        doc = facts_of(alignment.statement.judged_text)
        return any(hours_agree(doc, facts_of(c.source.judged_text)) for c in alignment.candidates)

    def judge_alignments(self, alignments: Iterable[Alignment], min_score: float) -> list[Finding]:
        """The best finding per document statement at or above ``min_score``, best first."""
        findings: list[Finding] = []
        seen_pairs: set[frozenset[str]] = set()
        for alignment in alignments:
            best: Finding | None = None
            best_similarity, best_rank = 0.0, 0
            for rank, candidate in enumerate(alignment.candidates):
                finding = self.judge_pair(alignment.statement, candidate.source, candidate.similarity)
                if finding and (best is None or _better(finding, best)):
                    best, best_similarity, best_rank = finding, candidate.similarity, rank
            if best is None or (best.kind == "numeric" and self._restated(alignment, best_similarity)):
                continue
            best = self.calibrate(best, best_similarity, best_rank)
            if best.score < min_score:
                continue
            if best.kind == "contact" and dict(best.facts).get("service") is None and self._hours_restated(alignment):
                continue
            pair = frozenset((best.statement.uid, best.source.uid))
            if pair in seen_pairs:
                continue
            seen_pairs.add(pair)
            findings.append(best)
        self.cache.flush()
        return sort_findings(findings)


def _drugs_apart(statement: Statement, source: Statement) -> bool:
    """One statement names its drug, the other names none but sits under headings about other drugs
    ("The usual starting dose is 15 mg once a week" in a methotrexate section): two drugs' rules."""
    named = [_named_drugs(statement.judged_text), _named_drugs(source.judged_text)]
    if all(named) or not any(named):
        return False
    bare, other = (statement, named[1]) if not named[0] else (source, named[0])
    if _mentions_any_drug(bare.judged_text):
        return False  # a class ("NSAIDs") or a pronoun-free mention: the detectors judge it
    in_scope = _named_drugs(" ".join(bare.context))
    return bool(in_scope) and not in_scope & other


def _named_drugs(text: str) -> frozenset[str]:
    return frozenset(d.generic for d in facts_of(text).drugs if d.generic)


def _mentions_any_drug(text: str) -> bool:
    return bool(facts_of(text).drugs)


def _own_spans(spans: tuple[tuple[int, int], ...], statement: Statement) -> tuple[tuple[int, int], ...]:
    """Spans in the judged text (lead-in + item) as offsets into the statement's own text; a
    span that lies in the lead-in highlights the whole item."""
    shift = len(statement.judged_text) - len(statement.text)
    if not shift:
        return spans
    own = tuple((max(0, start - shift), end - shift) for start, end in spans if end - shift > 0)
    return own or ((0, len(statement.text)),)


def _better(finding: Finding, current: Finding) -> bool:
    """Protocols are the reference: a clash with a protocol outranks one with another document."""
    rank = (finding.source.role != ROLE_DOCUMENT, finding.score)
    return rank > (current.source.role != ROLE_DOCUMENT, current.score)


def merge_findings(findings: Iterable[Finding], min_score: float) -> list[Finding]:
    """One finding per document statement (the highest scoring) and per pair of statements."""
    best: dict[str, Finding] = {}
    for finding in findings:
        if finding.score < min_score:
            continue
        current = best.get(finding.statement.uid)
        if current is None or finding.score > current.score:
            best[finding.statement.uid] = finding
    seen: set[frozenset[str]] = set()
    merged = []
    for finding in sort_findings(list(best.values())):
        pair = frozenset((finding.statement.uid, finding.source.uid))
        if pair not in seen:
            seen.add(pair)
            merged.append(finding)
    return merged


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.score, f.statement.path, f.statement.start))
