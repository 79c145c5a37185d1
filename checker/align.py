"""Alignment: which statements talk about the same thing, and may therefore contradict.

For every document statement: the protocol statements nearest in meaning (embedding top-k above
a similarity floor, with rapidfuzz lifting near-identical wording), kept only where the scopes
are compatible and the protocol is about what the document is about. A document statement that
no protocol covers is aligned with other departments' uncovered statements instead, so
document-to-document findings arise only on topics no protocol covers.

Cost grows with (document statements x protocol statements) plus (uncovered x uncovered), both
as blocked matrix products. The second term is the one that grows faster than the corpus; it is
kept exact so that incremental re-checks give exactly the findings of a full one, and only the
few similarities above the document floor are ever ranked.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
from rapidfuzz import fuzz

from checker.facts import GENERIC, NEGATIVE, Facts, content, facts_of, polarity
from checker.lexicon import stem
from checker.records import Statement
from checker.scope import compatible, statement_names_scope
from checker.settings import Settings

_CHUNK = 1024
_NEIGHBOUR_BLOCK = 256
FUZZY_POOL = 20


@dataclass(frozen=True)
class Candidate:
    source: Statement
    similarity: float


@dataclass
class Alignment:
    statement: Statement
    candidates: list[Candidate] = field(default_factory=list)
    covered: bool = False


def _file_vectors(statements: Sequence[Statement], vectors: np.ndarray) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, statement in enumerate(statements):
        groups[statement.path].append(index)
    result = {}
    for path, rows in groups.items():
        mean = vectors[rows].mean(axis=0)
        result[path] = mean / (np.linalg.norm(mean) or 1.0)
    return result


def _top(similarities: np.ndarray, k: int) -> np.ndarray:
    """Column indexes of the k largest values per row, best first. Equal values (the same sentence
    in several files) are ranked by column, so results never depend on array layout."""
    k = min(k, similarities.shape[1])
    if k == 0:
        return np.zeros((similarities.shape[0], 0), dtype=int)
    keyed = similarities.astype(np.float64) - np.arange(similarities.shape[1]) * 1e-9
    part = np.argpartition(-keyed, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(keyed, part, axis=1).argsort(axis=1, kind="stable")[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


def _affinities(documents: Sequence[Statement], doc_vectors: np.ndarray, protocols: Sequence[Statement],
                protocol_vectors: np.ndarray) -> dict[str, dict[str, float]]:
    doc_files = _file_vectors(documents, doc_vectors)
    protocol_files = _file_vectors(protocols, protocol_vectors)
    names = list(protocol_files)
    if not names:
        return {path: {} for path in doc_files}
    matrix = np.vstack([protocol_files[name] for name in names])
    return {path: dict(zip(names, similarities(vector[None, :], matrix)[0].tolist()))
            for path, vector in doc_files.items()}


def similarities(queries: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Cosine similarities of unit rows, query by pool row, the same whatever the matrices' shapes:
    float32 products differ in their last bits with the blocking BLAS picks for a shape, and the
    nightly batch aligns a few documents where a full check aligns all, so near-equal sources
    ("for 6 hours" in two protocols) would rank differently. Summed in float64, then rounded."""
    return (queries.astype(np.float64) @ pool.astype(np.float64).T).astype(np.float32)


def _related(statement: Statement, source: Statement, affinity: dict[str, float], margin: float) -> bool:
    best = max(affinity.values(), default=0.0)
    if affinity.get(source.path, 0.0) >= best - margin:
        return True
    return statement_names_scope(statement, source)


def align(protocols: Sequence[Statement], protocol_vectors: np.ndarray, documents: Sequence[Statement],
          document_vectors: np.ndarray, settings: Settings, targets: set[str] | None = None) -> list[Alignment]:
    """Alignments for the document statements whose path is in ``targets`` (all when None)."""
    protocols, protocol_vectors = _without_boilerplate(protocols, protocol_vectors)
    rows = list(range(len(documents)))
    affinity = _affinities(documents, document_vectors, protocols, protocol_vectors)
    alignments = {i: Alignment(documents[i]) for i in rows}
    if protocols and rows:
        for offset in range(0, len(rows), _CHUNK):
            chunk = rows[offset:offset + _CHUNK]
            scores = similarities(document_vectors[chunk], protocol_vectors)
            pool = _top(scores, max(settings.top_k, FUZZY_POOL))
            for row, (index, picks) in enumerate(zip(chunk, pool)):
                alignment = alignments[index]
                scored = _rescore(documents[index], [protocols[p] for p in picks], scores[row, picks], settings)
                for rank, (source, similarity) in enumerate(_one_list_at_most(scored, _PER_LIST)):
                    if rank >= settings.top_k and similarity >= settings.similarity_floor:
                        continue
                    if _is_scope_line(source) or _is_scope_line(documents[index]):
                        continue
                    if similarity < settings.similarity_floor and not (
                            similarity >= settings.lexical_floor and shares_key_terms(documents[index], source)):
                        continue
                    if not compatible(documents[index], source):
                        continue
                    if not _related(documents[index], source, affinity[documents[index].path],
                                    settings.affinity_margin):
                        continue
                    alignment.candidates.append(Candidate(source, similarity))
                alignment.covered = any(c.similarity >= settings.coverage_floor
                                        and shares_topic(documents[index], c.source) for c in alignment.candidates)
    align_uncovered(documents, document_vectors, alignments, settings, targets)
    return [alignments[i] for i in rows if targets is None or documents[i].path in targets]


_BOILERPLATE_FILES = 3


_PER_LIST = 2


def _one_list_at_most(scored: list[tuple[Statement, float]], per_list: int) -> list[tuple[Statement, float]]:
    """The ranked sources with at most ``per_list`` items of any one list (one file, one lead-in):
    the items of "For 24 hours, do not:" all carry its words and would otherwise fill every place."""
    kept, seen = [], defaultdict(int)
    for source, similarity in scored:
        if source.lead_in:
            seen[(source.path, source.lead_in)] += 1
            if seen[(source.path, source.lead_in)] > per_list:
                continue
        kept.append((source, similarity))
    return kept


def _without_boilerplate(statements: Sequence[Statement], vectors: np.ndarray
                         ) -> tuple[list[Statement], np.ndarray]:
    """Drop sentences repeated word for word in several files (disclaimers, footers): they say
    nothing about any one topic and would otherwise 'cover' unrelated statements."""
    files: dict[str, set[str]] = defaultdict(set)
    for statement in statements:
        files[statement.key].add(statement.path)
    keep = [i for i, s in enumerate(statements) if len(files[s.key]) < _BOILERPLATE_FILES]
    if len(keep) == len(statements):
        return list(statements), vectors
    return [statements[i] for i in keep], vectors[keep]


def _is_scope_line(statement: Statement) -> bool:
    return bool(statement.scope) and statement.text == statement.scope


def shares_key_terms(a: Statement, b: Statement) -> bool:
    """True when one statement forbids or stops something the other names, or both name one drug
    or give a level of one measure: the lexical evidence that lets a loosely similar pair through to the judge. A list item is read
    with its lead-in ("For 24 hours, do not:" + "drink alcohol"), as the judge reads it."""
    facts_a, facts_b = facts_of(a.judged_text), facts_of(b.judged_text)
    for negative, other in ((facts_a, facts_b), (facts_b, facts_a)):
        for clause in negative.clauses:
            if polarity(clause.stance) != NEGATIVE:
                continue
            # "Flowers are not allowed": what is forbidden can stand before the cue
            subject = content(negative.text[clause.start:clause.cue_start]) if clause.cue else frozenset()
            if (clause.objects | subject) & other.stems:
                return True
    if _same_situation_other_help(a, b):
        return True
    generics_a = {d.generic for d in facts_a.drugs if d.generic}
    if generics_a & {d.generic for d in facts_b.drugs if d.generic}:
        return True
    classes_a = set().union(*(d.classes for d in facts_a.drugs))
    classes_b = set().union(*(d.classes for d in facts_b.drugs))
    named_classes = {c for d in facts_a.drugs + facts_b.drugs if not d.generic for c in d.classes}
    return bool(classes_a & classes_b & named_classes) or bool(_levels(facts_a) & _levels(facts_b))


_COMMON_DIMENSIONS = frozenset({"time", "count", "mass", "volume"})


def _levels(facts: Facts) -> frozenset[str]:
    """The measures a statement gives a level of in a specific unit (mmol/L, mmHg, °C) or by name
    (an INR, a blood pressure): two statements giving one are about the same measure."""
    return frozenset(q.unit for q in facts.quantities if q.dimension not in _COMMON_DIMENSIONS or q.role == "measure")


def _same_situation_other_help(a: Statement, b: Statement) -> bool:
    """Both send the reader for help (a list item counts with its lead-in: "Go to A&E if you:"),
    and they name the same symptom: where one says "see your GP" and the other "call 999"."""
    facts_a, facts_b = facts_of(a.judged_text), facts_of(b.judged_text)
    if not facts_a.escalations or not facts_b.escalations:
        return False
    levels_a = {e.level for e in facts_a.escalations}
    levels_b = {e.level for e in facts_b.escalations}
    return levels_a != levels_b and len((facts_a.stems & facts_b.stems) - GENERIC) >= 2


def _rescore(statement: Statement, sources: list[Statement], similarities: np.ndarray,
             settings: Settings) -> list[tuple[Statement, float]]:
    """Embedding similarity, lifted where rapidfuzz sees near-identical wording."""
    scored = []
    for source, similarity in zip(sources, similarities.tolist()):
        ratio = fuzz.token_set_ratio(statement.text, source.text)
        if ratio >= settings.fuzzy_floor:
            similarity = max(similarity, ratio / 100.0 * 0.95)
        scored.append((source, float(similarity)))
    scored.sort(key=lambda item: item[1], reverse=True)
    return scored


def align_uncovered(documents: Sequence[Statement], vectors: np.ndarray, alignments: dict[int, Alignment],
                    settings: Settings, targets: set[str] | None) -> dict[int, float]:
    """Document-to-document candidates among statements no protocol covers, in other documents.

    Returns each target uncovered statement's admission threshold: the similarity of its
    ``top_k + 1``-th nearest uncovered statement, or the floor when fewer are above it. Another
    statement can enter its nearest set only at or above that threshold, which is how the
    nightly batch tells which unchanged documents a change can reach."""
    uncovered = [i for i, s in enumerate(documents) if not _is_covered(i, alignments)]
    wanted = [i for i in uncovered if targets is None or documents[i].path in targets]
    floor = document_neighbour_floor(settings)
    if len(uncovered) < 2:
        return {index: floor for index in wanted}
    k = settings.top_k + 1
    thresholds: dict[int, float] = {}
    neighbours = _neighbours_above(vectors[wanted], vectors[uncovered], k, floor)
    for index, (picks, similarities) in zip(wanted, neighbours):
        statement = documents[index]
        thresholds[index] = float(similarities[k - 1]) if len(picks) == k else floor
        for pick, similarity in zip(picks.tolist(), similarities.tolist()):
            other = documents[uncovered[pick]]
            if (other.path == statement.path
                    or _is_scope_line(other) or not compatible(statement, other)):
                continue
            if similarity < settings.document_similarity_floor and not shares_key_terms(statement, other):
                continue
            alignments[index].candidates.append(Candidate(other, float(similarity)))
    return thresholds


def document_neighbour_floor(settings: Settings) -> float:
    """The lowest similarity at which two documents' uncovered statements are neighbours: the
    document floor, or the lexical one for pairs where one forbids what the other names."""
    return min(settings.document_similarity_floor, settings.document_lexical_floor)


_PROPER_NAME = re.compile(r"\b[A-Z][a-z]+(?:'s)?\b")


def shares_topic(statement: Statement, source: Statement) -> bool:
    """Whether two statements share a content word that is not a proper name (and not at the start
    of a sentence): "Harbourside Infirmary, Quay Street" shares only a name with a policy of that
    hospital, so it does not cover it."""
    def topic_words(text: str) -> frozenset[str]:
        names = {match.group(0).lower().removesuffix("'s") for match in _PROPER_NAME.finditer(text) if match.start()}
        facts = facts_of(text)
        drugs = {d.generic or next(iter(sorted(d.classes)), "") for d in facts.drugs}
        return (facts.stems - {stem(name) for name in names}) | drugs

    return bool(topic_words(statement.text) & topic_words(source.text))


def _neighbours_above(queries: np.ndarray, pool: np.ndarray, k: int, floor: float
                      ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each query's k nearest pool rows among those at or above ``floor``, best first (equal
    similarities by position), with their similarities.

    Exact on purpose: a query's neighbours then depend only on the rows near it, which is what
    lets the nightly batch re-check just the documents near a change and still match a full run.
    Rows below the floor are never candidates, so only the few above it are ranked; memory per
    step is one block of similarities, whatever the pool's size."""
    for offset in range(0, len(queries), _NEIGHBOUR_BLOCK):
        scores = similarities(queries[offset:offset + _NEIGHBOUR_BLOCK], pool)
        rows, columns = np.nonzero(scores >= floor)
        values = scores[rows, columns]
        order = np.lexsort((columns, -values, rows))
        rows, columns, values = rows[order], columns[order], values[order]
        starts = np.searchsorted(rows, np.arange(len(scores) + 1))
        for row in range(len(scores)):
            picks = slice(starts[row], min(starts[row] + k, starts[row + 1]))
            yield columns[picks], values[picks]


def _is_covered(index: int, alignments: dict[int, Alignment]) -> bool:
    alignment = alignments.get(index)
    return alignment is not None and alignment.covered
