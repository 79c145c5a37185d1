"""The nightly batch: re-compare every document with the protocols and with each other,
incrementally, safely interrupted, one run at a time.

``flask --app web nightly`` runs it from the command line, :func:`nightly_main` is what the
engine's ``touchpoint nightly`` calls, and admins start it from the runs page (``POST
/runs/check-now``, in a background thread).

How a run goes:

1. **Lock.** A row in ``batch_locks`` (see :mod:`web.locks`) keeps a second run out; a crashed
   run's row goes stale (dead pid on this host, or no heartbeat for ``lock_stale_seconds``).
   Runs left ``running`` by a crash are marked ``interrupted`` by the next run.
2. **Plan** (cheap: statement keys only). Each document's *input fingerprint* hashes its
   current version's statement keys and path, the protocol set's fingerprint,
   ``settings.fingerprint()``, ``min_score`` and the model name. A document is re-checked when
   its fingerprint differs from the one stored in ``batch_document_states`` (new or changed
   document; changed settings or model: all re-checked then, embeddings come from the cache;
   changed protocols: the documents the change can reach, ``checker.reach``, against the
   protocol versions each was last checked with, while the others take the new fingerprint
   unchecked) or when it is marked ``dirty`` because a document it is compared with changed.
   For a changed document the plan adds (and marks dirty, committed before any checking, so
   an interrupted run's successor still knows): the documents that were compared with it,
   the ones it was compared with, and those with a statement close enough to one of its new
   statements to become a document-to-document candidate (``document_neighbour_floor``).
3. **Embed** every statement once (protocols and documents; the engine's cache makes
   unchanged statements free), with a progress bar.
4. **Check** the planned documents in small chunks, each against all protocols and all
   documents (``Engine.check(..., only_paths=chunk)``), and in one transaction per chunk
   sync their findings (``web.checking``: new -> open, known -> kept with reviewer decisions,
   gone -> resolved naming this run) and store their new input fingerprints. A kill at any
   point leaves whole chunks done and the rest still due.
5. Findings of skipped documents get ``last_seen_run`` = this run and count as unchanged.

Logs name runs, documents (by path), counts and timings, never statement text.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import click
import numpy as np
from sqlalchemy import Engine as DatabaseEngine, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from checker.align import document_neighbour_floor
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, DocumentError, Statement
from checker.settings import Settings, load_settings
from web.batch_models import BatchDocumentState, BatchRunProgress
from web.checking import RunCounts, _resolve_missing, _upsert_findings
from web.locks import CHECK_LOCK, DatabaseLock, LockHeld, LockLost
from web.orphans import claim
from web.models import (CheckRun, Department, Document, DocumentVersion, Finding, Protocol, ProtocolVersion,
                        StoredStatement, utcnow)

log = logging.getLogger(__name__)

LOCK_NAME = CHECK_LOCK
RUN_KIND = "nightly"
#: Bump when the batch's own logic changes what it stores, to re-check everything once.
BATCH_FORMAT = "2"
#: Environment hooks for tests: stop for a while after N documents have been committed.
PAUSE_AFTER_ENV = "TOUCHPOINT_BATCH_PAUSE_AFTER"
PAUSE_SECONDS_ENV = "TOUCHPOINT_BATCH_PAUSE_SECONDS"

EXIT_OK, EXIT_FAILED, EXIT_DOCUMENT_ERRORS, EXIT_LOCKED = 0, 1, 2, 3
#: Judging processes of the command-line batch (the web button judges in its own thread).
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)


class BatchRefused(RuntimeError):
    """Another run holds the lock."""


class BatchInterrupted(RuntimeError):
    """SIGTERM/SIGINT asked the run to stop; it stopped after a whole chunk."""


@dataclass(kw_only=True)
class BatchOutcome(RunCounts):
    """What a run did (also stored on its ``CheckRun`` row): the check's counters and the batch's own."""

    run_id: int
    status: str
    documents_total: int = 0
    documents_skipped: int = 0
    statements_total: int = 0
    interrupted_runs: list[int] = field(default_factory=list)
    took_over_from: Optional[int] = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DocumentInput:
    """A document's current version as the plan sees it (keys only, no text)."""

    id: int
    path: str
    department: str
    version_id: int
    keys: list[str]
    content_fingerprint: str = ""
    input_fingerprint: str = ""


@dataclass
class Context:
    """Everything a check compares against: statements of all current versions, row ids by path."""

    protocols: list[Statement]
    protocol_ids: dict[str, Any]
    documents: list[Statement]
    document_ids: dict[str, Any]
    counts: dict[str, int]
    aligned: dict[str, list[Any]] = field(default_factory=dict)
    thresholds: dict[tuple[str, int], float] = field(default_factory=dict)
    services: Any = None  # checker.directory.ServiceIndex, built on first use

    def service_index(self) -> Any:
        """Phone numbers and opening hours of every statement, indexed once per run."""
        if self.services is None:
            from checker.directory import ServiceIndex

            self.services = ServiceIndex(self.protocols, self.documents)
        return self.services


@dataclass
class Plan:
    documents: dict[int, DocumentInput]
    protocol_fingerprint: str
    settings_fingerprint: str
    due: list[int]                 # document ids to check, in order
    changed: set[int]              # due because their own input changed
    reasons: dict[str, int]        # why documents are due, counted
    unreadable: dict[int, str] = field(default_factory=dict)
    protocol_versions: list[int] = field(default_factory=list)  # the current protocol set


# --- fingerprints ---------------------------------------------------------------------------

def _sha(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def settings_fingerprint(settings: Settings) -> str:
    """What checking results depend on besides the statements: the engine's own list
    (``Settings.fingerprint``), the judge threshold, the model name, the engine's version and
    this batch's format."""
    try:
        from checker import __version__ as engine_version
    except ImportError:  # pragma: no cover
        engine_version = "?"
    return _sha(BATCH_FORMAT, engine_version, settings.fingerprint(), repr(settings.min_score), settings.model_name)


def protocol_set_fingerprint(protocols: dict[str, list[str]]) -> str:
    """Paths and statement keys of every protocol's current version."""
    return _sha(*(f"{path}\t{','.join(keys)}" for path, keys in sorted(protocols.items())))


def content_fingerprint(path: str, keys: Sequence[str]) -> str:
    """``keys``: one string per statement (its text key, headings and scope line, see
    :func:`_keys_by_version`): what the engine reads of a statement besides its offsets."""
    return _sha(path, *keys)


def input_fingerprint(content: str, protocols: str, settings: str) -> str:
    return _sha(content, protocols, settings)


# --- reading the database (Core queries: keys only for the plan) -----------------------------

def _current_document_versions(session: Session) -> list[tuple[int, str, str, int]]:
    """(document id, engine path, department slug, current version id) of every document."""
    latest = (select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("number"))
              .group_by(DocumentVersion.document_id).subquery())
    rows = session.execute(
        select(Document.id, Document.filename, Department.slug, DocumentVersion.id)
        .join(Department, Department.id == Document.department_id)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .join(latest, and_(latest.c.document_id == DocumentVersion.document_id,
                           latest.c.number == DocumentVersion.number))
        .order_by(Document.id))
    return [(doc_id, f"documents/{slug}/{filename}", slug, version_id)
            for doc_id, filename, slug, version_id in rows]


def _current_protocol_versions(session: Session) -> list[tuple[int, str, int]]:
    latest = (select(ProtocolVersion.protocol_id, func.max(ProtocolVersion.number).label("number"))
              .group_by(ProtocolVersion.protocol_id).subquery())
    rows = session.execute(
        select(Protocol.id, Protocol.filename, ProtocolVersion.id)
        .join(ProtocolVersion, ProtocolVersion.protocol_id == Protocol.id)
        .join(latest, and_(latest.c.protocol_id == ProtocolVersion.protocol_id,
                           latest.c.number == ProtocolVersion.number))
        .order_by(Protocol.id))
    return [(protocol_id, f"protocols/{filename}", version_id) for protocol_id, filename, version_id in rows]


def _protocol_versions_statements(session: Session, version_ids: Sequence[int]) -> Optional[list[Statement]]:
    """Statements of these protocol versions, in the order of the current set (by protocol);
    None when one of the versions no longer exists."""
    rows = session.execute(
        select(Protocol.id, Protocol.filename, ProtocolVersion.id)
        .join(ProtocolVersion, ProtocolVersion.protocol_id == Protocol.id)
        .where(ProtocolVersion.id.in_(list(version_ids))).order_by(Protocol.id)).all()
    if len(rows) != len(set(version_ids)):
        return None
    by_version = _statements_by_version(session, StoredStatement.protocol_version_id,
                                        {version_id: (f"protocols/{filename}", ROLE_PROTOCOL, "")
                                         for _, filename, version_id in rows})
    return [s for *_, version_id in rows for s in by_version[version_id]]


def _edited_protocols(session: Session, version_ids: set[int]) -> set[int]:
    if not version_ids:
        return set()
    return set(session.scalars(select(ProtocolVersion.protocol_id).where(ProtocolVersion.id.in_(list(version_ids)))))


def _documents_citing(session: Session, doc_ids: Sequence[int], protocol_ids: set[int]) -> set[int]:
    """Documents among ``doc_ids`` with a finding still occurring against one of ``protocol_ids``."""
    if not protocol_ids:
        return set()
    cited: set[int] = set()
    for chunk in _chunks(list(doc_ids), 500):
        cited.update(session.scalars(select(Finding.document_id).distinct().where(
            Finding.document_id.in_(chunk), Finding.source_protocol_id.in_(list(protocol_ids)),
            Finding.resolved_by_run_id.is_(None), Finding.resolved_by_version_id.is_(None))))
    return cited


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _keys_by_version(session: Session, column, version_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per version, in position order: the statement's text key, plus a hash of its headings and
    scope line when it has any (both decide which populations and topics it is about)."""
    keys: dict[int, list[str]] = {version_id: [] for version_id in version_ids}
    for chunk in _chunks(list(version_ids), 500):
        rows = session.execute(select(column, StoredStatement.text_key, StoredStatement.context,
                                      StoredStatement.scope)
                               .where(column.in_(chunk)).order_by(column, StoredStatement.position))
        for version_id, key, context, scope in rows:
            if context or scope:
                key = key + ":" + _sha(*(context or ()), "|", scope or "")[:16]
            keys[version_id].append(key)
    return keys


def _statements_by_version(session: Session, column, owners: dict[int, tuple[str, str, str]]) -> dict[int, list[Statement]]:
    """Full statements of the given versions: ``owners`` maps version id -> (path, role, department)."""
    result: dict[int, list[Statement]] = {version_id: [] for version_id in owners}
    for chunk in _chunks(list(owners), 500):
        rows = session.execute(
            select(column, StoredStatement.position, StoredStatement.text, StoredStatement.start,
                   StoredStatement.end, StoredStatement.context, StoredStatement.scope)
            .where(column.in_(chunk)).order_by(column, StoredStatement.position))
        for version_id, position, text, start, end, context, scope in rows:
            path, role, department = owners[version_id]
            result[version_id].append(Statement(
                path=path, role=role, text=text, start=start, end=end, department=department,
                context=tuple(context or ()), scope=scope or "", position=position))
    return result


# --- the run --------------------------------------------------------------------------------

ProgressCallback = Callable[[str, int, int], None]


class NightlyBatch:
    """One run of the batch. :meth:`prepare` takes the lock and creates the run (fast, so a web
    request can do it and answer at once); :meth:`execute` does the work and releases the lock.
    :meth:`run` does both."""

    def __init__(self, settings: Settings, database: DatabaseEngine, checker: Any = None, *,
                 user_id: Optional[int] = None, force: bool = False, progress: bool | None = None,
                 chunk_statements: int = 1500, chunk_documents: int = 40, workers: int = 1,
                 stop_event: Optional[threading.Event] = None) -> None:
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
        self.lock = DatabaseLock(database, LOCK_NAME, settings.lock_stale_seconds)
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

    def prepare(self) -> int:
        """Take the lock, mark runs a crash left ``running`` as interrupted, create our run."""
        try:
            stale = self.lock.acquire_within(self.settings.check_lock_wait_seconds)
        except LockHeld as held:
            raise BatchRefused(f"another nightly run is in progress: {held}") from None
        try:
            with self.sessions() as session:
                interrupted = list(session.scalars(select(CheckRun.id).where(
                    CheckRun.kind == RUN_KIND, CheckRun.status == "running")))
                run = CheckRun(kind=RUN_KIND, status="running", started_at=utcnow(),
                               triggered_by_id=self.user_id, errors={})
                claim(run)
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

    def run(self) -> BatchOutcome:
        self.prepare()
        return self.execute()

    # --- the work ------------------------------------------------------------------------------

    def execute(self) -> BatchOutcome:
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
            if not lost:
                try:
                    self._finish(outcome)
                finally:
                    self.lock.release()
        log.info("run #%s %s in %.1f s: %d of %d documents checked (%d skipped), %d statements, "
                 "%d embeddings computed, %d reused, findings %d new, %d unchanged, %d resolved, "
                 "%d reopened, %d document errors", self.run_id, outcome.status, time.perf_counter() - started,
                 outcome.documents_checked, outcome.documents_total, outcome.documents_skipped,
                 outcome.statements_checked, outcome.embeddings_computed, outcome.embeddings_reused,
                 outcome.findings_new, outcome.findings_unchanged, outcome.findings_resolved,
                 outcome.findings_reopened, len(outcome.errors))
        return outcome

    def _finish(self, outcome: BatchOutcome) -> None:
        with self.sessions() as session:
            run = session.get(CheckRun, self.run_id)
            self._copy_counts(run, outcome)
            run.status = outcome.status
            run.finished_at = utcnow()
            run.error = outcome.reason or None
            self._progress_row(session, outcome, "done" if outcome.status == "succeeded" else outcome.status)
            session.commit()

    @staticmethod
    def _copy_counts(run: CheckRun, outcome: BatchOutcome) -> None:
        for name in ("documents_checked", "statements_checked", "embeddings_computed", "embeddings_reused", "pairs_judged", "findings_new",
                     "findings_unchanged", "findings_resolved", "findings_reopened"):
            setattr(run, name, getattr(outcome, name))
        run.errors = dict(outcome.errors)

    def _check_stop(self) -> None:
        if self.stop_event.is_set():
            raise BatchInterrupted("stopped on request (signal) after a whole chunk")

    def _execute(self, outcome: BatchOutcome) -> None:
        with self.sessions() as session:
            plan = self._plan(session)
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
            self._check_due(plan, outcome)
        self._touch_skipped(plan, outcome)

    # --- planning ------------------------------------------------------------------------------

    def _plan(self, session: Session) -> Plan:
        settings_fp = settings_fingerprint(self.settings)
        protocol_rows = _current_protocol_versions(session)
        protocol_keys = _keys_by_version(session, StoredStatement.protocol_version_id,
                                         [version_id for _, _, version_id in protocol_rows])
        protocol_fp = protocol_set_fingerprint({path: protocol_keys[version_id]
                                                for _, path, version_id in protocol_rows})
        document_rows = _current_document_versions(session)
        document_keys = _keys_by_version(session, StoredStatement.document_version_id,
                                         [version_id for *_, version_id in document_rows])
        documents: dict[int, DocumentInput] = {}
        for doc_id, path, slug, version_id in document_rows:
            keys = document_keys[version_id]
            item = DocumentInput(doc_id, path, slug, version_id, keys)
            item.content_fingerprint = content_fingerprint(path, keys)
            item.input_fingerprint = input_fingerprint(item.content_fingerprint, protocol_fp, settings_fp)
            documents[doc_id] = item
        states = {state.document_id: state for state in session.scalars(select(BatchDocumentState))}
        protocol_versions = sorted(version_id for *_, version_id in protocol_rows)
        reasons: dict[str, int] = {}
        due: dict[int, str] = {}
        changed: set[int] = set()
        waiting: dict[tuple[int, ...], list[int]] = {}  # only the protocols changed, by old protocol set
        for doc_id, item in documents.items():
            state = states.get(doc_id)
            if self.force:
                why = "forced"
            elif state is None:
                why = "new"
            elif state.content_fingerprint != item.content_fingerprint:
                why = "changed"
            elif state.input_fingerprint != item.input_fingerprint:
                if (state.settings_fingerprint == settings_fp and state.protocol_versions is not None
                        and not state.dirty):
                    waiting.setdefault(tuple(state.protocol_versions), []).append(doc_id)
                    continue
                why = "protocols or settings changed"
            elif state.dirty:
                why = "a compared document changed"
            else:
                continue
            due[doc_id] = why
            if why in ("new", "changed"):
                changed.add(doc_id)
        reached = self._protocol_reach(session, documents, waiting, protocol_versions) if waiting else set()
        for doc_id in reached:
            due[doc_id] = "a protocol it is compared with changed"
        settled = [doc_id for ids in waiting.values() for doc_id in ids if doc_id not in reached]
        # Documents whose document-to-document candidates a changed one may alter are due too
        # (a document a protocol change reaches may have gained or lost coverage).
        moved = changed | reached
        if moved and len(due) < len(documents):
            for partner in self._close_to_changed(session, documents, moved, set(due), states):
                due[partner] = "a compared document changed"
            settled = [doc_id for doc_id in settled if doc_id not in due]
        for why in due.values():
            reasons[why] = reasons.get(why, 0) + 1
        # Persist "dirty" before checking anything: a run killed after re-checking a changed
        # document must still leave its partners due for the next run.
        partner_ids = [doc_id for doc_id, why in due.items() if why == "a compared document changed"]
        if partner_ids:
            for chunk in _chunks(partner_ids, 500):
                session.execute(update(BatchDocumentState).where(
                    BatchDocumentState.document_id.in_(chunk)).values(dirty=True))
        # A protocol change does not reach these: their stored results stand for the new set.
        for doc_id in settled:
            states[doc_id].input_fingerprint = documents[doc_id].input_fingerprint
            states[doc_id].protocol_versions = protocol_versions
        session.commit()
        # Changed documents first (what the user changed shows up first), then the rest, by id.
        order = sorted(due, key=lambda doc_id: (doc_id not in changed, doc_id))
        return Plan(documents, protocol_fp, settings_fp, order, changed, reasons,
                    protocol_versions=protocol_versions)

    def _protocol_reach(self, session: Session, documents: dict[int, DocumentInput],
                        waiting: dict[tuple[int, ...], list[int]], current: list[int]) -> set[int]:
        """Of the documents ``waiting`` (by the protocol versions they were last checked against),
        those a change to the current protocol versions can reach (``checker.reach``), and those
        with findings against an edited protocol (their spans name its old offsets)."""
        everyone = {doc_id for ids in waiting.values() for doc_id in ids}
        if not self._split_engine():
            return everyone
        from checker.reach import reached_by_protocol_change

        new = self._protocol_statements(session)
        new_vectors = self.checker.embed(new)
        reached: set[int] = set()
        for old_ids, doc_ids in waiting.items():
            old = _protocol_versions_statements(session, old_ids)
            if old is None:  # a version it was checked against is gone: check it in full
                reached.update(doc_ids)
                continue
            items = [documents[doc_id] for doc_id in doc_ids]
            by_version = _statements_by_version(session, StoredStatement.document_version_id,
                                                {i.version_id: (i.path, ROLE_DOCUMENT, i.department) for i in items})
            statements = [s for i in items for s in by_version[i.version_id]]
            paths = reached_by_protocol_change(old, self.checker.embed(old), new, new_vectors, statements,
                                               self.checker.embed(statements), self.settings)
            edited = _edited_protocols(session, set(old_ids) ^ set(current))
            cited = _documents_citing(session, doc_ids, edited)
            reached.update(d for d in doc_ids if documents[d].path in paths or d in cited)
        log.info("run #%s: a protocol change reaches %d of %d documents", self.run_id, len(reached), len(everyone))
        return reached

    def _close_to_changed(self, session: Session, documents: dict[int, DocumentInput], changed: set[int],
                          already: set[int], states: dict[int, BatchDocumentState]) -> set[int]:
        """Documents not yet due whose results a change of the ``changed`` documents may alter.

        Document-to-document candidates come only from statements no protocol covers: for each
        such statement, the ``top_k + 1`` nearest uncovered statements of the whole corpus, kept
        when at or above ``document_neighbour_floor`` (``checker.align``). So an unchanged
        document E is affected only if one of its uncovered statements lies at or above both the
        floor and its own admission threshold (the similarity of its ``top_k + 1``-th nearest,
        stored by the last check) from an uncovered statement of a changed document, before or
        after the change: only then can the nearest set change. E's uncovered statements and
        thresholds stay valid while E and the protocols are unchanged (E is due otherwise), and
        coverage of a changed document depends only on it and the protocols."""
        candidates = [doc_id for doc_id in documents if doc_id not in already]
        if not candidates:
            return set()
        owners = {documents[d].version_id: (documents[d].path, ROLE_DOCUMENT, documents[d].department)
                  for d in changed}
        new_statements = [s for statements in _statements_by_version(
            session, StoredStatement.document_version_id, owners).values() for s in statements]
        old_owners: dict[int, tuple[str, str, str]] = {}
        old_positions: dict[int, set[int]] = {}
        for doc_id, state in states.items():
            if (doc_id in changed or doc_id not in documents) and state.version_id:
                old_department = state.path.split("/")[1] if state.path.count("/") >= 2 else ""
                old_owners[state.version_id] = (f"#old/{doc_id}", ROLE_DOCUMENT, old_department)
                old_positions[state.version_id] = {int(entry[0]) for entry in state.uncovered or ()}
        old_statements = [s for version_id, statements in _statements_by_version(
            session, StoredStatement.document_version_id, old_owners).items()
            for s in statements if s.position in old_positions[version_id]]
        if not self._split_engine():  # an engine without embeddings: be conservative
            return set(candidates) if (new_statements or old_statements) else set()
        # The corpus-wide pool changes only by what differs between the old and new uncovered
        # statements (as a multiset): one that stayed, with the same headings, is the same entry.
        relevant = _multiset_difference(old_statements, self._uncovered_alone(session, new_statements), documents)
        if not relevant:
            return set()
        thresholds: dict[tuple[str, int], float] = {}
        owners = {}
        for doc_id in candidates:
            state = states.get(doc_id)
            item = documents[doc_id]
            if state is None or state.uncovered is None:
                continue
            for position, threshold in state.uncovered:
                thresholds[(item.path, int(position))] = float(threshold)
            if state.uncovered:
                owners[item.version_id] = (item.path, ROLE_DOCUMENT, item.department)
        others = [s for statements in _statements_by_version(
            session, StoredStatement.document_version_id, owners).values() for s in statements
            if (s.path, s.position) in thresholds]
        if not others:
            return set()
        relevant_vectors = self.checker.embed(relevant)
        floor = document_neighbour_floor(self.settings)
        paths = {documents[d].path: d for d in candidates}
        close: set[int] = set()
        for chunk in _chunks(others, 4096):
            best = (self.checker.embed(chunk) @ relevant_vectors.T).max(axis=1)
            for statement, score in zip(chunk, best.tolist()):
                bar = max(floor, thresholds[(statement.path, statement.position)]) - _TIE_MARGIN
                if score >= bar:
                    close.add(paths[statement.path])
        log.info("run #%s: %d changed document(s) have %d uncovered statements (before or after the change); "
                 "%d other document(s) have uncovered statements near enough to be affected",
                 self.run_id, len(changed), len(relevant), len(close))
        return close

    def _uncovered_alone(self, session: Session, statements: list[Statement]) -> list[Statement]:
        """Which of these statements no protocol covers (depends only on their own documents)."""
        if not statements:
            return []
        protocols = self._protocol_statements(session)
        if not protocols:
            return statements
        align = _align_function()
        uncovered: list[Statement] = []
        for group in _path_groups(statements, self.chunk_statements):
            alignments = align(protocols, self.checker.embed(protocols), group, self.checker.embed(group),
                               self.settings, None)
            uncovered += [a.statement for a in alignments if not a.covered]
            for alignment in alignments:
                alignment.candidates = [c for c in alignment.candidates if c.source.role == ROLE_PROTOCOL]
                self._aligned_by_plan[(alignment.statement.path, alignment.statement.position)] = alignment
        return uncovered

    @staticmethod
    def _protocol_statements(session: Session) -> list[Statement]:
        protocol_rows = _current_protocol_versions(session)
        by_version = _statements_by_version(
            session, StoredStatement.protocol_version_id,
            {version_id: (path, ROLE_PROTOCOL, "") for _, path, version_id in protocol_rows})
        return [s for _, _, version_id in protocol_rows for s in by_version[version_id]]

    # --- checking ------------------------------------------------------------------------------

    def _load_context(self, session: Session, plan: Plan) -> "Context":
        protocol_rows = _current_protocol_versions(session)
        protocol_statements = _statements_by_version(
            session, StoredStatement.protocol_version_id,
            {version_id: (path, ROLE_PROTOCOL, "") for _, path, version_id in protocol_rows})
        protocols = [s for _, _, version_id in protocol_rows for s in protocol_statements[version_id]]
        protocol_ids = {path: SimpleNamespace(id=protocol_id) for protocol_id, path, _ in protocol_rows}
        items = sorted(plan.documents.values(), key=lambda item: item.path)
        by_version = _statements_by_version(session, StoredStatement.document_version_id,
                                            {i.version_id: (i.path, ROLE_DOCUMENT, i.department) for i in items})
        due = set(plan.due)
        for item in items:
            if not by_version[item.version_id] and item.id in due:
                by_version[item.version_id] = self._reread(session, item, plan)
        documents = [s for item in items for s in by_version[item.version_id]]
        document_ids = {item.path: SimpleNamespace(id=item.id) for item in items}
        counts = {item.path: len(by_version[item.version_id]) for item in items}
        return Context(protocols, protocol_ids, documents, document_ids, counts)

    def _reread(self, session: Session, item: DocumentInput, plan: Plan) -> list[Statement]:
        """A version stored without statements: read its file again (or record why not)."""
        version = session.get(DocumentVersion, item.version_id)
        try:
            return self.checker.read(item.path, version.content, ROLE_DOCUMENT, item.department)
        except DocumentError as error:
            plan.unreadable[item.id] = error.reason
        except Exception as error:  # a reader crash on one file must not stop the batch
            plan.unreadable[item.id] = f"{type(error).__name__}: {error}"
        return []

    def _embed_all(self, protocols: list[Statement], documents: list[Statement], outcome: BatchOutcome) -> None:
        """Embed every statement once, in slices (cache first), so checking never waits on the model."""
        if not hasattr(self.checker, "embed"):
            return
        store = getattr(self.checker, "store", None)
        computed_before = getattr(store, "computed", 0)
        unique: dict[str, Statement] = {}
        for statement in (*protocols, *documents):
            unique.setdefault(statement.key, statement)
        statements = list(unique.values())
        total = len(statements)
        bar = self._bar(total, "embedding")
        done = 0
        slice_size = max(256, self.settings.encode_batch_size * 32)
        for chunk in _chunks(statements, slice_size):
            self._check_stop()
            self.checker.embed(chunk)
            done += len(chunk)
            outcome.embeddings_computed = getattr(store, "computed", 0) - computed_before
            outcome.embeddings_reused = done - outcome.embeddings_computed
            bar(len(chunk))
            self._save_progress(outcome, "embedding", done=done, total=total)
        bar(None)
        log.info("run #%s embedded %d distinct statements: %d computed, %d from the cache",
                 self.run_id, total, outcome.embeddings_computed, outcome.embeddings_reused)

    def _check_due(self, plan: Plan, outcome: BatchOutcome) -> None:
        with self.sessions() as session:
            context = self._load_context(session, plan)
            states = {state.document_id: state for state in session.scalars(select(BatchDocumentState))}
        for doc_id, reason in plan.unreadable.items():
            outcome.errors[plan.documents[doc_id].path] = reason
            log.warning("run #%s: %s is unreadable (reason in the run's errors)", self.run_id,
                        plan.documents[doc_id].path)
        due = [d for d in plan.due if d not in plan.unreadable]
        split = self._split_engine()
        if split:
            self._align_due(context, {plan.documents[d].path for d in due}, states, plan, outcome)
        else:
            self._embed_all(context.protocols, context.documents, outcome)
        chunks = list(self._chunk_documents(due, plan, context.counts))
        bar = self._bar(outcome.statements_total, "checking")
        pause_after = int(os.environ.get(PAUSE_AFTER_ENV, "0") or 0)
        started = time.perf_counter()
        with _Judges(self, context, chunks, plan, enabled=split) as judged:
            for chunk in chunks:
                self._check_stop()
                self._check_chunk(chunk, plan, context, outcome, judged.next(chunk))
                bar(sum(context.counts.get(plan.documents[d].path, 0) for d in chunk))
                if pause_after and outcome.documents_checked >= pause_after:
                    pause_after = 0
                    seconds = float(os.environ.get(PAUSE_SECONDS_ENV, "3600"))
                    log.warning("run #%s: test hook %s: pausing %.0f s after %d documents", self.run_id,
                                PAUSE_AFTER_ENV, seconds, outcome.documents_checked)
                    print(f"PAUSED run={self.run_id} documents={outcome.documents_checked}", file=sys.stderr,
                          flush=True)
                    time.sleep(seconds)
        bar(None)
        log.info("run #%s judged and stored %d documents in %.1f s (%d worker process(es))", self.run_id,
                 outcome.documents_checked, time.perf_counter() - started, judged.processes)

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

    def _align_due(self, context: "Context", targets: set[str], states: dict[int, Any],
                   plan: Plan, outcome: BatchOutcome) -> None:
        """Embeddings and alignments of every due document, the alignments as
        ``checker.align.align`` over the whole corpus would give them, at a cost that grows
        with the due documents, not the corpus:

        1. per group of due documents (in corpus order): embed it (the model, this thread),
           then, in a helper thread while the next group is embedded, its protocol candidates
           and coverage (both depend only on a document and the protocols), dropping the
           document-to-document candidates a group finds within itself;
        2. document-to-document candidates once, by the engine's own ``align_uncovered``, over
           the corpus-wide pool of uncovered statements: the due documents' (from step 1) and
           the others' (stored by their last check), in corpus order;
        3. each due uncovered statement's admission threshold (from the same search), stored for
           later plans."""
        from concurrent.futures import ThreadPoolExecutor

        from checker import align as engine_align

        started = time.perf_counter()
        store = getattr(self.checker, "store", None)
        computed_before = getattr(store, "computed", 0)
        embedded = 0
        protocol_vectors = self.checker.embed(context.protocols)
        embedded += len(context.protocols)
        due_statements = [s for s in context.documents if s.path in targets]
        known: set[tuple[str, int]] = set()
        for item in plan.documents.values():
            state = states.get(item.id)
            if item.path not in targets and state is not None:
                known.update((item.path, int(entry[0])) for entry in state.uncovered or ())
        others = [s for s in context.documents if (s.path, s.position) in known]
        total = len(due_statements) + len(others)
        bar = self._bar(total, "embedding")
        step1: dict[tuple[str, int], Any] = {}

        def protocol_step(group: list[Statement], vectors: np.ndarray) -> list[Any]:
            planned = [self._aligned_by_plan.get((s.path, s.position)) for s in group]
            if all(a is not None and a.statement == s for a, s in zip(planned, group)):
                return planned  # aligned against the same protocols while planning
            alignments = engine_align.align(context.protocols, protocol_vectors, group, vectors, self.settings, None)
            for alignment in alignments:
                alignment.candidates = [c for c in alignment.candidates if c.source.role == ROLE_PROTOCOL]
            return alignments

        done = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nightly-align") as helper:
            pending = []
            for group in _path_groups(due_statements, max(256, self.chunk_statements)):
                self._check_stop()
                vectors = self.checker.embed(group)
                pending.append(helper.submit(protocol_step, group, vectors))
                done += len(group)
                embedded += len(group)
                bar(len(group))
                outcome.embeddings_computed = getattr(store, "computed", 0) - computed_before
                outcome.embeddings_reused = embedded - outcome.embeddings_computed
                self._save_progress(outcome, "embedding", done=done, total=total)
                while pending and pending[0].done():
                    for alignment in pending.pop(0).result():
                        step1[(alignment.statement.path, alignment.statement.position)] = alignment
            for group in _chunks(others, 4096):
                self.checker.embed(group)
                done += len(group)
                embedded += len(group)
                bar(len(group))
            for future in pending:
                for alignment in future.result():
                    step1[(alignment.statement.path, alignment.statement.position)] = alignment
        bar(None)
        outcome.embeddings_computed = getattr(store, "computed", 0) - computed_before
        outcome.embeddings_reused = embedded - outcome.embeddings_computed
        log.info("run #%s embedded %d statements (%d computed, %d from the cache) and aligned %d with the "
                 "protocols in %.1f s", self.run_id, embedded, outcome.embeddings_computed,
                 outcome.embeddings_reused, len(due_statements), time.perf_counter() - started)
        started = time.perf_counter()
        self._save_progress(outcome, "aligning", done=0, total=len(due_statements))
        pool: list[Statement] = []
        alignments: dict[int, Any] = {}
        for statement in context.documents:
            where = (statement.path, statement.position)
            if where in step1:
                alignments[len(pool)] = step1[where]
            elif where in known:
                alignments[len(pool)] = engine_align.Alignment(statement, covered=False)
            else:
                continue
            pool.append(statement)
        if pool:
            vectors = self.checker.embed(pool)
            thresholds = engine_align.align_uncovered(pool, vectors, alignments, self.settings, targets)
            context.thresholds.update(((pool[i].path, pool[i].position), value) for i, value in thresholds.items())
        for alignment in step1.values():
            context.aligned.setdefault(alignment.statement.path, []).append(alignment)
        log.info("run #%s compared %d uncovered statements across documents in %.1f s", self.run_id,
                 sum(1 for a in alignments.values() if not a.covered), time.perf_counter() - started)

    def _chunk_documents(self, due: list[int], plan: Plan, counts: dict[str, int]) -> Iterator[list[int]]:
        chunk: list[int] = []
        statements = 0
        for doc_id in due:
            chunk.append(doc_id)
            statements += counts.get(plan.documents[doc_id].path, 0)
            if statements >= self.chunk_statements or len(chunk) >= self.chunk_documents:
                yield chunk
                chunk, statements = [], 0
        if chunk:
            yield chunk

    def _check_chunk(self, chunk: list[int], plan: Plan, context: "Context", outcome: BatchOutcome,
                     judged: Optional[dict[str, list[Any]]] = None) -> None:
        """Check a chunk in one transaction; if that fails, each document on its own, so one bad
        document is recorded as an error and the others still get their results."""
        try:
            self._check_documents(chunk, plan, context, outcome, judged)
            return
        except (BatchInterrupted, KeyboardInterrupt, LockLost):
            raise
        except Exception as error:
            if len(chunk) == 1:
                path = plan.documents[chunk[0]].path
                outcome.errors[path] = f"{type(error).__name__}: {error}"
                log.warning("run #%s: %s failed: %s (message in the run's errors)", self.run_id, path,
                            type(error).__name__)
                self._save_progress(outcome, "checking")
                return
            log.warning("run #%s: chunk of %d documents failed (%s); checking them one by one",
                        self.run_id, len(chunk), type(error).__name__)
        for doc_id in chunk:
            self._check_chunk([doc_id], plan, context, outcome)

    def _results(self, paths: dict[str, int], context: "Context", judged: Optional[dict[str, list[Any]]] = None
                 ) -> tuple[list[Any], dict[str, list], int]:
        """Findings on the statements of ``paths``, and their alignments (by path)."""
        if self._split_engine():
            judge = self.checker.judge
            findings: list[Any] = []
            aligned = {path: context.aligned.get(path, []) for path in paths}
            for path in sorted(paths):
                # Judged per document: a clash between two documents is a finding on each of them,
                # whichever documents happen to share a chunk.
                own = (judged[path] if judged is not None and path in judged
                       else judge.judge_alignments(aligned[path], self.settings.min_score))
                # Finished exactly as Engine.check finishes: plus the service directory's findings.
                findings += self.checker.combine(own, context.service_index(), {path}, self.settings.min_score)
            pairs = sum(len(a.candidates) for alignments in aligned.values() for a in alignments)
            return findings, aligned, pairs
        result = self.checker.check(context.protocols, context.documents, only_paths=set(paths))
        aligned = {path: [] for path in paths}
        for alignment in getattr(result, "alignments", None) or ():
            if alignment.statement.path in aligned:
                aligned[alignment.statement.path].append(alignment)
        own = [f for f in result.findings if f.statement.path in paths]
        return own, aligned, result.pairs_judged

    def _check_documents(self, chunk: list[int], plan: Plan, context: "Context", outcome: BatchOutcome,
                         judged: Optional[dict[str, list[Any]]] = None) -> None:
        paths = {plan.documents[d].path: d for d in chunk}
        own, aligned, pairs = self._results(paths, context, judged)
        counts = RunCounts()
        with self.sessions() as session:
            run = session.get(CheckRun, self.run_id)
            seen = _upsert_findings(session, run, own, context.protocol_ids, context.document_ids, counts)
            _resolve_missing(session, run, set(chunk), seen, None, counts)
            for path, doc_id in paths.items():
                item = plan.documents[doc_id]
                alignments = aligned.get(path, [])
                state = session.get(BatchDocumentState, doc_id) or BatchDocumentState(document_id=doc_id)
                state.input_fingerprint = item.input_fingerprint
                state.content_fingerprint = item.content_fingerprint
                state.version_id = item.version_id
                state.path = path
                state.statements = context.counts.get(path, 0)
                state.partners = _partners(alignments, context.document_ids)
                state.uncovered = sorted(
                    [a.statement.position, round(context.thresholds.get((path, a.statement.position), -2.0), 6)]
                    for a in alignments if not getattr(a, "covered", True))
                state.dirty = False
                state.settings_fingerprint = plan.settings_fingerprint
                state.protocol_versions = plan.protocol_versions
                state.checked_run_id = self.run_id
                state.checked_at = utcnow()
                session.add(state)
            outcome.documents_checked += len(chunk)
            outcome.statements_checked += sum(context.counts.get(p, 0) for p in paths)
            outcome.pairs_judged += pairs
            outcome.findings_new += counts.findings_new
            outcome.findings_unchanged += counts.findings_unchanged
            outcome.findings_resolved += counts.findings_resolved
            outcome.findings_reopened += counts.findings_reopened
            for path, message in counts.errors.items():
                outcome.errors[path] = message
            self._copy_counts(run, outcome)
            self._progress_row(session, outcome, "checking")
            session.commit()
        self.lock.heartbeat()
        log.debug("run #%s: checked %s", self.run_id, ", ".join(sorted(paths)))

    def _touch_skipped(self, plan: Plan, outcome: BatchOutcome) -> None:
        """Findings of documents this run did not need to re-check still occur: say so."""
        due = set(plan.due)
        skipped = [doc_id for doc_id in plan.documents if doc_id not in due]
        if not skipped:
            return
        with self.sessions() as session:
            for chunk in _chunks(skipped, 500):
                occurring = and_(Finding.document_id.in_(chunk), Finding.resolved_by_run_id.is_(None),
                                 Finding.resolved_by_version_id.is_(None))
                # a clash with a re-checked document was met (and counted) by that document's check
                not_counted = or_(Finding.last_seen_run_id.is_(None), Finding.last_seen_run_id != self.run_id)
                count = session.scalar(select(func.count()).select_from(Finding).where(
                    occurring, not_counted)) or 0
                if count:
                    session.execute(update(Finding).where(occurring).values(
                        last_seen_run_id=self.run_id, updated_at=Finding.updated_at),
                        execution_options={"synchronize_session": False})
                outcome.findings_unchanged += count
            session.commit()

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


def _partners(alignments: Iterable[Any], document_ids: dict[str, Any]) -> list[int]:
    """Ids of the other documents these alignments compared statements with."""
    partners: set[int] = set()
    for alignment in alignments:
        for candidate in getattr(alignment, "candidates", ()) or ():
            source = getattr(candidate, "source", None)
            if source is not None and source.role == ROLE_DOCUMENT and source.path != alignment.statement.path \
                    and source.path in document_ids:
                partners.add(document_ids[source.path].id)
    return sorted(partners)


_TIE_MARGIN = 1e-5


def _multiset_difference(old: list[Statement], new: list[Statement], documents: dict[int, DocumentInput]
                         ) -> list[Statement]:
    """Statements in ``old`` or ``new`` but not both, compared by wording, headings, scope and
    department (old statements carry the placeholder path ``#old/<document id>``)."""
    paths = {item.path: item.id for item in documents.values()}

    def identity(statement: Statement) -> tuple:
        owner = int(statement.path.split("/", 1)[1]) if statement.path.startswith("#old/") else paths.get(statement.path)
        return (owner, statement.department, statement.key, statement.context, statement.scope)

    remaining: dict[tuple, list[Statement]] = {}
    for statement in old:
        remaining.setdefault(identity(statement), []).append(statement)
    result: list[Statement] = []
    for statement in new:
        twins = remaining.get(identity(statement))
        if twins:
            twins.pop()
        else:
            result.append(statement)
    result += [statement for twins in remaining.values() for statement in twins]
    return result


def _path_groups(statements: Sequence[Statement], size: int) -> Iterator[list[Statement]]:
    """Consecutive statements in groups of about ``size``, never splitting a document."""
    group: list[Statement] = []
    for statement in statements:
        if len(group) >= size and statement.path != group[-1].path:
            yield group
            group = []
        group.append(statement)
    if group:
        yield group


def _align_function() -> Optional[Callable[..., list[Any]]]:
    try:
        from checker.align import align
    except ImportError:  # pragma: no cover - an engine without the alignment module
        return None
    return align


_JUDGE_STATE: dict[str, Any] = {}


def _die_with_parent() -> None:
    """Pool initializer: a worker must not outlive a killed batch (Linux; best effort), and
    must die when the pool stops it. A forked worker inherits the batch's own SIGTERM handler,
    which only asks for a stop after the chunk: the pool's SIGTERM would then be swallowed and
    closing the pool would wait for the worker forever."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - not Linux
        pass
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_POOL_EXIT_SECONDS = 10.0


def stop_pool(pool: Any, grace: float = _POOL_EXIT_SECONDS) -> None:
    """Terminate ``pool`` and wait at most ``grace`` seconds; workers still alive then are killed."""
    import multiprocessing

    def close() -> None:  # terminate() itself waits for each worker, with no timeout
        pool.terminate()
        pool.join()

    closer = threading.Thread(target=close, name="nightly-pool-stop", daemon=True)
    closer.start()
    closer.join(grace)
    if closer.is_alive():
        log.error("judging workers did not stop within %.0f s; killing them", grace)
        for worker in multiprocessing.active_children():
            worker.kill()
        closer.join(grace)


def _judge_paths(paths: list[str]) -> dict[str, list[Any]]:
    """In a worker process (forked after alignment): judge these documents' alignments."""
    aligned, judge, min_score = _JUDGE_STATE["aligned"], _JUDGE_STATE["judge"], _JUDGE_STATE["min_score"]
    return {path: judge.judge_alignments(aligned.get(path, []), min_score) for path in paths}


class _Judges:
    """Judging of the coming chunks, in ``batch.workers`` forked processes while this one stores
    findings (judging is pure Python; the model is not used by then). With one worker, or where
    fork is unavailable, chunks are judged inline as they are stored."""

    def __init__(self, batch: "NightlyBatch", context: "Context", chunks: list[list[int]], plan: Plan,
                 enabled: bool) -> None:
        self.batch, self.context, self.chunks, self.plan = batch, context, chunks, plan
        self.enabled = enabled and batch.workers > 1 and len(chunks) > 1
        self.processes = 1
        self._pool = None
        self._results: Optional[Iterator[dict[str, list[Any]]]] = None

    def __enter__(self) -> "_Judges":
        if not self.enabled:
            return self
        import multiprocessing

        try:
            fork = multiprocessing.get_context("fork")
        except ValueError:  # pragma: no cover - not on this platform
            return self
        _JUDGE_STATE.update(aligned=self.context.aligned, judge=self.batch.checker.judge,
                            min_score=self.batch.settings.min_score)
        self.processes = min(self.batch.workers, len(self.chunks))
        self._pool = fork.Pool(self.processes, initializer=_die_with_parent)
        work = [[self.plan.documents[d].path for d in chunk] for chunk in self.chunks]
        self._results = self._pool.imap(_judge_paths, work)
        return self

    def next(self, chunk: list[int]) -> Optional[dict[str, list[Any]]]:
        """The chunk's findings by path, or None: then the caller judges it itself (and a
        document whose judging fails is recorded as an error there)."""
        if self._results is None:
            return None
        import multiprocessing

        try:
            return self._results.next(timeout=self.batch.settings.chunk_timeout_seconds)
        except StopIteration:
            return None
        except multiprocessing.TimeoutError:
            log.error("a judging worker took over %s s on a chunk; stopping the workers and judging here",
                      self.batch.settings.chunk_timeout_seconds)
            self._shutdown()
            return None
        except Exception as error:  # judging failed in a worker: let the caller isolate it
            log.warning("judging a chunk in a worker failed (%s); judging it here", type(error).__name__)
            return None

    def _shutdown(self) -> None:
        if self._pool is not None:
            stop_pool(self._pool)
        self._pool, self._results = None, None

    def __exit__(self, *exc_info: Any) -> None:
        self._shutdown()
        _JUDGE_STATE.clear()


# --- entry points ---------------------------------------------------------------------------

def migrate_database(database: DatabaseEngine) -> None:
    """Bring the schema to the newest migration (the batch's tables included)."""
    from alembic import command

    from web.db import alembic_config

    with database.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def make_database(settings: Settings) -> DatabaseEngine:
    from web import PROJECT_ROOT
    from web.db import make_engine, resolve_database_url

    return make_engine(resolve_database_url(settings.database_url, PROJECT_ROOT))


def run_nightly(settings: Settings | None = None, *, database: DatabaseEngine | None = None, checker: Any = None,
                user_id: Optional[int] = None, force: bool = False, progress: bool | None = None,
                stop_event: Optional[threading.Event] = None, **options: Any) -> BatchOutcome:
    """Run the batch once (raises :class:`BatchRefused` when another run holds the lock)."""
    settings = settings or load_settings()
    database = database or make_database(settings)
    batch = NightlyBatch(settings, database, checker, user_id=user_id, force=force, progress=progress,
                         stop_event=stop_event, **options)
    return batch.run()


def _exit_code(outcome: BatchOutcome) -> int:
    if outcome.status != "succeeded":
        return EXIT_FAILED
    return EXIT_DOCUMENT_ERRORS if outcome.errors else EXIT_OK


def _summary(outcome: BatchOutcome) -> str:
    text = (f"Nightly run #{outcome.run_id} {outcome.status}: {outcome.documents_checked} of "
            f"{outcome.documents_total} documents checked ({outcome.documents_skipped} unchanged, skipped), "
            f"{outcome.statements_checked} statements; embeddings {outcome.embeddings_computed} computed, "
            f"{outcome.embeddings_reused} reused; findings {outcome.findings_new} new, "
            f"{outcome.findings_unchanged} unchanged, {outcome.findings_resolved} resolved, "
            f"{outcome.findings_reopened} reopened")
    if outcome.interrupted_runs:
        text += f"; marked run(s) {', '.join(f'#{r}' for r in outcome.interrupted_runs)} interrupted"
    if outcome.errors:
        text += f"; {len(outcome.errors)} document(s) failed: " + ", ".join(sorted(outcome.errors))
    if outcome.reason:
        text += f"; {outcome.reason}"
    return text


class _Signals:
    """SIGTERM (systemd stop, kill) and SIGINT end the run after the current chunk, as interrupted."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                self.previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, _frame: Any) -> None:
        if self.event.is_set():  # second signal: stop now
            raise KeyboardInterrupt
        log.warning("received %s: stopping after the current chunk", signal.Signals(number).name)
        self.event.set()

    def __exit__(self, *exc_info: Any) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity < 0 else logging.DEBUG if verbosity > 0 else logging.INFO
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("web").setLevel(level)


def nightly_main(argv: Sequence[str] | None = None) -> int:
    """``touchpoint nightly``: run the batch once. Exit status 0 done, 1 failed or interrupted,
    2 done but some documents failed, 3 another run is in progress."""
    parser = argparse.ArgumentParser(prog="touchpoint nightly", description="Re-check every document "
                                     "against the protocols and each other (only what changed).")
    parser.add_argument("--database-url", help="database (default: TOUCHPOINT_DATABASE_URL / DATABASE_URL)")
    parser.add_argument("--force", action="store_true", help="re-check every document, changed or not")
    parser.add_argument("--progress", dest="progress", action="store_true", default=None,
                        help="show a progress bar (default: when stderr is a terminal)")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="processes that judge aligned statements (default: the CPU cores, at most 4)")
    parser.add_argument("--chunk-documents", type=int, default=40,
                        help="documents per transaction (default 40; also at most ~1500 statements)")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="only warnings and errors")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="also debug messages")
    args = parser.parse_args(list(argv) if argv is not None else None)
    _configure_logging(args.verbose - args.quiet)
    overrides = {"database_url": args.database_url} if args.database_url else {}
    settings = load_settings(**overrides)
    database = make_database(settings)
    migrate_database(database)
    stop = threading.Event()
    with _Signals(stop):
        try:
            outcome = run_nightly(settings, database=database, force=args.force, progress=args.progress,
                                  stop_event=stop, chunk_documents=max(1, args.chunk_documents),
                                  workers=args.workers)
        except BatchRefused as refused:
            print(f"touchpoint nightly: {refused}", file=sys.stderr)
            return EXIT_LOCKED
    print(_summary(outcome), file=sys.stderr if outcome.status != "succeeded" else sys.stdout)
    return _exit_code(outcome)


# --- the web side: CLI command, "Check everything now", progress line -----------------------

def progress_text(run: CheckRun, session: Session | None = None) -> str:
    """A line for the runs page while a nightly run is going, e.g.
    "checking: 412 / 3,000 statements, 14% (40 of 1,800 documents due)"; empty otherwise."""
    if run is None or run.status != "running" or run.kind != RUN_KIND:
        return ""
    if session is None:
        from web.db import get_session

        session = get_session()
    row = session.get(BatchRunProgress, run.id)
    if row is None:
        return "starting"
    due = f" ({row.documents_due:,} of {row.documents_total:,} documents due)" if row.documents_total else ""
    if row.phase in ("embedding", "aligning", "checking") and row.total:
        return f"{row.phase}: {row.done:,} / {row.total:,} statements, {100 * row.done // row.total}%{due}"
    return {"planned": "planned" + due, "starting": "starting"}.get(row.phase, row.phase)


@click.command(name="nightly", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                                "help_option_names": []})
@click.pass_context
def nightly_cli(ctx: click.Context) -> None:
    """Run the nightly batch over the web app's database (same as `flask --app web nightly`)."""
    sys.exit(nightly_main(list(ctx.args)))


def register_batch_commands(app: Any) -> None:
    """``flask --app web nightly``, ``POST /runs/check-now`` and the ``batch_progress`` template
    function (``{{ batch_progress(run) }}``)."""
    import click
    from flask import Blueprint, current_app, flash, g, jsonify, redirect, url_for
    from flask.cli import with_appcontext

    from web.auth import roles_required
    from web.db import get_session

    @click.command("nightly")
    @click.option("--force", is_flag=True, help="Re-check every document, changed or not.")
    @click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
    @click.option("--workers", type=int, default=DEFAULT_WORKERS, show_default=True,
                  help="Processes that judge aligned statements.")
    @with_appcontext
    def nightly_command(force: bool, progress: bool | None, workers: int) -> None:
        """Re-check every document against the protocols and each other (only what changed)."""
        _configure_logging(0)
        settings = current_app.extensions["touchpoint_settings"]
        database = current_app.extensions["touchpoint_db"]
        migrate_database(database)
        stop = threading.Event()
        with _Signals(stop):
            try:
                outcome = run_nightly(settings, database=database, force=force, progress=progress,
                                      stop_event=stop, checker=_app_checker(current_app), workers=workers)
            except BatchRefused as refused:
                raise click.ClickException(str(refused)) from None
        click.echo(_summary(outcome), err=outcome.status != "succeeded")
        code = _exit_code(outcome)
        if code:
            raise SystemExit(code)

    app.cli.add_command(nightly_command)
    bp = Blueprint("batch", __name__, url_prefix="/runs")

    @bp.post("/check-now")
    @roles_required("admin")
    def check_now():
        batch = NightlyBatch(current_app.extensions["touchpoint_settings"], current_app.extensions["touchpoint_db"],
                             _app_checker(current_app), user_id=g.user.id, progress=False)
        try:
            run_id = batch.prepare()
        except BatchRefused as refused:
            flash(f"Not started: {refused}", "error")
            return redirect(url_for("runs.index"))
        thread = threading.Thread(target=_background, args=(batch,), name=f"nightly-run-{run_id}", daemon=True)
        thread.start()
        flash(f"Check run #{run_id} started: every document is re-checked in the background "
              "(only what changed). This page shows its progress.", "success")
        return redirect(url_for("runs.detail", run_id=run_id))

    @bp.get("/<int:run_id>/progress")
    @roles_required("admin", "quality_officer")
    def progress(run_id: int):
        run = get_session().get(CheckRun, run_id)
        if run is None:
            return jsonify(error="no such run"), 404
        row = get_session().get(BatchRunProgress, run_id)
        return jsonify(id=run.id, status=run.status, phase=row.phase if row else None,
                       done=row.done if row else None, total=row.total if row else None,
                       line=progress_text(run))

    app.register_blueprint(bp)
    app.jinja_env.globals["batch_progress"] = progress_text


def _app_checker(app: Any) -> Any:
    from web.library import get_engine

    return get_engine(app)


def _background(batch: NightlyBatch) -> None:
    try:
        batch.execute()
    except Exception:  # execute records failures itself; this is the last resort
        log.exception("background nightly run #%s crashed", batch.run_id)


if __name__ == "__main__":
    raise SystemExit(nightly_main())
