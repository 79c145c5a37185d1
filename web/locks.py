"""A named lock in the database that a crashed holder does not keep forever.

One row per lock name in ``batch_locks`` (owner pid, host, process start time, a random token,
heartbeat and how often it beats). Taking it is an INSERT (the primary key makes a second one fail)
or, when the row is stale, a compare-and-set UPDATE on the old token, so two processes can never
both win. A row is stale when its owner process is gone on this host (dead pid, or the pid now
belongs to a process that started later), or when its heartbeat is older than
:data:`HEARTBEAT_MISSES` of the holder's own intervals (``heartbeat_seconds``, recorded with the
row; a holder on another host can only be judged so) or, for a holder that records no interval or
is on this host and alive, than ``stale_seconds`` (``lock_stale_seconds``).

A holder made with ``heartbeat_seconds`` keeps its heartbeat fresh from a thread of its own while
it holds the lock, and with it the heartbeat of the run it holds it for (``check_runs.heartbeat_at``,
which ``web.orphans`` judges the same way). The thread beats only while the holder shows progress
(:meth:`DatabaseLock.heartbeat` from its own work) within ``stale_seconds``: a process that is alive
but stuck lets its heartbeat go stale like a dead one. A holder that was presumed dead and taken over
learns so at its next heartbeat (:class:`LockLost`), and :meth:`DatabaseLock.fence`, called in a
write transaction just before its commit, makes sure it never commits after that.

Works the same on SQLite and PostgreSQL. Every statement but :meth:`~DatabaseLock.fence` runs in
its own short transaction on its own connection, so callers must not hold an open write
transaction on SQLite while calling :meth:`DatabaseLock.heartbeat` (the keep-alive thread, on its
own connection, just waits for such a transaction and tries again at its next beat).
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.batch_models import BatchLock
from web.models import CheckRun

log = logging.getLogger(__name__)

#: Heartbeat intervals a holder (or a run) on another host may miss before it counts as dead.
HEARTBEAT_MISSES = 4

# A fork while a heartbeat is being written would hand the child a database driver's mutex held for
# ever: SQLite's are process-wide, and the nightly batch's forked judging workers open SQLite caches
# (one hung in sqlite3.connect, found by tests/web/test_batch_faults.py). So every fork in the process
# waits (up to _FORK_WAIT_SECONDS) until no heartbeat is being written, and no heartbeat starts during one.
_BEATING = threading.Lock()
_FORK_WAIT_SECONDS = 30.0
_fork_holds_beating = False


def _before_fork() -> None:
    global _fork_holds_beating
    _fork_holds_beating = _BEATING.acquire(timeout=_FORK_WAIT_SECONDS)
    if not _fork_holds_beating:
        log.error("forking while a heartbeat is still being written after %.0f s", _FORK_WAIT_SECONDS)


def _after_fork() -> None:
    global _fork_holds_beating
    if _fork_holds_beating:
        _fork_holds_beating = False
        _BEATING.release()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork)


def stale_after(heartbeat_seconds: Optional[int], fallback: float) -> float:
    """How old a heartbeat may be before its owner counts as dead: :data:`HEARTBEAT_MISSES`
    intervals of an owner that beats every ``heartbeat_seconds``, else ``fallback``."""
    return HEARTBEAT_MISSES * heartbeat_seconds if heartbeat_seconds else fallback


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
    heartbeat_seconds: Optional[int] = None


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
    """``with DatabaseLock(engine, "nightly", 3600): ...`` or acquire/heartbeat/release.

    With ``heartbeat_seconds``, a thread refreshes the heartbeat that often while the lock is held
    (see the module docstring)."""

    def __init__(self, engine: Engine, name: str, stale_seconds: int,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), *,
                 heartbeat_seconds: Optional[int] = None) -> None:
        self.engine = engine
        self.name = name
        self.stale_seconds = stale_seconds
        self.clock = clock
        self.heartbeat_seconds = heartbeat_seconds or None
        self.token = secrets.token_hex(16)
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.started = process_start(self.pid)
        self.held = False
        self.run_id: Optional[int] = None
        self.beats = 0  # heartbeats written, by the holder and its thread (for tests and logs)
        self._lost = threading.Event()  # the keep-alive thread found the lock taken over
        self._keeper: Optional[threading.Thread] = None
        self._keeper_stop = threading.Event()
        self._progress_at = time.monotonic()

    # --- inspection ------------------------------------------------------------------------

    def holder(self) -> Optional[Holder]:
        with self.engine.connect() as connection:
            row = connection.execute(select(BatchLock).where(BatchLock.name == self.name)).mappings().first()
        if row is None:
            return None
        return Holder(row["name"], row["token"], row["owner_pid"], row["owner_host"], row["owner_started"],
                      row["run_id"], _aware(row["heartbeat_at"]), row["heartbeat_seconds"])

    def stale_reason(self, holder: Holder) -> Optional[str]:
        """Why ``holder`` no longer counts (None: it is live). On this host its process decides
        (and a live one that has not beaten for ``stale_seconds`` is stuck); from another host only
        its heartbeat can be seen: stale after :data:`HEARTBEAT_MISSES` of its intervals."""
        age = (self.clock() - holder.heartbeat_at).total_seconds()
        if holder.host != socket.gethostname():
            limit = stale_after(holder.heartbeat_seconds, self.stale_seconds)
            if age > limit:
                every = f", it beats every {holder.heartbeat_seconds} s" if holder.heartbeat_seconds else ""
                return f"no heartbeat from {holder.host} for {age:.0f} s (limit {limit:.0f} s{every})"
            return None
        gone = process_gone(holder.pid, holder.host, holder.started)
        if gone == "dead":
            return f"owner pid {holder.pid} is not running on this host"
        if gone == "replaced":
            return f"owner pid {holder.pid} now belongs to another process"
        if age > self.stale_seconds:
            return f"no heartbeat for {age:.0f} s (limit {self.stale_seconds} s)"
        return None

    # --- taking and keeping ------------------------------------------------------------------

    def acquire(self, run_id: Optional[int] = None) -> Optional[Holder]:
        """Take the lock or raise :class:`LockHeld`. Returns the stale holder taken over, if any."""
        now = self.clock()
        values = dict(token=self.token, owner_pid=self.pid, owner_host=self.host, owner_started=self.started,
                      run_id=run_id, acquired_at=now, heartbeat_at=now, heartbeat_seconds=self.heartbeat_seconds)
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(BatchLock).values(name=self.name, **values))
            self._taken(run_id)
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
        self._taken(run_id)
        return holder

    def _taken(self, run_id: Optional[int]) -> None:
        self.held = True
        self.run_id = run_id
        self._progress_at = time.monotonic()
        self._lost.clear()
        if self.heartbeat_seconds and self._keeper is None:
            self._keeper_stop = threading.Event()
            self._keeper = threading.Thread(target=self._keep_alive, args=(self._keeper_stop,), daemon=True,
                                            name=f"lock-heartbeat-{self.name}")
            self._keeper.start()

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
        """Progress: refresh the heartbeat (and the run id; the run's heartbeat too); raise
        :class:`LockLost` if it was taken over."""
        self._progress_at = time.monotonic()
        if run_id is not None:
            self.run_id = run_id
        self._beat(run_id)

    def _beat(self, run_id: Optional[int] = None) -> None:
        now = self.clock()
        values = {"heartbeat_at": now}
        if run_id is not None:
            values["run_id"] = run_id
        with _BEATING, self.engine.begin() as connection:  # no fork meanwhile (see _BEATING)
            changed = connection.execute(update(BatchLock).where(
                BatchLock.name == self.name, BatchLock.token == self.token).values(**values)).rowcount
            if changed == 1 and self.run_id is not None:
                connection.execute(update(CheckRun).where(
                    CheckRun.id == self.run_id, CheckRun.status == "running", CheckRun.owner_pid == self.pid,
                    CheckRun.owner_host == self.host).values(heartbeat_at=now))
        if changed != 1:
            self.held = False
            raise LockLost(f"lock {self.name!r} was taken over by another process")
        self.beats += 1

    def _keep_alive(self, stop: threading.Event) -> None:
        """The heartbeat thread: beat every ``heartbeat_seconds`` until released, while the holder
        shows progress; a database error is logged and the next beat tries again."""
        stuck = False
        while not stop.wait(self.heartbeat_seconds):
            idle = time.monotonic() - self._progress_at
            if idle > self.stale_seconds:
                if not stuck:
                    log.error("lock %r: no progress for %.0f s (limit %s s); no more heartbeats, so the lock "
                              "and run #%s go stale", self.name, idle, self.stale_seconds, self.run_id)
                stuck = True
                continue
            stuck = False
            try:
                self._beat()
            except LockLost:
                if not stop.is_set():
                    log.error("lock %r was taken over by another process (run #%s)", self.name, self.run_id)
                    self._lost.set()
                return
            except Exception as error:  # noqa: BLE001 - the database is busy or away: next beat
                if not stop.is_set():
                    log.warning("lock %r: heartbeat failed (%s); trying again in %s s", self.name,
                                type(error).__name__, self.heartbeat_seconds)

    def _stop_keeper(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            self._keeper_stop.set()
            if keeper is not threading.current_thread():
                keeper.join(30)

    def ensure_held(self) -> None:
        """Raise :class:`LockLost` if the heartbeat thread found the lock taken over."""
        if self._lost.is_set():
            self.held = False
            raise LockLost(f"lock {self.name!r} was taken over by another process")

    def fence(self, session: Session) -> None:
        """In ``session``'s write transaction, just before its commit: refresh our heartbeat, or
        raise :class:`LockLost` (the caller rolls back) when the lock is ours no more. A process that
        was presumed dead and taken over so never commits after the takeover: on PostgreSQL the row
        stays locked until the commit, and SQLite has one writer."""
        changed = session.execute(update(BatchLock).where(
            BatchLock.name == self.name, BatchLock.token == self.token).values(heartbeat_at=self.clock()),
            execution_options={"synchronize_session": False}).rowcount
        if changed != 1:
            self.held = False
            raise LockLost(f"lock {self.name!r} was taken over by another process")

    def release(self) -> None:
        self._stop_keeper()
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
