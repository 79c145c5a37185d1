"""Embedding every statement once, and aligning the due documents, before any judging."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from checker.records import ROLE_PROTOCOL, Statement
from web.batch.base import BatchOutcome, Context, Plan, _chunks, _path_groups, log

if TYPE_CHECKING:
    from web.batch.run import NightlyBatch

Where = tuple[str, int]  # (path, position) of a statement


def embed_all(batch: "NightlyBatch", protocols: list[Statement], documents: list[Statement],
              outcome: BatchOutcome) -> None:
    """Embed every statement once, in slices (cache first), so checking never waits on the model."""
    if not hasattr(batch.checker, "embed"):
        return
    store = getattr(batch.checker, "store", None)
    computed_before = getattr(store, "computed", 0)
    unique: dict[str, Statement] = {}
    for statement in (*protocols, *documents):
        unique.setdefault(statement.key, statement)
    statements = list(unique.values())
    total = len(statements)
    bar = batch._bar(total, "embedding")
    done = 0
    slice_size = max(256, batch.settings.encode_batch_size * 32)
    for chunk in _chunks(statements, slice_size):
        batch._check_stop()
        batch.checker.embed(chunk)
        done += len(chunk)
        outcome.embeddings_computed = getattr(store, "computed", 0) - computed_before
        outcome.embeddings_reused = done - outcome.embeddings_computed
        bar(len(chunk))
        batch._save_progress(outcome, "embedding", done=done, total=total)
    bar(None)
    log.info("run #%s embedded %d distinct statements: %d computed, %d from the cache",
             batch.run_id, total, outcome.embeddings_computed, outcome.embeddings_reused)


def align_due(batch: "NightlyBatch", context: Context, targets: set[str], states: dict[int, Any],
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
    due_statements = [s for s in context.documents if s.path in targets]
    known: set[Where] = set()
    for item in plan.documents.values():
        state = states.get(item.id)
        if item.path not in targets and state is not None:
            known.update((item.path, int(entry[0])) for entry in state.uncovered or ())
    others = [s for s in context.documents if (s.path, s.position) in known]
    step1 = _align_with_protocols(batch, context, due_statements, others, outcome)
    _align_across_documents(batch, context, targets, step1, known, len(due_statements), outcome)


def _align_with_protocols(batch: "NightlyBatch", context: Context, due_statements: list[Statement],
                          others: list[Statement], outcome: BatchOutcome) -> dict[Where, Any]:
    """Step 1: embed the due statements and align them with the protocols (in a helper thread);
    embed the others' stored uncovered statements too. The due alignments, by (path, position)."""
    from concurrent.futures import ThreadPoolExecutor

    from checker import align as engine_align

    started = time.perf_counter()
    store = getattr(batch.checker, "store", None)
    computed_before = getattr(store, "computed", 0)
    embedded = 0
    protocol_vectors = batch.checker.embed(context.protocols)
    embedded += len(context.protocols)
    total = len(due_statements) + len(others)
    bar = batch._bar(total, "embedding")
    step1: dict[Where, Any] = {}

    def protocol_step(group: list[Statement], vectors: np.ndarray) -> list[Any]:
        planned = [batch._aligned_by_plan.get((s.path, s.position)) for s in group]
        if all(a is not None and a.statement == s for a, s in zip(planned, group)):
            return planned  # aligned against the same protocols while planning
        alignments = engine_align.align(context.protocols, protocol_vectors, group, vectors, batch.settings, None)
        for alignment in alignments:
            alignment.candidates = [c for c in alignment.candidates if c.source.role == ROLE_PROTOCOL]
        return alignments

    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nightly-align") as helper:
        pending = []
        for group in _path_groups(due_statements, max(256, batch.chunk_statements)):
            batch._check_stop()
            vectors = batch.checker.embed(group)
            pending.append(helper.submit(protocol_step, group, vectors))
            done += len(group)
            embedded += len(group)
            bar(len(group))
            outcome.embeddings_computed = getattr(store, "computed", 0) - computed_before
            outcome.embeddings_reused = embedded - outcome.embeddings_computed
            batch._save_progress(outcome, "embedding", done=done, total=total)
            while pending and pending[0].done():
                for alignment in pending.pop(0).result():
                    step1[(alignment.statement.path, alignment.statement.position)] = alignment
        for group in _chunks(others, 4096):
            batch.checker.embed(group)
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
             "protocols in %.1f s", batch.run_id, embedded, outcome.embeddings_computed,
             outcome.embeddings_reused, len(due_statements), time.perf_counter() - started)
    return step1


def _align_across_documents(batch: "NightlyBatch", context: Context, targets: set[str], step1: dict[Where, Any],
                            known: set[Where], due_count: int, outcome: BatchOutcome) -> None:
    """Steps 2 and 3: document-to-document candidates over the corpus-wide uncovered pool, and
    the due statements' admission thresholds; fills ``context.aligned`` and ``context.thresholds``."""
    from checker import align as engine_align

    started = time.perf_counter()
    batch._save_progress(outcome, "aligning", done=0, total=due_count)
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
        vectors = batch.checker.embed(pool)
        thresholds = engine_align.align_uncovered(pool, vectors, alignments, batch.settings, targets)
        context.thresholds.update(((pool[i].path, pool[i].position), value) for i, value in thresholds.items())
    for alignment in step1.values():
        context.aligned.setdefault(alignment.statement.path, []).append(alignment)
    log.info("run #%s compared %d uncovered statements across documents in %.1f s", batch.run_id,
             sum(1 for a in alignments.values() if not a.covered), time.perf_counter() - started)
