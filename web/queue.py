"""The task queue checks run on: huey (MIT), with its SQLite storage by default and Redis when
``TOUCHPOINT_QUEUE_URL=redis://...`` (settings in ``web.queue_settings``).

The web app only queues: :func:`submit` stores a ``queued`` run (``web.jobs.queue_run``), commits
it, and hands its id to the queue. Worker processes (``flask --app web worker``, ``web.worker``)
load the model once and do the runs (``web.jobs.execute_run``). The database stays the source of
truth: a message that is lost (a worker killed while holding it: huey does not deliver a message
twice) costs nothing, because :func:`recover` finds the run in the database, at every worker's
start, every ``queue_sweep_seconds`` in each worker, whenever a check is submitted and whenever
the runs page is shown, and hands it to the queue again. A run delivered twice is done once (the
claim in ``web.jobs`` is a compare-and-set).

With ``queue_url = immediate`` (the tests) there is no queue: a run is done inside :func:`submit`.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from web.db import session_factory
from web.jobs import BUSY, execute_run, queue_run
from web.models import CheckRun, DocumentVersion, User, utcnow
from web.orphans import sweep_orphaned_runs
from web.queue_settings import IMMEDIATE, QueueSettings, queue_scheme

log = logging.getLogger(__name__)

TASK_NAME = "check_run"


def init_app(app: Flask, settings: QueueSettings, base_dir: Path) -> None:
    """Keep the queue's settings on the app; the queue itself (:func:`get_queue`) is opened on first
    use, so commands that queue nothing (``init-db``, ``create-user``) never touch it. A relative
    SQLite queue path is taken from ``base_dir``."""
    app.extensions["touchpoint_queue_settings"] = settings
    app.extensions["touchpoint_queue_base"] = base_dir


_OPENING = threading.Lock()


def get_queue(app: Flask) -> Huey:
    """The app's huey instance, with its one task registered (built once, on first use)."""
    app = getattr(app, "_get_current_object", lambda: app)()  # current_app: the app itself, for the task
    huey = app.extensions.get("touchpoint_queue")
    if huey is None:
        with _OPENING:
            huey = app.extensions.get("touchpoint_queue")
            if huey is None:
                huey = make_huey(app.extensions["touchpoint_queue_settings"], Path(app.instance_path),
                                 app.extensions["touchpoint_queue_base"])
                app.extensions["touchpoint_queue_task"] = _register_task(app, huey)
                app.extensions["touchpoint_queue"] = huey
    return huey


def make_huey(settings: QueueSettings, instance: Path, base_dir: Path) -> Huey:
    """A huey instance for ``settings.queue_url`` (no results are stored: runs are rows)."""
    scheme, url, name = queue_scheme(settings.queue_url), settings.queue_url, settings.queue_name
    if scheme == IMMEDIATE:
        return MemoryHuey(name, immediate=True, results=False)
    if scheme == "sqlite":
        path = sqlite_queue_path(url, instance, base_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    return RedisHuey(name, url=url, results=False)


def sqlite_queue_path(url: str, instance: Path, base_dir: Path) -> Path:
    """The queue's file: ``instance/queue.sqlite3`` for an empty URL; ``sqlite:////abs/file`` or
    ``sqlite:///relative/file`` (from ``base_dir``, the project folder)."""
    if not url:
        return instance / "queue.sqlite3"
    raw = url.split(":///", 1)[1] if ":///" in url else ""
    if not raw:
        raise ValueError(f"a SQLite queue URL names a file: sqlite:///queue.sqlite3, not {url!r}")
    path = Path(raw)
    return path if path.is_absolute() else base_dir / path


def queue_location(app: Flask) -> str:
    """Where the queue is, for logs and the worker's start line (no password)."""
    storage = get_queue(app).storage
    if hasattr(storage, "filename"):
        return f"sqlite {storage.filename}"
    if hasattr(storage, "pool"):
        kwargs = storage.pool.connection_kwargs
        return f"redis {kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db')}"
    return "immediate (no queue: checks run where they are asked for)"


def _register_task(app: Flask, huey: Huey) -> Any:
    settings = app.extensions["touchpoint_settings"]
    queue_settings: QueueSettings = app.extensions["touchpoint_queue_settings"]

    def check_run(run_id: int) -> None:
        """Do the queued check run ``run_id``; when the check lock is held, queue it again later."""
        from web.library import get_engine

        with app.app_context():
            outcome = execute_run(app, get_engine(app), run_id, min(settings.check_lock_wait_seconds,
                                                                    queue_settings.queue_retry_seconds))
        if outcome == BUSY:
            _mark_enqueued(app, run_id)
            task.schedule(args=(run_id,), delay=queue_settings.queue_retry_seconds)

    task = huey.task(name=TASK_NAME)(check_run)
    return task


def enqueue(app: Flask, run_id: int) -> None:
    """Hand ``run_id`` to the queue (in immediate mode: do it now)."""
    get_queue(app)
    app.extensions["touchpoint_queue_task"](run_id)


def submit(app: Flask, session: Session, kind: str, user: User | None, document_ids: set[int] | None = None,
           version: DocumentVersion | None = None) -> CheckRun:
    """Queue a check (``web.jobs.queue_run``), commit what is pending with it, hand it to the queue,
    and recover lost runs. Returns the run (re-read: in immediate mode it is already done)."""
    run = queue_run(session, kind, user, document_ids, version)
    session.commit()
    enqueue(app, run.id)
    recover(app)
    return session.get(CheckRun, run.id, populate_existing=True)


def recover(app: Flask, requeue_after: float | None = None) -> list[int]:
    """Hand back to the queue the runs that a dead worker held (``web.orphans``) and, when the queue
    holds no message, the queued runs nobody has handed over for ``requeue_after`` seconds (default
    ``queue_requeue_seconds``); their ids."""
    queue_settings: QueueSettings = app.extensions["touchpoint_queue_settings"]
    settings = app.extensions["touchpoint_settings"]
    wait = queue_settings.queue_requeue_seconds if requeue_after is None else requeue_after
    with session_factory(app)() as session:
        sweep_orphaned_runs(session, settings.lock_stale_seconds, queue_settings.queue_max_attempts)
        session.commit()
        stale = requeue_after is not None or _queue_empty(app)
        due = _due(session, wait if stale else None)
    for run_id in due:
        log.info("handing queued run #%s to the queue again", run_id)
        enqueue(app, run_id)
    return due


def _queue_empty(app: Flask) -> bool:
    huey = get_queue(app)
    try:
        return huey.immediate or huey.pending_count() == 0
    except Exception:  # noqa: BLE001 - a queue that cannot be read: the sweep tries again later
        log.warning("cannot read the queue (%s)", queue_location(app), exc_info=True)
        return False


def _due(session: Session, wait: float | None) -> list[int]:
    """Queued runs never handed over (a sweep cleared the stamp) or, unless ``wait`` is None, handed
    over more than ``wait`` seconds ago; each stamped now with a compare-and-set, so two recovering
    processes hand each over once."""
    never = CheckRun.enqueued_at.is_(None)
    due_when = never if wait is None else or_(never, CheckRun.enqueued_at <= utcnow() - timedelta(seconds=wait))
    rows = session.execute(select(CheckRun.id, CheckRun.enqueued_at).where(
        CheckRun.status == "queued", due_when).order_by(CheckRun.id)).all()
    due = []
    for run_id, stamp in rows:
        same = CheckRun.enqueued_at.is_(None) if stamp is None else CheckRun.enqueued_at == stamp
        if session.execute(update(CheckRun).where(CheckRun.id == run_id, CheckRun.status == "queued", same)
                           .values(enqueued_at=utcnow()), execution_options={"synchronize_session": False}).rowcount:
            due.append(run_id)
    session.commit()
    return due


def _mark_enqueued(app: Flask, run_id: int) -> None:
    with session_factory(app)() as session:
        session.execute(update(CheckRun).where(CheckRun.id == run_id, CheckRun.status == "queued")
                        .values(enqueued_at=utcnow()), execution_options={"synchronize_session": False})
        session.commit()


def run_now(app: Flask, session: Session, kind: str, user: User | None, document_ids: set[int] | None = None,
            version: DocumentVersion | None = None, engine: Any = None) -> CheckRun:
    """Queue a run and do it in this process at once, without the queue (``flask --app web demo``):
    when the check lock stays held for ``check_lock_wait_seconds`` the run ends ``failed``."""
    from web.checking import fail_run
    from web.library import get_engine

    run = queue_run(session, kind, user, document_ids, version)
    session.commit()
    wait = app.extensions["touchpoint_settings"].check_lock_wait_seconds
    if execute_run(app, engine or get_engine(app), run.id, wait) == BUSY:
        run = session.get(CheckRun, run.id, populate_existing=True)
        fail_run(run, "Not checked: another check is running. What was uploaded is saved; "
                      "the next check or nightly run checks it.")
        session.commit()
    return session.get(CheckRun, run.id, populate_existing=True)
