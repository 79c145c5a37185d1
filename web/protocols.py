"""Protocols: list, view, upload of new versions (which re-checks every document)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from web.auth import Permissions, login_required
from web.db import get_session
from web.documents import file_response, run_message
from web.library import UploadError, get_engine, supported_suffixes, upload_protocol
from web.models import Finding, Protocol, ProtocolVersion

bp = Blueprint("protocols", __name__, url_prefix="/protocols")


def get_protocol(protocol_id: int) -> Protocol:
    protocol = get_session().get(Protocol, protocol_id)
    if protocol is None:
        abort(404)
    return protocol


@bp.get("")
@login_required
def index():
    protocols = list(get_session().scalars(select(Protocol).options(selectinload(Protocol.versions))
                                           .order_by(Protocol.title)))
    counts = dict(get_session().execute(
        select(Finding.source_protocol_id, func.count()).where(Finding.status.in_(("open", "confirmed")))
        .group_by(Finding.source_protocol_id)).all())
    return render_template("protocols/index.html", protocols=protocols, counts=counts)


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    if not Permissions.manage_protocols(g.user):
        abort(403)
    if request.method == "GET":
        return render_template("protocols/upload.html", suffixes=supported_suffixes())
    return _store(None)


@bp.get("/<int:protocol_id>")
@login_required
def view(protocol_id: int):
    protocol = get_protocol(protocol_id)
    return render_template("protocols/view.html", protocol=protocol, version=protocol.current,
                           suffixes=supported_suffixes())


@bp.post("/<int:protocol_id>/versions")
@login_required
def new_version(protocol_id: int):
    protocol = get_protocol(protocol_id)
    if not Permissions.manage_protocols(g.user):
        abort(403)
    return _store(protocol)


@bp.get("/<int:protocol_id>/versions/<int:number>/download")
@login_required
def download(protocol_id: int, number: int):
    protocol = get_protocol(protocol_id)
    version = get_session().scalar(select(ProtocolVersion).where(
        ProtocolVersion.protocol_id == protocol.id, ProtocolVersion.number == number))
    if version is None:
        abort(404)
    return file_response(version.filename, version.content)


def _store(protocol: Protocol | None):
    upload = request.files.get("file")
    filename, data = (upload.filename, upload.read()) if upload is not None and upload.filename else (None, b"")
    title = (request.form.get("title") or "").strip()[:300] or None
    try:
        version, run = upload_protocol(get_session(), get_engine(), filename, data, g.user, protocol, title)
    except UploadError as error:
        flash(str(error), "error")
        if protocol is not None:
            return view(protocol.id), 400
        return render_template("protocols/upload.html", suffixes=supported_suffixes()), 400
    message, category = run_message(run)
    flash(message, category)
    return redirect(url_for("protocols.view", protocol_id=version.protocol_id))
