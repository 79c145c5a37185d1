"""Department documents: list, upload, view with highlighted findings, versions and downloads."""
from __future__ import annotations

import io
import mimetypes
from collections import defaultdict

from flask import (Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request,
                   send_file, url_for)
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from checker.records import text_key
from web.auth import Permissions, login_required
from web.db import get_session
from web.library import UploadError, get_engine, supported_suffixes, upload_document
from web.models import CheckRun, Department, Document, DocumentVersion, Finding
from web.run_status import document_status
from web.views_support import parse_id

bp = Blueprint("documents", __name__, url_prefix="/documents")


def get_document(document_id: int) -> Document:
    """The document, or 404; 403 when the current user may not see it."""
    document = get_session().get(Document, document_id)
    if document is None:
        abort(404)
    if not Permissions.view_document(g.user, document):
        abort(403)
    return document


def uploadable_departments() -> list[Department]:
    query = select(Department).order_by(Department.name)
    if g.user.role != "admin":
        query = query.where(Department.id == (g.user.department_id or -1))
    return list(get_session().scalars(query))


def run_message(run: CheckRun | None) -> tuple[str, str]:
    if run is None:
        return "The file is identical to the current version; nothing changed.", "info"
    if run.pending:
        return (f"Saved. Check run #{run.id} is {run.status}: the findings appear on this page when it is done "
                "(no need to reload).", "success")
    if run.status != "succeeded":
        return f"The file was saved, but checking it failed ({run.error}). Try again later.", "error"
    return (f"Saved and checked: {run.findings_new} new, {run.findings_unchanged} unchanged, "
            f"{run.findings_resolved} resolved, {run.findings_reopened} reopened findings.", "success")


def _uploaded_file() -> tuple[str | None, bytes]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, b""
    return upload.filename, upload.read()


@bp.get("")
@login_required
def index():
    query = (select(Document).join(Department).options(selectinload(Document.versions))
             .order_by(Department.name, Document.title))
    if not Permissions.see_all(g.user):
        query = query.where(Document.department_id == (g.user.department_id or -1))
    documents = list(get_session().scalars(query))
    counts = dict(get_session().execute(
        select(Finding.document_id, func.count()).where(Finding.status.in_(("open", "confirmed")))
        .group_by(Finding.document_id)).all())
    return render_template("documents/index.html", documents=documents, counts=counts)


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    if not Permissions.upload_documents(g.user):
        abort(403)
    departments = uploadable_departments()
    if request.method == "GET":
        return render_template("documents/upload.html", departments=departments, suffixes=supported_suffixes())
    department_id = parse_id(request.form.get("department"))
    department = get_session().get(Department, department_id) if department_id is not None else None
    if department is None and len(departments) == 1:
        department = departments[0]
    if department is None:
        flash("Choose a department.", "error")
        return render_template("documents/upload.html", departments=departments,
                               suffixes=supported_suffixes()), 400
    if not Permissions.upload_to(g.user, department):
        abort(403)
    return _store(department, None, "documents/upload.html", departments=departments)


@bp.get("/<int:document_id>")
@login_required
def view(document_id: int):
    document = get_document(document_id)
    findings = list(get_session().scalars(
        select(Finding).where(or_(Finding.document_id == document.id, Finding.source_document_id == document.id))
        .order_by(Finding.score.desc())))
    active = [f for f in findings if f.status != "resolved"]
    by_key, marks = statement_marks(document, active)
    return render_template("documents/view.html", document=document, version=document.current,
                           by_key=by_key, marks=marks, active=active,
                           check=document_status(get_session(), document),
                           resolved=[f for f in findings if f.status == "resolved"],
                           can_upload=Permissions.upload_to(g.user, document.department),
                           suffixes=supported_suffixes())


@bp.get("/<int:document_id>/status")
@login_required
def status(document_id: int):
    """Whether a check that concerns the document is queued or running (the page polls this)."""
    return jsonify(document_status(get_session(), get_document(document_id)))


def statement_marks(document: Document, findings: list[Finding]) -> tuple[dict[str, list[Finding]], dict[int, list]]:
    """Findings by the text key of this document's statement they concern (the finding's own
    statement, or its source when another department's statement clashes with this one), and
    the fact spans to mark per statement position."""
    by_key: dict[str, list[Finding]] = defaultdict(list)
    sides: dict[int, tuple[str, list]] = {}
    for finding in findings:
        own = finding.document_id == document.id
        text = finding.statement_text if own else finding.source_text
        by_key[finding.statement_key if own else text_key(text)].append(finding)
        sides[finding.id] = (text, finding.statement_highlights if own else finding.source_highlights)
    marks: dict[int, list] = defaultdict(list)
    for statement in document.current.statements if document.current else ():
        for finding in by_key.get(statement.text_key, ()):
            text, spans = sides[finding.id]
            if text == statement.text:
                marks[statement.position].extend(spans or [])
    return by_key, marks


@bp.post("/<int:document_id>/versions")
@login_required
def new_version(document_id: int):
    document = get_document(document_id)
    if not Permissions.upload_to(g.user, document.department):
        abort(403)
    return _store(document.department, document, None)


@bp.get("/<int:document_id>/versions/<int:number>/download")
@login_required
def download(document_id: int, number: int):
    document = get_document(document_id)
    version = get_session().scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == number))
    if version is None:
        abort(404)
    return file_response(version.filename, version.content)


def file_response(filename: str, content: bytes) -> Response:
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)


def _store(department: Department, document: Document | None, form_template: str | None, **context):
    filename, data = _uploaded_file()
    session = get_session()
    title = (request.form.get("title") or "").strip()[:300] or None
    try:
        version, run = upload_document(session, get_engine(), department, filename, data, g.user, document, title)
    except UploadError as error:
        flash(str(error), "error")
        if form_template is None:
            return view(document.id), 400
        return render_template(form_template, suffixes=supported_suffixes(), **context), 400
    message, category = run_message(run)
    flash(message, category)
    return redirect(url_for("documents.view", document_id=version.document_id))

