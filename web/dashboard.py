"""The dashboard: open findings by department and kind, and the newest check run."""
from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, g, render_template
from sqlalchemy import func, select

from web.auth import Permissions, login_required
from web.db import get_session
from web.models import CheckRun, Department, Document, Finding
from web.queries import visible_findings

bp = Blueprint("dashboard", __name__)


def open_counts(user) -> tuple[list[str], list[tuple[Department, dict[str, int], int]]]:
    """Kinds seen, and per department (that has open findings) the open count per kind and total."""
    visible = visible_findings(user).where(Finding.status == "open").subquery()
    query = (select(Department, visible.c.kind, func.count())
             .join(Document, Document.department_id == Department.id)
             .join(visible, visible.c.document_id == Document.id)
             .group_by(Department.id, visible.c.kind).order_by(Department.name))
    table: dict[int, dict[str, int]] = defaultdict(dict)
    departments: dict[int, Department] = {}
    for department, kind, count in get_session().execute(query):
        departments[department.id] = department
        table[department.id][kind] = count
    kinds = sorted({kind for counts in table.values() for kind in counts})
    rows = [(departments[i], table[i], sum(table[i].values())) for i in departments]
    return kinds, rows


def status_counts(user) -> dict[str, int]:
    visible = visible_findings(user).subquery()
    rows = get_session().execute(select(visible.c.status, func.count()).group_by(visible.c.status))
    return {status: count for status, count in rows}


@bp.get("/")
@login_required
def index():
    kinds, rows = open_counts(g.user)
    latest = None
    if Permissions.see_all(g.user):
        latest = get_session().scalar(select(CheckRun).order_by(CheckRun.started_at.desc(), CheckRun.id.desc()))
    else:
        latest = get_session().scalar(select(CheckRun).where(CheckRun.status == "succeeded")
                                      .order_by(CheckRun.started_at.desc(), CheckRun.id.desc()))
    return render_template("dashboard.html", kinds=kinds, rows=rows, statuses=status_counts(g.user),
                           latest=latest)
