"""Which unchanged documents a change can reach: a protocol change (``checker.reach``) or a
changed document near enough to alter their document-to-document candidates."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from sqlalchemy.orm import Session

from checker.align import document_neighbour_floor
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Statement
from web.batch.base import DocumentInput, _chunks, _path_groups, log
from web.batch.queries import (_documents_citing, _edited_protocols, _protocol_statements,
                               _protocol_versions_statements, _statements_by_version)
from web.batch_models import BatchDocumentState
from web.models import StoredStatement

if TYPE_CHECKING:
    from web.batch.run import NightlyBatch

_TIE_MARGIN = 1e-5

Owners = dict[int, tuple[str, str, str]]  # version id -> (path, role, department)


def protocol_reach(batch: "NightlyBatch", session: Session, documents: dict[int, DocumentInput],
                   waiting: dict[tuple[int, ...], list[int]], current: list[int]) -> set[int]:
    """Of the documents ``waiting`` (by the protocol versions they were last checked against),
    those a change to the current protocol versions can reach (``checker.reach``), and those
    with findings against an edited protocol (their spans name its old offsets)."""
    everyone = {doc_id for ids in waiting.values() for doc_id in ids}
    if not batch._split_engine():
        return everyone
    from checker.reach import reached_by_protocol_change

    new = _protocol_statements(session)
    new_vectors = batch.checker.embed(new)
    reached: set[int] = set()
    for old_ids, doc_ids in waiting.items():
        old = _protocol_versions_statements(session, old_ids)
        if old is None:  # a version it was checked against is gone: check it in full
            reached.update(doc_ids)
            continue
        items = [documents[doc_id] for doc_id in doc_ids]
        by_version = _statements_by_version(session, StoredStatement.document_version_id,
                                            {i.version_id: (i.path, ROLE_DOCUMENT, i.department) for i in items})
        statements = [s for i in items for s in by_version[i.version_id]]
        paths = reached_by_protocol_change(old, batch.checker.embed(old), new, new_vectors, statements,
                                           batch.checker.embed(statements), batch.settings)
        edited = _edited_protocols(session, set(old_ids) ^ set(current))
        cited = _documents_citing(session, doc_ids, edited)
        reached.update(d for d in doc_ids if documents[d].path in paths or d in cited)
    log.info("run #%s: a protocol change reaches %d of %d documents", batch.run_id, len(reached), len(everyone))
    return reached


def close_to_changed(batch: "NightlyBatch", session: Session, documents: dict[int, DocumentInput],
                     changed: set[int], already: set[int], states: dict[int, BatchDocumentState]) -> set[int]:
    """Documents not yet due whose results a change of the ``changed`` documents may alter.

    Document-to-document candidates come only from statements no protocol covers: for each
    such statement, the ``top_k + 1`` nearest uncovered statements of the whole corpus, kept
    when at or above ``document_neighbour_floor`` (``checker.align``). So an unchanged
    document E is affected only if one of its uncovered statements lies at or above both the
    floor and its own admission threshold (the similarity of its ``top_k + 1``-th nearest,
    stored by the last check) from an uncovered statement of a changed document, before or
    after the change: only then can the nearest set change. E's uncovered statements and
    thresholds stay valid while E and the protocols are unchanged (E is due otherwise), and
    coverage of a changed document depends only on it and the protocols."""
    candidates = [doc_id for doc_id in documents if doc_id not in already]
    if not candidates:
        return set()
    new_statements, old_statements = _changed_statements(session, documents, changed, states)
    if not batch._split_engine():  # an engine without embeddings: be conservative
        return set(candidates) if (new_statements or old_statements) else set()
    # The corpus-wide pool changes only by what differs between the old and new uncovered
    # statements (as a multiset): one that stayed, with the same headings, is the same entry.
    relevant = _multiset_difference(old_statements, uncovered_alone(batch, session, new_statements), documents)
    if not relevant:
        return set()
    others, thresholds = _stored_uncovered(session, documents, candidates, states)
    if not others:
        return set()
    relevant_vectors = batch.checker.embed(relevant)
    floor = document_neighbour_floor(batch.settings)
    paths = {documents[d].path: d for d in candidates}
    close: set[int] = set()
    for chunk in _chunks(others, 4096):
        best = (batch.checker.embed(chunk) @ relevant_vectors.T).max(axis=1)
        for statement, score in zip(chunk, best.tolist()):
            bar = max(floor, thresholds[(statement.path, statement.position)]) - _TIE_MARGIN
            if score >= bar:
                close.add(paths[statement.path])
    log.info("run #%s: %d changed document(s) have %d uncovered statements (before or after the change); "
             "%d other document(s) have uncovered statements near enough to be affected",
             batch.run_id, len(changed), len(relevant), len(close))
    return close


def _changed_statements(session: Session, documents: dict[int, DocumentInput], changed: set[int],
                        states: dict[int, BatchDocumentState]) -> tuple[list[Statement], list[Statement]]:
    """The changed documents' statements now, and the uncovered statements of their (and of
    deleted documents') last checked versions, with the placeholder path ``#old/<document id>``."""
    owners = {documents[d].version_id: (documents[d].path, ROLE_DOCUMENT, documents[d].department)
              for d in changed}
    new_statements = [s for statements in _statements_by_version(
        session, StoredStatement.document_version_id, owners).values() for s in statements]
    old_owners: Owners = {}
    old_positions: dict[int, set[int]] = {}
    for doc_id, state in states.items():
        if (doc_id in changed or doc_id not in documents) and state.version_id:
            old_department = state.path.split("/")[1] if state.path.count("/") >= 2 else ""
            old_owners[state.version_id] = (f"#old/{doc_id}", ROLE_DOCUMENT, old_department)
            old_positions[state.version_id] = {int(entry[0]) for entry in state.uncovered or ()}
    old_statements = [s for version_id, statements in _statements_by_version(
        session, StoredStatement.document_version_id, old_owners).items()
        for s in statements if s.position in old_positions[version_id]]
    return new_statements, old_statements


def _stored_uncovered(session: Session, documents: dict[int, DocumentInput], candidates: list[int],
                      states: dict[int, BatchDocumentState]
                      ) -> tuple[list[Statement], dict[tuple[str, int], float]]:
    """The candidates' uncovered statements as their last check stored them, and each one's
    admission threshold by (path, position)."""
    thresholds: dict[tuple[str, int], float] = {}
    owners: Owners = {}
    for doc_id in candidates:
        state = states.get(doc_id)
        item = documents[doc_id]
        if state is None or state.uncovered is None:
            continue
        for position, threshold in state.uncovered:
            thresholds[(item.path, int(position))] = float(threshold)
        if state.uncovered:
            owners[item.version_id] = (item.path, ROLE_DOCUMENT, item.department)
    others = [s for statements in _statements_by_version(
        session, StoredStatement.document_version_id, owners).values() for s in statements
        if (s.path, s.position) in thresholds]
    return others, thresholds


def uncovered_alone(batch: "NightlyBatch", session: Session, statements: list[Statement]) -> list[Statement]:
    """Which of these statements no protocol covers (depends only on their own documents); their
    protocol alignments are kept in ``batch._aligned_by_plan`` for the check to reuse."""
    if not statements:
        return []
    protocols = _protocol_statements(session)
    if not protocols:
        return statements
    align = _align_function()
    uncovered: list[Statement] = []
    for group in _path_groups(statements, batch.chunk_statements):
        alignments = align(protocols, batch.checker.embed(protocols), group, batch.checker.embed(group),
                           batch.settings, None)
        uncovered += [a.statement for a in alignments if not a.covered]
        for alignment in alignments:
            alignment.candidates = [c for c in alignment.candidates if c.source.role == ROLE_PROTOCOL]
            batch._aligned_by_plan[(alignment.statement.path, alignment.statement.position)] = alignment
    return uncovered


def _multiset_difference(old: list[Statement], new: list[Statement], documents: dict[int, DocumentInput]
                         ) -> list[Statement]:
    """Statements in ``old`` or ``new`` but not both, compared by wording, headings, scope and
    department (old statements carry the placeholder path ``#old/<document id>``)."""
    paths = {item.path: item.id for item in documents.values()}

    def identity(statement: Statement) -> tuple:
        owner = int(statement.path.split("/", 1)[1]) if statement.path.startswith("#old/") else paths.get(statement.path)
        return (owner, statement.department, statement.key, statement.context, statement.scope)

    remaining: dict[tuple, list[Statement]] = {}
    for statement in old:
        remaining.setdefault(identity(statement), []).append(statement)
    result: list[Statement] = []
    for statement in new:
        twins = remaining.get(identity(statement))
        if twins:
            twins.pop()
        else:
            result.append(statement)
    result += [statement for twins in remaining.values() for statement in twins]
    return result


def _align_function() -> Optional[Callable[..., list[Any]]]:
    try:
        from checker.align import align
    except ImportError:  # pragma: no cover - an engine without the alignment module
        return None
    return align
