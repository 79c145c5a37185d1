"""Runs orphaned by a crash: a run whose owning process is gone is marked ``interrupted``.

Every run records the process that does it (pid, host, process start time). On this host a run
whose pid is dead, or now belongs to a later process, is orphaned at once. A run owned by another
host cannot have its pid checked from here: a run whose owner keeps a heartbeat (``heartbeat_at``,
refreshed every ``heartbeat_seconds`` by the check lock's keep-alive thread, ``web.locks``) is
orphaned once that heartbeat is :data:`~web.locks.HEARTBEAT_MISSES` intervals old; a run that records
no heartbeat interval (started before heartbeats, or by :func:`web.checking.start_run`) once it is
older than ``lock_stale_seconds``. The sweep runs whenever a new run starts and whenever the runs page
is shown (and every ``queue_sweep_seconds`` in each queue worker).

A run of the task queue (``queued_at`` set, see ``web.jobs``) is not lost with its worker: an orphaned
one goes back to ``queued`` (its owner cleared, ``enqueued_at`` cleared so the next recovery hands
it to the queue again) until a worker has started it ``max_attempts`` times; only then is it marked
``interrupted``. Its findings were never half-written: a check syncs them in one transaction at its end.
"""
from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from web.locks import process_gone, process_start, stale_after
from web.models import CheckRun, utcnow


def claim(run: CheckRun, heartbeat_seconds: int | None = None) -> None:
    """Record this process as the owner of ``run`` (which refreshes its heartbeat every
    ``heartbeat_seconds``; None: it keeps none)."""
    run.owner_pid = os.getpid()
    run.owner_host = socket.gethostname()
    run.owner_started = process_start(run.owner_pid)
    run.heartbeat_at = utcnow() if heartbeat_seconds else None
    run.heartbeat_seconds = heartbeat_seconds or None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def owner_gone(run: CheckRun, now: datetime, stale_seconds: int) -> str | None:
    """Why ``run``'s owner no longer counts, or None while it may still be working."""
    if run.owner_pid is None:
        return None  # a run from before owners were recorded: the nightly batch settles those
    if run.owner_host == socket.gethostname():
        gone = process_gone(run.owner_pid, run.owner_host, run.owner_started)
        if gone == "dead":
            return f"its process {run.owner_pid} is no longer running"
        if gone == "replaced":
            return f"its process {run.owner_pid} has been replaced by another"
        return None
    if run.heartbeat_seconds:
        age = (now - _aware(run.heartbeat_at or run.started_at)).total_seconds()
        limit = stale_after(run.heartbeat_seconds, stale_seconds)
        return (f"no heartbeat from {run.owner_host} for {age:.0f} s (it beats every {run.heartbeat_seconds} s)"
                if age > limit else None)
    age = (now - _aware(run.started_at)).total_seconds()
    return f"it started {age:.0f} s ago on {run.owner_host} and never finished" if age > stale_seconds else None


def sweep_orphaned_runs(session: Session, stale_seconds: int, max_attempts: int = 3) -> list[int]:
    """Mark orphaned ``running`` runs ``interrupted``, or put a queue's run back to ``queued`` (see
    the module docstring); flushed, not committed. Returns the ids of the runs changed."""
    now = utcnow()
    swept = []
    for run in session.scalars(select(CheckRun).where(CheckRun.status == "running")):
        reason = owner_gone(run, now, stale_seconds)
        if not reason:
            continue
        if run.queued_at is not None and (run.attempts or 0) < max_attempts:
            if _requeue(session, run, reason):
                swept.append(run.id)
            continue
        run.status, run.finished_at = "interrupted", now
        run.error = f"stopped before it finished: {reason}"
        if run.queued_at is not None:
            run.error += f" (started {run.attempts} times)"
        swept.append(run.id)
    session.flush()
    return swept


def _requeue(session: Session, run: CheckRun, reason: str) -> bool:
    """Hand a dead worker's run back to the queue, unless someone else already did (compare and
    set on the owner, so two sweepers never both do)."""
    changed = session.execute(update(CheckRun).where(
        CheckRun.id == run.id, CheckRun.status == "running", CheckRun.owner_pid == run.owner_pid,
        CheckRun.owner_host == run.owner_host).values(
        status="queued", owner_pid=None, owner_host=None, owner_started=None, enqueued_at=None,
        heartbeat_at=None, heartbeat_seconds=None,
        error=f"attempt {run.attempts} stopped before it finished ({reason}); queued again"),
        execution_options={"synchronize_session": False}).rowcount
    session.expire(run)
    return changed == 1
