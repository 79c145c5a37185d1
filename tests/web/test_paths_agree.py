"""The web's full check and the nightly batch give the same findings for the same inputs: run
one after the other over unchanged documents, nothing is resolved or reopened, and no reviewer's
decision or reason is cleared (issue 11: decisions flipped between the two paths)."""
from __future__ import annotations

from sqlalchemy import select

from test_batch import examples_corpus, nightly, store
from web.models import CheckRun, Finding
from web_support import login


def _latest_run(db) -> CheckRun:
    db.expire_all()
    return db.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first()


def _state(db) -> dict[str, tuple[str, str | None]]:
    db.expire_all()
    return {f.fingerprint: (f.status, f.status_reason) for f in db.scalars(select(Finding))}


def test_alternating_the_button_and_the_nightly_batch_changes_nothing_after_the_first_run(app, client, seed, db):
    store(app, examples_corpus())
    login(client, "officer")
    assert client.post("/runs").status_code == 302
    assert _latest_run(db).status == "succeeded"
    first = db.scalars(select(Finding).where(Finding.status == "open")).first()
    assert client.post(f"/findings/{first.id}/dismiss", data={"reason": "Agreed with the ward"}).status_code == 302
    before = _state(db)
    for step in ("nightly --force", "button", "nightly", "button"):
        if step == "button":
            client.post("/runs")
        else:
            nightly(app, force=step.endswith("--force"))
        run = _latest_run(db)
        assert run.status == "succeeded", step
        assert (run.findings_resolved, run.findings_reopened, run.findings_new) == (0, 0, 0), step
        assert _state(db) == before, step
