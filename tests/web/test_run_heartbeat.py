"""Run heartbeats: a running check (the nightly batch, a worker's check) refreshes its run's and the
check lock's heartbeat every ``run_heartbeat_seconds`` from a thread of its own, so a run whose machine
died is noticed by the other machines after a few intervals (``HEARTBEAT_MISSES``), not after
``lock_stale_seconds``; a live one on another host is never taken over. Waits are bounded polls.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, update

from checker.settings import SettingsError
from web.batch import BatchRefused, NightlyBatch
from web.batch_models import BatchLock
from web.db import session_factory
from web.jobs import PAUSE_ENV, execute_run, queue_run
from web.locks import CHECK_LOCK, HEARTBEAT_MISSES, DatabaseLock
from web.models import CheckRun, Finding, utcnow
from web.orphans import sweep_orphaned_runs
from web.queue_settings import load_queue_settings
from test_batch import SMALL_CORPUS, finding_on, nightly, store

ELSEWHERE = "another-host.example"
SIX_HOURS = 6 * 3600
BLOCKED = "documents/surgery/day-surgery-leaflet.md"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _remote_run(db, heartbeat_age: float, started_age: float, heartbeat_seconds: int | None = 30,
                **extra: Any) -> CheckRun:
    now = utcnow()
    run = CheckRun(kind="nightly", status="running", started_at=now - timedelta(seconds=started_age), errors={},
                   owner_pid=4242, owner_host=ELSEWHERE, heartbeat_seconds=heartbeat_seconds,
                   heartbeat_at=now - timedelta(seconds=heartbeat_age) if heartbeat_seconds else None, **extra)
    db.add(run)
    db.commit()
    return run


# --- the sweeper -------------------------------------------------------------------------------

def test_a_run_on_another_host_whose_heartbeat_stopped_is_interrupted_after_a_few_intervals(db, seed):
    # 30 s heartbeats, the last one 2.5 min ago: its machine is gone, long before lock_stale_seconds (6 h)
    dead = _remote_run(db, heartbeat_age=HEARTBEAT_MISSES * 30 + 30, started_age=600)
    assert sweep_orphaned_runs(db, SIX_HOURS) == [dead.id]
    db.commit()
    swept = db.get(CheckRun, dead.id)
    assert swept.status == "interrupted" and f"no heartbeat from {ELSEWHERE}" in swept.error


def test_a_run_on_another_host_with_a_fresh_heartbeat_is_left_alone_however_long_it_runs(db, seed):
    alive = _remote_run(db, heartbeat_age=20, started_age=SIX_HOURS + 3600)  # 7 h running, beat 20 s ago
    assert sweep_orphaned_runs(db, SIX_HOURS) == []
    db.commit()
    assert db.get(CheckRun, alive.id).status == "running"


def test_a_run_that_keeps_no_heartbeat_keeps_the_lock_stale_seconds_rule(db, seed):
    recent = _remote_run(db, heartbeat_age=0, started_age=600, heartbeat_seconds=None)
    assert sweep_orphaned_runs(db, SIX_HOURS) == []
    old = _remote_run(db, heartbeat_age=0, started_age=SIX_HOURS + 60, heartbeat_seconds=None)
    assert sweep_orphaned_runs(db, SIX_HOURS) == [old.id]
    db.commit()
    assert db.get(CheckRun, recent.id).status == "running"


def test_a_queued_run_whose_worker_machine_died_goes_back_on_the_queue_with_its_heartbeat_cleared(db, seed):
    run = _remote_run(db, heartbeat_age=600, started_age=700, queued_at=utcnow(), attempts=1)
    assert sweep_orphaned_runs(db, SIX_HOURS) == [run.id]
    db.commit()
    requeued = db.get(CheckRun, run.id)
    assert requeued.status == "queued" and requeued.owner_host is None
    assert requeued.heartbeat_at is None and requeued.heartbeat_seconds is None


# --- the lock ----------------------------------------------------------------------------------

def _remote_lock(app, heartbeat_age: float, heartbeat_seconds: int | None = 30) -> None:
    now = datetime.now(timezone.utc)
    with app.app_context(), session_factory(app)() as session:
        session.add(BatchLock(name=CHECK_LOCK, token="elsewhere", owner_pid=4242, owner_host=ELSEWHERE, run_id=None,
                              acquired_at=now - timedelta(hours=7), heartbeat_at=now - timedelta(seconds=heartbeat_age),
                              heartbeat_seconds=heartbeat_seconds))
        session.commit()


def test_a_lock_whose_holder_on_another_host_stopped_beating_is_taken_over_after_a_few_intervals(app):
    _remote_lock(app, heartbeat_age=HEARTBEAT_MISSES * 30 + 30)
    run = nightly(app)
    assert run.status == "succeeded"
    with app.app_context(), session_factory(app)() as session:
        assert session.scalars(select(BatchLock)).all() == []  # taken over, then released


def test_a_lock_held_on_another_host_with_a_fresh_heartbeat_is_never_taken_over(app):
    _remote_lock(app, heartbeat_age=20)  # acquired 7 h ago, still beating
    with pytest.raises(BatchRefused, match=ELSEWHERE):
        nightly(app)
    _remote_lock_update(app, heartbeat_seconds=None, heartbeat_age=HEARTBEAT_MISSES * 30 + 30)
    with pytest.raises(BatchRefused, match=ELSEWHERE):  # no interval recorded: lock_stale_seconds (6 h)
        nightly(app)


def _remote_lock_update(app, heartbeat_seconds: int | None, heartbeat_age: float) -> None:
    with app.app_context(), session_factory(app)() as session:
        session.execute(update(BatchLock).values(heartbeat_seconds=heartbeat_seconds,
                                                 heartbeat_at=utcnow() - timedelta(seconds=heartbeat_age)))
        session.commit()


# --- refreshed while a run works -----------------------------------------------------------------

class _BlockingEngine:
    """The real engine, except that judging the statements of ``BLOCKED`` waits until released
    (so the run is busy for as long as the test likes, with no chunk committed meanwhile)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.entered, self.release = threading.Event(), threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    @property
    def judge(self) -> Any:
        real, outer = self._engine.judge, self

        class Blocking:
            def judge_alignments(self, alignments, min_score):
                alignments = list(alignments)
                if any(a.statement.path == BLOCKED for a in alignments):
                    outer.entered.set()
                    assert outer.release.wait(60), "never released"
                return real.judge_alignments(alignments, min_score)
        return Blocking()


def _heartbeats(app, run_id: int) -> tuple[datetime | None, datetime | None]:
    """The check lock's and the run's heartbeat."""
    with app.app_context(), session_factory(app)() as session:
        lock = session.get(BatchLock, CHECK_LOCK)
        run = session.get(CheckRun, run_id)
        return (_aware(lock.heartbeat_at) if lock else None,
                _aware(run.heartbeat_at) if run.heartbeat_at else None)


def _busy_batch(app, **options: Any) -> tuple[NightlyBatch, _BlockingEngine, threading.Thread, dict]:
    """A nightly run (1 s heartbeats) started in a thread and now blocked judging ``BLOCKED``."""
    store(app, SMALL_CORPUS)
    blocking = _BlockingEngine(app.extensions["touchpoint_engine"])
    batch = NightlyBatch(app.extensions["touchpoint_settings"], app.extensions["touchpoint_db"], blocking,
                         progress=False, chunk_documents=1, heartbeat_seconds=1, **options)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("outcome", batch.run()), daemon=True)
    thread.start()
    assert blocking.entered.wait(120), "the run never reached the blocked document"
    return batch, blocking, thread, result


def test_the_heartbeat_is_refreshed_while_a_long_run_works(app):
    batch, blocking, thread, result = _busy_batch(app)
    try:
        lock_before, run_before = _heartbeats(app, batch.run_id)
        assert lock_before is not None and run_before is not None
        time.sleep(2.5)  # no chunk is committed meanwhile: only the heartbeat thread writes
        lock_after, run_after = _heartbeats(app, batch.run_id)
        assert lock_after > lock_before and run_after > run_before
        assert (datetime.now(timezone.utc) - run_after).total_seconds() < 2.5
    finally:
        blocking.release.set()
        thread.join(120)
    assert result["outcome"].status == "succeeded"
    run = _run(app, batch.run_id)
    assert run.heartbeat_seconds == 1 and run.status == "succeeded"
    assert batch.lock.beats >= 3


def test_a_run_whose_lock_was_taken_over_commits_nothing_more(app):
    batch, blocking, thread, result = _busy_batch(app)
    try:
        with app.app_context(), session_factory(app)() as session:  # presumed dead by another host
            session.execute(update(BatchLock).values(token="thief", owner_host=ELSEWHERE, heartbeat_at=utcnow()))
            session.commit()
    finally:
        blocking.release.set()
        thread.join(120)
    outcome = result["outcome"]
    assert outcome.status == "interrupted" and "taken over" in outcome.reason
    assert finding_on(app, BLOCKED, "4 hours") is None  # its chunk was judged but never committed
    assert _run(app, batch.run_id).status == "running"  # the new owner marks it, not this run
    with app.app_context(), session_factory(app)() as session:
        assert session.get(BatchLock, CHECK_LOCK).token == "thief"  # not released: it is not ours


def _run(app, run_id: int) -> CheckRun:
    with app.app_context(), session_factory(app)() as session:
        return session.get(CheckRun, run_id)


def test_a_workers_check_refreshes_its_heartbeat_while_it_works(app, monkeypatch):
    app.extensions["touchpoint_queue_settings"] = load_queue_settings(environ={}, queue_url="immediate",
                                                                      run_heartbeat_seconds=1)
    store(app, SMALL_CORPUS)
    with app.app_context(), session_factory(app)() as session:
        run_id = queue_run(session, "manual", None, None).id
        session.commit()
    monkeypatch.setenv(PAUSE_ENV, "3")  # the worker sleeps 3 s after claiming the run
    done: dict = {}
    worker = threading.Thread(target=lambda: done.setdefault(
        "outcome", execute_run(app, app.extensions["touchpoint_engine"], run_id, 5)), daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while _run(app, run_id).status != "running":
            assert time.monotonic() < deadline and worker.is_alive(), "the run was never claimed"
            time.sleep(0.05)
        claimed = _run(app, run_id)
        assert claimed.heartbeat_seconds == 1 and claimed.heartbeat_at is not None
        time.sleep(2.2)
        beating = _run(app, run_id)
        assert beating.status == "running" and _aware(beating.heartbeat_at) > _aware(claimed.heartbeat_at)
    finally:
        worker.join(120)
    assert done["outcome"] == "done" and _run(app, run_id).status == "succeeded"
    with app.app_context(), session_factory(app)() as session:
        assert session.scalars(select(BatchLock)).all() == [] and session.scalars(select(Finding)).all() != []


def test_a_holder_that_makes_no_progress_stops_beating(app):
    lock = DatabaseLock(app.extensions["touchpoint_db"], CHECK_LOCK, stale_seconds=2, heartbeat_seconds=1)
    lock.acquire()
    try:
        deadline = time.monotonic() + 30
        while lock.beats < 1:  # it beats while it may still be working ...
            assert time.monotonic() < deadline, "never beat"
            time.sleep(0.1)
        time.sleep(3.5)  # ... and stops once it has shown no progress for stale_seconds
        beats = lock.beats
        time.sleep(2.5)
        assert lock.beats == beats and 1 <= beats <= 3
        lock.heartbeat()  # progress again: it counts as live again
        assert lock.beats == beats + 1
    finally:
        lock.release()
    assert lock.holder() is None


def test_the_heartbeat_interval_is_a_checked_setting():
    assert load_queue_settings(environ={}).run_heartbeat_seconds == 30
    assert load_queue_settings(environ={"TOUCHPOINT_RUN_HEARTBEAT_SECONDS": "5"}).run_heartbeat_seconds == 5
    for bad in ("0", "3601", "soon"):
        with pytest.raises(SettingsError, match="TOUCHPOINT_RUN_HEARTBEAT_SECONDS"):
            load_queue_settings(environ={"TOUCHPOINT_RUN_HEARTBEAT_SECONDS": bad})


def test_a_process_forked_while_the_heartbeat_thread_beats_can_still_open_sqlite(tmp_path):
    # The nightly batch forks its judging workers while the heartbeat thread writes to the database;
    # a fork in the middle of a SQLite call left the child a SQLite mutex held for ever, and a judging
    # worker hung opening the judgement cache (tests/web/test_batch_faults.py found it: 2 forks in 300).
    import os
    import signal
    import sqlite3

    from sqlalchemy import create_engine

    from web.models import Base

    from sqlalchemy.pool import NullPool

    # a connection opened and closed for every beat: SQLite holds its process-wide mutex then
    database = create_engine(f"sqlite:///{tmp_path / 'locks.sqlite3'}", poolclass=NullPool)
    Base.metadata.create_all(database, tables=[BatchLock.__table__, CheckRun.__table__])
    lock = DatabaseLock(database, CHECK_LOCK, 3600, heartbeat_seconds=0.0005)  # beating all the time
    lock.acquire()
    hung = 0
    try:
        for _ in range(200):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                signal.alarm(10)
                connection = sqlite3.connect(tmp_path / "judgements.sqlite3", timeout=60)
                connection.execute("SELECT 1")
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            hung += os.waitstatus_to_exitcode(status) != 0
    finally:
        lock.release()
        database.dispose()
    assert hung == 0 and lock.beats > 0
