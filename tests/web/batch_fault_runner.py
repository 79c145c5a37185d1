"""The process ``test_batch_faults.py`` starts nightly runs from: it imports the engine and the
batch once, then forks one child per run (a run in a fresh process would spend ~2.5 s importing).

It reads one JSON command per line on stdin and writes one JSON event per line on stdout::

    -> {"database_url": ..., "cache_dir": ..., "log": FILE, "options": {...}, "hold": {...}}
    <- {"started": PID}
    <- {"pid": PID, "event": "aligning" | "storing", "n": N, "workers": [PIDS]}   (from the child)
    <- {"pid": PID, "outcome": {...}}                                             (from the child)
    <- {"exited": PID, "status": CODE or -SIGNAL}

A child is the batch process (``NightlyBatch(...).run()``, as ``touchpoint nightly`` runs it, with the
real engine); the test kills it with SIGKILL. It reports two moments: ``aligning`` (the due documents
are embedded and aligned with the protocols, the alignment across documents is about to start) and
``storing`` (a chunk's findings are written in its open transaction, not committed). ``hold`` makes the
child sleep at the ``n``-th such moment, so that a kill lands there. ``workers`` are the judging
processes the run has forked, to check that none outlives it. The child's log goes to ``log``.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
import traceback
from typing import Any

import checker.engine  # noqa: F401 - imported once here, before any fork
import web.batch  # noqa: F401
import web.batch.checking
import web.batch.embedding


def _emit(payload: dict[str, Any]) -> None:
    os.write(1, (json.dumps(payload) + "\n").encode())  # one write: lines never interleave


def _hooks(hold: dict[str, Any]) -> None:
    """Report (and, for the one asked for, hold) the two moments in this process's batch."""
    counts = {"aligning": 0, "storing": 0}

    def moment(name: str) -> None:
        counts[name] += 1
        workers = [child.pid for child in multiprocessing.active_children()]
        _emit({"pid": os.getpid(), "event": name, "n": counts[name], "workers": workers})
        if hold.get("event") == name and hold.get("n") == counts[name]:
            time.sleep(float(hold.get("seconds", 0.5)))

    align_across = web.batch.embedding._align_across_documents

    def aligning(*args: Any, **kwargs: Any) -> Any:
        moment("aligning")
        return align_across(*args, **kwargs)

    resolve_missing = web.batch.checking._resolve_missing

    def storing(*args: Any, **kwargs: Any) -> Any:
        result = resolve_missing(*args, **kwargs)
        moment("storing")
        return result

    web.batch.embedding._align_across_documents = aligning
    web.batch.checking._resolve_missing = storing


def _child(command: dict[str, Any]) -> int:
    log = os.open(command["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    os.close(log)
    import faulthandler
    import logging
    import signal

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test's stack dump of a hung run

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True,
                        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    from checker.engine import Engine
    from checker.settings import load_settings
    from web.batch import NightlyBatch, make_database

    _hooks(command.get("hold") or {})
    settings = load_settings(environ={}, cache_dir=command["cache_dir"], database_url=command["database_url"],
                             check_lock_wait_seconds=command.get("lock_wait", 30))
    database = make_database(settings)
    batch = NightlyBatch(settings, database, Engine(settings), progress=False, **command.get("options", {}))
    outcome = batch.run()
    _emit({"pid": os.getpid(), "outcome": outcome.as_dict()})
    return 0


def main() -> None:
    _emit({"ready": os.getpid()})
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the batch process
            code = 1
            try:
                os.setpgid(0, 0)  # its own group, so a cleanup can reach its judging workers too
                code = _child(command)
            except BaseException as error:  # noqa: BLE001 - reported, then the child exits
                _emit({"pid": os.getpid(), "error": f"{type(error).__name__}: {error}",
                       "traceback": traceback.format_exc()})
            finally:
                os._exit(code)
        _emit({"started": pid})
        _, status = os.waitpid(pid, 0)
        _emit({"exited": pid, "status": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main()
