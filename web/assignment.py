"""Assigning findings: to whom, by when; each change audited on the finding."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from web.audit import record
from web.auth import Permissions
from web.models import Finding, User
from web.views_support import parse_id

_LATEST_DUE = timedelta(days=5 * 366)
# the statuses of a finding someone still has to deal with (what "Assigned to me" counts)
TO_DEAL_WITH = ("open", "confirmed")


class AssignmentError(ValueError):
    """A form that names no such user, a user who may not see the finding, or a bad date."""


def assignable_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)))


def read_assignment(session: Session, form: Mapping[str, str]) -> tuple[User | None, date | None]:
    """The assignee (None: unassigned) and due date (None: no date) a form asks for."""
    raw_user, raw_due = (form.get("assignee") or "").strip(), (form.get("due_on") or "").strip()
    assignee = None
    if raw_user:
        assignee = session.get(User, parse_id(raw_user) or -1)
        if assignee is None or not assignee.active:
            raise AssignmentError("Choose an active user to assign to.")
    due = None
    if raw_due:
        try:
            due = date.fromisoformat(raw_due)
        except ValueError as error:
            raise AssignmentError(f"{raw_due!r} is not a date (YYYY-MM-DD).") from error
        if not date.today() - _LATEST_DUE <= due <= date.today() + _LATEST_DUE:
            raise AssignmentError("Give a due date within five years of today.")
    if due is not None and assignee is None:
        raise AssignmentError("A due date needs someone to assign the finding to.")
    return assignee, due


def assign(session: Session, finding: Finding, assignee: User | None, due: date | None, by: User) -> bool:
    """Set who deals with ``finding`` and by when; False when nothing changes. Raises
    :class:`AssignmentError` when the assignee may not see the finding."""
    if assignee is not None and not Permissions.view_finding(assignee, finding):
        raise AssignmentError(f"{assignee.display_name} cannot see finding #{finding.id}.")
    if (finding.assignee_id, finding.due_on) == (assignee.id if assignee else None, due):
        return False
    finding.assignee_id, finding.due_on = (assignee.id if assignee else None), due
    detail = (f"assigned to {assignee.display_name}" + (f", due {due.isoformat()}" if due else "")
              if assignee else "unassigned")
    record(by, "assign", "finding", finding.id, detail, session=session)
    return True


def assigned_count(session: Session, user: User) -> int:
    """Findings still to deal with (open or confirmed) that are assigned to ``user``."""
    return session.scalar(select(func.count(Finding.id)).where(
        Finding.assignee_id == user.id, Finding.status.in_(TO_DEAL_WITH))) or 0
