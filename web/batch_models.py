"""Tables of the nightly batch: its lock, what it last checked for each document, run progress.

They live on ``web.models.Base`` (so Alembic sees them) and are created by the migration
``web/migrations/versions/b001_nightly_batch.py``. Only ``web.batch`` and ``web.locks`` write them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.models import Base, utcnow

Stamp = DateTime(timezone=True)


class BatchLock(Base):
    """A named lock held by one process: who (pid, host, a random token), since when, its last
    heartbeat and how often it beats. A crashed holder's row goes stale (dead pid on this host, or
    a heartbeat older than a few intervals) and is taken over by the next run (``web.locks``)."""

    __tablename__ = "batch_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    owner_pid: Mapped[int] = mapped_column(Integer)
    owner_host: Mapped[str] = mapped_column(String(255))
    owner_started: Mapped[Optional[str]] = mapped_column(String(32))
    run_id: Mapped[Optional[int]] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    # how often the holder refreshes heartbeat_at (None: only as its work goes, lock_stale_seconds applies)
    heartbeat_seconds: Mapped[Optional[int]] = mapped_column(Integer)


class BatchDocumentState(Base):
    """What the batch last checked for a document, written in the same transaction as the
    document's findings: the input fingerprint (its statements and path, the protocol set, the
    settings and model), the content fingerprint (statements and path only: tells a changed
    document from changed protocols), the documents it was compared with, the keys of its
    statements no protocol covers (the only ones other documents can be compared with), whether a
    partner's change has made its stored results stale (``dirty``), and the settings fingerprint and
    protocol versions it was checked against (to tell which documents a protocol change reaches)."""

    __tablename__ = "batch_document_states"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    input_fingerprint: Mapped[str] = mapped_column(String(64))
    content_fingerprint: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[Optional[int]] = mapped_column(ForeignKey("document_versions.id"))
    path: Mapped[str] = mapped_column(String(600), default="")
    statements: Mapped[int] = mapped_column(Integer, default=0)
    partners: Mapped[list[Any]] = mapped_column(default=list)
    uncovered: Mapped[Optional[list[Any]]] = mapped_column(JSON, default=list)
    dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    settings_fingerprint: Mapped[Optional[str]] = mapped_column(String(64))
    protocol_versions: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    checked_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("check_runs.id"))
    checked_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow)


class BatchRunProgress(Base):
    """Where a nightly run stands, for the runs page: phase (planned, embedding, checking,
    done, failed, interrupted), ``done`` of ``total`` statements in that phase, and the plan's
    document counts. Written every chunk; one row per nightly run."""

    __tablename__ = "batch_run_progress"

    run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(32), default="starting")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    documents_total: Mapped[int] = mapped_column(Integer, default=0)
    documents_due: Mapped[int] = mapped_column(Integer, default=0)
    statements_due: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
