"""Checking stored statements with the engine and syncing findings by fingerprint.

The contract used by uploads here and by the nightly batch::

    run = start_run(session, "nightly")
    counts = run_check(session, engine, run, document_ids=None)   # None: everything
    finish_run(run, counts); session.commit()

``run_check`` never re-reads files: it uses the statements stored at upload time (current
version of every protocol and document). Finding sync rules:

* a fingerprint never seen before is inserted with status ``open``;
* a known fingerprint gets ``last_seen_run`` and its fresh texts/spans/score, but its reviewer
  status, reason and comments are kept (a dismissed finding stays dismissed);
* a finding in scope whose fingerprint no longer occurs becomes ``resolved`` with
  ``resolved_by_run`` (and ``resolved_by_version`` when a re-upload caused it);
* a finding a check had resolved that occurs again is reopened (``open``, audit entry), unless
  a reviewer had confirmed or dismissed it: that decision belongs to the clash, so it comes back
  with it ("reappeared in version N", audit entry) and nobody triages it twice.
  A finding a reviewer resolved by hand stays resolved while it still occurs; once a check
  no longer sees it, it counts as check-resolved, so a later reappearance reopens it.

"In scope" is every finding for ``document_ids=None``, otherwise the findings on those
documents and on their partners (documents with a live finding against one of them); the
engine is asked only about those via ``only_paths``. A document-to-document clash is stored
once: reported the other way round, it is matched to the stored finding.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Protocol as TypingProtocol, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Finding as EngineFinding, Statement
from web.audit import record
from web.models import (CheckRun, Department, Document, DocumentVersion, Finding, Protocol, ProtocolVersion,
                        StoredStatement, User, utcnow)

log = logging.getLogger(__name__)


class CheckEngine(TypingProtocol):
    """What ``run_check`` needs of ``checker.engine.Engine``."""

    def check(self, protocols: Sequence[Statement], documents: Sequence[Statement],
              only_paths: Iterable[str] | None = None) -> Any: ...


@dataclass
class RunCounts:
    """What one check did; ``errors`` maps a document path to a message."""

    documents_checked: int = 0
    statements_checked: int = 0
    embeddings_computed: int = 0
    embeddings_reused: int = 0
    pairs_judged: int = 0
    findings_new: int = 0
    findings_unchanged: int = 0
    findings_resolved: int = 0
    findings_reopened: int = 0
    errors: dict[str, str] = field(default_factory=dict)


# --- runs -------------------------------------------------------------------------------------

def start_run(session: Session, kind: str, user: User | None = None, stale_seconds: int = 6 * 3600) -> CheckRun:
    """A new ``running`` run owned by this process, added and flushed (so it has an id); runs
    orphaned by a crash are marked ``interrupted`` first."""
    from web.orphans import claim, sweep_orphaned_runs

    sweep_orphaned_runs(session, stale_seconds)
    run = CheckRun(kind=kind, status="running", started_at=utcnow(),
                   triggered_by_id=user.id if user is not None else None, errors={})
    claim(run)
    session.add(run)
    session.flush()
    return run


def finish_run(run: CheckRun, counts: RunCounts) -> None:
    """Copy ``counts`` onto ``run`` and mark it succeeded."""
    for name, value in asdict(counts).items():
        setattr(run, name, dict(value) if isinstance(value, dict) else value)
    run.status = "succeeded"
    run.finished_at = utcnow()


def fail_run(run: CheckRun, message: str) -> None:
    run.status = "failed"
    run.error = message
    run.finished_at = utcnow()


# --- loading stored statements ----------------------------------------------------------------

def _statement(stored: StoredStatement, path: str, role: str, department: str = "") -> Statement:
    return Statement(path=path, role=role, text=stored.text, start=stored.start, end=stored.end,
                     department=department, context=tuple(stored.context or ()), scope=stored.scope or "",
                     position=stored.position)


def load_protocols(session: Session) -> tuple[list[Statement], dict[str, Protocol]]:
    """Statements of every protocol's current version, and protocols by engine path (retired
    protocols are out of checks)."""
    protocols = session.scalars(select(Protocol).where(Protocol.retired_at.is_(None)).options(
        selectinload(Protocol.versions).selectinload(ProtocolVersion.statements))).all()
    statements: list[Statement] = []
    for protocol in protocols:
        if protocol.current is not None:
            path = protocol.engine_path
            statements += [_statement(s, path, ROLE_PROTOCOL) for s in protocol.current.statements]
    return statements, {protocol.engine_path: protocol for protocol in protocols}


def load_documents(session: Session) -> tuple[list[Statement], dict[str, Document]]:
    """Statements of every document's current version, and documents by engine path (retired
    documents, and those of retired departments, are out of checks)."""
    documents = session.scalars(select(Document).join(Department).where(
        Document.retired_at.is_(None), Department.retired_at.is_(None)).options(
        selectinload(Document.department),
        selectinload(Document.versions).selectinload(DocumentVersion.statements))).all()
    statements: list[Statement] = []
    for document in documents:
        if document.current is not None:
            path, slug = document.engine_path, document.department.slug
            statements += [_statement(s, path, ROLE_DOCUMENT, slug) for s in document.current.statements]
    return statements, {document.engine_path: document for document in documents}


# --- the check --------------------------------------------------------------------------------

def run_check(session: Session, engine: CheckEngine, run: CheckRun, document_ids: set[int] | None = None,
              resolved_by_version: DocumentVersion | None = None, release_during_check: bool = False) -> RunCounts:
    """Check the documents ``document_ids`` (``None``: all) against current protocols and the
    other documents, and sync findings (see the module docstring). Adds to ``session``; the
    caller commits and calls :func:`finish_run`. ``release_during_check`` (for callers with
    nothing uncommitted) ends the read transaction before the engine works, so no database
    connection is held for the seconds a check takes."""
    protocol_statements, protocols = load_protocols(session)
    document_statements, documents = load_documents(session)
    if document_ids is not None:
        document_ids = set(document_ids) | partner_documents(session, document_ids)
    in_scope = [d for d in documents.values() if document_ids is None or d.id in document_ids]
    only_paths = None if document_ids is None else {d.engine_path for d in in_scope}
    if release_during_check:
        _end_read_transaction(session)
    result = engine.check(protocol_statements, document_statements, only_paths=only_paths)
    counts = RunCounts(
        documents_checked=len(in_scope),
        statements_checked=sum(1 for s in document_statements if only_paths is None or s.path in only_paths),
        embeddings_computed=result.embeddings_computed, embeddings_reused=result.embeddings_reused,
        pairs_judged=result.pairs_judged)
    seen = _upsert_findings(session, run, result.findings, protocols, documents, counts, resolved_by_version)
    _resolve_missing(session, run, document_ids, seen, resolved_by_version, counts)
    session.flush()
    return counts


def _end_read_transaction(session: Session) -> None:
    """Give the connection back to the pool; loaded rows stay usable (not expired), so the sync
    afterwards does not re-read every protocol and document one by one."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release_during_check needs a session with nothing pending")
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def partner_documents(session: Session, document_ids: set[int]) -> set[int]:
    """Documents with a live finding against one of ``document_ids``: their findings may change
    when those documents change, so a scoped check re-checks them too."""
    if not document_ids:
        return set()
    return set(session.scalars(select(Finding.document_id).distinct().where(
        Finding.source_document_id.in_(document_ids), Finding.status != "resolved")))


def _upsert_findings(session: Session, run: CheckRun, found: Sequence[EngineFinding],
                     protocols: dict[str, Protocol], documents: dict[str, Document],
                     counts: RunCounts, version: DocumentVersion | None = None) -> set[str]:
    """Insert new findings, refresh known ones; returns the fingerprints seen (including those
    of stored findings that a reported document-to-document finding mirrors)."""
    latest: dict[str, EngineFinding] = {}
    for finding in found:
        latest.setdefault(finding.fingerprint, finding)
    stored = _by_fingerprint(session, latest)
    seen = set(latest)
    for fingerprint, finding in latest.items():
        values = _finding_values(finding, protocols, documents)
        if values is None:
            counts.errors[finding.statement.path] = "finding names a document that is not stored"
            continue
        row = stored.get(fingerprint)
        if row is None and values["source_document_id"] is not None:
            row = _mirrored(session, finding, values)
            if row is not None:  # same clash seen from the other document: keep the stored one
                seen.add(row.fingerprint)
                _seen_again(session, row, run, counts, version)
                continue
        if row is None:
            session.add(Finding(fingerprint=fingerprint, status="open", first_seen_run_id=run.id,
                                last_seen_run_id=run.id, **values))
            counts.findings_new += 1
            continue
        for name, value in values.items():
            setattr(row, name, value)
        _seen_again(session, row, run, counts, version)
    return seen


def _seen_again(session: Session, row: Finding, run: CheckRun, counts: RunCounts,
                version: DocumentVersion | None = None) -> None:
    # A document-to-document clash can be met from both of its documents in one run (mirrored):
    # it is one finding, counted the first time only.
    counted = row.last_seen_run_id == run.id
    row.last_seen_run_id = run.id
    if row.status == "resolved" and (row.resolved_by_run_id or row.resolved_by_version_id):
        _reopen(session, row, run, version)
        counts.findings_reopened += 1
    elif not counted:
        counts.findings_unchanged += 1


def _mirrored(session: Session, finding: EngineFinding, values: dict[str, Any]) -> Finding | None:
    """The stored finding for the same two document statements the other way round. The engine
    reports each pair once, in whichever direction it met first, so a check scoped to one
    document may see a stored clash mirrored."""
    return session.scalar(select(Finding).where(
        Finding.document_id == values["source_document_id"], Finding.source_document_id == values["document_id"],
        Finding.kind == finding.kind, Finding.statement_key == finding.source.key,
        Finding.source_text == finding.statement.text).limit(1))


def _by_fingerprint(session: Session, fingerprints: Iterable[str]) -> dict[str, Finding]:
    keys = list(fingerprints)
    rows: dict[str, Finding] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        rows.update((row.fingerprint, row) for row in session.scalars(
            select(Finding).where(Finding.fingerprint.in_(chunk))))
    return rows


def _finding_values(finding: EngineFinding, protocols: dict[str, Protocol],
                    documents: dict[str, Document]) -> dict[str, Any] | None:
    document = documents.get(finding.statement.path)
    source = finding.source
    source_protocol = protocols.get(source.path) if source.role == ROLE_PROTOCOL else None
    source_document = documents.get(source.path) if source.role != ROLE_PROTOCOL else None
    if document is None or (source_protocol is None and source_document is None):
        return None
    return dict(
        kind=finding.kind, severity=finding.severity, score=float(finding.score),
        explanation=finding.explanation, facts={str(k): str(v) for k, v in finding.facts},
        document_id=document.id, statement_text=finding.statement.text,
        statement_key=finding.statement.key, statement_start=finding.statement.start,
        statement_end=finding.statement.end,
        statement_highlights=[list(span) for span in finding.statement_spans],
        source_role=source.role, source_path=source.path,
        source_protocol_id=source_protocol.id if source_protocol else None,
        source_document_id=source_document.id if source_document else None,
        source_text=source.text, source_start=source.start, source_end=source.end,
        source_highlights=[list(span) for span in finding.source_spans])


def _reopen(session: Session, row: Finding, run: CheckRun, version: DocumentVersion | None = None) -> None:
    """A check-resolved finding occurs again: open, or back to the reviewer's standing decision."""
    where = f"version {version.number} of the document" if version is not None else f"check run #{run.id}"
    row.status = row.decision or "open"
    row.status_reason = row.decision_reason if row.decision else None
    row.status_changed_at = utcnow()
    row.status_changed_by_id = None
    row.resolved_by_run_id = None
    row.resolved_by_version_id = None
    if row.decision:
        kept = f"{row.decision}" + (f": {row.decision_reason}" if row.decision_reason else "")
        record(None, "reappear", "finding", row.id, f"reappeared in {where}; the earlier decision stands ({kept})",
               session=session)
    else:
        record(None, "reopen", "finding", row.id, f"occurs again in {where}", session=session)


def _resolve_missing(session: Session, run: CheckRun, document_ids: set[int] | None, seen: set[str],
                     version: DocumentVersion | None, counts: RunCounts) -> None:
    query = select(Finding).where(or_(Finding.status != "resolved",
                                      Finding.resolved_by_run_id.is_(None)))
    if document_ids is not None:
        query = query.where(Finding.document_id.in_(document_ids))
    for row in session.scalars(query):
        if row.fingerprint in seen:
            continue
        manual = row.status == "resolved"
        row.resolved_by_run_id = run.id
        row.resolved_by_version_id = version.id if version is not None else None
        if manual:
            continue
        row.status = "resolved"
        row.status_changed_at = utcnow()
        row.status_changed_by_id = None
        cause = f"version {version.number} of the document" if version is not None else f"check run #{run.id}"
        record(None, "resolve_auto", "finding", row.id, f"no longer occurs ({cause})", session=session)
        counts.findings_resolved += 1
