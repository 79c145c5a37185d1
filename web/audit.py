"""The audit log: every upload and review action, and what checks did to findings."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db import get_session
from web.models import AuditEntry, User


def record(user: User | None, action: str, target_type: str, target_id: int | None, detail: str = "",
           session: Session | None = None) -> AuditEntry:
    """Add an entry to ``session`` (the request's by default); the caller commits."""
    entry = AuditEntry(user_id=user.id if user is not None else None, action=action,
                       target_type=target_type, target_id=target_id, detail=detail)
    (session or get_session()).add(entry)
    return entry


def history(session: Session, target_type: str, target_id: int) -> list[AuditEntry]:
    """Entries about one target, oldest first."""
    query = (select(AuditEntry).where(AuditEntry.target_type == target_type, AuditEntry.target_id == target_id)
             .order_by(AuditEntry.created_at, AuditEntry.id))
    return list(session.scalars(query))
