"""The plan: which documents a run must re-check, and why (cheap: statement keys only).

A document is due when its input fingerprint differs from the one its last check stored, or
when it is marked ``dirty`` because a document it is compared with changed. Documents only a
protocol change concerns are due when the change can reach them (:mod:`web.batch.reach`); the
others take the new fingerprint unchecked. Partners of a changed document are marked dirty and
committed before any checking, so an interrupted run's successor still knows them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from web.batch.base import DocumentInput, Plan, _chunks
from web.batch.fingerprints import content_fingerprint, input_fingerprint, protocol_set_fingerprint, settings_fingerprint
from web.batch.queries import _current_document_versions, _current_protocol_versions, _keys_by_version
from web.batch.reach import close_to_changed, protocol_reach
from web.batch_models import BatchDocumentState
from web.models import StoredStatement

if TYPE_CHECKING:
    from web.batch.run import NightlyBatch

#: Protocols changed, by the protocol versions the documents were last checked against.
Waiting = dict[tuple[int, ...], list[int]]

PARTNER_CHANGED = "a compared document changed"


def make_plan(batch: "NightlyBatch", session: Session) -> Plan:
    """Read the current versions, decide what is due, persist ``dirty`` marks and the documents a
    protocol change leaves alone (committed), and return the plan: changed documents first."""
    settings_fp = settings_fingerprint(batch.settings)
    documents, protocol_fp, protocol_versions = _document_inputs(session, settings_fp)
    states = {state.document_id: state for state in session.scalars(select(BatchDocumentState))}
    due, changed, waiting = _classify(documents, states, batch.force, settings_fp)
    reached = protocol_reach(batch, session, documents, waiting, protocol_versions) if waiting else set()
    for doc_id in reached:
        due[doc_id] = "a protocol it is compared with changed"
    settled = [doc_id for ids in waiting.values() for doc_id in ids if doc_id not in reached]
    # Documents whose document-to-document candidates a changed one may alter are due too
    # (a document a protocol change reaches may have gained or lost coverage).
    moved = changed | reached
    if moved and len(due) < len(documents):
        for partner in close_to_changed(batch, session, documents, moved, set(due), states):
            due[partner] = PARTNER_CHANGED
        settled = [doc_id for doc_id in settled if doc_id not in due]
    reasons: dict[str, int] = {}
    for why in due.values():
        reasons[why] = reasons.get(why, 0) + 1
    _save_plan(session, documents, due, settled, states, protocol_versions)
    # Changed documents first (what the user changed shows up first), then the rest, by id.
    order = sorted(due, key=lambda doc_id: (doc_id not in changed, doc_id))
    return Plan(documents, protocol_fp, settings_fp, order, changed, reasons,
                protocol_versions=protocol_versions)


def _document_inputs(session: Session, settings_fp: str) -> tuple[dict[int, DocumentInput], str, list[int]]:
    """Every document's current version with its fingerprints, the protocol set's fingerprint and
    its version ids (sorted)."""
    protocol_rows = _current_protocol_versions(session)
    protocol_keys = _keys_by_version(session, StoredStatement.protocol_version_id,
                                     [version_id for _, _, version_id in protocol_rows])
    protocol_fp = protocol_set_fingerprint({path: protocol_keys[version_id]
                                            for _, path, version_id in protocol_rows})
    document_rows = _current_document_versions(session)
    document_keys = _keys_by_version(session, StoredStatement.document_version_id,
                                     [version_id for *_, version_id in document_rows])
    documents: dict[int, DocumentInput] = {}
    for doc_id, path, slug, version_id in document_rows:
        keys = document_keys[version_id]
        item = DocumentInput(doc_id, path, slug, version_id, keys)
        item.content_fingerprint = content_fingerprint(path, keys)
        item.input_fingerprint = input_fingerprint(item.content_fingerprint, protocol_fp, settings_fp)
        documents[doc_id] = item
    return documents, protocol_fp, sorted(version_id for *_, version_id in protocol_rows)


def _classify(documents: dict[int, DocumentInput], states: dict[int, BatchDocumentState], force: bool,
              settings_fp: str) -> tuple[dict[int, str], set[int], Waiting]:
    """From fingerprints and marks alone: the documents due (with why), those due because their
    own input changed, and those only a protocol change concerns (``Waiting``, not due yet)."""
    due: dict[int, str] = {}
    changed: set[int] = set()
    waiting: Waiting = {}
    for doc_id, item in documents.items():
        state = states.get(doc_id)
        if force:
            why = "forced"
        elif state is None:
            why = "new"
        elif state.content_fingerprint != item.content_fingerprint:
            why = "changed"
        elif state.input_fingerprint != item.input_fingerprint:
            if (state.settings_fingerprint == settings_fp and state.protocol_versions is not None
                    and not state.dirty):
                waiting.setdefault(tuple(state.protocol_versions), []).append(doc_id)
                continue
            why = "protocols or settings changed"
        elif state.dirty:
            why = PARTNER_CHANGED
        else:
            continue
        due[doc_id] = why
        if why in ("new", "changed"):
            changed.add(doc_id)
    return due, changed, waiting


def _save_plan(session: Session, documents: dict[int, DocumentInput], due: dict[int, str], settled: list[int],
               states: dict[int, BatchDocumentState], protocol_versions: list[int]) -> None:
    """Persist "dirty" before checking anything: a run killed after re-checking a changed
    document must still leave its partners due for the next run."""
    partner_ids = [doc_id for doc_id, why in due.items() if why == PARTNER_CHANGED]
    if partner_ids:
        for chunk in _chunks(partner_ids, 500):
            session.execute(update(BatchDocumentState).where(
                BatchDocumentState.document_id.in_(chunk)).values(dirty=True))
    # A protocol change does not reach these: their stored results stand for the new set.
    for doc_id in settled:
        states[doc_id].input_fingerprint = documents[doc_id].input_fingerprint
        states[doc_id].protocol_versions = protocol_versions
    session.commit()
