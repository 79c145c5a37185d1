"""A fault test of the nightly batch: 50 runs in real processes, most of them killed with SIGKILL at
random moments (while aligning, while a chunk's findings are written and not yet committed, while
forked judging workers exist, or at a random time), with new document versions uploaded through the
web app meanwhile. No run may hang (each is bounded), every run ends succeeded or interrupted, the
lock is free at the end, and after one final clean run the findings are exactly those of one
uninterrupted run over the same final inputs in a fresh database.

The runs are forked by ``batch_fault_runner.py`` (the engine imported once) and store one document
per chunk; the corpus is small (two protocols, three documents and a fourth uploaded on the way), so
the 50 runs take about a minute per database. ``TOUCHPOINT_FAULT_SEED`` plays another sequence of
faults (the kinds of kill, workers, forced runs and uploads are drawn from it; timing decides the rest).
"""
from __future__ import annotations

import json
import os
import queue
import random
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Optional

import pytest
from flask import Flask
from sqlalchemy import select as select_rows

from web.accounts import create_user
from web.batch_models import BatchDocumentState, BatchLock
from web.db import session_factory
from web.locks import pid_alive
from web.models import CheckRun, Department, Document, Finding
from web.queue import recover
from test_batch import AGREEING, LEAFLET, SMALL_CORPUS, WOUND_SHEET, nightly, second_app, store
from web_support import PASSWORD, login

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "batch_fault_runner.py"
RUNS = 50
RUN_TIMEOUT = 60.0  # seconds one run may take, killed or not: only a hang comes near it
SEED = int(os.environ.get("TOUCHPOINT_FAULT_SEED", "20261207"))

LEAFLET_PATH = "documents/surgery/day-surgery-leaflet.md"
GOING_HOME = "documents/surgery/going-home.md"
ENDOSCOPY = "documents/endoscopy/endoscopy-fasting.md"
NEW_SHEET = "documents/surgery/stitches-sheet.md"

# Versions the uploads choose from, per document; the first is the one stored at the start. No two
# documents share a statement, so no finding depends on how ties between equal statements break.
VARIANTS: dict[str, list[bytes]] = {
    LEAFLET_PATH: [LEAFLET, LEAFLET.replace(b"for 4 hours", b"for 6 hours"),
                   LEAFLET + b"- Wear loose, comfortable clothes on the day.\n"],
    GOING_HOME: [WOUND_SHEET, WOUND_SHEET.replace(b"5 days", b"7 days"),
                 WOUND_SHEET.replace(b"5 days", b"10 days").replace(b"48 hours", b"12 hours")],
    ENDOSCOPY: [AGREEING, AGREEING.replace(b"for 6 hours", b"for 3 hours")],
    NEW_SHEET: [b"# Stitches and dressings\n\n- Keep the dressings dry for 72 hours after your operation.\n",
                b"# Stitches and dressings\n\n- Keep the dressings dry for 48 hours after your operation.\n"
                b"- Your stitches dissolve by themselves within 3 weeks.\n"],
}


# --- the runner process ------------------------------------------------------------------------

class Runner:
    """``batch_fault_runner.py``: start a run, read what its child reports, each wait bounded."""

    def __init__(self, folder: Path) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(RUNNER.parent),
                                                          os.environ.get("PYTHONPATH", "")]))
        self.stderr = open(folder / "runner.log", "wb")
        self.process = subprocess.Popen([sys.executable, str(RUNNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr, env=env, cwd=ROOT)
        self._buffer = b""
        self.children: list[int] = []
        ready = self.next(time.monotonic() + 120)
        assert ready is not None and "ready" in ready, "the runner did not start (runner.log)"

    def start(self, command: dict[str, Any]) -> int:
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        self.process.stdin.flush()
        event = self.next(time.monotonic() + 30)
        assert event is not None and "started" in event, f"the runner did not start a run: {event}"
        self.children.append(event["started"])
        return event["started"]

    def next(self, deadline: float) -> Optional[dict[str, Any]]:
        """The next event, or None once ``deadline`` (time.monotonic()) has passed."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            readable, _, _ = select.select([self.process.stdout], [], [], left)
            if readable:
                data = os.read(self.process.stdout.fileno(), 65536)
                assert data, f"the runner exited ({self.process.poll()}): see runner.log"
                self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        for pid in self.children:  # a run left behind by a failed assertion, and its judging workers
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
        self.stderr.close()


# --- uploads meanwhile ---------------------------------------------------------------------------

class Uploader(threading.Thread):
    """New document versions through the web app (``POST /documents/<id>/versions``, and the upload
    form for a new document), each at its moment, one at a time, while the runs go on. The upload's
    own check runs in this process (immediate queue): it waits for the check lock for a second, then
    stays queued, as in production."""

    def __init__(self, app: Flask, rng: random.Random) -> None:
        super().__init__(name="fault-uploads", daemon=True)
        self.app, self.rng = app, rng
        self.jobs: "queue.Queue[Optional[float]]" = queue.Queue()
        self.current: dict[str, bytes] = {path: data for path, data in SMALL_CORPUS.items()
                                          if path.startswith("documents/")}
        self.order = list(self.current)  # documents in the order they were created
        self.done = 0
        self.failure: Optional[str] = None
        self.client = app.test_client()
        login(self.client, "admin")

    def upload_at(self, moment: float) -> None:
        self.jobs.put(moment)

    def finish(self) -> None:
        self.jobs.put(None)
        self.join(120)
        assert not self.is_alive(), "uploads hung"
        assert self.failure is None, self.failure

    def run(self) -> None:
        while (moment := self.jobs.get()) is not None:
            time.sleep(max(0.0, moment - time.monotonic()))
            try:
                self._upload()
            except Exception as error:  # noqa: BLE001 - reported by finish()
                self.failure = f"upload failed: {type(error).__name__}: {error}"
                return

    def _upload(self) -> None:
        path = self.rng.choice(sorted(VARIANTS))
        choices = [data for data in VARIANTS[path] if data != self.current.get(path)]
        data = self.rng.choice(choices)
        _, slug, filename = path.split("/")
        with self.app.app_context(), session_factory(self.app)() as session:
            department = session.scalar(select_rows(Department).where(Department.slug == slug))
            document = session.scalar(select_rows(Document).where(Document.department_id == department.id,
                                                                  Document.filename == filename))
            department_id, document_id = department.id, document.id if document else None
        if document_id is None:
            response = self.client.post("/documents/upload", content_type="multipart/form-data", data={
                "department": str(department_id), "file": (BytesIO(data), filename)})
        else:
            response = self.client.post(f"/documents/{document_id}/versions", content_type="multipart/form-data",
                                        data={"file": (BytesIO(data), filename)})
        assert response.status_code == 302, f"upload of {path}: HTTP {response.status_code}"
        if path not in self.current:
            self.order.append(path)
        self.current[path] = data
        self.done += 1


# --- one run -----------------------------------------------------------------------------------

@dataclass
class Fault:
    """What a run was meant to suffer and what happened."""

    kill: str                      # "aligning", "storing", "random" or "none"
    workers: int
    force: bool
    hold: dict[str, Any] = field(default_factory=dict)
    kill_after: float = 0.0        # "random": seconds after the start
    pid: int = 0
    killed_at: Optional[str] = None  # the moment the SIGKILL landed in ("random" for a timed one)
    workers_at_kill: list[int] = field(default_factory=list)
    outcome: Optional[dict[str, Any]] = None
    status: Optional[int] = None
    run_id: Optional[int] = None


def _plan(rng: random.Random, index: int, typical: float) -> Fault:
    if index == 0:  # the first run checks everything, unkilled: it measures a typical run
        return Fault("none", workers=2, force=False)
    kill = rng.choices(["aligning", "storing", "random", "none"], weights=[30, 35, 20, 15])[0]
    # a forced run re-checks all four documents: work to kill, whatever the runs before it left
    force = rng.random() < {"aligning": 0.5, "storing": 0.7, "random": 0.7, "none": 0.1}[kill]
    fault = Fault(kill, workers=rng.choice([1, 2, 3]), force=force)
    if kill == "aligning":
        fault.hold = {"event": kill, "n": 1, "seconds": 0.5}
    elif kill == "storing":  # the n-th chunk, in its transaction
        fault.hold = {"event": kill, "n": rng.randint(1, 3) if force else 1, "seconds": 0.5}
    elif kill == "random":
        fault.kill_after = rng.uniform(0.05, max(0.3, 0.7 * typical))
    return fault


def _run(runner: Runner, fault: Fault, command: dict[str, Any], rng: random.Random, logs: Path) -> None:
    """Start the run, kill it as planned, and wait (bounded) for its process to end."""
    started = time.monotonic()
    deadline = started + RUN_TIMEOUT
    fault.pid = runner.start(dict(command, hold=fault.hold, options=dict(
        command["options"], workers=fault.workers, force=fault.force)))
    while True:
        wake = deadline
        if fault.kill == "random" and fault.killed_at is None:
            wake = min(wake, started + fault.kill_after)
        event = runner.next(wake)
        now = time.monotonic()
        if event is None and now >= deadline:
            try:  # every thread's stack, of the run and its judging workers, into the log
                os.killpg(fault.pid, signal.SIGUSR1)
                time.sleep(2)
            except ProcessLookupError:
                pass
            raise AssertionError(f"run {fault} hung: no end within {RUN_TIMEOUT:.0f} s; "
                                 f"its log: {_tail(logs)}")
        if event is None:  # the moment of a timed kill
            _kill(fault, "random", [])
            continue
        if "error" in event:
            raise AssertionError(f"run (pid {fault.pid}) failed: {event['error']}\n{event['traceback']}")
        if event.get("event") and fault.killed_at is None and fault.hold.get("event") == event["event"] \
                and fault.hold.get("n") == event["n"]:
            time.sleep(rng.uniform(0.0, 0.35))  # inside the 0.5 s the child holds there
            _kill(fault, event["event"], event["workers"])
        elif "outcome" in event:
            fault.outcome = event["outcome"]
        elif "exited" in event:
            fault.status = event["status"]
            break
    if fault.killed_at is not None and fault.status != -signal.SIGKILL:
        fault.killed_at = None  # it had finished before the kill landed
    for worker in fault.workers_at_kill:  # a killed batch takes its judging workers with it
        _wait_gone(worker)


def _kill(fault: Fault, moment: str, workers: list[int]) -> None:
    try:
        os.kill(fault.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    fault.killed_at, fault.workers_at_kill = moment, list(workers)


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 15
    while pid_alive(pid):
        assert time.monotonic() < deadline, f"judging worker {pid} outlived the killed batch"
        time.sleep(0.05)


def _tail(folder: Path) -> str:
    text = (folder / "runs.log").read_text(errors="replace") if (folder / "runs.log").exists() else ""
    return text[-12000:]


# --- what the database must look like ----------------------------------------------------------

def _findings(app: Flask) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Occurring findings as (fingerprint, status, document path), and every finding's status."""
    with app.app_context(), session_factory(app)() as session:
        rows = session.scalars(select_rows(Finding)).all()
        occurring = sorted((row.fingerprint, row.status, row.document.engine_path) for row in rows
                           if row.status != "resolved")
        return occurring, {row.fingerprint: row.status for row in rows}


def _rows(app: Flask, model) -> list[Any]:
    with app.app_context(), session_factory(app)() as session:
        return session.scalars(select_rows(model)).all()


def _run_of(app: Flask, pid: int) -> Optional[CheckRun]:
    with app.app_context(), session_factory(app)() as session:
        return session.scalars(select_rows(CheckRun).where(CheckRun.kind == "nightly", CheckRun.owner_pid == pid)
                               .order_by(CheckRun.id.desc())).first()


def test_fifty_nightly_runs_killed_at_random_moments_end_exactly_like_one_uninterrupted_run(app, tmp_path):
    rng = random.Random(SEED)
    store(app, SMALL_CORPUS)
    with app.app_context(), session_factory(app)() as session:
        create_user(session, "admin", PASSWORD, "admin", None, "Admin")
        session.commit()
    settings = app.extensions["touchpoint_settings"]
    command = {"database_url": app.config["DATABASE_URL"], "cache_dir": settings.cache_dir,
               "log": str(tmp_path / "runs.log"), "options": {"chunk_documents": 1, "heartbeat_seconds": 1}}
    runner = Runner(tmp_path)
    uploads = Uploader(app, random.Random(SEED + 1))
    uploads.start()
    faults: list[Fault] = []
    began = time.monotonic()
    typical = 1.0
    try:
        for index in range(RUNS):
            fault = _plan(rng, index, typical)
            if index and rng.random() < 0.3:  # a new version before the run ...
                uploads.upload_at(time.monotonic())
            if index and rng.random() < 0.4:  # ... and one while it runs
                uploads.upload_at(time.monotonic() + rng.uniform(0.0, 0.8))
            started = time.monotonic()
            _run(runner, fault, command, rng, tmp_path)
            if index == 0:
                typical = time.monotonic() - started
            row = _run_of(app, fault.pid)
            fault.run_id = row.id if row is not None else None
            faults.append(fault)
        uploads.finish()
        for _ in range(10):  # the uploads' checks that found the lock held, as a worker's sweep does them
            if not recover(app, requeue_after=0):
                break
        final = Fault("none", workers=2, force=False)
        _run(runner, final, command, rng, tmp_path)
        again = Fault("none", workers=1, force=False)
        _run(runner, again, command, rng, tmp_path)
    finally:
        runner.close()
    seconds = time.monotonic() - began

    killed = [f for f in faults if f.killed_at]
    summary = (f"{len(faults)} runs in {seconds:.0f} s: {len(killed)} killed "
               f"({', '.join(f'{sum(f.killed_at == m for f in killed)} {m}' for m in ('aligning', 'storing', 'random'))}; "
               f"{sum(bool(f.workers_at_kill) for f in killed)} with judging workers alive), "
               f"{uploads.done} uploads")
    print(summary)
    # the faults happened as planned (the seed fixes the plan; timing decides only the random kills)
    assert sum(f.killed_at == "aligning" for f in killed) >= 5, summary
    assert sum(f.killed_at == "storing" for f in killed) >= 5, summary
    assert sum(bool(f.workers_at_kill) for f in killed) >= 2, summary
    assert sum(f.killed_at == "random" for f in killed) >= 1, summary
    assert uploads.done >= 10, summary
    for fault in faults + [final, again]:
        if fault.killed_at:
            assert fault.status == -signal.SIGKILL
        else:  # every run not killed ran to its end and succeeded: no stale lock refused it
            assert fault.status == 0 and fault.outcome and fault.outcome["status"] == "succeeded", fault
    assert final.outcome["documents_total"] == len(uploads.current)
    assert again.outcome["documents_checked"] == 0  # nothing left to do: the final run finished it all

    # every run ended (none left running or queued), the killed ones interrupted; the lock is free
    runs = _rows(app, CheckRun)
    assert {run.status for run in runs} <= {"succeeded", "interrupted"}, sorted((r.id, r.kind, r.status) for r in runs)
    by_id = {run.id: run for run in runs}
    for fault in killed:
        if fault.run_id is None:
            continue  # killed before it had a run (taking the lock)
        run = by_id[fault.run_id]
        if fault.killed_at == "random" and run.status == "succeeded":
            continue  # a timed kill that landed after the run had recorded its end
        assert run.status == "interrupted" and run.error, fault
    assert {run.kind for run in runs} >= {"nightly", "upload"}
    assert _rows(app, BatchLock) == []
    assert not any(state.dirty for state in _rows(app, BatchDocumentState))

    # exactly the findings of one uninterrupted run over the same final inputs
    occurring, statuses = _findings(app)
    reference = second_app(app, tmp_path)
    try:
        store(reference, {path: data for path, data in SMALL_CORPUS.items() if path.startswith("protocols/")})
        store(reference, {path: uploads.current[path] for path in uploads.order})
        assert nightly(reference, chunk_documents=1).status == "succeeded"
        expected, _ = _findings(reference)
    finally:
        reference.extensions["touchpoint_db"].dispose()
    assert expected, "the final inputs have findings to compare"
    assert len({fingerprint for fingerprint, _, _ in occurring}) == len(occurring)  # none doubled
    assert occurring == expected
    assert {status for fingerprint, status in statuses.items()
            if fingerprint not in {f for f, _, _ in expected}} <= {"resolved"}
