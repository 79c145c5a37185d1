"""Check runs: list, detail (with its status as JSON while it is pending), and queueing a full check."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from web.auth import roles_required
from web.db import get_session
from web.library import queued_check
from web.models import CheckRun
from web.queue import recover
from web.run_status import run_dict, status_line
from web.views_support import page_number, paginate

bp = Blueprint("runs", __name__, url_prefix="/runs")

STAFF = ("admin", "quality_officer")


@bp.get("")
@roles_required(*STAFF)
def index():
    recover(current_app._get_current_object())  # runs a dead worker held go back on the queue (web.orphans)
    query = select(CheckRun).order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
    return render_template("runs/index.html", page=paginate(get_session(), query, page_number(request.args.get("page"))))


def _run(run_id: int) -> CheckRun:
    run = get_session().get(CheckRun, run_id)
    if run is None:
        abort(404)
    return run


@bp.get("/<int:run_id>")
@roles_required(*STAFF)
def detail(run_id: int):
    run = _run(run_id)
    return render_template("runs/detail.html", run=run, line=status_line(get_session(), run))


@bp.get("/<int:run_id>/status")
@roles_required(*STAFF)
def status(run_id: int):
    """The run's state (``web.run_status.run_dict``); its page polls this while it is pending."""
    return jsonify(run_dict(get_session(), _run(run_id)))


@bp.post("")
@roles_required(*STAFF)
def start():
    run = queued_check(get_session(), "manual", g.user, None)
    if run.pending:
        flash(f"Check run #{run.id} queued: every document is checked by a worker; this page shows when it is done.",
              "success")
    else:
        flash(f"Check run #{run.id} {run.status}.", "success" if run.status == "succeeded" else "error")
    return redirect(url_for("runs.detail", run_id=run.id))
