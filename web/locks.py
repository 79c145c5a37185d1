"""A named lock in the database that a crashed holder does not keep forever.

One row per lock name in ``batch_locks`` (owner pid, host, process start time, a random token,
heartbeat). Taking it is an INSERT (the primary key makes a second one fail) or, when the row
is stale, a compare-and-set UPDATE on the old token, so two processes can never both win.
A row is stale when its heartbeat is older than ``stale_seconds`` or its owner process is
gone on this host (dead pid, or the pid now belongs to a process that started later).
Works the same on SQLite and PostgreSQL. Every statement runs in its own short transaction
on its own connection, so callers must not hold an open write transaction on SQLite while
calling :meth:`DatabaseLock.heartbeat`.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from web.batch_models import BatchLock

log = logging.getLogger(__name__)


class LockHeld(RuntimeError):
    """Someone else holds the lock; ``holder`` says who."""

    def __init__(self, holder: "Holder") -> None:
        super().__init__(f"lock {holder.name!r} is held by pid {holder.pid} on {holder.host} "
                         f"(run #{holder.run_id}, heartbeat {holder.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)")
        self.holder = holder


class LockLost(RuntimeError):
    """Our lock was taken over (we were presumed dead): stop writing."""


@dataclass(frozen=True)
class Holder:
    name: str
    token: str
    pid: int
    host: str
    started: Optional[str]
    run_id: Optional[int]
    heartbeat_at: datetime


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def process_start(pid: int) -> Optional[str]:
    """The start time of ``pid`` in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # Field 22 (starttime) counts from after the ")" that closes the command name.
    fields = raw[raw.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not waited for yet is a zombie: dead for our purpose
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().decode("ascii", "replace")
        return state[state.rfind(")") + 2:][:1] not in ("Z", "X")
    except OSError:
        return True


def process_gone(pid: int, host: str, started: Optional[str]) -> Optional[str]:
    """For a process on this host: "dead", "replaced" (its pid now belongs to a later process), or
    None while it runs. A process on another host cannot be checked from here: None."""
    if host != socket.gethostname():
        return None
    if not pid_alive(pid):
        return "dead"
    if started and process_start(pid) not in (None, started):
        return "replaced"
    return None


# One lock for every check: the nightly batch, an upload's check, the button and a protocol upload
# all write findings, so they take turns. (The name predates the uploads taking it too.)
CHECK_LOCK = "nightly"


class DatabaseLock:
    """``with DatabaseLock(engine, "nightly", 3600): ...`` or acquire/heartbeat/release."""

    def __init__(self, engine: Engine, name: str, stale_seconds: int,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.engine = engine
        self.name = name
        self.stale_seconds = stale_seconds
        self.clock = clock
        self.token = secrets.token_hex(16)
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.started = process_start(self.pid)
        self.held = False

    # --- inspection ------------------------------------------------------------------------

    def holder(self) -> Optional[Holder]:
        with self.engine.connect() as connection:
            row = connection.execute(select(BatchLock).where(BatchLock.name == self.name)).mappings().first()
        if row is None:
            return None
        return Holder(row["name"], row["token"], row["owner_pid"], row["owner_host"], row["owner_started"],
                      row["run_id"], _aware(row["heartbeat_at"]))

    def stale_reason(self, holder: Holder) -> Optional[str]:
        """Why ``holder`` no longer counts (None: it is live)."""
        age = (self.clock() - holder.heartbeat_at).total_seconds()
        if age > self.stale_seconds:
            return f"no heartbeat for {age:.0f} s (limit {self.stale_seconds} s)"
        gone = process_gone(holder.pid, holder.host, holder.started)
        if gone == "dead":
            return f"owner pid {holder.pid} is not running on this host"
        if gone == "replaced":
            return f"owner pid {holder.pid} now belongs to another process"
        return None

    # --- taking and keeping ------------------------------------------------------------------

    def acquire(self, run_id: Optional[int] = None) -> Optional[Holder]:
        """Take the lock or raise :class:`LockHeld`. Returns the stale holder taken over, if any."""
        now = self.clock()
        values = dict(token=self.token, owner_pid=self.pid, owner_host=self.host, owner_started=self.started,
                      run_id=run_id, acquired_at=now, heartbeat_at=now)
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(BatchLock).values(name=self.name, **values))
            self.held = True
            return None
        except IntegrityError:
            pass
        holder = self.holder()
        if holder is None:  # released between our insert and our read: try once more
            return self.acquire(run_id)
        reason = self.stale_reason(holder)
        if reason is None:
            raise LockHeld(holder)
        with self.engine.begin() as connection:
            taken = connection.execute(update(BatchLock).where(
                BatchLock.name == self.name, BatchLock.token == holder.token).values(**values)).rowcount
        if taken != 1:
            current = self.holder()
            raise LockHeld(current or holder)
        log.warning("took over stale lock %r from pid %s on %s (run #%s): %s",
                    self.name, holder.pid, holder.host, holder.run_id, reason)
        self.held = True
        return holder

    def acquire_within(self, seconds: float, run_id: Optional[int] = None, poll: float = 0.5) -> Optional[Holder]:
        """Like :meth:`acquire`, waiting up to ``seconds`` for a live holder to finish."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.acquire(run_id)
            except LockHeld:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    def heartbeat(self, run_id: Optional[int] = None) -> None:
        """Refresh the heartbeat (and the run id); raise :class:`LockLost` if it was taken over."""
        values = {"heartbeat_at": self.clock()}
        if run_id is not None:
            values["run_id"] = run_id
        with self.engine.begin() as connection:
            changed = connection.execute(update(BatchLock).where(
                BatchLock.name == self.name, BatchLock.token == self.token).values(**values)).rowcount
        if changed != 1:
            self.held = False
            raise LockLost(f"lock {self.name!r} was taken over by another process")

    def release(self) -> None:
        if not self.held:
            return
        with self.engine.begin() as connection:
            connection.execute(delete(BatchLock).where(BatchLock.name == self.name,
                                                       BatchLock.token == self.token))
        self.held = False

    def __enter__(self) -> "DatabaseLock":
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
