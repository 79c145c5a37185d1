"""Finding sync (``web.checking``): fingerprints, reviewer decisions, resolution, reopening,
document-to-document clashes, and checks that fail."""
from __future__ import annotations

from sqlalchemy import select

from web.checking import run_check, start_run
from web.db import session_factory
from web.models import CheckRun, Document, Finding
from web_fakes import FakeEngine
from web_support import LEAFLET_MD, build_app, document_id_from, login, new_version, seed_data, upload

SURGERY_VISITS = b"# Visiting\n\n- Visiting hours on the ward are from 2 pm to 8 pm every day.\n" \
                 b"- Two visitors may come to the bedside at a time.\n"
CARDIO_VISITS = SURGERY_VISITS.replace(b"2 pm to 8 pm", b"10 am to 4 pm")
SURGERY_VISITS_V2 = SURGERY_VISITS.replace(b"2 pm to 8 pm", b"1 pm to 9 pm")


def _live(db) -> list[Finding]:
    db.expire_all()
    return list(db.scalars(select(Finding).where(Finding.status != "resolved")))


def test_a_clash_between_two_departments_is_stored_once_whichever_way_the_engine_reports_it(
        client, seed, login_as, db):
    login_as("lead")
    surgery_doc = document_id_from(upload(client, seed["surgery"], "visits.md", SURGERY_VISITS))
    login_as("cardio")
    upload(client, seed["cardiology"], "visits.md", CARDIO_VISITS)
    clashes = _live(db)
    assert len(clashes) == 1 and clashes[0].source_role == "document"
    for lead in ("lead", "cardio"):  # a clash between two departments concerns both leads
        login_as(lead)
        assert client.get(f"/findings/{clashes[0].id}").status_code == 200
        assert [f["id"] for f in client.get("/api/findings").get_json()["findings"]] == [clashes[0].id]
        own = surgery_doc if lead == "lead" else clashes[0].document_id if clashes[0].document_id != surgery_doc \
            else clashes[0].source_document_id
        assert '<mark class="fact">' in client.get(f"/documents/{own}").get_data(as_text=True)
    login_as("admin")
    assert client.post("/runs").status_code == 302
    after_full_run = _live(db)
    assert [f.id for f in after_full_run] == [clashes[0].id]
    login_as("lead")
    new_version(client, surgery_doc, "visits.md", SURGERY_VISITS_V2)
    db.expire_all()
    assert db.get(Finding, clashes[0].id).status == "resolved"
    assert [f.statement_text for f in _live(db)] != []


def _fake_app(database_url, engine_settings):
    app = build_app(database_url, FakeEngine(), engine_settings)
    return app, seed_data(app)


def test_a_finding_resolved_by_hand_stays_resolved_while_it_still_occurs_and_reopens_after_going_away(
        database_url, engine_settings):
    app, seed = _fake_app(database_url, engine_settings)
    client = app.test_client()
    login(client, "lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))
    with app.app_context(), session_factory(app)() as session:
        finding = session.scalars(select(Finding)).one()
        login(client, "officer")
        client.post(f"/findings/{finding.id}/resolve", data={"reason": "fixed in print"})
        client.post("/runs")
        session.expire_all()
        assert session.get(Finding, finding.id).status == "resolved"
        login(client, "lead")
        new_version(client, document_id, "leaflet.md", LEAFLET_MD.replace(b"4 hours", b"6 hours"))
        new_version(client, document_id, "leaflet.md", LEAFLET_MD)
        session.expire_all()
        assert session.get(Finding, finding.id).status == "open"
    app.extensions["touchpoint_db"].dispose()


def test_run_check_asks_the_engine_only_about_the_documents_in_scope(database_url, engine_settings):
    app, seed = _fake_app(database_url, engine_settings)
    client = app.test_client()
    login(client, "lead")
    first = document_id_from(upload(client, seed["surgery"], "a.md", LEAFLET_MD))
    upload(client, seed["surgery"], "b.md", LEAFLET_MD)
    engine = app.extensions["touchpoint_engine"]
    with app.app_context(), session_factory(app)() as session:
        run = start_run(session, "manual")
        counts = run_check(session, engine, run, {first})
        assert engine.calls[-1] == {"documents/surgery/a.md"}
        assert (counts.documents_checked, counts.findings_unchanged, counts.findings_new) == (1, 1, 0)
        everything = run_check(session, engine, start_run(session, "manual"), None)
        assert engine.calls[-1] is None and everything.documents_checked == 2
        session.rollback()
    app.extensions["touchpoint_db"].dispose()


class BrokenEngine(FakeEngine):
    def check(self, *args, **kwargs):
        raise RuntimeError("model exploded")


def test_a_check_that_crashes_keeps_the_upload_and_records_a_failed_run(database_url, engine_settings):
    app = build_app(database_url, BrokenEngine(), engine_settings)
    seed = seed_data(app)
    client = app.test_client()
    login(client, "lead")
    response = upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD)
    assert response.status_code == 302
    assert "checking it failed" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context(), session_factory(app)() as session:
        assert session.scalars(select(Document)).one().current.number == 1
        run = session.scalars(select(CheckRun)).one()
        assert run.status == "failed" and "model exploded" in run.error
    app.extensions["touchpoint_db"].dispose()


class CrashingReader(FakeEngine):
    def read(self, *args, **kwargs):
        raise IndexError("reader bug")


def test_a_reader_that_crashes_refuses_the_file_politely_and_saves_nothing(database_url, engine_settings):
    app = build_app(database_url, FakeEngine(), engine_settings)
    seed = seed_data(app)
    app.extensions["touchpoint_engine"] = CrashingReader()
    client = app.test_client()
    login(client, "lead")
    response = upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD)
    assert response.status_code == 400
    assert "could not be read" in response.get_data(as_text=True)
    with app.app_context(), session_factory(app)() as session:
        assert session.scalars(select(Document)).all() == []
    app.extensions["touchpoint_db"].dispose()


class ProbingEngine(FakeEngine):
    """Records how many database connections are checked out of the pool while it works."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = None
        self.checked_out: list[int] = []

    def check(self, *args, **kwargs):
        self.checked_out.append(self.pool.checkedout())
        return super().check(*args, **kwargs)


def test_no_database_connection_is_held_while_the_engine_checks(database_url, engine_settings):
    engine = ProbingEngine()
    app = build_app(database_url, engine, engine_settings)
    seed = seed_data(app)
    engine.pool = app.extensions["touchpoint_db"].pool
    client = app.test_client()
    login(client, "lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))
    new_version(client, document_id, "leaflet.md", LEAFLET_MD.replace(b"4 hours", b"5 hours"))
    login(client, "admin")
    assert client.post("/runs").status_code == 302
    assert len(engine.checked_out) == 3 and engine.checked_out == [0, 0, 0]
    with app.app_context(), session_factory(app)() as session:
        assert len(session.scalars(select(Finding)).all()) == 2  # the check still stored its findings
    app.extensions["touchpoint_db"].dispose()
