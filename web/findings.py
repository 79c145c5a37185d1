"""Findings: filtered list, exports, detail with review actions and comments."""
from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm import Session

from web.assignment import AssignmentError, assign, assignable_users, assigned_count, read_assignment
from web.audit import history, record
from web.auth import Permissions, login_required, safe_next
from web.db import get_session
from web.models import Comment, Finding, utcnow
from web.queries import (CSV_COLUMNS, Filters, csv_row, filter_options, finding_dict, findings_query,
                         neighbours, visible_findings)
from web.views_support import page_number, paginate, parse_id

bp = Blueprint("findings", __name__, url_prefix="/findings")

ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "resolve": "resolved", "reopen": "open"}
DECISIONS = ("confirmed", "dismissed")  # statuses a reviewer decides; they stick to the clash
MAX_TEXT = 5000


@bp.app_context_processor
def _assigned_counter() -> dict:
    """``assigned_to_me()`` in every page's header: findings still to deal with that are assigned to me."""
    return {"assigned_to_me": lambda: assigned_count(get_session(), g.user) if g.get("user") else 0}


def get_finding(finding_id: int) -> Finding:
    """The finding, or 404; 403 when the current user may not see it."""
    finding = get_session().get(Finding, finding_id)
    if finding is None:
        abort(404)
    if not Permissions.view_finding(g.user, finding):
        abort(403)
    return finding


@bp.get("")
@login_required
def index():
    filters = Filters.from_args(request.args)
    page = paginate(get_session(), findings_query(g.user, filters), page_number(request.args.get("page")))
    return render_template("findings/index.html", page=page, filters=filters,
                           options=filter_options(get_session(), g.user), users=_assignable())


@bp.get("/export.csv")
@login_required
def export_csv():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for finding in get_session().scalars(findings_query(g.user, Filters.from_args(request.args), with_comments=True)):
        writer.writerow(csv_row(finding))
    return _attachment(buffer.getvalue(), "text/csv", "findings.csv")


@bp.get("/export.json")
@login_required
def export_json():
    query = findings_query(g.user, Filters.from_args(request.args), with_comments=True)
    rows = [finding_dict(f) for f in get_session().scalars(query)]
    return _attachment(json.dumps({"findings": rows, "count": len(rows)}, indent=2), "application/json",
                       "findings.json")


def _attachment(body: str, mimetype: str, filename: str) -> Response:
    return send_file(io.BytesIO(body.encode("utf-8")), mimetype=mimetype, as_attachment=True,
                     download_name=filename, max_age=0)


@bp.get("/<int:finding_id>")
@login_required
def detail(finding_id: int):
    finding = get_finding(finding_id)
    filters = Filters.from_args(request.args)
    return render_template("findings/detail.html", finding=finding, users=_assignable(), filters=filters,
                           around=neighbours(get_session(), g.user, filters, finding.id),
                           history=history(get_session(), "finding", finding.id))


def _assignable() -> list:
    """The people a reviewer can hand findings to (nobody for those who cannot assign)."""
    return assignable_users(get_session()) if Permissions.review(g.user) else []


MAX_BULK = 500


@bp.post("/bulk")
@login_required
def bulk_review():
    """One decision (or one assignment) for many findings: each is changed and audited on its own."""
    if not Permissions.review(g.user):
        abort(403)
    action = request.form.get("action", "")
    back = safe_next(request.form["next"]) if request.form.get("next") else url_for("findings.index")
    ids = sorted({i for i in (parse_id(v) for v in request.form.getlist("ids")) if i is not None})
    reason = (request.form.get("reason") or "").strip()[:MAX_TEXT]
    problem = ("Choose an action." if action not in ACTIONS and action != "assign"
               else "Select at least one finding." if not ids
               else f"Select at most {MAX_BULK} findings at a time." if len(ids) > MAX_BULK
               else "Give a reason to dismiss findings." if action == "dismiss" and not reason else None)
    if problem:
        flash(problem, "error")
        return redirect(back)
    session = get_session()
    selected = list(session.scalars(visible_findings(g.user).where(Finding.id.in_(ids))))
    try:
        message = _bulk_assign(session, selected, len(ids)) if action == "assign" else \
            _bulk_decide(session, selected, len(ids), action, reason)
    except AssignmentError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(back)
    session.commit()
    flash(message, "success")
    return redirect(back)


def _bulk_decide(session: Session, selected: list[Finding], asked: int, action: str, reason: str) -> str:
    changed = [f for f in selected if f.status != ACTIONS[action]]
    for finding in changed:
        apply_review(session, finding, action, reason)
    skipped = asked - len(changed)
    return (f"{len(changed)} finding{'s' if len(changed) != 1 else ''} now {ACTIONS[action]}"
            + (f"; {skipped} already {ACTIONS[action]} or not yours to see." if skipped else "."))


def _bulk_assign(session: Session, selected: list[Finding], asked: int) -> str:
    assignee, due = read_assignment(session, request.form)
    changed = sum(assign(session, finding, assignee, due, g.user) for finding in selected)
    who = assignee.display_name if assignee else "nobody"
    return f"{changed} finding{'s' if changed != 1 else ''} assigned to {who}" + (
        f"; {asked - changed} unchanged or not yours to see." if asked - changed else ".")


@bp.post("/<int:finding_id>/assign")
@login_required
def assign_one(finding_id: int):
    finding = get_finding(finding_id)
    if not Permissions.review(g.user):
        abort(403)
    session = get_session()
    try:
        assignee, due = read_assignment(session, request.form)
        changed = assign(session, finding, assignee, due, g.user)
    except AssignmentError as error:
        flash(str(error), "error")
        return redirect(url_for("findings.detail", finding_id=finding.id))
    session.commit()
    if changed:
        flash(f"Finding #{finding.id} " + (f"assigned to {assignee.display_name}." if assignee else "unassigned."),
              "success")
    return redirect(url_for("findings.detail", finding_id=finding.id))


@bp.post("/<int:finding_id>/<action>")
@login_required
def review(finding_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    finding = get_finding(finding_id)
    if not Permissions.review(g.user):
        abort(403)
    reason = (request.form.get("reason") or "").strip()[:MAX_TEXT]
    if action == "dismiss" and not reason:
        flash("Give a reason to dismiss a finding.", "error")
        return detail(finding_id), 400
    apply_review(get_session(), finding, action, reason)
    get_session().commit()
    flash(f"Finding #{finding.id} is now {finding.status}.", "success")
    return redirect(url_for("findings.detail", finding_id=finding.id, **Filters.from_args(request.args).list_args()))


def apply_review(session: Session, finding: Finding, action: str, reason: str) -> None:
    """Set the finding's status for a reviewer action and log it."""
    previous = finding.status
    finding.status = ACTIONS[action]
    finding.status_reason = reason or None
    finding.status_changed_at = utcnow()
    finding.status_changed_by_id = g.user.id
    if action in ("resolve", "reopen"):
        finding.resolved_by_run_id = None
        finding.resolved_by_version_id = None
    if finding.status in DECISIONS:
        finding.decision, finding.decision_reason = finding.status, finding.status_reason
    elif action == "reopen":
        finding.decision = finding.decision_reason = None
    detail = f"{previous} → {finding.status}" + (f": {reason}" if reason else "")
    record(g.user, action, "finding", finding.id, detail, session=session)


@bp.post("/<int:finding_id>/comments")
@login_required
def comment(finding_id: int):
    finding = get_finding(finding_id)
    body = (request.form.get("body") or "").strip()[:MAX_TEXT]
    if not body:
        flash("A comment cannot be empty.", "error")
        return detail(finding_id), 400
    get_session().add(Comment(finding_id=finding.id, user_id=g.user.id, body=body))
    record(g.user, "comment", "finding", finding.id, body[:200])
    get_session().commit()
    flash("Comment added.", "success")
    return redirect(url_for("findings.detail", finding_id=finding.id) + "#comments")
