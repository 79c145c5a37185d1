"""Checks on the task queue, in this process: an upload returns with its check queued; the document
and run pages poll a JSON status and show the findings when a worker has done it; a run delivered
twice is done once; a dead worker's run goes back on the queue. (Real worker processes, SIGKILL
included: ``test_queue_workers.py``.)"""
from __future__ import annotations

import socket
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checker.settings import SettingsError
from web.db import session_factory
from web.jobs import SKIPPED, execute_run
from web.models import CheckRun, Finding, utcnow
from web.queue import enqueue, get_queue, recover, sqlite_queue_path
from web.queue_settings import load_queue_settings
from queue_support import drop_queue, latest_run, queue_settings, queued_app, run_row
from web_support import LEAFLET_MD, document_id_from, login, seed_data, upload


@pytest.fixture
def queued(database_url, engine, engine_settings, tmp_path):
    """An app on a real SQLite queue with no worker: uploads stay queued until the test works the queue."""
    app = queued_app(database_url, engine, engine_settings, queue_settings("sqlite", tmp_path))
    yield app
    drop_queue(app)


def work_one(app) -> bool:
    """Take one message off the queue and do it here, as a worker thread would; False when empty."""
    huey = get_queue(app)
    task = huey.dequeue()
    if task is None:
        return False
    huey.execute(task)
    return True


def _findings(app) -> int:
    with session_factory(app)() as session:
        return session.scalar(select(func.count()).select_from(Finding))


def test_an_upload_returns_with_its_check_queued_and_a_worker_does_it(queued):
    ids = seed_data(queued)
    client = queued.test_client()
    login(client, "lead")
    response = upload(client, ids["surgery"], "leaflet.md", LEAFLET_MD)
    assert response.status_code == 302
    run = latest_run(queued)
    assert run.status == "queued" and run.kind == "upload" and run.scope == [document_id_from(response)]
    assert _findings(queued) == 0 and get_queue(queued).pending_count() == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is queued: the findings appear on this page when it is done" in page
    assert work_one(queued) and not work_one(queued)
    done = run_row(queued, run.id)
    assert done.status == "succeeded" and done.attempts == 1 and done.owner_pid is not None
    assert done.findings_new == _findings(queued) > 0


def test_the_document_page_polls_a_json_status_until_the_findings_are_there(queued):
    ids = seed_data(queued)
    client = queued.test_client()
    login(client, "lead")
    document_id = document_id_from(upload(client, ids["surgery"], "leaflet.md", LEAFLET_MD))
    page = client.get(f"/documents/{document_id}")
    html = page.get_data(as_text=True)
    assert f'data-status-url="/documents/{document_id}/status"' in html and 'id="check-status"' in html
    assert '<script src="/static/check_status.js" defer></script>' in html
    assert 'id="findings-panel" data-live' in html and 'id="statements" data-live' in html
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'self': no inline script
    status = client.get(f"/documents/{document_id}/status").get_json()
    assert status["pending"] is True and status["line"].startswith("Checking this document: queued")
    assert [run["status"] for run in status["runs"]] == ["queued"]
    work_one(queued)
    status = client.get(f"/documents/{document_id}/status").get_json()
    assert status == {"document_id": document_id, "pending": False, "runs": [],
                      "line": "Checked: the findings below are up to date."}
    html = client.get(f"/documents/{document_id}").get_data(as_text=True)
    assert "data-status-url" not in html and "check_status.js" not in html and "Findings (1)" in html
    script = client.get("/static/check_status.js").get_data(as_text=True)
    assert "data-status-url" in script and "[data-live]" in script and "DOMParser" in script
    login(client, "cardio")
    assert client.get(f"/documents/{document_id}/status").status_code == 403


def test_the_run_page_polls_its_status_and_the_api_follows_an_upload(queued):
    seed_data(queued)
    client = queued.test_client()
    login(client, "lead")
    body = client.post("/api/documents", content_type="multipart/form-data",
                       data={"department": "surgery", "file": (BytesIO(LEAFLET_MD), "leaflet.md")})
    assert body.status_code == 201
    run = body.get_json()["run"]
    assert run["status"] == "queued" and run["pending"] is True and run["findings_new"] == 0
    assert run["status_url"].endswith(f"/api/runs/{run['id']}")
    assert client.get(f"/api/runs/{run['id']}").get_json()["pending"] is True
    login(client, "cardio")  # a lead follows only their own uploads' checks
    assert client.get(f"/api/runs/{run['id']}").status_code == 403
    login(client, "officer")
    html = client.get(f"/runs/{run['id']}").get_data(as_text=True)
    assert f'data-status-url="/runs/{run["id"]}/status"' in html and "check_status.js" in html
    assert client.get(f"/runs/{run['id']}/status").get_json()["line"] == "queued: a worker takes it next"
    work_one(queued)
    status = client.get(f"/runs/{run['id']}/status").get_json()
    assert status["pending"] is False and status["status"] == "succeeded" and status["findings_new"] == 1
    assert status["line"].startswith("done: 1 new")
    assert "data-status-url" not in client.get(f"/runs/{run['id']}").get_data(as_text=True)


def test_the_button_and_a_protocol_upload_queue_a_check_of_everything(queued):
    seed_data(queued)
    client = queued.test_client()
    login(client, "officer")
    response = client.post("/runs")
    assert response.status_code == 302 and "queued" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert latest_run(queued).status == "queued" and latest_run(queued).scope is None
    login(client, "admin")
    client.post("/runs/check-now")
    assert latest_run(queued).kind == "nightly" and latest_run(queued).status == "queued"
    while work_one(queued):
        pass
    with session_factory(queued)() as session:
        assert set(session.scalars(select(CheckRun.status))) == {"succeeded"}


def test_a_run_delivered_twice_is_done_once(queued):
    ids = seed_data(queued)
    client = queued.test_client()
    login(client, "lead")
    upload(client, ids["surgery"], "leaflet.md", LEAFLET_MD)
    run = latest_run(queued)
    enqueue(queued, run.id)  # a duplicate message (a recovery racing the first delivery)
    assert work_one(queued) and work_one(queued) and not work_one(queued)
    assert run_row(queued, run.id).attempts == 1
    engine = queued.extensions["touchpoint_engine"]
    assert execute_run(queued, engine, run.id, 0) == SKIPPED
    assert _findings(queued) == run_row(queued, run.id).findings_new


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _orphan(app, attempts: int) -> int:
    with session_factory(app)() as session:
        run = CheckRun(kind="manual", status="running", started_at=utcnow(), queued_at=utcnow(), enqueued_at=utcnow(),
                       attempts=attempts, owner_pid=_dead_pid(), owner_host=socket.gethostname(), errors={})
        session.add(run)
        session.commit()
        return run.id


def test_a_dead_workers_run_goes_back_on_the_queue_until_its_attempts_are_spent(queued):
    seed_data(queued)
    again, spent = _orphan(queued, 1), _orphan(queued, 3)
    assert recover(queued) == [again]
    assert run_row(queued, again).status == "queued" and "queued again" in run_row(queued, again).error
    spent_run = run_row(queued, spent)
    assert spent_run.status == "interrupted" and "started 3 times" in spent_run.error
    assert recover(queued) == []  # handed over once
    assert work_one(queued)
    done = run_row(queued, again)
    assert done.status == "succeeded" and done.attempts == 2 and done.error is None
    engine = queued.extensions["touchpoint_engine"]
    assert execute_run(queued, engine, again, 0) == SKIPPED


def test_a_queued_run_whose_message_was_lost_is_handed_over_again_once_the_queue_is_idle(queued):
    ids = seed_data(queued)
    client = queued.test_client()
    login(client, "lead")
    upload(client, ids["surgery"], "leaflet.md", LEAFLET_MD)
    run = latest_run(queued)
    get_queue(queued).flush()  # the message is gone (a queue wiped, a crash at enqueue)
    assert recover(queued) == []  # not yet stale (queue_requeue_seconds)
    assert recover(queued, requeue_after=0) == [run.id]
    assert work_one(queued) and run_row(queued, run.id).status == "succeeded"
    assert execute_run(queued, queued.extensions["touchpoint_engine"], run.id, 0) == SKIPPED


def test_queue_settings_are_checked_at_start():
    assert load_queue_settings(environ={}).queue_url == ""
    assert load_queue_settings(environ={"TOUCHPOINT_QUEUE_URL": "redis://127.0.0.1:6379/0"}).queue_url.startswith("redis")
    for bad in ({"TOUCHPOINT_QUEUE_URL": "amqp://x"}, {"TOUCHPOINT_WORKER_THREADS": "0"},
                {"TOUCHPOINT_QUEUE_NAME": "a b"}, {"TOUCHPOINT_QUEUE_SWEEP_SECONDS": "soon"}):
        with pytest.raises(SettingsError, match=next(iter(bad))):
            load_queue_settings(environ=bad)
    instance, base = Path("/srv/tp/instance"), Path("/srv/tp")
    assert sqlite_queue_path("", instance, base) == instance / "queue.sqlite3"
    assert sqlite_queue_path("sqlite:///var/q.sqlite3", instance, base) == base / "var/q.sqlite3"
    assert sqlite_queue_path("sqlite:////tmp/q.sqlite3", instance, base) == Path("/tmp/q.sqlite3")


def test_a_worker_refuses_an_immediate_queue(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code != 0 and "nothing for a worker to do" in result.output
