"""Uploading documents: every accepted format, refused files (nothing saved), escaping."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from web.models import AuditEntry, Document, DocumentVersion, Finding, StoredStatement
from web_support import LEAFLETS, build_app, document_id_from, login, new_version, seed_data, upload


def _counts(db) -> tuple[int, ...]:
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model))
                 for model in (Document, DocumentVersion, StoredStatement, Finding, AuditEntry))


@pytest.mark.parametrize("suffix", sorted(LEAFLETS))
def test_a_leaflet_in_each_accepted_format_is_stored_with_its_statements_and_checked(client, seed, login_as, db, suffix):
    login_as("lead")
    response = upload(client, seed["surgery"], f"leaflet.{suffix}", LEAFLETS[suffix]())
    assert response.status_code == 302
    document = db.get(Document, document_id_from(response))
    version = document.current
    assert version.number == 1 and version.filename == f"leaflet.{suffix}"
    assert any("eat any food for 4 hours" in s.text for s in version.statements)
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Bring a list of your usual medicines with you." in page
    findings = db.scalars(select(Finding).where(Finding.document_id == document.id)).all()
    assert any("4" in f.statement_text and f.source_path == "protocols/fasting.md" for f in findings)


@pytest.mark.parametrize("filename,data,message", [
    ("broken.docx", b"PK\x03\x04 this is not really a zip archive", "not a valid .docx"),
    ("empty.md", b"", "empty"),
    ("blank.txt", b"   \n\n   \n", "no text"),
    ("junk.txt", bytes(range(256)) * 20, "binary"),
    ("mislabelled.pdf", b"<html><body><p>Eat nothing for six hours.</p></body></html>", "not a PDF"),
    ("program.exe", b"MZ\x90\x00\x03", "not accepted"),
    ("noextension", b"Plain words in a file without a suffix.", "not accepted"),
])
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_saved(client, seed, login_as, db, filename, data,
                                                                          message):
    login_as("lead")
    before = _counts(db)
    response = upload(client, seed["surgery"], filename, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _counts(db) == before


def test_a_missing_file_is_refused_without_an_error_page(client, seed, login_as):
    login_as("lead")
    response = client.post("/documents/upload", data={"department": str(seed["surgery"])},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file" in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_gets_the_friendly_413_page_and_nothing_is_saved(
        database_url, engine, engine_settings, tmp_path):
    app = build_app(database_url, engine, engine_settings.replace(upload_max_bytes=4096))
    seed = seed_data(app)
    client = app.test_client()
    login(client, "lead")
    response = upload(client, seed["surgery"], "huge.md", b"# Big\n\n" + b"A sentence of words. " * 1000)
    assert response.status_code == 413
    assert "larger than the limit" in response.get_data(as_text=True)
    assert client.get("/documents").get_data(as_text=True).count("huge.md") == 0
    app.extensions["touchpoint_db"].dispose()


def test_document_text_is_escaped_so_a_script_tag_shows_as_text(client, seed, login_as):
    login_as("lead")
    data = b"# Notes\n\n- Press the call button <script>alert('x')</script> if you feel unwell after surgery.\n"
    response = upload(client, seed["surgery"], "script.md", data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


def test_uploading_the_same_bytes_again_adds_no_version(client, seed, login_as, db):
    login_as("lead")
    first = upload(client, seed["surgery"], "leaflet.md", LEAFLETS["md"]())
    again = upload(client, seed["surgery"], "leaflet.md", LEAFLETS["md"]())
    assert document_id_from(first) == document_id_from(again)
    assert len(db.get(Document, document_id_from(first)).versions) == 1
    assert "identical" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_every_version_can_be_downloaded_byte_for_byte(client, seed, login_as):
    login_as("lead")
    original = LEAFLETS["docx"]()
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.docx", original))
    response = client.get(f"/documents/{document_id}/versions/1/download")
    assert response.status_code == 200
    assert response.data == original
    assert "attachment" in response.headers["Content-Disposition"]
    assert client.get(f"/documents/{document_id}/versions/9/download").status_code == 404


@pytest.mark.parametrize("filename,stored", [("../../etc/Leaflet Ünï.md", "Leaflet_Uni.md"), ("пример.MD", "document.md"),
                                             ("pre op (final).TXT", "pre_op_final.txt")])
def test_uploaded_file_names_are_made_safe_and_keep_their_type(client, seed, login_as, db, filename, stored):
    login_as("lead")
    data = LEAFLETS["txt"]() if stored.endswith(".txt") else LEAFLETS["md"]()
    response = upload(client, seed["surgery"], filename, data)
    assert response.status_code == 302
    assert db.get(Document, document_id_from(response)).filename == stored


def test_a_new_protocol_version_rechecks_every_document_and_resolves_what_it_settles(client, seed, login_as, db):
    from web_support import PROTOCOL_MD

    login_as("lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLETS["md"]()))
    db.expire_all()
    finding = db.scalars(select(Finding).where(Finding.document_id == document_id)).first()
    login_as("officer")
    from io import BytesIO

    response = client.post(f"/protocols/{seed['protocol']}/versions", content_type="multipart/form-data",
                           data={"file": (BytesIO(PROTOCOL_MD.replace(b"6 hours", b"4 hours")), "fasting.md")})
    assert response.status_code == 302
    db.expire_all()
    settled = db.get(Finding, finding.id)
    assert settled.status == "resolved" and settled.resolved_by_run_id and settled.resolved_by_version_id is None
    page = client.get(f"/protocols/{seed['protocol']}").get_data(as_text=True)
    assert "version 2" in page and "Do not eat any food for 4 hours" in page


# --- limits: what would cost a request minutes is refused at once, with nothing saved ------------

def _limited_app(database_url, engine, engine_settings, **limits):
    app = build_app(database_url, engine, engine_settings.replace(**limits))
    seed = seed_data(app)
    client = app.test_client()
    login(client, "lead")
    return app, seed, client


@pytest.mark.parametrize("limits,data,message", [
    ({"upload_text_max_bytes": 2048}, b"# Notes\n\n" + b"Rest at home today. " * 200, "larger than the limit of 2 kB"),
    ({"upload_max_statements": 5}, b"# Notes\n\n" + b"".join(b"- Item number %d is here.\n" % i for i in range(8)),
     "more than the limit of 5"),
    ({"statement_max_chars": 300}, b"# Notes\n\n" + b"word " * 200 + b"\n", "characters long"),
])
def test_an_upload_over_a_content_limit_is_refused_with_the_limit_and_nothing_is_saved(
        database_url, engine, engine_settings, limits, data, message):
    app, seed, client = _limited_app(database_url, engine, engine_settings, **limits)
    response = upload(client, seed["surgery"], "notes.md", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "notes.md" not in client.get("/documents").get_data(as_text=True)
    app.extensions["touchpoint_db"].dispose()


def test_a_docx_zip_bomb_is_refused_and_nothing_is_saved(client, seed, login_as, db):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(LEAFLETS["docx"]())) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item.filename))
        archive.writestr("word/media/bomb.bin", b"\0" * (8 * 1024 * 1024))
    login_as("lead")
    before = _counts(db)
    response = upload(client, seed["surgery"], "leaflet.docx", buffer.getvalue())
    assert response.status_code == 400
    assert "zip bomb" in response.get_data(as_text=True)
    assert _counts(db) == before


def test_a_new_version_must_keep_the_documents_file_type(client, seed, login_as, db):
    login_as("lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLETS["md"]()))
    before = _counts(db)
    response = new_version(client, document_id, "leaflet.docx", LEAFLETS["docx"]())
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "is a .docx file, but the document is a .md file" in text
    assert _counts(db) == before
    assert new_version(client, document_id, "leaflet-v2.md", LEAFLETS["md"]() + b"\n- Rest today.\n").status_code == 302
