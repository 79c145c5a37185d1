"""Runs orphaned by a crash: a run whose owning process is gone is marked ``interrupted``.

Every run records the process that does it (pid, host, process start time). On this host a run
whose pid is dead, or now belongs to a later process, is orphaned at once; a run owned by another
host is orphaned once it is older than ``lock_stale_seconds``, since its pid cannot be checked from
here. The sweep runs whenever a new run starts and whenever the runs page is shown.
"""
from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.locks import process_gone, process_start
from web.models import CheckRun, utcnow


def claim(run: CheckRun) -> None:
    """Record this process as the owner of ``run``."""
    run.owner_pid = os.getpid()
    run.owner_host = socket.gethostname()
    run.owner_started = process_start(run.owner_pid)


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
    started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=timezone.utc)
    age = (now - started).total_seconds()
    return f"it started {age:.0f} s ago on {run.owner_host} and never finished" if age > stale_seconds else None


def sweep_orphaned_runs(session: Session, stale_seconds: int) -> list[int]:
    """Mark orphaned ``running`` runs ``interrupted`` (flushed, not committed); their ids."""
    now = utcnow()
    swept = []
    for run in session.scalars(select(CheckRun).where(CheckRun.status == "running")):
        reason = owner_gone(run, now, stale_seconds)
        if reason:
            run.status, run.finished_at = "interrupted", now
            run.error = f"stopped before it finished: {reason}"
            swept.append(run.id)
    session.flush()
    return swept
