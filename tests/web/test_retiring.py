"""Retire and restore: a retired protocol, document or department is kept but left out of every check."""
from __future__ import annotations

from sqlalchemy import select

from test_batch import nightly
from web.models import AuditEntry, Document, Finding, Protocol
from web_support import LEAFLET_MD, document_id_from, new_version, upload


def _finding(db, document_id: int) -> Finding:
    db.expire_all()
    return db.scalars(select(Finding).where(Finding.document_id == document_id)).one()


def test_a_retired_protocol_produces_no_findings_and_restoring_brings_them_back_with_their_decision(
        client, seed, login_as, db):
    login_as("lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))
    finding = _finding(db, document_id)
    login_as("officer")
    client.post(f"/findings/{finding.id}/dismiss", data={"reason": "Agreed locally"})
    protocol = db.scalars(select(Protocol)).one()
    response = client.post(f"/protocols/{protocol.id}/retire")
    assert response.status_code == 302
    assert "retired" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _finding(db, document_id).status == "resolved"
    assert client.post("/runs").status_code == 302  # a later full check keeps it out
    assert _finding(db, document_id).status == "resolved"
    client.post(f"/protocols/{protocol.id}/restore")
    back = _finding(db, document_id)
    assert back.id == finding.id and (back.status, back.status_reason) == ("dismissed", "Agreed locally")
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "protocol")).all()
    assert actions[-2:] == ["retire", "restore"]


def test_a_retired_document_takes_no_new_version_and_a_retired_department_no_upload(client, seed, login_as, db):
    login_as("lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))
    assert client.post(f"/documents/{document_id}/retire").status_code == 302
    assert _finding(db, document_id).status == "resolved"
    refused = new_version(client, document_id, "leaflet.md", LEAFLET_MD.replace(b"4 hours", b"5 hours"))
    assert refused.status_code == 400 and "is retired" in refused.get_data(as_text=True)
    db.expire_all()
    assert len(db.get(Document, document_id).versions) == 1
    assert client.post(f"/admin/departments/{seed['surgery']}/retire").status_code == 403
    login_as("admin")
    client.post(f"/documents/{document_id}/restore")
    assert _finding(db, document_id).status == "open"
    client.post(f"/admin/departments/{seed['surgery']}/retire")
    assert _finding(db, document_id).status == "resolved"
    login_as("lead")
    response = upload(client, seed["surgery"], "other.md", LEAFLET_MD)
    assert response.status_code == 400 and "is retired" in response.get_data(as_text=True)


def test_the_nightly_batch_leaves_retired_protocols_out_too(app, client, seed, login_as, db):
    login_as("lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))
    login_as("officer")
    protocol = db.scalars(select(Protocol)).one()
    client.post(f"/protocols/{protocol.id}/retire")
    assert _finding(db, document_id).status == "resolved"
    client.post(f"/protocols/{protocol.id}/restore")
    assert _finding(db, document_id).status == "open"
    protocol_row = db.get(Protocol, protocol.id)
    protocol_row.retired_at = protocol_row.created_at  # retired behind the web's back: only the batch sees it
    db.commit()
    nightly(app, force=True)
    assert _finding(db, document_id).status == "resolved"
