"""Trends: findings opened and closed per week, and the open backlog, by department and kind.

A finding is *opened* in the week it was first found and *closed* in the week its status last
became resolved or dismissed (the week of ``status_changed_at``); the backlog at the end of a
week is what was opened by then and not closed by then. A finding reopened later counts by its
current status only: this is the picture of today's findings over time, not a replay of the
audit log. The same numbers feed the charts (``/trends.json``), the table and the CSV.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, g, jsonify, render_template, request, send_file
from web.auth import login_required
from web.db import get_session
from web.models import Department, Finding
from web.queries import filter_options, visible_findings

bp = Blueprint("trends", __name__)

CLOSED = ("resolved", "dismissed")
MAX_WEEKS = 104


def _week(moment: datetime | None) -> date | None:
    return None if moment is None else (moment.date() - timedelta(days=moment.weekday()))


def weekly(department: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """One row per week (Monday) from the first finding to this week: opened, closed, backlog."""
    query = visible_findings(g.user).with_only_columns(Finding.created_at, Finding.status, Finding.status_changed_at)
    if department:
        query = query.where(Department.slug == department)
    if kind:
        query = query.where(Finding.kind == kind)
    opened: dict[date, int] = {}
    closed: dict[date, int] = {}
    for created, status, changed in get_session().execute(query):
        week = _week(created)
        opened[week] = opened.get(week, 0) + 1
        if status in CLOSED:
            shut = max(_week(changed) or week, week)
            closed[shut] = closed.get(shut, 0) + 1
    if not opened:
        return []
    this_week = _week(datetime.now())
    start = max(min(opened), this_week - timedelta(weeks=MAX_WEEKS - 1))
    rows, backlog = [], sum(n for w, n in opened.items() if w < start) - sum(n for w, n in closed.items() if w < start)
    week = start
    while week <= this_week:
        backlog += opened.get(week, 0) - closed.get(week, 0)
        rows.append({"week": week.isoformat(), "opened": opened.get(week, 0), "closed": closed.get(week, 0),
                     "backlog": backlog})
        week += timedelta(weeks=1)
    return rows


def _choice() -> tuple[str | None, str | None]:
    return (request.args.get("department") or None), (request.args.get("kind") or None)


@bp.get("/trends")
@login_required
def index():
    department, kind = _choice()
    return render_template("trends.html", rows=weekly(department, kind), department=department, kind=kind,
                           options=filter_options(get_session(), g.user))


@bp.get("/trends.json")
@login_required
def as_json():
    department, kind = _choice()
    return jsonify(weeks=weekly(department, kind), department=department, kind=kind)


@bp.get("/trends.csv")
@login_required
def as_csv():
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=("week", "opened", "closed", "backlog"))
    writer.writeheader()
    writer.writerows(weekly(*_choice()))
    return send_file(io.BytesIO(buffer.getvalue().encode("utf-8")), mimetype="text/csv", as_attachment=True,
                     download_name="finding-trends.csv", max_age=0)
