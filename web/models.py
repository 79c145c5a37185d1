"""Database models of the web app (SQLAlchemy 2.0 typed declarative mapping).

The schema itself is created only by the Alembic migrations in ``web/migrations``; keep the
two in step (``tests/web/test_migrations.py`` compares them).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, String, Text, UniqueConstraint, true)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "quality_officer", "department_lead")
ROLE_LABELS = {"admin": "Administrator", "quality_officer": "Quality officer",
               "department_lead": "Department lead"}
FINDING_STATUSES = ("open", "confirmed", "dismissed", "resolved")
RUN_KINDS = ("upload", "nightly", "manual")
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "interrupted")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware current time (UTC)."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


Stamp = DateTime(timezone=True)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    # retired: kept with its history, its documents out of every check (web.retiring)
    retired_at: Mapped[Optional[datetime]] = mapped_column(Stamp)

    documents: Mapped[list["Document"]] = relationship(back_populates="department")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    api_token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    # Bumped on logout and password change: a session cookie carrying an older number is refused.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    # the e-mail digest (web.digest): where it goes, whether the user wants it, when the last one went
    email: Mapped[Optional[str]] = mapped_column(String(254))
    wants_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_sent_at: Mapped[Optional[datetime]] = mapped_column(Stamp)

    department: Mapped[Optional[Department]] = relationship()

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class Document(Base):
    """A department's patient document; ``filename`` (first upload's name) fixes its engine path."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("department_id", "filename", name="uq_documents_department_filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    retired_at: Mapped[Optional[datetime]] = mapped_column(Stamp)

    department: Mapped[Department] = relationship(back_populates="documents")
    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document", order_by="DocumentVersion.number")

    @property
    def engine_path(self) -> str:
        return f"documents/{self.department.slug}/{self.filename}"

    @property
    def current(self) -> Optional["DocumentVersion"]:
        return self.versions[-1] if self.versions else None

    @property
    def in_checks(self) -> bool:
        """Neither the document nor its department is retired."""
        return self.retired_at is None and self.department.retired_at is None


class DocumentVersion(Base):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[Optional[User]] = relationship()
    statements: Mapped[list["StoredStatement"]] = relationship(
        order_by="StoredStatement.position", foreign_keys="StoredStatement.document_version_id")


class Protocol(Base):
    __tablename__ = "protocols"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    retired_at: Mapped[Optional[datetime]] = mapped_column(Stamp)

    versions: Mapped[list["ProtocolVersion"]] = relationship(
        back_populates="protocol", order_by="ProtocolVersion.number")

    @property
    def engine_path(self) -> str:
        return f"protocols/{self.filename}"

    @property
    def current(self) -> Optional["ProtocolVersion"]:
        return self.versions[-1] if self.versions else None


class ProtocolVersion(Base):
    __tablename__ = "protocol_versions"
    __table_args__ = (UniqueConstraint("protocol_id", "number", name="uq_protocol_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocols.id"))
    number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)

    protocol: Mapped[Protocol] = relationship(back_populates="versions")
    uploaded_by: Mapped[Optional[User]] = relationship()
    statements: Mapped[list["StoredStatement"]] = relationship(
        order_by="StoredStatement.position", foreign_keys="StoredStatement.protocol_version_id")


class StoredStatement(Base):
    """A statement of one document or protocol version, as the engine read it at upload time."""

    __tablename__ = "statements"
    __table_args__ = (CheckConstraint(
        "(document_version_id IS NULL) <> (protocol_version_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_version_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("document_versions.id"), index=True)
    protocol_version_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("protocol_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column("start_offset", Integer)
    end: Mapped[int] = mapped_column("end_offset", Integer)
    context: Mapped[list[Any]] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(Text, default="")
    text_key: Mapped[str] = mapped_column(String(64), index=True)


class CheckRun(Base):
    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    started_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    triggered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    documents_checked: Mapped[int] = mapped_column(Integer, default=0)
    statements_checked: Mapped[int] = mapped_column(Integer, default=0)
    embeddings_computed: Mapped[int] = mapped_column(Integer, default=0)
    embeddings_reused: Mapped[int] = mapped_column(Integer, default=0)
    pairs_judged: Mapped[int] = mapped_column(Integer, default=0)
    findings_new: Mapped[int] = mapped_column(Integer, default=0)
    findings_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    findings_resolved: Mapped[int] = mapped_column(Integer, default=0)
    findings_reopened: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[Optional[str]] = mapped_column(Text)
    # the process doing the run: when it is gone, the run is orphaned (see web.orphans)
    owner_pid: Mapped[Optional[int]] = mapped_column(Integer)
    owner_host: Mapped[Optional[str]] = mapped_column(String(255))
    owner_started: Mapped[Optional[str]] = mapped_column(String(32))
    # while it runs, the owner refreshes heartbeat_at every heartbeat_seconds (web.locks.DatabaseLock's
    # keep-alive): another host counts it as dead after HEARTBEAT_MISSES intervals without one
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    heartbeat_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    # a check done by a worker of the task queue (web.jobs): what it checks (document ids, None:
    # everything), the upload whose version it resolves findings with, when it was queued and last
    # handed to the queue, and how many times a worker started it
    scope: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    resolves_version_id: Mapped[Optional[int]] = mapped_column(ForeignKey("document_versions.id"))
    queued_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    enqueued_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    triggered_by: Mapped[Optional[User]] = relationship()

    @property
    def pending(self) -> bool:
        """Queued or running: its findings are still to come."""
        return self.status in ("queued", "running")


class Finding(Base):
    """A contradiction, identified across runs by the engine's stable ``fingerprint``."""

    __tablename__ = "findings"
    __table_args__ = (CheckConstraint(f"status IN {FINDING_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(32), index=True)
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    statement_text: Mapped[str] = mapped_column(Text)
    statement_key: Mapped[str] = mapped_column(String(64))
    statement_start: Mapped[int] = mapped_column(Integer)
    statement_end: Mapped[int] = mapped_column(Integer)
    statement_highlights: Mapped[list[Any]] = mapped_column(default=list)
    source_role: Mapped[str] = mapped_column(String(16))
    source_path: Mapped[str] = mapped_column(String(600))
    source_protocol_id: Mapped[Optional[int]] = mapped_column(ForeignKey("protocols.id"), index=True)
    source_document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"), index=True)
    source_text: Mapped[str] = mapped_column(Text)
    source_start: Mapped[int] = mapped_column(Integer)
    source_end: Mapped[int] = mapped_column(Integer)
    source_highlights: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    status_reason: Mapped[Optional[str]] = mapped_column(Text)
    status_changed_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    status_changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # the reviewer's standing decision (confirmed / dismissed) and its reason: kept when a check
    # resolves the finding, restored when the same clash comes back
    decision: Mapped[Optional[str]] = mapped_column(String(16))
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    first_seen_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("check_runs.id"))
    last_seen_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("check_runs.id"))
    resolved_by_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("check_runs.id"))
    resolved_by_version_id: Mapped[Optional[int]] = mapped_column(ForeignKey("document_versions.id"))
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship(foreign_keys=[document_id])
    assignee: Mapped[Optional[User]] = relationship(foreign_keys=[assignee_id])
    source_protocol: Mapped[Optional[Protocol]] = relationship()
    source_document: Mapped[Optional[Document]] = relationship(foreign_keys=[source_document_id])
    status_changed_by: Mapped[Optional[User]] = relationship(foreign_keys=[status_changed_by_id])
    first_seen_run: Mapped[Optional[CheckRun]] = relationship(foreign_keys=[first_seen_run_id])
    last_seen_run: Mapped[Optional[CheckRun]] = relationship(foreign_keys=[last_seen_run_id])
    resolved_by_run: Mapped[Optional[CheckRun]] = relationship(foreign_keys=[resolved_by_run_id])
    resolved_by_version: Mapped[Optional[DocumentVersion]] = relationship()
    comments: Mapped[list["Comment"]] = relationship(order_by="Comment.created_at", back_populates="finding")


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="comments")
    user: Mapped[Optional[User]] = relationship()


class LoginFailure(Base):
    """One failed login, kept for the lockout window (``web.login_limit``); the password never is."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow, index=True)


class AuditEntry(Base):
    """Who did what to which target, and when. ``user_id`` is empty for the system (checks)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[Optional[int]] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow, index=True)

    user: Mapped[Optional[User]] = relationship()
