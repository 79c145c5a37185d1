"""The nightly batch's judging workers can never hang it: they die when stopped, a stuck one is
killed, and a chunk that takes too long is judged by the batch itself."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import pytest

from web.batch import _Judges

BOUND = 60  # seconds: far beyond what any of these needs, so only a hang reaches it


def _run_bounded(script: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                              timeout=BOUND)
    except subprocess.TimeoutExpired:
        pytest.fail("hung: the pool did not stop")


def test_a_worker_forked_under_the_batchs_own_sigterm_handler_still_dies_when_the_pool_stops():
    # The batch installs a SIGTERM handler that only asks for a stop after the chunk; a worker
    # forked under it swallowed the pool's SIGTERM and the batch waited on it forever (runs #694, #714).
    result = _run_bounded("""
        import multiprocessing, signal, time
        from web.batch import _die_with_parent
        signal.signal(signal.SIGTERM, lambda number, frame: None)
        pool = multiprocessing.get_context("fork").Pool(2, initializer=_die_with_parent)
        pool.map_async(time.sleep, [3600, 3600])
        time.sleep(1)
        pool.terminate()
        pool.join()
        print("stopped")
    """)
    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stdout


def test_workers_that_ignore_sigterm_are_killed_after_the_grace_period():
    result = _run_bounded("""
        import multiprocessing, signal, time
        from web.batch import stop_pool
        def deaf():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        pool = multiprocessing.get_context("fork").Pool(2, initializer=deaf)
        pool.map_async(time.sleep, [3600, 3600])
        time.sleep(1)
        started = time.monotonic()
        stop_pool(pool, grace=2)
        print("stopped after", round(time.monotonic() - started), "s;", len(multiprocessing.active_children()), "left")
    """)
    assert result.returncode == 0, result.stderr
    assert "0 left" in result.stdout


class _SlowJudge:
    def judge_alignments(self, alignments, min_score):
        time.sleep(3600)


def test_a_chunk_a_worker_is_stuck_on_is_handed_back_to_the_batch_after_the_timeout(engine_settings):
    batch = SimpleNamespace(settings=engine_settings.replace(chunk_timeout_seconds=2), workers=2,
                            checker=SimpleNamespace(judge=_SlowJudge()))
    plan = SimpleNamespace(documents={1: SimpleNamespace(path="a.md"), 2: SimpleNamespace(path="b.md")})
    started = time.monotonic()
    with _Judges(batch, SimpleNamespace(aligned={}), [[1], [2]], plan, enabled=True) as judges:
        assert judges.enabled
        assert judges.next([1]) is None  # timed out: the caller judges this chunk itself
        assert judges.next([2]) is None  # and the rest: the workers are gone
    assert time.monotonic() - started < BOUND
