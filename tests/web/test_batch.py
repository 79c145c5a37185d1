"""The nightly batch (the web/batch/ package): incremental, idempotent, safe to kill, one run at a time.

Every test runs on SQLite and on PostgreSQL (the ``database_url`` fixture of conftest.py), with
the real engine unless ``TOUCHPOINT_TEST_ENGINE=fake``.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from web.accounts import create_user, get_or_create_department
from web.batch import (EXIT_LOCKED, PAUSE_AFTER_ENV, PAUSE_SECONDS_ENV, BatchRefused, NightlyBatch,
                       nightly_main, progress_text)
from web.batch_models import BatchDocumentState, BatchLock, BatchRunProgress
from web.db import session_factory
from web.library import add_document_version, add_protocol_version
from web.locks import DatabaseLock, LockHeld, pid_alive
from web.models import CheckRun, Document, DocumentVersion, Finding
from web_support import PASSWORD, build_app

ROOT = Path(__file__).resolve().parents[2]
TESTS_WEB = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples" / "documents"
PROTOCOLS = ROOT / "protocols"

FASTING = b"""# Fasting before day surgery

## Food

- Do not eat any food for 6 hours before your arrival time.
- You may drink clear fluids until 2 hours before your arrival time.

## Going home

- An adult must take you home and stay with you for the first 24 hours.
"""

WOUNDS = b"""# Wound care after keyhole surgery

- Keep the dressings dry for 48 hours after your operation.
- Your stitches will be removed at the GP surgery 10 days after the operation.
"""

LEAFLET = b"""# Your day surgery

## Before you come in

- Do not eat any food for 4 hours before your arrival time.
- Bring a list of your usual medicines with you.
- You may drink clear fluids until 2 hours before your arrival time.
"""

LEAFLET_FIXED = LEAFLET.replace(b"for 4 hours", b"for 6 hours")

WOUND_SHEET = b"""# Going home after your operation

- Keep the dressings dry for 48 hours after your operation.
- Your stitches will be removed at the GP surgery 5 days after the operation.
- Ask the nurse for a sick note before you leave the ward.
"""

AGREEING = b"""# Fasting for your endoscopy

- Do not eat any food for 6 hours before your arrival time.
- Please bring your glasses and a dressing gown.
"""

SMALL_CORPUS = {
    "protocols/fasting.md": FASTING,
    "protocols/wound-care.md": WOUNDS,
    "documents/surgery/day-surgery-leaflet.md": LEAFLET,
    "documents/surgery/going-home.md": WOUND_SHEET,
    "documents/endoscopy/endoscopy-fasting.md": AGREEING,
}


# --- helpers ----------------------------------------------------------------------------------

def store(app: Flask, files: dict[str, bytes]) -> None:
    """Store files as new versions, as uploads do (without the upload's own check)."""
    engine = app.extensions["touchpoint_engine"]
    with app.app_context():
        session = session_factory(app)()
        for path, data in files.items():
            parts = path.split("/")
            if parts[0] == "protocols":
                add_protocol_version(session, engine, parts[1], data, None)
            else:
                department = get_or_create_department(session, parts[1].replace("-", " ").title(), parts[1])
                add_document_version(session, engine, department, parts[2], data, None)
        session.commit()
        session.close()


def examples_corpus() -> dict[str, bytes]:
    files = {f"protocols/{p.name}": p.read_bytes() for p in sorted(PROTOCOLS.iterdir())
             if p.suffix in (".md", ".txt", ".html") and p.name != "README.md"}
    files.update({f"documents/{p.parent.name}/{p.name}": p.read_bytes() for p in sorted(EXAMPLES.rglob("*"))
                  if p.is_file()})
    return files


def nightly(app: Flask, checker: Any = None, **options: Any):
    options.setdefault("progress", False)
    batch = NightlyBatch(app.extensions["touchpoint_settings"], app.extensions["touchpoint_db"],
                         checker or app.extensions["touchpoint_engine"], **options)
    return batch.run()


def findings(app: Flask) -> dict[str, tuple[str, str]]:
    """fingerprint -> (status, document path) of every finding."""
    with app.app_context():
        session = session_factory(app)()
        rows = session.scalars(select(Finding)).all()
        result = {row.fingerprint: (row.status, row.document.engine_path) for row in rows}
        session.close()
    return result


def occurring(app: Flask) -> set[str]:
    return {fingerprint for fingerprint, (status, _) in findings(app).items() if status != "resolved"}


def query(app: Flask, statement):
    with app.app_context():
        session = session_factory(app)()
        try:
            return session.execute(statement).all()
        finally:
            session.close()


def get(app: Flask, model, key):
    with app.app_context():
        session = session_factory(app)()
        try:
            return session.get(model, key)
        finally:
            session.close()


def finding_on(app: Flask, path: str, fragment: str) -> Finding | None:
    with app.app_context():
        session = session_factory(app)()
        try:
            for row in session.scalars(select(Finding)):
                if row.document.engine_path == path and fragment in row.statement_text:
                    return row
            return None
        finally:
            session.close()


def second_app(app: Flask, tmp_path: Path) -> Flask:
    """Another app with a fresh SQLite database, same engine and settings (a clean comparison)."""
    url = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    return build_app(url, app.extensions["touchpoint_engine"], app.extensions["touchpoint_settings"])


def synthetic_corpus(tmp_path: Path, seed: int) -> tuple[Path, dict[str, bytes]]:
    """A small benchmark corpus (700 document statements, 150 protocol statements) on disk, and its files."""
    from benchmarks import synth

    corpus_dir = tmp_path / "corpus"
    synth.write(synth.generate(700, protocol_statements=150, seed=seed), corpus_dir, seed=seed)
    return corpus_dir, {str(p.relative_to(corpus_dir)): p.read_bytes() for p in sorted(corpus_dir.rglob("*.md"))}


def assert_same_as_a_full_check(app: Flask, tmp_path: Path, files: dict[str, bytes]) -> None:
    """The findings occurring in ``app`` are those of one full run over ``files`` in a fresh database."""
    reference = second_app(app, tmp_path)
    store(reference, files)
    nightly(reference)
    assert occurring(app) == occurring(reference)
    reference.extensions["touchpoint_db"].dispose()


# --- incremental and idempotent ---------------------------------------------------------------

def test_the_first_run_checks_everything_and_a_second_run_right_after_changes_nothing(app):
    store(app, SMALL_CORPUS)
    first = nightly(app)
    assert first.status == "succeeded"
    assert first.documents_checked == first.documents_total == 3
    assert first.findings_new >= 1
    assert finding_on(app, "documents/surgery/day-surgery-leaflet.md", "4 hours") is not None
    before = findings(app)

    second = nightly(app)
    assert second.status == "succeeded"
    assert (second.findings_new, second.findings_resolved, second.findings_reopened) == (0, 0, 0)
    assert second.documents_checked == 0 and second.documents_skipped == 3
    assert second.findings_unchanged == len(occurring(app))
    assert second.embeddings_computed == 0
    assert findings(app) == before
    run = get(app, CheckRun, second.run_id)
    assert run.status == "succeeded" and run.kind == "nightly" and run.finished_at is not None


def test_the_same_inputs_give_the_same_findings_in_a_fresh_database(app, tmp_path):
    store(app, SMALL_CORPUS)
    nightly(app)
    other = second_app(app, tmp_path)
    store(other, SMALL_CORPUS)
    nightly(other)
    assert findings(app) == findings(other)
    forced = nightly(app, force=True)
    assert forced.documents_checked == 3 and forced.findings_new == 0 and forced.findings_resolved == 0
    other.extensions["touchpoint_db"].dispose()


def test_a_run_counts_each_occurring_finding_once_even_when_met_from_both_documents(app):
    store(app, examples_corpus() | SMALL_CORPUS)
    first = nightly(app, chunk_documents=1)
    assert first.findings_new == len(occurring(app))
    with app.app_context():
        session = session_factory(app)()
        between_documents = session.scalar(select(func.count()).select_from(Finding).where(
            Finding.source_document_id.is_not(None)))
        session.close()
    assert between_documents >= 1
    forced = nightly(app, force=True, chunk_documents=1)
    assert (forced.findings_new, forced.findings_unchanged) == (0, len(occurring(app)))
    store(app, {"documents/surgery/day-surgery-leaflet.md": LEAFLET + b"\n- Bring your inhalers.\n"})
    partial = nightly(app, chunk_documents=1)
    assert 0 < partial.documents_checked < partial.documents_total
    assert partial.findings_new + partial.findings_unchanged + partial.findings_reopened == len(occurring(app))


def test_judging_in_worker_processes_gives_the_same_findings(app, tmp_path):
    store(app, examples_corpus() | SMALL_CORPUS)
    nightly(app, chunk_documents=2)
    other = second_app(app, tmp_path)
    store(other, examples_corpus() | SMALL_CORPUS)
    run = nightly(other, chunk_documents=2, workers=2)
    assert run.status == "succeeded"
    assert findings(other) == findings(app)
    other.extensions["touchpoint_db"].dispose()


def test_reviewer_decisions_persist_across_runs(app):
    store(app, SMALL_CORPUS)
    nightly(app)
    finding = finding_on(app, "documents/surgery/day-surgery-leaflet.md", "4 hours")
    with app.app_context():
        session = session_factory(app)()
        session.execute(update(Finding).where(Finding.id == finding.id).values(
            status="dismissed", status_reason="Agreed with the anaesthetists"))
        session.commit()
        session.close()
    nightly(app)
    nightly(app, force=True)
    store(app, {"documents/surgery/day-surgery-leaflet.md": LEAFLET + b"\n- Wear loose clothes on the day.\n"})
    changed = nightly(app)
    assert changed.documents_checked >= 1
    kept = get(app, Finding, finding.id)
    assert kept.status == "dismissed" and kept.status_reason == "Agreed with the anaesthetists"
    assert kept.last_seen_run_id == changed.run_id


def test_a_fixed_statement_resolves_its_finding_naming_the_run(app):
    store(app, SMALL_CORPUS)
    nightly(app)
    finding = finding_on(app, "documents/surgery/day-surgery-leaflet.md", "4 hours")
    store(app, {"documents/surgery/day-surgery-leaflet.md": LEAFLET_FIXED})
    run = nightly(app)
    assert run.findings_resolved >= 1
    resolved = get(app, Finding, finding.id)
    assert resolved.status == "resolved"
    assert resolved.resolved_by_run_id == run.run_id
    assert nightly(app).findings_resolved == 0


def test_a_protocol_change_reaches_the_documents_that_depend_on_it(app):
    store(app, SMALL_CORPUS)
    nightly(app)
    agreeing = "documents/endoscopy/endoscopy-fasting.md"
    assert finding_on(app, agreeing, "6 hours") is None
    store(app, {"protocols/fasting.md": FASTING.replace(b"for 6 hours", b"for 4 hours")})
    run = nightly(app)
    assert run.documents_checked >= 2  # the two fasting documents, at least
    assert run.embeddings_computed <= 1  # only the changed protocol statement is new
    assert finding_on(app, agreeing, "6 hours") is not None
    old = finding_on(app, "documents/surgery/day-surgery-leaflet.md", "4 hours")
    assert old.status == "resolved" and old.resolved_by_run_id == run.run_id


def test_a_protocol_edit_rechecks_only_the_documents_it_reaches_and_ends_as_a_full_check(app, tmp_path):
    corpus = examples_corpus()
    store(app, corpus)
    nightly(app)
    name = "protocols/cataract-surgery-aftercare.txt"
    edited = corpus[name].replace(b"Do not go swimming for 2 weeks.", b"Do not go swimming for 3 weeks.")
    assert edited != corpus[name]
    store(app, {name: edited})
    run = nightly(app)
    assert 1 <= run.documents_checked < run.documents_total
    assert finding_on(app, "documents/ophthalmology/cataract-aftercare-sheet.md", "swim") is not None
    assert nightly(app).documents_checked == 0
    assert_same_as_a_full_check(app, tmp_path, corpus | {name: edited})


def test_protocol_edits_on_a_synthetic_corpus_end_as_a_full_check_from_scratch(app, tmp_path):
    _, files = synthetic_corpus(tmp_path, seed=4)
    store(app, files)
    nightly(app)
    protocols = sorted(path for path in files if path.startswith("protocols/") and b" hours" in files[path])
    for path in protocols[:2]:  # two edits, two runs: the second starts from a partly moved set
        files[path] = files[path].replace(b" hours", b" hour(s)", 2)
        store(app, {path: files[path]})
        run = nightly(app)
        assert run.status == "succeeded" and run.documents_checked < run.documents_total
    assert_same_as_a_full_check(app, tmp_path, files)


def test_a_settings_change_rechecks_everything_and_no_change_rechecks_nothing(app):
    store(app, SMALL_CORPUS)
    nightly(app)
    before = occurring(app)
    settings = app.extensions["touchpoint_settings"]
    try:
        app.extensions["touchpoint_settings"] = settings.replace(top_k=settings.top_k + 1)
        changed = nightly(app)
        assert changed.documents_checked == 3
        assert nightly(app).documents_checked == 0
    finally:
        app.extensions["touchpoint_settings"] = settings
    assert nightly(app).documents_checked == 3
    assert occurring(app) == before


def test_incremental_runs_end_with_the_findings_of_a_full_check_from_scratch(app, tmp_path):
    corpus = examples_corpus()
    corpus.update(SMALL_CORPUS)
    store(app, corpus)
    nightly(app)
    edits = {
        "documents/surgery/day-surgery-leaflet.md": LEAFLET_FIXED,
        "documents/surgery/going-home.md": WOUND_SHEET.replace(b"5 days", b"7 days"),
        "documents/surgery/new-sheet.md": LEAFLET,
        "protocols/wound-care.md": WOUNDS.replace(b"48 hours", b"24 hours"),
    }
    for path, data in edits.items():
        store(app, {path: data})
        nightly(app)
        corpus[path] = data
    assert_same_as_a_full_check(app, tmp_path, corpus)


def test_incremental_runs_on_a_synthetic_corpus_match_a_full_check_from_scratch(app, tmp_path):
    corpus_dir, files = synthetic_corpus(tmp_path, seed=3)
    store(app, files)
    assert nightly(app).status == "succeeded"
    from benchmarks import synth

    changed = synth.mutate(corpus_dir, 0.25, seed=5)
    files.update({path: (corpus_dir / path).read_bytes() for path in changed})
    store(app, {path: files[path] for path in changed})
    incremental = nightly(app)
    assert 0 < incremental.documents_checked <= incremental.documents_total
    assert_same_as_a_full_check(app, tmp_path, files)


def test_a_changed_document_rechecks_the_documents_it_was_compared_with(app):
    corpus = examples_corpus()
    store(app, corpus)
    nightly(app)
    with app.app_context():
        session = session_factory(app)()
        states = {s.document_id: s for s in session.scalars(select(BatchDocumentState))}
        paths = {d.id: d.engine_path for d in session.scalars(select(Document))}
        session.close()
    compared = {doc: set(state.partners) for doc, state in states.items() if state.partners}
    if not compared:
        pytest.skip("this engine compares no documents with each other on the example corpus")
    doc_id, partners = next(iter(sorted(compared.items())))
    path = paths[doc_id]
    with app.app_context():
        session = session_factory(app)()
        document = session.get(Document, doc_id)
        texts = [s.text.encode() for s in document.current.statements if s.text.encode() in corpus[path]]
        session.close()
    assert texts, f"no statement of {path} occurs verbatim in the file"
    store(app, {path: corpus[path].replace(texts[0], texts[0].rstrip(b".") + b" and please ask if unsure.", 1)})
    run = nightly(app)
    with app.app_context():
        session = session_factory(app)()
        rechecked = {s.document_id for s in session.scalars(select(BatchDocumentState).where(
            BatchDocumentState.checked_run_id == run.run_id))}
        session.close()
    # Documents whose statements were compared with its statements are re-checked (the ones it
    # compared its own statements with only if the change can alter their results).
    reverse = {other for other, theirs in compared.items() if doc_id in theirs}
    assert {doc_id} | reverse <= rechecked


# --- failures, locks, interruption ------------------------------------------------------------

def test_an_unreadable_document_is_recorded_as_an_error_and_the_rest_completes(app):
    store(app, SMALL_CORPUS)
    with app.app_context():
        session = session_factory(app)()
        department = get_or_create_department(session, "Radiology", "radiology")
        document = Document(department=department, filename="scan-letter.pdf", title="Scan letter")
        document.versions.append(DocumentVersion(number=1, filename="scan-letter.pdf",
                                                 content=b"%PDF-1.4 this is not really a PDF",
                                                 sha256="0" * 64, size=33))
        session.add(document)
        session.commit()
        session.close()
    run = nightly(app)
    assert run.status == "succeeded"
    assert list(run.errors) == ["documents/radiology/scan-letter.pdf"]
    assert run.documents_checked == 3 and run.documents_total == 4
    assert finding_on(app, "documents/surgery/day-surgery-leaflet.md", "4 hours") is not None
    stored = get(app, CheckRun, run.run_id)
    assert "documents/radiology/scan-letter.pdf" in stored.errors
    again = nightly(app)  # the broken document is tried again; the rest is not re-checked
    assert list(again.errors) == ["documents/radiology/scan-letter.pdf"]
    assert again.documents_checked == 0 and again.findings_new == 0 and again.findings_resolved == 0


class _JudgeFailingOn:
    """The real engine, except that judging statements of one document raises."""

    def __init__(self, engine: Any, path: str) -> None:
        self._engine, self._path = engine, path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    @property
    def judge(self) -> Any:
        real, path = self._engine.judge, self._path

        class Failing:
            def judge_alignments(self, alignments, min_score):
                alignments = list(alignments)
                if any(a.statement.path == path for a in alignments):
                    raise RuntimeError("the judge tripped over this document")
                return real.judge_alignments(alignments, min_score)
        return Failing()


def test_a_document_the_engine_fails_on_is_recorded_and_the_rest_completes(app):
    if os.environ.get("TOUCHPOINT_TEST_ENGINE") == "fake":
        pytest.skip("needs the real engine's judge")
    store(app, SMALL_CORPUS)
    broken = "documents/surgery/going-home.md"
    run = nightly(app, checker=_JudgeFailingOn(app.extensions["touchpoint_engine"], broken))
    assert run.status == "succeeded"
    assert list(run.errors) == [broken] and "RuntimeError" in run.errors[broken]
    assert run.documents_checked == 2
    assert finding_on(app, "documents/surgery/day-surgery-leaflet.md", "4 hours") is not None
    healed = nightly(app)  # the next run (engine fixed) checks only the document that failed
    assert healed.documents_checked == 1 and not healed.errors


def test_a_second_run_is_refused_while_another_process_holds_the_lock(app):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with app.app_context():
            session = session_factory(app)()
            now = datetime.now(timezone.utc)
            session.add(BatchLock(name="nightly", token="someone-else", owner_pid=holder.pid,
                                  owner_host=socket.gethostname(), run_id=None, acquired_at=now, heartbeat_at=now))
            session.commit()
            session.close()
        with pytest.raises(BatchRefused, match=f"pid {holder.pid}"):
            nightly(app)
        assert query(app, select(CheckRun.id)) == []
        code = nightly_main(["--database-url", app.config["DATABASE_URL"], "--no-progress", "-q"])
        assert code == EXIT_LOCKED
    finally:
        holder.kill()
        holder.wait()
    assert nightly(app).status == "succeeded"  # the holder is dead now: its lock is stale


def test_two_runs_started_together_in_one_process_do_not_both_run(app):
    store(app, SMALL_CORPUS)
    first = NightlyBatch(app.extensions["touchpoint_settings"], app.extensions["touchpoint_db"],
                         app.extensions["touchpoint_engine"], progress=False)
    first.prepare()
    with pytest.raises(BatchRefused):
        nightly(app)
    outcome = first.execute()
    assert outcome.status == "succeeded"
    assert nightly(app).status == "succeeded"


def test_a_lock_with_an_old_heartbeat_is_taken_over(app):
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=app.extensions["touchpoint_settings"].lock_stale_seconds + 60)
    with app.app_context():
        session = session_factory(app)()
        session.add(BatchLock(name="nightly", token="elsewhere", owner_pid=1, owner_host="another-host.example",
                              run_id=None, acquired_at=long_ago, heartbeat_at=long_ago))
        session.commit()
        session.close()
    assert nightly(app).status == "succeeded"
    assert query(app, select(BatchLock.name)) == []  # released at the end


def test_a_lock_held_on_another_host_with_a_fresh_heartbeat_is_respected(app):
    lock = DatabaseLock(app.extensions["touchpoint_db"], "nightly", 3600)
    lock.host = "another-host.example"
    lock.pid = 999_999
    lock.acquire()
    try:
        with pytest.raises(BatchRefused, match="another-host.example"):
            nightly(app)
    finally:
        lock.release()


KILL_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {tests!r})
    from checker.settings import load_settings
    from web.batch import make_database, run_nightly
    settings = load_settings()
    if os.environ.get("TOUCHPOINT_TEST_ENGINE") == "fake":
        from web_fakes import FakeEngine
        checker = FakeEngine()
    else:
        from checker.engine import Engine
        checker = Engine(settings)
    outcome = run_nightly(settings, checker=checker, progress=False, chunk_documents=1)
    print("FINISHED", outcome.status, flush=True)
""")


def _killed_run(app: Flask, after_documents: int) -> int:
    """Start the batch in another process, SIGKILL it once ``after_documents`` are committed."""
    settings = app.extensions["touchpoint_settings"]
    env = dict(os.environ, TOUCHPOINT_DATABASE_URL=app.config["DATABASE_URL"], TOUCHPOINT_CACHE_DIR=settings.cache_dir,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               **{PAUSE_AFTER_ENV: str(after_documents), PAUSE_SECONDS_ENV: "600"})
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT.format(tests=str(TESTS_WEB))], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        for line in process.stderr:
            lines.append(line)
            if line.startswith("PAUSED"):
                break
        else:
            raise AssertionError("the batch never paused:\n" + "".join(lines[-40:]))
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert not pid_alive(process.pid)
    return int(line.split("run=")[1].split()[0])


def test_a_run_killed_part_way_is_completed_by_the_next_run_exactly_like_an_uninterrupted_one(app, tmp_path):
    corpus = examples_corpus()
    corpus.update(SMALL_CORPUS)
    reference = second_app(app, tmp_path)
    for target in (app, reference):
        store(target, corpus)
        nightly(target)
        store(target, {"documents/surgery/day-surgery-leaflet.md": LEAFLET_FIXED,
                       "documents/surgery/new-sheet.md": LEAFLET,
                       "protocols/wound-care.md": WOUNDS.replace(b"10 days", b"7 days")})
    uninterrupted = nightly(reference)
    assert uninterrupted.status == "succeeded"

    killed_id = _killed_run(app, after_documents=2)
    killed = get(app, CheckRun, killed_id)
    assert killed.status == "running" and 2 <= killed.documents_checked < uninterrupted.documents_checked
    assert query(app, select(BatchLock.owner_pid)) != []  # the dead process's lock is still there

    resumed = nightly(app)
    assert resumed.status == "succeeded"
    assert resumed.interrupted_runs == [killed_id]
    assert killed.documents_checked + resumed.documents_checked == uninterrupted.documents_checked
    interrupted = get(app, CheckRun, killed_id)
    assert interrupted.status == "interrupted" and f"#{resumed.run_id}" in interrupted.error
    assert findings(app) == findings(reference)
    assert nightly(app).documents_checked == 0
    reference.extensions["touchpoint_db"].dispose()


def test_a_terminated_run_stops_after_a_whole_chunk_and_says_so(app):
    store(app, SMALL_CORPUS)
    stop = threading.Event()
    stop.set()
    run = nightly(app, stop_event=stop)
    assert run.status == "interrupted"
    assert get(app, CheckRun, run.run_id).status == "interrupted"
    assert query(app, select(BatchLock.name)) == []
    assert nightly(app).documents_checked == 3


# --- command line, web button, progress, logs -------------------------------------------------

def test_the_flask_nightly_command_runs_the_batch(app):
    store(app, SMALL_CORPUS)
    result = app.test_cli_runner().invoke(args=["nightly", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "3 of 3 documents checked" in result.output
    again = app.test_cli_runner().invoke(args=["nightly", "--no-progress"])
    assert "0 of 3 documents checked (3 unchanged, skipped)" in again.output


def _wait_for(app: Flask, run_id: int, seconds: float = 300) -> CheckRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = get(app, CheckRun, run_id)
        if run.status != "running":
            return run
        time.sleep(0.2)
    raise AssertionError(f"run #{run_id} did not finish")


def _users(app: Flask) -> None:
    with app.app_context():
        session = session_factory(app)()
        create_user(session, "admin", PASSWORD, "admin", None, "Admin")
        create_user(session, "officer", PASSWORD, "quality_officer", None, "Officer")
        session.commit()
        session.close()


def test_check_now_is_for_admins_and_runs_the_batch_in_the_background(app, login_as):
    store(app, SMALL_CORPUS)
    _users(app)
    client = login_as("officer")
    assert client.post("/runs/check-now").status_code == 403
    client = login_as("admin")
    response = client.post("/runs/check-now")
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    run = _wait_for(app, run_id)
    assert run.status == "succeeded" and run.kind == "nightly" and run.documents_checked == 3
    from web.models import User
    assert query(app, select(User.username).where(User.id == run.triggered_by_id)) == [("admin",)]
    progress = client.get(f"/runs/{run_id}/progress").get_json()
    assert progress["status"] == "succeeded" and progress["phase"] == "done"


def test_check_now_needs_a_csrf_token(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings, WTF_CSRF_ENABLED=True)
    try:
        _users(app)
        client = app.test_client()
        page = client.get("/login")
        token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
        assert client.post("/runs/check-now").status_code == 400
        assert query(app, select(CheckRun.id)) == []
    finally:
        app.extensions["touchpoint_db"].dispose()


def test_the_progress_line_counts_statements_of_a_running_run(app):
    with app.app_context():
        session = session_factory(app)()
        run = CheckRun(kind="nightly", status="running", errors={})
        session.add(run)
        session.flush()
        session.add(BatchRunProgress(run_id=run.id, phase="checking", done=412, total=3000, documents_total=1800,
                                     documents_due=40, statements_due=3000))
        session.commit()
        assert progress_text(run, session) == "checking: 412 / 3,000 statements, 13% (40 of 1,800 documents due)"
        run.status = "succeeded"
        assert progress_text(run, session) == ""
        session.close()


def test_logs_name_documents_and_counts_but_never_statement_text(app, caplog):
    store(app, SMALL_CORPUS)
    caplog.set_level(logging.DEBUG, logger="web")
    nightly(app)
    store(app, {"documents/surgery/day-surgery-leaflet.md": LEAFLET_FIXED})
    nightly(app)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("web"))
    assert "run #" in logged and "documents/surgery/day-surgery-leaflet.md" in logged
    for data in SMALL_CORPUS.values():
        for line in data.decode().splitlines():
            sentence = line.strip("-# ").strip()
            if len(sentence.split()) >= 4:
                assert sentence not in logged


def test_the_runs_page_gives_admins_the_batch_button(app, login_as):
    _users(app)
    assert 'action="/runs/check-now"' in login_as("admin").get("/runs").get_data(as_text=True)
    assert 'action="/runs/check-now"' not in login_as("officer").get("/runs").get_data(as_text=True)
