"""Judging workers: the coming chunks are judged in forked processes while the batch stores
findings, and no worker can outlive or hang the batch."""
from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any, Iterator, Optional

from web.batch.base import Context, Plan, log

if TYPE_CHECKING:
    from web.batch.run import NightlyBatch

#: What the forked workers judge with, set just before the fork (they inherit it).
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

    def __init__(self, batch: "NightlyBatch", context: Context, chunks: list[list[int]], plan: Plan,
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
