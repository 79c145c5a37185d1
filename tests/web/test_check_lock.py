"""Every check takes one lock: an upload, the button or a protocol upload never writes findings
while the nightly batch (or another check) does, and the batch waits for a short check to end."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from web.locks import CHECK_LOCK, DatabaseLock
from web.models import CheckRun, Document, Finding
from web_support import LEAFLET_MD, document_id_from, login, upload


def _lock(app) -> DatabaseLock:
    return DatabaseLock(app.extensions["touchpoint_db"], CHECK_LOCK, 3600)


def test_a_check_asked_for_while_another_runs_is_refused_and_the_upload_is_kept(app, client, seed, db):
    login(client, "lead")
    holder = _lock(app)
    holder.acquire()
    try:
        response = upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD)
        assert response.status_code == 302
        db.expire_all()
        run = db.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first()
        assert run.status == "failed" and "another check is running" in run.error
        assert db.get(Document, document_id_from(response)).current is not None  # the upload is kept
        assert db.scalar(select(func.count()).select_from(Finding)) == 0
    finally:
        holder.release()
    login(client, "officer")
    assert client.post("/runs").status_code == 302
    db.expire_all()
    assert db.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first().status == "succeeded"
    assert db.scalar(select(func.count()).select_from(Finding)) > 0


def test_a_check_waits_for_a_short_one_to_finish(app, client, seed, db):
    holder = _lock(app)
    holder.acquire()
    threading.Timer(0.3, holder.release).start()
    login(client, "officer")
    assert client.post("/runs").status_code == 302
    db.expire_all()
    assert db.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first().status == "succeeded"


def test_the_check_lock_is_released_after_a_check(app, client, seed):
    login(client, "officer")
    client.post("/runs")
    assert _lock(app).holder() is None
