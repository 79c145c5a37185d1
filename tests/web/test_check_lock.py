"""Every check takes one lock: an upload, the button or a protocol upload never writes findings
while the nightly batch (or another check) does, and the batch waits for a short check to end."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from web.library import checked_run
from web.locks import CHECK_LOCK, DatabaseLock
from web.queue import recover
from web.models import CheckRun, Document, Finding
from web_support import LEAFLET_MD, document_id_from, login, upload


def _lock(app) -> DatabaseLock:
    return DatabaseLock(app.extensions["touchpoint_db"], CHECK_LOCK, 3600)


def test_a_check_asked_for_while_another_runs_stays_queued_and_runs_once_the_lock_is_free(app, client, seed, db):
    login(client, "lead")
    holder = _lock(app)
    holder.acquire()
    try:
        response = upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD)
        assert response.status_code == 302
        db.expire_all()
        run = db.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first()
        assert run.status == "queued" and run.owner_pid is None  # waiting on the queue, not failed
        assert db.get(Document, document_id_from(response)).current is not None  # the upload is kept
        assert db.scalar(select(func.count()).select_from(Finding)) == 0
    finally:
        holder.release()
    assert recover(app, requeue_after=0) == [run.id]  # what a worker's sweep does once the queue is idle
    db.expire_all()
    assert db.get(CheckRun, run.id).status == "succeeded" and db.get(CheckRun, run.id).attempts == 1
    assert db.scalar(select(func.count()).select_from(Finding)) > 0
    login(client, "officer")
    assert client.post("/runs").status_code == 302
    db.expire_all()
    assert db.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first().status == "succeeded"


def test_a_check_done_in_process_fails_when_the_lock_stays_held(app, seed, db):
    holder = _lock(app)
    holder.acquire()
    try:
        with app.app_context():
            run = checked_run(db, None, "manual", None, None)  # flask --app web demo's way: no queue
        assert run.status == "failed" and "another check is running" in run.error
    finally:
        holder.release()


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
