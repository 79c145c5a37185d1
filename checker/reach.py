"""Which documents a change of the protocol set can reach.

A document's results depend on the protocols only through :func:`checker.align.align` and the
service directory (:mod:`checker.directory`):

- each statement's candidate pool, its ``pool_size`` nearest protocol statements (boilerplate
  removed): a changed protocol statement can enter or leave it only if it is at least as
  similar as the pool's last member, under the old or the new protocols;
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

from checker.align import FUZZY_POOL, _file_vectors, _without_boilerplate
from checker.directory import directory_keys, same_service
from checker.records import Statement
from checker.settings import Settings

_BLOCK = 1024
_TIE = 1e-5  # similarities this close to a boundary count as reaching it


def _identity(statement: Statement) -> tuple[str, str, tuple[str, ...], str]:
    return statement.path, statement.text, tuple(statement.context), statement.scope


def _changed(old: Sequence[Statement], new: Sequence[Statement]) -> tuple[list[int], list[int]]:
    """Indexes of the statements of ``old`` that ``new`` lacks, and of ``new`` that ``old`` lacks
    (as multisets of identities)."""
    remaining = Counter(_identity(s) for s in new)
    gone = []
    for index, statement in enumerate(old):
        key = _identity(statement)
        if remaining[key]:
            remaining[key] -= 1
        else:
            gone.append(index)
    remaining = Counter(_identity(s) for s in old)
    added = []
    for index, statement in enumerate(new):
        key = _identity(statement)
        if remaining[key]:
            remaining[key] -= 1
        else:
            added.append(index)
    return gone, added


def _kept_order(statements: Sequence[Statement], changed: list[int]) -> list[tuple]:
    skip = set(changed)
    return [_identity(s) for i, s in enumerate(statements) if i not in skip]


def _pool_reached(queries: np.ndarray, protocols: np.ndarray, changed: list[int], size: int) -> np.ndarray:
    """Per query row: is one of the ``changed`` protocol rows among its ``size`` nearest?"""
    reached = np.zeros(len(queries), dtype=bool)
    if not changed:
        return reached
    if len(protocols) <= size:
        reached[:] = True
        return reached
    for offset in range(0, len(queries), _BLOCK):
        similarities = queries[offset:offset + _BLOCK] @ protocols.T
        last = np.partition(similarities, -size, axis=1)[:, -size]
        best_changed = similarities[:, changed].max(axis=1)
        reached[offset:offset + _BLOCK] = best_changed >= last - _TIE
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
    size = max(settings.top_k, FUZZY_POOL)
    reached = (_pool_reached(document_vectors, old_kept_vectors, gone, size)
               | _pool_reached(document_vectors, new_kept_vectors, added, size))
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
