"""Login lockout: too many wrong passwords for one account, or from one address, lock it out for a while.

Failures are rows in ``login_failures`` (username and address, never the password), so the limit
holds across every worker process and server. Within :data:`WINDOW`, :data:`LIMIT` failures for
an account or from an address refuse further tries (HTTP 429) until the oldest of them leaves the
window; a successful login clears the account's own failures. Refused tries are not counted, so
a locked-out attacker cannot keep the lock going for ever from one address.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from web.models import LoginFailure, utcnow

LIMIT = 10
WINDOW = timedelta(minutes=15)


def locked_for(session: Session, username: str, address: str) -> timedelta | None:
    """How long until this account and address may try again, or None when they may now."""
    since = utcnow() - WINDOW
    for column, value in ((LoginFailure.username, username.strip().lower()), (LoginFailure.address, address)):
        rows = select(func.count(LoginFailure.id), func.min(LoginFailure.created_at)).where(
            column == value, LoginFailure.created_at >= since)
        count, oldest = session.execute(rows).one()
        if count >= LIMIT:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=utcnow().tzinfo)
            return max(oldest + WINDOW - utcnow(), timedelta(seconds=1))
    return None


def record_failure(session: Session, username: str, address: str) -> None:
    session.add(LoginFailure(username=username.strip().lower()[:80], address=address[:64]))
    # old rows say nothing any more: keep the table small
    session.execute(delete(LoginFailure).where(LoginFailure.created_at < utcnow() - 2 * WINDOW))


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username.strip().lower()))
