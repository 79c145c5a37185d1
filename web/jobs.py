"""Checks as jobs: a ``queued`` :class:`~web.models.CheckRun` row is the job, the task queue only
carries its id.

The contract::

    run = queue_run(session, "upload", user, {document.id}, version)   # status "queued", flushed
    session.commit(); web.queue.enqueue(app, run.id)                  # (web.queue.submit does both)
    ...                                                               # later, in a worker process:
    execute_run(app, engine, run.id, wait_seconds)                    # -> DONE, BUSY or SKIPPED

:func:`execute_run` takes the one check lock (``web.locks``: the nightly batch and every other check
take it too), then moves the run ``queued -> running`` with a compare-and-set that records this
process as its owner (so exactly one worker does a run however often its id was delivered), checks
the stored statements (``web.checking.run_check``) and syncs the findings in one transaction, and
ends the run ``succeeded`` or ``failed``. A worker killed at any point leaves either the run still
``queued`` or ``running`` with a dead owner, which :func:`web.orphans.sweep_orphaned_runs` puts back
on the queue; the findings are written only at the end, by fingerprint, so the retried run ends with
exactly the findings of an uninterrupted one. A ``nightly`` job (the runs page's "Check everything
now") is done by the nightly batch, which adopts the queued row.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from web.checking import CheckEngine, fail_run, finish_run, run_check
from web.db import session_factory
from web.locks import CHECK_LOCK, DatabaseLock, LockHeld, LockLost
from web.models import CheckRun, Document, DocumentVersion, User, utcnow
from web.orphans import claim

log = logging.getLogger(__name__)

DONE, BUSY, SKIPPED = "done", "busy", "skipped"
# test hook: a worker sleeps this many seconds after claiming a run, before checking it (so a test
# can kill it mid-check); never set in production
PAUSE_ENV = "TOUCHPOINT_JOB_PAUSE_SECONDS"


def queue_run(session: Session, kind: str, user: User | None, document_ids: set[int] | None = None,
              version: DocumentVersion | None = None) -> CheckRun:
    """A new ``queued`` run checking ``document_ids`` (``None``: everything), added and flushed.
    ``version`` is the uploaded version that resolves what no longer occurs."""
    now = utcnow()
    run = CheckRun(kind=kind, status="queued", started_at=now, queued_at=now, enqueued_at=now, errors={},
                   triggered_by_id=user.id if user is not None else None,
                   scope=sorted(document_ids) if document_ids is not None else None,
                   resolves_version_id=version.id if version is not None else None)
    session.add(run)
    session.flush()
    return run


def execute_run(app: Flask, engine: CheckEngine, run_id: int, wait_seconds: float) -> str:
    """Do the queued run ``run_id`` (see the module docstring). Returns :data:`DONE` (it ended
    ``succeeded`` or ``failed``), :data:`BUSY` (the check lock stayed held for ``wait_seconds``: the
    run is still ``queued``) or :data:`SKIPPED` (it is not queued: done, or another worker has it)."""
    with session_factory(app)() as session:
        run = session.get(CheckRun, run_id)
        kind = run.kind if run is not None and run.status == "queued" else None
        session.rollback()  # no transaction stays open while waiting for the lock (SQLite)
    if kind is None:
        return SKIPPED
    if kind == "nightly":
        return _execute_nightly(app, engine, run_id, wait_seconds)
    settings = app.extensions["touchpoint_settings"]
    heartbeat = heartbeat_seconds(app)
    lock = DatabaseLock(app.extensions["touchpoint_db"], CHECK_LOCK, settings.lock_stale_seconds,
                        heartbeat_seconds=heartbeat)
    try:
        lock.acquire_within(wait_seconds, run_id=run_id)
    except LockHeld:
        return BUSY
    try:
        with session_factory(app)() as session:
            if not claim_queued(session, run_id, heartbeat):
                return SKIPPED
            _pause_for_tests(run_id)
            _check(session, engine, run_id, lock)
    finally:
        lock.release()
    return DONE


def heartbeat_seconds(app: Flask) -> int | None:
    """How often a check of this app refreshes its heartbeat (``run_heartbeat_seconds``)."""
    queue_settings = app.extensions.get("touchpoint_queue_settings")
    return queue_settings.run_heartbeat_seconds if queue_settings is not None else None


def claim_queued(session: Session, run_id: int, heartbeat: int | None = None) -> bool:
    """``queued -> running`` owned by this process (which beats every ``heartbeat`` seconds),
    committed; False when the run was not queued."""
    owner = CheckRun()
    claim(owner, heartbeat)
    changed = session.execute(update(CheckRun).where(CheckRun.id == run_id, CheckRun.status == "queued").values(
        status="running", started_at=utcnow(), attempts=CheckRun.attempts + 1, owner_pid=owner.owner_pid,
        owner_host=owner.owner_host, owner_started=owner.owner_started, heartbeat_at=owner.heartbeat_at,
        heartbeat_seconds=owner.heartbeat_seconds),
        execution_options={"synchronize_session": False}).rowcount
    session.commit()
    return changed == 1


def _check(session: Session, engine: CheckEngine, run_id: int, lock: DatabaseLock | None = None) -> None:
    run = session.get(CheckRun, run_id, populate_existing=True)
    try:
        counts = run_check(session, engine, run, set(run.scope) if run.scope is not None else None,
                           resolved_by_version=_resolving_version(session, run), release_during_check=True)
        finish_run(run, counts)
        run.error = None  # a note from an earlier, interrupted attempt
        if lock is not None:
            lock.fence(session)  # taken over meanwhile (presumed dead): the run is someone else's now
        session.commit()
        log.info("check run #%s succeeded: %d new, %d resolved", run_id, counts.findings_new, counts.findings_resolved)
    except LockLost as error:
        session.rollback()
        log.error("check run #%s: %s; its findings were not written (the run is handed on)", run_id, error)
    except Exception as error:  # the upload is kept; the run says what went wrong
        log.exception("check run %s failed", run_id)
        session.rollback()
        run = session.get(CheckRun, run_id, populate_existing=True)
        fail_run(run, f"{type(error).__name__}: {error}")
        session.commit()


def _resolving_version(session: Session, run: CheckRun) -> DocumentVersion | None:
    """The version a re-upload's check resolves findings with: the uploaded one, or the document's
    current version when a newer one came in while this run waited (its statements are checked)."""
    if run.resolves_version_id is None:
        return None
    version = session.get(DocumentVersion, run.resolves_version_id)
    document = session.get(Document, version.document_id) if version is not None else None
    current = document.current if document is not None else None
    return current if current is not None and current.number > 1 else version


def _execute_nightly(app: Flask, engine: Any, run_id: int, wait_seconds: float) -> str:
    from web.batch import BatchRefused, NightlyBatch
    from web.batch.base import RunNotQueued

    batch = NightlyBatch(app.extensions["touchpoint_settings"], app.extensions["touchpoint_db"], engine,
                         progress=False, heartbeat_seconds=heartbeat_seconds(app))
    try:
        batch.prepare(adopt_run_id=run_id, wait_seconds=wait_seconds)
    except RunNotQueued:
        return SKIPPED
    except BatchRefused:
        return BUSY
    batch.execute()
    return DONE


def _pause_for_tests(run_id: int) -> None:
    seconds = float(os.environ.get(PAUSE_ENV, "0") or 0)
    if seconds > 0:
        log.warning("%s is set: run #%s sleeps %.1f s before checking", PAUSE_ENV, run_id, seconds)
        time.sleep(seconds)
