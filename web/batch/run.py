"""One run of the batch: the lock, the run's row and progress, stopping on a signal."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Callable, Optional

from sqlalchemy import Engine as DatabaseEngine, select, update
from sqlalchemy.orm import Session, sessionmaker

from checker.settings import Settings
from web.batch.base import LOCK_NAME, RUN_KIND, BatchInterrupted, BatchOutcome, BatchRefused, RunNotQueued, log
from web.batch.checking import check_due, touch_skipped
from web.batch.planning import make_plan
from web.batch_models import BatchRunProgress
from web.locks import DatabaseLock, LockHeld, LockLost
from web.models import CheckRun, utcnow
from web.orphans import claim

COUNTERS = ("documents_checked", "statements_checked", "embeddings_computed", "embeddings_reused", "pairs_judged",
            "findings_new", "findings_unchanged", "findings_resolved", "findings_reopened")


class NightlyBatch:
    """One run of the batch. :meth:`prepare` takes the lock and creates the run (fast, so a web
    request can do it and answer at once); :meth:`execute` does the work and releases the lock.
    :meth:`run` does both."""

    def __init__(self, settings: Settings, database: DatabaseEngine, checker: Any = None, *,
                 user_id: Optional[int] = None, force: bool = False, progress: bool | None = None,
                 chunk_statements: int = 1500, chunk_documents: int = 40, workers: int = 1,
                 stop_event: Optional[threading.Event] = None, heartbeat_seconds: Optional[int] = None) -> None:
        self.settings = settings
        self.database = database
        self._checker = checker
        self.user_id = user_id
        self.force = force
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.chunk_statements = chunk_statements
        self.chunk_documents = chunk_documents
        self.workers = max(1, workers)
        self.stop_event = stop_event or threading.Event()
        self.sessions = sessionmaker(database, expire_on_commit=False)
        if heartbeat_seconds is None:  # the command line: TOUCHPOINT_RUN_HEARTBEAT_SECONDS or its default
            from web.queue_settings import load_queue_settings

            heartbeat_seconds = load_queue_settings().run_heartbeat_seconds
        #: while the run holds the lock, a thread refreshes its and the lock's heartbeat this often
        self.heartbeat_seconds = heartbeat_seconds
        self.lock = DatabaseLock(database, LOCK_NAME, settings.lock_stale_seconds,
                                 heartbeat_seconds=heartbeat_seconds)
        self.run_id: Optional[int] = None
        self.outcome: Optional[BatchOutcome] = None
        # protocol alignments the plan already made, by (path, position): the check reuses them
        self._aligned_by_plan: dict[tuple[str, int], Any] = {}

    @property
    def checker(self) -> Any:
        if self._checker is None:
            from checker.engine import Engine

            self._checker = Engine(self.settings)
        return self._checker

    # --- start ---------------------------------------------------------------------------------

    def prepare(self, adopt_run_id: Optional[int] = None, wait_seconds: Optional[float] = None) -> int:
        """Take the lock (waiting up to ``wait_seconds``, by default ``check_lock_wait_seconds``),
        mark runs a crash left ``running`` as interrupted, create our run, or with ``adopt_run_id``
        make that ``queued`` run ours (a task queue's job; :class:`RunNotQueued` when it is queued
        no more)."""
        wait = self.settings.check_lock_wait_seconds if wait_seconds is None else wait_seconds
        try:
            stale = self.lock.acquire_within(wait)
        except LockHeld as held:
            raise BatchRefused(f"another nightly run is in progress: {held}") from None
        try:
            with self.sessions() as session:
                interrupted = list(session.scalars(select(CheckRun.id).where(
                    CheckRun.kind == RUN_KIND, CheckRun.status == "running")))
                run = self._adopt(session, adopt_run_id) if adopt_run_id is not None else CheckRun(
                    kind=RUN_KIND, status="running", started_at=utcnow(), triggered_by_id=self.user_id, errors={})
                claim(run, self.heartbeat_seconds)
                session.add(run)
                session.flush()
                for run_id in interrupted:
                    session.execute(update(CheckRun).where(CheckRun.id == run_id).values(
                        status="interrupted", finished_at=utcnow(),
                        error=f"stopped before it finished (process killed or crashed); "
                              f"found by run #{run.id}, which completes its work"))
                session.commit()
                self.run_id = run.id
            self.lock.heartbeat(run_id=self.run_id)
        except BaseException:
            self.lock.release()
            raise
        self.outcome = BatchOutcome(run_id=self.run_id, status="running", interrupted_runs=interrupted,
                                    took_over_from=stale.run_id if stale else None)
        if interrupted:
            log.warning("run #%s: marked interrupted runs %s", self.run_id, interrupted)
        log.info("run #%s started (pid %s)", self.run_id, os.getpid())
        return self.run_id

    @staticmethod
    def _adopt(session: Session, run_id: int) -> CheckRun:
        taken = session.execute(update(CheckRun).where(CheckRun.id == run_id, CheckRun.status == "queued").values(
            status="running", started_at=utcnow(), attempts=CheckRun.attempts + 1),
            execution_options={"synchronize_session": False}).rowcount
        if taken != 1:
            raise RunNotQueued(f"run #{run_id} is no longer queued")
        run = session.get(CheckRun, run_id, populate_existing=True)
        run.error = None
        return run

    def run(self) -> BatchOutcome:
        self.prepare()
        return self.execute()

    # --- the work ------------------------------------------------------------------------------

    def execute(self) -> BatchOutcome:
        """Plan, embed, check; record how the run ended (unless another run took the lock over)
        and release the lock. Failures are recorded on the outcome, not raised."""
        assert self.run_id is not None and self.outcome is not None, "call prepare() first"
        outcome = self.outcome
        started = time.perf_counter()
        lost = False
        try:
            self._execute(outcome)
            outcome.status = "succeeded"
        except (BatchInterrupted, KeyboardInterrupt) as error:
            outcome.status = "interrupted"
            outcome.reason = str(error) or "stopped by a signal"
            log.warning("run #%s interrupted: %s", self.run_id, outcome.reason)
        except LockLost as error:  # another run owns the database now: write nothing more
            lost = True
            outcome.status = "interrupted"
            outcome.reason = str(error)
            log.error("run #%s stopped: %s", self.run_id, error)
        except Exception as error:
            outcome.status = "failed"
            outcome.reason = f"{type(error).__name__}: {error}"
            # The message may quote a document; it goes to the run record, not the log.
            log.error("run #%s failed: %s (see the run's error; traceback at debug level)",
                      self.run_id, type(error).__name__)
            log.debug("run #%s traceback", self.run_id, exc_info=True)
        finally:
            try:
                if not lost:
                    self._finish(outcome)
            finally:
                self.lock.release()  # after a takeover: only stops the heartbeat thread
        self._log_outcome(outcome, time.perf_counter() - started)
        return outcome

    def _log_outcome(self, outcome: BatchOutcome, seconds: float) -> None:
        log.info("run #%s %s in %.1f s: %d of %d documents checked (%d skipped), %d statements, "
                 "%d embeddings computed, %d reused, findings %d new, %d unchanged, %d resolved, "
                 "%d reopened, %d document errors", self.run_id, outcome.status, seconds,
                 outcome.documents_checked, outcome.documents_total, outcome.documents_skipped,
                 outcome.statements_checked, outcome.embeddings_computed, outcome.embeddings_reused,
                 outcome.findings_new, outcome.findings_unchanged, outcome.findings_resolved,
                 outcome.findings_reopened, len(outcome.errors))

    def _finish(self, outcome: BatchOutcome) -> None:
        with self.sessions() as session:
            run = session.get(CheckRun, self.run_id)
            self._copy_counts(run, outcome)
            run.status = outcome.status
            run.finished_at = utcnow()
            run.error = outcome.reason or None
            self._progress_row(session, outcome, "done" if outcome.status == "succeeded" else outcome.status)
            try:
                self.lock.fence(session)
            except LockLost as error:  # taken over since the last chunk: the new owner has marked this run
                session.rollback()
                outcome.status, outcome.reason = "interrupted", str(error)
                log.error("run #%s stopped: %s", self.run_id, error)
                return
            session.commit()

    @staticmethod
    def _copy_counts(run: CheckRun, outcome: BatchOutcome) -> None:
        for name in COUNTERS:
            setattr(run, name, getattr(outcome, name))
        run.errors = dict(outcome.errors)

    def _check_stop(self) -> None:
        self.lock.ensure_held()  # LockLost when the heartbeat thread found the lock taken over
        if self.stop_event.is_set():
            raise BatchInterrupted("stopped on request (signal) after a whole chunk")

    def _execute(self, outcome: BatchOutcome) -> None:
        with self.sessions() as session:
            plan = make_plan(self, session)
        outcome.documents_total = len(plan.documents)
        outcome.documents_skipped = len(plan.documents) - len(plan.due)
        due_statements = sum(len(plan.documents[d].keys) for d in plan.due)
        outcome.statements_total = due_statements
        log.info("run #%s plan: %d documents, %d due (%s), %d statements to check",
                 self.run_id, len(plan.documents), len(plan.due),
                 ", ".join(f"{count} {why}" for why, count in sorted(plan.reasons.items())) or "none",
                 due_statements)
        self._save_progress(outcome, "planned")
        if plan.due:
            check_due(self, plan, outcome)
        touch_skipped(self, plan, outcome)

    def _split_engine(self) -> bool:
        """Whether the checker is ``checker.engine.Engine`` (embed, judge): then the batch aligns
        all due documents in one pass and judges them document by document."""
        if not (hasattr(self.checker, "embed") and hasattr(self.checker, "judge")):
            return False
        try:
            from checker.align import Alignment, align, align_uncovered  # noqa: F401
        except ImportError:  # pragma: no cover - an engine without these: Engine.check per chunk
            return False
        return True

    # --- progress ------------------------------------------------------------------------------

    def _progress_row(self, session: Session, outcome: BatchOutcome, phase: str, done: int | None = None,
                      total: int | None = None) -> BatchRunProgress:
        row = session.get(BatchRunProgress, self.run_id) or BatchRunProgress(run_id=self.run_id)
        row.phase = phase
        if phase in ("embedding", "aligning") and done is not None:
            row.done, row.total = done, total or 0
        elif phase != "done" or not row.total:
            row.done, row.total = outcome.statements_checked, outcome.statements_total
        row.documents_total = outcome.documents_total
        row.documents_due = outcome.documents_total - outcome.documents_skipped
        row.statements_due = outcome.statements_total
        session.add(row)
        return row

    def _save_progress(self, outcome: BatchOutcome, phase: str, done: int | None = None,
                       total: int | None = None) -> None:
        with self.sessions() as session:
            run = session.get(CheckRun, self.run_id)
            self._copy_counts(run, outcome)
            self._progress_row(session, outcome, phase, done, total)
            session.commit()
        self.lock.heartbeat()

    def _bar(self, total: int, description: str) -> Callable[[int | None], None]:
        """A tqdm bar on stderr when it is a terminal (no-op otherwise): call with a step, None to close."""
        if not self.progress or total <= 0:
            return lambda step: None
        from tqdm import tqdm

        bar = tqdm(total=total, desc=description, unit="stmt", file=sys.stderr, dynamic_ncols=True,
                   leave=True, mininterval=0.5)

        def step(amount: int | None) -> None:
            if amount is None:
                bar.close()
            else:
                bar.update(amount)
        return step
