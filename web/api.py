"""JSON API: upload documents, list and read findings.

Authenticate with ``Authorization: Bearer <token>`` (``flask --app web create-token USER`` or
the profile page) or a logged-in session. Token calls need no CSRF token; session calls that
change something do. Errors are JSON: ``{"error": ..., "message": ..., "status": ...}``.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for

from web import csrf
from web.accounts import find_department
from web.auth import Permissions, login_required
from web.db import get_session
from web.findings import get_finding
from web.library import UploadError, get_engine, upload_document
from web.models import CheckRun
from web.run_status import run_dict
from web.queries import Filters, finding_dict, findings_query
from web.views_support import page_number, paginate

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def _csrf_for_sessions() -> None:
    """Token calls are exempt from CSRF; calls riding on a browser session are not."""
    if g.get("user") is None:
        abort(401, description="Log in or send 'Authorization: Bearer <token>'.")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("token_auth") \
            and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


@bp.post("/documents")
@login_required
def upload():
    if not Permissions.upload_documents(g.user):
        abort(403, description="Your role cannot upload documents.")
    session = get_session()
    department = find_department(session, request.form.get("department"))
    if department is None and g.user.role == "department_lead":
        department = g.user.department
    if department is None:
        abort(400, description="Name an existing department (id or slug) in the 'department' field.")
    if not Permissions.upload_to(g.user, department):
        abort(403, description="You may upload only to your own department.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="Send the document as multipart form field 'file'.")
    try:
        version, run = upload_document(session, get_engine(), department, upload.filename, upload.read(),
                                       g.user, title=(request.form.get("title") or "").strip()[:300] or None)
    except UploadError as error:
        abort(400, description=str(error))
    document = version.document
    body = {"document_id": document.id, "version": version.number, "path": document.engine_path,
            "url": url_for("documents.view", document_id=document.id, _external=True),
            "changed": run is not None, "run": _run_body(run)}
    return jsonify(body), 201 if run is not None else 200


def _run_body(run: CheckRun | None) -> dict | None:
    """The run as JSON with where to follow it (``status_url``): an upload's check is queued."""
    if run is None:
        return None
    return {**run_dict(get_session(), run), "status_url": url_for("api.run", run_id=run.id, _external=True)}


@bp.get("/runs/<int:run_id>")
@login_required
def run(run_id: int):
    """A check run's state; ``pending`` is true while it is queued or running. Staff see every run,
    others the runs they started (their uploads' checks)."""
    found = get_session().get(CheckRun, run_id)
    if found is None:
        abort(404, description="No such check run.")
    if not Permissions.see_all(g.user) and found.triggered_by_id != g.user.id:
        abort(403, description="You may follow only the checks of your own uploads.")
    return jsonify(_run_body(found))


@bp.get("/findings")
@login_required
def findings():
    filters = Filters.from_args(request.args)
    size = min(max(page_number(request.args.get("per_page")), 1), 500) if request.args.get("per_page") else None
    page = paginate(get_session(), findings_query(g.user, filters, with_comments=True),
                    page_number(request.args.get("page")), size)
    return jsonify(findings=[finding_dict(f) for f in page.items], page=page.number, per_page=page.size,
                   pages=page.pages, total=page.total)


@bp.get("/findings/<int:finding_id>")
@login_required
def finding(finding_id: int):
    return jsonify(finding_dict(get_finding(finding_id)))

