"""Which documents a change of the protocol set can reach.

A document's results depend on the protocols only through :func:`checker.align.align` and the
service directory (:mod:`checker.directory`):

- each statement's candidates, drawn from its pool of nearest protocol statements (boilerplate
  removed): they can differ only if a changed protocol statement is in the old or the new pool
  at a similarity (or wording) that could make it a candidate, or the unchanged pool members
  it pushes out or lets in could be candidates themselves;
- the file affinities that decide which protocols a document is "about": only the changed
  protocols' affinities move, and they matter only if one of them is or becomes the best, or
  crosses the margin below the best;
- the phone and opening-hours directory: only services and places that a changed protocol
  statement names.

A document none of these reaches gets exactly the alignments and directory findings it had, so
its stored results stand. (Its findings against an edited protocol still name that protocol's
old offsets: the caller re-checks those documents too.) Statements are compared by what the
engine reads of them (path, text, headings, scope), not their offsets.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
from rapidfuzz import fuzz

from checker.align import FUZZY_POOL, _file_vectors, _without_boilerplate, shares_key_terms
from checker.directory import directory_keys, same_service
from checker.records import Statement
from checker.settings import Settings

_BLOCK = 1024
_TIE = 1e-5  # similarities this close to a boundary count as reaching it


def _identity(statement: Statement) -> tuple[str, str, tuple[str, ...], str]:
    return statement.path, statement.text, tuple(statement.context), statement.scope


def _unmatched(items: Sequence[Statement], against: Sequence[Statement]) -> list[int]:
    """Indexes of ``items`` that ``against`` lacks, as multisets of identities."""
    remaining = Counter(_identity(s) for s in against)
    unmatched = []
    for index, statement in enumerate(items):
        key = _identity(statement)
        if remaining[key]:
            remaining[key] -= 1
        else:
            unmatched.append(index)
    return unmatched


def _changed(old: Sequence[Statement], new: Sequence[Statement]) -> tuple[list[int], list[int]]:
    """Indexes of the statements of ``old`` that ``new`` lacks, and of ``new`` that ``old`` lacks."""
    return _unmatched(old, new), _unmatched(new, old)


def _kept_order(statements: Sequence[Statement], changed: list[int]) -> list[tuple]:
    skip = set(changed)
    return [_identity(s) for i, s in enumerate(statements) if i not in skip]


def _top_common(similarities: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indexes and values of each row's ``size`` largest, best first, padded with -1/-inf."""
    rows, columns = similarities.shape
    index = np.full((rows, size), -1, dtype=int)
    value = np.full((rows, size), -np.inf, dtype=np.float64)
    k = min(size, columns)
    if k:
        part = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(similarities, part, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        index[:, :k] = np.take_along_axis(part, order, axis=1)
        value[:, :k] = np.take_along_axis(values, order, axis=1)
    return index, value


def _in_pool(common_top: np.ndarray, changed: np.ndarray, size: int) -> np.ndarray:
    """Per row, which ``changed`` columns are among the ``size`` nearest of common + changed."""
    if changed.shape[1] == 0:
        return np.zeros(changed.shape, dtype=bool)
    union = np.concatenate([common_top, changed], axis=1)
    last = np.partition(union, -size, axis=1)[:, -size] if union.shape[1] >= size else np.full(len(union), -np.inf)
    return changed >= (last - _TIE)[:, None]


def _admissible(statement: Statement, sources: Sequence[Statement], similarities: Sequence[float],
                settings: Settings) -> bool:
    """Could any of these pool members pass ``checker.align``'s similarity test for ``statement``
    (its similarity, lifted by near-identical wording, at the similarity floor, or at the lexical
    floor with shared key terms)? The later tests (scope, relatedness) are left out: they only
    ever drop candidates."""
    for source, similarity in zip(sources, similarities):
        ratio = fuzz.token_set_ratio(statement.text, source.text)
        if ratio >= settings.fuzzy_floor:
            similarity = max(similarity, ratio / 100.0 * 0.95)
        if similarity >= settings.similarity_floor - _TIE:
            return True
        if similarity >= settings.lexical_floor - _TIE and shares_key_terms(statement, source):
            return True
    return False


def _candidates_reached(documents: Sequence[Statement], vectors: np.ndarray, common: Sequence[Statement],
                        common_vectors: np.ndarray, gone: Sequence[Statement], gone_vectors: np.ndarray,
                        added: Sequence[Statement], added_vectors: np.ndarray, settings: Settings) -> np.ndarray:
    """Per document statement: can its protocol candidates differ between the pools over
    common + gone (old) and common + added (new)? Only if a changed statement enters a pool at an
    admissible similarity, or the common members it pushes out (or lets in) are admissible."""
    size = max(settings.top_k, FUZZY_POOL)
    reached = np.zeros(len(documents), dtype=bool)
    if not gone and not added:
        return reached
    dimension = vectors.shape[1] if vectors.ndim == 2 else 0
    common_vectors = common_vectors.reshape(-1, dimension)
    gone_vectors, added_vectors = gone_vectors.reshape(-1, dimension), added_vectors.reshape(-1, dimension)
    for offset in range(0, len(documents), _BLOCK):
        block = vectors[offset:offset + _BLOCK]
        top_index, top_value = _top_common(block @ common_vectors.T, size)
        to_gone, to_added = block @ gone_vectors.T, block @ added_vectors.T
        gone_in, added_in = _in_pool(top_value, to_gone, size), _in_pool(top_value, to_added, size)
        for row in np.flatnonzero(gone_in.any(axis=1) | added_in.any(axis=1)).tolist():
            statement = documents[offset + row]
            g, a = np.flatnonzero(gone_in[row]), np.flatnonzero(added_in[row])
            if (_admissible(statement, [gone[j] for j in g], to_gone[row, g].tolist(), settings)
                    or _admissible(statement, [added[j] for j in a], to_added[row, a].tolist(), settings)):
                reached[offset + row] = True
                continue
            ranks = range(size - max(len(g), len(a)), size - min(len(g), len(a)))
            members = [r for r in ranks if top_index[row, r] >= 0]
            if _admissible(statement, [common[top_index[row, r]] for r in members],
                           [float(top_value[row, r]) for r in members], settings):
                reached[offset + row] = True
    return reached


def _affinity_moved(document: np.ndarray, old_files: dict[str, np.ndarray], new_files: dict[str, np.ndarray],
                    changed_paths: set[str], margin: float) -> bool:
    old = {path: float(vector @ document) for path, vector in old_files.items()}
    new = {path: float(vector @ document) for path, vector in new_files.items()}
    best_old, best_new = max(old.values(), default=0.0), max(new.values(), default=0.0)
    if abs(best_old - best_new) > _TIE:
        return True
    for path in changed_paths:
        for affinities, best in ((old, best_old), (new, best_new)):
            if path in affinities and abs(affinities[path] - (best - margin)) <= _TIE:
                return True
        related_old = path in old and old[path] >= best_old - margin
        related_new = path in new and new[path] >= best_new - margin
        if related_old != related_new:
            return True
    return False


def _directory_reached(statements: Sequence[Statement], services: set[str], places: set[str]) -> bool:
    if not (services or places):
        return False
    own_services, own_places = directory_keys(statements)
    if own_places & places:
        return True
    return any(same_service(a, b) for a in own_services for b in services)


def reached_by_protocol_change(old: Sequence[Statement], old_vectors: np.ndarray, new: Sequence[Statement],
                               new_vectors: np.ndarray, documents: Sequence[Statement],
                               document_vectors: np.ndarray, settings: Settings) -> set[str]:
    """Paths of the documents (among ``documents``) whose alignments or directory findings can
    differ between the protocol sets ``old`` and ``new``. Vectors are unit rows, one per statement."""
    gone_all, added_all = _changed(old, new)
    services, places = directory_keys([old[i] for i in gone_all] + [new[i] for i in added_all])
    old_kept, old_kept_vectors = _without_boilerplate(old, old_vectors)
    new_kept, new_kept_vectors = _without_boilerplate(new, new_vectors)
    gone, added = _changed(old_kept, new_kept)
    if _kept_order(old_kept, gone) != _kept_order(new_kept, added):
        return {statement.path for statement in documents}  # statements moved: ties may break otherwise
    changed_paths = {old_kept[i].path for i in gone} | {new_kept[i].path for i in added}
    skip = set(gone)
    common = [i for i in range(len(old_kept)) if i not in skip]
    reached = _candidates_reached(documents, document_vectors, [old_kept[i] for i in common],
                                  old_kept_vectors[common], [old_kept[i] for i in gone], old_kept_vectors[gone],
                                  [new_kept[i] for i in added], new_kept_vectors[added], settings)
    paths = {documents[i].path for i in np.flatnonzero(reached).tolist()}
    if changed_paths:
        old_files = _file_vectors(old_kept, old_kept_vectors)
        new_files = _file_vectors(new_kept, new_kept_vectors)
        for path, vector in _file_vectors(documents, document_vectors).items():
            if path not in paths and _affinity_moved(vector, old_files, new_files, changed_paths,
                                                     settings.affinity_margin):
                paths.add(path)
    by_path: dict[str, list[Statement]] = {}
    for statement in documents:
        by_path.setdefault(statement.path, []).append(statement)
    for path, statements in by_path.items():
        if path not in paths and _directory_reached(statements, services, places):
            paths.add(path)
    return paths


__all__ = ["reached_by_protocol_change"]
