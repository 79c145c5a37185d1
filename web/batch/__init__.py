"""The nightly batch: re-compare every document with the protocols and with each other,
incrementally, safely interrupted, one run at a time.

``flask --app web nightly`` runs it from the command line, :func:`nightly_main` is what the
engine's ``touchpoint nightly`` calls, and admins start it from the runs page (``POST
/runs/check-now``, queued as a job that a worker of the task queue does: ``web.jobs``).

How a run goes:

1. **Lock.** A row in ``batch_locks`` (see :mod:`web.locks`) keeps a second run out. While the
   run holds it, a thread refreshes the lock's and the run's heartbeat every
   ``run_heartbeat_seconds`` (``web.queue_settings``, 30 s); a crashed run's row goes stale (dead
   pid on this host; from another host, no heartbeat for ``HEARTBEAT_MISSES`` = 4 intervals).
   Runs left ``running`` by a crash are marked ``interrupted`` by the next run. Each chunk's
   transaction checks the lock is still this run's before it commits (``DatabaseLock.fence``).
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

The package's modules, in the order a run uses them: :mod:`~web.batch.base` (constants,
exceptions, records), :mod:`~web.batch.fingerprints`, :mod:`~web.batch.queries` (database
reads), :mod:`~web.batch.planning` and :mod:`~web.batch.reach` (step 2),
:mod:`~web.batch.embedding` (step 3), :mod:`~web.batch.checking` and :mod:`~web.batch.workers`
(step 4 and 5), :mod:`~web.batch.run` (:class:`NightlyBatch`: lock, run row, progress) and
:mod:`~web.batch.commands` (command line, web button, progress line).
"""
from __future__ import annotations

from web.batch.base import (DEFAULT_WORKERS, EXIT_DOCUMENT_ERRORS, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, LOCK_NAME,
                            PAUSE_AFTER_ENV, PAUSE_SECONDS_ENV, RUN_KIND, BatchInterrupted, BatchOutcome,
                            BatchRefused, Context, DocumentInput, Plan, ProgressCallback)
from web.batch.fingerprints import (BATCH_FORMAT, content_fingerprint, input_fingerprint, protocol_set_fingerprint,
                                    settings_fingerprint)
from web.batch.workers import _die_with_parent, _Judges, stop_pool
from web.batch.run import NightlyBatch
from web.batch.commands import (make_database, migrate_database, nightly_cli, nightly_main, progress_text,
                                register_batch_commands, run_nightly)

__all__ = [
    "BATCH_FORMAT", "DEFAULT_WORKERS", "EXIT_DOCUMENT_ERRORS", "EXIT_FAILED", "EXIT_LOCKED", "EXIT_OK", "LOCK_NAME",
    "PAUSE_AFTER_ENV", "PAUSE_SECONDS_ENV", "RUN_KIND", "BatchInterrupted", "BatchOutcome", "BatchRefused",
    "Context", "DocumentInput", "NightlyBatch", "Plan", "ProgressCallback", "_Judges", "_die_with_parent",
    "content_fingerprint", "input_fingerprint", "make_database", "migrate_database", "nightly_cli",
    "nightly_main", "progress_text", "protocol_set_fingerprint", "register_batch_commands", "run_nightly",
    "settings_fingerprint", "stop_pool",
]
