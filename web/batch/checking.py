"""Checking the due documents in chunks, one transaction per chunk, and accounting for the rest.

Each chunk's findings are synced by ``web.checking`` (new -> open, known -> kept with reviewer
decisions, gone -> resolved naming this run) together with the documents' new input
fingerprints, so a kill at any point leaves whole chunks done and the rest still due."""
from __future__ import annotations

import os
import sys
import time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, DocumentError, Statement
from web.batch.base import (PAUSE_AFTER_ENV, PAUSE_SECONDS_ENV, BatchInterrupted, BatchOutcome, Context,
                            DocumentInput, Plan, _chunks, log)
from web.batch.embedding import align_due, embed_all
from web.batch.queries import _current_protocol_versions, _statements_by_version
from web.batch.workers import _Judges
from web.batch_models import BatchDocumentState
from web.checking import RunCounts, _resolve_missing, _upsert_findings
from web.locks import LockLost
from web.models import CheckRun, DocumentVersion, Finding, StoredStatement, utcnow

if TYPE_CHECKING:
    from web.batch.run import NightlyBatch

Judged = Optional[dict[str, list[Any]]]  # a chunk's findings by path, judged by a worker


def load_context(batch: "NightlyBatch", session: Session, plan: Plan) -> Context:
    """Statements of every current version (due documents stored without any are read again)."""
    protocol_rows = _current_protocol_versions(session)
    protocol_statements = _statements_by_version(
        session, StoredStatement.protocol_version_id,
        {version_id: (path, ROLE_PROTOCOL, "") for _, path, version_id in protocol_rows})
    protocols = [s for _, _, version_id in protocol_rows for s in protocol_statements[version_id]]
    protocol_ids = {path: SimpleNamespace(id=protocol_id) for protocol_id, path, _ in protocol_rows}
    items = sorted(plan.documents.values(), key=lambda item: item.path)
    by_version = _statements_by_version(session, StoredStatement.document_version_id,
                                        {i.version_id: (i.path, ROLE_DOCUMENT, i.department) for i in items})
    due = set(plan.due)
    for item in items:
        if not by_version[item.version_id] and item.id in due:
            by_version[item.version_id] = _reread(batch, session, item, plan)
    documents = [s for item in items for s in by_version[item.version_id]]
    document_ids = {item.path: SimpleNamespace(id=item.id) for item in items}
    counts = {item.path: len(by_version[item.version_id]) for item in items}
    return Context(protocols, protocol_ids, documents, document_ids, counts)


def _reread(batch: "NightlyBatch", session: Session, item: DocumentInput, plan: Plan) -> list[Statement]:
    """A version stored without statements: read its file again (or record why not)."""
    version = session.get(DocumentVersion, item.version_id)
    try:
        return batch.checker.read(item.path, version.content, ROLE_DOCUMENT, item.department)
    except DocumentError as error:
        plan.unreadable[item.id] = error.reason
    except Exception as error:  # a reader crash on one file must not stop the batch
        plan.unreadable[item.id] = f"{type(error).__name__}: {error}"
    return []


def check_due(batch: "NightlyBatch", plan: Plan, outcome: BatchOutcome) -> None:
    """Embed (and align), then check the due documents chunk by chunk, judged ahead in workers."""
    with batch.sessions() as session:
        context = load_context(batch, session, plan)
        states = {state.document_id: state for state in session.scalars(select(BatchDocumentState))}
    for doc_id, reason in plan.unreadable.items():
        outcome.errors[plan.documents[doc_id].path] = reason
        log.warning("run #%s: %s is unreadable (reason in the run's errors)", batch.run_id,
                    plan.documents[doc_id].path)
    due = [d for d in plan.due if d not in plan.unreadable]
    split = batch._split_engine()
    if split:
        align_due(batch, context, {plan.documents[d].path for d in due}, states, plan, outcome)
    else:
        embed_all(batch, context.protocols, context.documents, outcome)
    chunks = list(_chunk_documents(batch, due, plan, context.counts))
    bar = batch._bar(outcome.statements_total, "checking")
    pause_after = int(os.environ.get(PAUSE_AFTER_ENV, "0") or 0)
    started = time.perf_counter()
    with _Judges(batch, context, chunks, plan, enabled=split) as judged:
        for chunk in chunks:
            batch._check_stop()
            check_chunk(batch, chunk, plan, context, outcome, judged.next(chunk))
            bar(sum(context.counts.get(plan.documents[d].path, 0) for d in chunk))
            if pause_after and outcome.documents_checked >= pause_after:
                pause_after = 0
                _pause(batch, outcome)
    bar(None)
    log.info("run #%s judged and stored %d documents in %.1f s (%d worker process(es))", batch.run_id,
             outcome.documents_checked, time.perf_counter() - started, judged.processes)


def _pause(batch: "NightlyBatch", outcome: BatchOutcome) -> None:
    """The test hook (``PAUSE_AFTER_ENV``): say so on stderr and sleep ``PAUSE_SECONDS_ENV``."""
    seconds = float(os.environ.get(PAUSE_SECONDS_ENV, "3600"))
    log.warning("run #%s: test hook %s: pausing %.0f s after %d documents", batch.run_id,
                PAUSE_AFTER_ENV, seconds, outcome.documents_checked)
    print(f"PAUSED run={batch.run_id} documents={outcome.documents_checked}", file=sys.stderr,
          flush=True)
    time.sleep(seconds)


def _chunk_documents(batch: "NightlyBatch", due: list[int], plan: Plan, counts: dict[str, int]
                     ) -> Iterator[list[int]]:
    chunk: list[int] = []
    statements = 0
    for doc_id in due:
        chunk.append(doc_id)
        statements += counts.get(plan.documents[doc_id].path, 0)
        if statements >= batch.chunk_statements or len(chunk) >= batch.chunk_documents:
            yield chunk
            chunk, statements = [], 0
    if chunk:
        yield chunk


def check_chunk(batch: "NightlyBatch", chunk: list[int], plan: Plan, context: Context, outcome: BatchOutcome,
                judged: Judged = None) -> None:
    """Check a chunk in one transaction; if that fails, each document on its own, so one bad
    document is recorded as an error and the others still get their results."""
    try:
        _check_documents(batch, chunk, plan, context, outcome, judged)
        return
    except (BatchInterrupted, KeyboardInterrupt, LockLost):
        raise
    except Exception as error:
        if len(chunk) == 1:
            path = plan.documents[chunk[0]].path
            outcome.errors[path] = f"{type(error).__name__}: {error}"
            log.warning("run #%s: %s failed: %s (message in the run's errors)", batch.run_id, path,
                        type(error).__name__)
            batch._save_progress(outcome, "checking")
            return
        log.warning("run #%s: chunk of %d documents failed (%s); checking them one by one",
                    batch.run_id, len(chunk), type(error).__name__)
    for doc_id in chunk:
        check_chunk(batch, [doc_id], plan, context, outcome)


def _results(batch: "NightlyBatch", paths: dict[str, int], context: Context, judged: Judged = None
             ) -> tuple[list[Any], dict[str, list], int]:
    """Findings on the statements of ``paths``, and their alignments (by path)."""
    if batch._split_engine():
        judge = batch.checker.judge
        findings: list[Any] = []
        aligned = {path: context.aligned.get(path, []) for path in paths}
        for path in sorted(paths):
            # Judged per document: a clash between two documents is a finding on each of them,
            # whichever documents happen to share a chunk.
            own = (judged[path] if judged is not None and path in judged
                   else judge.judge_alignments(aligned[path], batch.settings.min_score))
            # Finished exactly as Engine.check finishes: plus the service directory's findings.
            findings += batch.checker.combine(own, context.service_index(), {path}, batch.settings.min_score)
        pairs = sum(len(a.candidates) for alignments in aligned.values() for a in alignments)
        return findings, aligned, pairs
    result = batch.checker.check(context.protocols, context.documents, only_paths=set(paths))
    aligned = {path: [] for path in paths}
    for alignment in getattr(result, "alignments", None) or ():
        if alignment.statement.path in aligned:
            aligned[alignment.statement.path].append(alignment)
    own = [f for f in result.findings if f.statement.path in paths]
    return own, aligned, result.pairs_judged


def _check_documents(batch: "NightlyBatch", chunk: list[int], plan: Plan, context: Context,
                     outcome: BatchOutcome, judged: Judged = None) -> None:
    paths = {plan.documents[d].path: d for d in chunk}
    own, aligned, pairs = _results(batch, paths, context, judged)
    counts = RunCounts()
    with batch.sessions() as session:
        run = session.get(CheckRun, batch.run_id)
        seen = _upsert_findings(session, run, own, context.protocol_ids, context.document_ids, counts)
        _resolve_missing(session, run, set(chunk), seen, None, counts)
        for path, doc_id in paths.items():
            session.add(_checked_state(session, batch.run_id, plan.documents[doc_id], aligned.get(path, []),
                                       context, plan))
        _add_counts(outcome, chunk, paths, context, pairs, counts)
        batch._copy_counts(run, outcome)
        batch._progress_row(session, outcome, "checking")
        batch.lock.fence(session)  # LockLost (nothing committed) when another run has taken over
        session.commit()
    batch.lock.heartbeat()
    log.debug("run #%s: checked %s", batch.run_id, ", ".join(sorted(paths)))


def _checked_state(session: Session, run_id: Optional[int], item: DocumentInput, alignments: list[Any],
                   context: Context, plan: Plan) -> BatchDocumentState:
    """The document's state as this run's check leaves it: fingerprints, partners, uncovered
    statements with their admission thresholds, not dirty."""
    doc_id, path = item.id, item.path
    state = session.get(BatchDocumentState, doc_id) or BatchDocumentState(document_id=doc_id)
    state.input_fingerprint = item.input_fingerprint
    state.content_fingerprint = item.content_fingerprint
    state.version_id = item.version_id
    state.path = path
    state.statements = context.counts.get(path, 0)
    state.partners = _partners(alignments, context.document_ids)
    state.uncovered = sorted(
        [a.statement.position, round(context.thresholds.get((path, a.statement.position), -2.0), 6)]
        for a in alignments if not getattr(a, "covered", True))
    state.dirty = False
    state.settings_fingerprint = plan.settings_fingerprint
    state.protocol_versions = plan.protocol_versions
    state.checked_run_id = run_id
    state.checked_at = utcnow()
    return state


def _add_counts(outcome: BatchOutcome, chunk: list[int], paths: dict[str, int], context: Context, pairs: int,
                counts: RunCounts) -> None:
    outcome.documents_checked += len(chunk)
    outcome.statements_checked += sum(context.counts.get(p, 0) for p in paths)
    outcome.pairs_judged += pairs
    outcome.findings_new += counts.findings_new
    outcome.findings_unchanged += counts.findings_unchanged
    outcome.findings_resolved += counts.findings_resolved
    outcome.findings_reopened += counts.findings_reopened
    for path, message in counts.errors.items():
        outcome.errors[path] = message


def touch_skipped(batch: "NightlyBatch", plan: Plan, outcome: BatchOutcome) -> None:
    """Findings of documents this run did not need to re-check still occur: say so."""
    due = set(plan.due)
    skipped = [doc_id for doc_id in plan.documents if doc_id not in due]
    if not skipped:
        return
    with batch.sessions() as session:
        for chunk in _chunks(skipped, 500):
            occurring = and_(Finding.document_id.in_(chunk), Finding.resolved_by_run_id.is_(None),
                             Finding.resolved_by_version_id.is_(None))
            # a clash with a re-checked document was met (and counted) by that document's check
            not_counted = or_(Finding.last_seen_run_id.is_(None), Finding.last_seen_run_id != batch.run_id)
            count = session.scalar(select(func.count()).select_from(Finding).where(
                occurring, not_counted)) or 0
            if count:
                session.execute(update(Finding).where(occurring).values(
                    last_seen_run_id=batch.run_id, updated_at=Finding.updated_at),
                    execution_options={"synchronize_session": False})
            outcome.findings_unchanged += count
        batch.lock.fence(session)
        session.commit()


def _partners(alignments: Iterable[Any], document_ids: dict[str, Any]) -> list[int]:
    """Ids of the other documents these alignments compared statements with."""
    partners: set[int] = set()
    for alignment in alignments:
        for candidate in getattr(alignment, "candidates", ()) or ():
            source = getattr(candidate, "source", None)
            if source is not None and source.role == ROLE_DOCUMENT and source.path != alignment.statement.path \
                    and source.path in document_ids:
                partners.add(document_ids[source.path].id)
    return sorted(partners)
