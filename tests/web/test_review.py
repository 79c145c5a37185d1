"""Reviewing findings, and what re-uploads do to reviewer decisions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from web.models import AuditEntry, Finding
from web_support import LEAFLET_MD, document_id_from, new_version, upload

KEPT = LEAFLET_MD.replace(b"Bring a list of your usual medicines with you.",
                          b"Bring a list of your usual medicines and allergies with you.")
GONE = LEAFLET_MD.replace(b"- Do not eat any food for 4 hours before your arrival time.\n", b"")


def _food_finding(db, document_id: int) -> Finding:
    db.expire_all()
    findings = db.scalars(select(Finding).where(Finding.document_id == document_id)).all()
    matches = [f for f in findings if "eat any food for 4 hours" in f.statement_text]
    assert matches, [f.statement_text for f in findings]
    return matches[0]


def _uploaded_leaflet(client, seed, login_as) -> int:
    login_as("lead")
    return document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))


def test_a_dismissal_and_comments_survive_a_re_upload_that_keeps_the_statement(client, seed, login_as, db):
    document_id = _uploaded_leaflet(client, seed, login_as)
    finding = _food_finding(db, document_id)
    first_run = finding.last_seen_run_id
    login_as("officer")
    assert client.post(f"/findings/{finding.id}/dismiss", data={"reason": "Anaesthetist agreed 4 hours"}).status_code == 302
    client.post(f"/findings/{finding.id}/comments", data={"body": "Checked with Dr Raman."})
    login_as("lead")
    assert new_version(client, document_id, "leaflet.md", KEPT).status_code == 302
    again = _food_finding(db, document_id)
    assert again.id == finding.id
    assert (again.status, again.status_reason) == ("dismissed", "Anaesthetist agreed 4 hours")
    assert [c.body for c in again.comments] == ["Checked with Dr Raman."]
    assert again.last_seen_run_id > first_run


def test_a_finding_whose_statement_is_gone_is_resolved_by_the_new_version(client, seed, login_as, db):
    document_id = _uploaded_leaflet(client, seed, login_as)
    finding = _food_finding(db, document_id)
    response = new_version(client, document_id, "leaflet.md", GONE)
    assert response.status_code == 302
    db.expire_all()
    resolved = db.get(Finding, finding.id)
    assert resolved.status == "resolved"
    assert resolved.resolved_by_version.number == 2
    page = client.get(f"/documents/{document_id}").get_data(as_text=True)
    assert "resolved by version 2" in page
    detail = client.get(f"/findings/{finding.id}").get_data(as_text=True)
    assert "resolved by version 2" in detail


def test_a_resolved_finding_that_comes_back_is_reopened_and_logged(client, seed, login_as, db):
    document_id = _uploaded_leaflet(client, seed, login_as)
    finding = _food_finding(db, document_id)
    new_version(client, document_id, "leaflet.md", GONE)
    new_version(client, document_id, "leaflet.md", LEAFLET_MD)
    back = _food_finding(db, document_id)
    assert back.id == finding.id and back.status == "open"
    assert back.resolved_by_version_id is None
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "finding",
                                                         AuditEntry.target_id == finding.id)).all()
    assert actions == ["resolve_auto", "reopen"]


@pytest.mark.parametrize("action, status, reason", [
    ("dismiss", "dismissed", "Anaesthetist agreed 4 hours"), ("confirm", "confirmed", "")])
def test_a_decision_comes_back_with_a_finding_that_went_away_and_returned(client, seed, login_as, db, action, status,
                                                                         reason):
    document_id = _uploaded_leaflet(client, seed, login_as)
    finding = _food_finding(db, document_id)
    login_as("officer")
    assert client.post(f"/findings/{finding.id}/{action}", data={"reason": reason}).status_code == 302
    login_as("lead")
    new_version(client, document_id, "leaflet.md", GONE)
    db.expire_all()
    assert db.get(Finding, finding.id).status == "resolved"
    new_version(client, document_id, "leaflet.md", LEAFLET_MD)
    back = _food_finding(db, document_id)
    assert back.id == finding.id and (back.status, back.status_reason or "") == (status, reason)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.target_type == "finding",
                                                  AuditEntry.target_id == finding.id)).all()
    assert [e.action for e in entries] == [action, "resolve_auto", "reappear"]
    assert "reappeared in version 3" in entries[-1].detail and status in entries[-1].detail
    assert "reappeared in version 3" in client.get(f"/findings/{finding.id}").get_data(as_text=True)


def test_a_finding_reopened_by_hand_loses_its_decision_and_comes_back_open(client, seed, login_as, db):
    document_id = _uploaded_leaflet(client, seed, login_as)
    finding = _food_finding(db, document_id)
    login_as("officer")
    client.post(f"/findings/{finding.id}/dismiss", data={"reason": "Agreed"})
    client.post(f"/findings/{finding.id}/reopen")
    login_as("lead")
    new_version(client, document_id, "leaflet.md", GONE)
    new_version(client, document_id, "leaflet.md", LEAFLET_MD)
    back = _food_finding(db, document_id)
    assert (back.status, back.status_reason, back.decision) == ("open", None, None)


def test_dismissing_needs_a_reason(client, seed, login_as, db):
    finding = _food_finding(db, _uploaded_leaflet(client, seed, login_as))
    login_as("officer")
    response = client.post(f"/findings/{finding.id}/dismiss", data={"reason": "   "})
    assert response.status_code == 400
    assert "Give a reason" in response.get_data(as_text=True)
    assert _food_finding(db, finding.document_id).status == "open"


def test_confirm_resolve_and_reopen_are_recorded_in_the_findings_history(client, seed, login_as, db):
    finding = _food_finding(db, _uploaded_leaflet(client, seed, login_as))
    login_as("officer")
    for action, status in (("confirm", "confirmed"), ("resolve", "resolved"), ("reopen", "open")):
        assert client.post(f"/findings/{finding.id}/{action}", data={"reason": f"{action} note"}).status_code == 302
        assert _food_finding(db, finding.document_id).status == status
    page = client.get(f"/findings/{finding.id}").get_data(as_text=True)
    for action in ("confirm", "resolve", "reopen"):
        assert f"{action} note" in page
    assert client.post(f"/findings/{finding.id}/delete").status_code == 404


def test_a_lead_can_comment_on_their_finding_but_not_review_it(client, seed, login_as, db):
    finding = _food_finding(db, _uploaded_leaflet(client, seed, login_as))
    assert client.post(f"/findings/{finding.id}/comments", data={"body": "We will fix the leaflet."}).status_code == 302
    assert client.post(f"/findings/{finding.id}/confirm").status_code == 403
    assert client.post(f"/findings/{finding.id}/comments", data={"body": ""}).status_code == 400
    page = client.get(f"/findings/{finding.id}").get_data(as_text=True)
    assert "We will fix the leaflet." in page
    assert 'action="/findings/%d/confirm"' % finding.id not in page


def test_the_finding_detail_shows_both_statements_with_the_differing_facts_marked(client, seed, login_as, db):
    finding = _food_finding(db, _uploaded_leaflet(client, seed, login_as))
    page = client.get(f"/findings/{finding.id}").get_data(as_text=True)
    assert page.count('<mark class="fact">') >= 2
    assert "Do not eat any food for" in page and "protocols/fasting.md" in page


def test_the_audit_log_page_lists_uploads_and_review_actions(client, seed, login_as, db):
    finding = _food_finding(db, _uploaded_leaflet(client, seed, login_as))
    login_as("officer")
    client.post(f"/findings/{finding.id}/dismiss", data={"reason": "ward-specific rule"})
    login_as("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "upload document" in page and "dismiss" in page and "ward-specific rule" in page
    only = client.get(f"/admin/audit?user={seed['officer']}&action=dismiss").get_data(as_text=True)
    assert "ward-specific rule" in only and "upload document" not in only.split("<tbody>")[1]


def _three_findings(client, seed, login_as, db) -> list[int]:
    login_as("lead")
    for number, hours in enumerate((2, 3, 5)):
        upload(client, seed["surgery"], f"leaflet-{number}.md", LEAFLET_MD.replace(b"4 hours", f"{hours} hours".encode()))
    db.expire_all()
    return sorted(f.id for f in db.scalars(select(Finding).where(Finding.statement_text.contains("eat any food"))))


def test_an_officer_dismisses_many_findings_with_one_reason_and_each_is_audited(client, seed, login_as, db):
    ids = _three_findings(client, seed, login_as, db)
    assert len(ids) == 3
    login_as("officer")
    response = client.post("/findings/bulk", data={"action": "dismiss", "reason": "Local anaesthetic list",
                                                   "ids": [str(i) for i in ids[:2]], "next": "/findings?status=open"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/findings?status=open")
    db.expire_all()
    statuses = {f.id: (f.status, f.status_reason) for f in db.scalars(select(Finding).where(Finding.id.in_(ids)))}
    assert statuses[ids[0]] == statuses[ids[1]] == ("dismissed", "Local anaesthetic list")
    assert statuses[ids[2]][0] == "open"
    audited = db.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "dismiss")).all()
    assert sorted(audited) == ids[:2]
    assert "2 findings now dismissed" in client.get("/findings").get_data(as_text=True)


def test_a_bulk_dismissal_needs_a_reason_and_a_lead_cannot_bulk_review(client, seed, login_as, db):
    ids = _three_findings(client, seed, login_as, db)
    assert client.post("/findings/bulk", data={"action": "confirm", "ids": [str(ids[0])]}).status_code == 403
    login_as("officer")
    client.post("/findings/bulk", data={"action": "dismiss", "reason": " ", "ids": [str(i) for i in ids]})
    db.expire_all()
    assert {f.status for f in db.scalars(select(Finding).where(Finding.id.in_(ids)))} == {"open"}
    assert "Give a reason" in client.get("/findings").get_data(as_text=True)
    response = client.post("/findings/bulk", data={"action": "confirm", "ids": [str(i) for i in ids],
                                                   "next": "//evil.example/"})
    assert "evil.example" not in response.headers["Location"]


def test_search_finds_findings_by_words_anywhere_in_them(client, seed, login_as, db):
    ids = _three_findings(client, seed, login_as, db)
    login_as("officer")
    page = client.get('/findings?q="any food" LEAFLET-1').get_data(as_text=True)
    assert page.count('name="ids"') == 1 and f"#{ids[1]}" in page
    assert 'value="&#34;any food&#34; LEAFLET-1"' in page  # the search box keeps the query
    assert client.get("/findings?q=zebra").get_data(as_text=True).count('name="ids"') == 0
    assert client.get("/findings?q=100%25").status_code == 200


def test_a_finding_page_steps_through_the_list_it_was_opened_from(client, seed, login_as, db):
    ids = _three_findings(client, seed, login_as, db)
    login_as("officer")
    listing = client.get("/findings?sort=score&order=asc").get_data(as_text=True)
    assert f'/findings/{ids[0]}?sort=score&amp;order=asc' in listing
    newest_first = sorted(ids, reverse=True)  # the default order: date, newest first
    middle = client.get(f"/findings/{newest_first[1]}").get_data(as_text=True)
    assert "2 of 3" in middle
    assert f'rel="prev" href="/findings/{newest_first[0]}"' in middle
    assert f'rel="next" href="/findings/{newest_first[2]}"' in middle
    alone = client.get(f"/findings/{ids[1]}?q=leaflet-1").get_data(as_text=True)
    assert "1 of 1" in alone and 'rel="next"' not in alone and 'rel="prev"' not in alone
    response = client.post(f"/findings/{ids[1]}/confirm?q=leaflet-1", data={})
    assert response.headers["Location"].endswith(f"/findings/{ids[1]}?q=leaflet-1")
