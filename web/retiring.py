"""Retire and restore protocols, documents and departments.

Retired things keep their versions, findings and history but take no part in checks (the web's
checks and the nightly batch both leave them out), so a retired protocol's findings are resolved
by the check that follows. Restoring brings them back into checks; findings that come back keep
their earlier decisions (see ``web.checking``). Each change is audited and followed by a queued check
of everything, because a protocol or department touches every document.
"""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, abort, flash, g, redirect, url_for
from sqlalchemy.orm import Session

from web.audit import record
from web.auth import Permissions, login_required
from web.db import get_session
from web.library import queued_check
from web.models import Department, Document, Protocol, utcnow

bp = Blueprint("retiring", __name__)

Retirable = Protocol | Document | Department


def set_retired(session: Session, thing: Retirable, retired: bool, kind: str) -> bool:
    """Retire (or restore) ``thing``; False when it already was. Audited; the caller checks and commits."""
    if (thing.retired_at is not None) == retired:
        return False
    thing.retired_at = utcnow() if retired else None
    record(g.user, "retire" if retired else "restore", kind, thing.id,
           f"{_name(thing)}: {'out of' if retired else 'back in'} checks", session=session)
    return True


def _name(thing: Retirable) -> str:
    return thing.name if isinstance(thing, Department) else thing.title


def _change(model: type, thing_id: int, kind: str, retired: bool, allowed: Callable[[Retirable], bool],
            back: Callable[[Retirable], str]):
    session = get_session()
    thing = session.get(model, thing_id)
    if thing is None:
        abort(404)
    if not allowed(thing):
        abort(403)
    if set_retired(session, thing, retired, kind):
        session.commit()
        run = queued_check(session, "manual", g.user, None)
        done = "retired: it is kept, out of checks" if retired else "restored: it is back in checks"
        if run.pending:
            flash(f"{_name(thing)} {done}. Check run #{run.id} is queued: its findings change when it is done.",
                  "success")
        else:
            flash(f"{_name(thing)} {done}. Check run #{run.id} {run.status}: {run.findings_resolved} findings "
                  f"resolved, {run.findings_reopened} back, {run.findings_new} new.",
                  "success" if run.status == "succeeded" else "error")
    return redirect(back(thing))


@bp.post("/protocols/<int:protocol_id>/<any(retire, restore):action>")
@login_required
def protocol(protocol_id: int, action: str):
    return _change(Protocol, protocol_id, "protocol", action == "retire", lambda _: Permissions.see_all(g.user),
                   lambda p: url_for("protocols.view", protocol_id=p.id))


@bp.post("/documents/<int:document_id>/<any(retire, restore):action>")
@login_required
def document(document_id: int, action: str):
    return _change(Document, document_id, "document", action == "retire",
                   lambda d: Permissions.upload_to(g.user, d.department),
                   lambda d: url_for("documents.view", document_id=d.id))


@bp.post("/admin/departments/<int:department_id>/<any(retire, restore):action>")
@login_required
def department(department_id: int, action: str):
    return _change(Department, department_id, "department", action == "retire",
                   lambda _: Permissions.administer(g.user), lambda _: url_for("admin.departments"))
