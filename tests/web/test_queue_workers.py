"""Real worker processes (``flask --app web worker``) on a real queue: SQLite and Redis (skipped only
when Redis cannot be reached), each on SQLite and PostgreSQL. An upload returns with its check queued;
a worker started afterwards loads the model and does it. A worker killed with SIGKILL in the middle
of a check loses nothing: the next worker takes the run again, and it ends with exactly the findings
of an uninterrupted run, none doubled. Waits are bounded polls, never timings."""
from __future__ import annotations

import pytest

from web.jobs import PAUSE_ENV
from queue_support import (QUEUE_KINDS, Worker, drop_queue, finished, findings_of, latest_run, queue_settings,
                           queued_app, run_row, wait_until, worker_environment)
from web_support import LEAFLET_MD, build_app, document_id_from, fresh_database, login, seed_data, upload


def _upload(app) -> int:
    """Upload the leaflet as the surgery lead; the id of the run it queued (checked still queued)."""
    ids = seed_data(app)
    client = app.test_client()
    login(client, "lead")
    response = upload(client, ids["surgery"], "leaflet.md", LEAFLET_MD)
    assert response.status_code == 302 and document_id_from(response)
    run = latest_run(app)
    assert run.status == "queued"  # the request returned before any check was done
    return run.id


@pytest.mark.parametrize("queue_kind", QUEUE_KINDS)
def test_a_worker_process_does_the_check_an_upload_queued(queue_kind, database_url, engine, engine_settings,
                                                          tmp_path):
    queue = queue_settings(queue_kind, tmp_path)
    app = queued_app(database_url, engine, engine_settings, queue)
    worker = None
    try:
        run_id = _upload(app)
        worker = Worker(worker_environment(database_url, engine_settings, queue), tmp_path / "worker.log")
        run = wait_until(lambda: finished(app, run_id), f"run #{run_id} to finish", worker)
        assert run.status == "succeeded", run.error
        assert run.owner_pid == worker.pid and run.attempts == 1
        found = findings_of(app)
        assert run.findings_new == len(found) >= 1 and {status for _, _, status, _, _ in found} == {"open"}
        assert "worker ready: model loaded" in worker.output()
    finally:
        if worker is not None:
            worker.stop()
        drop_queue(app)


def _clean_findings(database_url: str, engine, engine_settings, tmp_path) -> list[tuple]:
    """The findings of the same upload checked without interruption, on a fresh database of the same kind."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    folder = tmp_path / "clean"
    folder.mkdir()
    with fresh_database(kind, folder) as url:
        app = build_app(url, engine, engine_settings)  # immediate queue: checked inside the request
        try:
            ids = seed_data(app)
            client = app.test_client()
            login(client, "lead")
            upload(client, ids["surgery"], "leaflet.md", LEAFLET_MD)
            assert latest_run(app).status == "succeeded"
            return findings_of(app)
        finally:
            app.extensions["touchpoint_db"].dispose()


def test_a_worker_killed_mid_check_loses_nothing_and_the_next_one_finishes_the_run(database_url, engine,
                                                                                    engine_settings, tmp_path):
    queue = queue_settings("sqlite", tmp_path)
    app = queued_app(database_url, engine, engine_settings, queue)
    first = second = None
    try:
        run_id = _upload(app)
        # the first worker claims the run, then sleeps before checking it: killed there, it is mid-check
        first = Worker(worker_environment(database_url, engine_settings, queue, **{PAUSE_ENV: "600"}),
                       tmp_path / "first.log")
        wait_until(lambda: run_row(app, run_id).status == "running", f"a worker to take run #{run_id}", first)
        assert run_row(app, run_id).owner_pid == first.pid
        first.kill()
        assert run_row(app, run_id).status == "running" and findings_of(app) == []
        second = Worker(worker_environment(database_url, engine_settings, queue), tmp_path / "second.log")
        run = wait_until(lambda: finished(app, run_id), f"run #{run_id} to finish after the kill", second)
        assert run.status == "succeeded", run.error
        assert run.attempts == 2 and run.owner_pid == second.pid
        found = findings_of(app)
        assert len({fingerprint for fingerprint, *_ in found}) == len(found) == run.findings_new  # none doubled
        assert found == _clean_findings(database_url, engine, engine_settings, tmp_path)
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        drop_queue(app)
