"""Assigning findings: to whom and by when, one at a time or in bulk; "Assigned to me"."""
from __future__ import annotations

from sqlalchemy import select

from web.models import AuditEntry, Finding, User
from web_support import LEAFLET_MD, upload


def _findings(client, seed, login_as, db, count: int = 2) -> list[int]:
    login_as("lead")
    for number in range(count):
        upload(client, seed["surgery"], f"ward-{number}.md", LEAFLET_MD.replace(b"4 hours", f"{2 + number} hours".encode()))
    db.expire_all()
    return sorted(f.id for f in db.scalars(select(Finding).where(Finding.statement_text.contains("eat any food"))))


def _user(db, username: str) -> User:
    return db.scalars(select(User).where(User.username == username)).one()


def test_an_officer_assigns_a_finding_to_a_lead_who_sees_it_in_their_queue(client, seed, login_as, db):
    first, second = _findings(client, seed, login_as, db)
    lead = _user(db, "lead")
    login_as("officer")
    response = client.post(f"/findings/{first}/assign", data={"assignee": str(lead.id), "due_on": "2027-01-15"})
    assert response.status_code == 302
    db.expire_all()
    finding = db.get(Finding, first)
    assert (finding.assignee_id, finding.due_on.isoformat()) == (lead.id, "2027-01-15")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "assign")).one()
    assert entry.target_id == first and "due 2027-01-15" in entry.detail
    login_as("lead")
    queue = client.get("/findings?assignee=me").get_data(as_text=True)
    assert f"#{first}<" in queue and f"#{second}<" not in queue
    assert 'Assigned to me <span class="count">1</span>' in queue
    assert client.get("/api/findings?assignee=me").get_json()["findings"][0]["assignee"] == "lead"


def test_findings_are_assigned_in_bulk_and_unassigned(client, seed, login_as, db):
    ids = _findings(client, seed, login_as, db)
    officer = _user(db, "officer")
    login_as("officer")
    client.post("/findings/bulk", data={"action": "assign", "assignee": str(officer.id), "ids": [str(i) for i in ids]})
    db.expire_all()
    assert {db.get(Finding, i).assignee_id for i in ids} == {officer.id}
    assert "2 findings assigned to" in client.get("/findings").get_data(as_text=True)
    client.post(f"/findings/{ids[0]}/assign", data={"assignee": ""})
    db.expire_all()
    assert db.get(Finding, ids[0]).assignee_id is None
    assert db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "assign")).all()[-1] == "unassigned"


def test_an_assignment_that_cannot_work_is_refused_with_a_reason(client, seed, login_as, db):
    first, _ = _findings(client, seed, login_as, db)
    cardio = _user(db, "cardio")  # a lead of another department cannot see a surgery finding
    assert client.post(f"/findings/{first}/assign", data={"assignee": str(cardio.id)}).status_code == 403
    login_as("officer")
    for form, message in (({"assignee": str(cardio.id)}, "cannot see finding"),
                          ({"assignee": "99999"}, "Choose an active user"),
                          ({"assignee": str(cardio.id), "due_on": "soon"}, "is not a date"),
                          ({"assignee": "", "due_on": "2027-01-01"}, "needs someone")):
        client.post(f"/findings/{first}/assign", data=form)
        assert message in client.get(f"/findings/{first}").get_data(as_text=True), form
    db.expire_all()
    assert db.get(Finding, first).assignee_id is None
