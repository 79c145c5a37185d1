"""Check runs: list, detail, and starting a full check by hand."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from web.auth import roles_required
from web.db import get_session
from web.library import checked_run, get_engine
from web.models import CheckRun
from web.orphans import sweep_orphaned_runs
from web.views_support import page_number, paginate

bp = Blueprint("runs", __name__, url_prefix="/runs")

STAFF = ("admin", "quality_officer")


@bp.get("")
@roles_required(*STAFF)
def index():
    session = get_session()
    if sweep_orphaned_runs(session, current_app.extensions["touchpoint_settings"].lock_stale_seconds):
        session.commit()
    query = select(CheckRun).order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
    return render_template("runs/index.html", page=paginate(get_session(), query, page_number(request.args.get("page"))))


@bp.get("/<int:run_id>")
@roles_required(*STAFF)
def detail(run_id: int):
    run = get_session().get(CheckRun, run_id)
    if run is None:
        abort(404)
    return render_template("runs/detail.html", run=run)


@bp.post("")
@roles_required(*STAFF)
def start():
    run = checked_run(get_session(), get_engine(), "manual", g.user, None)
    flash(f"Check run #{run.id} {run.status}.", "success" if run.status == "succeeded" else "error")
    return redirect(url_for("runs.detail", run_id=run.id))
