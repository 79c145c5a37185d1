"""Reading the database for the batch (Core queries; the plan reads statement keys only)."""
from __future__ import annotations

from typing import Optional, Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from checker.records import ROLE_PROTOCOL, Statement
from web.batch.base import _chunks
from web.batch.fingerprints import _sha
from web.models import Department, Document, DocumentVersion, Finding, Protocol, ProtocolVersion, StoredStatement


def _current_document_versions(session: Session) -> list[tuple[int, str, str, int]]:
    """(document id, engine path, department slug, current version id) of every document in checks
    (not retired, nor in a retired department)."""
    latest = (select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("number"))
              .group_by(DocumentVersion.document_id).subquery())
    rows = session.execute(
        select(Document.id, Document.filename, Department.slug, DocumentVersion.id)
        .join(Department, Department.id == Document.department_id)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .join(latest, and_(latest.c.document_id == DocumentVersion.document_id,
                           latest.c.number == DocumentVersion.number))
        .where(Document.retired_at.is_(None), Department.retired_at.is_(None))
        .order_by(Document.id))
    return [(doc_id, f"documents/{slug}/{filename}", slug, version_id)
            for doc_id, filename, slug, version_id in rows]


def _current_protocol_versions(session: Session) -> list[tuple[int, str, int]]:
    latest = (select(ProtocolVersion.protocol_id, func.max(ProtocolVersion.number).label("number"))
              .group_by(ProtocolVersion.protocol_id).subquery())
    rows = session.execute(
        select(Protocol.id, Protocol.filename, ProtocolVersion.id)
        .join(ProtocolVersion, ProtocolVersion.protocol_id == Protocol.id)
        .join(latest, and_(latest.c.protocol_id == ProtocolVersion.protocol_id,
                           latest.c.number == ProtocolVersion.number))
        .where(Protocol.retired_at.is_(None))
        .order_by(Protocol.id))
    return [(protocol_id, f"protocols/{filename}", version_id) for protocol_id, filename, version_id in rows]


def _protocol_versions_statements(session: Session, version_ids: Sequence[int]) -> Optional[list[Statement]]:
    """Statements of these protocol versions, in the order of the current set (by protocol);
    None when one of the versions no longer exists."""
    rows = session.execute(
        select(Protocol.id, Protocol.filename, ProtocolVersion.id)
        .join(ProtocolVersion, ProtocolVersion.protocol_id == Protocol.id)
        .where(ProtocolVersion.id.in_(list(version_ids))).order_by(Protocol.id)).all()
    if len(rows) != len(set(version_ids)):
        return None
    by_version = _statements_by_version(session, StoredStatement.protocol_version_id,
                                        {version_id: (f"protocols/{filename}", ROLE_PROTOCOL, "")
                                         for _, filename, version_id in rows})
    return [s for *_, version_id in rows for s in by_version[version_id]]


def _edited_protocols(session: Session, version_ids: set[int]) -> set[int]:
    if not version_ids:
        return set()
    return set(session.scalars(select(ProtocolVersion.protocol_id).where(ProtocolVersion.id.in_(list(version_ids)))))


def _documents_citing(session: Session, doc_ids: Sequence[int], protocol_ids: set[int]) -> set[int]:
    """Documents among ``doc_ids`` with a finding still occurring against one of ``protocol_ids``."""
    if not protocol_ids:
        return set()
    cited: set[int] = set()
    for chunk in _chunks(list(doc_ids), 500):
        cited.update(session.scalars(select(Finding.document_id).distinct().where(
            Finding.document_id.in_(chunk), Finding.source_protocol_id.in_(list(protocol_ids)),
            Finding.resolved_by_run_id.is_(None), Finding.resolved_by_version_id.is_(None))))
    return cited


def _keys_by_version(session: Session, column, version_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per version, in position order: the statement's text key, plus a hash of its headings and
    scope line when it has any (both decide which populations and topics it is about)."""
    keys: dict[int, list[str]] = {version_id: [] for version_id in version_ids}
    for chunk in _chunks(list(version_ids), 500):
        rows = session.execute(select(column, StoredStatement.text_key, StoredStatement.context,
                                      StoredStatement.scope)
                               .where(column.in_(chunk)).order_by(column, StoredStatement.position))
        for version_id, key, context, scope in rows:
            if context or scope:
                key = key + ":" + _sha(*(context or ()), "|", scope or "")[:16]
            keys[version_id].append(key)
    return keys


def _statements_by_version(session: Session, column, owners: dict[int, tuple[str, str, str]]) -> dict[int, list[Statement]]:
    """Full statements of the given versions: ``owners`` maps version id -> (path, role, department)."""
    result: dict[int, list[Statement]] = {version_id: [] for version_id in owners}
    for chunk in _chunks(list(owners), 500):
        rows = session.execute(
            select(column, StoredStatement.position, StoredStatement.text, StoredStatement.start,
                   StoredStatement.end, StoredStatement.context, StoredStatement.scope)
            .where(column.in_(chunk)).order_by(column, StoredStatement.position))
        for version_id, position, text, start, end, context, scope in rows:
            path, role, department = owners[version_id]
            result[version_id].append(Statement(
                path=path, role=role, text=text, start=start, end=end, department=department,
                context=tuple(context or ()), scope=scope or "", position=position))
    return result


def _protocol_statements(session: Session) -> list[Statement]:
    """Statements of every protocol's current version, by protocol."""
    protocol_rows = _current_protocol_versions(session)
    by_version = _statements_by_version(
        session, StoredStatement.protocol_version_id,
        {version_id: (path, ROLE_PROTOCOL, "") for _, path, version_id in protocol_rows})
    return [s for _, _, version_id in protocol_rows for s in by_version[version_id]]
